import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// A create whose reply was lost is looked for before it is sent again. When the look-up
/// fails as well, nobody knows whether the contact was made: the create waits, with the
/// provider's words, for a run that can look — it is never sent again blind, not even after
/// the user asks for a retry — and the rest of the run goes on. DailyStory's harness makes a
/// second contact for a create sent twice, so a blind resend shows as a duplicate.
@Suite("Sync: a create whose reply was lost and whose look-up fails is made once")
struct LostCreateReplyTests {
    @Test func aFailedLookUpWaitsForALaterRunAndTheRestGoOn() async throws {
        let harness = try await DailyStoryHarness.start()
        let bobFields: [StandardField: String] = [.email: "bob@example.com", .jobTitle: sample(.jobTitle, 1)]
        let bob = try harness.serverCreate(bobFields)
        // One request at a time: the faults below are counted out to the create and its
        // look-ups, and a request sent alongside them would take one.
        let cache = try ConformanceCache(harness, settings: [SyncSettings.requestsInFlight: "1"])
        try cache.services.cache.insertContacts([Contact(accountID: cache.account.id, fields: bobFields)],
                                                remotes: [RemoteReference(id: bob, modifiedAt: nil)],
                                                author: Author(user: "import", clientAddress: nil))
        #expect(try await cache.run().isClean)

        let added = try cache.services.editor.add([try FieldAssignment(parsing: "email=new@example.com")], to: cache.account)
        _ = try cache.services.editor.update(try cache.services.reader.resolve("bob@example.com"),
                                             assignments: [try FieldAssignment(parsing: "job_title=\(sample(.jobTitle, 2))")])
        // The create lands but its reply is cut; so is every look-up this run makes for it.
        harness.inject(.malformedBody, count: 1 + RetryPolicy.immediate.maxAttempts, call: .write)
        let first = try await cache.run()
        #expect(first.stopped == nil, "\(first.stopped ?? "")")
        #expect(first.failures.map(\.name) == ["new@example.com"], "\(first.failures)")
        #expect(harness.serverValue(bob, .jobTitle) == sample(.jobTitle, 2), "the rest went on")

        harness.clearFaults()
        #expect(try cache.sync.retry(try #require(added.contact.id)), "the user asks for the failed delivery again")
        let second = try await cache.run()
        #expect(second.isClean, "\(second.summary) \(second.failures)")
        #expect(harness.serverContacts().filter { $0.email == "new@example.com" }.count == 1, "made once")
        #expect(try cache.services.reader.outbox(in: .all).isEmpty)
        await harness.stop()
    }

    /// Notifuse lower-cases an email on every write (PROVIDERS.md §2.3). A create whose reply
    /// came is read back and takes Notifuse's form; one whose reply was lost is found by the
    /// look-up and must agree — the address in another case is no change made there.
    @Test func aMixedCaseEmailWhoseCreateReplyWasLostIsTheSameAddressNotAConflict() async throws {
        let harness = try await NotifuseHarness.start()
        let cache = try ConformanceCache(harness)
        _ = try cache.services.editor.add(try ["email=Fresh.One@Example.com", "first_name=Fresh", "last_name=One"].map(FieldAssignment.init(parsing:)),
                                          to: cache.account)
        // The upsert is carried out and its connection dropped before the reply.
        harness.inject(.dropAfterApplying, count: 1, call: .write)
        let report = try await cache.run()
        #expect(report.conflicts.isEmpty, "\(report.conflicts)")
        #expect(report.isClean, "\(report.summary)")
        #expect(harness.serverContacts().map(\.email) == ["fresh.one@example.com"], "made once")
        #expect(try cache.contact("fresh.one@example.com").email == "fresh.one@example.com", "Notifuse's form, as a confirmed create takes")
        #expect(try cache.services.reader.outbox(in: .all).isEmpty)
        #expect(try await cache.run().isClean)

        // The same create with its reply: the same outcome.
        _ = try cache.services.editor.add(try ["email=Second.Two@Example.com", "first_name=Second", "last_name=Two"].map(FieldAssignment.init(parsing:)),
                                          to: cache.account)
        #expect(try await cache.run().isClean)
        #expect(try cache.contact("second.two@example.com").email == "second.two@example.com")
        await harness.stop()
    }
}
