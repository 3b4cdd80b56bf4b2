import Foundation

/// A value behind a lock, for state several threads share (the cache's last `data_version`):
/// every read and write goes through `withLock`, so nobody sees it half changed. The emulators
/// keep their own copy: they depend on nothing of rolo's, so that they cannot share its mistakes.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched inside `lock`.
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
