import Foundation
import RoloInterchange

/// The records of a rolo JSON file, read and parsed on a thread of their own a few dozen
/// ahead of the import that stores them. Reading and parsing were a tenth of an import's time,
/// spent on the thread that also writes to SQLite; here they overlap with the writes.
///
/// Records come out exactly in the file's order, and the reader's error comes out where it
/// was met, after every record before it; the reader stops at its end or its first error.
/// `stop()` must be called once the import is done with it (it waits for the thread, so that
/// nothing reads the source after the caller closed it): only sources whose reads never wait
/// for a writer (a regular file, bytes in memory) are read this way.
final class ReadAheadItems: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Result<ImportItem?, ImportProblem>] = []
    private var head = 0
    /// The import stopped taking records: the thread stops.
    private var stopped = false
    /// The thread has put its last result (the end, an error) or stopped.
    private var finished = false
    private let capacity: Int

    /// `next` is called on the new thread only, and never after it returned nil or threw.
    init(capacity: Int = 64, _ next: @escaping () throws(ImportProblem) -> ImportItem?) {
        self.capacity = capacity
        let reader = UncheckedReader(next: next)
        let thread = Thread { [self] in self.produce(reader) }
        thread.name = "rolo import reader"
        thread.start()
    }

    private struct UncheckedReader: @unchecked Sendable {
        let next: () throws(ImportProblem) -> ImportItem?
    }

    private func produce(_ reader: UncheckedReader) {
        while true {
            let result: Result<ImportItem?, ImportProblem>
            do { result = .success(try reader.next()) } catch { result = .failure(error) }
            condition.lock()
            while queue.count - head >= capacity, !stopped { condition.wait() }
            if stopped { break }
            queue.append(result)
            condition.broadcast()
            if case .success(let item) = result, item != nil {
                condition.unlock()
                continue
            }
            break
        }
        // The lock is held here.
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next record, nil at the end; throws the reader's error where it was met.
    func next() throws(ImportProblem) -> ImportItem? {
        condition.lock()
        while head == queue.count, !finished { condition.wait() }
        guard head < queue.count else {
            condition.unlock()
            return nil
        }
        let result = queue[head]
        head += 1
        if head >= 1024 {
            queue.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Stops the reading and waits for the thread to end.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
