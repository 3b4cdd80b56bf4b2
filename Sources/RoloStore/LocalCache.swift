import Foundation
import GRDB
import GRDBSQLite
import CSQLiteOptions
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
    /// The last `data_version` `changedByOtherProcesses` saw.
    private let dataVersion = Locked<Int?>(nil)
    /// Why the cache is open for reading only (the file or its folder cannot be written by
    /// this user), naming the path; nil when rolo can write it.
    public let readOnlyReason: String?
    /// Frames in the WAL since it was last settled (see LocalCache+Settling.swift).
    let walFrames = WALFrameCount()

    /// Opens (creating if needed) the cache at `path` and brings its schema up to date.
    ///
    /// A cache this user cannot write (another user's file, a read-only folder or file system)
    /// is opened read-only by itself: `readOnlyReason` says why, and every write throws that
    /// reason instead of failing inside SQLite.
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
            try PrivateFiles.makeFolder(directory)
        } catch {
            // A folder this user cannot reach looks missing: say so rather than "cannot create".
            if error.code == EACCES {
                throw RoloError.cache("cannot reach the folder \(error.path) for the cache \(path): permission denied "
                    + "(it, or a folder on the way to it, is closed to you)")
            }
            throw RoloError.cache("cannot create the folder \(error.path) for the cache \(path): \(error.reason)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw RoloError.cache("\(path) is a folder; give the path of the cache file in it (\(url.appendingPathComponent("rolo.sqlite").path))")
        }
        if FileManager.default.fileExists(atPath: path), !FileManager.default.isReadableFile(atPath: path) {
            throw RoloError.cache("cannot read the cache \(path): permission denied")
        }
        // Without its -wal and -shm a cache cannot be read (they hold what was last written).
        for file in [path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file)
            && !FileManager.default.isReadableFile(atPath: file) {
            throw RoloError.cache("cannot read \(file) (\(LocalCache.describeOwner(file))), which the cache \(path) needs: "
                + "it is open in its owner's rolo, or was left so; ask them to share a copy (rolo export)")
        }
        var readOnlyReason = LocalCache.readOnlyReason(path: path)
        if readOnlyReason == nil {
            do {
                // Contact data is personal data: the file is made 0600 before SQLite opens it,
                // and SQLite gives its -wal and -shm files the same mode.
                try PrivateFiles.createEmptyFile(path)
            } catch {
                throw RoloError.cache("cannot create the cache \(path): \(error.reason)")
            }
            // Files an older rolo created 0644 beside the cache.
            for suffix in ["", "-wal", "-shm"] { PrivateFiles.restrict(path + suffix) }
        }
        self.path = path
        do {
            do {
                if readOnlyReason != nil, !LocalCache.companionsExist(path) {
                    self.writer = try LocalCache.openSnapshot(path: path, now: clock(), frames: walFrames)
                } else {
                    self.writer = try LocalCache.openPool(path: path, now: clock(), frames: walFrames, readOnly: readOnlyReason != nil)
                }
            } catch let error as DatabaseError where readOnlyReason == nil && LocalCache.meansNotWritable(error) {
                // Permissions looked right but SQLite could not write (a read-only mount, say).
                readOnlyReason = "the cache \(path) is read-only for you (\(LocalCache.reason(error)))"
                self.writer = try LocalCache.openPool(path: path, now: clock(), frames: walFrames, readOnly: true)
            }
        } catch let error as RoloError {
            throw error
        } catch {
            throw RoloError.cache("\(path) is not a usable rolo cache: \(LocalCache.reason(error))")
        }
        self.readOnlyReason = readOnlyReason
    }

    /// Whether another process committed to the cache since the last call (the first call
    /// says false). SQLite's `data_version`, asked of the writing connection: it changes with
    /// every commit of another connection and never with this one's own.
    public func changedByOtherProcesses() throws -> Bool {
        let version = try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
        return dataVersion.withLock { last in
            defer { last = version }
            return last.map { $0 != version } ?? false
        }
    }

    /// A private cache in memory, for tests and previews.
    public init(catalog: ProviderCatalog, clock: @escaping @Sendable () -> Timestamp = { .now() }) throws {
        self.clock = clock
        self.catalog = catalog
        let queue = try DatabaseQueue(configuration: LocalCache.configuration(frames: walFrames))
        self.writer = queue
        self.path = nil
        self.readOnlyReason = nil
        try LocalCache.prepare(queue, path: ":memory:", now: clock(), until: Date().addingTimeInterval(LocalCache.busyTimeout),
                               readOnly: false)
    }

    deinit {
        settleOnRelease()
    }

    /// Why this user cannot write the cache at `path`, or nil. Checked before opening, so that
    /// a cache of another user is browsed instead of failing on the first key typed.
    static func readOnlyReason(path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            if access(file, W_OK) != 0 {
                return "the cache \(file) is read-only for you (\(describeOwner(file)))"
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let companionsExist = FileManager.default.fileExists(atPath: path + "-wal") && FileManager.default.fileExists(atPath: path + "-shm")
        if !companionsExist, access(directory.isEmpty ? "." : directory, W_OK) != 0 {
            return "the cache \(path) is read-only for you (its folder is \(describeOwner(directory)))"
        }
        return nil
    }

    static func companionsExist(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "-wal") && FileManager.default.fileExists(atPath: path + "-shm")
    }

    /// A cache this user cannot write, with no -wal and -shm beside it (a copy, or one whose
    /// rolo ended long ago), opened as the file is: SQLite would otherwise create the two files
    /// to read it — owned by this user, in the owner's folder — and the owner, unable to open
    /// them, could no longer save. Read without locks, it is a snapshot: what the owner's rolo
    /// writes later is not seen by this one.
    private static func openSnapshot(path: String, now: Timestamp, frames: WALFrameCount) throws -> DatabaseQueue {
        _ = uriFilenames
        var configuration = LocalCache.configuration(frames: frames)
        configuration.readonly = true
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))
        let uri = "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
        let queue = try DatabaseQueue(path: uri, configuration: configuration)
        try LocalCache.prepare(queue, path: path, now: now, until: Date().addingTimeInterval(busyTimeout), readOnly: true)
        return queue
    }

    /// Whether SQLite reads file names given as URIs (set once, before the first connection).
    static let uriFilenames = rolo_sqlite_allow_uri_filenames() == SQLITE_OK

    /// "owned by root, mode 0644", for a message.
    static func describeOwner(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return "cannot be checked" }
        let owner = getpwuid(status.st_uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(status.st_uid)"
        return "owned by \(owner), mode " + String(format: "%04o", Int(status.st_mode & 0o7777))
    }

    /// SQLite failures that mean "this process cannot write here".
    static func meansNotWritable(_ error: DatabaseError) -> Bool {
        [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH].contains(error.resultCode)
    }

    /// Opens and prepares the cache file. Several rolo processes may open a new cache at the same
    /// moment (commands started together): switching it to WAL, or a lock upgrade, can then
    /// fail at once with "database is locked" instead of waiting, so the open is tried again
    /// until the busy timeout has passed.
    private static func openPool(path: String, now: Timestamp, frames: WALFrameCount, readOnly: Bool) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                var configuration = LocalCache.configuration(frames: frames)
                configuration.readonly = readOnly
                let pool = try DatabasePool(path: path, configuration: configuration)
                try LocalCache.prepare(pool, path: path, now: now, until: deadline, readOnly: readOnly)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(50_000)
            }
        }
    }

    /// How long anything waits for another rolo holding the cache: SQLite's busy timeout, and
    /// the deadline of the whole open (retries and another process's migrations included).
    static let busyTimeout: TimeInterval = 5

    /// Whether SQLite keeps every statement journal in memory (set once, before this process
    /// opens its first database).
    static let statementJournalsInMemory = rolo_sqlite_keep_statement_journals_in_memory() == SQLITE_OK

    private static func configuration(frames: WALFrameCount) -> Configuration {
        // Read here, before the first connection opens: the settings only take effect then.
        _ = statementJournalsInMemory
        _ = uriFilenames
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync: a commit survives a crash of rolo; only a power cut can lose
            // the last transactions, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Statement journals in memory. Each statement of a transaction that may fail half
            // way (an insert into `contact`: unique indexes, triggers, foreign keys) keeps the
            // old content of the pages it changes so it can be undone alone; past 64 KiB SQLite
            // moves that journal to a temporary file and keeps writing there for the rest of
            // the transaction. An import of 100k contacts wrote 2.6 million pages (10 GB) to
            // it. The journal is emptied after every statement, so in memory it stays small.
            //
            // The rest of temporary storage stays in files: `temp_store = MEMORY` would keep
            // statement journals in memory too, but it also lifts the sorter's memory bound,
            // and making one index over a million contacts then held every key at once
            // (130 MB). Only when SQLite was started before rolo could set it up (another
            // library in the same process) is `temp_store = MEMORY` the way left.
            try db.execute(sql: LocalCache.statementJournalsInMemory ? "PRAGMA temp_store = FILE" : "PRAGMA temp_store = MEMORY")
            // Keep the WAL file when the last connection closes. Without it, every start finds
            // no WAL and GRDB writes (creates and drops a table) to make one: a write on every
            // open, which also makes every connection parse the schema again.
            var persist: Int32 = 1
            _ = sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &persist)
            // Closing never checkpoints: a process that only read never writes the file. Writers
            // settle the WAL themselves (LocalCache+Settling.swift).
            _ = rolo_sqlite_skip_checkpoint_on_close(UnsafeMutableRawPointer(db.sqliteConnection))
            LocalCache.installFrameCounter(frames, on: db)
        }
        return configuration
    }

    /// Checks that the file is a rolo cache this rolo understands, then migrates it and gives it
    /// its local account — writing only when something is missing, so that opening an
    /// up-to-date cache reads it and nothing else.
    private static func prepare(_ writer: any DatabaseWriter, path: String, now: Timestamp, until deadline: Date,
                                readOnly: Bool) throws {
        let migrator = Schema.migrator
        let isReady = try writer.read { db -> Bool in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            if !tables.isEmpty, !tables.contains("grdb_migrations") {
                throw RoloError.cache("\(path) is a SQLite database of another program, not a rolo cache")
            }
            if try migrator.hasBeenSuperseded(db) {
                throw RoloError.cache("\(path) was written by a newer version of rolo; upgrade rolo to open it")
            }
            return try migrator.hasCompletedMigrations(db) && Schema.isSettled(db)
                && Int.fetchOne(db, sql: "SELECT count(*) FROM account") != 0
        }
        if isReady { return }
        if readOnly {
            throw RoloError.cache("\(path) must be upgraded by a rolo that can write it (it is read-only for you)")
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
            try Schema.finishMigrations(db)
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

    /// The cache as named in messages.
    var name: String { path ?? "in memory" }

    /// A cache error that names the cache, whatever code raised it.
    func cacheError(_ message: String) -> RoloError {
        guard let path, !message.contains(path) else { return .cache(message) }
        return .cache("\(path): \(message)")
    }

    /// Runs a read, turning SQLite failures into `RoloError.cache`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.read(body) } catch let error as RoloError {
            if case .cache(let message) = error { throw cacheError(message) }
            throw error
        } catch let error as StoredValueError {
            throw cacheError(error.description)
        } catch {
            throw RoloError.cache("reading the cache \(name) failed: \(LocalCache.reason(error))")
        }
    }

    /// Runs a transaction, turning SQLite failures into `RoloError.cache`, and settles the WAL
    /// when the transaction left it large. On a read-only cache it throws the reason instead.
    ///
    /// `settling: false` leaves the settling to the caller (an import says first that it is
    /// stored: the settling of a large one takes seconds, and an interruption then loses
    /// nothing).
    func write<T>(settling: Bool = true, _ body: (Database) throws -> T) throws -> T {
        try write(settling: settling, waitingAtMost: nil, body)
    }

    /// A write that waits at most `wait` seconds (nil: `busyTimeout`) for another rolo's write
    /// to end, then throws `RoloError.busy`.
    func write<T>(settling: Bool = true, waitingAtMost wait: TimeInterval?, _ body: (Database) throws -> T) throws -> T {
        if let readOnlyReason { throw RoloError.cache(readOnlyReason) }
        let value: T
        do {
            if let wait {
                value = try writer.writeWithoutTransaction { db in
                    // The connection's busy timeout, for this transaction only: BEGIN IMMEDIATE
                    // is where a write waits for another rolo's.
                    try db.execute(sql: "PRAGMA busy_timeout = \(Int(wait * 1000))")
                    defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(LocalCache.busyTimeout * 1000))") }
                    var value: T?
                    try db.inTransaction(.immediate) {
                        value = try body(db)
                        return .commit
                    }
                    return value!
                }
            } else {
                value = try writer.write(body)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw RoloError.busy("the cache \(name) is busy: another rolo is writing to it (an import or a sync?); "
                + "nothing was written, try again in a moment")
        } catch let error as RoloError {
            if case .cache(let message) = error { throw cacheError(message) }
            throw error
        } catch let error as DraftNotHeld {
            throw error
        } catch let error as StoredValueError {
            throw cacheError(error.description)
        } catch {
            throw RoloError.cache("writing to the cache \(name) failed: \(LocalCache.reason(error))")
        }
        if settling { settleIfLarge() }
        return value
    }
}

