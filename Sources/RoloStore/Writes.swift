import GRDB
import RoloCore

extension LocalCache {
    /// Stores a new contact, its outbox entry and its audit row in one transaction, and clears
    /// the draft it came from. The contact must already be validated.
    @discardableResult
    public func insertContact(_ contact: Contact, author: Author, clearing draft: DraftSlot? = nil,
                              adding definitions: [FieldDefinition] = []) throws -> Contact {
        try write { db in
            try LocalCache.append(definitions, accountID: contact.accountID, db: db)
            let index = try SearchIndex.Batch(db)
            let stored = try self.insert(contact, author: author, index: index, db: db)
            try index.flush()
            if let draft { try LocalCache.deleteDraft(draft, db: db) }
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

    /// Applies an edit to a contact, with its outbox entry and audit row, in one transaction,
    /// and clears the contact's draft. Returns the contact as stored and the changes made
    /// (empty when the edit changed nothing; then nothing is written).
    @discardableResult
    public func updateContact(_ id: ContactID, edit: ContactEdit, author: Author,
                              adding definitions: [FieldDefinition] = []) throws -> (contact: Contact, deltas: [FieldDelta]) {
        try write { db in
            guard var contact = try ContactRows.load(id: id.rawValue, db: db) else {
                throw RoloError.notFound("no contact \(id.shortID)")
            }
            try LocalCache.append(definitions, accountID: contact.accountID, db: db)
            let deltas = edit.deltas(against: contact)
            try LocalCache.deleteDraft(.contact(id, accountID: contact.accountID), db: db)
            guard !deltas.isEmpty else { return (contact, []) }
            contact = edit.applied(to: contact)
            contact.updatedAt = clock()
            let index = try SearchIndex.Batch(db)
            try ContactRows.update(contact, index: index, db: db)
            try index.flush()
            try self.recordOutbox(.update, contact: contact, deltas: deltas, db: db)
            try self.recordAudit("update", contact: contact, deltas: deltas, author: author, db: db)
            return (contact, deltas)
        }
    }

    /// Marks a contact deleted (it leaves the list and the index at once) and queues the delete
    /// for its provider, with an audit row, in one transaction.
    public func deleteContact(_ id: ContactID, author: Author) throws {
        try write { db in
            guard let contact = try ContactRows.load(id: id.rawValue, db: db),
                  let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [id.rawValue]) else {
                throw RoloError.notFound("no contact \(id.shortID)")
            }
            let now = clock().millisecondsSinceEpoch
            try db.execute(sql: "UPDATE contact SET deletedAt = ?, updatedAt = ? WHERE id = ?", arguments: [now, now, id.rawValue])
            try SearchIndex.remove(rank: rank, db: db)
            try LocalCache.deleteDraft(.contact(id, accountID: contact.accountID), db: db)
            let deltas = LocalCache.allFields(of: contact).map { FieldDelta(key: $0.key, before: $0.after, after: nil) }
            try self.recordOutbox(.delete, contact: contact, deltas: [], db: db)
            try self.recordAudit("delete", contact: contact, deltas: deltas, author: author, db: db)
        }
    }

    /// Undoes the newest edit in the scope that has not reached a provider: puts the fields
    /// back, brings a deleted contact back, or removes a contact that was only created here.
    /// Returns nil when there is nothing to undo.
    @discardableResult
    public func undoLastEdit(in scope: AccountScope, author: Author) throws -> UndoOutcome? {
        try write { db in
            let (lower, upper) = LocalCache.accountIDRange(scope)
            guard let entry = try Row.fetchOne(db, sql: """
                SELECT * FROM outbox WHERE accountId BETWEEN ? AND ? ORDER BY id DESC LIMIT 1
                """, arguments: [lower, upper]) else { return nil }
            let entryID: Int64 = entry["id"]
            let contactID = ContactID(entry["contactId"])
            let deltas = try DeltaCoding.decode(entry["deltas"], table: "outbox")
            guard let operation = OutboxOperation(rawValue: entry["operation"]),
                  var contact = try ContactRows.load(id: contactID.rawValue, db: db, includeDeleted: true) else {
                try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [entryID])
                return nil
            }
            try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [entryID])
            let index = try SearchIndex.Batch(db)
            switch operation {
            case .update:
                let reverted = deltas.map(\.reverted)
                contact = ContactEdit(deltas: reverted).applied(to: contact)
                contact.updatedAt = clock()
                try ContactRows.update(contact, index: index, db: db)
                try index.flush()
                try self.recordAudit("undo update", contact: contact, deltas: reverted, author: author, db: db)
                return UndoOutcome(kind: .update, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            case .create:
                // A create's outbox entry holds no copy of the contact: the row is the record.
                let reverted = LocalCache.allFields(of: contact).map(\.reverted)
                try self.recordAudit("undo create", contact: contact, deltas: reverted, author: author, db: db)
                if let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [contactID.rawValue]) {
                    try SearchIndex.remove(rank: rank, db: db)
                }
                try db.execute(sql: "DELETE FROM contact WHERE id = ?", arguments: [contactID.rawValue])
                return UndoOutcome(kind: .create, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            case .delete:
                let reverted = LocalCache.allFields(of: contact)
                let now = clock().millisecondsSinceEpoch
                try db.execute(sql: "UPDATE contact SET deletedAt = NULL, updatedAt = ? WHERE id = ?", arguments: [now, contactID.rawValue])
                let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [contactID.rawValue])!
                index.add(contact, rank: rank)
                try index.flush()
                try self.recordAudit("undo delete", contact: contact, deltas: reverted, author: author, db: db)
                return UndoOutcome(kind: .delete, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            }
        }
    }

    // MARK: - Pieces shared by the writes

    func insert(_ contact: Contact, rank: Int64? = nil, remote: RemoteReference? = nil, author: Author,
                       index: SearchIndex.Batch, db: Database) throws -> Contact {
        var stored = contact
        let rank = try rank ?? RankAllocator.rank(for: contact.sortKey, index: index, db: db)
        stored.id = ContactID(try ContactRows.insert(contact, rank: rank, index: index, db: db))
        let deltas = LocalCache.allFields(of: stored)
        if let remote {
            // Already at the provider: link it, with the record last agreed as the base — this
            // one, unless the file says the contact has edits not yet sent; those are queued.
            let agreed = remote.base.flatMap { BaseRecord.decode($0, into: stored) }
            let base = agreed ?? stored
            try db.cachedStatement(sql: """
                INSERT INTO remote_link (contactId, accountId, remoteId, remoteModifiedAt, baseRecord, baseHash, syncedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [stored.id!.rawValue, stored.accountID, remote.id, remote.modifiedAt,
                                         BaseRecord.encode(base), ContentHash.of(base), clock().millisecondsSinceEpoch])
            try recordAudit("import", contact: stored, deltas: deltas, author: author, db: db)
            if let agreed {
                let unsent = BaseRecord.changes(from: agreed, to: stored)
                if !unsent.isEmpty { try recordOutbox(.update, contact: stored, deltas: unsent, db: db) }
            }
        } else {
            // A create's outbox entry needs no copy of the fields: the contact row is what is sent.
            try recordOutbox(.create, contact: stored, deltas: [], db: db)
            try recordAudit("create", contact: stored, deltas: deltas, author: author, db: db)
        }
        return stored
    }

    /// Every field with a value, as the changes that create it.
    static func allFields(of contact: Contact) -> [FieldDelta] {
        contact.keysWithValues.map { FieldDelta(key: $0, before: nil, after: contact.value(of: $0)) }
    }

    func recordOutbox(_ operation: OutboxOperation, contact: Contact, deltas: [FieldDelta], db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (contactId, accountId, operation, deltas, createdAt) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [contact.id!.rawValue, contact.accountID, operation.rawValue, DeltaCoding.encode(deltas),
                             clock().millisecondsSinceEpoch])
    }

    func recordAudit(_ action: String, contact: Contact, deltas: [FieldDelta], author: Author, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO audit (at, user, clientAddress, contactId, contactUid, action, deltas) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [clock().millisecondsSinceEpoch, author.user, author.clientAddress, contact.id!.rawValue,
                             contact.uid, action, DeltaCoding.encode(deltas)])
    }
}
