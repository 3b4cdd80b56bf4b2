import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// Notifuse keys contacts by email, so an email change is a create under the new email and a
/// delete of the old. Found by an independent server written from the docs: the change once
/// overwrote a colleague's contact that had the new email, and one stopped between its two
/// steps made the contact twice here.
@Suite("Sync: a Notifuse email change never overwrites another contact, and finishes once")
struct EmailChangeTests {
    @Test func anEmailChangeToAnEmailNotifuseHasAlreadyOverwritesNothing() async throws {
        let harness = try await NotifuseHarness.start()
        _ = try harness.serverCreate([.email: "zoe@example.com", .firstName: "Zoë", .lastName: "Lima"])
        let cache = try ConformanceCache(harness)
        #expect(try await cache.run().isClean)
        _ = try harness.serverCreate([.email: "taken@example.com", .firstName: "Someone", .lastName: "Else"])
        _ = try cache.services.editor.update(try cache.services.reader.resolve("zoe@example.com"),
                                             assignments: [try FieldAssignment(parsing: "email=taken@example.com")])
        let report = try await cache.run()
        #expect(report.failures.map(\.name) == ["Zoë Lima"], "\(report.failures)")
        #expect(report.failures.first?.message.contains("Notifuse already has a contact with the email taken@example.com") == true)
        #expect(harness.serverValue("taken@example.com", .firstName) == "Someone", "the colleague's contact is untouched")
        #expect(harness.serverValue("zoe@example.com", .firstName) == "Zoë", "and this one is still there")
        await harness.stop()
    }

    @Test func anEmailChangeStoppedBetweenItsStepsIsFinishedWithoutASecondContact() async throws {
        let harness = try await NotifuseHarness.start()
        _ = try harness.serverCreate([.email: "siobhan@example.com", .firstName: "Siobhán"])
        let cache = try ConformanceCache(harness, settings: [SyncSettings.requestsInFlight: "1"])
        #expect(try await cache.run().isClean)
        let id = try cache.services.reader.resolve("siobhan@example.com")
        _ = try cache.services.editor.update(id, assignments: [try FieldAssignment(parsing: "email=siobhan.l@example.com")])
        // The new contact is made; every delete of the old one fails.
        harness.inject(.status(500), count: 1 + RetryPolicy.immediate.maxAttempts, call: .delete)
        let first = try await cache.run()
        #expect(first.failures.map(\.name) == ["Siobhán"], "\(first.failures)")
        #expect(Set(harness.serverContacts().compactMap(\.email)) == ["siobhan@example.com", "siobhan.l@example.com"])
        harness.clearFaults()
        // The next listing brings the new one: it is this contact, not a second one.
        let second = try await cache.run()
        #expect(try cache.services.reader.contactCount(in: .account(cache.account.id)) == 1, "\(second.summary)")
        #expect(try cache.sync.retry(id))
        let third = try await cache.run()
        #expect(third.isClean, "\(third.summary) \(third.failures)")
        #expect(harness.serverContacts().compactMap(\.email) == ["siobhan.l@example.com"])
        #expect(try cache.services.reader.contactCount(in: .account(cache.account.id)) == 1)
        await harness.stop()
    }
}
