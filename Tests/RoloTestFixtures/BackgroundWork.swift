import Foundation
import RoloSync
import RoloViewModels

extension AppModel {
    /// Does the background work the model asked for (match counts, row numbers) at once, on
    /// this thread, and hands back the results, as the runtime does from its threads.
    public func runBackgroundWork(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .count(let generation, let scope, let query):
                let matches = try? services.reader.count(in: scope, matching: query)
                handle(.counted(generation: generation, matches: matches ?? nil))
            case .locate(let generation, let scope, let query, let order, let cursor):
                let position = try? services.reader.position(of: cursor, in: scope, matching: query, order: order)
                handle(.located(generation: generation, contact: cursor.contactID, position: position ?? nil))
            default:
                break
            }
        }
    }
}

extension AppModel {
    /// A model over the real services of a cache (the fixture's, in tests).
    public convenience init(service: RoloServices, size: Size, options: AppOptions = AppOptions()) throws {
        try self.init(services: AppServices(service), size: size, options: options)
    }
}

extension AppModel {
    /// Does the syncs and fetches the model asked for, as the runtime does on its threads:
    /// each progress event, then the end, comes back into the loop in order. Returns the
    /// effects the model asked for meanwhile (an automatic sync due next, a count).
    @discardableResult
    public func runSyncWork(_ effects: [Effect]) async -> [Effect] {
        var more: [Effect] = []
        for effect in effects {
            switch effect {
            case .sync(let scope):
                guard let sync = services.sync else { continue }
                let events = EventLog()
                do {
                    let reports = try await sync.sync(scope: scope, options: SyncOptions(), progress: { events.append($0) })
                    for event in events.all { more += handle(.syncProgress(event)) }
                    more += handle(.syncFinished(reports: reports, error: nil))
                } catch {
                    for event in events.all { more += handle(.syncProgress(event)) }
                    more += handle(.syncFinished(reports: [], error: AppModel.describe(error)))
                }
            case .fetch(let accountID, let key):
                guard let sync = services.sync else { continue }
                do {
                    let account = try services.accounts.account(id: accountID)
                    more += handle(.fetched(try await sync.fetchOne(account: account, by: key), error: nil))
                } catch {
                    more += handle(.fetched(nil, error: AppModel.describe(error)))
                }
            default:
                break
            }
        }
        return more
    }
}

/// Progress events as a run reports them, kept in order.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyncEvent] = []
    func append(_ event: SyncEvent) { lock.withLock { events.append(event) } }
    var all: [SyncEvent] { lock.withLock { events } }
}
