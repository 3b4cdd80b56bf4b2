import Foundation
import GRDB
import GRDBSQLite
import Testing
import RoloCore
@testable import RoloStore

/// The write path of imports and pulls: where a new contact goes in the list order, how a
/// stretch is relabelled when a gap is used up, and the shortcuts taken for every contact.
@Suite("Bulk writes: list order and shortcuts")
struct BulkWriteTests {
    /// Every contact's rank, by display name.
    static func ranks(_ cache: LocalCache) throws -> [String: Int64] {
        try cache.read { db in
            var ranks: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT displayName, rank FROM contact") { ranks[row["displayName"]] = row["rank"] }
            return ranks
        }
    }

    /// Ranks follow name order, and every live contact has exactly its index row.
    static func expectConsistent(_ cache: LocalCache, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (ordered, indexed, live) = try cache.read { db in
            (try Int64.fetchAll(db, sql: "SELECT rank FROM contact WHERE deletedAt IS NULL ORDER BY sortKey"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM contact c JOIN contact_fts f ON f.rowid = c.rank WHERE c.deletedAt IS NULL") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM contact WHERE deletedAt IS NULL") ?? 0)
        }
        #expect(ordered == ordered.sorted() && Set(ordered).count == ordered.count, "ranks in name order", sourceLocation: sourceLocation)
        #expect(indexed == live, "one index row per contact", sourceLocation: sourceLocation)
    }

    @Test func makingAnIndexOverManyRowsSortsWithinThePageCachesSize() throws {
        // An import into an empty cache makes its indexes at the end, each a sort of every
        // contact: past the page cache's size the sort must go on in a temporary file, not
        // hold every key in memory (with a million contacts that was 130 MB more at the peak).
        // 400k keys of 48 characters are 25 MB held at once; the sort may hold about 1 MiB.
        let path = temporaryPath("sort.sqlite")
        defer { removeFolder(of: path) }
        let cache = try LocalCache(path: path, catalog: .standard)
        struct RolledBack: Error {}
        var grew: Int64 = 0
        #expect(throws: (any Error).self) {
            try cache.write { db in
                try db.execute(sql: "CREATE TABLE scratch (key TEXT)")
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
                    INSERT INTO scratch SELECT hex(randomblob(24)) FROM n
                    """)
                try db.execute(sql: "PRAGMA cache_size = -1024")
                let before = sqlite3_memory_used()
                _ = sqlite3_memory_highwater(1)
                try db.execute(sql: "CREATE INDEX scratch_by_key ON scratch(key)")
                grew = sqlite3_memory_highwater(0) - before
                throw RolledBack()
            }
        }
        // SQLite counts the memory of the whole process: other tests running meanwhile may add a little.
        #expect(grew < 12 << 20, "making the index held \(grew >> 20) MiB")
        #expect(try cache.read { db in try db.tableExists("scratch") } == false, "the write was rolled back")
    }

    @Test func contactsArrivingInNameOrderInTheMiddleOfTheListMoveNoOne() throws {
        // A provider listing by email brings runs in name order that all fall between the same
        // two contacts. Each takes a place of its own: no contact already placed moves.
        let (cache, account) = try makeCache()
        try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: "Aaron Abbott"]), author: tester)
        try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: "Zed Zimmer"]), author: tester)
        var placed = try Self.ranks(cache)
        let names = (0..<300).map { String(format: "Mia Moreau %03d", $0) }
        for name in names {
            try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: name]), author: tester)
            let now = try Self.ranks(cache)
            for (other, rank) in placed { #expect(now[other] == rank, "\(other) moved when \(name) came") }
            placed = now
        }
        // And the same run backwards, in front of the first of them.
        for name in names.map({ $0.replacingOccurrences(of: "Mia", with: "Max") }).reversed() {
            try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: name]), author: tester)
        }
        let now = try Self.ranks(cache)
        for (other, rank) in placed { #expect(now[other] == rank, "\(other) moved") }
        try Self.expectConsistent(cache)
    }

    @Test func aContactGoesWhereItsNameLiesBetweenItsNeighbours() {
        let low = (rank: Int64(1_000_000), key: "anna\u{1}x")
        let high = (rank: Int64(2_000_000), key: "carl\u{1}x")
        let middle = RankAllocator.place("bert\u{1}x", before: low, after: high)!
        #expect(middle > 1_400_000 && middle < 1_600_000, "b is about half way from a to c")
        let near = RankAllocator.place("anna b\u{1}x", before: low, after: high)!
        #expect(near == low.rank + 1_000_000 / RankSpace.marginShare, "never closer than the margin")
        #expect(RankAllocator.place("x", before: (5, "a"), after: (6, "z")) == nil, "no room")
        #expect(RankAllocator.place("x", before: (5, "a"), after: (7, "z")) == 6)
        // At the end of the list, a run of names in order that differ only late advances by one
        // step at a time; names far apart, by more.
        #expect(RankAllocator.place("mia moreau 002", before: (1 << 40, "mia moreau 001"), after: nil) == (1 << 40) + RankSpace.step)
        #expect(RankAllocator.place("zz", before: (1 << 40, "zy"), after: nil)! > (1 << 40) + RankSpace.step)
        // Whatever the keys, the rank lies strictly between the neighbours'.
        var random = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let keys = (0..<3).map { _ in String((0..<Int.random(in: 0...12, using: &random)).map { _ in "ab\u{1}zé山".randomElement(using: &random)! }) }
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            guard keys[0] != keys[1], keys[1] != keys[2] else { continue }
            let lowRank = Int64.random(in: 0..<(1 << 61), using: &random)
            let highRank = lowRank + Int64.random(in: 2...(1 << 40), using: &random)
            let rank = RankAllocator.place(keys[1], before: (lowRank, keys[0]), after: (highRank, keys[2]))
            #expect(rank.map { $0 > lowRank && $0 < highRank } == true)
        }
    }

    @Test func aUsedUpGapRelabelsItsNeighboursAndMovesTheirIndexRowsOnce() throws {
        let (cache, account) = try makeCache()
        let names = (0..<40).map { String(format: "n%02d", $0) }
        try cache.insertContacts(names.map { Contact(accountID: account.id, fields: [.fullName: $0]) }, author: tester)
        // Squeeze every contact onto consecutive ranks, so that no gap has room left.
        try cache.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, rank FROM contact ORDER BY sortKey")
            try RankAllocator.move(rows.enumerated().map { (id: $1["id"], from: $1["rank"], to: Int64(1_000 + $0)) }, db: db)
        }
        try Self.expectConsistent(cache)
        #expect(try Self.ranks(cache)["n17"] == 1_017)
        try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: "n17b"]), author: tester)
        try Self.expectConsistent(cache)
        #expect(try cache.names(in: .all, page: 7) == (names + ["n17b"]).sorted())
        #expect(try cache.names(in: .all, query: "n17b") == ["n17b"])
        #expect(try cache.names(in: .all, query: "n39") == ["n39"])
    }

    @Test func theAuditLineOfANewContactIsEveryValueAsAChangeFromNothing() {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<500 {
            var contact = Contact(accountID: 1)
            for field in StandardField.allCases where Bool.random(using: &random) {
                contact[field] = ["x", "Zoë \"q\"", "line\nbreak", "\u{1B}]0;t", "山田"].randomElement(using: &random)!
            }
            for key in ["plan", "score", "tags", "b\\k"] where Bool.random(using: &random) {
                contact.custom[key] = [.text("gold"), .number(4.5), .multiselect(["a", "b"]), .bool(true)].randomElement(using: &random)!
            }
            #expect(DeltaCoding.encodeCreation(of: contact) == DeltaCoding.encode(LocalCache.allFields(of: contact)))
        }
    }

    @Test func theVocabularyOfAnASCIIColumnIsWhatSQLitesTokenizerCutsFromIt() throws {
        let (cache, _) = try makeCache()
        try cache.read { db in
            let tokenizer = try SearchIndex.tokenizer(db)
            var random = SeededGenerator(seed: 7)
            for round in 0..<3000 {
                let column = String((0..<Int.random(in: 0...40, using: &random)).map { _ in
                    Character(UnicodeScalar(UInt8.random(in: round % 2 == 0 ? 0x20...0x7E : 0x01...0x7F, using: &random)))
                })
                var fast = Set<String>()
                #expect(SearchIndex.collectASCIIVocabulary(column, into: &fast))
                let slow = Set(try tokenizer.tokenize(document: column).map(\.token).filter(SearchIndex.isVocabularyWord))
                #expect(fast == slow, "\(column.debugDescription)")
            }
            var untouched = Set<String>()
            #expect(!SearchIndex.collectASCIIVocabulary("Zoë Müller", into: &untouched))
            #expect(untouched.isEmpty)
        }
    }

    // MARK: - An import into a cache without contacts places them all at the end

    /// Varied contacts for the import comparisons: names in many scripts and cases, values of
    /// every custom type, some without an email, one a duplicate uid.
    static func importedContacts(accountID: Int64, count: Int) throws -> [Contact] {
        var random = SeededGenerator(seed: 11)
        let firsts = ["Rob", "robert", "Zoë", "Łukasz", "Анна", "太郎", "Mia", "mia", "Ngọc", "O'Brien", ""]
        let lasts = ["Howard", "Müller", "van der Berg", "山田", "Smith", "smith", "Nguyen", ""]
        let json = try JSONValue.parse(#"{"tier":"gold","tags":["vip","early"],"n":3.5,"ok":true}"#)
        return (0..<count).map { index in
            var fields: [StandardField: String] = [:]
            let first = firsts.randomElement(using: &random)!, last = lasts.randomElement(using: &random)!
            if !first.isEmpty { fields[.firstName] = first }
            if !last.isEmpty { fields[.lastName] = last }
            if fields.isEmpty { fields[.company] = "Globex \(index % 7)" }
            if index % 5 != 0 { fields[.email] = "p\(index)@example.org" }
            if index % 3 == 0 { fields[.mobilePhone] = "+1555\(1_000_000 + index)" }
            if index % 4 == 0 { fields[.city] = ["Zürich", "Dallas", "東京"].randomElement(using: &random)! }
            var custom: [String: CustomValue] = [:]
            let choices: [CustomValue] = [.text("cus_\(index)"), .number(Double(index) / 4), .bool(index % 2 == 0), .select("gold"),
                                          .multiselect(["a b", "c"]), .json(json), .date(LocalDate(iso: "2026-11-25")!),
                                          .datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(index)))]
            for key in ["plan", "score", "notes_x"] where Bool.random(using: &random) { custom[key] = choices.randomElement(using: &random)! }
            return Contact(accountID: accountID, fields: fields, custom: custom)
        }
    }

    /// What a search can see of every live contact (its index row, by uid), the vocabulary,
    /// and the list in order: all but the ranks themselves.
    static func searchable(_ cache: LocalCache) throws -> (rows: [String: [String]], terms: [String], list: [String]) {
        try cache.read { db in
            let columns = Schema.searchColumns.map { "f." + $0 }.joined(separator: ", ")
            var rows: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT c.uid, \(columns) FROM contact c JOIN contact_fts f ON f.rowid = c.rank WHERE c.deletedAt IS NULL
                """) {
                rows[row[0]] = (1...Schema.searchColumns.count).map { row[$0] as String? ?? "" }
            }
            let terms = try String.fetchAll(db, sql: "SELECT term FROM search_term ORDER BY term")
            let list = try String.fetchAll(db, sql: "SELECT uid FROM contact WHERE deletedAt IS NULL ORDER BY rank")
            return (rows, terms, list)
        }
    }

    /// The schema of the contacts' indexes, as SQLite keeps it.
    static func contactIndexes(_ cache: LocalCache) throws -> [String] {
        try cache.read { db in
            try String.fetchAll(db, sql: "SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact' ORDER BY name")
        }
    }

    @Test(arguments: [nil, 100])
    func anImportIntoACacheWithoutContactsListsAndSearchesLikeOneWrittenContactByContact(indexesBackAfter: Int?) throws {
        // The first cache has no contacts: the import holds every contact's place and index row
        // until the end. The second has one already, so each contact is placed and indexed as
        // it comes — the way every import went before. They must come out alike.
        let (bulk, bulkAccount) = try makeCache()
        let (single, singleAccount) = try makeCache()
        let seed = try single.insertContact(Contact(accountID: singleAccount.id, fields: [.fullName: "Qz"]), author: tester)
        let contacts = try Self.importedContacts(accountID: bulkAccount.id, count: 600)
        #expect(bulkAccount.id == singleAccount.id)
        for cache in [bulk, single] {
            let holds = try cache.importContacts(author: tester) { importer throws -> Bool in
                if let indexesBackAfter { importer.mostHeldWithoutIndexes = indexesBackAfter }
                for contact in contacts {
                    let refusal = try importer.add(contact, remote: nil, emailIsKey: false)
                    #expect(refusal == nil)
                }
                return importer.holdsPlaces
            }
            #expect(holds == (cache === bulk), "the cache without contacts, and only it, placed its contacts at the end")
        }
        try single.deleteContact(seed.id!, author: tester)
        let (bulkSeen, singleSeen) = (try Self.searchable(bulk), try Self.searchable(single))
        #expect(bulkSeen.rows.count == contacts.count)
        #expect(bulkSeen.rows == singleSeen.rows, "every contact has the same index row")
        #expect(bulkSeen.terms == singleSeen.terms, "the same vocabulary")
        #expect(bulkSeen.list == singleSeen.list, "the same list order")
        try Self.expectConsistent(bulk)
        #expect(try Self.contactIndexes(bulk) == Self.contactIndexes(single), "the indexes set aside are back as they were")
        #expect(try Self.contactIndexes(bulk).count >= 8)
        for query in ["rob", "mia smi", "müller", "山田", "email:example.org", "plan:gold", "tier", "zur", "p12"] {
            #expect(try bulk.names(in: .all, query: query) == single.names(in: .all, query: query), "\(query)")
            #expect(try bulk.count(in: .all, matching: ContactQuery(query)) == single.count(in: .all, matching: ContactQuery(query)))
        }
        #expect(try bulk.names(in: .all, page: 50) == single.names(in: .all, page: 50))
        #expect(try bulk.names(in: .account(bulkAccount.id), order: .recentlyChanged, page: 50)
                == single.names(in: .account(singleAccount.id), order: .recentlyChanged, page: 50))
        // Audit lines and outbox entries are the same as well (the local account has no outbox).
        for table in ["audit", "outbox", "custom_value"] {
            #expect(try bulk.tableCount(table) == single.tableCount(table) - (table == "audit" ? 2 : 0), "\(table)")
        }
    }

    /// An import into a cache without contacts skips the lookups its filter of stored keys
    /// rules out; it must find every duplicate one into a cache with contacts finds: uids again,
    /// emails again in another case or with spaces around them, provider ids again — asked
    /// through `existing(matching:)` first, or straight through `add`.
    @Test func anImportIntoAnEmptyCacheFindsEveryDuplicateACacheWithContactsFinds() throws {
        let (filtered, account) = try makeCache()
        let (looked, other) = try makeCache()
        _ = try looked.insertContact(Contact(accountID: other.id, fields: [.fullName: "Qz", .email: "qz@elsewhere.org"]), author: tester)
        var random = SeededGenerator(seed: 5)
        let contacts: [(Contact, RemoteReference?)] = (0..<4000).map { index in
            let number = Int.random(in: 0..<3000, using: &random)
            var email = "Person.\(number)@Example.org"
            if Bool.random(using: &random) { email = email.lowercased() }
            if index % 7 == 0 { email = "  " + email + " " }
            var contact = Contact(accountID: account.id, fields: [.firstName: "P\(number)", .email: email])
            if index % 5 == 0 { contact.uid = "00000000-0000-4000-8000-\(String(format: "%012d", number % 500))" }
            let remote = index % 3 == 0 ? RemoteReference(id: "r\(number % 900)", modifiedAt: nil) : nil
            return (contact, remote)
        }
        func outcomes(_ cache: LocalCache) throws -> [String] {
            try cache.importContacts(author: tester) { importer in
                try contacts.enumerated().map { index, entry in
                    if index % 2 == 0, let found = try importer.existing(matching: entry.0) { return "found by \(found.match)" }
                    return try importer.add(entry.0, remote: entry.1, emailIsKey: true).map { "refused: \($0)" } ?? "added"
                }
            }
        }
        let (withFilter, withLookups) = (try outcomes(filtered), try outcomes(looked))
        let differing = withFilter.indices.first { withFilter[$0] != withLookups[$0] }
        let (filterSaid, lookupSaid) = (differing.map { withFilter[$0] } ?? "", differing.map { withLookups[$0] } ?? "")
        #expect(differing == nil, "record \(differing ?? 0): \(filterSaid) with the filter, \(lookupSaid) with lookups")
        #expect(Set(withFilter).count >= 5, "every kind of outcome came up: \(Set(withFilter))")
    }

    @Test func theFilterOfStoredKeysNeverForgetsAKeyAndRarelyImaginesOne() {
        var filter = StoredKeyFilter()
        let stored = (0..<200_000).map { "u\($0)-\($0 * 7919)" }
        for key in stored { filter.insert(key) }
        #expect(stored.allSatisfy(filter.mayContain), "no stored key is ever answered no")
        let imagined = (0..<100_000).filter { filter.mayContain("other-\($0)") }.count
        #expect(imagined < 100, "\(imagined) of 100,000 keys never stored answered maybe")
        #expect(StoredKeyFilter.email(" Ann@Example.COM ", accountID: 3) == StoredKeyFilter.email("ann@example.com", accountID: 3))
        #expect(StoredKeyFilter.email("ann@example.com", accountID: 3) != StoredKeyFilter.email("ann@example.com", accountID: 4))
        #expect(StoredKeyFilter.email("zoë@example.com", accountID: 3) != StoredKeyFilter.email("ZOË@example.com", accountID: 3),
                "NOCASE folds ASCII letters only")
    }

    @Test func aDuplicateUpdatedHalfWayPlacesTheContactsHeldSoFarFirst() throws {
        // A second record with a uid the import already stored, imported as an update: the
        // contacts held so far are placed then, and the rest of the import goes one by one.
        let (cache, account) = try makeCache()
        var contacts = try Self.importedContacts(accountID: account.id, count: 300)
        var renamed = contacts[10]
        renamed.fields[.firstName] = "Aardvark"
        renamed.fields[.lastName] = "Zuckerman"
        contacts.insert(renamed, at: 150)
        try cache.importContacts(author: tester) { importer throws in
            for contact in contacts {
                if let found = try importer.existing(matching: contact), found.match == .uid {
                    let changed = try importer.update(found.id, with: contact)
                    #expect(changed)
                    #expect(!importer.holdsPlaces)
                    continue
                }
                let refusal = try importer.add(contact, remote: nil, emailIsKey: false)
                #expect(refusal == nil)
            }
        }
        try Self.expectConsistent(cache)
        #expect(try cache.names(in: .all, query: "aardvark") == ["Aardvark Zuckerman"])
        let names = try cache.names(in: .all, page: 40)
        #expect(names.count == 300)
        #expect(names.first == "Aardvark Zuckerman")
        #expect(try cache.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM contact WHERE rank <= 0") } == 0)
    }
}
