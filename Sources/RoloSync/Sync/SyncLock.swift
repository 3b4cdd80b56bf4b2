import Foundation
import RoloCore

/// One sync at a time per cache: an exclusive `flock` on a file beside the cache, holding who
/// took it. The kernel lets the lock go when its process ends, however it ends (kill -9
/// included), so a crashed sync never blocks the next.
public final class SyncLock: @unchecked Sendable {
    private let path: String?
    private var descriptor: Int32 = -1
    private let inMemory: NSLock
    private var holdsInMemory = false

    /// `cachePath` nil: an in-memory cache, locked within this process by `memoryLock` (one
    /// per cache).
    public init(cachePath: String?, memoryLock: NSLock = NSLock()) {
        path = cachePath.map { $0 + ".sync-lock" }
        inMemory = memoryLock
    }

    /// Takes the lock, or throws naming the process that holds it.
    public func acquire(by author: Author, now: Timestamp) throws {
        guard let path else {
            guard inMemory.try() else { throw RoloError.failed("a sync of this cache is already running") }
            holdsInMemory = true
            return
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RoloError.failed("cannot open \(path) to take the sync lock: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw RoloError.failed("a sync of this cache is already running" + (holder.map { $0.isEmpty ? "" : " (\($0))" } ?? ""))
        }
        descriptor = fd
        let holder = "process \(getpid()), \(author.user), since \(now.display)\n"
        _ = ftruncate(fd, 0)
        _ = holder.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        if holdsInMemory {
            inMemory.unlock()
            holdsInMemory = false
        }
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
