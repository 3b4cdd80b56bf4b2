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

    /// `markers: false` leaves every row's sync marker `.none` and skips the three lookups
    /// per row that find it: for output that does not show it (`rolo list --tsv`, `--json`).
    public func window(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                       from anchor: WindowAnchor = .first, limit: Int, markers: Bool = true) throws -> ContactWindow {
        let limit = max(1, limit)
        return try read { db in
            // No delivery and no conflict anywhere (a cache of local contacts only, or one
            // where every edit has reached its provider): every marker is none, and the lookups
            // per row are left out (3 ms of `rolo list` printing 10k matches).
            let markers = try markers && LocalCache.anyMarker(db)
            let match = try SearchIndex.matchExpression(for: query, in: scope, db: db)
            switch order {
            case .name, .nameDescending:
                return try LocalCache.nameWindow(scope: scope, match: match, descending: order == .nameDescending,
                                                 anchor: anchor, limit: limit, markers: markers, db: db)
            case .recentlyChanged:
                return try LocalCache.recentWindow(scope: scope, match: match, anchor: anchor, limit: limit,
                                                   markers: markers, db: db)
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
        return try LocalCache.cancellable(isCancelled) {
            try read { db in
                let match = try SearchIndex.matchExpression(for: query, in: scope, db: db)
                return try LocalCache.withProgressHandler(db, isCancelled) {
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM contact_fts WHERE contact_fts MATCH ?", arguments: [match]) ?? 0
                }
            }
        }
    }

    /// The 0-based row a contact has in the list, or nil when cancelled or not in the list.
    public func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery? = nil,
                         order: ListOrder = .name, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        if isCancelled() { return nil }
        return try LocalCache.cancellable(isCancelled) {
            try read { db in
                let match = try SearchIndex.matchExpression(for: query, in: scope, db: db)
                let account = LocalCache.accountCondition(scope, column: "accountId")
                return try LocalCache.withProgressHandler(db, isCancelled) { () -> Int in
                    switch (order, match) {
                    case (.name, nil), (.nameDescending, nil):
                        let before = order == .name ? "rank < :rank" : "rank > :rank"
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact WHERE \(account.sql) AND \(before) AND deletedAt IS NULL
                            """, arguments: StatementArguments(["rank": cursor.rank]) + account.arguments) ?? 0
                    case (.name, let match?), (.nameDescending, let match?):
                        let before = order == .name ? "rowid < :rank" : "rowid > :rank"
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact_fts WHERE contact_fts MATCH :match AND \(before)
                            """, arguments: ["match": match, "rank": cursor.rank]) ?? 0
                    case (.recentlyChanged, let match):
                        let filter = match == nil ? "" : "AND rank IN (SELECT rowid FROM contact_fts WHERE contact_fts MATCH :match)"
                        return try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM contact WHERE \(account.sql) AND deletedAt IS NULL
                            AND (updatedAt, id) > (:updatedAt, :id) \(filter)
                            """, arguments: StatementArguments(["updatedAt": cursor.updatedAt, "id": cursor.contactID.rawValue,
                                                                "match": match]) + account.arguments) ?? 0
                    }
                }
            }
        }
    }

    // MARK: - Name order

    /// The columns of a list row, in the order `summary` reads them; without markers, the
    /// lookups for the sync marker are left out.
    static func summaryColumns(markers: Bool) -> String {
        let base = """
            c.id, c.accountId, c.displayName, c.email, c.company, coalesce(c.mobile_phone, c.phone) AS phone, c.rank, c.updatedAt,
            """
        guard markers else { return base + " NULL AS delivery, 0 AS hasConflict" }
        return base + """
             (SELECT o.state FROM outbox o WHERE o.contactId = c.id) AS delivery,
            EXISTS (SELECT 1 FROM conflict f WHERE f.contactId = c.id) AS hasConflict
            """
    }

    private static func nameWindow(scope: AccountScope, match: String?, descending: Bool, anchor: WindowAnchor,
                                   limit: Int, markers: Bool, db: Database) throws -> ContactWindow {
        // Work in list direction: "forward" means down the list, which is rank DESC for Z–A.
        var low = RankSpace.lower, high = RankSpace.upper     // exclusive rank bounds of the read
        var forward = true
        var startingAt: Int64?
        switch anchor {
        case .first:
            break
        case .last:
            forward = false
        case .after(let cursor):
            if descending { high = cursor.rank } else { low = cursor.rank }
        case .before(let cursor):
            forward = false
            if descending { low = cursor.rank } else { high = cursor.rank }
        case .startingAt(let cursor):
            startingAt = cursor.rank
            if descending { high = cursor.rank + 1 } else { low = cursor.rank - 1 }
        }
        let direction = forward != descending ? "ASC" : "DESC"
        let rows = try fetchByRank(scope: scope, match: match, above: low, below: high, direction: direction,
                                   limit: limit + 1, markers: markers, db: db)
        return try window(of: rows, limit: limit, forward: forward, anchor: anchor) {
            // Is there anything above the anchor row?
            let rank = startingAt!
            let (aboveLow, aboveHigh) = descending ? (rank, RankSpace.upper) : (RankSpace.lower, rank)
            return try !fetchByRank(scope: scope, match: match, above: aboveLow, below: aboveHigh, direction: "ASC",
                                    limit: 1, markers: false, db: db).isEmpty
        }
    }

    /// Rows fetched one past `limit` in reading direction, as a window: the extra row says
    /// whether there is more beyond; for a window starting at a row, `hasRowsAbove` says
    /// whether anything comes before it.
    private static func window(of rows: [ContactSummary], limit: Int, forward: Bool, anchor: WindowAnchor,
                               hasRowsAbove: () throws -> Bool) throws -> ContactWindow {
        var summaries = Array(rows.prefix(limit))
        let more = rows.count > limit
        if !forward { summaries.reverse() }
        return switch anchor {
        case .first: ContactWindow(rows: summaries, reachedStart: true, reachedEnd: !more)
        case .last: ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: true)
        case .after: ContactWindow(rows: summaries, reachedStart: false, reachedEnd: !more)
        case .before: ContactWindow(rows: summaries, reachedStart: !more, reachedEnd: false)
        case .startingAt: ContactWindow(rows: summaries, reachedStart: try !hasRowsAbove(), reachedEnd: !more)
        }
    }

    /// The list rows of the matches of a MATCH expression with a rank strictly between two
    /// bounds, at most a number of them, in rank order (`direction`: ASC or DESC).
    static func matchedRowsSQL(markers: Bool, direction: String) -> String {
        """
        SELECT \(summaryColumns(markers: markers)) FROM contact c INDEXED BY contact_list_rows WHERE c.rank IN (
            SELECT rowid FROM contact_fts WHERE contact_fts MATCH ? AND rowid > ? AND rowid < ?
            ORDER BY rowid \(direction) LIMIT ?
        ) ORDER BY c.rank \(direction)
        """
    }

    /// List rows with a rank strictly between `above` and `below`, in rank order: from the
    /// full-text index when there is a filter, else from the contact table.
    ///
    /// The matches are read from `contact_list_rows`, which holds every list column in rank
    /// order; SQLite's own choice, the rank's unique index, reads the table's page of every
    /// match besides (10k matches of `mül` among a million contacts: 30 ms instead of 7).
    /// Asked as `rank IN (…)`, SQLite walks the matches in rank order and sorts nothing; as a
    /// join with the matches, it sorted them again for the ORDER BY (13 ms instead of 15 for
    /// those 10k).
    private static func fetchByRank(scope: AccountScope, match: String?, above: Int64, below: Int64, direction: String,
                                    limit: Int, markers: Bool, db: Database) throws -> [ContactSummary] {
        let summaryColumns = summaryColumns(markers: markers)
        if let match {
            return try summaries(Row.fetchCursor(db.cachedStatement(sql: matchedRowsSQL(markers: markers, direction: direction)),
                                                 arguments: [match, above, below, limit]))
        }
        let account = accountCondition(scope, column: "c.accountId")
        return try summaries(Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(summaryColumns) FROM contact c
            WHERE \(account.sql) AND c.rank > :above AND c.rank < :below AND c.deletedAt IS NULL
            ORDER BY c.rank \(direction) LIMIT :limit
            """), arguments: StatementArguments(["above": above, "below": below, "limit": limit]) + account.arguments),)
    }

    /// List rows read straight from the statement (a cursor), without copying each row first.
    private static func summaries(_ rows: RowCursor) throws -> [ContactSummary] {
        var out: [ContactSummary] = []
        while let row = try rows.next() { out.append(summary(row)) }
        return out
    }

    /// `accountId = :account`, or true for every account.
    static func accountCondition(_ scope: AccountScope, column: String) -> (sql: String, arguments: StatementArguments) {
        switch scope {
        case .all: ("1", [:])
        case .account(let id): ("\(column) = :account", ["account": id])
        }
    }

    // MARK: - Recently changed

    private static func recentWindow(scope: AccountScope, match: String?, anchor: WindowAnchor, limit: Int,
                                     markers: Bool, db: Database) throws -> ContactWindow {
        let summaryColumns = summaryColumns(markers: markers)
        // List order is (updatedAt, id) descending.
        var keyset = ""
        var forward = true
        var arguments: StatementArguments = ["limit": limit + 1]
        switch anchor {
        case .first: break
        case .last: forward = false
        case .after(let cursor):
            keyset = "AND (c.updatedAt, c.id) < (:updatedAt, :id)"
            arguments += ["updatedAt": cursor.updatedAt, "id": cursor.contactID.rawValue]
        case .before(let cursor):
            forward = false
            keyset = "AND (c.updatedAt, c.id) > (:updatedAt, :id)"
            arguments += ["updatedAt": cursor.updatedAt, "id": cursor.contactID.rawValue]
        case .startingAt(let cursor):
            keyset = "AND (c.updatedAt, c.id) <= (:updatedAt, :id)"
            arguments += ["updatedAt": cursor.updatedAt, "id": cursor.contactID.rawValue]
        }
        let filter = try recentFilter(match: match, db: db, arguments: &arguments)
        let account = accountCondition(scope, column: "c.accountId")
        arguments += account.arguments
        let direction = forward ? "DESC" : "ASC"
        let rows = try summaries(Row.fetchCursor(db, sql: """
            SELECT \(summaryColumns) FROM contact c
            WHERE \(account.sql) AND c.deletedAt IS NULL \(keyset) \(filter)
            ORDER BY c.updatedAt \(direction), c.id \(direction) LIMIT :limit
            """, arguments: arguments))
        return try window(of: rows, limit: limit, forward: forward, anchor: anchor) {
            guard case .startingAt(let cursor) = anchor else { return false }
            var probe: StatementArguments = ["updatedAt": cursor.updatedAt, "id": cursor.contactID.rawValue]
            let probeFilter = try recentFilter(match: match, db: db, arguments: &probe)
            probe += account.arguments
            return try Row.fetchOne(db, sql: """
                SELECT 1 FROM contact c WHERE \(account.sql) AND c.deletedAt IS NULL
                AND (c.updatedAt, c.id) > (:updatedAt, :id) \(probeFilter) LIMIT 1
                """, arguments: probe) != nil
        }
    }

    /// The filter of a "recently changed" list. Few matches are listed and sorted; many are
    /// tested row by row while walking the change index, which finds a page quickly because
    /// most rows match.
    private static func recentFilter(match: String?, db: Database, arguments: inout StatementArguments) throws -> String {
        guard let match else { return "" }
        arguments += ["match": match]
        let probe = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (SELECT 1 FROM contact_fts WHERE contact_fts MATCH ? LIMIT ?)
            """, arguments: [match, denseMatchThreshold + 1]) ?? 0
        return probe > denseMatchThreshold
            ? "AND EXISTS (SELECT 1 FROM contact_fts WHERE contact_fts MATCH :match AND rowid = c.rank)"
            : "AND c.rank IN (SELECT rowid FROM contact_fts WHERE contact_fts MATCH :match)"
    }

    // MARK: - Helpers

    /// Whether any contact has a delivery waiting or a conflict: the sync markers of a list.
    static func anyMarker(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM conflict)") ?? true
    }

    /// A list row from `summaryColumns`, read by position: looking columns up by name (GRDB
    /// compares lowercased names) took a sixth of `rolo list --tsv`. Only a provider's
    /// contacts have deliveries, so only they ever carry a marker.
    static func summary(_ row: Row) -> ContactSummary {
        let id = ContactID(row[0])
        let accountID: Int64 = row[1]
        let marker: SyncMarker
        if row[9] as Bool {
            marker = .conflict
        } else {
            switch row[8] as String? {
            case DeliveryState.pending.rawValue?: marker = .pending
            case DeliveryState.sending.rawValue?: marker = .sending
            case DeliveryState.failed.rawValue?: marker = .failed
            case DeliveryState.conflict.rawValue?: marker = .conflict
            default: marker = .none
            }
        }
        return ContactSummary(id: id, accountID: accountID, displayName: row[2], email: row[3],
                              company: row[4], phone: row[5], marker: marker,
                              cursor: ListCursor(contactID: id, rank: row[6], updatedAt: row[7]))
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
