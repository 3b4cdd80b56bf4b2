import GRDB
import GRDBSQLite
import RoloCore

/// Windowed reads for the list: a few dozen rows at any position, by keyset, never the whole
/// table. Name order walks `contact.rank`; a filtered list in name order walks the full-text
/// index by rowid (= rank), so its cost is the window, not the number of matches.
extension LocalCache {
    /// Above this many matches, a filtered "recently changed" list walks the change index and
    /// tests each row instead of sorting every match.
    static let denseMatchThreshold = 20_000

    public func window(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                       from anchor: WindowAnchor = .first, limit: Int) throws -> ContactWindow {
        let limit = max(1, limit)
        return try read { db in
            let match = try query.flatMap { try SearchIndex.matchExpression(for: $0, db: db) }
            let providers = try LocalCache.providersByAccount(db)
            switch order {
            case .name, .nameDescending:
                return try LocalCache.nameWindow(scope: scope, match: match, descending: order == .nameDescending,
                                                 anchor: anchor, limit: limit, providers: providers, db: db)
            case .recentlyChanged:
                return try LocalCache.recentWindow(scope: scope, match: match, anchor: anchor, limit: limit,
                                                   providers: providers, db: db)
            }
        }
    }

    /// How many contacts in the scope match. Without a query this is instant; with one it reads
    /// the index, which for a very common prefix over a million contacts takes tens of
    /// milliseconds — so it can be cancelled: when `isCancelled` turns true the count stops
    /// and returns nil.
    public func count(in scope: AccountScope, matching query: ContactQuery?,
                      isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        guard let query, !query.isEmpty else { return try contactCount(in: scope) }
        if isCancelled() { return nil }
        let (lower, upper) = RankSpace.bounds(of: scope)
        return try LocalCache.cancellable(isCancelled) {
            try read { db in
                let match = try SearchIndex.matchExpression(for: query, db: db)
                return try LocalCache.withProgressHandler(db, isCancelled) {
                    try Int.fetchOne(db, sql: """
                        SELECT count(*) FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ?
                        """, arguments: [match, lower, upper]) ?? 0
                }
            }
        }
    }

    /// The 0-based row a contact has in the list, or nil when cancelled or not in the list.
    public func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery? = nil,
                         order: ListOrder = .name, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        if isCancelled() { return nil }
        let (lower, upper) = RankSpace.bounds(of: scope)
        return try LocalCache.cancellable(isCancelled) {
            try read { db in
                let match = try query.flatMap { try SearchIndex.matchExpression(for: $0, db: db) }
                return try LocalCache.withProgressHandler(db, isCancelled) { () -> Int in
                    switch (order, match) {
                    case (.name, nil):
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact WHERE rank > ? AND rank < ? AND deletedAt IS NULL
                            """, arguments: [lower, cursor.rank]) ?? 0
                    case (.nameDescending, nil):
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact WHERE rank > ? AND rank < ? AND deletedAt IS NULL
                            """, arguments: [cursor.rank, upper]) ?? 0
                    case (.name, let match?):
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ?
                            """, arguments: [match, lower, cursor.rank]) ?? 0
                    case (.nameDescending, let match?):
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ?
                            """, arguments: [match, cursor.rank, upper]) ?? 0
                    case (.recentlyChanged, let match):
                        let filter = match == nil ? "" : """
                            AND rank IN (SELECT rowid FROM contact_fts WHERE contact_fts MATCH :match
                                         AND rowid > :lower AND rowid < :upper)
                            """
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact WHERE rank > :lower AND rank < :upper AND deletedAt IS NULL
                            AND (updatedAt, id) > (:updatedAt, :id) \(filter)
                            """, arguments: ["lower": lower, "upper": upper, "updatedAt": cursor.updatedAt,
                                             "id": cursor.contactID.rawValue, "match": match]) ?? 0
                    }
                }
            }
        }
    }

    // MARK: - Name order

    private static let summaryColumns = """
        c.id, c.accountId, c.displayName, c.email, c.company, coalesce(c.mobile_phone, c.phone) AS phone, c.rank, c.updatedAt,
        EXISTS (SELECT 1 FROM outbox o WHERE o.contactId = c.id) AS hasOutbox,
        EXISTS (SELECT 1 FROM outbox o WHERE o.contactId = c.id AND o.lastError IS NOT NULL) AS hasFailure,
        EXISTS (SELECT 1 FROM conflict f WHERE f.contactId = c.id) AS hasConflict
        """

    private static func nameWindow(scope: AccountScope, match: String?, descending: Bool, anchor: WindowAnchor,
                                   limit: Int, providers: [Int64: ProviderKind], db: Database) throws -> ContactWindow {
        let (lower, upper) = RankSpace.bounds(of: scope)
        // Work in list direction: "forward" means down the list, which is rank DESC for Z–A.
        enum Start { case top, bottom, after(Int64), before(Int64), at(Int64) }
        let start: Start = switch anchor {
        case .first: .top
        case .last: .bottom
        case .after(let cursor): .after(cursor.rank)
        case .before(let cursor): .before(cursor.rank)
        case .startingAt(let cursor): .at(cursor.rank)
        }
        let forward: Bool
        var low = lower, high = upper          // exclusive rank bounds of the read
        switch start {
        case .top, .bottom: forward = { if case .top = start { return true } else { return false } }()
        case .after(let rank):
            forward = true
            if descending { high = rank } else { low = rank }
        case .before(let rank):
            forward = false
            if descending { low = rank } else { high = rank }
        case .at(let rank):
            forward = true
            if descending { high = rank + 1 } else { low = rank - 1 }
        }
        let ascendingRanks = forward != descending
        let direction = ascendingRanks ? "ASC" : "DESC"
        let rows: [Row]
        if let match {
            rows = try Row.fetchAll(db, sql: """
                SELECT \(summaryColumns) FROM (
                    SELECT rowid AS r FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ?
                    ORDER BY rowid \(direction) LIMIT ?
                ) f JOIN contact c ON c.rank = f.r ORDER BY c.rank \(direction)
                """, arguments: [match, low, high, limit + 1])
        } else {
            rows = try Row.fetchAll(db, sql: """
                SELECT \(summaryColumns) FROM contact c
                WHERE c.rank > ? AND c.rank < ? AND c.deletedAt IS NULL ORDER BY c.rank \(direction) LIMIT ?
                """, arguments: [low, high, limit + 1])
        }
        var summaries = rows.prefix(limit).map { summary($0, providers: providers) }
        let more = rows.count > limit
        if !forward { summaries.reverse() }
        switch start {
        case .top: return ContactWindow(rows: summaries, reachedStart: true, reachedEnd: !more)
        case .bottom: return ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: true)
        case .after: return ContactWindow(rows: summaries, reachedStart: false, reachedEnd: !more)
        case .before: return ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: false)
        case .at(let rank):
            // Is there anything above the anchor row?
            let (aboveLow, aboveHigh) = descending ? (rank, upper) : (lower, rank)
            let above: Bool
            if let match {
                above = try Row.fetchOne(db, sql: """
                    SELECT 1 FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ? LIMIT 1
                    """, arguments: [match, aboveLow, aboveHigh]) != nil
            } else {
                above = try Row.fetchOne(db, sql: """
                    SELECT 1 FROM contact WHERE rank > ? AND rank < ? AND deletedAt IS NULL LIMIT 1
                    """, arguments: [aboveLow, aboveHigh]) != nil
            }
            return ContactWindow(rows: summaries, reachedStart: !above, reachedEnd: !more)
        }
    }

    // MARK: - Recently changed

    private static func recentWindow(scope: AccountScope, match: String?, anchor: WindowAnchor, limit: Int,
                                     providers: [Int64: ProviderKind], db: Database) throws -> ContactWindow {
        let (lower, upper) = RankSpace.bounds(of: scope)
        // List order is (updatedAt, id) descending.
        var keyset = ""
        var forward = true
        var arguments: [String: (any DatabaseValueConvertible)?] = ["lower": lower, "upper": upper, "match": match]
        switch anchor {
        case .first: break
        case .last: forward = false
        case .after(let cursor):
            keyset = "AND (c.updatedAt, c.id) < (:updatedAt, :id)"
            arguments["updatedAt"] = cursor.updatedAt
            arguments["id"] = cursor.contactID.rawValue
        case .before(let cursor):
            forward = false
            keyset = "AND (c.updatedAt, c.id) > (:updatedAt, :id)"
            arguments["updatedAt"] = cursor.updatedAt
            arguments["id"] = cursor.contactID.rawValue
        case .startingAt(let cursor):
            keyset = "AND (c.updatedAt, c.id) <= (:updatedAt, :id)"
            arguments["updatedAt"] = cursor.updatedAt
            arguments["id"] = cursor.contactID.rawValue
        }
        var filter = ""
        if match != nil {
            let probe = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT 1 FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ? LIMIT ?)
                """, arguments: [match, lower, upper, denseMatchThreshold + 1]) ?? 0
            filter = probe > denseMatchThreshold
                ? "AND EXISTS (SELECT 1 FROM contact_fts WHERE contact_fts MATCH :match AND rowid = c.rank)"
                : "AND c.rank IN (SELECT rowid FROM contact_fts WHERE contact_fts MATCH :match AND rowid > :lower AND rowid < :upper)"
        }
        let accountFilter: String
        if case .account(let id) = scope {
            accountFilter = "c.accountId = :account"
            arguments["account"] = id
        } else {
            accountFilter = "1"
        }
        arguments["limit"] = limit + 1
        let direction = forward ? "DESC" : "ASC"
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(summaryColumns) FROM contact c
            WHERE \(accountFilter) AND c.deletedAt IS NULL \(keyset) \(filter)
            ORDER BY c.updatedAt \(direction), c.id \(direction) LIMIT :limit
            """, arguments: StatementArguments(arguments))
        var summaries = rows.prefix(limit).map { summary($0, providers: providers) }
        let more = rows.count > limit
        if !forward { summaries.reverse() }
        switch anchor {
        case .first: return ContactWindow(rows: summaries, reachedStart: true, reachedEnd: !more)
        case .last: return ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: true)
        case .after: return ContactWindow(rows: summaries, reachedStart: false, reachedEnd: !more)
        case .before: return ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: false)
        case .startingAt(let cursor):
            let above = try LocalCache.window(scope: scope, match: match, before: cursor, providers: providers, db: db)
            return ContactWindow(rows: summaries, reachedStart: !above, reachedEnd: !more)
        }
    }

    private static func window(scope: AccountScope, match: String?, before cursor: ListCursor,
                               providers: [Int64: ProviderKind], db: Database) throws -> Bool {
        let (lower, upper) = RankSpace.bounds(of: scope)
        let filter = match == nil ? "" : "AND EXISTS (SELECT 1 FROM contact_fts WHERE contact_fts MATCH :match AND rowid = c.rank)"
        return try Row.fetchOne(db, sql: """
            SELECT 1 FROM contact c WHERE c.rank > :lower AND c.rank < :upper AND c.deletedAt IS NULL
            AND (c.updatedAt, c.id) > (:updatedAt, :id) \(filter) LIMIT 1
            """, arguments: ["lower": lower, "upper": upper, "updatedAt": cursor.updatedAt,
                             "id": cursor.contactID.rawValue, "match": match]) != nil
    }

    // MARK: - Helpers

    static func providersByAccount(_ db: Database) throws -> [Int64: ProviderKind] {
        var providers: [Int64: ProviderKind] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, provider FROM account") {
            providers[row["id"]] = ProviderKind(rawValue: row["provider"]) ?? .local
        }
        return providers
    }

    static func summary(_ row: Row, providers: [Int64: ProviderKind]) -> ContactSummary {
        let id = ContactID(row["id"])
        let accountID: Int64 = row["accountId"]
        let marker: SyncMarker
        if row["hasConflict"] as Bool {
            marker = .conflict
        } else if providers[accountID] == .local || providers[accountID] == nil {
            marker = .none
        } else if row["hasFailure"] as Bool {
            marker = .failed
        } else if row["hasOutbox"] as Bool {
            marker = .pending
        } else {
            marker = .none
        }
        return ContactSummary(id: id, accountID: accountID, displayName: row["displayName"], email: row["email"],
                              company: row["company"], phone: row["phone"], marker: marker,
                              cursor: ListCursor(contactID: id, rank: row["rank"], updatedAt: row["updatedAt"]))
    }

    /// Runs `body`, turning an interruption by `isCancelled` into nil.
    static func cancellable<T>(_ isCancelled: @Sendable () -> Bool, _ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let error as RoloError {
            if isCancelled() { return nil }
            throw error
        } catch {
            if isCancelled() { return nil }
            throw error
        }
    }

    /// Lets SQLite ask `isCancelled` every few thousand steps and stop the statement when it is true.
    static func withProgressHandler<T>(_ db: Database, _ isCancelled: @escaping @Sendable () -> Bool,
                                       _ body: () throws -> T) throws -> T {
        let box = Unmanaged.passRetained(CancellationBox(isCancelled))
        sqlite3_progress_handler(db.sqliteConnection, 1000, { context in
            guard let context else { return 0 }
            return Unmanaged<CancellationBox>.fromOpaque(context).takeUnretainedValue().isCancelled() ? 1 : 0
        }, box.toOpaque())
        defer {
            sqlite3_progress_handler(db.sqliteConnection, 0, nil, nil)
            box.release()
        }
        return try body()
    }
}

private final class CancellationBox {
    let isCancelled: @Sendable () -> Bool
    init(_ isCancelled: @escaping @Sendable () -> Bool) { self.isCancelled = isCancelled }
}
