import Foundation
import RoloCore
import RoloSync

/// When one account syncs by itself while the TUI is open (`sync_on_start`, `sync_interval`
/// in the config).
public struct AutoSyncSetting: Sendable, Hashable {
    public let account: String
    public let onStart: Bool
    /// Seconds between automatic syncs; nil: none after the first.
    public let interval: TimeInterval?

    public init(account: String, onStart: Bool, interval: TimeInterval?) {
        self.account = account
        self.onStart = onStart
        self.interval = interval
    }
}

/// Where sync stands in this rolo: the run in progress (one at a time), what the last run of
/// each account left, and when each account syncs by itself next.
public struct SyncActivity: Sendable {
    /// A sync in progress.
    public struct Run: Sendable, Hashable {
        public let scope: AccountScope
        public let automatic: Bool
        /// The progress line for the status bar ("Syncing support: 1,200 of 5,000 read…").
        public internal(set) var progress: String
    }

    public internal(set) var running: Run?
    /// A fetch of one contact in progress, by what it was asked for.
    public internal(set) var fetching: String?
    /// Accounts whose last run found their provider unreachable.
    public internal(set) var offline: Set<Int64> = []
    /// The next automatic try per account, and how many automatic tries in a row failed.
    var schedule: [Int64: AutoSchedule] = [:]

    struct AutoSchedule: Sendable, Hashable {
        var interval: TimeInterval?
        var nextAt: Timestamp?
        var failures = 0
    }

    /// The first wait after a run that could not reach its provider; each next failure
    /// doubles it, up to the account's interval (or `longestBackoff` without one): a provider
    /// that stays away is asked less and less often, never in a tight loop.
    static let firstBackoff: TimeInterval = 60
    static let longestBackoff: TimeInterval = 30 * 60

    static func backoff(failures: Int, interval: TimeInterval?) -> TimeInterval {
        let cap = interval ?? longestBackoff
        return min(cap, firstBackoff * pow(2, Double(max(0, failures - 1))))
    }

    /// Sets up each configured account's first automatic sync: now when it syncs on start,
    /// else one interval from now.
    mutating func plan(_ settings: [AutoSyncSetting], accounts: [Account], now: Timestamp) {
        for setting in settings {
            guard let account = accounts.first(where: { $0.name.caseInsensitiveCompare(setting.account) == .orderedSame }),
                  setting.onStart || setting.interval != nil else { continue }
            let first = setting.onStart ? now : setting.interval.map { now.adding(seconds: $0) }
            schedule[account.id] = AutoSchedule(interval: setting.interval, nextAt: first)
        }
    }

    /// The account whose automatic sync is due first, if any is due.
    func dueAccount(at now: Timestamp) -> Int64? {
        schedule.filter { $0.value.nextAt.map { $0 <= now } ?? false }
            .min { ($0.value.nextAt!, $0.key) < ($1.value.nextAt!, $1.key) }?.key
    }

    /// After a run of an account (automatic or asked for): the next automatic one an interval
    /// later, or sooner and backing off when the provider could not be reached.
    mutating func finished(account: Int64, reachedProvider: Bool, offline isOffline: Bool, now: Timestamp) {
        if isOffline { offline.insert(account) } else { offline.remove(account) }
        guard var entry = schedule[account] else { return }
        if reachedProvider {
            entry.failures = 0
            entry.nextAt = entry.interval.map { now.adding(seconds: $0) }
        } else {
            entry.failures += 1
            entry.nextAt = now.adding(seconds: SyncActivity.backoff(failures: entry.failures, interval: entry.interval))
        }
        schedule[account] = entry
    }

    /// When an account syncs by itself next (nil: it does not).
    public func nextAutomaticSync(of account: Int64) -> Timestamp? { schedule[account]?.nextAt }
}

extension Timestamp {
    func adding(seconds: TimeInterval) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64(seconds * 1000))
    }
}

/// How sync events read in the status bar.
enum SyncWords {
    static func progress(_ event: SyncEvent) -> String? {
        switch event {
        case .started(let account): "Syncing \(account)…"
        case .reading(let account, let records, let total):
            "Syncing \(account): " + (total.map { "\(count(records)) of \(count($0)) read…" } ?? "\(count(records)) read…")
        case .sending(let account, let done, let total): "Syncing \(account): \(count(done)) of \(count(total)) sent…"
        case .waiting(let account, let seconds, let reason):
            "Syncing \(account): waiting \(Int(seconds.rounded(.up))) s (\(reason))…"
        case .finished: nil
        }
    }

    /// What several accounts' runs did together, for a status line too short for each one's:
    /// "Synced 3 accounts: 5 new, 2 changed here; 12 changes sent; 1 conflict" — and the
    /// line of each run that stopped, as it says why.
    static func combined(_ reports: [SyncReport]) -> String {
        func sum(_ value: (SyncReport) -> Int) -> Int { reports.reduce(0) { $0 + value($1) } }
        let finished = reports.filter { $0.stopped == nil }
        var parts: [String] = []
        let here = [(sum(\.created), "new"), (sum(\.updated), "changed"), (sum(\.deleted), "deleted")].filter { $0.0 > 0 }
            .map { "\(count($0.0)) \($0.1)" }
        parts.append(here.isEmpty ? "nothing new" : here.joined(separator: ", ") + " here")
        let ownData = sum(\.providerDataOnly)
        if ownData > 0 { parts.append("\(count(ownData)) with only the providers' own data changed") }
        let sent = sum { $0.sentCreates + $0.sentUpdates + $0.sentDeletes }
        if sent > 0 { parts.append("\(count(sent)) change\(sent == 1 ? "" : "s") sent") }
        let keptInRolo = sum(\.keptInRolo)
        if keptInRolo > 0 { parts.append("\(count(keptInRolo)) edit\(keptInRolo == 1 ? "" : "s") in rolo only") }
        let conflicts = sum { $0.conflicts.count }
        if conflicts > 0 { parts.append("\(conflicts) conflict\(conflicts == 1 ? "" : "s")") }
        let failed = sum { $0.failures.count }
        if failed > 0 { parts.append("\(failed) failed") }
        let held = sum(\.heldDeletions)
        if held > 0 { parts.append("\(held) deletions held back") }
        let failedEarlier = sum { $0.failedEarlier.count }
        if failedEarlier > 0 { parts.append("\(failedEarlier) edit\(failedEarlier == 1 ? "" : "s") failed earlier") }
        let conflictsEarlier = sum { $0.conflictsEarlier.count }
        if conflictsEarlier > 0 { parts.append("\(conflictsEarlier) conflict\(conflictsEarlier == 1 ? "" : "s") from earlier") }
        var pieces: [String] = []
        if !finished.isEmpty {
            pieces.append("Synced \(finished.count) account\(finished.count == 1 ? "" : "s"): " + parts.joined(separator: "; "))
        }
        // Offline accounts in one piece, without each connection error: with every account
        // offline the line said "Synced 0 accounts: nothing new" and then only the first error.
        let offline = reports.filter { $0.stopped != nil && $0.offline }
        if !offline.isEmpty {
            var providers: [String] = []
            for report in offline where !providers.contains(report.provider) { providers.append(report.provider) }
            pieces.append(list(offline.map(\.account)) + ": offline — " + list(providers)
                + " cannot be reached; edits wait in the outbox")
        }
        for stopped in reports where stopped.stopped != nil && !stopped.offline { pieces.append(stopped.summary) }
        return pieces.joined(separator: " · ")
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// Numbers with thousands separators: 1,200.
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}
