import Foundation
import RoloCore
import RoloStore
import RoloSync
import RoloViewModels

/// Sync for the view models' tests: what a run reports is scripted by the test (it may change
/// the cache as a pull would, report progress, be offline, or throw as when another rolo holds
/// the lock); the outbox, conflicts, retries and resolutions are the fixture cache's own.
/// Every call is counted, so a test can say how often the app asked.
public final class FakeSync: SyncControlling, ContactFetching, @unchecked Sendable {
    public typealias Run = @Sendable (AccountScope, (SyncEvent) -> Void) throws -> [SyncReport]
    public typealias Fetch = @Sendable (Account, ContactLookupKey) throws -> FetchOutcome

    private let lock = NSLock()
    public let cache: LocalCache
    private var run: Run
    private var fetcher: Fetch
    private var reasons: [String: String] = [:]
    private var asked: [AccountScope] = []
    private var fetches: [ContactLookupKey] = []
    private var retries: [ContactID] = []

    public init(cache: LocalCache, run: @escaping Run = { scope, _ in [] },
                fetch: @escaping Fetch = { _, key in throw RoloError.notFound("no contact with \(key)") }) {
        self.cache = cache
        self.run = run
        self.fetcher = fetch
    }

    /// What the next runs do.
    public func onSync(_ run: @escaping Run) { lock.withLock { self.run = run } }
    public func onFetch(_ fetch: @escaping Fetch) { lock.withLock { fetcher = fetch } }
    /// An account that cannot sync, and why.
    public func cannotSync(_ account: String, because why: String) { lock.withLock { reasons[account] = why } }

    /// The scopes runs were asked for, in order.
    public var runs: [AccountScope] { lock.withLock { asked } }
    public var fetched: [ContactLookupKey] { lock.withLock { fetches } }
    public var retried: [ContactID] { lock.withLock { retries } }

    public func whyNotSyncable(_ account: Account) -> String? {
        if account.isLocal { return "\(account.name) is a local account: it has no provider" }
        return lock.withLock { reasons[account.name] }
    }

    public func sync(scope: AccountScope, options: SyncOptions,
                     progress: @escaping @Sendable (SyncEvent) -> Void) async throws -> [SyncReport] {
        let run = lock.withLock {
            asked.append(scope)
            return self.run
        }
        return try run(scope, progress)
    }

    public func outbox(in scope: AccountScope) throws -> [OutboxEntry] { try cache.outbox(in: scope) }
    public func pendingChanges(for id: ContactID) throws -> [FieldDelta] { try cache.pendingChanges(for: id) }
    public func conflicts(in scope: AccountScope) throws -> [ConflictedContact] { try cache.conflictedContacts(in: scope) }

    public func resolve(_ id: ContactID, fields: [FieldKey: ConflictSide], all: ConflictSide?) throws -> [FieldConflict] {
        try cache.resolveConflicts(of: id, fields: fields, all: all, author: Fixture.author)
    }

    public func retry(_ id: ContactID) throws -> Bool {
        lock.withLock { retries.append(id) }
        return try cache.retryDelivery(id)
    }

    public func whyNotFetchable(_ account: Account) -> String? {
        if let why = whyNotSyncable(account) { return why }
        if account.profile.capabilities.listing != .none { return "\(account.name) lists its contacts" }
        return nil
    }

    public func fetchOne(account: Account, by key: ContactLookupKey) async throws -> FetchOutcome {
        let fetch = lock.withLock {
            fetches.append(key)
            return fetcher
        }
        return try fetch(account, key)
    }
}

extension Fixture {
    /// The fixture's services with a fake sync over the same cache.
    public static func servicesWithSync(people: [Person] = Fixture.people) throws -> (AppServices, FakeSync, RoloServices) {
        let service = try Fixture.service(people: people)
        let sync = FakeSync(cache: service.cache)
        let services = AppServices(reader: service.reader, editor: service.editor, accounts: service.accounts,
                                   drafts: service.drafts, files: service.files, sync: sync)
        return (services, sync, service)
    }

    /// A report of a run that went through.
    public static func report(_ account: String, provider: String, created: Int = 0, updated: Int = 0, sent: Int = 0)
        -> SyncReport {
        var report = SyncReport(account: account, provider: provider)
        report.created = created
        report.updated = updated
        report.sentUpdates = sent
        report.listingComplete = true
        return report
    }

    /// A report of a run that could not reach its provider.
    public static func offlineReport(_ account: String, provider: String) -> SyncReport {
        var report = SyncReport(account: account, provider: provider)
        report.offline = true
        report.stopped = "offline — \(provider) cannot be reached; edits wait in the outbox"
        return report
    }
}

extension LocalCache {
    /// Makes a contact's waiting change fail with the provider's `message`, as a sync run
    /// whose push was refused leaves it.
    public func failDelivery(of id: ContactID, message: String) throws {
        guard let contact = try contact(id) else { return }
        let claims = try claimDueDeliveries(accountID: contact.accountID, limit: 100, run: "test")
        for claim in claims {
            if claim.contactID == id {
                try failDelivery(claim, message: message, retryAt: nil)
            } else {
                try releaseDeliveries([claim])
            }
        }
    }

    /// Records conflicts on a linked contact edited here, as a pull that found the same fields
    /// changed at the provider leaves them: `theirs` is what the provider has now.
    public func recordConflicts(of id: ContactID, theirs: [StandardField: String]) throws {
        guard let state = try syncState(of: id) else { return }
        let mine = state.contact
        let agreed = state.base ?? mine
        let conflicts = theirs.keys.sorted { $0.key < $1.key }.map { field in
            FieldConflict(key: .standard(field), base: agreed[field].map { .text($0) }, local: mine[field].map { .text($0) },
                          remote: theirs[field].map { .text($0) })
        }
        var base = agreed
        for (field, value) in theirs { base[field] = value }
        let record = RemoteRecord(remoteID: state.remoteID ?? "conflict-\(id.rawValue)", modifiedAt: "v2", contact: base)
        _ = try applyDecision(contactID: id, record: record, accountID: mine.accountID,
                              source: Author(user: "provider", clientAddress: nil), dryRun: false) { _, _ in
            .apply(merged: mine, base: base, conflicts: conflicts)
        }
    }

    /// Records that a linked contact was deleted at the provider while edited here.
    public func recordDeletedThere(_ id: ContactID) throws {
        guard let contact = try contact(id) else { return }
        _ = try applyDecision(contactID: id, record: nil, accountID: contact.accountID,
                              source: Author(user: "provider", clientAddress: nil), dryRun: false) { _, _ in
            .conflictOnDelete(.remoteDeleted, remote: nil)
        }
    }
}
