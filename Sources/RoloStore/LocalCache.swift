import Foundation
import GRDB
import GRDBSQLite
import RoloCore

/// The local cache: one SQLite file holding every contact, the outbox of edits not yet sent,
/// drafts, conflicts and the audit log. It is data, not a disposable cache — unsent edits
/// live only here.
///
/// Every SQL statement of rolo is in this target. The file is opened in WAL mode, so a second
/// process (a script running `rolo list` while the TUI is open) can read while one writes.
public final class LocalCache: Sendable {
    let writer: any DatabaseWriter
    /// Where the file is, for messages; nil for an in-memory cache.
    public let path: String?
    /// The time written into rows (audit, outbox, sync stamps); tests pass a fixed one.
    public let clock: @Sendable () -> Timestamp
    /// The providers this rolo knows: an account's stored provider id is resolved through it.
    public let catalog: ProviderCatalog
    /// One sync at a time: a cache in memory (tests) is locked by this; a file, by a file lock.
    public let syncLock = NSLock()

    /// Opens (creating if needed) the cache at `path` and brings its schema up to date.
    ///
    /// Throws `RoloError.cache` with a one-line message naming the path when the file is not a
    /// rolo cache (another program's database, a corrupt file, a text file), or was written by
    /// a newer rolo.
    public init(path: String, catalog: ProviderCatalog, clock: @escaping @Sendable () -> Timestamp = { .now() }) throws {
        self.clock = clock
        self.catalog = catalog
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw RoloError.cache("cannot create the folder \(directory) for the cache: \(LocalCache.reason(error))")
        }
        let isNew = !FileManager.default.fileExists(atPath: path)
        if !isNew, !FileManager.default.isReadableFile(atPath: path) {
            throw RoloError.cache("cannot read the cache \(path): permission denied")
        }
        do {
            self.writer = try LocalCache.openPool(path: path, now: clock())
            self.path = path
            if isNew {
                // Contact data is personal data: readable by its owner only.
                try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
        } catch let error as RoloError {
            throw error
        } catch {
            throw RoloError.cache("\(path) is not a usable rolo cache: \(LocalCache.reason(error))")
        }
    }

    /// A private cache in memory, for tests and previews.
    public init(catalog: ProviderCatalog, clock: @escaping @Sendable () -> Timestamp = { .now() }) throws {
        self.clock = clock
        self.catalog = catalog
        let queue = try DatabaseQueue(configuration: LocalCache.configuration())
        self.writer = queue
        self.path = nil
        try LocalCache.prepare(queue, path: ":memory:", now: clock(), until: Date().addingTimeInterval(LocalCache.busyTimeout))
    }

    /// Opens and prepares the cache file. Several rolo processes may open a new cache at the same
    /// moment (commands started together): switching it to WAL, or a lock upgrade, can then
    /// fail at once with "database is locked" instead of waiting, so the open is tried again
    /// until the busy timeout has passed.
    private static func openPool(path: String, now: Timestamp) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: LocalCache.configuration())
                try LocalCache.prepare(pool, path: path, now: now, until: deadline)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(50_000)
            }
        }
    }

    /// How long anything waits for another rolo holding the cache: SQLite's busy timeout, and
    /// the deadline of the whole open (retries and another process's migrations included).
    static let busyTimeout: TimeInterval = 5

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync: a commit survives a crash of rolo; only a power cut can lose
            // the last transactions, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Keep the WAL file when the last connection closes. Without it, every start finds
            // no WAL and GRDB writes (creates and drops a table) to make one: a write on every
            // open, which also makes every connection parse the schema again.
            var persist: Int32 = 1
            _ = sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &persist)
        }
        return configuration
    }

    private static func prepare(_ writer: any DatabaseWriter, path: String, now: Timestamp, until deadline: Date) throws {
        let migrator = Schema.migrator
        try writer.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            if !tables.isEmpty, !tables.contains("grdb_migrations") {
                throw RoloError.cache("\(path) is a SQLite database of another program, not a rolo cache")
            }
            if try migrator.hasBeenSuperseded(db) {
                throw RoloError.cache("\(path) was written by a newer version of rolo; upgrade rolo to open it")
            }
        }
        do {
            try migrator.migrate(writer)
        } catch {
            // Another rolo may be creating or upgrading the same cache at this moment (two
            // commands started together): each migration is a transaction, so ours rolled
            // back. Wait for the other to finish, within the open's deadline.
            while Date() < deadline, try !writer.read(migrator.hasCompletedMigrations) { usleep(50_000) }
            guard try writer.read(migrator.hasCompletedMigrations) else { throw error }
        }
        try writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM account") == 0 {
                try db.execute(sql: "INSERT INTO account (name, provider, createdAt) VALUES (?, 'local', ?)",
                               arguments: [Account.defaultName, now.millisecondsSinceEpoch])
            }
        }
    }

    /// SQLite's own words for a failure, without the SQL (which could quote contact data).
    static func reason(_ error: Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "SQLite error \(error.resultCode.rawValue)"
        }
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }

    /// Runs a read, turning SQLite failures into `RoloError.cache`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.read(body) } catch let error as RoloError { throw error } catch {
            throw RoloError.cache("reading the cache failed: \(LocalCache.reason(error))")
        }
    }

    /// Runs a transaction, turning SQLite failures into `RoloError.cache`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.write(body) } catch let error as RoloError { throw error } catch let error as DraftNotHeld {
            throw error
        } catch {
            throw RoloError.cache("writing to the cache failed: \(LocalCache.reason(error))")
        }
    }
}
