import GRDB
import Testing
@testable import RoloStore
import RoloCore

@Suite("Windows of the list")
struct WindowTests {
    /// Names that sort as `n00`…`n24`.
    static func names(_ count: Int) -> [String] { (0..<count).map { String(format: "n%02d", $0) } }

    func cache(with count: Int) throws -> (LocalCache, Account) {
        let (cache, account) = try makeCache()
        let contacts = Self.names(count).shuffled().map {
            Contact(accountID: account.id, fields: [.fullName: $0, .email: "\($0)@example.com"])
        }
        try cache.insertContacts(contacts, author: tester)
        return (cache, account)
    }

    @Test(arguments: [0, 1, 4, 5, 6, 25])
    func pagingForwardVisitsEveryRowOnceInOrder(count: Int) throws {
        let (cache, _) = try cache(with: count)
        #expect(try cache.names(in: .all, page: 5) == Self.names(count))
        #expect(try cache.names(in: .all, order: .nameDescending, page: 5) == Self.names(count).reversed())
        #expect(try cache.names(in: .all, query: "n", page: 5) == Self.names(count))
    }

    @Test func listRowsOfEveryAccountAreReadFromOneIndexWithoutTheContactsRows() throws {
        // `rolo list --tsv` walks every contact in list order: an index that holds every column
        // a list row shows spares reading each contact's whole row (half the time at 100k).
        let (cache, _) = try cache(with: 3)
        for markers in [false, true] {
            let plan = try cache.read { db in
                try Row.fetchAll(db, sql: """
                    EXPLAIN QUERY PLAN SELECT \(LocalCache.summaryColumns(markers: markers)) FROM contact c
                    WHERE 1 AND c.rank > 0 AND c.rank < 99 AND c.deletedAt IS NULL ORDER BY c.rank ASC LIMIT 10
                    """).map { $0["detail"] as String }
            }
            #expect(plan.contains("SEARCH c USING COVERING INDEX contact_list_rows (rank>? AND rank<?)"), "markers \(markers): \(plan)")
        }
    }

    @Test func matchesAreReadInRankOrderFromTheListIndexWithoutASort() throws {
        // `rolo list mül` at 1M reads 10k matches: asked as a join, SQLite sorted them again
        // for the ORDER BY; asked as `rank IN (…)`, it walks them in order.
        let (cache, _) = try cache(with: 3)
        for markers in [false, true] {
            for direction in ["ASC", "DESC"] {
                let plan = try cache.read { db in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + LocalCache.matchedRowsSQL(markers: markers, direction: direction),
                                     arguments: ["n*", 0, 99, 10]).map { $0["detail"] as String }
                }
                #expect(plan.contains("SEARCH c USING COVERING INDEX contact_list_rows (rank=?)"), "\(direction): \(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(direction), markers \(markers): \(plan)")
            }
        }
    }

    @Test func theFirstAndLastWindowsSayWhereTheyAre() throws {
        let (cache, _) = try cache(with: 12)
        let first = try cache.window(in: .all, from: .first, limit: 5)
        #expect(first.rows.map(\.displayName) == ["n00", "n01", "n02", "n03", "n04"])
        #expect(first.reachedStart && !first.reachedEnd)
        let last = try cache.window(in: .all, from: .last, limit: 5)
        #expect(last.rows.map(\.displayName) == ["n07", "n08", "n09", "n10", "n11"])
        #expect(!last.reachedStart && last.reachedEnd)
        let all = try cache.window(in: .all, from: .first, limit: 12)
        #expect(all.rows.count == 12 && all.reachedStart && all.reachedEnd)
        let lastAll = try cache.window(in: .all, from: .last, limit: 12)
        #expect(lastAll.reachedStart && lastAll.reachedEnd)
    }

    @Test(arguments: [ListOrder.name, .nameDescending, .recentlyChanged])
    func beforeAfterAndStartingAtMeetExactly(order: ListOrder) throws {
        let (cache, _) = try cache(with: 12)
        for filter in [nil, "n"] {
            let query = filter.map(ContactQuery.init)
            let all = try cache.window(in: .all, matching: query, order: order, limit: 100).rows
            #expect(all.count == 12)
            let middle = all[6]
            let after = try cache.window(in: .all, matching: query, order: order, from: .after(middle.cursor), limit: 3)
            #expect(after.rows == Array(all[7...9]) && !after.reachedStart && !after.reachedEnd)
            let before = try cache.window(in: .all, matching: query, order: order, from: .before(middle.cursor), limit: 3)
            #expect(before.rows == Array(all[3...5]) && !before.reachedStart && !before.reachedEnd)
            let at = try cache.window(in: .all, matching: query, order: order, from: .startingAt(middle.cursor), limit: 3)
            #expect(at.rows == Array(all[6...8]) && !at.reachedStart)
            let atTop = try cache.window(in: .all, matching: query, order: order, from: .startingAt(all[0].cursor), limit: 3)
            #expect(atTop.reachedStart)
            let nearEnd = try cache.window(in: .all, matching: query, order: order, from: .after(all[9].cursor), limit: 3)
            #expect(nearEnd.rows == Array(all[10...11]) && nearEnd.reachedEnd)
            let nearStart = try cache.window(in: .all, matching: query, order: order, from: .before(all[2].cursor), limit: 3)
            #expect(nearStart.rows == Array(all[0...1]) && nearStart.reachedStart)
            for (index, row) in all.enumerated() {
                #expect(try cache.position(of: row.cursor, in: .all, matching: query, order: order) == index)
            }
        }
    }

    @Test func recentlyChangedPutsTheLastEditFirst() throws {
        // The cache's clock, moved by hand: the edit is a millisecond after the import
        // whatever the machine's speed, instead of sleeping and hoping.
        let clock = TestClock(Timestamp(parsing: "2026-11-25T10:00:00Z")!)
        let cache = try LocalCache(catalog: .standard, clock: { clock.now })
        let account = try cache.defaultAccount()
        try cache.insertContacts(Self.names(5).shuffled().map {
            Contact(accountID: account.id, fields: [.fullName: $0, .email: "\($0)@example.com"], createdAt: clock.now, updatedAt: clock.now)
        }, author: tester)
        let target = try cache.window(in: .all, limit: 5).rows[2]
        var edit = ContactEdit()
        edit.set(.city, "Oslo")
        clock.advance(milliseconds: 1)
        try cache.updateContact(target.id, edit: edit, author: tester)
        let recent = try cache.window(in: .all, order: .recentlyChanged, limit: 5)
        #expect(recent.rows.first?.id == target.id)
    }

    @Test func renamesMoveAContactToItsNewPlace() throws {
        let (cache, _) = try cache(with: 10)
        let first = try cache.window(in: .all, limit: 1).rows[0]
        var edit = ContactEdit()
        edit.set(.fullName, "n05b")
        try cache.updateContact(first.id, edit: edit, author: tester)
        let names = try cache.names(in: .all)
        #expect(names == ["n01", "n02", "n03", "n04", "n05", "n05b", "n06", "n07", "n08", "n09"])
        #expect(try cache.names(in: .all, query: "n05b") == ["n05b"])
    }

    @Test func insertingAlwaysAtTheSameSpotRelabelsAndKeepsOrderAndIndex() throws {
        // Every new name sorts just before the previous one, between the same two neighbours:
        // the gap halves each time until a relabel must spread the neighbours out.
        let (cache, account) = try makeCache()
        try cache.insertContacts([
            Contact(accountID: account.id, fields: [.fullName: "a", .email: "a@example.com"]),
            Contact(accountID: account.id, fields: [.fullName: "b", .email: "b@example.com"]),
        ], author: tester)
        var expected = ["a", "b"]
        var name = "az"
        for _ in 0..<120 {
            try cache.insertContact(Contact(accountID: account.id, fields: [.fullName: name, .email: "x@example.com"]), author: tester)
            expected.append(name)
            name = String(name.dropLast()) + "y" + "z"   // "az" → "ayz" → "ayyz"…: always just below the last
        }
        expected.sort()
        #expect(try cache.names(in: .all, page: 7) == expected)
        #expect(try cache.names(in: .all, query: "ay", page: 7) == expected.filter { $0.hasPrefix("ay") })
        // Ranks are unique, ordered like sort keys, and every live contact has exactly its index row.
        let consistent = try cache.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM contact c JOIN contact_fts f ON f.rowid = c.rank WHERE c.deletedAt IS NULL
                """)
        }
        #expect(consistent == expected.count)
    }

    @Test func randomInsertsDeletesAndRenamesKeepTheListSorted() throws {
        var generator = SeededGenerator(seed: 42)
        let (cache, account) = try makeCache()
        var live: [ContactID: String] = [:]
        for step in 0..<400 {
            let choice = Int.random(in: 0..<10, using: &generator)
            if choice < 6 || live.isEmpty {
                let name = String((0..<Int.random(in: 1...4, using: &generator)).map { _ in "abc".randomElement(using: &generator)! })
                let stored = try cache.insertContact(
                    Contact(accountID: account.id, fields: [.fullName: name, .email: "p\(step)@example.com"]), author: tester)
                live[stored.id!] = name
            } else if choice < 8 {
                let id = live.keys.sorted()[Int.random(in: 0..<live.count, using: &generator)]
                try cache.deleteContact(id, author: tester)
                live[id] = nil
            } else {
                let id = live.keys.sorted()[Int.random(in: 0..<live.count, using: &generator)]
                let name = "b" + String(step)
                var edit = ContactEdit()
                edit.set(.fullName, name)
                try cache.updateContact(id, edit: edit, author: tester)
                live[id] = name
            }
        }
        let listed = try cache.names(in: .all, page: 13)
        #expect(listed == listed.sorted())
        #expect(listed.sorted() == live.values.sorted())
        #expect(try cache.contactCount(in: .all) == live.count)
    }
}

/// A small deterministic generator (SplitMix64) so a failing run can be repeated.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Timestamps have millisecond precision; make sure the next write gets a later one.

import Foundation
