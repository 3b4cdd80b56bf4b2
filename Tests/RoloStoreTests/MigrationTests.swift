import Foundation
import GRDB
import Testing
@testable import RoloStore
import RoloCore

@Suite("Migrations and what the cache holds")
struct MigrationTests {
    /// The bodies of every `registerMigration` in Schema.swift, comments and string literals
    /// removed (a literal becomes `"…"`).
    static func migrationBodies() throws -> [(name: String, body: String)] {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/RoloStore/Schema.swift")
        var text = try String(contentsOf: source, encoding: .utf8)
        // Multi-line literals first (SQL holds quotes and braces), then lines' comments.
        while let open = text.range(of: "\"\"\""), let close = text.range(of: "\"\"\"", range: open.upperBound..<text.endIndex) {
            text.replaceSubrange(open.lowerBound..<close.upperBound, with: "\"…\"")
        }
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line)
        }.joined(separator: "\n")
        var bodies: [(String, String)] = []
        var rest = text[...]
        while let call = rest.range(of: "registerMigration(\"") {
            let nameEnd = rest[call.upperBound...].firstIndex(of: "\"")!
            let name = String(rest[call.upperBound..<nameEnd])
            let open = rest[nameEnd...].firstIndex(of: "{")!
            var depth = 0
            var index = open
            repeat {
                if rest[index] == "{" { depth += 1 }
                if rest[index] == "}" { depth -= 1 }
                index = rest.index(after: index)
            } while depth > 0
            bodies.append((name, String(rest[rest.index(after: open)..<rest.index(before: index)])))
            rest = rest[index...]
        }
        return bodies
    }

    @Test func everyMigrationRunsSQLOnlyNeverRolosOwnCode() throws {
        let bodies = try MigrationTests.migrationBodies()
        #expect(bodies.count == Schema.migrator.migrations.count)
        // `db in` and nothing but `try db.execute(sql: "…")`, or a constant of SQL text.
        let statement = #/\s*try db\.execute\(sql: ("…"|requestIndexRebuild)\)\s*/#
        for (name, body) in bodies {
            var code = body.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(code.hasPrefix("db in"), "\(name)")
            code = String(code.dropFirst(5))
            while let match = code.prefixMatch(of: statement) { code = String(code[match.range.upperBound...]) }
            #expect(code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                    "the migration “\(name)” runs more than SQL: \(code.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))")
        }
    }

    @Test func aMigrationThatChangesTheIndexOnlyAsksForItToBeBuiltAgain() throws {
        let path = temporaryPath("asks.sqlite")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(old, upTo: "2026-11-25 kept count of waiting edits")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO account (id, name, provider, settings, createdAt) VALUES (1, 'local', 'local', '{}', 0);
                INSERT INTO contact (id, uid, accountId, rank, sortKey, displayName, first_name, last_name, contentHash, createdAt, updatedAt)
                VALUES (1, 'u1', 1, 10, 'ann adams', 'Ann Adams', 'Ann', 'Adams70358', 'h', 0, 0);
                INSERT INTO contact_fts (rowid, first_name, last_name, account) VALUES (10, 'Ann', 'Adams70358', 'a1');
                """)
        }
        try Schema.migrator.migrate(old)
        let (indexed, settled) = try old.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM contact_fts"), try Schema.isSettled(db))
        }
        #expect(indexed == 0)
        #expect(!settled)
        try old.close()
        // Opening it as rolo does builds the index with the code of the day, once.
        let cache = try LocalCache(path: path, catalog: .standard)
        #expect(try cache.names(in: .account(1), query: "70358") == ["Ann Adams"])
        #expect(try cache.read { db in try Schema.isSettled(db) })
    }

    @Test func aCustomValueOfATypeNoCodeKnowsIsAnErrorNamingItAndItsTable() throws {
        let path = temporaryPath("types.sqlite")
        let cache = try LocalCache(path: path, catalog: .standard)
        let account = try cache.defaultAccount()
        let stored = try cache.insertContact(person("Ann", "Lee", account: account.id), author: tester)
        try cache.writer.write { db in
            try db.execute(sql: "INSERT INTO custom_value (contactId, key, type, value) VALUES (?, 'budget', 'currency', 'EUR 5')",
                           arguments: [stored.id!.rawValue])
        }
        let error = #expect(throws: RoloError.self) { try cache.contact(stored.id!) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("“currency”"))
        #expect(message.contains("custom_value.type"))
        #expect(message.contains(path))
    }

    @Test func aStoredValueThatDoesNotParseAsItsTypeIsAnErrorNotText() throws {
        let (cache, account) = try makeCache()
        let stored = try cache.insertContact(person("Ann", "Lee", account: account.id), author: tester)
        try cache.writer.write { db in
            try db.execute(sql: "INSERT INTO custom_value (contactId, key, type, value) VALUES (?, 'born', 'date', 'yesterday')",
                           arguments: [stored.id!.rawValue])
        }
        let error = #expect(throws: RoloError.self) { try cache.contact(stored.id!) }
        #expect(error.map { "\($0)" }?.contains("“yesterday” in custom_value.value (date)") == true)
    }

    @Test func aFieldDefinitionOfAnUnknownTypeIsAnError() throws {
        let (cache, account) = try makeCache()
        try cache.writer.write { db in
            try db.execute(sql: "INSERT INTO field_definition (accountId, key, label, type, position) VALUES (?, 'tier', 'Tier', 'rating', 0)",
                           arguments: [account.id])
        }
        let error = #expect(throws: RoloError.self) { try cache.fieldDefinitions(accountID: account.id) }
        #expect(error.map { "\($0)" }?.contains("“rating” in field_definition.type") == true)
    }

    @Test func aChangeToAFieldOrOfATypeNoCodeKnowsIsAnErrorInTheEditHistory() throws {
        let (cache, account) = try makeCache()
        let ann = try cache.insertContact(person("Ann", "Lee", account: account.id), author: tester)
        let bob = try cache.insertContact(person("Bob", "Ray", account: account.id), author: tester)
        try cache.writer.write { db in
            try db.execute(sql: """
                INSERT INTO audit (at, user, contactId, contactUid, action, deltas)
                VALUES (0, 'x', ?, 'u', 'update', '[{"after":"Nan","before":null,"field":"nickname"}]')
                """, arguments: [ann.id!.rawValue])
            try db.execute(sql: """
                INSERT INTO audit (at, user, contactId, contactUid, action, deltas)
                VALUES (0, 'x', ?, 'u', 'update', '[{"after":{"type":"colour","value":"red"},"before":null,"field":"custom.c"}]')
                """, arguments: [bob.id!.rawValue])
        }
        let field = #expect(throws: RoloError.self) { try cache.audit(for: ann.id!) }
        #expect(field.map { "\($0)" }?.contains("“nickname” in audit.deltas") == true)
        let type = #expect(throws: RoloError.self) { try cache.audit(for: bob.id!) }
        #expect(type.map { "\($0)" }?.contains("“colour” in audit.deltas") == true)
    }
}
