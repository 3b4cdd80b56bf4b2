import GRDB
import RoloCore

/// One write transaction on the cache, for a service that must check and write in one step:
/// what it reads here cannot change before its write commits, because SQLite lets one writer
/// at a time in — another rolo process included. (Checking first and writing in a second
/// transaction let two processes both find an email free and both take it.)
public final class CacheTransaction {
    let cache: LocalCache
    let db: Database

    init(cache: LocalCache, db: Database) {
        self.cache = cache
        self.db = db
    }

    public func account(id: Int64) throws -> Account {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]) else {
            throw RoloError.notFound("no account with id \(id)")
        }
        return try cache.account(row)
    }

    /// A live contact.
    public func contact(_ id: ContactID) throws -> Contact? {
        try ContactRows.load(id: id.rawValue, db: db)
    }

    public func fieldDefinitions(accountID: Int64) throws -> [FieldDefinition] {
        try LocalCache.definitions(accountID: accountID, db: db)
    }

    /// Live contacts of an account holding this email, ignoring case.
    public func contacts(withEmail email: String, accountID: Int64) throws -> [ContactID] {
        try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT id FROM contact WHERE accountId = ? AND email = ? COLLATE NOCASE AND deletedAt IS NULL ORDER BY id
            """), arguments: [accountID, email.trimmingCharacters(in: .whitespaces)]).map(ContactID.init)
    }

    /// Stores a new, validated contact with its history row and outbox entry, adds the custom
    /// fields it brought, and releases the draft of the form it came from (refused with
    /// `DraftNotHeld`, writing nothing, when this rolo no longer holds that form).
    @discardableResult
    public func insert(_ contact: Contact, author: Author, adding definitions: [FieldDefinition] = [],
                       releasing draft: (DraftID, EditorSession)? = nil) throws -> Contact {
        if let (id, session) = draft { try LocalCache.release(id, by: session, db: db, required: true) }
        try LocalCache.append(definitions, accountID: contact.accountID, db: db)
        let index = try SearchIndex.Batch(db)
        let stored = try cache.insert(contact, author: author, index: index, db: db)
        try index.flush()
        return stored
    }

    /// Applies a validated edit; see `LocalCache.updateContact`.
    public func update(_ id: ContactID, edit: ContactEdit, author: Author, releasing draft: (DraftID, EditorSession)? = nil,
                       adding definitions: [FieldDefinition] = []) throws -> (contact: Contact, deltas: [FieldDelta]) {
        try cache.update(id, edit: edit, author: author, releasing: draft, adding: definitions, db: db)
    }

    /// Deletes a contact here and queues the delete; see `LocalCache.deleteContact`.
    public func delete(_ id: ContactID, author: Author) throws {
        try cache.delete(id, author: author, db: db)
    }
}

extension LocalCache {
    /// Runs `body` in one write transaction; everything it does commits together or not at all.
    public func transaction<T>(_ body: (CacheTransaction) throws -> T) throws -> T {
        try write { db in try body(CacheTransaction(cache: self, db: db)) }
    }
}
