import GRDB
import RoloCore

/// The full-text index behind the live filter: what is stored for a contact, and how a
/// `ContactQuery` becomes an FTS5 MATCH expression.
///
/// Words are cut by `SearchText` on both sides; SQLite's unicode61 tokenizer then folds case
/// and accents alike for the stored text and the query.
enum SearchIndex {
    /// The index's column values for a contact, in `Schema.searchColumns` order.
    static func document(for contact: Contact) -> [String] {
        var columns: [String] = StandardField.searchable.map { field in
            guard let value = contact.fields[field] else { return "" }
            let words = field.kind == .phone ? SearchText.phoneWords(value) : SearchText.words(value)
            return words.joined(separator: " ")
        }
        var keyed: [String] = []
        var plain: [String] = []
        for key in contact.custom.keys.sorted() {
            let words = SearchText.words(searchableText(of: contact.custom[key]!))
            keyed += words.map { SearchText.customWord(key: key, word: $0) }
            plain += words
        }
        columns.append(keyed.joined(separator: " "))
        columns.append(plain.joined(separator: " "))
        return columns
    }

    /// The text of a custom value that a search can find: its display form, and for JSON the
    /// keys and strings inside (capped, so a huge document cannot bloat the index).
    static func searchableText(of value: CustomValue) -> String {
        switch value {
        case .json(let document):
            var parts: [String] = []
            collect(document, into: &parts)
            return String(parts.joined(separator: " ").prefix(2000))
        case .multiselect(let values):
            return values.joined(separator: " ")
        default:
            return value.displayText
        }
    }

    private static func collect(_ value: JSONValue, into parts: inout [String]) {
        switch value {
        case .string(let text): parts.append(text)
        case .number(let number): parts.append(JSONValue.format(number))
        case .bool(let flag): parts.append(flag ? "true" : "false")
        case .array(let items): items.forEach { collect($0, into: &parts) }
        case .object(let members):
            for key in members.keys.sorted() {
                parts.append(key)
                collect(members[key]!, into: &parts)
            }
        case .null: break
        }
    }

    private static let insertSQL = "INSERT INTO contact_fts (rowid, " + Schema.searchColumns.joined(separator: ", ")
        + ") VALUES (?" + String(repeating: ", ?", count: Schema.searchColumns.count) + ")"

    static func insert(_ contact: Contact, rank: Int64, db: Database) throws {
        var arguments: [(any DatabaseValueConvertible)?] = [rank]
        arguments += document(for: contact).map { $0 as (any DatabaseValueConvertible)? }
        try db.execute(sql: insertSQL, arguments: StatementArguments(arguments))
    }

    static func remove(rank: Int64, db: Database) throws {
        try db.execute(sql: "DELETE FROM contact_fts WHERE rowid = ?", arguments: [rank])
    }

    /// Moves a row to a new rowid (the contact's rank changed). A no-op when there is no row
    /// (a deleted contact has none).
    static func moveRow(from old: Int64, to new: Int64, db: Database) throws {
        let columns = Schema.searchColumns.joined(separator: ", ")
        try db.execute(sql: "INSERT INTO contact_fts (rowid, \(columns)) SELECT ?, \(columns) FROM contact_fts WHERE rowid = ?",
                       arguments: [new, old])
        try db.execute(sql: "DELETE FROM contact_fts WHERE rowid = ?", arguments: [old])
    }

    // MARK: - Queries

    /// The MATCH expression for a query; nil when the query has no terms.
    ///
    /// Every word is quoted, so nothing a person types can be read as FTS5 syntax.
    static func matchExpression(for query: ContactQuery) -> String? {
        guard !query.isEmpty else { return nil }
        return query.terms.map(expression).joined(separator: " AND ")
    }

    private static func expression(for term: ContactQuery.Term) -> String {
        let words: [String]
        let columns: [String]?
        switch term.scope {
        case .anyField:
            words = term.words
            columns = nil
        case .fields(let fields):
            words = term.words
            columns = fields.map(\.key)
        case .custom(let key):
            words = term.words.map { SearchText.customWord(key: key, word: $0) }
            columns = ["custom"]
        }
        var phrase = "\"" + words.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\""
        if term.lastWordIsPrefix { phrase += " *" }
        guard let columns else { return phrase }
        return "{" + columns.joined(separator: " ") + "} : " + phrase
    }
}
