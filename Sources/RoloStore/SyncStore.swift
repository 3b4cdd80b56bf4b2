import Foundation
import GRDB
import RoloCore

/// A delivery taken by a sync run: the contact as it was when claimed (what is sent), and what
/// the confirmation must check — the outbox revision and the newest edit it carries.
public struct DeliveryClaim: Sendable, Hashable {
    public let state: LocalSyncState
    public let revision: Int64
    /// The newest history row of the contact at the claim: edits up to it are being sent.
    public let history: Int64
    public var contactID: ContactID { state.contactID }
    public var kind: OutboxKind { state.outbox?.kind ?? .update }
}

/// One record of a pulled page: what was decided, the contact's name here, whether its fields
/// change (a change in the provider's own data alone does not count as news), and the contact
/// here the record stands for (nil for a contact new to rolo in a dry run).
public struct PulledOutcome: Sendable {
    public let decision: PullDecision
    public let name: String
    public let changesFields: Bool
    public let contactID: ContactID?
    /// Only what rolo keeps of the provider's own data changes (`PullDecision.changesOnlyProviderData`).
    public var changesOnlyProviderData = false
}

/// What the sync engine needs of the cache, in the cache's own terms: read both sides of a
/// contact, apply what the planner decided, claim and confirm deliveries, and keep where each
/// account's sync stands. Each call is one transaction.
extension LocalCache {
    // MARK: - Reading this side

    /// A contact's link row as the planner sees it, and the contact's name for the report.
    struct LinkRow {
        let snapshot: LinkSnapshot
        let displayName: String

        static let columns = """
            l.contactId, l.remoteId, l.remoteModifiedAt, l.baseRecord IS NOT NULL AS hasBase,
            c.deletedAt IS NOT NULL AS isDeleted, c.displayName, l.baseDigest
            """

        /// Read by position (in `columns` order): a listing reads one per record.
        init(_ row: Row) {
            snapshot = LinkSnapshot(contactID: ContactID(row[0]), remoteID: row[1], remoteModifiedAt: row[2], hasBase: row[3],
                                    isDeleted: row[4], baseDigest: row[6])
            displayName = row[5]
        }
    }

    /// The link rows of an account's contacts linked to these provider ids, by provider id:
    /// one query per 400 ids, and nothing more of the contacts.
    static func linkRows(accountID: Int64, remoteIDs: [String], db: Database) throws -> [String: LinkRow] {
        var links: [String: LinkRow] = [:]
        links.reserveCapacity(remoteIDs.count)
        for start in stride(from: 0, to: remoteIDs.count, by: 400) {
            let chunk = remoteIDs[start..<min(start + 400, remoteIDs.count)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            // Cached: full pages have the same number of ids, so the same statement.
            let statement = try db.cachedStatement(sql: """
                SELECT \(LinkRow.columns) FROM remote_link l JOIN contact c ON c.id = l.contactId
                WHERE l.accountId = ? AND l.remoteId IN (\(marks))
                """)
            let rows = try Row.fetchCursor(statement, arguments: StatementArguments([accountID] + Array(chunk)))
            while let row = try rows.next() {
                let link = LinkRow(row)
                links[link.snapshot.remoteID] = link
            }
        }
        return links
    }

    /// One contact's link row, read now.
    static func linkRow(accountID: Int64, remoteID: String, db: Database) throws -> LinkRow? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT \(LinkRow.columns) FROM remote_link l JOIN contact c ON c.id = l.contactId
            WHERE l.accountId = ? AND l.remoteId = ?
            """), arguments: [accountID, remoteID]).map(LinkRow.init)
    }

    /// The uids among `uids` that some contact of the cache has: only those can be a contact
    /// waiting here for its link (see `unlinkedContact`).
    static func knownUIDs(_ uids: [String], db: Database) throws -> Set<String> {
        var known = Set<String>()
        let wanted = uids.filter { !$0.isEmpty }
        for start in stride(from: 0, to: wanted.count, by: 400) {
            let chunk = wanted[start..<min(start + 400, wanted.count)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let statement = try db.cachedStatement(sql: "SELECT uid FROM contact WHERE uid IN (\(marks))")
            for uid in try String.fetchAll(statement, arguments: StatementArguments(Array(chunk))) { known.insert(uid) }
        }
        return known
    }

    /// Whether any contact of the account waits to be created at the provider.
    static func hasPendingCreates(accountID: Int64, db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM outbox WHERE accountId = ? AND kind = 'create')
            """), arguments: [accountID]) ?? false
    }

    /// The whole local side of one contact (deleted ones too).
    static func syncState(contactID: Int64, db: Database) throws -> LocalSyncState? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT c.deletedAt, l.remoteId, l.remoteModifiedAt, l.baseRecord, l.baseDigest,
                   o.kind, o.state, o.revision, o.attempts, o.idempotencyKey, o.sentRecord
            FROM contact c LEFT JOIN remote_link l ON l.contactId = c.id LEFT JOIN outbox o ON o.contactId = c.id
            WHERE c.id = ?
            """), arguments: [contactID]),
              let contact = try ContactRows.load(id: contactID, db: db, includeDeleted: true) else { return nil }
        var base: Contact?
        if let text: String = row["baseRecord"] {
            guard let decoded = BaseRecord.decode(text, into: contact) else {
                throw RoloError.cache("the record last agreed with the provider for \(ContactID(contactID).shortID) cannot be read")
            }
            base = decoded
        }
        var outbox: OutboxState?
        if let kind: String = row["kind"] {
            outbox = OutboxState(kind: try decode(OutboxKind.self, kind, in: "outbox.kind"),
                                 state: try decode(DeliveryState.self, row["state"], in: "outbox.state"),
                                 revision: row["revision"], attempts: row["attempts"], idempotencyKey: row["idempotencyKey"])
        }
        let inFlight = (row["sentRecord"] as String?).flatMap { BaseRecord.decode($0, into: contact) }
        return LocalSyncState(contactID: ContactID(contactID), contact: contact, isDeleted: (row["deletedAt"] as Int64?) != nil,
                              remoteID: row["remoteId"], remoteModifiedAt: row["remoteModifiedAt"], base: base, outbox: outbox,
                              conflicts: try conflicts(contactID: contactID, db: db), inFlight: inFlight,
                              baseWasListed: (row["baseDigest"] as String?) != nil)
    }

    /// A contact of the account that waits to be created and holds this email: where the
    /// provider keys contacts by email, a pulled contact with the same email is the same one.
    /// A contact of the account not linked to the provider yet that has `uid`: a create whose
    /// answer was lost, coming back in a listing (iVvy keeps rolo's uid as its externalId).
    static func unlinkedContact(uid: String, accountID: Int64, db: Database) throws -> LocalSyncState? {
        guard !uid.isEmpty, let id = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT c.id FROM contact c LEFT JOIN remote_link l ON l.contactId = c.id
            WHERE c.uid = ? AND c.accountId = ? AND l.contactId IS NULL
            """), arguments: [uid, accountID]) else { return nil }
        return try syncState(contactID: id, db: db)
    }

    /// The contact a listed record is, when that contact's key is being changed and the change
    /// stopped half-way: the provider made it under its new key (with the uid rolo sent) and
    /// still has the old one, which the contact is linked to, with the change waiting to be
    /// sent again. Nil for any other record — a contact someone else made under that key is a
    /// new contact, as always.
    static func keyChangeUnderWay(_ record: RemoteRecord, accountID: Int64, db: Database) throws -> (id: ContactID, name: String)? {
        guard let uid = record.originUID, !uid.isEmpty, let email = record.contact.email,
              let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT c.id, c.displayName FROM contact c
                JOIN remote_link l ON l.contactId = c.id AND l.remoteId <> ?
                JOIN outbox o ON o.contactId = c.id AND o.kind = 'update'
                WHERE c.uid = ? AND c.accountId = ? AND c.deletedAt IS NULL AND c.email = ? COLLATE NOCASE
                """), arguments: [record.remoteID, uid, accountID, email]) else { return nil }
        return (ContactID(row[0]), row[1])
    }

    /// The contact linked to `remoteID` in the account other than `contactID`, if any.
    static func otherLink(remoteID: String, accountID: Int64, contactID: Int64, db: Database) throws -> (id: Int64, name: String)? {
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT contactId FROM remote_link WHERE accountId = ? AND remoteId = ? AND contactId <> ?
            """), arguments: [accountID, remoteID, contactID]) else { return nil }
        return (id, try syncState(contactID: id, db: db)?.contact.displayName ?? "another contact")
    }

    /// Why a contact cannot take the link to `remoteID`: another one here has it already (the
    /// same person twice, which only the user can sort out). Nil when it can.
    public func linkRefusal(remoteID: String, accountID: Int64, contactID: ContactID) throws -> String? {
        try read { db in
            try LocalCache.otherLink(remoteID: remoteID, accountID: accountID, contactID: contactID.rawValue, db: db)
                .map { LocalCache.duplicateMessage(name: $0.name) }
        }
    }

    static func duplicateMessage(name: String) -> String {
        "the provider has this contact already, synced here as “\(name)”: keep one of the two (delete the other here) and sync again"
    }

    static func pendingCreate(email: String, accountID: Int64, db: Database) throws -> LocalSyncState? {
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT c.id FROM contact c JOIN outbox o ON o.contactId = c.id
            WHERE c.accountId = ? AND c.email = ? COLLATE NOCASE AND o.kind = 'create' AND c.deletedAt IS NULL
            ORDER BY c.id LIMIT 1
            """), arguments: [accountID, email]) else { return nil }
        return try syncState(contactID: id, db: db)
    }

    static func conflicts(contactID: Int64, db: Database) throws -> [FieldConflict] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT kind, field, baseValue, localValue, remoteValue FROM conflict WHERE contactId = ? ORDER BY id
            """), arguments: [contactID]).map { row in
            let kind = try decode(FieldConflict.Kind.self, row["kind"], in: "conflict.kind")
            guard kind == .field else { return FieldConflict.contactDeleted(kind) }
            let name: String = row["field"]
            guard let key = DeltaCoding.fieldKey(name) else { throw StoredValueError(table: "conflict", column: "field", value: name) }
            return FieldConflict(kind: .field, key: key,
                                 base: try DeltaCoding.decodeValue(row["baseValue"], for: key, table: "conflict", column: "baseValue"),
                                 local: try DeltaCoding.decodeValue(row["localValue"], for: key, table: "conflict", column: "localValue"),
                                 remote: try DeltaCoding.decodeValue(row["remoteValue"], for: key, table: "conflict", column: "remoteValue"))
        }
    }

    // MARK: - Pulling

    /// Applies records of the provider's listing (one page or several) in one transaction: for
    /// each record, in order, the local side is read inside the transaction (a contact edited
    /// in the TUI a moment ago included), the planner decides what to do, and it is done. With
    /// `dryRun` nothing is written and the decisions are only returned. `matchEmail`: a record
    /// not linked yet may be a contact waiting here to be created with the same email.
    ///
    /// `decideFromLink` is asked first, with the contact's link row only; when it says `.keep`,
    /// nothing more of the contact is read. `decide` gets the whole local side otherwise.
    /// `digest` is the sync's digest of a base record: the link keeps it next to every base a
    /// pull writes or finds agreed, for `decideFromLink` to compare the next listing with.
    ///
    /// `prepared` holds, by provider id, what creating a record's contact computes from the
    /// record alone, made ahead on another thread (`PreparedCreate`).
    public func applyPulledPage(accountID: Int64, records: [RemoteRecord], source: Author, matchEmail: Bool, dryRun: Bool,
                                digest: (Contact) -> String? = { _ in nil },
                                prepared: [String: PreparedCreate] = [:],
                                decideFromLink: (RemoteRecord, LinkSnapshot) -> PullDecision? = { _, _ in nil },
                                decide: (RemoteRecord, LocalSyncState?) throws -> PullDecision) throws -> [PulledOutcome] {
        let body: (Database) throws -> [PulledOutcome] = { db in
            let links = try LocalCache.linkRows(accountID: accountID, remoteIDs: records.map(\.remoteID), db: db)
            // Which records can be a contact here that is not linked yet, asked once for all:
            // applying a record never unlinks a contact, gives a contact a uid the provider
            // lists, or queues a create for another contact.
            let unlinkedRecords = records.filter { links[$0.remoteID] == nil }
            let knownUIDs = unlinkedRecords.isEmpty ? [] : try LocalCache.knownUIDs(unlinkedRecords.map(\.contact.uid), db: db)
            let pendingCreates = !unlinkedRecords.isEmpty && matchEmail ? try LocalCache.hasPendingCreates(accountID: accountID, db: db) : false
            var keysMayBeChanging = false
            if unlinkedRecords.contains(where: { $0.originUID != nil }) {
                keysMayBeChanging = try Bool.fetchOne(db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM outbox WHERE accountId = ? AND kind = 'update')
                    """), arguments: [accountID]) ?? false
            }
            // A listing that moves under the reader can bring a contact twice; the second time
            // its link is read again, as the first may have made or changed it.
            var applied = Set<String>()
            var decisions: [PulledOutcome] = []
            decisions.reserveCapacity(records.count)
            let index = try SearchIndex.Batch(db)
            for record in records {
                let link = applied.contains(record.remoteID)
                    ? try LocalCache.linkRow(accountID: accountID, remoteID: record.remoteID, db: db) : links[record.remoteID]
                applied.insert(record.remoteID)
                if let link, decideFromLink(record, link.snapshot) == .keep {
                    // Nothing to write, and nothing more of the contact to read. (`changesFields`
                    // is true for every decision but `.apply`.)
                    decisions.append(PulledOutcome(decision: .keep, name: link.displayName, changesFields: true,
                                                   contactID: link.snapshot.contactID))
                    continue
                }
                var state: LocalSyncState?
                if let link {
                    state = try LocalCache.syncState(contactID: link.snapshot.contactID.rawValue, db: db)
                }
                if state == nil, knownUIDs.contains(record.contact.uid) {
                    state = try LocalCache.unlinkedContact(uid: record.contact.uid, accountID: accountID, db: db)
                }
                if state == nil, pendingCreates, let email = record.contact.email {
                    state = try LocalCache.pendingCreate(email: email, accountID: accountID, db: db)
                }
                if link == nil, keysMayBeChanging, let moving = try LocalCache.keyChangeUnderWay(record, accountID: accountID, db: db) {
                    // This contact under the key it is being moved to: not a new one. The push
                    // finishes the move.
                    decisions.append(PulledOutcome(decision: .keep, name: moving.name, changesFields: true, contactID: moving.id))
                    continue
                }
                let decision = try decide(record, state)
                var contactID = state?.contactID
                if !dryRun {
                    contactID = try self.apply(decision, record: record, state: state, accountID: accountID, source: source,
                                               digest: digest, prepared: prepared[record.remoteID], index: index, db: db) ?? contactID
                    if decision == .keep, let link, let base = state?.base, let known = digest(base), link.snapshot.baseDigest != known {
                        // Found agreed the long way (a base written by a push, or before digests
                        // were kept): the next listing can see it from the link.
                        try db.cachedStatement(sql: "UPDATE remote_link SET baseDigest = ? WHERE contactId = ?")
                            .execute(arguments: [known, link.snapshot.contactID.rawValue])
                    }
                    if index.count >= SearchIndex.batchSize { try index.flush() }
                }
                decisions.append(PulledOutcome(decision: decision, name: state?.contact.displayName ?? record.contact.displayName,
                                               changesFields: state.map { decision.changesFields(of: $0.contact) } ?? true,
                                               contactID: contactID,
                                               changesOnlyProviderData: state.map { decision.changesOnlyProviderData(of: $0) } ?? false))
            }
            if !dryRun { try index.flush() }
            return decisions
        }
        return dryRun ? try read(body) : try write(body)
    }

    /// Applies one decision about one contact, re-reading its local side inside the
    /// transaction first (for deletes found at the end of a listing, and single refreshes).
    public func applyDecision(contactID: ContactID, record: RemoteRecord?, accountID: Int64, source: Author, dryRun: Bool,
                              decide: (RemoteRecord?, LocalSyncState) throws -> PullDecision) throws -> PullDecision? {
        let body: (Database) throws -> PullDecision? = { db in
            guard let state = try LocalCache.syncState(contactID: contactID.rawValue, db: db) else { return nil }
            let decision = try decide(record, state)
            if !dryRun {
                let index = try SearchIndex.Batch(db)
                try self.apply(decision, record: record, state: state, accountID: accountID, source: source, index: index, db: db)
                try index.flush()
            }
            return decision
        }
        return dryRun ? try read(body) : try write(body)
    }

    /// Applies decisions about several contacts in one transaction, in order, each exactly as
    /// `applyDecision` would (its local side re-read first): the results of a refresh, which
    /// come one contact per request. A contact found unchanged is marked synced now as well, so
    /// that the next refresh of the least recently synced starts with the ones after it.
    public func applyDecisions(_ items: [(contactID: ContactID, record: RemoteRecord?)], accountID: Int64, source: Author,
                               dryRun: Bool, decide: (RemoteRecord?, LocalSyncState) throws -> PullDecision) throws -> [PullDecision?] {
        guard !items.isEmpty else { return [] }
        let body: (Database) throws -> [PullDecision?] = { db in
            let now = self.clock().millisecondsSinceEpoch
            let index = try SearchIndex.Batch(db)
            var decisions: [PullDecision?] = []
            decisions.reserveCapacity(items.count)
            for (contactID, record) in items {
                guard let state = try LocalCache.syncState(contactID: contactID.rawValue, db: db) else {
                    decisions.append(nil)
                    continue
                }
                let decision = try decide(record, state)
                if !dryRun {
                    try self.apply(decision, record: record, state: state, accountID: accountID, source: source, index: index, db: db)
                    if decision == .keep, record != nil {
                        try db.cachedStatement(sql: "UPDATE remote_link SET syncedAt = ? WHERE contactId = ?")
                            .execute(arguments: [now, contactID.rawValue])
                    }
                    if index.count >= SearchIndex.batchSize { try index.flush() }
                }
                decisions.append(decision)
            }
            if !dryRun { try index.flush() }
            return decisions
        }
        return dryRun ? try read(body) : try write(body)
    }

    /// The contacts of an account linked to the provider that are not in `seen` (the contacts
    /// a complete listing stood for): the ones the provider may have deleted.
    public func linkedContacts(of accountID: Int64, notIn seen: Set<ContactID>) throws -> [ContactID] {
        try read { db in
            var missing: [ContactID] = []
            let ids = try Int64.fetchCursor(db, sql: "SELECT contactId FROM remote_link WHERE accountId = ?", arguments: [accountID])
            while let id = try ids.next() {
                if !seen.contains(ContactID(id)) { missing.append(ContactID(id)) }
            }
            return missing
        }
    }

    /// The contact of an account linked to a provider id, if one is (provider ids are unique
    /// only within an account: two providers may both have a contact 42).
    public func linkedContact(remoteID: String, accountID: Int64) throws -> ContactID? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT contactId FROM remote_link WHERE accountId = ? AND remoteId = ?",
                               arguments: [accountID, remoteID]).map(ContactID.init)
        }
    }

    /// The contacts of an account linked to the provider, least recently synced first: what a
    /// provider that cannot list refreshes, a slice at a time.
    public func linkedContacts(of accountID: Int64, leastRecentlySynced limit: Int) throws -> [(ContactID, String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT contactId, remoteId FROM remote_link WHERE accountId = ? ORDER BY coalesce(syncedAt, 0), contactId LIMIT ?
                """, arguments: [accountID, limit]).map { (ContactID($0["contactId"]), $0["remoteId"]) }
        }
    }

    /// Carries out a decision. Returns the contact it created, if it created one.
    @discardableResult
    private func apply(_ decision: PullDecision, record: RemoteRecord?, state: LocalSyncState?, accountID: Int64,
                       source: Author, digest: (Contact) -> String? = { _ in nil }, prepared: PreparedCreate? = nil,
                       index: SearchIndex.Batch, db: Database) throws -> ContactID? {
        let now = clock().millisecondsSinceEpoch
        switch decision {
        case .keep:
            return nil
        case .stamp:
            guard let state, let record else { return nil }
            try db.cachedStatement(sql: "UPDATE remote_link SET remoteModifiedAt = ?, syncedAt = ?, baseDigest = ? WHERE contactId = ?")
                .execute(arguments: [record.modifiedAt, now, state.base.flatMap(digest), state.contactID.rawValue])
        case .create(let contact):
            guard let record else { return nil }
            // Made ahead from this very contact for this account, or not used.
            let ready = prepared.flatMap { $0.source == contact && $0.accountID == accountID ? $0 : nil }
            var new = contact
            new.id = nil
            new.accountID = accountID
            new.uid = ready?.uid ?? Contact.newUID()
            new.createdAt = clock()
            new.updatedAt = new.createdAt
            let sortKey = ready?.row.sortKey ?? new.sortKey
            let hash = ready?.row.hash ?? ContentHash.of(new)
            let rank = try RankAllocator.rank(for: sortKey, index: index, db: db)
            new.id = ContactID(try ContactRows.insert(new, rank: rank, sortKey: sortKey, hash: hash, document: ready?.document,
                                                      index: index, db: db))
            // The contact as the provider has it is the base: the same record, so the same hash.
            try LocalCache.writeLink(contactID: new.id!.rawValue, accountID: accountID, remoteID: record.remoteID,
                                     modifiedAt: record.modifiedAt, base: new, baseText: ready?.base, baseHash: hash,
                                     baseDigest: ready == nil ? digest(new) : ready!.digest, syncedAt: now, db: db)
            try recordAudit("created at provider", contact: new, encodedDeltas: ready?.row.creation ?? DeltaCoding.encodeCreation(of: new),
                            author: source, source: "provider", db: db)
            return new.id
        case .apply(let merged, let base, let conflicts):
            guard let state, let record else { return nil }
            var contact = merged
            contact.id = state.contactID
            let deltas = BaseRecord.changes(from: state.contact, to: contact)
            if !deltas.isEmpty || contact.extensions != state.contact.extensions {
                // "Changed" is when a field changed: the provider's own data moving alone
                // (a counter, a score it keeps) is stored without it.
                contact.updatedAt = deltas.isEmpty ? state.contact.updatedAt : clock()
                try ContactRows.update(contact, index: index, db: db)
                if !deltas.isEmpty {
                    try recordAudit("changed at provider", contact: contact, deltas: deltas, author: source, source: "provider", db: db)
                }
            }
            try LocalCache.writeLink(contactID: state.contactID.rawValue, accountID: accountID, remoteID: record.remoteID,
                                     modifiedAt: record.modifiedAt, base: base, baseDigest: digest(base), syncedAt: now, db: db)
            try LocalCache.replaceConflicts(conflicts, contactID: state.contactID.rawValue, now: now, db: db)
            // What was in flight is weighed now: the provider's record is the new base.
            try db.cachedStatement(sql: "UPDATE outbox SET sentRecord = NULL WHERE contactId = ?").execute(arguments: [state.contactID.rawValue])
            try settleOutbox(contactID: state.contactID.rawValue, accountID: accountID, inConflict: !conflicts.isEmpty, db: db)
        case .deleteLocal:
            guard let state else { return nil }
            try recordAudit("deleted at provider", contact: state.contact,
                            deltas: LocalCache.allFields(of: state.contact).map(\.reverted), author: source, source: "provider", db: db)
            try LocalCache.purge(contactID: state.contactID.rawValue, db: db)
        case .forget:
            guard let state else { return nil }
            try LocalCache.purge(contactID: state.contactID.rawValue, db: db)
        case .conflictOnDelete(let kind, let remote):
            guard let state else { return nil }
            if let remote, let record {
                // Deleted here, changed there: the provider's record becomes the base, so
                // "theirs" brings it back as it is now.
                var base = remote
                base.id = state.contactID
                base.uid = state.contact.uid
                base.accountID = accountID
                try LocalCache.writeLink(contactID: state.contactID.rawValue, accountID: accountID, remoteID: record.remoteID,
                                         modifiedAt: record.modifiedAt, base: base, syncedAt: now, db: db)
            }
            try LocalCache.replaceConflicts([.contactDeleted(kind)], contactID: state.contactID.rawValue, now: now, db: db)
            try settleOutbox(contactID: state.contactID.rawValue, accountID: accountID, inConflict: true, db: db)
        }
        return nil
    }

    /// Links a contact to the provider with a new base. `baseDigest` is the sync's digest of
    /// that base when the caller knows it; nil leaves it unknown until a pull finds it.
    /// `baseText`, when given, is `BaseRecord.encode(base)`, made ahead.
    static func writeLink(contactID: Int64, accountID: Int64, remoteID: String, modifiedAt: String?, base: Contact,
                          baseText: String? = nil, baseHash: String? = nil, baseDigest: String? = nil, syncedAt: Int64,
                          db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO remote_link (contactId, accountId, remoteId, remoteModifiedAt, baseRecord, baseHash, baseDigest, syncedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (contactId) DO UPDATE SET remoteId = excluded.remoteId, remoteModifiedAt = excluded.remoteModifiedAt,
                baseRecord = excluded.baseRecord, baseHash = excluded.baseHash, baseDigest = excluded.baseDigest,
                syncedAt = excluded.syncedAt
            """).execute(arguments: [contactID, accountID, remoteID, modifiedAt, baseText ?? BaseRecord.encode(base), baseHash ?? ContentHash.of(base),
                                     baseDigest, syncedAt])
    }

    static func replaceConflicts(_ conflicts: [FieldConflict], contactID: Int64, now: Int64, db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM conflict WHERE contactId = ?").execute(arguments: [contactID])
        for conflict in conflicts {
            try db.cachedStatement(sql: """
                INSERT INTO conflict (contactId, field, baseValue, localValue, remoteValue, detectedAt, kind) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [contactID, conflict.key.map(DeltaCoding.fieldName) ?? "", DeltaCoding.encodeValue(conflict.base),
                                         DeltaCoding.encodeValue(conflict.local), DeltaCoding.encodeValue(conflict.remote), now,
                                         conflict.kind.rawValue])
        }
    }

    /// The outbox entry after the base moved: what differs waits, in conflict while the user
    /// must decide, pending otherwise.
    func settleOutbox(contactID: Int64, accountID: Int64, inConflict: Bool, db: Database) throws {
        try queueForProvider(contactID: contactID, accountID: accountID, db: db)
        let state = inConflict ? DeliveryState.conflict : .pending
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = ?, updatedAt = ? WHERE contactId = ? AND state IN ('pending', 'conflict', 'failed')
            """).execute(arguments: [state.rawValue, clock().millisecondsSinceEpoch, contactID])
    }

    /// Removes a contact for good: its row, values, link, outbox entry, conflicts and index row.
    static func purge(contactID: Int64, db: Database) throws {
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT rank, deletedAt FROM contact WHERE id = ?"), arguments: [contactID]),
           (row["deletedAt"] as Int64?) == nil {
            try SearchIndex.remove(rank: row["rank"], db: db)
        }
        try db.cachedStatement(sql: "DELETE FROM contact WHERE id = ?").execute(arguments: [contactID])
    }

    // MARK: - Pushing

    /// Puts back deliveries a run left in `sending` (it was killed): one sync at a time holds
    /// the cache's sync lock, so any it finds were interrupted and go out again.
    public func resetInterruptedDeliveries(accountID: Int64) throws -> Int {
        try write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = 'pending', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL
                WHERE accountId = ? AND state = 'sending'
                """, arguments: [accountID])
            return db.changesCount
        }
    }

    /// Claims up to `limit` deliveries that are due (pending, or failed with a retry time that
    /// has come), oldest first, marking them `sending` for `run`.
    public func claimDueDeliveries(accountID: Int64, limit: Int, run: String, excluding: Set<ContactID> = []) throws -> [DeliveryClaim] {
        try write { db in
            let now = clock().millisecondsSinceEpoch
            let ids = try Int64.fetchAll(db, sql: """
                SELECT contactId FROM outbox
                WHERE accountId = ? AND (state = 'pending' OR (state = 'failed' AND nextAttemptAt IS NOT NULL))
                  AND (nextAttemptAt IS NULL OR nextAttemptAt <= ?)
                ORDER BY createdAt, contactId LIMIT ?
                """, arguments: [accountID, now, limit + excluding.count]).filter { !excluding.contains(ContactID($0)) }.prefix(limit)
            var claims: [DeliveryClaim] = []
            for id in ids {
                guard let state = try LocalCache.syncState(contactID: id, db: db), let outbox = state.outbox else { continue }
                let history = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM audit WHERE contactId = ?",
                                                 arguments: [id]) ?? 0
                try db.execute(sql: """
                    UPDATE outbox SET state = 'sending', claimedBy = ?, claimedRevision = revision, claimedHistory = ?,
                        attempts = attempts + 1, sentRecord = ?, updatedAt = ? WHERE contactId = ?
                    """, arguments: [run, history, BaseRecord.encode(state.contact), now, id])
                claims.append(DeliveryClaim(state: state, revision: outbox.revision, history: history))
            }
            return claims
        }
    }

    /// What the provider confirmed, applied in one transaction: the link with its id and the
    /// record sent as the new base, the edits it carried out of undo's reach, and the outbox
    /// entry gone — unless the contact changed while it was being sent, then it waits again.
    public struct Confirmation: Sendable {
        public let claim: DeliveryClaim
        /// The provider's id after the push (new for a create, changed by a Notifuse email change).
        public let remoteID: String?
        public let modifiedAt: String?
        /// The record now agreed with the provider.
        public let base: Contact?
        public init(claim: DeliveryClaim, remoteID: String?, modifiedAt: String?, base: Contact?) {
            self.claim = claim
            self.remoteID = remoteID
            self.modifiedAt = modifiedAt
            self.base = base
        }
    }

    /// Records what the provider confirmed. Returns the deliveries it could not take, with why:
    /// a create the provider answered with a contact another one here is synced with already.
    @discardableResult
    public func confirmDeliveries(_ confirmations: [Confirmation], accountID: Int64) throws -> [(ContactID, String)] {
        guard !confirmations.isEmpty else { return [] }
        return try write { db in
            var refused: [(ContactID, String)] = []
            let now = clock().millisecondsSinceEpoch
            for confirmation in confirmations {
                let id = confirmation.claim.contactID.rawValue
                switch confirmation.claim.kind {
                case .delete where confirmation.remoteID == nil:
                    // Gone at the provider: the tombstone has done its work.
                    try LocalCache.purge(contactID: id, db: db)
                    continue
                default:
                    if let remoteID = confirmation.remoteID, let base = confirmation.base {
                        if let other = try LocalCache.otherLink(remoteID: remoteID, accountID: accountID, contactID: id, db: db) {
                            // Sent, but the provider answered with a contact another one here
                            // stands for: the user decides which stays.
                            try db.execute(sql: """
                                UPDATE outbox SET state = 'failed', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                                    lastError = ?, nextAttemptAt = NULL, updatedAt = ? WHERE contactId = ?
                                """, arguments: [LocalCache.duplicateMessage(name: other.name), now, id])
                            refused.append((confirmation.claim.contactID, LocalCache.duplicateMessage(name: other.name)))
                            continue
                        }
                        try LocalCache.writeLink(contactID: id, accountID: accountID, remoteID: remoteID,
                                                 modifiedAt: confirmation.modifiedAt, base: base, syncedAt: now, db: db)
                    }
                }
                try db.cachedStatement(sql: "UPDATE audit SET undo = 'sent' WHERE contactId = ? AND undo = 'open' AND id <= ?")
                    .execute(arguments: [id, confirmation.claim.history])
                try db.cachedStatement(sql: """
                    UPDATE outbox SET state = 'pending', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                        attempts = 0, lastError = NULL, nextAttemptAt = NULL, sentRecord = NULL, updatedAt = ? WHERE contactId = ?
                    """).execute(arguments: [now, id])
                if confirmation.claim.kind == .delete {
                    // A provider that cannot delete keeps the contact; here it stays deleted,
                    // and nothing more waits.
                    try db.cachedStatement(sql: "DELETE FROM outbox WHERE contactId = ?").execute(arguments: [id])
                } else {
                    try queueForProvider(contactID: id, accountID: accountID, db: db)
                }
            }
            return refused
        }
    }

    /// A delivery that did not go through. `retryAt`: when it may be tried again by itself
    /// (nil: only after the user changes the contact or asks for a retry). A contact changed
    /// while it was being sent waits again as new.
    public func failDelivery(_ claim: DeliveryClaim, message: String, retryAt: Timestamp?) throws {
        try write { db in
            let now = clock().millisecondsSinceEpoch
            let revision = try Int64.fetchOne(db, sql: "SELECT revision FROM outbox WHERE contactId = ?",
                                              arguments: [claim.contactID.rawValue])
            if let revision, revision != claim.revision {
                try db.execute(sql: """
                    UPDATE outbox SET state = 'pending', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                        attempts = 0, lastError = ?, nextAttemptAt = NULL, updatedAt = ? WHERE contactId = ?
                    """, arguments: [message, now, claim.contactID.rawValue])
            } else {
                try db.execute(sql: """
                    UPDATE outbox SET state = 'failed', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                        lastError = ?, nextAttemptAt = ?, updatedAt = ? WHERE contactId = ?
                    """, arguments: [message, retryAt?.millisecondsSinceEpoch, now, claim.contactID.rawValue])
            }
        }
    }

    /// Gives deliveries back untried (the run stopped before sending them): pending again, the
    /// attempt not counted.
    public func releaseDeliveries(_ claims: [DeliveryClaim]) throws {
        guard !claims.isEmpty else { return }
        try write { db in
            for claim in claims {
                try db.cachedStatement(sql: """
                    UPDATE outbox SET state = 'pending', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                        attempts = max(0, attempts - 1) WHERE contactId = ? AND state = 'sending'
                    """).execute(arguments: [claim.contactID.rawValue])
            }
        }
    }

    /// Marks a failed delivery due now (the user asked for a retry). False when there was none.
    @discardableResult
    public func retryDelivery(_ id: ContactID) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = 'pending', nextAttemptAt = NULL, attempts = 0 WHERE contactId = ? AND state = 'failed'
                """, arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    // MARK: - Where sync stands

    public struct SyncProgressMark: Sendable, Hashable {
        public let highWaterMark: String?
        public let lastFullListingAt: Timestamp?
        public let lastRunAt: Timestamp?
        public let lastOutcome: String?
        public let lastError: String?
    }

    public func syncMark(accountID: Int64) throws -> SyncProgressMark {
        try read { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM sync_state WHERE accountId = ?", arguments: [accountID])
            return SyncProgressMark(highWaterMark: row?["highWaterMark"],
                                    lastFullListingAt: (row?["lastFullListingAt"] as Int64?).map(Timestamp.init),
                                    lastRunAt: (row?["lastRunAt"] as Int64?).map(Timestamp.init),
                                    lastOutcome: row?["lastOutcome"], lastError: row?["lastError"])
        }
    }

    /// Records how a run ended. `completed`: the account is in step (the last-sync time moves);
    /// `highWaterMark` and `fullListing` only when the listing they stand for was complete.
    public func recordSyncRun(accountID: Int64, outcome: String, error: String?, completed: Bool,
                              highWaterMark: String?, fullListing: Bool) throws {
        try write { db in
            let now = clock().millisecondsSinceEpoch
            try db.execute(sql: """
                INSERT INTO sync_state (accountId, lastRunAt, lastOutcome, lastError) VALUES (?, ?, ?, ?)
                ON CONFLICT (accountId) DO UPDATE SET lastRunAt = excluded.lastRunAt, lastOutcome = excluded.lastOutcome,
                    lastError = excluded.lastError
                """, arguments: [accountID, now, outcome, error])
            if let highWaterMark {
                try db.execute(sql: "UPDATE sync_state SET highWaterMark = ? WHERE accountId = ?", arguments: [highWaterMark, accountID])
            }
            if fullListing {
                try db.execute(sql: "UPDATE sync_state SET lastFullListingAt = ? WHERE accountId = ?", arguments: [now, accountID])
            }
            if completed {
                try db.execute(sql: "UPDATE account SET lastSyncAt = ? WHERE id = ?", arguments: [now, accountID])
            }
        }
    }
}

extension LocalCache {
    /// The deliveries that are due, read without claiming them (what a dry run would send).
    public func dueDeliveries(accountID: Int64, limit: Int) throws -> [LocalSyncState] {
        try read { db in
            try Int64.fetchAll(db, sql: """
                SELECT contactId FROM outbox
                WHERE accountId = ? AND (state = 'pending' OR (state = 'failed' AND nextAttemptAt IS NOT NULL))
                  AND (nextAttemptAt IS NULL OR nextAttemptAt <= ?)
                ORDER BY createdAt, contactId LIMIT ?
                """, arguments: [accountID, clock().millisecondsSinceEpoch, limit]).compactMap {
                try LocalCache.syncState(contactID: $0, db: db)
            }
        }
    }

    /// Ends a claim without a push: its entry is worked out again from the contact (after a
    /// retried create found what its first attempt made, and was linked to it).
    public func settleClaim(_ claim: DeliveryClaim, accountID: Int64) throws {
        try write { db in
            let id = claim.contactID.rawValue
            try db.execute(sql: """
                UPDATE outbox SET state = 'pending', claimedBy = NULL, claimedRevision = NULL, claimedHistory = NULL,
                    attempts = 0, lastError = NULL, nextAttemptAt = NULL WHERE contactId = ?
                """, arguments: [id])
            let inConflict = try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict WHERE contactId = ?", arguments: [id]) ?? 0 > 0
            try settleOutbox(contactID: id, accountID: accountID, inConflict: inConflict, db: db)
        }
    }

    /// The local side of one contact, for a refresh.
    public func syncState(of id: ContactID) throws -> LocalSyncState? {
        try read { db in try LocalCache.syncState(contactID: id.rawValue, db: db) }
    }
}

extension LocalCache {
    /// Every contact of an account as last agreed with its provider, with its provider id:
    /// what the cache believes the provider holds (`rolo sandbox` seeds its servers with it).
    public func agreedRecords(accountID: Int64) throws -> [(remoteID: String, record: Contact)] {
        try read { db in
            var records: [(String, Contact)] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT l.contactId, l.remoteId, l.baseRecord FROM remote_link l WHERE l.accountId = ? ORDER BY l.contactId
                """, arguments: [accountID])
            while let row = try rows.next() {
                guard let text: String = row["baseRecord"],
                      let contact = try ContactRows.load(id: row["contactId"], db: db, includeDeleted: true),
                      let base = BaseRecord.decode(text, into: contact) else { continue }
                records.append((row["remoteId"], base))
            }
            return records
        }
    }
}

/// What creating a contact from a provider's record computes from the record alone — a uid,
/// the sort key, content hash, index row, base record, digest and audit text — made ahead on
/// the thread that reads the listing, while the one writing applies the pages before. A pull
/// of a new account creates every contact it reads, and those were a sixth of its writing
/// thread. Used only for the record it was made from (`source`), in its account.
public struct PreparedCreate: Sendable {
    let source: Contact
    let accountID: Int64
    let uid: String
    /// The sort key, hash and audit text, as an import's reader makes them too.
    let row: PreparedRow
    let document: [String]
    let base: String
    let digest: String?

    /// `digest` is the sync's digest of a base record (`applyPulledPage`'s).
    public init(_ record: Contact, accountID: Int64, digest: (Contact) -> String?) {
        source = record
        self.accountID = accountID
        var new = record
        new.id = nil
        new.accountID = accountID
        new.uid = Contact.newUID()
        uid = new.uid
        row = PreparedRow(new)
        document = SearchIndex.document(for: new)
        base = BaseRecord.encode(new)
        self.digest = digest(new)
    }
}

extension LocalCache {
    /// Whether any contact of the account is linked to its provider: a pull into an account
    /// without one creates every contact it reads.
    public func hasLinkedContacts(accountID: Int64) throws -> Bool {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT 1 FROM remote_link WHERE accountId = ? LIMIT 1", arguments: [accountID]) != nil
        }
    }
}
