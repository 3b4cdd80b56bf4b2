import RoloViewModels

extension AppModel {
    /// Does the background work the model asked for (match counts, row numbers) at once, on
    /// this thread, and hands back the results, as the runtime does from its threads.
    public func runBackgroundWork(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .count(let generation, let scope, let query):
                let matches = try? service.count(in: scope, matching: query)
                handle(.counted(generation: generation, matches: matches ?? nil))
            case .locate(let generation, let scope, let query, let order, let cursor):
                let position = try? service.position(of: cursor, in: scope, matching: query, order: order)
                handle(.located(generation: generation, contact: cursor.contactID, position: position ?? nil))
            default:
                break
            }
        }
    }
}
