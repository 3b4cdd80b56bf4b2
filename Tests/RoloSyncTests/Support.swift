import Foundation
import Testing
import RoloCore
import RoloInterchange
import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// Helpers shared by the RoloSync tests: a service over a private in-memory cache with a
/// frozen clock, short ways to write assignments, and ways to look at what a refusal said.

/// The person every test edit is made by, as if over SSH from a documentation address.
let editor = Author(user: "morgan", clientAddress: "198.51.100.23")

/// The instant the frozen clock always reports.
let frozenNow = Timestamp(parsing: "2026-11-25T10:00:00Z")!

/// A service over a new in-memory cache whose clock never moves.
func freshService(author: Author = editor) throws -> (service: RoloServices, cache: LocalCache) {
    let cache = try LocalCache(catalog: .standard, clock: { frozenNow })
    return (RoloServices(cache: cache, author: author), cache)
}

/// `key=value` texts as assignments, the way `rolo add` and `rolo set` read them.
func assignments(_ texts: String...) throws -> [FieldAssignment] {
    try texts.map { try FieldAssignment(parsing: $0) }
}

/// The issues of a `RoloError.invalid`, or nil when `body` succeeded. Any other error is
/// recorded as a test failure.
func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> [ValidationIssue]? {
    do {
        try body()
        return nil
    } catch RoloError.invalid(let issues) {
        return issues
    } catch {
        Issue.record("expected a refusal, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The message of a `RoloError.notFound`, or nil when `body` succeeded or failed otherwise.
func notFoundMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch RoloError.notFound(let message) {
        return message
    } catch {
        return nil
    }
}

/// The row counts of the tables an edit writes, for "nothing was written" checks.
struct TableCounts: Equatable, CustomStringConvertible {
    var contacts: Int
    var outbox: Int
    var audit: Int
    var remoteLinks: Int

    var description: String { "contacts \(contacts), outbox \(outbox), audit \(audit), links \(remoteLinks)" }
}

extension LocalCache {
    /// Counts every row, deleted contacts included, straight from SQLite.
    func tableCounts() throws -> TableCounts {
        try read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return TableCounts(contacts: try count("contact"), outbox: try count("outbox"), audit: try count("audit"),
                               remoteLinks: try count("remote_link"))
        }
    }
}

extension RoloServices {
    /// The display names of every live contact in the scope, in list order.
    func listedNames(in scope: AccountScope = .all, matching query: String? = nil) throws -> [String] {
        try reader.window(in: scope, matching: query.map(ContactQuery.init), limit: 1000).rows.map(\.displayName)
    }
}

/// A folder under the system's temporary directory, removed by `remove()`.
struct ScratchFolder {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("rolo-sync-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }
func instant(_ text: String) -> Timestamp { Timestamp(parsing: text)! }

extension RoloServices {
    /// Opens the form of `slot` as the edit pane does, and returns the draft it writes to.
    func openForm(_ slot: DraftSlot, sourceLocation: SourceLocation = #_sourceLocation) throws -> DraftID {
        guard case .claimed(let id, _, _) = try drafts.claimDraft(slot, takingOver: false) else {
            Issue.record("the form of \(slot) is held by another rolo", sourceLocation: sourceLocation)
            throw RoloError.failed("form held")
        }
        return id
    }

    /// The text of a draft, nil when it has none or is gone.
    func draftText(_ id: DraftID) throws -> String? { try drafts.drafts().first { $0.id == id }?.payload }
}
