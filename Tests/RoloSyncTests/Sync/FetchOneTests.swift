import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// Bringing in one contact from a provider that cannot list (DailyStory): a sync never
/// discovers a contact created there, so the user names it by email or mobile.
@Suite("Fetching one contact from a provider that cannot list")
struct FetchOneTests {
    @Test func aContactASyncNeverDiscoversIsFetchedByEmailLinkedAndRefreshedFromThenOn() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        let remoteID = bench.remote.put([.email: "ana@example.com", .firstName: "Ana", .lastName: "Lima"])
        let before = try await bench.run()
        #expect(before.created == 0, "a sync of DailyStory does not find it")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 0)

        let fetched = try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com")
        #expect(fetched.change == .added)
        #expect(fetched.displayName == "Ana Lima")
        #expect(fetched.summary == "Brought Ana Lima in from DailyStory (support)")
        let id = try bench.id("ana@example.com")
        #expect(fetched.contactID == id)
        #expect(try bench.cache.syncState(of: id)?.remoteID == remoteID, "linked to DailyStory's contact")
        #expect(try bench.services.reader.detail(id).syncState == .synced)
        #expect(try bench.services.reader.audit(for: id).first?.author.user == "DailyStory (support)", "the provider's doing")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty, "nothing to send back")

        // From now on a sync refreshes it like any contact rolo knows.
        bench.remote.edit(remoteID) { $0[.city] = "Lisbon" }
        let after = try await bench.run()
        #expect(after.updated == 1)
        #expect(try bench.local("ana@example.com")[.city] == "Lisbon")
        let again = try await bench.sync.fetchOne(account: bench.account, email: "ANA@example.com")
        #expect(again.change == .unchanged)
        bench.remote.edit(remoteID) { $0[.city] = "Porto" }
        let changed = try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com")
        #expect(changed.change == .updated)
        #expect(changed.summary == "Ana Lima was here already; DailyStory's changes were merged in")
        #expect(try bench.local("ana@example.com")[.city] == "Porto")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 1, "never twice")
    }

    @Test func aContactWithOnlyAMobileNumberIsFetchedByIt() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        bench.remote.put([.mobilePhone: "+15557140002", .firstName: "Mo"])
        let fetched = try await bench.sync.fetchOne(account: bench.account, mobile: "+1 (555) 714-0002")
        #expect(fetched.change == .added)
        #expect(try bench.services.reader.contact(fetched.contactID)[.mobilePhone] == "+15557140002")
    }

    @Test func whatTheProviderDoesNotHaveIsSaidAndNothingIsWritten() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        let error = await failure { try await bench.sync.fetchOne(account: bench.account, email: "nobody@example.com") }
        guard case .notFound(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message == "DailyStory (support) has no contact with the email nobody@example.com")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 0)
    }

    @Test func aTypingMistakeIsNamedBeforeAnythingIsAsked() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        for (input, field) in [("ana@", "email"), ("5557140002", "mobile"), ("+1 555 abc", "mobile"), ("  ", "email or mobile")] {
            do {
                _ = try ContactLookupKey(parsing: input)
                Issue.record("\(input) was taken")
            } catch {
                guard case .invalid(let issues) = error else { Issue.record("\(error)"); continue }
                #expect(issues.first?.field == field, "\(input): \(issues)")
            }
        }
        #expect(try ContactLookupKey(parsing: " ana@example.com ") == .email("ana@example.com"))
        #expect(try ContactLookupKey(parsing: "0044 20 7946 0958") == .mobile("+442079460958"))
        #expect(await failure { try await bench.sync.fetchOne(account: bench.account, mobile: "ana@example.com") }?.description
            == "mobile: “ana@example.com” is not a mobile number")
        #expect(await failure { try await bench.sync.fetchOne(account: bench.account, email: "+15557140002") }?.description
            == "email: “+15557140002” is not an email address (it needs exactly one @, as in name@example.com)")
        // Said as an email, whatever it looks like (it was refused as a mobile without a country code).
        #expect(await failure { try await bench.sync.fetchOne(account: bench.account, email: "notanemail") }?.description
            == "email: “notanemail” is not an email address (it needs exactly one @, as in name@example.com)")
        #expect(bench.remote.count == 0)
    }

    @Test func aProviderThatListsNeedsNoFetchAndALocalAccountHasNone() async throws {
        let bench = try SyncBench(profile: NotifuseProfile.profile)
        #expect(bench.sync.whyNotFetchable(bench.account) == "support needs no fetch: Notifuse lists its contacts, so a sync brings every one")
        let error = await failure { try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com") }
        #expect(error?.description == "support needs no fetch: Notifuse lists its contacts, so a sync brings every one")
        let local = try bench.cache.defaultAccount()
        #expect(bench.sync.whyNotFetchable(local) == "local is a local account: it has no provider")
    }

    @Test func aPassingFailureIsRetriedAndAnUnreachableProviderSaysSo() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        bench.remote.put([.email: "ana@example.com", .firstName: "Ana"])
        bench.remote.fail(.find, with: .transient("DailyStory answered 503"), times: 2)
        #expect(try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com").change == .added)
        bench.remote.fail(.find, with: .offline("DailyStory cannot be reached (connection refused)"))
        let error = await failure { try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com") }
        #expect(error?.description == "support: fetching ana@example.com from DailyStory failed: DailyStory cannot be reached "
            + "(connection refused)")
    }

    @Test func aContactChangedOnBothSidesComesBackAsAConflict() async throws {
        let bench = try SyncBench(profile: DailyStoryProfile.profile)
        let remoteID = bench.remote.put([.email: "ana@example.com", .firstName: "Ana", .city: "Porto"])
        let fetched = try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com")
        try bench.set("ana@example.com", "city=Braga")
        bench.remote.edit(remoteID) { $0[.city] = "Faro" }
        let again = try await bench.sync.fetchOne(account: bench.account, email: "ana@example.com")
        #expect(again.change == .conflict)
        #expect(again.summary == "Ana is here already and changed on both sides: see the conflicts")
        #expect(try bench.sync.conflicts(in: .all).first?.contactID == fetched.contactID)
        #expect(try bench.local("ana@example.com")[.city] == "Braga", "mine is kept until the user decides")
    }
}

/// The error a call ends with, as rolo reports it (nil when it did not fail).
func failure<T>(_ body: () async throws -> T) async -> RoloError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RoloError {
        return error
    } catch {
        return .failed("not a RoloError: \(error)")
    }
}
