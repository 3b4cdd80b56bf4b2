import Foundation
@testable import RoloStore
import RoloCore
import RoloProviders

let tester = Author(user: "tester", clientAddress: "192.0.2.7")

/// A pretend rolo process on one machine, for the drafts' holders.
func session(pid: Int32, user: String = "tester") -> EditorSession {
    EditorSession(user: user, clientAddress: nil, host: "jump", pid: pid, processStart: 1000 + UInt64(pid), bootID: "boot-1")
}

/// A fresh in-memory cache with its default local account.
func makeCache() throws -> (LocalCache, Account) {
    let cache = try LocalCache(catalog: .standard)
    return (cache, try cache.defaultAccount())
}

func person(_ first: String, _ last: String, email: String? = nil, account: Int64, city: String? = nil,
            custom: [String: CustomValue] = [:], fields: [StandardField: String] = [:]) -> Contact {
    var all = fields
    all[.firstName] = first
    all[.lastName] = last
    all[.email] = email ?? "\(TextFolding.fold(first)).\(TextFolding.fold(last))@example.com".replacingOccurrences(of: " ", with: "")
    if let city { all[.city] = city }
    return Contact(accountID: account, fields: all, custom: custom)
}

extension LocalCache {
    /// Display names of a whole list, read window by window (exercises keyset paging).
    func names(in scope: AccountScope, query: String? = nil, order: ListOrder = .name, page: Int = 3) throws -> [String] {
        var names: [String] = []
        var anchor = WindowAnchor.first
        let parsed = query.map(ContactQuery.init)
        while true {
            let window = try window(in: scope, matching: parsed, order: order, from: anchor, limit: page)
            names += window.rows.map(\.displayName)
            guard let last = window.rows.last, !window.reachedEnd else { return names }
            anchor = .after(last.cursor)
        }
    }

    func tableCount(_ table: String) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-tests-\(UUID().uuidString)")
    return directory.appendingPathComponent(name).path
}

/// Removes the folder `temporaryPath` made for `path` (a test's `defer`).
func removeFolder(of path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

/// A clock a test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Timestamp
    init(_ start: Timestamp) { instant = start }
    var now: Timestamp { lock.withLock { instant } }
    func advance(milliseconds: Int64) {
        lock.withLock { instant = Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + milliseconds) }
    }
}
