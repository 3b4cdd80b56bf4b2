import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// A contact deleted at the provider while edited here is a conflict for the user, whether a
/// listing shows the delete (Notifuse), a refresh finds it (DailyStory), or only the update
/// sent meets it (iVvy: an incremental listing cannot show deletes) — never a failure that
/// comes back on every sync.
@Suite("Sync: an edit of a contact deleted at the provider is a conflict")
struct RemoteDeleteTests {
    @Test(arguments: HarnessMaker.all)
    func anEditOfAContactDeletedThereIsAConflictNotAFailure(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let a = harness.fieldA
        var fields = harness.required([a: sample(a, 1)])
        fields[.email] = "ann@example.com"
        let ann = try harness.serverCreate(fields)
        let cache = try ConformanceCache(harness)
        if harness.profile.capabilities.listing == .none {
            try cache.services.cache.insertContacts([Contact(accountID: cache.account.id, fields: fields)],
                                                    remotes: [RemoteReference(id: ann, modifiedAt: nil)],
                                                    author: Author(user: "import", clientAddress: nil))
        }
        let first = try await cache.run()
        #expect(first.isClean, "\(maker): \(first.summary)")

        try harness.serverDelete(ann)
        _ = try cache.services.editor.update(try cache.services.reader.resolve("ann@example.com"),
                                             assignments: [try FieldAssignment(parsing: "\(a.key)=\(sample(a, 2))")])
        let second = try await cache.run()
        #expect(second.failures.isEmpty, "\(maker): \(second.failures.map(\.message))")
        #expect(second.conflicts.map(\.message) == ["deleted at \(harness.profile.displayName) while edited here"], "\(maker)")
        #expect(try cache.sync.conflicts(in: .all).count == 1)
        #expect(try cache.services.reader.outbox(in: .all).map(\.state) == [.conflict], "\(maker): nothing is sent until the user decides")

        // Keeping it makes it anew there, with the edit.
        let id = try cache.services.reader.resolve("ann@example.com")
        _ = try cache.sync.resolve(id, fields: [:], all: .mine)
        let third = try await cache.run()
        #expect(third.isClean, "\(maker): \(third.summary) \(third.failures.map(\.message))")
        #expect(harness.serverContacts().contains { $0.email == "ann@example.com" && harness.serverValue($0.remoteID, a) == sample(a, 2) },
                "\(maker)")
        await harness.stop()
    }
}
