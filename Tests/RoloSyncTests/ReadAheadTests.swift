import Foundation
import Testing
import RoloCore
import RoloInterchange
@testable import RoloStore
@testable import RoloSync

/// A rolo JSON file is read on a thread of its own ahead of the import: what comes out must be
/// what the file holds, in its order, with its first error where it is.
@Suite("Files: records read ahead")
struct ReadAheadTests {
    /// A JSON file of `count` contacts, the one at `bad` (if any) with an email of the wrong type.
    static func file(count: Int, bad: Int? = nil) -> Data {
        let records = (0..<count).map { index in
            index == bad ? #"{"first_name": "Bad", "email": 42}"#
                : #"{"uid": "u-\#(index)", "first_name": "P\#(index)", "email": "p\#(index)@example.org"}"#
        }
        return Data(("[\n" + records.joined(separator: ",\n") + "\n]\n").utf8)
    }

    @Test func recordsComeOutInTheFilesOrderPastManyBuffersFull() throws {
        var reader = RoloJSONReader(DataSource(Self.file(count: 2000)))
        let ahead = ReadAheadItems(capacity: 7) { () throws(ImportProblem) -> ImportItem? in try reader.next() }
        defer { ahead.stop() }
        var uids: [String] = []
        while let item = try ahead.next() {
            if case .contact(let incoming, _) = item { uids.append(incoming.contact.uid) }
        }
        #expect(uids == (0..<2000).map { "u-\($0)" })
        #expect(try ahead.next() == nil, "the end stays the end")
    }

    @Test func theReadersErrorComesAfterEveryRecordBeforeIt() throws {
        // Syntax errors stop the reader: it throws there, and the import with it.
        var data = Self.file(count: 1500)
        data.removeLast(3)
        var reader = RoloJSONReader(DataSource(data + Data("{".utf8)))
        let ahead = ReadAheadItems(capacity: 5) { () throws(ImportProblem) -> ImportItem? in try reader.next() }
        defer { ahead.stop() }
        var count = 0
        var problem: (any Error)?
        do {
            while try ahead.next() != nil { count += 1 }
        } catch { problem = error }
        #expect(count == 1500)
        #expect(problem is ImportProblem)
    }

    @Test func aFileIsReadAheadEvenThroughTheCounterOfItsBytes() throws {
        // The import counts what it reads for its progress line; the source under the counter
        // decides whether it is read ahead (a pipe, which may wait for its writer, is not).
        for source in [CountedSource(DataSource(Self.file(count: 3))) as any ByteSource, DataSource(Self.file(count: 3))] {
            var (items, _) = try FileTransfer.items(from: source, format: .json, skipInvalid: false)
            defer { items.stop() }
            guard case .readAhead = items else {
                Issue.record("\(type(of: source)) is read on the import's own thread")
                continue
            }
            #expect(try FileTransfer.nextItem(&items) != nil)
        }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let (piped, _) = try FileTransfer.items(from: CountedSource(FileDescriptorSource(descriptor: fds[0], name: "pipe")),
                                                format: .json, skipInvalid: false)
        if case .readAhead = piped { Issue.record("a pipe is read ahead") }
    }

    @Test func anImportSaysWhereItStandsFromTheFirstThousandRecordsToItsLastStep() throws {
        let (service, cache) = try freshService()
        let data = Self.file(count: 2500)
        var seen: [ImportProgress] = []
        let report = try service.files.importFile(from: DataSource(data), format: .json, options: ImportOptions()) { seen.append($0) }
        #expect(report.imported == 2500)
        let storing = seen.compactMap { stage -> (Int, Int?, Int)? in
            if case .storing(let records, let all, let bytes) = stage { return (records, all, bytes) }
            return nil
        }
        // A streamed file: records every thousand, and how far into its bytes the reader is.
        #expect(storing.map(\.0) == [1000, 2000])
        #expect(storing.allSatisfy { $0.1 == nil })
        #expect(storing[0].2 > 0 && storing[0].2 <= storing[1].2 && storing[1].2 <= data.count)
        // The cache had no contacts: all of them were held, then indexed, then the last step.
        let indexing = seen.compactMap { stage -> Int? in
            if case .stage(.indexing(let done, let all)) = stage, all == 2500 { return done }
            return nil
        }
        #expect(indexing.first == 0 && indexing.last == 2500 && indexing == indexing.sorted())
        let ordering = seen.compactMap { stage -> Int? in
            if case .stage(.ordering(let done, 2500)) = stage { return done }
            return nil
        }
        #expect(ordering == [0, 2500], "one slice of names for 2,500 contacts")
        #expect(seen.firstIndex(of: .stage(.ordering(done: 2500, of: 2500)))! < seen.firstIndex(of: .stage(.indexing(done: 0, of: 2500)))!)
        #expect(Array(seen.suffix(2)) == [.stage(.finishing), .stage(.stored)])
        #expect(seen.firstIndex(of: .stage(.finishing))! > seen.lastIndex { if case .storing = $0 { true } else { false } }!)
        #expect(try cache.contactCount(in: .all) == 2500)

        // A file read whole (CSV) says how many records it holds; a cache with contacts indexes
        // each as it comes, so there is no indexing step.
        let csv = "first_name,email\n" + (0..<1500).map { "Q\($0),q\($0)@example.org" }.joined(separator: "\n") + "\n"
        var later: [ImportProgress] = []
        _ = try service.files.importFile(from: DataSource(Data(csv.utf8)), format: .csv, options: ImportOptions()) { later.append($0) }
        #expect(later.first.map { if case .storing(1000, 1500, _) = $0 { true } else { false } } == true)
        #expect(Array(later.suffix(2)) == [.stage(.finishing), .stage(.stored)])
        #expect(!later.contains { if case .stage(.indexing) = $0 { true } else if case .stage(.ordering) = $0 { true } else { false } })
    }

    @Test func anImportStoppedHalfWayStopsTheReaderAndStoresNothing() throws {
        let (service, cache) = try freshService()
        let before = try cache.contactCount(in: .all)
        #expect(throws: RoloError.self) {
            try service.files.importFile(Self.file(count: 3000, bad: 2100), format: .json)
        }
        #expect(try cache.contactCount(in: .all) == before)
        // The same file imports whole without the bad record, in the file's order.
        let report = try service.files.importFile(Self.file(count: 3000), format: .json)
        #expect(report.imported == 3000)
        let uids = try cache.read { db in try String.fetchAll(db, sql: "SELECT uid FROM contact ORDER BY id") }
        #expect(uids == (0..<3000).map { "u-\($0)" })
    }

    @Test func onlyASourceThatNeverWaitsIsReadAhead() throws {
        // An import that stops early waits for the reading thread: a pipe could keep it waiting.
        #expect(FileTransfer.neverWaits(DataSource(Data())))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-read-ahead-\(UUID().uuidString).json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("[]".utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        #expect(FileTransfer.neverWaits(FileDescriptorSource(descriptor: file, name: path)))
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { ends.forEach { close($0) } }
        #expect(!FileTransfer.neverWaits(FileDescriptorSource(descriptor: ends[0], name: "a pipe")))
        if case .readAhead = try FileTransfer.items(from: FileDescriptorSource(descriptor: ends[0], name: "a pipe"),
                                                   format: .json, skipInvalid: false).0 {
            Issue.record("a pipe is read on the importing thread")
        }
    }
}
