import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// A small, fast, seeded random source (SplitMix64), so a failing seed can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Sync: random edits on both sides converge")
struct ConvergenceTests {
    static let fields: [StandardField] = [.firstName, .lastName, .country, .jobTitle]
    static let values = ["Ann", "Bob", "PT", "BR", "CEO", "CTO", ""]

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomEditsFaultsAndSyncsSettleWithBothSidesEqual(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        let bench = try SyncBench(pageSize: 4)
        // The oracle: the value each field must end with, unless the contact was ever in
        // conflict or deleted on a side (then either side may win, by the user's choice).
        var expected: [String: [StandardField: String]] = [:]
        var contested = Set<String>()
        func email(_ id: ContactID) throws -> String {
            guard let state = try bench.cache.syncState(of: id) else { throw RoloError.notFound("\(id) is gone") }
            return state.contact.email!.lowercased()
        }
        for index in 0..<8 {
            bench.remote.put([.email: "c\(index)@example.com", .firstName: "C\(index)"])
            expected["c\(index)@example.com"] = [.firstName: "C\(index)"]
        }
        try await bench.run()
        var created = 8

        for _ in 0..<12 {
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let local = try bench.services.reader.window(in: .account(bench.account.id), limit: 100).rows
                switch Int.random(in: 0..<10, using: &random) {
                case 0...5 where !local.isEmpty:
                    let row = local.randomElement(using: &random)!
                    let field = ConvergenceTests.fields.randomElement(using: &random)!
                    let value = ConvergenceTests.values.randomElement(using: &random)!
                    if let outcome = try? bench.services.editor.update(row.id, assignments: [try FieldAssignment(parsing: "\(field.key)=\(value)")]) {
                        let key = try email(row.id)
                        for delta in outcome.deltas { if case .standard(let changed) = delta.key { expected[key, default: [:]][changed] = delta.after?.displayText } }
                    }
                case 6:
                    created += 1
                    _ = try bench.services.editor.add([try FieldAssignment(parsing: "email=n\(created)@example.com")], to: bench.account)
                    expected["n\(created)@example.com"] = [:]
                case 7 where !local.isEmpty:
                    let row = local.randomElement(using: &random)!
                    contested.insert(try email(row.id))
                    _ = try? bench.services.editor.delete(row.id)
                case 8:
                    if let outcome = try? bench.services.editor.undoLastEdit(in: .all) {
                        if let key = try? email(outcome.contactID), outcome.kind == .update {
                            for delta in outcome.deltas { if case .standard(let changed) = delta.key { expected[key, default: [:]][changed] = delta.after?.displayText } }
                        } else if let contact = try? bench.cache.contact(outcome.contactID) ?? nil, let key = contact.email {
                            contested.insert(key.lowercased())
                        } else {
                            contested.formUnion(expected.keys.filter { $0.hasPrefix("n") })
                        }
                    }
                default:
                    break
                }
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let ids = bench.remote.ids
                switch Int.random(in: 0..<6, using: &random) {
                case 0...3 where !ids.isEmpty:
                    let field = ConvergenceTests.fields.randomElement(using: &random)!
                    let value = ConvergenceTests.values.randomElement(using: &random)!
                    let id = ids.randomElement(using: &random)!
                    bench.remote.edit(id) { $0[field] = value }
                    expected[id, default: [:]][field] = value.isEmpty ? nil : value
                case 4:
                    created += 1
                    bench.remote.put([.email: "r\(created)@example.com", .firstName: "R"])
                    expected["r\(created)@example.com"] = [.firstName: "R"]
                case 5 where !ids.isEmpty:
                    let id = ids.randomElement(using: &random)!
                    bench.remote.remove(id)
                    contested.insert(id)
                default:
                    break
                }
            }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bench.remote.fail(.push, with: .transient("HTTP 503"), times: Int.random(in: 1...8, using: &random))
            case 1: bench.remote.fail(.push, with: .transient("reset"), times: 2, appliesAnyway: true)
            case 2: bench.remote.fail(.list, with: .transient("HTTP 500"), times: 6)
            default: break
            }
            _ = try await bench.run()
            for contact in try bench.sync.conflicts(in: .all) { contested.insert(try email(contact.contactID)) }
        }

        // Settle: every fault gone, every conflict decided one way or the other, failed
        // deliveries retried, and a couple of runs to let it all through.
        bench.remote.fail(.push, with: .transient("none"), times: 0)
        for _ in 0..<3 {
            for contact in try bench.sync.conflicts(in: .all) {
                try bench.sync.resolve(contact.contactID, fields: [:], all: Bool.random(using: &random) ? .mine : .theirs)
            }
            for entry in try bench.services.reader.outbox(in: .all) where entry.state == .failed { try bench.sync.retry(entry.contactID) }
            _ = try await bench.run(SyncOptions(allowDeletes: true))
        }
        try await bench.run(SyncOptions(allowDeletes: true))

        #expect(try bench.sync.conflicts(in: .all).isEmpty, "seed \(seed)")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty, "seed \(seed): everything was sent")
        var local: [String: Contact] = [:]
        for row in try bench.services.reader.window(in: .account(bench.account.id), limit: 1000).rows {
            let contact = try bench.services.reader.contact(row.id)
            #expect(local[contact.email!.lowercased()] == nil, "seed \(seed): \(contact.email!) twice here")
            local[contact.email!.lowercased()] = contact
        }
        #expect(Set(local.keys) == Set(bench.remote.ids), "seed \(seed): the same contacts on both sides")
        for (email, contact) in local {
            let remote = try #require(bench.remote.contact(email))
            for field in ConvergenceTests.fields {
                #expect(contact[field] == remote[field], "seed \(seed): \(email) \(field.key) differs")
                if !contested.contains(email), let wanted = expected[email] {
                    #expect(contact[field] == wanted[field], "seed \(seed): \(email) \(field.key): an edit was lost")
                }
            }
        }
    }
}
