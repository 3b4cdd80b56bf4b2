import Foundation
import RoloCore
import RoloSync

/// Events that background work hands to the app's loop. Posting wakes the loop (the runtime
/// passes how), so a result is drawn as soon as it arrives.
public final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [AppEvent] = []
    private let wake: @Sendable () -> Void

    public init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    public func post(_ event: AppEvent) {
        lock.withLock { events.append(event) }
        wake()
    }

    /// Posts sync progress, replacing progress still waiting to be read: a sync reading a
    /// hundred thousand contacts reports faster than anyone reads, and only the newest
    /// counts. (A finished account is news, never replaced.)
    public func postProgress(_ event: SyncEvent) {
        let replaceable: (AppEvent) -> Bool = { waiting in
            if case .syncProgress(let progress) = waiting, !progress.isFinished { return true }
            return false
        }
        let isNew = lock.withLock { () -> Bool in
            if !event.isFinished, let last = events.last, replaceable(last) {
                events[events.count - 1] = .syncProgress(event)
                return false
            }
            events.append(.syncProgress(event))
            return true
        }
        if isNew { wake() }
    }

    /// The events posted since the last drain, oldest first.
    public func drain() -> [AppEvent] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }
}

/// Work the app's effects ask for that must not hold up the keys: counting matches, finding a
/// row's place in the list. Each runs on a background queue and comes back as an event in the
/// inbox. A newer request cancels the one running (SQLite stops it through its progress
/// handler), so typing or moving fast never queues work up.
public final class BackgroundWork: @unchecked Sendable {
    private let services: AppServices
    private let inbox: Inbox
    private let countQueue = DispatchQueue(label: "rolo.count")
    private let locateQueue = DispatchQueue(label: "rolo.locate")
    private let lock = NSLock()
    private var latestCount = 0
    private var latestLocate = 0

    public init(services: AppServices, inbox: Inbox) {
        self.services = services
        self.inbox = inbox
    }

    /// Counts the rows before a contact; a newer request cancels an older one.
    public func locate(generation: Int, scope: AccountScope, query: ContactQuery?, order: ListOrder, cursor: ListCursor) {
        lock.withLock { latestLocate = generation }
        locateQueue.async { [self] in
            let stale: @Sendable () -> Bool = { [self] in lock.withLock { latestLocate != generation } }
            guard !stale() else { return }
            let position = try? services.reader.position(of: cursor, in: scope, matching: query, order: order, isCancelled: stale)
            guard !stale() else { return }
            inbox.post(.located(generation: generation, contact: cursor.contactID, position: position ?? nil))
        }
    }

    /// Syncs a scope off the loop's thread: progress and the reports come back as events.
    /// One at a time (the model starts no second one); the cache's sync lock stops a second
    /// rolo, and that comes back as the error.
    public func sync(scope: AccountScope) {
        guard let sync = services.sync else { return }
        let inbox = self.inbox
        Task.detached {
            do {
                let reports = try await sync.sync(scope: scope, options: SyncOptions(), progress: { inbox.postProgress($0) })
                inbox.post(.syncFinished(reports: reports, error: nil))
            } catch {
                inbox.post(.syncFinished(reports: [], error: AppModel.describe(error)))
            }
        }
    }

    /// Brings one contact in from an account whose provider cannot list.
    public func fetch(accountID: Int64, key: ContactLookupKey) {
        guard let sync = services.sync else { return }
        let services = self.services
        let inbox = self.inbox
        Task.detached {
            do {
                let account = try services.accounts.account(id: accountID)
                inbox.post(.fetched(try await sync.fetchOne(account: account, by: key), error: nil))
            } catch {
                inbox.post(.fetched(nil, error: AppModel.describe(error)))
            }
        }
    }

    /// Counts a filter's matches; a newer request cancels an older one.
    public func count(generation: Int, scope: AccountScope, query: ContactQuery) {
        lock.withLock { latestCount = generation }
        countQueue.async { [self] in
            let stale: @Sendable () -> Bool = { [self] in lock.withLock { latestCount != generation } }
            guard !stale() else { return }
            let matches = try? services.reader.count(in: scope, matching: query, isCancelled: stale)
            guard !stale() else { return }
            inbox.post(.counted(generation: generation, matches: matches ?? nil))
        }
    }
}

extension SyncEvent {
    var isFinished: Bool {
        if case .finished = self { return true }
        return false
    }
}
