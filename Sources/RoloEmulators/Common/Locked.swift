import Foundation

/// A value behind a lock. The emulators' state is touched by many connections at once; every
/// read and write of it goes through `withLock`, so a request sees a store that is never half
/// changed.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// What every emulator reads the time from. Tests pass a fixed or stepping clock so that
/// stamps, cursors and iVvy's five-minute window never depend on the wall clock.
public typealias EmulatorClock = @Sendable () -> Date

/// A request the emulator refuses, in the provider's own words.
struct Refusal: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
