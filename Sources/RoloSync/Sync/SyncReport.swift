import RoloCore

/// What a sync run may do, as the user asked.
public struct SyncOptions: Sendable {
    /// Plan and say what a run would do; change nothing, here or at the provider.
    public var dryRun: Bool
    /// Apply deletions past the mass-delete guard.
    public var allowDeletes: Bool
    /// Where the provider lists only what changed (iVvy), list everything this time too, so
    /// contacts deleted there are found.
    public var fullListing: Bool
    /// Where the provider cannot list (DailyStory): how many known contacts one run refreshes,
    /// least recently synced first.
    public var refreshLimit: Int
    public var deleteGuard: MassDeleteGuard

    public init(dryRun: Bool = false, allowDeletes: Bool = false, fullListing: Bool = false, refreshLimit: Int = 2000,
                deleteGuard: MassDeleteGuard = MassDeleteGuard()) {
        self.dryRun = dryRun
        self.allowDeletes = allowDeletes
        self.fullListing = fullListing
        self.refreshLimit = refreshLimit
        self.deleteGuard = deleteGuard
    }
}

/// A run that would delete many contacts here stops before deleting any and asks for
/// `--allow-deletes`: an empty or partial listing must never empty the cache.
public struct MassDeleteGuard: Sendable, Hashable {
    /// More than this many deletions stop the run.
    public var maxCount: Int
    /// More than this share of the account's contacts stop the run (a single deletion never does).
    public var maxShare: Double

    public init(maxCount: Int = 50, maxShare: Double = 0.10) {
        self.maxCount = maxCount
        self.maxShare = maxShare
    }

    public func holds(_ deletions: Int, of contacts: Int) -> Bool {
        deletions > maxCount || (deletions > 1 && Double(deletions) > maxShare * Double(max(contacts, 1)))
    }
}

/// Progress of a run, for a progress bar and the TUI's status bar.
public enum SyncEvent: Sendable, Hashable {
    case started(account: String)
    /// Reading the provider's contacts: records read so far, and the total when known.
    case reading(account: String, records: Int, total: Int?)
    /// Sending: changes done so far of those due.
    case sending(account: String, done: Int, total: Int)
    /// Waiting before trying again (rate limited, or a failure worth retrying).
    case waiting(account: String, seconds: Double, reason: String)
    case finished(SyncReport)
}

/// What a run did (or, dry, would do), for one account.
public struct SyncReport: Sendable, Hashable {
    public struct Problem: Sendable, Hashable {
        public let contactID: ContactID?
        public let name: String
        public let message: String
        /// For a delivery that failed: when a later run tries it again (nil: only when the
        /// user asks, with `rolo retry`).
        public var retryAt: Timestamp? = nil
    }

    public var account: String
    public var provider: String
    public var dryRun = false
    // From the provider to here.
    public var created = 0
    public var updated = 0
    public var deleted = 0
    public var unchanged = 0
    /// Contacts of which only what rolo keeps of the provider's own data changed (Notifuse's
    /// unnamed slots, iVvy's groups): none of their fields, so not counted as updated.
    public var providerDataOnly = 0
    // From here to the provider.
    public var sentCreates = 0
    public var sentUpdates = 0
    public var sentDeletes = 0
    /// Deletes the provider cannot make, kept as a mark here.
    public var keptAtProvider = 0
    /// Edits of fields the provider does not hold (a Notifuse contact's city): settled here
    /// without a request, as there is nothing to send.
    public var keptInRolo = 0
    /// Contacts with conflicts found in this run.
    public var conflicts: [Problem] = []
    public var failures: [Problem] = []
    /// Deletions held back by the mass-delete guard.
    public var heldDeletions = 0
    /// Deliveries that failed in an earlier run and still wait, untried by this one (their
    /// next try is later): a run with nothing else to say must not sound as if every edit
    /// had gone.
    public var failedEarlier: [Problem] = []
    /// Contacts left in conflict by an earlier run, still waiting for the user.
    public var conflictsEarlier: [Problem] = []
    /// When the run ended: the next try of a failed delivery is said against it.
    public var endedAt: Timestamp?
    /// Why the run stopped early (offline, refused credentials, clock skew), if it did.
    public var stopped: String?
    public var offline = false
    /// Whether the provider's whole listing was read (deletes are only inferred from one).
    public var listingComplete = false
    /// For a dry run: what would be done, one line each.
    public var plan: [String] = []
    /// What the provider cannot do, for the user to know.
    public var notes: [String] = []

    public init(account: String, provider: String) {
        self.account = account
        self.provider = provider
    }

    /// Adds what a part of the run did (one delivery sent alone, beside others): its counts and
    /// its problems. What belongs to the whole run — the account, the provider, dry or not,
    /// why it stopped, offline, whether the listing was complete, the provider's notes, what
    /// earlier runs left — is the run's to set; a new count added above must be added here too.
    mutating func add(_ part: SyncReport) {
        created += part.created
        updated += part.updated
        deleted += part.deleted
        unchanged += part.unchanged
        providerDataOnly += part.providerDataOnly
        sentCreates += part.sentCreates
        sentUpdates += part.sentUpdates
        sentDeletes += part.sentDeletes
        keptAtProvider += part.keptAtProvider
        keptInRolo += part.keptInRolo
        heldDeletions += part.heldDeletions
        conflicts += part.conflicts
        failures += part.failures
        plan += part.plan
    }

    /// Nothing failed, nothing conflicts, nothing was held back — in this run, and nothing an
    /// earlier one left waits: every edit has reached the provider.
    public var isClean: Bool {
        failures.isEmpty && conflicts.isEmpty && stopped == nil && heldDeletions == 0
            && failedEarlier.isEmpty && conflictsEarlier.isEmpty
    }

    /// One line of what a run did: "support: 3 new, 2 changed here; 5 changes sent; 1 conflict;
    /// 1 failed" — or, for a dry run, would do: "support: would bring 3 new, 2 changed; would
    /// send 5 changes".
    public var summary: String {
        if let stopped { return "\(account): \(stopped)" }
        var parts: [String] = []
        let fields = [(created, "new"), (updated, "changed"), (deleted, "deleted")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        let ownData = providerDataOnly > 0 ? "\(providerDataOnly) changed in \(provider)'s own data only" : nil
        let sent = sentCreates + sentUpdates + sentDeletes
        let changes = "\(sent) change\(sent == 1 ? "" : "s")"
        if fields.isEmpty && ownData == nil {
            parts.append("nothing new from \(provider)")
        } else if dryRun {
            parts.append("would bring " + (fields + [ownData].compactMap { $0 }).joined(separator: ", "))
        } else {
            if !fields.isEmpty { parts.append(fields.joined(separator: ", ") + " here") }
            if let ownData { parts.append(ownData) }
        }
        if sent > 0 { parts.append(dryRun ? "would send \(changes)" : "\(changes) sent") }
        if keptAtProvider > 0 { parts.append("\(keptAtProvider) deleted here only (\(provider) cannot delete)") }
        if keptInRolo > 0 {
            parts.append((dryRun ? "would keep " : "") + "\(keptInRolo) edit\(keptInRolo == 1 ? "" : "s") in rolo only (\(provider) does not hold "
                + (keptInRolo == 1 ? "that field)" : "those fields)"))
        }
        if !conflicts.isEmpty { parts.append("\(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s")") }
        if !failures.isEmpty { parts.append("\(failures.count) failed") }
        if heldDeletions > 0 { parts.append("\(heldDeletions) deletions held back (--allow-deletes)") }
        if let earlier = failedEarlierText { parts.append(earlier) }
        if !conflictsEarlier.isEmpty {
            parts.append("\(conflictsEarlier.count) conflict\(conflictsEarlier.count == 1 ? "" : "s") from earlier to settle")
        }
        return "\(account): " + parts.joined(separator: "; ")
    }

    /// "2 edits failed earlier and wait for their next try at 14:05 UTC"; those no later run
    /// tries again wait for the user.
    private var failedEarlierText: String? {
        guard !failedEarlier.isEmpty else { return nil }
        let scheduled = failedEarlier.compactMap(\.retryAt)
        let held = failedEarlier.count - scheduled.count
        let head = "\(failedEarlier.count) edit\(failedEarlier.count == 1 ? "" : "s") failed earlier"
        let forUser = { (count: Int) in "for you to retry \(count == 1 ? "it" : "them")" }
        guard let next = scheduled.min() else {
            return head + " and wait\(held == 1 ? "s" : "") " + forUser(held)
        }
        let due = endedAt.map { next <= $0 } ?? false
        let when = due ? "at the next sync" : "at " + SyncReport.time(next, now: endedAt)
        let nextTry = "for \(scheduled.count == 1 ? "its" : "their") next try \(when)"
        if held == 0 { return head + " and wait\(scheduled.count == 1 ? "s" : "") " + nextTry }
        return head + ": \(scheduled.count) wait\(scheduled.count == 1 ? "s" : "") " + nextTry + ", \(held) " + forUser(held)
    }

    /// A time as `rolo outbox` shows it, without the date when it is today's.
    static func time(_ at: Timestamp, now: Timestamp?) -> String {
        let text = at.display
        guard let now, let space = text.firstIndex(of: " "), now.display.hasPrefix(text[..<space]) else { return text }
        // "2026-12-07 14:05:09 UTC": "14:05 UTC".
        let clock = text[text.index(after: space)...]
        return String(clock.prefix(5)) + " UTC"
    }
}
