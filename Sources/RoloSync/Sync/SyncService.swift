import Foundation
import Logging
import RoloCore
import RoloStore

/// Makes the provider client of an account — from the config and the adapters, which the
/// composition root knows and this layer does not.
public protocol ProviderConnecting: Sendable {
    /// The client for an account, or an error saying what the config lacks.
    func provider(for account: Account, definitions: [FieldDefinition]) throws(ProviderError) -> any ContactProvider
    /// Why an account cannot sync, or nil when it can.
    func whyNotSyncable(_ account: Account) -> String?
    /// Whether the config names the account, whether or not it can sync: one it names that
    /// cannot (a secret file others can read, an unset variable) is the user's to hear about.
    func isConfigured(_ account: Account) -> Bool
}

extension ProviderConnecting {
    public func isConfigured(_ account: Account) -> Bool { whyNotSyncable(account) == nil }
}

/// Sync for the commands and the TUI: runs accounts one after another under the cache's sync
/// lock, and shows and settles what the runs leave behind (the outbox, conflicts, failures).
public final class SyncService: SyncControlling {
    let cache: LocalCache
    let accounts: AccountService
    let connecting: any ProviderConnecting
    let author: Author
    let policy: RetryPolicy
    let logger: Logger

    public init(cache: LocalCache, accounts: AccountService, connecting: any ProviderConnecting, author: Author,
                policy: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "rolo.sync")) {
        self.cache = cache
        self.accounts = accounts
        self.connecting = connecting
        self.author = author
        self.policy = policy
        self.logger = logger
    }

    public func whyNotSyncable(_ account: Account) -> String? {
        if account.isLocal { return "\(account.name) is a local account: it has no provider" }
        return connecting.whyNotSyncable(account)
    }

    /// The accounts a sync of every account covers: those that can sync, and those the config
    /// names that cannot — each of which then says why in its report, instead of being passed
    /// over as if it were not there.
    public func accountsToSync() throws -> [Account] {
        try accounts.accounts().filter { account in
            !account.isLocal && (connecting.isConfigured(account) || whyNotSyncable(account) == nil)
        }
    }

    /// Syncs the accounts in order. Throws only when the sync cannot start at all (another
    /// sync holds the cache); what goes wrong within a run is in its report.
    public func sync(_ targets: [Account], options: SyncOptions,
                     progress: @escaping @Sendable (SyncEvent) -> Void = { _ in }) async throws -> [SyncReport] {
        let lock = SyncLock(cachePath: cache.path, memoryLock: cache.syncLock)
        try lock.acquire(by: author, now: cache.clock())
        defer { lock.release() }
        var reports: [SyncReport] = []
        for account in targets {
            if let why = whyNotSyncable(account) {
                var report = SyncReport(account: account.name, provider: account.profile.displayName)
                // The reason names the account, as it is said alone elsewhere; the report's
                // line starts with the name already.
                report.stopped = why.hasPrefix(account.name + ": ") ? String(why.dropFirst(account.name.count + 2)) : why
                reports.append(report)
                progress(.finished(report))
                continue
            }
            let provider: any ContactProvider
            do {
                provider = try connecting.provider(for: account, definitions: try cache.fieldDefinitions(accountID: account.id))
            } catch let error as ProviderError {
                var report = SyncReport(account: account.name, provider: account.profile.displayName)
                report.stopped = error.message
                reports.append(report)
                progress(.finished(report))
                continue
            }
            let engine = SyncEngine(cache: cache, account: account, provider: provider, options: options, policy: policy,
                                    logger: logger, progress: progress)
            reports.append(await engine.run())
        }
        return reports
    }

    public func sync(scope: AccountScope, options: SyncOptions,
                     progress: @escaping @Sendable (SyncEvent) -> Void) async throws -> [SyncReport] {
        let targets: [Account]
        if case .account(let id) = scope {
            targets = [try accounts.account(id: id)]
        } else {
            targets = try accountsToSync()
        }
        return try await sync(targets, options: options, progress: progress)
    }

    public func outbox(in scope: AccountScope) throws -> [OutboxEntry] { try cache.outbox(in: scope) }

    /// What an outbox entry would send now, field by field.
    public func pendingChanges(for id: ContactID) throws -> [FieldDelta] { try cache.pendingChanges(for: id) }

    public func conflicts(in scope: AccountScope) throws -> [ConflictedContact] { try cache.conflictedContacts(in: scope) }

    @discardableResult
    public func resolve(_ id: ContactID, fields: [FieldKey: ConflictSide], all: ConflictSide?) throws -> [FieldConflict] {
        let remaining = try cache.resolveConflicts(of: id, fields: fields, all: all, author: author)
        logger.info("conflict resolved", metadata: ["contact": "\(id.shortID)", "remaining": "\(remaining.count)"])
        return remaining
    }

    /// Puts a failed delivery back in line. False when it had not failed.
    @discardableResult
    public func retry(_ id: ContactID) throws -> Bool { try cache.retryDelivery(id) }
}
