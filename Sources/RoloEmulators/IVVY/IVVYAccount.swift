import Foundation

/// The contacts of one iVvy account. Contacts are listed by ascending id (the docs do not
/// say in which order; this one lets `start` offsets stay stable while new contacts are
/// added at the end). A deleted contact leaves the ids list and every reply.
final class IVVYAccount: Sendable {
    private struct Entry {
        var contact: IVVYContact
        var listJSON: Data?
    }

    private struct Table {
        var entries: [Int: Entry] = [:]
        var deleted: Set<Int> = []
        /// Live ids, ascending.
        var order: [Int] = []
        var nextID: Int
        /// Bumped on every write, so a cached filter result knows when it is stale.
        var generation = 0
        var filterCache: (key: Data, generation: Int, ids: [Int])?
    }

    let settings: IVVYAccountSettings
    private let table: Locked<Table>
    private let clock: EmulatorClock

    init(settings: IVVYAccountSettings, firstID: Int, clock: @escaping EmulatorClock) {
        self.settings = settings
        self.clock = clock
        table = Locked(Table(nextID: firstID))
    }

    /// Now, in whole seconds: iVvy's timestamps carry no fraction, and a fraction would make
    /// `fromModifiedDate` miss changes made within the same second.
    func now() -> Int64 { clock().unixMicroseconds.floorDivided(by: 1_000_000) * 1_000_000 }

    var count: Int { table.withLock { $0.order.count } }

    func contact(id: Int) -> IVVYContact? {
        table.withLock { $0.deleted.contains(id) ? nil : $0.entries[id]?.contact }
    }

    func all() -> [IVVYContact] { table.withLock { table in table.order.map { table.entries[$0]!.contact } } }

    func memberCount(group: Int) -> Int {
        table.withLock { table in
            table.order.filter { id in table.entries[id]!.contact.groups.contains { $0.groupId == group } }.count
        }
    }

    /// The first live contact with these names and email (the email compared without case).
    func match(firstName: String, lastName: String, email: String) -> Int? {
        table.withLock { table in
            table.order.first { id in
                let contact = table.entries[id]!.contact
                return contact.firstName == firstName && contact.lastName == lastName
                    && contact.email?.caseInsensitiveCompare(email) == .orderedSame
            }
        }
    }

    /// Adds a contact; returns its id.
    func add(_ changes: IVVYContactChanges) -> Int {
        let stamp = now()
        return table.withLock { table in
            let id = table.nextID
            table.nextID += 1
            var contact = IVVYContact(id: id, created: stamp, modified: stamp)
            Self.apply(changes, to: &contact, at: stamp, replaceCustomFields: true)
            table.entries[id] = Entry(contact: contact)
            table.order.append(id)
            table.generation += 1
            return id
        }
    }

    enum UpdateOutcome { case updated, notFound, anonymised, tooManyExternalURLs }

    func update(id: Int, _ changes: IVVYContactChanges, replaceCustomFields: Bool) -> UpdateOutcome {
        let stamp = now()
        return table.withLock { table in
            guard !table.deleted.contains(id), var entry = table.entries[id] else { return .notFound }
            if entry.contact.isAnonymised { return .anonymised }
            Self.apply(changes, to: &entry.contact, at: stamp, replaceCustomFields: replaceCustomFields)
            // At most three links after the merge, or nothing changes.
            if entry.contact.externalUrls.count > 3 { return .tooManyExternalURLs }
            entry.contact.modified = stamp
            entry.listJSON = nil
            table.entries[id] = entry
            table.generation += 1
            return .updated
        }
    }

    /// `addContactsToSubscriptionGroup` (`member` true) or `removeContactsFromSubscriptionGroup`:
    /// one membership changed, the others kept (a member already keeps its join date). Returns
    /// each contact's status, false for one that does not exist. `touch`: whether the change
    /// moves the contact's `modifiedDate` (UNKNOWN, see `IVVYEmulator.Options`).
    func setMembership(group: Int, contacts: [Int], member: Bool, touch: Bool) -> [(contactId: Int, status: Bool)] {
        let stamp = now()
        return table.withLock { table in
            contacts.map { id in
                guard !table.deleted.contains(id), var entry = table.entries[id] else { return (id, false) }
                guard entry.contact.groups.contains(where: { $0.groupId == group }) != member else { return (id, true) }
                if member {
                    entry.contact.groups.append(.init(groupId: group, joined: stamp))
                } else {
                    entry.contact.groups.removeAll { $0.groupId == group }
                }
                if touch { entry.contact.modified = stamp }
                entry.listJSON = nil
                table.entries[id] = entry
                table.generation += 1
                return (id, true)
            }
        }
    }

    /// A change made behind the API's back (the web-UI hooks): edit any stored value.
    func edit(id: Int, _ body: (inout IVVYContact) -> Void) -> Bool {
        let stamp = now()
        return table.withLock { table in
            guard !table.deleted.contains(id), var entry = table.entries[id] else { return false }
            body(&entry.contact)
            entry.contact.modified = stamp
            entry.listJSON = nil
            table.entries[id] = entry
            table.generation += 1
            return true
        }
    }

    /// Deleted in the web UI: gone from lists and `getContact` (the 2025 announcement).
    func delete(id: Int) -> Bool {
        table.withLock { table in
            guard table.entries[id] != nil, table.deleted.insert(id).inserted else { return false }
            if let index = Self.position(of: id, in: table.order) { table.order.remove(at: index) }
            table.generation += 1
            return true
        }
    }

    /// When a seeded contact joined its groups, without a `modifiedDate`: 2024-01-01 00:00:00 UTC.
    static let seededJoinDate: Int64 = 1_704_067_200 * 1_000_000

    /// `id` of an item: the contact's id, nil for the next free one.
    func seed(_ contacts: [(changes: IVVYContactChanges, modified: Int64?, id: Int?)]) -> [Int] {
        let stamp = now()
        return table.withLock { table in
            table.generation += 1
            return contacts.map { item in
                let id = item.id ?? table.nextID
                table.nextID = max(table.nextID, id + 1)
                var contact = IVVYContact(id: id, created: item.modified ?? stamp, modified: item.modified ?? stamp)
                // A seed names groups, not when they were joined: they are joined when the
                // contact last changed, else on a fixed day, so the same seed gives the same
                // join dates and a sandbox started again lists what the last one did.
                Self.apply(item.changes, to: &contact, at: item.modified ?? Self.seededJoinDate, replaceCustomFields: true)
                // Written now, so a benchmark's first pull costs what later ones do.
                table.entries[id] = Entry(contact: contact, listJSON: contact.json(account: settings, detail: false).serialized())
                table.order.append(id)
                return id
            }
        }
    }

    /// One page of the contacts that pass `filter` (identified by `filterKey` so paging
    /// through the same filter scans once), as serialised JSON, plus the total.
    func page(start: Int, perPage: Int, filterKey: Data?, filter: ((IVVYContact) -> Bool)?) -> (items: [Data], total: Int) {
        table.withLock { table in
            let ids: [Int]
            if let filter, let filterKey {
                if let cached = table.filterCache, cached.key == filterKey, cached.generation == table.generation {
                    ids = cached.ids
                } else {
                    ids = table.order.filter { filter(table.entries[$0]!.contact) }
                    table.filterCache = (filterKey, table.generation, ids)
                }
            } else {
                ids = table.order
            }
            guard start < ids.count else { return ([], ids.count) }
            var items = [Data]()
            for id in ids[start..<min(ids.count, start + perPage)] {
                var entry = table.entries[id]!
                if entry.listJSON == nil {
                    entry.listJSON = entry.contact.json(account: settings, detail: false).serialized()
                    table.entries[id] = entry
                }
                items.append(entry.listJSON!)
            }
            return (items, ids.count)
        }
    }

    private static func position(of id: Int, in order: [Int]) -> Int? {
        var low = 0, high = order.count
        while low < high {
            let middle = (low + high) / 2
            if order[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < order.count && order[low] == id ? low : nil
    }

    static func apply(_ changes: IVVYContactChanges, to contact: inout IVVYContact, at stamp: Int64,
                      replaceCustomFields: Bool) {
        if let value = changes.firstName { contact.firstName = value }
        if let value = changes.lastName { contact.lastName = value }
        if let value = changes.email { contact.email = value }
        if let value = changes.phone { contact.phone = value }
        if let value = changes.externalId { contact.externalId = value }
        if let value = changes.status { contact.status = value }
        if let value = changes.smsStatus { contact.smsStatus = value }
        if let groups = changes.groups {
            // `groups` replaces every membership; a group kept keeps its join date.
            contact.groups = groups.map { groupId in
                contact.groups.first { $0.groupId == groupId } ?? .init(groupId: groupId, joined: stamp)
            }
        }
        if let fields = changes.customFields {
            if replaceCustomFields { contact.customFields = [:] }
            for (fieldId, value) in fields { contact.customFields[fieldId] = value == .null ? nil : value }
        }
        if let companies = changes.companies { contact.companies = companies }
        switch changes.externalUrls {
        case nil: break
        case .some(nil): contact.externalUrls = []
        case .some(.some(let links)):
            for link in links {
                contact.externalUrls.removeAll { $0.ref == link.ref }
                if let url = link.url { contact.externalUrls.append(.init(ref: link.ref, url: url, label: link.label)) }
            }
        }
        if let consent = changes.privacyConsent { contact.privacyConsentAt = consent ? stamp : nil }
    }
}
