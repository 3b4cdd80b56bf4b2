import Foundation
import GRDB
import RoloCore

extension LocalCache {
    /// Removes the cache at `path`, with its `-wal` and `-shm`, when it holds nothing a person
    /// made — no contact, edit, draft, conflict or history — and no other rolo has it open.
    /// Returns whether it did.
    ///
    /// For a command that created the cache and then failed (an import of a bad file into a new
    /// `--db` path): it leaves no empty cache behind. The cache is read in exclusive locking
    /// mode, which in WAL mode takes the file's exclusive lock at the first read: it is refused
    /// while another rolo that has read the cache holds it open (one that created the same cache
    /// at the same moment, or is importing into it), and held while the files are removed. The
    /// WAL is folded in first (`journal_mode = DELETE`), so that closing touches no file by name.
    public static func removeIfUnused(path: String) -> Bool {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
        guard FileManager.default.fileExists(atPath: path),
              let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return false }
        let removed = (try? queue.inDatabase { db -> Bool in
            for table in ["contact", "outbox", "draft", "conflict", "audit"] {
                guard try db.tableExists(table), try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") == 0 else { return false }
            }
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
            return true
        }) ?? false
        try? queue.close()
        return removed
    }
}
