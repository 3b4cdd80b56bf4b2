import Foundation

/// The contacts of one DailyStory tenant, with indexes for the lookups the API offers (by
/// dsId, by email, by mobile phone). Email and mobile are not unique: a lookup returns the
/// oldest match.
final class DailyStoryTenant: Sendable {
    private struct Table {
        var contacts: [String: DailyStoryContact] = [:]
        var byEmail: [String: [String]] = [:]
        var byMobile: [String: [String]] = [:]
        var sequence = 0
        var ids: SplitMix64

        /// A 32-character lowercase hex id, the same sequence for the same seed.
        mutating func nextID() -> String {
            while true {
                let id = ids.nextHexID()
                if contacts[id] == nil { return id }
            }
        }

        mutating func index(_ contact: DailyStoryContact, from old: DailyStoryContact?) {
            if let old {
                byEmail[old.email.lowercased()]?.removeAll { $0 == old.dsId }
                byMobile[old.mobilePhone]?.removeAll { $0 == old.dsId }
            }
            if !contact.email.isEmpty { Self.insert(contact, into: &byEmail[contact.email.lowercased(), default: []], in: contacts) }
            if !contact.mobilePhone.isEmpty { Self.insert(contact, into: &byMobile[contact.mobilePhone, default: []], in: contacts) }
            contacts[contact.dsId] = contact
        }

        private static func insert(_ contact: DailyStoryContact, into list: inout [String], in contacts: [String: DailyStoryContact]) {
            let position = list.firstIndex { (contacts[$0]?.sequence ?? .max) > contact.sequence } ?? list.count
            list.insert(contact.dsId, at: position)
        }
    }

    private let table: Locked<Table>
    private let clock: EmulatorClock

    init(clock: @escaping EmulatorClock, idSeed: UInt64) {
        self.clock = clock
        self.table = Locked(Table(ids: SplitMix64(seed: idSeed)))
    }

    var count: Int { table.withLock { $0.contacts.count } }

    func contact(dsId: String) -> DailyStoryContact? { table.withLock { $0.contacts[dsId] } }

    /// The oldest contact with this email (compared without case, as SQL Server does), deleted ones included.
    func first(email: String) -> DailyStoryContact? {
        table.withLock { table in table.byEmail[email.lowercased()]?.first.flatMap { table.contacts[$0] } }
    }

    func first(mobile: String) -> DailyStoryContact? {
        table.withLock { table in table.byMobile[mobile]?.first.flatMap { table.contacts[$0] } }
    }

    func all() -> [DailyStoryContact] {
        table.withLock { $0.contacts.values.sorted { $0.sequence < $1.sequence } }
    }

    /// Creates a contact; returns it.
    func create(_ changes: DailyStoryChanges) -> DailyStoryContact {
        let now = clock().unixMicroseconds
        return table.withLock { table in
            table.sequence += 1
            var contact = DailyStoryContact(dsId: table.nextID(), sequence: table.sequence, created: now, modified: now)
            changes.apply(to: &contact)
            table.index(contact, from: nil)
            return contact
        }
    }

    /// Applies a partial update; nil when there is no such contact.
    func update(dsId: String, _ changes: DailyStoryChanges) -> DailyStoryContact? {
        let now = clock().unixMicroseconds
        return table.withLock { table in
            guard let old = table.contacts[dsId] else { return nil }
            var contact = old
            changes.apply(to: &contact)
            contact.modified = now
            table.index(contact, from: old)
            return contact
        }
    }

    /// The contact this create should merge into: the oldest with the same email, else with
    /// the same mobile phone.
    func mergeTarget(for changes: DailyStoryChanges) -> String? {
        if let email = changes.strings["email"], !email.isEmpty, let match = first(email: email) { return match.dsId }
        if let mobile = changes.strings["mobilePhone"], !mobile.isEmpty, let match = first(mobile: mobile) { return match.dsId }
        return nil
    }

    /// Soft delete: the status becomes Deleted and the record stays readable.
    func softDelete(dsId: String) -> Bool {
        var changes = DailyStoryChanges()
        changes.status = .deleted
        return update(dsId: dsId, changes) != nil
    }

    /// `ids`: the dsId of each contact, nil for one of the tenant's own.
    func seed(_ batch: [DailyStoryChanges], ids: [String?] = []) -> [String] {
        let now = clock().unixMicroseconds
        return table.withLock { table in
            batch.enumerated().map { index, changes in
                table.sequence += 1
                let dsId = (index < ids.count ? ids[index] : nil) ?? table.nextID()
                var contact = DailyStoryContact(dsId: dsId, sequence: table.sequence, created: now, modified: now)
                changes.apply(to: &contact)
                table.index(contact, from: nil)
                return contact.dsId
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for ids that repeat from run to run.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 32 lowercase hex digits: the shape of DailyStory's dsIds and iVvy's batch ids.
    mutating func nextHexID() -> String {
        [next(), next()].map { value in
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
