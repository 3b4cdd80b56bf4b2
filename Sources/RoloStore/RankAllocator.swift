import GRDB
import RoloCore

/// The number space of `contact.rank`: one name order across every account.
///
/// Ranks follow name order with wide gaps, so a new contact usually finds room between its
/// neighbours without touching any other row. Because the full-text index uses the rank as
/// its rowid, "matches in name order, from here, 50 of them" is an index seek however many
/// contacts match — the reason the live filter stays instant with a million contacts. An
/// account's contacts are picked out by an exact `account` token in the index, or by the
/// `(accountId, rank)` index when there is no filter.
enum RankSpace {
    /// Exclusive bounds of every rank.
    static let lower: Int64 = 0
    static let upper: Int64 = 1 << 62
    /// The most a new contact leaves between itself and a neighbour it is close to (in name
    /// order): contacts arriving in name order each take this much, so a run of two million
    /// fits in any gap of the first few contacts.
    static let step: Int64 = 1 << 40
    /// The least a new contact leaves between itself and a neighbour, as a share of the gap
    /// (1/256) when that is less than `step`: see `RankAllocator.place`.
    static let marginShare: Int64 = 256
    /// Below this spacing a relabelled stretch would fill up again too soon.
    static let minimumSpacing: Int64 = 1 << 16
}

/// Finds a rank for a new sort key, relabelling a stretch of neighbours when the gap is used up.
enum RankAllocator {
    /// `excluding` is a contact being renamed: it is not its own neighbour. `index` holds
    /// full-text rows not yet written (an import's batch): they are written before neighbours
    /// are moved, since moving a contact moves its index row, and a row still waiting would
    /// otherwise be written later under the rank its contact no longer has.
    static func rank(for sortKey: String, excluding: Int64? = nil, index: SearchIndex.Batch? = nil, db: Database) throws -> Int64 {
        for _ in 0..<3 {
            if let rank = try tryRank(for: sortKey, excluding: excluding, db: db) { return rank }
            try index?.flush()
            try relabel(around: sortKey, excluding: excluding, db: db)
        }
        throw RoloError.cache("the list order is exhausted")
    }

    private static func tryRank(for sortKey: String, excluding: Int64?, db: Database) throws -> Int64? {
        // Both neighbours in one statement (this runs for every contact an import or a pull adds).
        var before: (rank: Int64, key: String)?
        var after: (rank: Int64, key: String)?
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT 0, rank, sortKey FROM (SELECT rank, sortKey FROM contact WHERE sortKey < ?1 AND id IS NOT ?2
                                          ORDER BY sortKey DESC LIMIT 1)
            UNION ALL
            SELECT 1, rank, sortKey FROM (SELECT rank, sortKey FROM contact WHERE sortKey > ?1 AND id IS NOT ?2
                                          ORDER BY sortKey LIMIT 1)
            """), arguments: [sortKey, excluding])
        while let row = try rows.next() {
            if row[0] as Int64 == 0 { before = (row[1], row[2]) } else { after = (row[1], row[2]) }
        }
        return place(sortKey, before: before, after: after)
    }

    /// The rank for `sortKey` between its neighbours (rank and sort key; nil past either end
    /// of the list), or nil when they leave no room.
    ///
    /// A contact goes where its sort key lies between its neighbours' keys — interpolated over
    /// the first 8 bytes where those differ, the ends of the list counting as the smallest and
    /// the largest keys — but never closer to a neighbour than 1/`marginShare` of the gap, or
    /// `step` when that is less. Taking the midpoint instead halved a gap at every insert,
    /// and a provider listing contacts by email (emails begin with names) brings runs of
    /// contacts in name order that all land in one gap: it was used up every 40 or so
    /// contacts, and relabelling neighbours was more than half the time of a 100k pull.
    /// Interpolation spends a gap in proportion to the names that arrive; the margin keeps
    /// room where names share more than 8 bytes, and makes a run in name order advance by
    /// `step` at a time.
    static func place(_ sortKey: String, before: (rank: Int64, key: String)?, after: (rank: Int64, key: String)?) -> Int64? {
        let low = before?.rank ?? RankSpace.lower
        let high = after?.rank ?? RankSpace.upper
        let gap = high - low
        guard gap >= 2 else { return nil }
        let fraction = keyFraction(Array(sortKey.utf8), between: before.map { Array($0.key.utf8) } ?? [],
                                   and: after.map { Array($0.key.utf8) } ?? Array(repeating: 0xFF, count: 8))
        let margin = max(1, min(RankSpace.step, gap / RankSpace.marginShare))
        let interpolated = low + Int64((Double(gap) * fraction).rounded(.down))
        return min(max(interpolated, low + margin), high - margin)
    }

    /// Where `key` lies between `low` and `high` (UTF-8 bytes; they sort around it), from 0 to
    /// 1, judged by the 8 bytes after the prefix the two share. Byte order is the order of
    /// `sortKey` in SQLite, and so in the list. (0xFF, in no UTF-8 text, is above every key.)
    static func keyFraction(_ key: [UInt8], between low: [UInt8], and high: [UInt8]) -> Double {
        var shared = 0
        while shared < low.count, shared < high.count, low[shared] == high[shared] { shared += 1 }
        func window(_ bytes: [UInt8]) -> UInt64 {
            var value: UInt64 = 0
            for offset in 0..<8 {
                let position = shared + offset
                value = value << 8 | UInt64(position < bytes.count ? bytes[position] : 0)
            }
            return value
        }
        let (a, k, b) = (window(low), window(key), window(high))
        guard b > a else { return 0.5 }
        return min(1, max(0, Double(k > a ? k - a : 0) / Double(b - a)))
    }

    /// Spreads out the contacts around `sortKey` evenly, widening the stretch until it has room.
    private static func relabel(around sortKey: String, excluding: Int64?, db: Database) throws {
        let (lower, upper) = (RankSpace.lower, RankSpace.upper)
        var half = 8
        while true {
            let before = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, rank FROM contact WHERE sortKey < ? AND id IS NOT ? ORDER BY sortKey DESC LIMIT ?
                """), arguments: [sortKey, excluding, half + 1])
            let after = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, rank FROM contact WHERE sortKey >= ? AND id IS NOT ? ORDER BY sortKey LIMIT ?
                """), arguments: [sortKey, excluding, half + 1])
            // The row just outside each end of the stretch keeps its rank and bounds it.
            let low: Int64 = before.count > half ? before[half]["rank"] : lower
            let high: Int64 = after.count > half ? after[half]["rank"] : upper
            let stretch = before.prefix(half).reversed() + after.prefix(half)
            let spacing = (high - low) / Int64(stretch.count + 2)
            let everything = before.count <= half && after.count <= half
            if spacing >= RankSpace.minimumSpacing || everything {
                guard spacing >= 2 else { throw RoloError.cache("the list order is exhausted") }
                // Leave a double gap where the new contact goes (between `before` and `after`).
                var moves: [(id: Int64, from: Int64, to: Int64)] = []
                var next = low
                for (index, row) in stretch.enumerated() {
                    next += spacing
                    if index == min(half, before.count) { next += spacing }
                    moves.append((row["id"], row["rank"], next))
                }
                try move(moves, db: db)
                return
            }
            half *= 4
        }
    }

    /// Gives contacts new ranks and moves their full-text rows along. `moves` keep their
    /// order (ranks in, ranks out); the rows that move down are moved first, lowest first,
    /// then those that move up, highest first: so no row ever lands on a rank another still
    /// holds, and each moves once.
    static func move(_ moves: [(id: Int64, from: Int64, to: Int64)], db: Database) throws {
        let down = moves.filter { $0.to < $0.from }.sorted { $0.from < $1.from }
        let up = moves.filter { $0.to > $0.from }.sorted { $0.from > $1.from }
        let setRank = try db.cachedStatement(sql: "UPDATE contact SET rank = ? WHERE id = ?")
        for move in down + up {
            try setRank.execute(arguments: [move.to, move.id])
            try SearchIndex.moveRow(from: move.from, to: move.to, db: db)
        }
    }
}
