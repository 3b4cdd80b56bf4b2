import GRDB
import RoloCore

extension LocalCache {
    /// Stores a new contact, its outbox entry and its audit row in one transaction, and clears
    /// the draft it came from. The contact must already be validated.
    ///
    /// `releasing` is the draft of the form being saved and the rolo holding it: when that rolo
    /// no longer holds it (another took it over), nothing is written and `DraftNotHeld` is thrown.
    @discardableResult
    public func insertContact(_ contact: Contact, author: Author, releasing draft: (DraftID, EditorSession)? = nil,
                              adding definitions: [FieldDefinition] = []) throws -> Contact {
        try write { db in
            if let (id, session) = draft { try LocalCache.release(id, by: session, db: db, required: true) }
            try LocalCache.append(definitions, accountID: contact.accountID, db: db)
            let index = try SearchIndex.Batch(db)
            let stored = try self.insert(contact, author: author, index: index, db: db)
            try index.flush()
            return stored
        }
    }

    /// Stores many new contacts in one transaction (an import): all or nothing. Returns their
    /// ids in the order given.
    ///
    /// Into an empty cache the contacts are ranked in one pass, in name order, which is much
    /// faster than placing them one by one.
    ///
    /// A contact with a `remotes` entry (same index) is already at its provider: it is linked
    /// to the provider's id with itself as the base record, and no create is queued for it.
    @discardableResult
    public func insertContacts(_ contacts: [Contact], remotes: [RemoteReference?] = [], author: Author) throws -> [ContactID] {
        guard !contacts.isEmpty else { return [] }
        let remoteByUID = Dictionary(zip(contacts.map(\.uid), remotes).compactMap { uid, remote in remote.map { (uid, $0) } },
                                     uniquingKeysWith: { first, _ in first })
        return try write { db in
            // Checked again inside the write: another rolo may have stored the same contacts
            // since the caller looked (two imports of one file at once).
            if let taken = try LocalCache.existingUIDs(contacts.map(\.uid), db: db).sorted().first {
                throw RoloError.invalid(field: "uid", "\(taken) is already in the cache (another rolo stored it just now); nothing was imported")
            }
            return try LocalCache.withLargeCache(db) {
            var ids: [ContactID] = []
            ids.reserveCapacity(contacts.count)
            let index = try SearchIndex.Batch(db)
            let isEmpty = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM contact LIMIT 1)") == 0
            if isEmpty, contacts.count > 1 {
                // Into an empty cache, every rank is known at once: evenly spaced, in name order.
                let keyed = contacts.enumerated().map { ($0.element.sortKey, $0.offset) }.sorted { $0.0 < $1.0 }
                let spacing = (RankSpace.upper - RankSpace.lower) / Int64(keyed.count + 1)
                var byPosition = [ContactID?](repeating: nil, count: contacts.count)
                for (position, item) in keyed.enumerated() {
                    let contact = contacts[item.1]
                    let rank = RankSpace.lower + spacing * Int64(position + 1)
                    byPosition[item.1] = try self.insert(contact, rank: rank, remote: remoteByUID[contact.uid], author: author,
                                                               index: index, db: db).id!
                    if index.count >= SearchIndex.batchSize { try index.flush() }
                }
                ids = byPosition.compactMap { $0 }
            } else {
                for contact in contacts {
                    ids.append(try self.insert(contact, remote: remoteByUID[contact.uid], author: author,
                                                     index: index, db: db).id!)
                    // Queued rows can wait: placing a contact reads neighbours' ranks, and flushes the queue itself before it moves any.
                    if index.count >= SearchIndex.batchSize { try index.flush() }
                }
            }
            try index.flush()
            return ids
            }
        }
    }

    /// Runs a large write with a bigger page cache: an import touches the uid, email and change
    /// indexes in random order, which thrashes SQLite's default 2 MB cache.
    static func withLargeCache<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA cache_size = -131072")
        defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
        return try body()
    }

    /// Applies an edit to a contact, with its history row and outbox entry, in one transaction.
    /// Returns the contact as stored and the changes made (empty when the edit changed
    /// nothing; then nothing else is written).
    ///
    /// `releasing` is the draft of the form being saved and the rolo holding it; it is cleared
    /// in the same transaction, or, when that rolo no longer holds it, nothing is written and
    /// `DraftNotHeld` is thrown. Without it (`rolo set`) no draft is touched: a form someone is
    /// typing in keeps its text.
    @discardableResult
    public func updateContact(_ id: ContactID, edit: ContactEdit, author: Author, releasing draft: (DraftID, EditorSession)? = nil,
                              adding definitions: [FieldDefinition] = []) throws -> (contact: Contact, deltas: [FieldDelta]) {
        try write { db in try update(id, edit: edit, author: author, releasing: draft, adding: definitions, db: db) }
    }

    func update(_ id: ContactID, edit: ContactEdit, author: Author, releasing draft: (DraftID, EditorSession)?,
                adding definitions: [FieldDefinition], db: Database) throws -> (contact: Contact, deltas: [FieldDelta]) {
        try update(id, editing: { _ in edit }, author: author, releasing: draft, adding: definitions, db: db)
    }

    /// `update` with an edit made from the contact as stored (an import joining its further
    /// values to the contact's own), read once.
    func update(_ id: ContactID, editing makeEdit: (Contact) -> ContactEdit, author: Author, releasing draft: (DraftID, EditorSession)?,
                adding definitions: [FieldDefinition], db: Database) throws -> (contact: Contact, deltas: [FieldDelta]) {
        guard var contact = try ContactRows.load(id: id.rawValue, db: db) else {
            throw RoloError.notFound("no contact \(id.shortID)")
        }
        if let (draftID, session) = draft { try LocalCache.release(draftID, by: session, db: db, required: true) }
        try LocalCache.append(definitions, accountID: contact.accountID, db: db)
        let edit = makeEdit(contact)
        let deltas = edit.deltas(against: contact)
        guard !deltas.isEmpty else { return (contact, []) }
        contact = edit.applied(to: contact)
        contact.updatedAt = clock()
        let index = try SearchIndex.Batch(db)
        try ContactRows.update(contact, index: index, db: db)
        try index.flush()
        try recordEdit("update", contact: contact, deltas: deltas, author: author, db: db)
        try queueForProvider(contactID: id.rawValue, accountID: contact.accountID, db: db)
        return (contact, deltas)
    }

    /// Marks a contact deleted (it leaves the list and the index at once) and queues the delete
    /// for its provider, with a history row, in one transaction.
    public func deleteContact(_ id: ContactID, author: Author) throws {
        try write { db in try delete(id, author: author, db: db) }
    }

    func delete(_ id: ContactID, author: Author, db: Database) throws {
        guard let contact = try ContactRows.load(id: id.rawValue, db: db),
              let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [id.rawValue]) else {
            throw RoloError.notFound("no contact \(id.shortID)")
        }
        let now = clock().millisecondsSinceEpoch
        try db.execute(sql: "UPDATE contact SET deletedAt = ?, updatedAt = ? WHERE id = ?", arguments: [now, now, id.rawValue])
        try SearchIndex.remove(rank: rank, db: db)
        // Whoever was editing it: there is nothing left to save the form into.
        try db.execute(sql: "DELETE FROM draft WHERE accountId = ? AND contactId = ?", arguments: [contact.accountID, id.rawValue])
        let deltas = LocalCache.allFields(of: contact).map { FieldDelta(key: $0.key, before: $0.after, after: nil) }
        try recordEdit("delete", contact: contact, deltas: deltas, author: author, db: db)
        try queueForProvider(contactID: id.rawValue, accountID: contact.accountID, db: db)
    }

    // MARK: - Pieces shared by the writes

    ///
    /// `prepared` holds the values computed from the contact alone, made ahead on another
    /// thread (an import's reader); it must have been made from this contact's values.
    func insert(_ contact: Contact, rank: Int64? = nil, remote: RemoteReference? = nil, author: Author,
                index: SearchIndex.Batch, accountIsLocal: Bool? = nil, prepared: PreparedRow? = nil, db: Database) throws -> Contact {
        var stored = contact
        let sortKey = prepared?.sortKey ?? contact.sortKey
        let hash = prepared?.hash ?? ContentHash.of(contact)
        let rank = try rank ?? RankAllocator.rank(for: sortKey, index: index, db: db)
        stored.id = ContactID(try ContactRows.insert(contact, rank: rank, sortKey: sortKey, hash: hash, index: index, db: db))
        let deltas = prepared?.creation ?? DeltaCoding.encodeCreation(of: stored)
        if let remote {
            // Already at the provider: link it, with the record last agreed as the base — this
            // one, unless the file says the contact has edits not yet sent; those are queued.
            let agreed = remote.base.flatMap { BaseRecord.decode($0, into: stored) }
            let base = agreed ?? stored
            try db.cachedStatement(sql: """
                INSERT INTO remote_link (contactId, accountId, remoteId, remoteModifiedAt, baseRecord, baseHash, syncedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [stored.id!.rawValue, stored.accountID, remote.id, remote.modifiedAt,
                                         BaseRecord.encode(base), agreed.map(ContentHash.of) ?? hash,
                                         remote.syncedAt?.millisecondsSinceEpoch])
            try recordAudit("import", contact: stored, encodedDeltas: deltas, author: author, db: db)
            if agreed != nil {
                try queueForProvider(contactID: stored.id!.rawValue, accountID: stored.accountID, accountIsLocal: accountIsLocal, db: db)
            }
        } else {
            try recordAudit("create", contact: stored, encodedDeltas: deltas, author: author, undo: "open", db: db)
            try queueForProvider(contactID: stored.id!.rawValue, accountID: stored.accountID, accountIsLocal: accountIsLocal, db: db)
        }
        return stored
    }

    /// Every field with a value, as the changes that create it.
    static func allFields(of contact: Contact) -> [FieldDelta] {
        contact.keysWithValues.map { FieldDelta(key: $0, before: nil, after: contact.value(of: $0)) }
    }

    /// An edit of the user's: an audit row that undo can reach until it reaches the provider.
    func recordEdit(_ action: String, contact: Contact, deltas: [FieldDelta], author: Author, db: Database) throws {
        try recordAudit(action, contact: contact, deltas: deltas, author: author, undo: "open", db: db)
    }

    /// A line of the audit log. `source` says whose change it was: the user's, or the
    /// provider's (applied by a sync); `undo` whether undo can reach it.
    func recordAudit(_ action: String, contact: Contact, deltas: [FieldDelta], author: Author, undo: String = "no",
                     source: String = "user", db: Database) throws {
        try recordAudit(action, contact: contact, encodedDeltas: DeltaCoding.encode(deltas), author: author, undo: undo,
                        source: source, db: db)
    }

    /// An audit line whose changes are already encoded (`DeltaCoding`).
    func recordAudit(_ action: String, contact: Contact, encodedDeltas: String, author: Author, undo: String = "no",
                     source: String = "user", db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO audit (at, user, clientAddress, contactId, contactUid, action, deltas, accountId, undo, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [clock().millisecondsSinceEpoch, author.user, author.clientAddress, contact.id!.rawValue,
                             contact.uid, action, encodedDeltas, contact.accountID, undo, source])
    }
}

/// What storing a new contact computes from its values alone — its sort key, its content hash
/// and the audit text of its creation — made ahead, on another thread than the one writing.
public struct PreparedRow: Sendable {
    let sortKey: String
    let hash: String
    let creation: String

    public init(_ contact: Contact) {
        sortKey = contact.sortKey
        hash = ContentHash.of(contact)
        creation = DeltaCoding.encodeCreation(of: contact)
    }
}
