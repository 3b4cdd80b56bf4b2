import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// One fault at one step of a sync.
struct FaultCase: Sendable, CustomStringConvertible {
    let call: HarnessCall
    let fault: EmulatorFault
    let count: Int

    var description: String { "\(fault) ×\(count) on \(call.rawValue)" }

    static let faults: [EmulatorFault] = [
        .status(429, retryAfter: 0), .status(500), .status(503), longLatency, .dropConnection,
        .dropAfterApplying, .malformedBody,
    ]
    static let all: [FaultCase] = HarnessCall.allCases.flatMap { call in
        faults.map { FaultCase(call: call, fault: $0, count: $0 == longLatency ? 1 : 2) }
    }
}

@Suite("Sync under faults: each kind at each step, nothing lost, nothing twice")
struct FaultTests {
    @Test(arguments: HarnessMaker.all, FaultCase.all)
    func aFaultAtAnyStepLosesNothingAndDuplicatesNothing(_ maker: HarnessMaker, _ fault: FaultCase) async throws {
        let harness = try await maker.start()
        func fields(_ email: String, _ extra: [StandardField: String] = [:]) -> [StandardField: String] {
            var all = extra
            all[.email] = email
            return harness.required(all)
        }
        let a = harness.fieldA, b = harness.fieldB
        var ids: [String: String] = [:]
        var seeded: [String: [StandardField: String]] = [:]
        for (n, name) in ["ann", "bob", "cy", "dan"].enumerated() {
            seeded[name] = fields("\(name)@example.com", [b: sample(b, n)])
            ids[name] = try harness.serverCreate(seeded[name]!)
        }
        for index in 0..<20 { _ = try harness.serverCreate(fields("p\(index)@example.com", [b: sample(b, index)])) }
        let cache = try ConformanceCache(harness)
        if harness.profile.capabilities.listing == .none {
            for (name, id) in ids {
                try cache.services.cache.insertContacts([Contact(accountID: cache.account.id, fields: seeded[name]!)],
                                                        remotes: [RemoteReference(id: id, modifiedAt: nil)],
                                                        author: Author(user: "import", clientAddress: nil))
            }
        }
        #expect(try await cache.run().isClean)

        // Here: an edit, a new contact, a delete. There: an edit and a delete.
        let resolve = { (email: String) in try cache.services.reader.resolve(email, in: .account(cache.account.id)) }
        _ = try cache.services.editor.update(try resolve("ann@example.com"), assignments: [try FieldAssignment(parsing: "\(a.key)=\(sample(a, 9))")])
        _ = try cache.services.editor.add(try fields("new@example.com", [:]).map {
            try FieldAssignment(parsing: "\($0.key.key)=\($0.value)")
        }, to: cache.account)
        try cache.services.editor.delete(try resolve("cy@example.com"))
        try harness.serverEdit(ids["bob"]!, [b: sample(b, 8)])
        try harness.serverDelete(ids["dan"]!)

        harness.inject(fault.fault, count: fault.count, call: fault.call)
        // A reply held back by the fault is a timeout to an adapter that waits a second; only
        // this run waits so little.
        if fault.fault == longLatency { cache.timeout.value = shortTimeout }
        _ = try await cache.run()
        cache.timeout.value = 60
        harness.clearFaults()
        let settled = try await cache.run()
        _ = try await cache.run()

        let label = "\(maker) with \(fault)"
        #expect(settled.conflicts.isEmpty, "\(label): \(settled.conflicts)")
        #expect(try cache.services.reader.outbox(in: .all).isEmpty, "\(label): everything went out")
        #expect(harness.serverValue(ids["ann"]!, a) == sample(a, 9), "\(label): the edit arrived")
        #expect(try cache.contact("bob@example.com")[b] == sample(b, 8), "\(label): the provider's edit came back")
        // 24 and a new one; dan deleted there; cy deleted here, unless the provider cannot delete.
        let expectedCount = harness.profile.capabilities.delete == .unsupported ? 24 : 23
        #expect(harness.serverCount() == expectedCount, "\(label): the new contact once, the deleted ones gone")
        if harness.profile.capabilities.listingShowsDeletes || harness.profile.capabilities.listing == .none {
            #expect(throws: RoloError.self, "\(label): deleted there, deleted here") { try resolve("dan@example.com") }
        }
        await harness.stop()
    }
}
