import Foundation
import GRDB
import GRDBSQLite
import RoloCore

/// How a write leaves the cache, so that the next rolo opens it with no more work than the
/// rows it shows.
///
/// SQLite writes commits to the `-wal` file first and copies them into the database file at a
/// checkpoint. rolo keeps the WAL file between runs (GRDB writes a table into the database to
/// make one whenever it finds none or an empty one). But a kept WAL that still holds committed
/// frames costs every later process dearly: the first connection of a process rebuilds its
/// index of the WAL by reading every frame, and marks them all as not yet copied. Measured
/// after `rolo import` of 100k contacts (a 230 MB WAL of 55,900 frames): each `rolo list
/// --limit 1` read the whole WAL (111,781 reads), then, closing as the last connection, copied
/// all 55,863 pages into the database file again (55,863 writes and an fdatasync) — 0.4–0.6 s
/// and a rewrite of the file for a one-row read, on every run, for ever, because only a writer
/// ever starts the WAL anew.
///
/// So a writer settles the cache: it copies the WAL into the database file and truncates it
/// (`wal_checkpoint(TRUNCATE)`), then leaves a WAL of 32 zero bytes — not empty, so GRDB does
/// not write on the next open, and no longer than a WAL header, so SQLite finds no frames in it
/// and has nothing to read or copy. A reader never checkpoints on close
/// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`), so opening and reading never write the database file.
///
/// When: after any transaction that leaves more than `settleThreshold` frames in the WAL (an
/// import, a bulk edit, a large pull — automatically, in `write`), and when the cache is
/// released after it wrote anything. The sync engine may also call `settleAfterLargeWrite()`
/// at the end of a pull made of many small transactions.
extension LocalCache {
    /// Frames (pages) the WAL may hold before a write settles it: SQLite's own automatic
    /// checkpoint size, which the WAL hook below replaces. About 4 MB.
    static let settleThreshold = 1000

    /// Copies everything written so far into the database file and empties the WAL, so that
    /// the next process opens the cache without reading or copying anything. Waits up to the
    /// busy timeout for readers in other processes to finish their current read; if they do
    /// not, the WAL stays as it is and the next write or close tries again.
    public func settleAfterLargeWrite() throws {
        guard let path, readOnlyReason == nil else { return }
        do {
            try writer.writeWithoutTransaction { db in try LocalCache.settle(db, path: path, frames: walFrames) }
        } catch {
            throw RoloError.cache("settling the cache \(path) after a write failed: \(LocalCache.reason(error))")
        }
    }

    /// After a write: settles when the WAL has grown past the threshold. Within a run of many
    /// writes (`beginWriteRun`) it only copies the WAL into the database file now and then,
    /// and settles at the end.
    func settleIfLarge() {
        if walFrames.inRun {
            guard walFrames.count > LocalCache.runCheckpointThreshold else { return }
            try? checkpointWithinRun()
            return
        }
        guard walFrames.count > LocalCache.settleThreshold else { return }
        try? settleAfterLargeWrite()
    }

    /// Frames the WAL may hold within a run of writes before they are copied into the database
    /// file: about 64 MB.
    static let runCheckpointThreshold = 16_000

    /// A run of many transactions begins (a pull: one per batch of the listing). Settling after
    /// each would copy the pages every transaction touches (the same index pages, over and
    /// over) into the database file each time, flush it to disk and give the WAL file back to
    /// the file system only to grow it again: 9 % of a 100k pull. Within a run the WAL is
    /// copied only when it passes `runCheckpointThreshold`, and kept at its size, for SQLite
    /// to write over from the start. Runs nest; the last `endWriteRun` settles.
    public func beginWriteRun() {
        walFrames.beginRun()
    }

    /// The run of writes ends: the WAL is settled as after any large write.
    public func endWriteRun() {
        walFrames.endRun()
        if !walFrames.inRun { settleIfLarge() }
    }

    /// Copies the WAL into the database file without waiting for readers or truncating it
    /// (`wal_checkpoint(PASSIVE)`): the next transaction starts the WAL over from its
    /// beginning when every frame was copied and no reader still uses them.
    func checkpointWithinRun() throws {
        guard path != nil, readOnlyReason == nil else { return }
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
        }
    }

    /// When the cache is released: settles if anything was written since the last settle.
    /// Reentrant, and skipped inside a transaction, so that releasing the last reference from
    /// inside a database closure cannot deadlock.
    func settleOnRelease() {
        guard let path, readOnlyReason == nil, walFrames.count > 0 else { return }
        try? writer.unsafeReentrantWrite { db in
            guard !db.isInsideTransaction else { return }
            try LocalCache.settle(db, path: path, frames: walFrames)
        }
    }

    /// Checkpoints and truncates the WAL, then makes it a 32-byte file while holding the write
    /// lock, so that no other rolo can be writing frames into it at that moment.
    static func settle(_ db: Database, path: String, frames: WALFrameCount) throws {
        // busy = 1 when another connection kept the checkpoint from finishing.
        let busy = try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") ?? 1
        guard busy == 0 else { return }
        try db.inTransaction(.immediate) {
            try padEmptyWAL(path + "-wal")
            return .commit
        }
        frames.reset()
    }

    /// Gives an empty WAL file the length of a WAL header, all zeros. SQLite reads a WAL only
    /// when it is longer than its header, and writes a new header with its first frame; GRDB
    /// only checks that the file is not empty. Must run under the write lock.
    static func padEmptyWAL(_ walPath: String) throws {
        let descriptor = open(walPath, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }      // no WAL file: GRDB makes one on the next open
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size == 0 else { return }
        if ftruncate(descriptor, walHeaderSize) != 0 {
            throw RoloError.cache("cannot write \(walPath): \(String(cString: strerror(errno)))")
        }
    }

    /// The size of a WAL file's header (https://sqlite.org/fileformat2.html#walformat).
    static let walHeaderSize: off_t = 32

    /// Counts the frames in the WAL after every commit of this connection, replacing SQLite's
    /// automatic checkpoint (which is itself a WAL hook): `write` settles instead.
    static func installFrameCounter(_ frames: WALFrameCount, on db: Database) {
        let context = Unmanaged.passUnretained(frames).toOpaque()
        sqlite3_wal_hook(db.sqliteConnection, { context, _, _, count in
            if let context { Unmanaged<WALFrameCount>.fromOpaque(context).takeUnretainedValue().set(Int(count)) }
            return SQLITE_OK
        }, context)
    }
}

/// The number of frames in the WAL after the last commit of this process (0 once settled),
/// and whether a run of writes is under way. Owned by the cache, and kept alive by every
/// connection's configuration, which holds it.
final class WALFrameCount: @unchecked Sendable {
    private let lock = NSLock()
    private var frames = 0
    private var runs = 0

    var count: Int { lock.withLock { frames } }
    func set(_ count: Int) { lock.withLock { frames = count } }
    func reset() { lock.withLock { frames = 0 } }

    var inRun: Bool { lock.withLock { runs > 0 } }
    func beginRun() { lock.withLock { runs += 1 } }
    func endRun() { lock.withLock { runs = max(0, runs - 1) } }
}
