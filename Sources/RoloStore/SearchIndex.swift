import Foundation
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
            // The full-name column holds the name as shown, so that `"aaliyah nguyen"` finds a
            // contact that has only a first and a last name (a phrase cannot span two columns).
            let stored = field == .fullName ? Contact.shownPersonName(contact.fields) : contact.fields[field]
            // Further emails and phones are searched with the first: `email:` finds any of them.
            let others = field == .email ? contact.otherEmails : field == .phone ? contact.otherPhones : []
            let values = (stored.map { [$0] } ?? []) + others.map(\.value)
            guard !values.isEmpty else { return "" }
            let words = values.flatMap { field.kind == .phone ? SearchText.phoneWords($0) : SearchText.words($0) }
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
        columns.append(accountToken(contact.accountID))
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

    /// Indexes every live contact again, and the vocabulary with it: for a migration that
    /// changes how words are cut. Reads the contacts in rank order, so rows go in in order.
    static func rebuild(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM contact_fts; DELETE FROM search_term")
        try indexLiveContacts(db, into: Batch(db))
        try optimize(db)
    }

    /// Writes the index row of every live contact, in rank order (so rows go in in order), and
    /// the vocabulary with them. The index must hold none of them yet.
    ///
    /// The rows' documents are made on another thread, a batch at a time, while this one reads
    /// the next batch of contacts and writes the batch before: making them here was a sixth
    /// of the time an import into an empty cache spent indexing.
    ///
    /// `indexed` is told how many rows are written so far, after each batch.
    static func indexLiveContacts(_ db: Database, into batch: Batch, indexed: (Int) -> Void = { _ in }) throws {
        var written = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT \(ContactRows.columns) FROM contact WHERE deletedAt IS NULL ORDER BY rank")
        var inTheMaking: DocumentsInTheMaking?
        while true {
            // The batch's rows first, then their custom values in one query: a query per
            // contact was a sixth of the time indexing took.
            var batchRows: [Row] = []
            batchRows.reserveCapacity(batchSize)
            while batchRows.count < batchSize, let row = try rows.next() { batchRows.append(row.copy()) }
            let custom = batchRows.isEmpty ? [:] : try ContactRows.customValues(
                ofList: "(" + batchRows.map { String($0[ContactRows.Position.id] as Int64) }.joined(separator: ",") + ")", db: db)
            var contacts: [(contact: Contact, rank: Int64)] = []
            contacts.reserveCapacity(batchRows.count)
            for row in batchRows {
                contacts.append((try ContactRows.contact(from: row, custom: custom[row[ContactRows.Position.id]] ?? [:]),
                                 row[ContactRows.Position.rank]))
            }
            let made = inTheMaking
            inTheMaking = contacts.isEmpty ? nil : DocumentsInTheMaking(contacts)
            if let made {
                let documents = made.documents()
                for (rank, columns) in documents { batch.add(columns: columns, rank: rank) }
                try batch.flush()
                written += documents.count
                indexed(written)
            }
            if contacts.isEmpty { return }
        }
    }

    /// The documents of a batch of contacts, made on a thread of the global queue.
    private final class DocumentsInTheMaking: @unchecked Sendable {
        // @unchecked: `made` is written once on the worker, and read only after `done.wait()`.
        private let done = DispatchGroup()
        private var made: [(rank: Int64, columns: [String])] = []

        init(_ contacts: [(contact: Contact, rank: Int64)]) {
            DispatchQueue.global().async(group: done) { [self] in
                made = contacts.map { ($0.rank, SearchIndex.document(for: $0.contact)) }
            }
        }

        func documents() -> [(rank: Int64, columns: [String])] {
            done.wait()
            return made
        }
    }

    /// Adds every word the index holds that `isVocabularyWord` takes to the vocabulary, read
    /// from FTS5's own list of its terms (sorted, each once) instead of cutting every column of
    /// every row again in Swift: for an index written whole, as an import into a cache without
    /// contacts writes it.
    static func rememberEveryIndexedWord(_ db: Database) throws {
        try db.execute(sql: """
            CREATE VIRTUAL TABLE temp.contact_fts_words USING fts5vocab(main, contact_fts, row);
            INSERT OR IGNORE INTO search_term (term)
                SELECT term FROM temp.contact_fts_words WHERE length(term) >= 4 AND term GLOB '*[^0-9]*';
            DROP TABLE temp.contact_fts_words;
            """)
    }

    /// Merges every segment of the index into one. Batches leave dozens of segments; one makes
    /// a short prefix read one list instead of many (a count of `a` over 100k contacts: 15 ms
    /// before, 5 ms after).
    static func optimize(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO contact_fts (contact_fts) VALUES ('optimize')")
    }

    /// FTS5's own defaults for its merges.
    static let defaultAutomerge = 4
    static let defaultCrisisMerge = 16

    /// Sets how eagerly FTS5 merges segments as they are written (stored in the index's
    /// configuration, inside the current transaction).
    static func setMerging(automerge: Int, crisisMerge: Int, db: Database) throws {
        try db.execute(sql: "INSERT INTO contact_fts (contact_fts, rank) VALUES ('automerge', ?)", arguments: [automerge])
        try db.execute(sql: "INSERT INTO contact_fts (contact_fts, rank) VALUES ('crisismerge', ?)", arguments: [crisisMerge])
    }

    /// FTS5's own default for the terms it holds in memory before writing a segment.
    static let defaultHashSize = 1 << 20

    /// Sets how many bytes of terms FTS5 holds in memory before it writes them as a segment
    /// (stored in the index's configuration, inside the current transaction).
    static func setHashSize(_ bytes: Int, db: Database) throws {
        try db.execute(sql: "INSERT INTO contact_fts (contact_fts, rank) VALUES ('hashsize', ?)", arguments: [bytes])
    }

    /// How many index rows an import queues before writing them.
    static let batchSize = 2000

    static let insertSQL = "INSERT INTO contact_fts (rowid, " + Schema.searchColumns.joined(separator: ", ")
        + ") VALUES (?" + String(repeating: ", ?", count: Schema.searchColumns.count) + ")"

    /// SQLite's own tokenizer with the index's settings, so the vocabulary holds the words
    /// exactly as the index does (case and accents folded by SQLite, not by rolo).
    static func tokenizer(_ db: Database) throws -> any FTS5Tokenizer {
        try db.makeTokenizer(.unicode61(diacritics: .remove))
    }

    /// Index rows waiting to be written, in one go.
    ///
    /// FTS5 writes its pending terms to disk as a new segment whenever a statement on another
    /// table opens a savepoint — and every insert into `contact` does (it has triggers and
    /// unique indexes). Written one contact at a time, an import would make one tiny segment
    /// per contact and spend its time merging them; written in batches, it makes one per batch.
    final class Batch {
        let db: Database
        let tokenizer: any FTS5Tokenizer
        /// Takes rows and forgets them: for contacts indexed later, all together.
        let discarding: Bool
        /// Whether `flush` adds the rows' words to the vocabulary; false for an index built
        /// whole, whose words are then read from the index at once (`rememberEveryIndexedWord`).
        let collectsVocabulary: Bool
        private var rows: [(rank: Int64, columns: [String])] = []

        init(_ db: Database, discarding: Bool = false, collectsVocabulary: Bool = true) throws {
            self.db = db
            self.tokenizer = try SearchIndex.tokenizer(db)
            self.discarding = discarding
            self.collectsVocabulary = collectsVocabulary
        }

        /// Queues a contact's index row under its rank.
        func add(_ contact: Contact, rank: Int64) {
            guard !discarding else { return }
            rows.append((rank, SearchIndex.document(for: contact)))
        }

        /// Queues an index row already made (`SearchIndex.document(for:)`) under its rank.
        func add(columns: [String], rank: Int64) {
            guard !discarding else { return }
            rows.append((rank, columns))
        }

        var count: Int { rows.count }

        /// Writes the queued rows, in rank order, and their longer words to the vocabulary.
        func flush() throws {
            guard !rows.isEmpty else { return }
            let insert = try db.cachedStatement(sql: SearchIndex.insertSQL)
            var words = Set<String>()
            for row in rows.sorted(by: { $0.rank < $1.rank }) {
                var arguments: [(any DatabaseValueConvertible)?] = [row.rank]
                arguments += row.columns.map { $0 as (any DatabaseValueConvertible)? }
                try insert.execute(arguments: StatementArguments(arguments))
                guard collectsVocabulary else { continue }
                for column in row.columns where !column.isEmpty {
                    if SearchIndex.collectASCIIVocabulary(column, into: &words) { continue }
                    for (token, _) in try tokenizer.tokenize(document: column) where SearchIndex.isVocabularyWord(token) {
                        words.insert(token)
                    }
                }
            }
            rows.removeAll(keepingCapacity: true)
            let remember = try db.cachedStatement(sql: "INSERT OR IGNORE INTO search_term (term) VALUES (?)")
            for word in words { try remember.execute(arguments: [word]) }
        }
    }

    /// The vocabulary words of a column that is all ASCII, as SQLite's tokenizer cuts them:
    /// for ASCII, unicode61 takes exactly the runs of letters and digits as tokens and folds
    /// A–Z to a–z. False (and nothing added) when the column is not all ASCII, for the
    /// tokenizer to do. Most columns are ASCII, and calling the tokenizer from Swift made a
    /// string per token of every column of every contact.
    static func collectASCIIVocabulary(_ column: String, into words: inout Set<String>) -> Bool {
        column.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            var start = 0
            var allDigits = true
            func take(_ end: Int) {
                if end - start >= 4, !allDigits {
                    words.insert(String(unsafeUninitializedCapacity: end - start) { buffer in
                        for offset in 0..<(end - start) {
                            let byte = bytes[start + offset]
                            buffer[offset] = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                        }
                        return end - start
                    })
                }
            }
            for position in 0..<bytes.count {
                let byte = bytes[position]
                let isDigit = byte >= 0x30 && byte <= 0x39
                let isLetter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
                if isDigit || isLetter {
                    if !isDigit { allDigits = false }
                    continue
                }
                take(position)
                start = position + 1
                allDigits = true
            }
            take(bytes.count)
            return true
        } ?? false
    }

    /// Words of 4 or more characters that are not all digits: shorter prefixes have their own
    /// index, and digit runs (phone numbers) are rare enough to search for directly.
    static func isVocabularyWord(_ token: String) -> Bool {
        token.unicodeScalars.count >= 4 && !token.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    static func remove(rank: Int64, db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM contact_fts WHERE rowid = ?").execute(arguments: [rank])
    }

    /// Moves a row to a new rowid (the contact's rank changed). A no-op when there is no row
    /// (a deleted contact has none).
    static func moveRow(from old: Int64, to new: Int64, db: Database) throws {
        let columns = Schema.searchColumns.joined(separator: ", ")
        try db.cachedStatement(sql: "INSERT INTO contact_fts (rowid, \(columns)) SELECT ?, \(columns) FROM contact_fts WHERE rowid = ?")
            .execute(arguments: [new, old])
        try remove(rank: old, db: db)
    }

    // MARK: - Queries

    /// The index's word for an account: one token, matched exactly. It starts with a character
    /// from a private-use plane (outside the BMP range of `SearchText.keyCode`), so it sits in
    /// no letter's or digit's prefix list: typing `a` does not walk one entry per contact.
    /// What keeps searches from matching it is the column filter in `expression(for:)`.
    static func accountToken(_ accountID: Int64) -> String { "\u{F0000}\(accountID)" }

    /// What a term with no field looks in: every column but the account, so no word a person
    /// types (a prefix, a phrase, a private-use character) can match the account token.
    static let anyFieldColumnFilter = "- {account} : "

    /// The MATCH expression for a query within a scope; nil when there is nothing to match
    /// (no query terms: the list is read from the contact table instead).
    static func matchExpression(for query: ContactQuery?, in scope: AccountScope, db: Database) throws -> String? {
        guard let query, let terms = try matchExpression(for: query, db: db) else { return nil }
        guard case .account(let id) = scope else { return terms }
        return "(" + terms + ") AND {account} : \"" + accountToken(id) + "\""
    }

    /// More candidate words than this, and a prefix is left to FTS5 to expand.
    static let maximumExpansion = 64

    /// The MATCH expression for a query; nil when the query has no terms.
    ///
    /// Every word is quoted, so nothing a person types can be read as FTS5 syntax. A last word
    /// of 4 or more characters that is still being typed is expanded through the vocabulary
    /// into the words it can become.
    static func matchExpression(for query: ContactQuery, db: Database) throws -> String? {
        guard !query.isEmpty else { return nil }
        let tokenizer = try tokenizer(db)
        return try query.terms.map { try expression(for: $0, tokenizer: tokenizer, db: db) }.joined(separator: " AND ")
    }

    private static func expression(for term: ContactQuery.Term, tokenizer: any FTS5Tokenizer, db: Database) throws -> String {
        let words: [String]
        let columnFilter: String
        switch term.scope {
        case .anyField:
            words = term.words
            columnFilter = anyFieldColumnFilter
        case .fields(let fields):
            words = term.words
            columnFilter = "{" + fields.map(\.key).joined(separator: " ") + "} : "
        case .custom(let key):
            words = term.words.map { SearchText.customWord(key: key, word: $0) }
            columnFilter = "{custom} : "
        }
        func phrase(_ words: [String]) -> String {
            "\"" + words.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var body = phrase(words)
        if term.lastWordIsPrefix {
            body += " *"
            if let last = words.last, let completions = try completions(of: last, tokenizer: tokenizer, db: db) {
                let leading = Array(words.dropLast())
                body = "(" + completions.map { phrase(leading + [$0]) }.joined(separator: " OR ") + ")"
            }
        }
        return columnFilter + body
    }

    /// The words in the index that start with `prefix`, when there are few enough to list;
    /// nil when the prefix is short (it has its own index), all digits, or too common to list.
    static func completions(of prefix: String, tokenizer: any FTS5Tokenizer, db: Database) throws -> [String]? {
        let tokens = try tokenizer.tokenize(query: prefix)
        guard tokens.count == 1, let token = tokens.first?.token, isVocabularyWord(token) else { return nil }
        let words = try String.fetchAll(db.cachedStatement(sql: """
            SELECT term FROM search_term WHERE term >= ? AND term < ? ORDER BY term LIMIT ?
            """), arguments: [token, token + "\u{10FFFF}", maximumExpansion + 1])
        guard !words.isEmpty, words.count <= maximumExpansion else { return nil }
        return words
    }
}
