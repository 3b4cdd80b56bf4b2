import GRDB
import RoloCore

/// Reading and writing whole contacts: the `contact` row, its custom values and its index row.
enum ContactRows {
    static func load(id: Int64, db: Database, includeDeleted: Bool = false) throws -> Contact? {
        // Cached statements: an export loads every contact, and compiling each query again
        // (with GRDB's authorizer watching every column) cost more than running it.
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM contact WHERE id = ?"),
                                         arguments: [id]) else { return nil }
        if !includeDeleted, row[Position.deletedAt] as Int64? != nil { return nil }
        return try contact(from: row, db: db)
    }

    /// The columns `contact(from:)` reads, in the order it reads them by position: looking a
    /// column up by name folds its case each time, which was an eighth of `rolo export`.
    static let columns = (Position.named + Schema.fieldColumns.map(\.key)).joined(separator: ", ")
    enum Position {
        /// The columns before the standard fields, in this order.
        static let named = ["id", "uid", "accountId", "createdAt", "updatedAt", "deletedAt", "extensions", "rank",
                            "other_emails", "other_phones"]
        static let id = of("id"), uid = of("uid"), accountId = of("accountId"), createdAt = of("createdAt")
        static let updatedAt = of("updatedAt"), deletedAt = of("deletedAt"), extensions = of("extensions"), rank = of("rank")
        static let otherEmails = of("other_emails"), otherPhones = of("other_phones")
        static let firstField = named.count
        private static func of(_ column: String) -> Int { named.firstIndex(of: column)! }
    }

    /// A contact from a row of `SELECT \(columns) …`, with its custom values read from the cache.
    static func contact(from row: Row, db: Database) throws -> Contact {
        var custom: [String: CustomValue] = [:]
        let values = try Row.fetchCursor(db.cachedStatement(sql: "SELECT key, type, value FROM custom_value WHERE contactId = ?"),
                                         arguments: [row[Position.id] as Int64])
        while let value = try values.next() { custom[value[0]] = try customValue(type: value[1], text: value[2]) }
        return try contact(from: row, custom: custom)
    }

    /// Contacts by id, read together: their rows in one query and their custom values in
    /// another, where loading them one by one made three queries a contact (`rolo export` and
    /// `rolo list --json` of 100k contacts). Live contacts only, in the order of `ids`; an id
    /// with no live contact is left out.
    static func load(ids: [Int64], db: Database) throws -> [Contact] {
        guard !ids.isEmpty else { return [] }
        let list = "(" + ids.map(String.init).joined(separator: ",") + ")"
        let custom = try customValues(ofList: list, db: db)
        var byID: [Int64: Contact] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM contact WHERE id IN \(list) AND deletedAt IS NULL")
        while let row = try rows.next() {
            let id: Int64 = row[Position.id]
            byID[id] = try contact(from: row, custom: custom[id] ?? [:])
        }
        return ids.compactMap { byID[$0] }
    }

    /// The custom values of the contacts in `list` (ids as SQL: `(1,2,3)`), by contact, in one
    /// query.
    static func customValues(ofList list: String, db: Database) throws -> [Int64: [String: CustomValue]] {
        var custom: [Int64: [String: CustomValue]] = [:]
        let values = try Row.fetchCursor(db, sql: "SELECT contactId, key, type, value FROM custom_value WHERE contactId IN \(list)")
        while let value = try values.next() {
            custom[value[0], default: [:]][value[1]] = try customValue(type: value[2], text: value[3])
        }
        return custom
    }

    /// A custom value as stored: its type's name and its text.
    static func customValue(type typeName: String, text: String) throws -> CustomValue {
        guard let type = FieldType(rawValue: typeName) else {
            throw StoredValueError(table: "custom_value", column: "type", value: typeName)
        }
        guard let value = CustomValue(storedText: text, type: type) else {
            throw StoredValueError(table: "custom_value", column: "value (\(type.rawValue))", value: text)
        }
        return value
    }

    /// A contact from a row of `SELECT \(columns) …` and its custom values.
    static func contact(from row: Row, custom: [String: CustomValue]) throws -> Contact {
        var fields: [StandardField: String] = [:]
        for (offset, field) in Schema.fieldColumns.enumerated() {
            if let value: String = row[Position.firstField + offset], !value.isEmpty { fields[field] = value }
        }
        let id: Int64 = row[Position.id]
        var extensions: [String: JSONValue] = [:]
        if let text: String = row[Position.extensions] {
            guard case .object(let members)? = try? JSONValue.parse(text) else {
                throw StoredValueError(table: "contact", column: "extensions", value: text)
            }
            extensions = members
        }
        return Contact(id: ContactID(id), uid: row[Position.uid], accountID: row[Position.accountId], fields: fields, custom: custom,
                       otherEmails: try others(row[Position.otherEmails], column: "other_emails"),
                       otherPhones: try others(row[Position.otherPhones], column: "other_phones"),
                       extensions: extensions, createdAt: Timestamp(millisecondsSinceEpoch: row[Position.createdAt]),
                       updatedAt: Timestamp(millisecondsSinceEpoch: row[Position.updatedAt]))
    }

    private static let fieldList = Schema.fieldColumns.map(\.key).joined(separator: ", ")

    /// Made once: built for every contact, the statement's text (and the statement cache's
    /// hashing of it) was a measurable part of a bulk insert.
    private static let insertSQL = """
        INSERT INTO contact (uid, accountId, rank, sortKey, displayName, \(fieldList), extensions, other_emails, other_phones,
                             contentHash, createdAt, updatedAt)
        VALUES (\(Array(repeating: "?", count: 11 + Schema.fieldColumns.count).joined(separator: ", ")))
        """
    private static let updateSQL = """
        UPDATE contact SET rank = ?, sortKey = ?, displayName = ?, \(Schema.fieldColumns.map { "\($0.key) = ?" }.joined(separator: ", ")),
            extensions = ?, other_emails = ?, other_phones = ?, contentHash = ?, updatedAt = ? WHERE id = ?
        """

    /// Inserts a new contact with the given rank and indexes it. Returns its row id.
    /// The index row is queued in `index`; the caller flushes it. `sortKey` and `hash` are the
    /// contact's, when the caller has worked them out already (a pull needs the hash twice).
    /// `sortKey`, `hash` and `document` (the index row), when given, were made from this
    /// contact ahead of the write.
    static func insert(_ contact: Contact, rank: Int64, sortKey: String? = nil, hash: String? = nil, document: [String]? = nil,
                       index: SearchIndex.Batch, db: Database) throws -> Int64 {
        var arguments: [(any DatabaseValueConvertible)?] = [
            contact.uid, contact.accountID, rank, sortKey ?? contact.sortKey, contact.displayName,
        ]
        arguments.reserveCapacity(9 + Schema.fieldColumns.count)
        for field in Schema.fieldColumns { arguments.append(contact.fields[field]) }
        arguments += [extensionsText(contact), othersText(contact.otherEmails), othersText(contact.otherPhones),
                      hash ?? ContentHash.of(contact), contact.createdAt.millisecondsSinceEpoch, contact.updatedAt.millisecondsSinceEpoch]
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(arguments))
        let id = db.lastInsertedRowID
        try writeCustomValues(contact.custom, contactID: id, db: db)
        if let document { index.add(columns: document, rank: rank) } else { index.add(contact, rank: rank) }
        return id
    }

    /// Rewrites an existing live contact: its row, its custom values, its index row, and its
    /// rank when the name changed.
    static func update(_ contact: Contact, index: SearchIndex.Batch, db: Database) throws {
        guard let id = contact.id?.rawValue,
              let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT rank, sortKey FROM contact WHERE id = ?"), arguments: [id]) else {
            throw RoloError.notFound("the contact is no longer in the cache")
        }
        var rank: Int64 = row["rank"]
        let sortKey = contact.sortKey
        try SearchIndex.remove(rank: rank, db: db)
        if sortKey != row["sortKey"] as String {
            // Park the row on a rank no one else can get while its neighbours may be relabelled.
            try db.cachedStatement(sql: "UPDATE contact SET rank = ? WHERE id = ?").execute(arguments: [-id, id])
            rank = try RankAllocator.rank(for: sortKey, excluding: id, index: index, db: db)
        }
        var arguments: [(any DatabaseValueConvertible)?] = [rank, sortKey, contact.displayName]
        arguments += Schema.fieldColumns.map { contact.fields[$0] }
        arguments += [extensionsText(contact), othersText(contact.otherEmails), othersText(contact.otherPhones),
                      ContentHash.of(contact), contact.updatedAt.millisecondsSinceEpoch, id]
        try db.cachedStatement(sql: updateSQL).execute(arguments: StatementArguments(arguments))
        try db.cachedStatement(sql: "DELETE FROM custom_value WHERE contactId = ?").execute(arguments: [id])
        try writeCustomValues(contact.custom, contactID: id, db: db)
        index.add(contact, rank: rank)
    }

    static func writeCustomValues(_ values: [String: CustomValue], contactID: Int64, db: Database) throws {
        guard !values.isEmpty else { return }
        let insert = try db.cachedStatement(sql: "INSERT INTO custom_value (contactId, key, type, value) VALUES (?, ?, ?, ?)")
        for (key, value) in values {
            try insert.execute(arguments: [contactID, key, value.type.rawValue, value.storedText])
        }
    }

    /// Further emails or phones as stored: a JSON array of `{"label", "value"}`, NULL when none.
    static func othersText(_ values: [LabelledValue]) -> String? {
        values.isEmpty ? nil : JSONValue.array(values.map(\.json)).canonicalText
    }

    static func others(_ text: String?, column: String) throws -> [LabelledValue] {
        guard let text else { return [] }
        guard case .array(let items)? = try? JSONValue.parse(text) else {
            throw StoredValueError(table: "contact", column: column, value: text)
        }
        return try items.map { item in
            guard let value = LabelledValue(json: item) else { throw StoredValueError(table: "contact", column: column, value: text) }
            return value
        }
    }

    static func extensionsText(_ contact: Contact) -> String? {
        contact.extensions.isEmpty ? nil : JSONValue.object(contact.extensions).canonicalText
    }
}
