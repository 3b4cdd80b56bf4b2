import Foundation
import Logging
import RoloCore
import RoloStore

/// One sync run of one account: pull the provider's changes and merge them in, then push what
/// waits in the outbox. The planner decides, the cache applies, each step in its own
/// transaction, so a run killed at any moment leaves the cache consistent and the next run
/// picks up where it stopped: an outbox entry leaves only in the transaction that stores the
/// provider's confirmation; a delivery left `sending` is sent again, a retried create first
/// looks for what its first attempt made.
public final class SyncEngine: Sendable {
    let cache: LocalCache
    let account: Account
    let provider: any ContactProvider
    let options: SyncOptions
    let policy: RetryPolicy
    let logger: Logger
    let progress: @Sendable (SyncEvent) -> Void
    /// Who the audit log names for changes that came from the provider.
    let source: Author
    let run = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    /// Every request of the run passes it: a 429 holds them all.
    let gate: RequestGate

    public init(cache: LocalCache, account: Account, provider: any ContactProvider, options: SyncOptions,
                policy: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "rolo.sync"),
                progress: @escaping @Sendable (SyncEvent) -> Void = { _ in }) {
        self.cache = cache
        self.account = account
        self.provider = provider
        self.options = options
        self.policy = policy
        self.logger = logger
        self.progress = progress
        self.source = Author(user: "\(provider.profile.displayName) (\(account.name))", clientAddress: nil)
        self.gate = RequestGate(sleep: policy.sleep)
    }

    /// How many requests the run keeps open at once: the account's `requests_in_flight`, else
    /// the provider's own number.
    var requestsInFlight: Int {
        let range = ProviderCapabilities.requestsInFlightRange
        if let text = account.settings[SyncSettings.requestsInFlight], let count = Int(text), range.contains(count) { return count }
        return min(max(provider.profile.capabilities.requestsInFlight, range.lowerBound), range.upperBound)
    }

    /// A failure that ends the run: nothing else can succeed now.
    struct Stop: Error {
        let error: ProviderError
    }

    public func run() async -> SyncReport {
        var report = SyncReport(account: account.name, provider: provider.profile.displayName)
        report.dryRun = options.dryRun
        report.notes = provider.profile.limitations
        progress(.started(account: account.name))
        var listing = ListingResult()
        // A run writes many transactions (a batch of the listing, of confirmations): the WAL is
        // settled once, at the end.
        cache.beginWriteRun()
        defer { cache.endWriteRun() }
        do {
            if !options.dryRun { _ = try cache.resetInterruptedDeliveries(accountID: account.id) }
            let definitions = try await fieldDefinitions()
            let scope = MergeScope(profile: provider.profile, definitions: definitions)
            listing = try await pull(scope: scope, report: &report)
            try await push(scope: scope, listing: listing, report: &report)
        } catch let stop as Stop {
            report.stopped = stopMessage(stop.error)
            if case .offline = stop.error { report.offline = true }
        } catch is CancellationError {
            report.stopped = "stopped before the end; what was read and sent so far is kept"
        } catch {
            report.stopped = "the cache could not be used: \(error)"
        }
        report.listingComplete = listing.complete
        do {
            try noteWhatEarlierRunsLeft(&report)
        } catch {
            logger.error("reading the outbox after the run failed", metadata: ["account": "\(account.name)", "error": "\(error)"])
        }
        if !options.dryRun {
            do {
                try cache.recordSyncRun(accountID: account.id, outcome: report.summary, error: report.stopped,
                                        completed: report.stopped == nil && report.failures.isEmpty,
                                        highWaterMark: listing.complete ? listing.highWaterMark : nil,
                                        fullListing: listing.complete && listing.wasFull)
            } catch {
                logger.error("recording the sync run failed", metadata: ["account": "\(account.name)", "error": "\(error)"])
            }
        }
        logger.info("sync finished", metadata: ["account": "\(account.name)", "summary": "\(report.summary)"])
        progress(.finished(report))
        return report
    }

    /// Deliveries that failed in an earlier run and were not tried in this one (their next try
    /// is later, or only the user's `rolo retry` starts one), and contacts an earlier run left
    /// in conflict: they have not reached the provider, so the run is not clean and says so.
    private func noteWhatEarlierRunsLeft(_ report: inout SyncReport) throws {
        let now = cache.clock()
        report.endedAt = now
        let failedNow = Set(report.failures.compactMap(\.contactID))
        for entry in try cache.outbox(in: .account(account.id)) where entry.state == .failed && !failedNow.contains(entry.contactID) {
            // A dry run counts one due now among what it would send.
            if options.dryRun, let next = entry.nextAttemptAt, next <= now { continue }
            report.failedEarlier.append(.init(contactID: entry.contactID, name: entry.displayName, message: entry.lastError ?? "",
                                              retryAt: entry.nextAttemptAt))
        }
        let conflictedNow = Set(report.conflicts.compactMap(\.contactID))
        for contact in try cache.conflictedContacts(in: .account(account.id)) where !conflictedNow.contains(contact.contactID) {
            report.conflictsEarlier.append(.init(contactID: contact.contactID, name: contact.displayName,
                                                 message: describe(contact.conflicts)))
        }
    }

    /// "changed on both sides: email, plan", or what became of a contact deleted on one side.
    private func describe(_ conflicts: [FieldConflict]) -> String {
        let fields = conflicts.compactMap { $0.kind == .field ? $0.key?.description : nil }
        if !fields.isEmpty { return "changed on both sides: " + fields.joined(separator: ", ") }
        let provider = provider.profile.displayName
        return conflicts.contains { $0.kind == .localDeleted } ? "changed at \(provider) while deleted here"
            : "deleted at \(provider) while edited here"
    }

    private func stopMessage(_ error: ProviderError) -> String {
        switch error {
        case .offline(let why): "offline — \(why); edits wait in the outbox"
        case .auth(let why): "\(provider.profile.displayName) refused the credentials (\(why)); check the account's \(provider.profile.credentials) in the config"
        // The adapter's words say how far off the clock is and how to set it: said once.
        case .clockSkew(_, let why): why
        default: error.message
        }
    }

    // MARK: - Calls with retries

    /// Calls the provider, retrying what may succeed later with backoff; a failure no retry can
    /// mend (credentials, offline, clock) stops the run. A cancelled run tries nothing again.
    func call<T: Sendable>(_ what: String, _ body: @Sendable () async throws(ProviderError) -> T) async throws -> T {
        var attempt = 1
        while true {
            await gate.admit()
            do {
                return try await body()
            } catch {
                if error.stopsTheRun { throw Stop(error: error) }
                guard !Task.isCancelled, let delay = policy.delay(after: attempt, error: error) else { throw error }
                progress(.waiting(account: account.name, seconds: delay, reason: error.message))
                logger.notice("retrying", metadata: ["account": "\(account.name)", "call": "\(what)", "error": "\(error.message)"])
                await wait(delay, holdingTheAccount: error.isRateLimit)
                attempt += 1
            }
        }
    }

    /// Waits before a retry: a rate limit holds every request to the account meanwhile, any
    /// other failure only the request that met it.
    func wait(_ seconds: Double, holdingTheAccount: Bool) async {
        if holdingTheAccount {
            await gate.hold(for: seconds)
        } else {
            await policy.sleep(seconds)
        }
    }

    private func fieldDefinitions() async throws -> [FieldDefinition] {
        if let fresh = try await call("field definitions", { [provider] () async throws(ProviderError) -> [FieldDefinition]? in
            try await provider.refreshFieldDefinitions()
        }) {
            if !options.dryRun { try cache.setFieldDefinitions(fresh, accountID: account.id) }
            return fresh
        }
        return try cache.fieldDefinitions(accountID: account.id)
    }

    // MARK: - Pull

    struct ListingResult {
        var complete = false
        var wasFull = false
        var highWaterMark: String?
        /// Contacts whose provider side could not be read in this run (a provider that cannot
        /// list): their changes are not sent, as a change made there meanwhile would be missed.
        var unread: Set<ContactID> = []
    }

    private func pull(scope: MergeScope, report: inout SyncReport) async throws -> ListingResult {
        switch provider.profile.capabilities.listing {
        case .none:
            var result = ListingResult()
            result.unread = try await refreshKnown(scope: scope, report: &report)
            result.complete = result.unread.isEmpty
            return result
        case .fullScan:
            return try await list(modifiedSince: nil, scope: scope, report: &report)
        case .modifiedSince:
            let mark = try cache.syncMark(accountID: account.id)
            let full = options.fullListing || fullListingIsDue(lastFull: mark.lastFullListingAt)
            let since = full ? nil : mark.highWaterMark.flatMap(SyncEngine.withOverlap)
            return try await list(modifiedSince: since, scope: scope, report: &report)
        }
    }

    /// A provider that cannot report deletes (iVvy) finds them only in a full listing: the
    /// account's `full_listing_every` makes one when the last is that old (or there was none
    /// since the setting). Its deletions pass the mass-delete guard like any other.
    private func fullListingIsDue(lastFull: Timestamp?) -> Bool {
        guard let text = account.settings[SyncSettings.fullListingEvery], let seconds = Int64(text), seconds > 0 else { return false }
        guard let lastFull else { return true }
        return cache.clock().millisecondsSinceEpoch - lastFull.millisecondsSinceEpoch >= seconds * 1000
    }

    /// How far back an incremental listing reaches before the last mark: changes saved at the
    /// provider while the last listing ran, and clocks a little apart, are not missed.
    static let overlap: Int64 = 10 * 60 * 1000

    static func withOverlap(_ mark: String) -> String? {
        guard let time = Timestamp(parsing: mark) else { return nil }
        return Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch - overlap).display
    }

    /// Records applied in one transaction at most: pages read ahead while the last ones were
    /// written go in together, so that a pull of 100k contacts is not a thousand commits (each
    /// writing again the index pages the one before wrote). Bounded, so that a TUI saving an
    /// edit meanwhile waits a fraction of a second at most.
    static let recordsPerTransaction = 1000
    /// Pages read ahead of the one being applied.
    static let pagesReadAhead = 4

    /// Reads the listing page after page and applies it. The provider is read ahead while the
    /// cache writes (a task of its own fills a bounded buffer), and what was read meanwhile is
    /// applied in one transaction. Each record is still decided in listing order, and every
    /// page read is applied before the listing's end or interruption is acted on — as when the
    /// pages were read one at a time.
    private func list(modifiedSince: String?, scope: MergeScope, report: inout SyncReport) async throws -> ListingResult {
        var result = ListingResult(wasFull: modifiedSince == nil)
        // The contacts here the listing stood for (ids, not the provider's ids: a tenth of the
        // memory at 100k contacts).
        var seen = Set<ContactID>()
        var read = 0
        var newest: Timestamp?
        let matchEmail = provider.profile.capabilities.identity == .email
        let buffer = ListingReadAhead(capacity: SyncEngine.pagesReadAhead)
        // Into an account with no contact linked yet, every record read is a contact to
        // create: what that computes from the record alone is made by the reading task, on
        // another core than the writing (see `PreparedCreate`).
        let prepareCreates = try !options.dryRun && !cache.hasLinkedContacts(accountID: account.id)
        let accountID = account.id
        let reader = Task { [self] in
            var next: String?
            // Every cursor given so far: a server that gives one again would be listed for ever.
            var cursors = Set<String>()
            repeat {
                let page: RemotePage
                do {
                    page = try await call("list") { [provider, next] () async throws(ProviderError) -> RemotePage in
                        try await provider.listPage(next, modifiedSince: modifiedSince)
                    }
                } catch let error as ProviderError {
                    await buffer.finish(.interrupted(error))
                    return
                } catch {
                    await buffer.finish(.stopped(error))
                    return
                }
                var prepared: [String: PreparedCreate] = [:]
                if prepareCreates {
                    for record in page.records where !record.isDeleted && prepared[record.remoteID] == nil {
                        prepared[record.remoteID] = PreparedCreate(record.contact, accountID: accountID, digest: scope.digest)
                    }
                }
                guard await buffer.put(ListingReadAhead.Page(page: page, prepared: prepared)) else { return }
                next = page.next
                if let cursor = next, !cursors.insert(cursor).inserted {
                    await buffer.finish(.interrupted(.invalid(field: nil, "\(provider.profile.displayName) gave the same next page "
                        + "twice, so its listing would never end")))
                    return
                }
            } while next != nil
            await buffer.finish(.complete)
        }
        do {
            while true {
                let (taken, end) = await buffer.take(records: SyncEngine.recordsPerTransaction)
                let pages = taken.map(\.page)
                if !pages.isEmpty {
                    let records = pages.count == 1 ? pages[0].records : pages.flatMap(\.records)
                    var prepared = taken.first?.prepared ?? [:]
                    for page in taken.dropFirst() { prepared.merge(page.prepared) { first, _ in first } }
                    let decisions = try cache.applyPulledPage(accountID: account.id, records: records, source: source,
                                                              matchEmail: matchEmail, dryRun: options.dryRun,
                                                              digest: scope.digest, prepared: prepared,
                                                              decideFromLink: { SyncPlanner.decideFromLink($0, link: $1, scope: scope) }) { record, local in
                        SyncPlanner.decide(record, local, scope: scope)
                    }
                    for (record, outcome) in zip(records, decisions) {
                        if let id = outcome.contactID { seen.insert(id) }
                        count(outcome.decision, id: outcome.contactID, name: outcome.name, changesFields: outcome.changesFields,
                              onlyProviderData: outcome.changesOnlyProviderData, report: &report)
                        if let stamp = record.modifiedAt.flatMap(Timestamp.init(parsing:)), newest.map({ stamp > $0 }) ?? true { newest = stamp }
                    }
                    for page in pages {
                        read += page.records.count
                        progress(.reading(account: account.name, records: read, total: page.total))
                    }
                }
                switch end {
                case nil:
                    continue
                case .complete?:
                    break
                case .interrupted(let error)?:
                    // An interrupted listing deletes nothing; what was read is kept.
                    report.failures.append(.init(contactID: nil, name: "listing", message: "reading \(provider.profile.displayName)'s "
                        + "contacts stopped after \(read): \(error.message); nothing was taken as deleted"))
                    return result
                case .stopped(let error)?:
                    throw error
                }
                break
            }
        } catch {
            await buffer.cancel()
            _ = await reader.value
            throw error
        }
        result.complete = true
        result.highWaterMark = newest?.display
        // A complete listing of everything shows what the provider no longer has.
        if result.wasFull {
            try await findDeletes(notIn: seen, scope: scope, report: &report)
        }
        return result
    }

    /// After a complete listing: the linked contacts it did not have. Each is asked for once
    /// more before it counts as deleted (a listing that moves under the reader can miss one),
    /// and past the mass-delete guard none is deleted without `--allow-deletes`.
    private func findDeletes(notIn seen: Set<ContactID>, scope: MergeScope, report: inout SyncReport) async throws {
        let missing = try cache.linkedContacts(of: account.id, notIn: seen)
        guard !missing.isEmpty else { return }
        let contacts = try cache.contactCount(in: .account(account.id))
        if !options.allowDeletes, options.deleteGuard.holds(missing.count, of: contacts) {
            report.heldDeletions = missing.count
            report.plan.append("hold back: \(missing.count) contacts are no longer at \(provider.profile.displayName)")
            return
        }
        try await refresh(missing, scope: scope, report: &report)
    }

    /// A provider that cannot list: refresh what waits to be sent (so a conflict is seen before
    /// the push), then the contacts synced longest ago.
    private func refreshKnown(scope: MergeScope, report: inout SyncReport) async throws -> Set<ContactID> {
        let waiting = try cache.outbox(in: .account(account.id)).map(\.contactID)
        var ids = waiting
        for (id, _) in try cache.linkedContacts(of: account.id, leastRecentlySynced: options.refreshLimit) where !ids.contains(id) {
            ids.append(id)
        }
        return try await refresh(ids, scope: scope, report: &report)
    }

    /// Refresh results applied in one transaction at most: a refresh of thousands is not a
    /// commit per contact, and a TUI saving an edit meanwhile waits a moment at most.
    static let refreshesPerTransaction = 200

    /// What one refresh request brought.
    enum Refreshed: Sendable {
        /// The contact as the provider has it; nil when it no longer has it.
        case record(RemoteRecord?)
        /// Failed past every retry: the contact stays unread.
        case failed(ProviderError)
        /// Nothing more can succeed in this run.
        case stopped(Stop)
    }

    /// Asks the provider for each contact by its id and applies what it says; contacts it no
    /// longer has are deletions, under the mass-delete guard. Returns the contacts that could
    /// not be read.
    ///
    /// Up to `requestsInFlight` requests are open at once, but what they bring is applied in
    /// the order of `ids`, with the same decisions and counts as one request at a time would
    /// give. A run stopped (credentials, offline, clock) or cancelled starts no more requests;
    /// what the ones already sent bring is still applied before it ends (contacts found gone
    /// wait, as before, for a refresh that is not cut short).
    @discardableResult
    private func refresh(_ ids: [ContactID], scope: MergeScope, report: inout SyncReport) async throws -> Set<ContactID> {
        var gone: [ContactID] = []
        var unread = Set<ContactID>()
        var stop: Stop?
        var position = 0
        // The contacts asked for, in order, with their local side as it was when asked; the
        // results come back in the same order.
        var asked: [LocalSyncState] = []
        var received: [Refreshed] = []
        var applied = 0
        func applyReceived() throws {
            guard !received.isEmpty else { return }
            let states = asked[applied..<(applied + received.count)]
            var found: [(contactID: ContactID, record: RemoteRecord?)] = []
            for (state, result) in zip(states, received) {
                if case .record(let record?) = result, !record.isDeleted { found.append((state.contactID, record)) }
            }
            var decisions = try cache.applyDecisions(found, accountID: account.id, source: source, dryRun: options.dryRun) { record, local in
                SyncPlanner.decide(record!, local, scope: scope)
            }[...]
            for (state, result) in zip(states, received) {
                switch result {
                case .record(let record?) where !record.isDeleted:
                    if let decision = decisions.removeFirst() {
                        count(decision, id: state.contactID, name: state.contact.displayName, changesFields: decision.changesFields(of: state.contact),
                              onlyProviderData: decision.changesOnlyProviderData(of: state), report: &report)
                    }
                case .record:
                    gone.append(state.contactID)
                case .failed(let error):
                    report.failures.append(.init(contactID: state.contactID, name: state.contact.displayName, message: error.message))
                    unread.insert(state.contactID)
                case .stopped(let reason):
                    if stop == nil { stop = reason }
                }
            }
            applied += received.count
            received.removeAll(keepingCapacity: true)
        }
        try await inOrder(width: requestsInFlight, next: { () throws -> (@Sendable () async -> Refreshed)? in
            while position < ids.count {
                let id = ids[position]
                position += 1
                guard let state = try cache.syncState(of: id), let remoteID = state.remoteID else { continue }
                asked.append(state)
                return { [self] in await self.fetch(remoteID) }
            }
            return nil
        }, stopsStarting: { result in
            if case .stopped = result { return true }
            return false
        }, receive: { result in
            received.append(result)
            let read = applied + received.count
            if read % 20 == 0 { progress(.reading(account: account.name, records: read, total: ids.count)) }
            if received.count >= SyncEngine.refreshesPerTransaction { try applyReceived() }
        })
        try applyReceived()
        if let stop { throw stop }
        try Task.checkCancellation()
        guard !gone.isEmpty else { return unread }
        let contacts = try cache.contactCount(in: .account(account.id))
        var plans: [(ContactID, PullDecision)] = []
        for id in gone {
            if let state = try cache.syncState(of: id) { plans.append((id, SyncPlanner.deleted(state))) }
        }
        let deletions = plans.filter { $0.1.deletesHere }.count
        if !options.allowDeletes, options.deleteGuard.holds(deletions, of: contacts) {
            report.heldDeletions += deletions
            report.plan.append("hold back: \(deletions) contacts are no longer at \(provider.profile.displayName)")
            plans.removeAll { $0.1.deletesHere }
        }
        for (id, _) in plans {
            let name = (try? cache.contact(id))?.displayName ?? id.shortID
            if let decision = try cache.applyDecision(contactID: id, record: nil, accountID: account.id, source: source,
                                                      dryRun: options.dryRun, decide: { _, local in SyncPlanner.deleted(local) }) {
                count(decision, id: id, name: name, report: &report)
            }
        }
        return unread
    }

    /// One contact from the provider, with retries.
    private func fetch(_ remoteID: String) async -> Refreshed {
        do {
            return .record(try await call("fetch") { [provider] () async throws(ProviderError) -> RemoteRecord? in
                try await provider.fetch(remoteID: remoteID)
            })
        } catch let stop as Stop {
            return .stopped(stop)
        } catch let error as ProviderError {
            return .failed(error)
        } catch {
            return .failed(.transient("\(error)"))
        }
    }

    private func count(_ decision: PullDecision, id: ContactID?, name: String, changesFields: Bool = true, onlyProviderData: Bool = false,
                       report: inout SyncReport) {
        // What was done (`rolo sync --verbose`), or what would be (`--dry-run`).
        let dry = options.dryRun
        let providerName = provider.profile.displayName
        switch decision {
        case .keep, .stamp:
            report.unchanged += 1
        case .apply(_, _, let conflicts) where conflicts.isEmpty && !changesFields:
            if onlyProviderData {
                report.providerDataOnly += 1
                report.plan.append((dry ? "would update " : "updated ") + "\(providerName)'s own data here: \(name)")
            } else {
                report.unchanged += 1
            }
        case .create:
            report.created += 1
            report.plan.append((dry ? "would add here: " : "added here: ") + name)
        case .apply(let merged, _, let conflicts):
            if conflicts.isEmpty {
                report.updated += 1
                // A name the change renames reads as both: "Bob → Roberto".
                let shown = merged.displayName == name ? name : "\(name) → \(merged.displayName)"
                report.plan.append((dry ? "would update here: " : "updated here: ") + shown)
            } else {
                report.conflicts.append(.init(contactID: id ?? merged.id, name: name, message: "changed on both sides: "
                    + conflicts.compactMap { $0.key?.description }.joined(separator: ", ")))
                report.plan.append((dry ? "would mark in conflict: " : "marked in conflict: ") + name)
            }
        case .deleteLocal:
            report.deleted += 1
            report.plan.append((dry ? "would delete here: " : "deleted here: ") + name)
        case .forget:
            break
        case .conflictOnDelete(let kind, _):
            let message = kind == .remoteDeleted ? "deleted at \(providerName) while edited here"
                : "changed at \(providerName) while deleted here"
            report.conflicts.append(.init(contactID: id, name: name, message: message))
            report.plan.append((dry ? "would mark in conflict: " : "marked in conflict: ") + "\(name) (\(message))")
        }
    }

    // MARK: - Push

    /// Whether the provider holds the field `key`: its standard fields, custom values (they
    /// live in its slots or fields); never the further emails and phones, which stay in rolo.
    private func holds(_ key: FieldKey) -> Bool {
        switch key {
        case .standard(let field): provider.profile.rules.storedFields.contains(field)
        case .custom: true
        case .others: false
        }
    }

    /// Whether anything the provider holds changed from `base` to `contact`.
    private func holdsAnyChange(from base: Contact, to contact: Contact) -> Bool {
        BaseRecord.changes(from: base, to: contact).contains { holds($0.key) }
    }

    /// Sends what waits. Changes to contacts the provider has go out only when this run read
    /// the provider's side first: a change made there since the last run would otherwise be
    /// overwritten unseen. New contacts go out regardless (a retried or unlisted create first
    /// looks for an existing one).
    private func push(scope: MergeScope, listing: ListingResult, report: inout SyncReport) async throws {
        let listedThisRun = listing.complete
        let hasListing = provider.profile.capabilities.listing != .none
        let batch = max(1, provider.profile.capabilities.batchSize)
        if options.dryRun {
            for state in try cache.dueDeliveries(accountID: account.id, limit: 100_000) {
                let kind = state.outbox?.kind ?? .update
                switch kind {
                case .create: report.sentCreates += 1
                case .update:
                    if let base = state.base, !holdsAnyChange(from: base, to: state.contact) {
                        report.keptInRolo += 1
                        report.plan.append("would keep in rolo only: \(state.contact.displayName)")
                        continue
                    }
                    report.sentUpdates += 1
                case .delete:
                    if provider.profile.capabilities.delete == .unsupported { report.keptAtProvider += 1 } else { report.sentDeletes += 1 }
                }
                report.plan.append("would send \(kind.rawValue): \(state.contact.displayName)")
            }
            return
        }
        var handled = Set<ContactID>()
        if !listedThisRun {
            for entry in try cache.outbox(in: .account(account.id)) where entry.kind != .create {
                if hasListing || listing.unread.contains(entry.contactID) { handled.insert(entry.contactID) }
            }
        }
        var done = 0
        let total = try cache.outboxCounts(in: .account(account.id))[.pending] ?? 0
        if batch == 1 {
            try await deliverEachAlone(scope: scope, listedThisRun: listedThisRun && hasListing, handled: handled, total: total,
                                       report: &report)
            return
        }
        while true {
            let claims = try cache.claimDueDeliveries(accountID: account.id, limit: batch, run: run, excluding: handled)
            guard !claims.isEmpty else { return }
            handled.formUnion(claims.map(\.contactID))
            try await deliver(claims, scope: scope, listedThisRun: listedThisRun && hasListing, report: &report)
            done += claims.count
            progress(.sending(account: account.name, done: done, total: max(total, done)))
        }
    }

    /// What one delivery sent alone did: its part of the report, and the error that ended it
    /// (a stop, or the cache failing).
    struct Delivered: Sendable {
        var report: SyncReport
        var error: (any Error)?
    }

    /// Where every change is a request of its own (batch size 1): up to `requestsInFlight`
    /// deliveries at once, each claimed, sent and confirmed (in a transaction of its own) as
    /// when they went one after another — its idempotency key, a lost reply looked for before
    /// a retry, a conflict left for the user. A stop or a cancelled run claims no more; the
    /// deliveries in flight finish and are recorded first.
    private func deliverEachAlone(scope: MergeScope, listedThisRun: Bool, handled: Set<ContactID>, total: Int,
                                  report: inout SyncReport) async throws {
        var handled = handled
        var done = 0
        var stop: (any Error)?
        try await inOrder(width: requestsInFlight, next: { () throws -> (@Sendable () async -> Delivered)? in
            guard let claim = try cache.claimDueDeliveries(accountID: account.id, limit: 1, run: run, excluding: handled).first else {
                return nil
            }
            handled.insert(claim.contactID)
            return { [self] in
                var part = SyncReport(account: account.name, provider: provider.profile.displayName)
                do {
                    try await deliver([claim], scope: scope, listedThisRun: listedThisRun, report: &part)
                    return Delivered(report: part, error: nil)
                } catch {
                    return Delivered(report: part, error: error)
                }
            }
        }, stopsStarting: { $0.error != nil }, receive: { delivered in
            report.add(delivered.report)
            if stop == nil { stop = delivered.error }
            done += 1
            progress(.sending(account: account.name, done: done, total: max(total, done)))
        })
        if let stop { throw stop }
        try Task.checkCancellation()
    }

    /// Sends one batch of claimed deliveries, retrying what may succeed later, and records
    /// each outcome.
    private func deliver(_ claims: [DeliveryClaim], scope: MergeScope, listedThisRun: Bool, report: inout SyncReport) async throws {
        var confirmations: [LocalCache.Confirmation] = []
        var keptInRolo: Set<ContactID> = []
        var outgoing: [(claim: DeliveryClaim, change: OutgoingChange, sent: Contact)] = []
        var finished: Set<ContactID> = []
        do {
            for claim in claims {
                let state = claim.state
                switch claim.kind {
                case .create:
                    // An earlier attempt may have landed when it was sent and never confirmed
                    // (its reply lost, the run killed or stopped), whatever its count of
                    // attempts became since (a retry the user asked for starts it again).
                    let retried = (state.outbox?.attempts ?? 0) > 0 || state.inFlight != nil
                    let keyedByEmail = provider.profile.capabilities.identity == .email
                    if retried || (keyedByEmail && !listedThisRun) {
                        // Its first attempt may have made it (the reply was lost), or someone
                        // else may have.
                        if try await settleWithExisting(claim, scope: scope, report: &report) {
                            finished.insert(claim.contactID)
                            continue
                        }
                    }
                    outgoing.append((claim, .create(state.contact, idempotencyKey: state.outbox?.idempotencyKey ?? state.contact.uid),
                                     state.contact))
                case .update:
                    guard let remoteID = state.remoteID, let base = state.base else {
                        try cache.settleClaim(claim, accountID: account.id)
                        finished.insert(claim.contactID)
                        continue
                    }
                    let changed = Set(BaseRecord.changes(from: base, to: state.contact).map(\.key))
                    if !changed.contains(where: holds) {
                        // Only fields the provider does not hold changed: nothing to send. Settled
                        // as a sent update would be (the base takes the contact), without the
                        // request that changed nothing and counted as "1 change sent".
                        confirmations.append(.init(claim: claim, remoteID: remoteID, modifiedAt: state.remoteModifiedAt, base: state.contact))
                        keptInRolo.insert(claim.contactID)
                        report.keptInRolo += 1
                        report.plan.append("kept in rolo only: \(state.contact.displayName)")
                        continue
                    }
                    outgoing.append((claim, .update(remoteID: remoteID, contact: state.contact, changed: changed), state.contact))
                case .delete:
                    guard let remoteID = state.remoteID else {
                        try cache.settleClaim(claim, accountID: account.id)
                        finished.insert(claim.contactID)
                        continue
                    }
                    if provider.profile.capabilities.delete == .unsupported {
                        confirmations.append(.init(claim: claim, remoteID: remoteID, modifiedAt: state.remoteModifiedAt, base: state.base))
                        report.keptAtProvider += 1
                        continue
                    }
                    outgoing.append((claim, .delete(remoteID: remoteID), state.contact))
                }
            }
        } catch {
            try? cache.releaseDeliveries(claims.filter { !finished.contains($0.contactID) })
            throw error
        }

        var waiting = Array(outgoing.indices)
        var attempt = 1
        // Creates whose last attempt may have been carried out (the reply was lost).
        var uncertain: Set<Int> = []
        // New contacts as the provider stored them, where its reply said.
        var stored: [ContactID: RemoteRecord] = [:]
        while !waiting.isEmpty {
            if !uncertain.isEmpty {
                var still: [Int] = []
                for (done, position) in waiting.enumerated() {
                    guard uncertain.contains(position) else { still.append(position); continue }
                    do {
                        if try await settleWithExisting(outgoing[position].claim, scope: scope, report: &report) { continue }
                    } catch {
                        try? cache.releaseDeliveries((still + waiting.dropFirst(done)).map { outgoing[$0].claim })
                        throw error
                    }
                    still.append(position)
                }
                uncertain = []
                waiting = still
                if waiting.isEmpty { break }
            }
            await gate.admit()
            let outcomes = await provider.push(waiting.map { outgoing[$0].change })
            var again: [Int] = []
            var wait: Double = 0
            var rateLimited = false
            for (position, outcome) in zip(waiting, outcomes) {
                let item = outgoing[position]
                switch outcome {
                case .created(let remoteID, let record):
                    confirmations.append(.init(claim: item.claim, remoteID: remoteID, modifiedAt: record?.modifiedAt, base: item.sent))
                    stored[item.claim.contactID] = record
                    report.sentCreates += 1
                    report.plan.append("sent create: \(item.sent.displayName)")
                case .updated(let remoteID, let record):
                    confirmations.append(.init(claim: item.claim, remoteID: remoteID, modifiedAt: record?.modifiedAt, base: item.sent))
                    report.sentUpdates += 1
                    report.plan.append("sent update: \(item.sent.displayName)")
                case .deleted:
                    confirmations.append(.init(claim: item.claim, remoteID: nil, modifiedAt: nil, base: nil))
                    report.sentDeletes += 1
                    report.plan.append("sent delete: \(item.sent.displayName)")
                case .failed(let error):
                    if case .notFound = error, case .update(let remoteID, _, _) = item.change,
                       try await settleAsGone(item.claim, remoteID: remoteID, report: &report) {
                        continue
                    }
                    if error.stopsTheRun {
                        try confirm(confirmations, names: outgoing, keptInRolo: keptInRolo, stored: stored, scope: scope, report: &report)
                        let untried = waiting.map { outgoing[$0].claim }.filter { claim in
                            !confirmations.contains { $0.claim.contactID == claim.contactID }
                        }
                        try cache.releaseDeliveries(untried)
                        throw Stop(error: error)
                    }
                    if let delay = policy.delay(after: attempt, error: error) {
                        again.append(position)
                        if case .create = item.change, case .transient = error { uncertain.insert(position) }
                        if error.isRateLimit { rateLimited = true }
                        wait = max(wait, delay)
                    } else {
                        let retryAt = policy.laterRetry(after: (item.claim.state.outbox?.attempts ?? 0) + 1, from: cache.clock(), error: error)
                        try cache.failDelivery(item.claim, message: error.message, retryAt: retryAt)
                        report.failures.append(.init(contactID: item.claim.contactID, name: item.sent.displayName, message: error.message))
                    }
                }
            }
            try confirm(confirmations, names: outgoing, keptInRolo: keptInRolo, stored: stored, scope: scope, report: &report)
            confirmations.removeAll()
            if !again.isEmpty {
                progress(.waiting(account: account.name, seconds: wait, reason: "retrying \(again.count) change\(again.count == 1 ? "" : "s")"))
                await self.wait(wait, holdingTheAccount: rateLimited)
                attempt += 1
            }
            waiting = again
        }
        try confirm(confirmations, names: outgoing, keptInRolo: keptInRolo, stored: stored, scope: scope, report: &report)
    }

    /// An update the provider answered "no such contact": deleted there while edited here. A
    /// listing that shows deletes finds that before the push; one that cannot (iVvy's by
    /// modified date) leaves it to the update to meet. When a read confirms the provider has
    /// the contact no more, it becomes the conflict a listing would have made of it, for the
    /// user to keep (made anew there) or let go, instead of a failure every sync repeats. False
    /// when the read finds it or fails: the refusal stands.
    private func settleAsGone(_ claim: DeliveryClaim, remoteID: String, report: inout SyncReport) async throws -> Bool {
        guard case .record(let record) = await fetch(remoteID), record?.isDeleted ?? true else { return false }
        try cache.settleClaim(claim, accountID: account.id)
        let decision = try cache.applyDecision(contactID: claim.contactID, record: nil, accountID: account.id, source: source,
                                               dryRun: false) { _, local in SyncPlanner.deleted(local) }
        if let decision { count(decision, id: claim.contactID, name: claim.state.contact.displayName, report: &report) }
        return true
    }

    /// A create that may exist at the provider already — an earlier attempt whose reply was
    /// lost, or someone else's — is linked to what the provider has and merged, instead of
    /// being made twice. Returns true when the claim was settled so (or refused as a duplicate
    /// of another contact here), or when the provider could not be asked: then nobody knows
    /// whether the contact was made, so the create is not sent blind but waits, with the
    /// provider's words, for the next run to look again, while the rest of this run goes on.
    private func settleWithExisting(_ claim: DeliveryClaim, scope: MergeScope, report: inout SyncReport) async throws -> Bool {
        let state = claim.state
        let found: RemoteRecord?
        do {
            found = try await call("find") { [provider] () async throws(ProviderError) -> RemoteRecord? in
                try await provider.findExisting(state.contact, idempotencyKey: state.outbox?.idempotencyKey ?? "")
            }
        } catch let error as ProviderError {
            // A look-up costs little: the next run asks again, unless the provider said when.
            var retryAt = cache.clock()
            if case .rateLimited = error, let later = policy.laterRetry(after: 1, from: retryAt, error: error) { retryAt = later }
            try cache.failDelivery(claim, message: error.message, retryAt: retryAt)
            report.failures.append(.init(contactID: claim.contactID, name: state.contact.displayName, message: error.message))
            return true
        }
        guard let found, !found.isDeleted else { return false }
        if let refusal = try cache.linkRefusal(remoteID: found.remoteID, accountID: account.id, contactID: claim.contactID) {
            try cache.failDelivery(claim, message: refusal, retryAt: nil)
            report.failures.append(.init(contactID: claim.contactID, name: state.contact.displayName, message: refusal))
            return true
        }
        let decision = try cache.applyDecision(contactID: claim.contactID, record: found, accountID: account.id,
                                               source: source, dryRun: false) { record, local in
            SyncPlanner.decide(record!, local, scope: scope)
        }
        try cache.settleClaim(claim, accountID: account.id)
        if let decision {
            count(decision, id: claim.contactID, name: state.contact.displayName, changesFields: decision.changesFields(of: state.contact),
                  onlyProviderData: decision.changesOnlyProviderData(of: state), report: &report)
        }
        return true
    }

    /// Confirms deliveries; one the cache refuses (the provider answered with a contact another
    /// one here is synced with) is reported as failed. A new contact the provider's reply showed
    /// as stored is then taken in as a listing would bring it: the values the provider fills in
    /// itself (a status, opt-out flags) are not a change made there the next time it is read.
    private func confirm(_ confirmations: [LocalCache.Confirmation], names outgoing: [(claim: DeliveryClaim, change: OutgoingChange, sent: Contact)],
                         keptInRolo: Set<ContactID> = [], stored: [ContactID: RemoteRecord], scope: MergeScope,
                         report: inout SyncReport) throws {
        let refused = try cache.confirmDeliveries(confirmations, accountID: account.id)
        for (id, message) in refused {
            let name = outgoing.first { $0.claim.contactID == id }?.sent.displayName
                ?? confirmations.first { $0.claim.contactID == id }?.base?.displayName ?? id.shortID
            report.failures.append(.init(contactID: id, name: name, message: message))
            if keptInRolo.contains(id) {
                report.keptInRolo -= 1
                continue
            }
            switch confirmations.first(where: { $0.claim.contactID == id })?.claim.kind {
            case .create?: report.sentCreates -= 1
            default: report.sentUpdates -= 1
            }
        }
        for confirmation in confirmations where confirmation.claim.kind == .create {
            let id = confirmation.claim.contactID
            guard let record = stored[id], !record.isDeleted, !refused.contains(where: { $0.0 == id }) else { continue }
            _ = try cache.applyDecision(contactID: id, record: record, accountID: account.id, source: source, dryRun: false) { record, local in
                SyncPlanner.decide(record!, local, scope: scope)
            }
        }
    }
}

/// Pages of a listing read ahead of the ones being applied: one task reads, the sync engine
/// takes what has come, at least one page at a time. Bounded, so a cache slower than the
/// provider does not end up holding the whole listing in memory.
private actor ListingReadAhead {
    /// How the reading ended.
    enum End: Sendable {
        case complete
        /// The provider failed past every retry: what was read stays, nothing counts as deleted.
        case interrupted(ProviderError)
        /// Nothing more can succeed in this run (credentials, offline, clock).
        case stopped(any Error)
    }

    /// A page read, with what was made ahead for its records (`PreparedCreate`, by provider id).
    struct Page: Sendable {
        let page: RemotePage
        let prepared: [String: PreparedCreate]
    }

    private let capacity: Int
    private var pages: [Page] = []
    private var end: End?
    private var cancelled = false
    private var waitingTaker: CheckedContinuation<Void, Never>?
    private var waitingReader: CheckedContinuation<Void, Never>?

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds a page read, waiting while the buffer is full. False when the engine stopped
    /// taking pages: the reader stops.
    func put(_ page: Page) async -> Bool {
        while pages.count >= capacity, !cancelled {
            await withCheckedContinuation { waitingReader = $0 }
        }
        guard !cancelled else { return false }
        pages.append(page)
        wakeTaker()
        return true
    }

    func finish(_ end: End) {
        self.end = end
        wakeTaker()
    }

    /// The engine takes no more pages.
    func cancel() {
        cancelled = true
        waitingReader?.resume()
        waitingReader = nil
    }

    /// The pages read so far, in order, at least one and up to about `records` records, once
    /// there is one; and how the reading ended, once every page read has been taken.
    func take(records: Int) async -> ([Page], End?) {
        while pages.isEmpty, end == nil {
            await withCheckedContinuation { waitingTaker = $0 }
        }
        var count = 0
        var taken = 0
        while taken < pages.count, taken == 0 || count + pages[taken].page.records.count <= records {
            count += pages[taken].page.records.count
            taken += 1
        }
        let batch = Array(pages.prefix(taken))
        pages.removeFirst(taken)
        waitingReader?.resume()
        waitingReader = nil
        return (batch, pages.isEmpty ? end : nil)
    }

    private func wakeTaker() {
        waitingTaker?.resume()
        waitingTaker = nil
    }
}

extension ProviderError {
    /// A 429: the whole account waits, not only the request that met it.
    var isRateLimit: Bool {
        if case .rateLimited = self { return true }
        return false
    }
}
