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
