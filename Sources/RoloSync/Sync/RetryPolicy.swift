import Foundation
import RoloCore

/// How a sync run waits before trying a request again: exponential backoff with jitter,
/// honouring the provider's Retry-After, bounded in attempts and in how long one wait may be.
/// The clock, the sleep and the dice are injected, so tests run in no time and the same way
/// every run.
public struct RetryPolicy: Sendable {
    /// Tries of one request in one run, the first included.
    public var maxAttempts: Int
    /// The first wait; each next one doubles, up to `maxDelay`.
    public var baseDelay: Double
    public var maxDelay: Double
    /// A Retry-After longer than this is not waited for in the run: the item waits for a later
    /// run instead.
    public var longestWait: Double
    /// Sleeps for the given seconds (Task.sleep in real runs).
    public var sleep: @Sendable (Double) async -> Void
    /// A number in 0..<1 for the jitter.
    public var random: @Sendable () -> Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30, longestWait: Double = 120,
                sleep: @escaping @Sendable (Double) async -> Void = { seconds in
                    try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
                },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.longestWait = longestWait
        self.sleep = sleep
        self.random = random
    }

    /// The wait before try number `attempt + 1` (attempt counts from 1), or nil when the
    /// request should not be tried again in this run.
    public func delay(after attempt: Int, error: ProviderError) -> Double? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        if case .rateLimited(let after?, _) = error {
            return after <= longestWait ? after : nil
        }
        // "Full jitter": anywhere between half and all of the exponential step, so clients
        // that failed together do not come back together.
        let step = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return step / 2 + random() * step / 2
    }

    /// When an item that kept failing may be tried again by a later run.
    public func laterRetry(after failures: Int, from now: Timestamp, error: ProviderError) -> Timestamp? {
        switch error {
        case .rateLimited(let after?, _):
            return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(after * 1000))
        case .rateLimited, .transient:
            let minutes = min(60.0, pow(2, Double(max(0, failures - 1))))
            return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + Int64(minutes * 60_000))
        default:
            return nil
        }
    }

    /// No waiting at all: for dry runs and tests.
    public static let immediate = RetryPolicy(sleep: { _ in }, random: { 0.5 })
}
