import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// A contact rolo created at the provider and then deleted here, before any later sync read it
/// back: the provider's record now carries its own bookkeeping (creation time, ids, kept as
/// extension data) that the record rolo sent did not. Nobody changed the contact there, so the
/// delete goes out (or, where the provider cannot delete, stays here) without asking.
@Suite("Sync: deleting here a contact rolo just created there asks nothing")
struct DeleteAfterCreateTests {
    @Test(arguments: HarnessMaker.all)
    func aContactCreatedThenDeletedHereIsNoConflict(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let cache = try ConformanceCache(harness)
        var fields = harness.required([harness.fieldA: sample(harness.fieldA, 1)])
        fields[.email] = "new@example.com"
        let added = try cache.services.editor.add(try fields.map { try FieldAssignment(parsing: "\($0.key.key)=\($0.value)") },
                                                  to: cache.account)
        let created = try await cache.run()
        #expect(created.isClean, "\(maker): \(created.summary)")
        #expect(harness.serverCount() == 1)

        try cache.services.editor.delete(try #require(added.contact.id))
        let deleted = try await cache.run()
        #expect(deleted.conflicts.isEmpty, "\(maker): \(deleted.conflicts.map(\.message))")
        #expect(try cache.sync.conflicts(in: .all).isEmpty)
        #expect(try cache.services.reader.outbox(in: .all).isEmpty, "\(maker): the delete was settled")
        let kept = harness.profile.capabilities.delete == .unsupported ? 1 : 0
        #expect(harness.serverCount() == kept, "\(maker): deleted there too, unless the provider cannot delete")
        await harness.stop()
    }
}
