import Foundation
import RoloInterchange

/// The records of a rolo JSON file as the import reads them.
typealias ReadAheadItems = ReadAhead<ImportItem>

/// The records of a rolo JSON file, read and parsed on a thread of their own a few dozen
/// ahead of the import that stores them (and, for an import, checked there as far as they
/// can be: see `ImportPreparation`). Reading and parsing were a tenth of an import's time,
/// spent on the thread that also writes to SQLite; here they overlap with the writes.
///
/// Records cross between the threads a batch at a time, and a side is woken only when it
/// waits: handing them over one by one woke the other thread for every record, and those
/// wake-ups were a twentieth of a 100k import's time.
///
/// Records come out exactly in the file's order, and the reader's error comes out where it
/// was met, after every record before it; the reader stops at its end or its first error.
/// `stop()` must be called once the import is done with it (it waits for the thread, so that
/// nothing reads the source after the caller closed it): only sources whose reads never wait
/// for a writer (a regular file, bytes in memory) are read this way.
final class ReadAhead<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Results handed over and not yet taken (guarded by `condition`).
    private var queue: [Result<Element?, ImportProblem>] = []
    /// The import stopped taking records: the thread stops.
    private var stopped = false
    /// The thread has put its last result (the end, an error) or stopped.
    private var finished = false
    private var readerWaits = false
    private var importWaits = false
    private let capacity: Int
    private let batchSize: Int

    /// Results taken by the import and not yet returned (the import's thread only).
    private var taken: [Result<Element?, ImportProblem>] = []
    private var takenHead = 0

    /// `next` is called on the new thread only, and never after it returned nil or threw.
    init(capacity: Int = 64, batchSize: Int = 16, _ next: @escaping () throws(ImportProblem) -> Element?) {
        self.capacity = capacity
        self.batchSize = max(1, min(batchSize, capacity))
        let reader = UncheckedReader(next: next)
        let thread = Thread { [self] in self.produce(reader) }
        thread.name = "rolo import reader"
        thread.start()
    }

    private struct UncheckedReader: @unchecked Sendable {
        let next: () throws(ImportProblem) -> Element?
    }

    private func produce(_ reader: UncheckedReader) {
        var batch: [Result<Element?, ImportProblem>] = []
        batch.reserveCapacity(batchSize)
        var last = false
        while !last {
            let result: Result<Element?, ImportProblem>
            do { result = .success(try reader.next()) } catch { result = .failure(error) }
            if case .success(let item) = result, item != nil {} else { last = true }
            batch.append(result)
            guard last || batch.count >= batchSize else { continue }
            condition.lock()
            while queue.count >= capacity, !stopped {
                readerWaits = true
                condition.wait()
                readerWaits = false
            }
            if stopped {
                condition.unlock()
                break
            }
            queue.append(contentsOf: batch)
            if importWaits { condition.broadcast() }
            condition.unlock()
            batch.removeAll(keepingCapacity: true)
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next record, nil at the end; throws the reader's error where it was met.
    func next() throws(ImportProblem) -> Element? {
        if takenHead == taken.count {
            taken.removeAll(keepingCapacity: true)
            takenHead = 0
            condition.lock()
            while queue.isEmpty, !finished {
                importWaits = true
                condition.wait()
                importWaits = false
            }
            swap(&queue, &taken)
            if readerWaits { condition.broadcast() }
            condition.unlock()
            guard !taken.isEmpty else { return nil }
        }
        let result = taken[takenHead]
        takenHead += 1
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
