import RoloCore

/// Rate limits are the account's, not one request's: a 429 to any request holds every request
/// to the account not yet started until the wait it asked for has passed; requests already in
/// flight finish. The wait is the retry policy's injected sleep, so tests control time.
actor RequestGate {
    private let sleep: @Sendable (Double) async -> Void
    /// Holds not yet passed; requests start again when the last one has.
    private var holds = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(sleep: @escaping @Sendable (Double) async -> Void) {
        self.sleep = sleep
    }

    /// Requests waiting for a hold to pass.
    var waitingCount: Int { waiting.count }

    /// Returns once no hold is in force: called before every request.
    func admit() async {
        while holds > 0 {
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    /// Holds every request for `seconds` (the caller waits them out too). Holds that overlap
    /// last until the longest has passed.
    func hold(for seconds: Double) async {
        holds += 1
        await sleep(seconds)
        holds -= 1
        guard holds == 0 else { return }
        let released = waiting
        waiting.removeAll()
        for request in released { request.resume() }
    }
}

/// Runs requests up to `width` at once and hands their results back in the order they were
/// started. `next` starts them, one at a time on the calling task (so it may read and write
/// the cache), until it returns nil; `receive` gets each result on the calling task too, once
/// every earlier one has been received. After a result for which `stopsStarting` is true, or
/// once the task is cancelled, nothing new starts: the requests in flight finish and their
/// results are still received, in order, so nothing read is dropped.
func inOrder<Result: Sendable>(width: Int, next: () throws -> (@Sendable () async -> Result)?,
                               stopsStarting: (Result) -> Bool, receive: (Result) throws -> Void) async throws {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var started = 0
        var running = 0
        var starting = true
        var delivered = 0
        // Results that came in ahead of an earlier one.
        var early: [Int: Result] = [:]
        while true {
            while starting, running < max(1, width) {
                guard !Task.isCancelled, let request = try next() else {
                    starting = false
                    break
                }
                let number = started
                started += 1
                running += 1
                group.addTask { (number, await request()) }
            }
            guard let (number, result) = try await group.next() else { return }
            running -= 1
            if stopsStarting(result) { starting = false }
            early[number] = result
            while let ready = early.removeValue(forKey: delivered) {
                delivered += 1
                try receive(ready)
            }
        }
    }
}
