import Foundation

/// The in-memory `contacts` table of one Notifuse workspace.
///
/// Contacts are kept with a sorted index in `contacts.list` order (created_at DESC, email
/// ASC), so a page is a binary search plus `limit` steps, never a sort; each contact's JSON
/// is serialised once and kept until the contact changes.
final class NotifuseWorkspace: Sendable {
    /// A position in list order. `<` means "comes earlier in `contacts.list`".
    struct ListKey: Comparable, Sendable {
        let createdAt: Int64
        let email: String

        static func < (lhs: ListKey, rhs: ListKey) -> Bool {
            if lhs.createdAt != rhs.createdAt { return lhs.createdAt > rhs.createdAt }
            return lhs.email.utf8.lexicographicallyPrecedes(rhs.email.utf8)
        }

        static func == (lhs: ListKey, rhs: ListKey) -> Bool {
            lhs.createdAt == rhs.createdAt && lhs.email == rhs.email
        }
    }

    private struct Entry {
        var contact: NotifuseContact
        /// The contact as `contacts.list` writes it (Go's escaping), made on first use.
        var listJSON: Data?
        var key: ListKey { ListKey(createdAt: contact.createdAt, email: contact.email) }
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var order: [ListKey] = []

        func position(of key: ListKey) -> Int {
            var low = 0, high = order.count
            while low < high {
                let middle = (low + high) / 2
                if order[middle] < key { low = middle + 1 } else { high = middle }
            }
            return low
        }

        mutating func put(_ contact: NotifuseContact) {
            if let old = entries[contact.email] {
                let index = position(of: old.key)
                if index < order.count, order[index] == old.key { order.remove(at: index) }
            }
            let entry = Entry(contact: contact, listJSON: nil)
            entries[contact.email] = entry
            order.insert(entry.key, at: position(of: entry.key))
        }

        mutating func remove(email: String) -> Bool {
            guard let old = entries.removeValue(forKey: email) else { return false }
            let index = position(of: old.key)
            if index < order.count, order[index] == old.key { order.remove(at: index) }
            return true
        }
    }

    private let table = Locked(Table())
    private let clock: EmulatorClock

    init(clock: @escaping EmulatorClock) { self.clock = clock }

    private func now() -> Int64 { clock().unixMicroseconds }

    // MARK: Reads

    var count: Int { table.withLock { $0.entries.count } }

    func contact(email: String) -> NotifuseContact? {
        table.withLock { $0.entries[email]?.contact }
    }

    /// Every contact in `contacts.list` order.
    func allContacts() -> [NotifuseContact] {
        table.withLock { table in table.order.map { table.entries[$0.email]!.contact } }
    }

    /// One of the contacts with this `external_id` (it is not unique): the first in list order.
    func contact(externalID: String) -> NotifuseContact? {
        table.withLock { table in
            for key in table.order {
                let contact = table.entries[key.email]!.contact
                if contact.values["external_id"] == .string(externalID) { return contact }
            }
            return nil
        }
    }

    /// Up to `limit` contacts after `cursor` in list order that pass `matches`, as their
    /// serialised JSON, and whether more would follow.
    func page(after cursor: ListKey?, limit: Int, withContactLists: Bool,
              matches: ((NotifuseContact) -> Bool)?) -> (items: [Data], last: ListKey?, more: Bool) {
        table.withLock { table in
            var index = cursor.map { cursor in
                // The first key strictly after the cursor.
                var low = 0, high = table.order.count
                while low < high {
                    let middle = (low + high) / 2
                    if table.order[middle] < cursor || table.order[middle] == cursor { low = middle + 1 } else { high = middle }
                }
                return low
            } ?? 0
            var items = [Data]()
            items.reserveCapacity(limit)
            var last: ListKey?
            while index < table.order.count {
                let key = table.order[index]
                index += 1
                guard var entry = table.entries[key.email] else { continue }
                if let matches, !matches(entry.contact) { continue }
                if items.count == limit { return (items, last, true) }
                if withContactLists {
                    var bytes = [UInt8]()
                    entry.contact.writeJSON(into: &bytes, contactLists: .array([]))
                    items.append(Data(bytes))
                } else {
                    if entry.listJSON == nil {
                        var bytes = [UInt8]()
                        bytes.reserveCapacity(384)
                        entry.contact.writeJSON(into: &bytes, contactLists: .null)
                        entry.listJSON = Data(bytes)
                        table.entries[key.email] = entry
                    }
                    items.append(entry.listJSON!)
                }
                last = key
            }
            return (items, last, false)
        }
    }

    // MARK: Writes

    /// `contacts.upsert`: absent keeps, `null` clears, a value sets; a new contact gets
    /// created_at = updated_at = now; an update moves only updated_at. Returns whether the
    /// contact was created, or the database's error in the server's words.
    func upsert(_ input: NotifuseContactInput) -> Result<(created: Bool, contact: NotifuseContact), NotifuseInputError> {
        let stamp = now()
        return table.withLock { table in
            let existing = table.entries[input.email]?.contact
            if let problem = input.databaseError() {
                return .failure(NotifuseInputError("failed to \(existing == nil ? "insert" : "update") contact: \(problem)"))
            }
            var contact = existing ?? NotifuseContact(email: input.email, createdAt: stamp, updatedAt: stamp)
            for (name, change) in input.changes { contact.values[name] = change }
            contact.updatedAt = stamp
            table.put(contact)
            return .success((existing == nil, contact))
        }
    }

    /// `BulkUpsertContacts` for one chunk: the chunk succeeds or fails as one statement. On
    /// a conflict only non-null values replace stored ones (so `null` cannot clear), and
    /// created_at AND updated_at are set to now, which moves the contact in list order.
    func importChunk(_ inputs: [NotifuseContactInput]) -> Result<[(email: String, created: Bool)], NotifuseInputError> {
        let stamp = now()
        return table.withLock { table in
            for input in inputs {
                if let problem = input.databaseError() {
                    return .failure(NotifuseInputError("failed to execute bulk upsert: \(problem)"))
                }
            }
            var results = [(email: String, created: Bool)]()
            for input in inputs {
                let existing = table.entries[input.email]?.contact
                var contact = existing ?? NotifuseContact(email: input.email, createdAt: stamp, updatedAt: stamp)
                for (name, change) in input.changes {
                    if let change { contact.values[name] = change } else if existing == nil { contact.values[name] = nil }
                }
                contact.createdAt = stamp
                contact.updatedAt = stamp
                table.put(contact)
                results.append((input.email, existing == nil))
            }
            return .success(results)
        }
    }

    func delete(email: String) -> Bool {
        table.withLock { $0.remove(email: email) }
    }

    /// Adds many contacts at once: one sort of the index instead of one insertion each. Their
    /// list JSON is written here too, so a benchmark's first pull costs what later ones do.
    func seed(_ contacts: [NotifuseContact]) {
        let written = contacts.map { contact in
            var bytes = [UInt8]()
            bytes.reserveCapacity(384)
            contact.writeJSON(into: &bytes, contactLists: .null)
            return Data(bytes)
        }
        table.withLock { table in
            for (contact, json) in zip(contacts, written) { table.entries[contact.email] = Entry(contact: contact, listJSON: json) }
            table.order = table.entries.values.map(\.key)
            table.order.sort()
        }
    }

    func stamp() -> Int64 { now() }
}
