import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// A provider's "last modified" stamp has a resolution (iVvy's `modifiedDate` is whole
/// seconds): a colleague's change made within the same tick as the version rolo last read
/// carries the same stamp. The stamp alone must not make rolo skip it. The emulators' clocks
/// stand still here, so every change carries the same stamp whatever this machine's speed.
@Suite("Sync: a change carrying the stamp rolo last saw still comes back")
struct SameStampTests {
    @Test(arguments: HarnessMaker.all)
    func aChangeWithinTheStampsResolutionIsNotSkipped(_ maker: HarnessMaker) async throws {
        let now = Date()
        let harness = try await maker.start(clock: { now })
        let a = harness.fieldA, b = harness.fieldB
        var original = harness.required([b: sample(b, 1)])
        original[.email] = "ann@example.com"
        let ann = try harness.serverCreate(original)
        let cache = try ConformanceCache(harness)
        if harness.profile.capabilities.listing == .none {
            try cache.services.cache.insertContacts([Contact(accountID: cache.account.id, fields: original)],
                                                    remotes: [RemoteReference(id: ann, modifiedAt: nil)],
                                                    author: Author(user: "import", clientAddress: nil))
        }
        let first = try await cache.run()
        #expect(first.isClean, "\(maker): \(first.summary)")

        try harness.serverEdit(ann, [b: sample(b, 2)])
        _ = try await cache.run()
        #expect(try cache.contact("ann@example.com")[b] == sample(b, 2), "\(maker): the colleague's change came back")

        // An edit here afterwards goes out without undoing the colleague's.
        _ = try cache.services.editor.update(try cache.services.reader.resolve("ann@example.com"),
                                             assignments: [try FieldAssignment(parsing: "\(a.key)=\(sample(a, 3))")])
        let third = try await cache.run()
        #expect(third.isClean, "\(maker): \(third.summary)")
        #expect(harness.serverValue(ann, a) == sample(a, 3))
        #expect(harness.serverValue(ann, b) == sample(b, 2), "\(maker): the colleague's change stands")
        await harness.stop()
    }
}
