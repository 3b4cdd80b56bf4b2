import Foundation
import GRDB
import RoloCore

extension LocalCache {
    public func accounts() throws -> [Account] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY id").map(account) }
    }

    public func account(id: Int64) throws -> Account? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]).map(account) }
    }

    /// Finds an account by name, ignoring case.
    public func account(named name: String) throws -> Account? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ? COLLATE NOCASE", arguments: [name]).map(account)
        }
    }

    /// The local account contacts go to when no account is named.
    public func defaultAccount() throws -> Account {
        if let account = try account(named: Account.defaultName) { return account }
        guard let first = try accounts().first else { throw RoloError.cache("the cache has no accounts") }
        return first
    }

    /// Creates an account. Names are unique, ignoring case.
    @discardableResult
    public func createAccount(name: String, provider: ProviderKind, settings: [String: String] = [:],
                              definitions: [FieldDefinition] = []) throws -> Account {
        let trimmed = try LocalCache.checkedAccountName(name)
        let profile = try catalog.require(provider)
        return try write { db in
            try LocalCache.checkAccountNameIsFree(trimmed, db: db)
            try db.execute(sql: "INSERT INTO account (name, provider, settings, createdAt) VALUES (?, ?, ?, ?)",
                           arguments: [trimmed, provider.rawValue, LocalCache.encodeSettings(settings),
                                       clock().millisecondsSinceEpoch])
            let id = db.lastInsertedRowID
            try LocalCache.replaceDefinitions(definitions, accountID: id, db: db)
            return Account(id: id, name: trimmed, profile: profile, settings: settings)
        }
    }

    /// An account name as stored: 1 to 64 characters without spaces.
    static func checkedAccountName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 64, !trimmed.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw RoloError.invalid(field: "account", "a name is 1 to 64 characters without spaces")
        }
        return trimmed
    }

    static func checkAccountNameIsFree(_ name: String, db: Database) throws {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM account WHERE name = ? COLLATE NOCASE", arguments: [name]) != nil {
            throw RoloError.invalid(field: "account", "an account named \(name) already exists")
        }
    }

    /// Removes an account that holds no contacts (not even deleted ones), with its field
    /// definitions: how a refused import takes back the accounts it had created.
    public func removeEmptyAccount(id: Int64) throws {
        try write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM contact WHERE accountId = ?", arguments: [id]) == 0 else {
                throw RoloError.failed("account \(id) holds contacts and was kept")
            }
            try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
        }
    }

    /// The custom fields an account defines, in their display order.
    public func fieldDefinitions(accountID: Int64) throws -> [FieldDefinition] {
        try read { db in try LocalCache.definitions(accountID: accountID, db: db) }
    }

    /// Replaces an account's custom-field definitions (for example after reading iVvy's).
    public func setFieldDefinitions(_ definitions: [FieldDefinition], accountID: Int64) throws {
        try write { db in try LocalCache.replaceDefinitions(definitions, accountID: accountID, db: db) }
    }

    /// Adds or replaces one definition, keeping the others and their order.
    public func saveFieldDefinition(_ definition: FieldDefinition, accountID: Int64) throws {
        try write { db in
            let existing = try LocalCache.definitions(accountID: accountID, db: db)
            var updated = existing.filter { $0.key != definition.key }
            if let index = existing.firstIndex(where: { $0.key == definition.key }) {
                updated.insert(definition, at: index)
            } else {
                updated.append(definition)
            }
            try LocalCache.replaceDefinitions(updated, accountID: accountID, db: db)
        }
    }

    /// Adds field definitions inside a write that also stores the contact using them, so a
    /// refused save leaves the account's fields as they were.
    static func append(_ definitions: [FieldDefinition], accountID: Int64, db: Database) throws {
        guard !definitions.isEmpty else { return }
        let existing = try LocalCache.definitions(accountID: accountID, db: db)
        let added = Set(definitions.map(\.key))
        try LocalCache.replaceDefinitions(existing.filter { !added.contains($0.key) } + definitions, accountID: accountID, db: db)
    }

    /// Every custom key that contacts in the scope hold, sorted (CSV needs them for its header).
    public func customKeys(in scope: AccountScope) throws -> [String] {
        try read { db in
            switch scope {
            case .all:
                return try String.fetchAll(db, sql: "SELECT DISTINCT key FROM custom_value ORDER BY key")
            case .account(let id):
                return try String.fetchAll(db, sql: """
                    SELECT DISTINCT v.key FROM custom_value v JOIN contact c ON c.id = v.contactId
                    WHERE c.accountId = ? ORDER BY v.key
                    """, arguments: [id])
            }
        }
    }

    /// The most further emails and phones one contact of the scope holds (CSV needs a column
    /// for each before the first row). One pass over the contacts that have any.
    public func otherValueCounts(in scope: AccountScope) throws -> (emails: Int, phones: Int) {
        try read { db in
            var sql = """
                SELECT coalesce(max(json_array_length(other_emails)), 0), coalesce(max(json_array_length(other_phones)), 0)
                FROM contact WHERE deletedAt IS NULL AND (other_emails IS NOT NULL OR other_phones IS NOT NULL)
                """
            var arguments: StatementArguments = []
            if case .account(let id) = scope {
                sql += " AND accountId = ?"
                arguments = [id]
            }
            let row = try Row.fetchOne(db, sql: sql, arguments: arguments)!
            return (row[0], row[1])
        }
    }

    /// Replaces an account's non-secret settings (from the config).
    public func setAccountSettings(_ settings: [String: String], accountID: Int64) throws {
        try write { db in
            try db.execute(sql: "UPDATE account SET settings = ? WHERE id = ?",
                           arguments: [LocalCache.encodeSettings(settings), accountID])
        }
    }

    /// Whether `key` names a custom field in the scope: one an account there defines, or one
    /// a contact there has a value for. The values are found through the search index (every
    /// word of a value carries its key's code), so this reads one short prefix list whether
    /// the key exists or not, never the values of a million contacts.
    public func knowsCustomKey(_ key: String, in scope: AccountScope) throws -> Bool {
        try read { db in
            let (lower, upper) = LocalCache.accountIDRange(scope)
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM field_definition WHERE accountId BETWEEN ? AND ? AND key = ?)",
                                 arguments: [lower, upper, key]) == true {
                return true
            }
            var match = "{custom} : \"" + SearchText.keyCode(key) + "\" *"
            if case .account(let id) = scope { match = "(" + match + ") AND {account} : \"" + SearchIndex.accountToken(id) + "\"" }
            return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM contact_fts WHERE contact_fts MATCH ?)", arguments: [match]) ?? false
        }
    }

    /// Records when an account last finished a sync.
    public func setLastSync(accountID: Int64, at time: Timestamp) throws {
        try write { db in
            try db.execute(sql: "UPDATE account SET lastSyncAt = ? WHERE id = ?", arguments: [time.millisecondsSinceEpoch, accountID])
        }
    }

    public func lastSync(accountID: Int64) throws -> Timestamp? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT lastSyncAt FROM account WHERE id = ?", arguments: [accountID]).map(Timestamp.init)
        }
    }

    // MARK: - Rows

    /// An account row, its provider resolved through the catalog: a provider id this rolo does
    /// not know is said as such, never taken for another.
    func account(_ row: Row) throws -> Account {
        let name: String = row["name"]
        let kind = ProviderKind(rawValue: row["provider"] as String)
        guard let profile = catalog.profile(for: kind) else {
            throw RoloError.cache("account \(name) in the cache is of the provider “\(kind.rawValue)”, which this rolo does not know "
                + "(\(catalog.knownNames)); was the cache written by a newer rolo?")
        }
        let settingsText: String = row["settings"]
        var settings: [String: String] = [:]
        guard case .object(let members)? = try? JSONValue.parse(settingsText) else {
            throw StoredValueError(table: "account", column: "settings", value: settingsText)
        }
        for (key, value) in members {
            guard let text = value.stringValue else { throw StoredValueError(table: "account", column: "settings", value: settingsText) }
            settings[key] = text
        }
        return Account(id: row["id"], name: name, profile: profile, settings: settings)
    }

    static func encodeSettings(_ settings: [String: String]) -> String {
        JSONValue.object(settings.mapValues(JSONValue.string)).canonicalText
    }

    static func definitions(accountID: Int64, db: Database) throws -> [FieldDefinition] {
        try Row.fetchAll(db, sql: "SELECT * FROM field_definition WHERE accountId = ? ORDER BY position, key",
                         arguments: [accountID]).map { row in
            let optionsText: String = row["options"]
            guard case .array(let items)? = try? JSONValue.parse(optionsText) else {
                throw StoredValueError(table: "field_definition", column: "options", value: optionsText)
            }
            let options = try items.map { item in
                guard let value = item["value"]?.stringValue else {
                    throw StoredValueError(table: "field_definition", column: "options", value: optionsText)
                }
                return SelectOption(value: value, label: item["label"]?.stringValue)
            }
            let typeName: String = row["type"]
            guard let type = FieldType(rawValue: typeName) else {
                throw StoredValueError(table: "field_definition", column: "type", value: typeName)
            }
            return FieldDefinition(
                key: row["key"], label: row["label"], type: type,
                options: options, isRequired: row["isRequired"], isReadOnly: row["isReadOnly"],
                wholeNumbersOnly: row["wholeNumbersOnly"], maxLength: row["maxLength"], providerRef: row["providerRef"])
        }
    }

    static func replaceDefinitions(_ definitions: [FieldDefinition], accountID: Int64, db: Database) throws {
        try db.execute(sql: "DELETE FROM field_definition WHERE accountId = ?", arguments: [accountID])
        for (position, definition) in definitions.enumerated() {
            let options = JSONValue.array(definition.options.map {
                JSONValue.object(["value": .string($0.value), "label": .string($0.label)])
            }).canonicalText
            try db.execute(sql: """
                INSERT INTO field_definition (accountId, key, label, type, options, isRequired, isReadOnly,
                    wholeNumbersOnly, maxLength, providerRef, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [accountID, definition.key, definition.label, definition.type.rawValue, options,
                                 definition.isRequired, definition.isReadOnly, definition.wholeNumbersOnly,
                                 definition.maxLength, definition.providerRef, position])
        }
    }
}
