import GRDB
import RoloCore

/// The number space of `contact.rank`: one name order across every account.
///
/// Ranks follow name order with wide gaps, so a new contact usually gets the midpoint
/// between its neighbours without touching any other row. Because the full-text index uses
/// the rank as its rowid, "matches in name order, from here, 50 of them" is an index seek
/// however many contacts match — the reason the live filter stays instant with a million
/// contacts. An account's contacts are picked out by an exact `account` token in the index,
/// or by the `(accountId, rank)` index when there is no filter.
enum RankSpace {
    /// Exclusive bounds of every rank.
    static let lower: Int64 = 0
    static let upper: Int64 = 1 << 62
    /// Distance between neighbours when appending at either end.
    static let step: Int64 = 1 << 32
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
        let (lower, upper) = (RankSpace.lower, RankSpace.upper)
        let before = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT rank FROM contact WHERE sortKey < ? AND id IS NOT ? ORDER BY sortKey DESC LIMIT 1
            """), arguments: [sortKey, excluding])
        let after = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT rank FROM contact WHERE sortKey > ? AND id IS NOT ? ORDER BY sortKey LIMIT 1
            """), arguments: [sortKey, excluding])
        let low = before ?? lower
        let high = after ?? upper
        let gap = high - low
        guard gap >= 2 else { return nil }
        switch (before, after) {
        case (nil, nil): return lower + (upper - lower) / 2
        case (.some, nil): return low + min(RankSpace.step, gap / 2)
        case (nil, .some): return high - min(RankSpace.step, gap / 2)
        case (.some, .some): return low + gap / 2
        }
    }

    /// Spreads out the contacts around `sortKey` evenly, widening the stretch until it has room.
    private static func relabel(around sortKey: String, excluding: Int64?, db: Database) throws {
        let (lower, upper) = (RankSpace.lower, RankSpace.upper)
        var half = 8
        while true {
            let before = try Row.fetchAll(db, sql: """
                SELECT id, rank FROM contact WHERE sortKey < ? AND id IS NOT ? ORDER BY sortKey DESC LIMIT ?
                """, arguments: [sortKey, excluding, half + 1])
            let after = try Row.fetchAll(db, sql: """
                SELECT id, rank FROM contact WHERE sortKey >= ? AND id IS NOT ? ORDER BY sortKey LIMIT ?
                """, arguments: [sortKey, excluding, half + 1])
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

    /// Gives contacts new ranks and moves their full-text rows along, in two steps through
    /// negative ranks so that no two rows ever hold the same rank.
    static func move(_ moves: [(id: Int64, from: Int64, to: Int64)], db: Database) throws {
        let changed = moves.filter { $0.from != $0.to }
        for move in changed {
            try db.execute(sql: "UPDATE contact SET rank = ? WHERE id = ?", arguments: [-move.id, move.id])
            try SearchIndex.moveRow(from: move.from, to: -move.id, db: db)
        }
        for move in changed {
            try db.execute(sql: "UPDATE contact SET rank = ? WHERE id = ?", arguments: [move.to, move.id])
            try SearchIndex.moveRow(from: -move.id, to: move.to, db: db)
        }
    }
}
