import Foundation
import GRDB
import Testing
@testable import RoloStore
import RoloCore
import RoloProviders

@Suite("The cache file")
struct CacheFileTests {
    @Test func aNewCacheHasTheLocalAccountAndEveryMigration() throws {
        let (cache, account) = try makeCache()
        #expect(account.name == "local")
        #expect(account.provider == .local)
        let applied = try cache.read { db in try Schema.migrator.appliedIdentifiers(db) }
        #expect(applied == ["2026-11-25 accounts, contacts, custom values, field definitions",
                            "2026-11-25 remote links, outbox, drafts, conflicts, audit log",
                            "2026-11-25 full-text index for the live filter",
                            "2026-11-25 kept count of waiting edits",
                            "2026-11-25 letters and digits as separate words in the index",
                            "2026-11-25 shown names and unreachable account tokens in the index",
                            "2026-12-06 delivery outbox, edit history, sync state",
                            "2026-12-06 drafts belong to the rolo that holds the form",
                            "2026-12-06 search index rebuilt: rows written under a moved contact's old rank",
                            "2026-12-06 list rows read from one index",
                            "2026-12-06 link keeps the digest of its base",
                            "2026-12-06 further emails and phones with their labels"])
        #expect(try cache.read { db in try Schema.migrator.hasCompletedMigrations(db) })
    }

    @Test func anUnusedCacheIsRemovedOnlyWhenNothingIsInItAndNoOneHasItOpen() throws {
        let path = temporaryPath("new.sqlite")
        defer { removeFolder(of: path) }
        func files() -> [String] { ["", "-wal", "-shm"].filter { FileManager.default.fileExists(atPath: path + $0) } }
        // Open (and read) by another rolo: kept.
        var open: LocalCache? = try LocalCache(path: path, catalog: .standard)
        #expect(try open?.contactCount(in: .all) == 0)
        #expect(!LocalCache.removeIfUnused(path: path))
        #expect(files() == ["", "-wal", "-shm"])
        open = nil
        // Closed and holding nothing: removed with its -wal and -shm.
        #expect(LocalCache.removeIfUnused(path: path))
        #expect(files().isEmpty)
        // A contact in it: kept.
        do {
            let cache = try LocalCache(path: path, catalog: .standard)
            _ = try cache.insertContacts([person("Ann", "Adams", email: "ann@example.com", account: try cache.defaultAccount().id)],
                                         author: Author(user: "test", clientAddress: nil))
        }
        #expect(!LocalCache.removeIfUnused(path: path))
        #expect(try LocalCache(path: path, catalog: .standard).contactCount(in: .all) == 1)
        // Not a rolo cache at all: kept.
        let other = (path as NSString).deletingLastPathComponent + "/other.sqlite"
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE notes (text)") }
        #expect(!LocalCache.removeIfUnused(path: other))
        #expect(FileManager.default.fileExists(atPath: other))
    }

    @Test func aCacheFromBeforeTheKeptCountsGetsItsWaitingEditsCounted() throws {
        let path = temporaryPath("old.sqlite")
        defer { removeFolder(of: path) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            // A cache as the first three migrations left it, with two edits waiting.
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "2026-11-25 full-text index for the live filter")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO account (id, name, provider, settings, createdAt) VALUES (1, 'local', 'local', '{}', 0);
                    INSERT INTO account (id, name, provider, settings, createdAt) VALUES (2, 'ds', 'dailystory', '{}', 0);
                    INSERT INTO contact (id, uid, accountId, rank, sortKey, displayName, email, contentHash, createdAt, updatedAt)
                    VALUES (1, 'u1', 2, 10, 'ann', 'Ann', 'ann.adams70358@example.com', 'h', 0, 0);
                    INSERT INTO outbox (contactId, accountId, operation, deltas, createdAt) VALUES (1, 2, 'create', '[]', 0);
                    INSERT INTO outbox (contactId, accountId, operation, deltas, createdAt) VALUES (1, 2, 'update', '[]', 0);
                    """)
            }
        }
        let cache = try LocalCache(path: path, catalog: .standard)
        // The two edits of one contact the provider never had are one create waiting.
        #expect(try cache.pendingEditCount(in: .all) == 1)
        #expect(try cache.outbox().map(\.kind) == [.create])
        #expect(try cache.pendingEditCount(in: .account(1)) == 0)
        // Both edits are still within undo's reach.
        #expect(try cache.undoableEditCount(in: .all) == 0, "the old cache had no audit rows for them")
        // The index is rebuilt with the words cut the current way (none was written above).
        #expect(try cache.window(in: .all, matching: ContactQuery("adams703"), limit: 5).rows.count == 1)
        #expect(try cache.window(in: .all, matching: ContactQuery("email:70358"), limit: 5).rows.count == 1)
    }

    /// Drafts saved before drafts had holders keep their text, belong to no running rolo,
    /// and are offered back as before.
    @Test func draftsFromBeforeHoldersAreKeptAndOffered() throws {
        let path = temporaryPath("old-drafts.sqlite")
        defer { removeFolder(of: path) }
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "2026-11-25 shown names and unreachable account tokens in the index")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO account (id, name, provider, settings, createdAt) VALUES (1, 'local', 'local', '{}', 0);
                    INSERT INTO contact (id, uid, accountId, rank, sortKey, displayName, email, contentHash, createdAt, updatedAt)
                    VALUES (5, 'u5', 1, 10, 'ann', 'Ann', 'ann@example.com', 'h', 0, 0);
                    INSERT INTO draft (accountId, contactId, payload, savedAt) VALUES (1, 5, 'city: Dal', 1000);
                    INSERT INTO draft (accountId, contactId, payload, savedAt) VALUES (1, 0, 'a new one', 2000);
                    """)
            }
        }
        let cache = try LocalCache(path: path, catalog: .standard)
        let left = try cache.draftsLeftBehind(isRunning: { _ in true })
        #expect(left.map(\.payload) == ["a new one", "city: Dal"])
        #expect(left.allSatisfy { $0.holder == nil })
        guard case .claimed(_, let text?, nil) = try cache.claimDraft(.contact(ContactID(5), accountID: 1), for: session(pid: 3),
                                                                     isRunning: { _ in true }) else {
            Issue.record("the old draft was not given to the next rolo")
            return
        }
        #expect(text.payload == "city: Dal")
    }

    @Test func aCacheIndexedTheOldWayIsIndexedAgainOnOpen() throws {
        let path = temporaryPath("old-index.sqlite")
        defer { removeFolder(of: path) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            // Two contacts indexed as before: the account as the word `a1`, no shown name.
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "2026-11-25 letters and digits as separate words in the index")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO account (id, name, provider, settings, createdAt) VALUES (1, 'local', 'local', '{}', 0);
                    INSERT INTO contact (id, uid, accountId, rank, sortKey, displayName, first_name, last_name, contentHash, createdAt, updatedAt)
                    VALUES (1, 'u1', 1, 10, 'aaliyah nguyen', 'Aaliyah Nguyen', 'Aaliyah', 'Nguyen', 'h', 0, 0);
                    INSERT INTO contact (id, uid, accountId, rank, sortKey, displayName, phone, contentHash, createdAt, updatedAt)
                    VALUES (2, 'u2', 1, 20, '+15550001111', '+15550001111', '+15550001111', 'h', 0, 0);
                    INSERT INTO contact_fts (rowid, first_name, last_name, account) VALUES (10, 'Aaliyah', 'Nguyen', 'a1');
                    INSERT INTO contact_fts (rowid, phone, account) VALUES (20, '15550001111', 'a1');
                    """)
            }
        }
        let cache = try LocalCache(path: path, catalog: .standard)
        #expect(try cache.names(in: .account(1), query: "a") == ["Aaliyah Nguyen"])
        #expect(try cache.names(in: .account(1), query: "\"aaliyah nguyen\"") == ["Aaliyah Nguyen"])
        #expect(try cache.names(in: .account(1), query: "555") == ["+15550001111"])
    }

    @Test func theIndexColumnsAreTheOnesTheCodeWrites() throws {
        let (cache, _) = try makeCache()
        let columns = try cache.read { db in
            try Row.fetchAll(db, sql: "PRAGMA table_info(contact_fts)").map { $0["name"] as String }
        }
        #expect(columns == Schema.searchColumns)
    }

    @Test func contactsSurviveClosingAndReopeningAndTheFileIsPrivate() throws {
        let path = temporaryPath("rolo.sqlite")
        defer { removeFolder(of: path) }
        do {
            let cache = try LocalCache(path: path, catalog: .standard)
            let account = try cache.defaultAccount()
            try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        }
        let reopened = try LocalCache(path: path, catalog: .standard)
        #expect(try reopened.names(in: .all) == ["Rob Howard"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let journal = try reopened.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test func openingAnExistingCacheWritesNothing() throws {
        // GRDB writes (creates and drops a table) to make a WAL file when it finds none. The
        // cache keeps its WAL file when it closes, so the next start only reads: the schema
        // is not changed under the other connections, and starting stays quick.
        let path = temporaryPath("rolo.sqlite")
        defer { removeFolder(of: path) }
        func openAndReadSchemaVersion() throws -> Int {
            let cache = try LocalCache(path: path, catalog: .standard)
            return try cache.read { db in try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? -1 }
        }
        let created = try openAndReadSchemaVersion()
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try openAndReadSchemaVersion() == created)
        #expect(try openAndReadSchemaVersion() == created)
    }

    @Test func aSecondConnectionReadsWhileTheFirstWrites() throws {
        let path = temporaryPath("rolo.sqlite")
        defer { removeFolder(of: path) }
        let writer = try LocalCache(path: path, catalog: .standard)
        let account = try writer.defaultAccount()
        try writer.insertContact(person("Ann", "Lee", account: account.id), author: tester)
        let reader = try LocalCache(path: path, catalog: .standard)
        try writer.writer.write { db in
            try db.execute(sql: "UPDATE contact SET displayName = 'Changing' WHERE 0")
            // While this transaction is open, the other process still reads the committed state.
            #expect(try reader.names(in: .all) == ["Ann Lee"])
        }
    }

    @Test func aTextFileAtTheCachePathIsRefusedWithItsPath() throws {
        let path = temporaryPath("notes.sqlite")
        defer { removeFolder(of: path) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try String(repeating: "these are not the droids\n", count: 200).write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: RoloError.self) { try LocalCache(path: path, catalog: .standard) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains(path))
        #expect(message.contains("not a usable rolo cache"))
        #expect(!message.contains("\n"))
    }

    @Test func anotherProgramsDatabaseIsRefused() throws {
        let path = temporaryPath("other.sqlite")
        defer { removeFolder(of: path) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let other = try DatabaseQueue(path: path)
        try other.write { db in try db.execute(sql: "CREATE TABLE songs (title TEXT)") }
        try other.close()
        let error = #expect(throws: RoloError.self) { try LocalCache(path: path, catalog: .standard) }
        #expect("\(error!)".contains("another program"))
        #expect("\(error!)".contains(path))
    }

    @Test func aCacheFromANewerRoloIsRefused() throws {
        let path = temporaryPath("rolo.sqlite")
        defer { removeFolder(of: path) }
        _ = try LocalCache(path: path, catalog: .standard)
        let raw = try DatabaseQueue(path: path)
        try raw.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('2099-01-01 from the future')") }
        try raw.close()
        let error = #expect(throws: RoloError.self) { try LocalCache(path: path, catalog: .standard) }
        #expect("\(error!)".contains("newer version of rolo"))
    }
}
