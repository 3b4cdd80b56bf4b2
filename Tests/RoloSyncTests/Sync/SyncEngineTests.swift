import Foundation
import Testing
import RoloCore
@testable import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// Hands out one provider for every account.
struct FakeConnector: ProviderConnecting {
    let provider: any ContactProvider
    func provider(for account: Account, definitions: [FieldDefinition]) throws(ProviderError) -> any ContactProvider { provider }
    func whyNotSyncable(_ account: Account) -> String? { nil }
}

/// A cache with one Notifuse-like account wired to a fake provider, syncing without waits.
struct SyncBench {
    let services: RoloServices
    let account: Account
    let remote: FakeProvider
    let sync: SyncService
    var cache: LocalCache { services.cache }

    init(profile: ProviderProfile = NotifuseProfile.profile, pageSize: Int = 3, settings: [String: String] = [:],
         clock: @escaping @Sendable () -> Timestamp = { frozenNow }) throws {
        let cache = try LocalCache(catalog: .standard, clock: clock)
        services = RoloServices(cache: cache, author: editor)
        account = try cache.createAccount(name: "support", provider: profile.kind, settings: settings, definitions: [
            FieldDefinition(key: "plan", label: "Plan", type: .text, maxLength: 255, providerRef: "custom_string_1"),
        ])
        remote = FakeProvider(profile: profile, pageSize: pageSize)
        sync = SyncService(cache: cache, accounts: services.accounts, connecting: FakeConnector(provider: remote), author: editor,
                           policy: .immediate)
    }

    @discardableResult
    func run(_ options: SyncOptions = SyncOptions()) async throws -> SyncReport {
        try await sync.sync([account], options: options).first!
    }

    func id(_ email: String) throws -> ContactID { try services.reader.resolve(email, in: .account(account.id)) }
    func local(_ email: String) throws -> Contact { try services.reader.contact(try id(email)) }
    func set(_ email: String, _ texts: String...) throws {
        _ = try services.editor.update(try id(email), assignments: try texts.map { try FieldAssignment(parsing: $0) })
    }
}

@Suite("Sync: pull, push, merge and conflicts")
struct SyncEngineTests {
    @Test func aFirstPullBringsEveryContactLinkedWithNothingToSend() async throws {
        let bench = try SyncBench()
        for index in 1...7 { bench.remote.put([.email: "p\(index)@example.com", .firstName: "P\(index)"]) }
        let report = try await bench.run()
        #expect(report.created == 7)
        #expect(report.isClean)
        #expect(report.listingComplete)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 7)
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(try bench.services.reader.detail(try bench.id("p3@example.com")).syncState == .synced)
        #expect(try bench.services.accounts.deliveryStatus(in: .account(bench.account.id)).lastSync == frozenNow)
        // The pull is the provider's doing, not the user's: undo cannot reach it.
        #expect(try bench.services.editor.undoLastEdit(in: .all) == nil)
        #expect(try bench.services.reader.audit(for: try bench.id("p1@example.com")).first?.author.user == "Notifuse (support)")

        let again = try await bench.run()
        #expect(again.created == 0 && again.updated == 0 && again.unchanged == 7)
    }

    @Test func aLocalEditReachesTheProviderAndLeavesUndosReach() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .lastName: "Lee"])
        try await bench.run()
        try bench.set("ann@example.com", "last_name=Lee-Park", "plan=gold")
        #expect(try bench.services.reader.outbox(in: .all).map(\.kind) == [.update])

        let report = try await bench.run()
        #expect(report.sentUpdates == 1)
        #expect(bench.remote.contact(ann)?[.lastName] == "Lee-Park")
        #expect(bench.remote.contact(ann)?.custom["plan"] == .text("gold"))
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(try bench.services.editor.undoLastEdit(in: .all) == nil, "a sent edit cannot be undone")
        // Only what changed went out.
        guard case .update(_, _, let changed)? = bench.remote.pushes.last else { Issue.record("no update sent"); return }
        #expect(changed == [.standard(.lastName), .custom("plan")])
    }

    @Test func changesToDifferentFieldsMergeOnBothSides() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .country: "PT"])
        try await bench.run()
        try bench.set("ann@example.com", "first_name=Anna")
        bench.remote.edit(ann) { $0[.country] = "BR" }

        let report = try await bench.run()
        #expect(report.updated == 1 && report.sentUpdates == 1 && report.isClean)
        #expect(try bench.local("ann@example.com")[.country] == "BR")
        #expect(bench.remote.contact(ann)?[.firstName] == "Anna")
        #expect(bench.remote.contact(ann)?[.country] == "BR")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
    }

    @Test func theSameFieldChangedOnBothSidesIsAConflictNeverOverwritten() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .country: "PT"])
        try await bench.run()
        try bench.set("ann@example.com", "country=ES", "first_name=Anna")
        bench.remote.edit(ann) { $0[.country] = "BR" }

        let report = try await bench.run()
        #expect(report.conflicts.map(\.name) == ["Anna"])
        #expect(!report.isClean)
        #expect(bench.remote.contact(ann)?[.country] == "BR", "the provider's value is not overwritten")
        #expect(bench.remote.pushes.isEmpty, "a contact in conflict is not sent")
        #expect(try bench.local("ann@example.com")[.country] == "ES", "nor is the local one")
        let conflicts = try bench.sync.conflicts(in: .all)
        #expect(conflicts.first?.conflicts == [FieldConflict(key: .standard(.country), base: .text("PT"), local: .text("ES"), remote: .text("BR"))])
        #expect(try bench.services.reader.window(in: .all, limit: 5).rows.first?.marker == .conflict)

        // Another run changes nothing while the user has not decided.
        try await bench.run()
        #expect(bench.remote.pushes.isEmpty)

        try bench.sync.resolve(try bench.id("ann@example.com"), fields: [:], all: .mine)
        try await bench.run()
        #expect(bench.remote.contact(ann)?[.country] == "ES")
        #expect(bench.remote.contact(ann)?[.firstName] == "Anna", "the other field went too")
        #expect(try bench.sync.conflicts(in: .all).isEmpty)
    }

    @Test func takingTheirsKeepsTheProvidersValueAndSendsTheRest() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .country: "PT"])
        try await bench.run()
        try bench.set("ann@example.com", "country=ES", "first_name=Anna")
        bench.remote.edit(ann) { $0[.country] = "BR" }
        try await bench.run()
        try bench.sync.resolve(try bench.id("ann@example.com"), fields: [.standard(.country): .theirs], all: nil)
        #expect(try bench.local("ann@example.com")[.country] == "BR")
        try await bench.run()
        #expect(bench.remote.contact(ann)?[.country] == "BR")
        #expect(bench.remote.contact(ann)?[.firstName] == "Anna")
    }

    @Test func aContactDeletedAtTheProviderGoesHereOrBecomesAConflictIfEditedHere() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        let bob = bench.remote.put([.email: "bob@example.com", .firstName: "Bob"])
        for index in 1...20 { bench.remote.put([.email: "p\(index)@example.com"]) }
        try await bench.run()
        try bench.set("bob@example.com", "first_name=Robert")
        bench.remote.remove(ann)
        bench.remote.remove(bob)

        let report = try await bench.run()
        #expect(report.deleted == 1)
        #expect(report.conflicts.count == 1)
        #expect(throws: RoloError.self) { try bench.id("ann@example.com") }
        #expect(try bench.local("bob@example.com")[.firstName] == "Robert", "an edited contact is never lost")
        #expect(bench.remote.contact(bob) == nil, "and not silently re-created")

        // Keep mine: it is created anew at the provider.
        try bench.sync.resolve(try bench.id("bob@example.com"), fields: [:], all: .mine)
        try await bench.run()
        #expect(bench.remote.contact(bob)?[.firstName] == "Robert")
    }

    @Test func lettingADeletedContactGoRemovesItHere() async throws {
        let bench = try SyncBench()
        let bob = bench.remote.put([.email: "bob@example.com", .firstName: "Bob"])
        for index in 1...20 { bench.remote.put([.email: "p\(index)@example.com"]) }
        try await bench.run()
        try bench.set("bob@example.com", "first_name=Robert")
        bench.remote.remove(bob)
        try await bench.run()
        try bench.sync.resolve(try bench.id("bob@example.com"), fields: [:], all: .theirs)
        #expect(throws: RoloError.self) { try bench.id("bob@example.com") }
        try await bench.run()
        #expect(bench.remote.contact(bob) == nil)
    }

    /// iVvy's listing by modified date cannot show a delete: the update sent is what meets it.
    @Test func anUpdateOfAContactTheProviderNoLongerHasIsAConflictNotAFailure() async throws {
        let bench = try SyncBench(profile: IvvyProfile.profile)
        let bob = bench.remote.put([.email: "bob@example.com", .firstName: "Bob", .lastName: "Ray"])
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .lastName: "Lee"])
        try await bench.run()
        try bench.set("bob@example.com", "first_name=Robert")
        bench.remote.remove(bob)

        let report = try await bench.run()
        #expect(report.failures.isEmpty, "\(report.failures.map(\.message))")
        #expect(report.conflicts.map(\.message) == ["deleted at iVvy while edited here"])
        #expect(try bench.services.reader.outbox(in: .all).map(\.state) == [.conflict])
        #expect(try bench.local("bob@example.com")[.firstName] == "Robert", "an edited contact is never lost")

        try bench.sync.resolve(try bench.id("bob@example.com"), fields: [:], all: .mine)
        let again = try await bench.run()
        #expect(again.sentCreates == 1 && again.isClean)
        #expect(bench.remote.contact(bob) == nil)
        #expect(bench.remote.ids.count == 2)
    }

    /// "Not found" alone does not make a contact deleted: one the provider still has keeps the
    /// failure, for a retry.
    @Test func anUpdateRefusedAsNotFoundOfAContactTheProviderHasStaysAFailure() async throws {
        let bench = try SyncBench(profile: IvvyProfile.profile)
        bench.remote.put([.email: "bob@example.com", .firstName: "Bob", .lastName: "Ray"])
        try await bench.run()
        try bench.set("bob@example.com", "first_name=Robert")
        bench.remote.fail(.push, with: .notFound("iVvy: Not Found"))

        let report = try await bench.run()
        #expect(report.failures.map(\.message) == ["iVvy: Not Found"])
        #expect(report.conflicts.isEmpty)
        #expect(try bench.services.reader.outbox(in: .all).map(\.state) == [.failed])
    }

    /// Refused credentials stop the run with what to check, in the provider's terms: iVvy
    /// signs with an API key and a secret, Notifuse sends a token.
    @Test(arguments: [(IvvyProfile.profile, "API key and secret"), (NotifuseProfile.profile, "token")])
    func refusedCredentialsSayWhatToCheckForTheProvider(_ profile: ProviderProfile, _ credentials: String) async throws {
        let bench = try SyncBench(profile: profile)
        bench.remote.put([.email: "bob@example.com", .firstName: "Bob", .lastName: "Ray"])
        bench.remote.fail(.list, with: .auth("HTTP 401"))
        let report = try await bench.run()
        #expect(report.stopped == "\(profile.displayName) refused the credentials (HTTP 401); check the account's \(credentials) in the config")
    }

    /// A clock the provider refuses stops the run with the adapter's words, which say how far
    /// off it is and how to set it — once, not again around them.
    @Test func aClockTheProviderRefusesIsSaidOnce() async throws {
        let bench = try SyncBench(profile: IvvyProfile.profile)
        let stale = IvvyClient.clockSkew(serverDate: "Wed, 01 May 2024 10:12:00 GMT", signedAt: Date(timeIntervalSince1970: 1_714_557_600))
        bench.remote.fail(.list, with: stale)
        let report = try await bench.run()
        #expect(report.stopped == stale.message)
        #expect(report.summary == "support: iVvy refused the request as stale (error 23005): the system clock is off by 12 minutes "
            + "(behind iVvy's; it allows 5). Set this machine's clock right (for example turn on NTP: timedatectl set-ntp true), "
            + "then sync again.")
    }

    @Test func aLocalDeleteReachesTheProviderUnlessItChangedThereMeanwhile() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        let bob = bench.remote.put([.email: "bob@example.com", .firstName: "Bob"])
        try await bench.run()
        try bench.services.editor.delete(try bench.id("ann@example.com"))
        try bench.services.editor.delete(try bench.id("bob@example.com"))
        bench.remote.edit(bob) { $0[.firstName] = "Roberto" }

        let report = try await bench.run()
        #expect(report.sentDeletes == 1)
        #expect(bench.remote.contact(ann) == nil)
        #expect(bench.remote.contact(bob)?[.firstName] == "Roberto")
        #expect(report.conflicts.map(\.name) == ["Bob"])

        // Theirs: it comes back as the provider has it.
        let conflicted = try #require(try bench.sync.conflicts(in: .all).first)
        try bench.sync.resolve(conflicted.contactID, fields: [:], all: .theirs)
        #expect(try bench.local("bob@example.com")[.firstName] == "Roberto")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
    }

    @Test func aRunThatWouldDeleteManyStopsUnlessAllowed() async throws {
        let bench = try SyncBench(pageSize: 10)
        for index in 1...60 { bench.remote.put([.email: "p\(index)@example.com"]) }
        try await bench.run()
        bench.remote.removeAll()

        let held = try await bench.run()
        #expect(held.heldDeletions == 60)
        #expect(!held.isClean)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 60)

        let dry = try await bench.run(SyncOptions(dryRun: true, allowDeletes: true))
        #expect(dry.deleted == 60)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 60, "a dry run deletes nothing")

        let allowed = try await bench.run(SyncOptions(allowDeletes: true))
        #expect(allowed.deleted == 60)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 0)
    }

    @Test func aShareOfTheAccountAlsoTripsTheGuard() {
        let guardRail = MassDeleteGuard()
        #expect(!guardRail.holds(1, of: 3), "one deletion is never a mass delete")
        #expect(guardRail.holds(2, of: 10))
        #expect(!guardRail.holds(10, of: 100))
        #expect(guardRail.holds(11, of: 100))
        #expect(guardRail.holds(51, of: 100_000))
    }

    @Test func anInterruptedListingDeletesNothing() async throws {
        let bench = try SyncBench(pageSize: 2)
        for index in 1...6 { bench.remote.put([.email: "p\(index)@example.com"]) }
        try await bench.run()
        bench.remote.remove("p6@example.com")
        bench.remote.listingBreaks(from: 1, with: .transient("HTTP 503"))
        let report = try await bench.run()
        #expect(!report.listingComplete)
        #expect(report.deleted == 0)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 6)
        #expect(report.failures.first?.message.contains("nothing was taken as deleted") == true)
    }

    /// A server that answers the same next cursor again would be listed for ever: the listing
    /// stops, says why, and counts as interrupted (nothing taken as deleted).
    @Test func aListingWhoseCursorRepeatsStopsAndDeletesNothing() async throws {
        let bench = try SyncBench(pageSize: 2)
        for index in 1...6 { bench.remote.put([.email: "p\(index)@example.com"]) }
        try await bench.run()
        bench.remote.remove("p6@example.com")
        bench.remote.cursorRepeatsFrom = 1
        let report = try await bench.run()
        #expect(!report.listingComplete)
        #expect(report.deleted == 0)
        #expect(bench.remote.listCalls <= 2 + 4, "stopped at the first repeat, not after many pages")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 6)
        let message = report.failures.first?.message ?? ""
        #expect(message.contains("the same next page twice") && message.contains("nothing was taken as deleted"), "\(message)")
    }

    @Test func aFailedListingHoldsChangesBackSoNothingThereIsOverwrittenUnseen() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann", .country: "PT"])
        try await bench.run()
        try bench.set("ann@example.com", "country=ES")
        _ = try bench.services.editor.add(try assignments("email=new@example.com"), to: bench.account)
        bench.remote.edit(ann) { $0[.country] = "BR" }
        bench.remote.listingBreaks(from: 0, with: .transient("HTTP 502"))

        let report = try await bench.run()
        #expect(!report.listingComplete)
        #expect(bench.remote.contact(ann)?[.country] == "BR", "not overwritten by a change the run could not weigh")
        #expect(bench.remote.contact("new@example.com") != nil, "a new contact goes out all the same")
        #expect(try bench.services.reader.outbox(in: .all).map(\.kind) == [.update])

        bench.remote.listingWorks()
        let next = try await bench.run()
        #expect(next.conflicts.count == 1, "the next complete run sees both changes")
        #expect(bench.remote.contact(ann)?[.country] == "BR")
    }

    @Test func failuresAreRetriedThenRecordedWithTheProvidersWordsWhileTheRestGoOn() async throws {
        let bench = try SyncBench()
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        bench.remote.put([.email: "bob@example.com", .firstName: "Bob"])
        try await bench.run()
        try bench.set("ann@example.com", "first_name=Anna")
        try bench.set("bob@example.com", "first_name=Robert")
        // Two transient failures, then it goes through; a refusal is final.
        bench.remote.fail(.push, with: .rateLimited(retryAfter: 1, "HTTP 429"), times: 2)
        let report = try await bench.run()
        #expect(report.sentUpdates == 2 && report.isClean)

        try bench.set("ann@example.com", "first_name=Annie")
        try bench.set("bob@example.com", "first_name=Bobby")
        bench.remote.fail(.push, with: .invalid(field: nil, "Notifuse: invalid type for first_name"), times: 1)
        let second = try await bench.run()
        #expect(second.failures.map(\.message) == ["Notifuse: invalid type for first_name"])
        #expect(second.sentUpdates == 1)
        let failed = try bench.services.reader.outbox(in: .all)
        #expect(failed.map(\.state) == [.failed])
        #expect(failed.first?.lastError == "Notifuse: invalid type for first_name")
        #expect(try bench.services.reader.window(in: .all, limit: 5).rows.contains { $0.marker == .failed })
        // A refused change is not sent again by itself; a retry (or an edit) puts it back.
        try await bench.run()
        #expect(try bench.services.reader.outbox(in: .all).map(\.state) == [.failed])
        try bench.sync.retry(failed[0].contactID)
        try await bench.run()
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
    }

    @Test func transientFailuresThatOutlastTheRetriesWaitForALaterRun() async throws {
        let bench = try SyncBench()
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        try await bench.run()
        try bench.set("ann@example.com", "first_name=Anna")
        bench.remote.fail(.push, with: .transient("HTTP 500"), times: 10)
        let report = try await bench.run()
        #expect(report.failures.map(\.message) == ["HTTP 500"])
        let entry = try #require(try bench.services.reader.outbox(in: .all).first)
        #expect(entry.state == .failed)
        #expect(entry.nextAttemptAt != nil, "it is tried again by a later run, after a wait")
    }

    @Test func aRunSaysWhatEarlierRunsLeftFailedOrInConflictAndIsNotClean() async throws {
        let bench = try SyncBench()
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        bench.remote.put([.email: "bob@example.com", .firstName: "Bob"])
        let cy = bench.remote.put([.email: "cy@example.com", .firstName: "Cy", .country: "PT"])
        try await bench.run()
        // Ann's edit outlasts the retries (a later run tries it again); Bob's is refused (only a
        // retry the user asks for sends it again); Cy's conflicts.
        try bench.set("ann@example.com", "first_name=Anna")
        bench.remote.fail(.push, with: .transient("HTTP 503"), times: RetryPolicy.immediate.maxAttempts)
        #expect(try await bench.run().failures.map(\.name) == ["Anna"])
        try bench.set("bob@example.com", "first_name=Robert")
        try bench.set("cy@example.com", "country=ES")
        bench.remote.edit(cy) { $0[.country] = "BR" }
        bench.remote.fail(.push, with: .invalid(field: nil, "Notifuse: invalid type for first_name"), times: 1)
        let first = try await bench.run()
        #expect(first.failures.map(\.name) == ["Robert"] && first.conflicts.count == 1)
        #expect(first.failedEarlier.map(\.name) == ["Anna"], "Ann's next try is later")
        #expect(first.conflictsEarlier.isEmpty, "what this run met is not counted twice")

        // The next run has nothing new and tries nothing (Ann's next try is later), yet the
        // edits have not reached the provider: it says so and is not clean.
        let next = try await bench.run()
        #expect(next.failures.isEmpty && next.conflicts.isEmpty && next.sentUpdates == 0)
        #expect(!next.isClean)
        #expect(Set(next.failedEarlier.map(\.name)) == ["Anna", "Robert"])
        #expect(next.failedEarlier.first { $0.name == "Anna" }?.retryAt != nil)
        #expect(next.failedEarlier.first { $0.name == "Robert" }?.retryAt == nil)
        #expect(next.conflictsEarlier.map(\.message) == ["changed on both sides: country"])
        #expect(next.summary == "support: nothing new from Notifuse; 2 edits failed earlier: 1 waits for its next try at 10:01 UTC, "
            + "1 for you to retry it; 1 conflict from earlier to settle", "\(next.summary)")

        // Settled, the run is clean again.
        for entry in try bench.services.reader.outbox(in: .all) where entry.state == .failed { try bench.sync.retry(entry.contactID) }
        try bench.sync.resolve(try bench.id("cy@example.com"), fields: [:], all: .theirs)
        let settled = try await bench.run()
        #expect(settled.sentUpdates == 2)
        #expect(settled.isClean, "\(settled.summary)")
    }

    @Test func theNextTryOfWhatFailedEarlierIsSaidInWords() {
        var report = SyncReport(account: "support", provider: "Notifuse")
        report.endedAt = frozenNow
        let later = Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + 4 * 60_000)
        report.failedEarlier = [.init(contactID: nil, name: "Ann", message: "HTTP 503", retryAt: later)]
        #expect(report.summary == "support: nothing new from Notifuse; 1 edit failed earlier and waits for its next try at 10:04 UTC")
        report.failedEarlier.append(.init(contactID: nil, name: "Bob", message: "HTTP 503", retryAt: frozenNow))
        #expect(report.summary == "support: nothing new from Notifuse; 2 edits failed earlier and wait for their next try at the next sync")
        report.failedEarlier = [.init(contactID: nil, name: "Ann", message: "refused")]
        #expect(report.summary == "support: nothing new from Notifuse; 1 edit failed earlier and waits for you to retry it")
        let tomorrow = Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + 86_400_000)
        report.failedEarlier = [.init(contactID: nil, name: "Ann", message: "HTTP 429", retryAt: tomorrow)]
        #expect(report.summary.hasSuffix("at 2026-11-26 10:00:00 UTC"))
        #expect(!report.isClean)
    }

    @Test func emailsTheProviderStoresAlikeAreTheSameAddressToAMerge() throws {
        func merge(_ profile: ProviderProfile, base: String?, local: String, remote: String) -> (String?, [FieldConflict]) {
            func contact(_ email: String?) -> Contact {
                Contact(uid: "u1", accountID: 1, fields: email.map { [.email: $0, .firstName: "Fresh"] } ?? [:])
            }
            let (merged, conflicts) = SyncPlanner.merge(base: contact(base), local: contact(local), remote: contact(remote),
                                                        scope: MergeScope(profile: profile, definitions: []))
            return (merged.email, conflicts)
        }
        // Notifuse stores emails lower-cased: its form of the same address is taken, never a conflict.
        let notifuse = NotifuseProfile.profile
        #expect(merge(notifuse, base: nil, local: "Fresh.One@Example.com", remote: "fresh.one@example.com") == ("fresh.one@example.com", []))
        #expect(merge(notifuse, base: "Fresh.One@Example.com", local: "Fresh.One@Example.com", remote: "fresh.one@example.com")
            == ("fresh.one@example.com", []))
        #expect(merge(notifuse, base: "Fresh.One@Example.com", local: "new@example.com", remote: "fresh.one@example.com")
            == ("new@example.com", []), "the provider did not change the address; the edit here stands")
        #expect(merge(notifuse, base: "a@example.com", local: "b@example.com", remote: "c@example.com").1.count == 1)
        // A provider that keeps what it is given: a different case is a different value.
        #expect(merge(IvvyProfile.profile, base: nil, local: "Fresh.One@Example.com", remote: "fresh.one@example.com").1.count == 1)
    }

    @Test func aCreateWhoseReplyWasLostIsNotMadeTwice() async throws {
        let bench = try SyncBench()
        _ = try bench.services.editor.add(try assignments("email=new@example.com", "first_name=New"), to: bench.account)
        bench.remote.fail(.push, with: .transient("the connection broke"), times: 10, appliesAnyway: true)
        let first = try await bench.run()
        #expect(first.isClean, "before trying again, the run asks whether the first attempt made it: \(first.summary)")
        #expect(bench.remote.pushes.count == 1, "it did; nothing was sent twice")
        #expect(bench.remote.count == 1, "no duplicate")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(try bench.services.reader.detail(try bench.id("new@example.com")).remoteLink?.remoteID == "new@example.com")
    }

    @Test func aContactCreatedHereAndThereWithTheSameEmailIsOneContact() async throws {
        let bench = try SyncBench()
        _ = try bench.services.editor.add(try assignments("email=kim@example.com", "first_name=Kim", "country=PT"), to: bench.account)
        bench.remote.put([.email: "kim@example.com", .firstName: "Kimberly", .lastName: "Park"])
        let report = try await bench.run()
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 1)
        #expect(try bench.local("kim@example.com")[.lastName] == "Park")
        #expect(report.conflicts.count == 1, "the first names differ and neither side is older")
        #expect(bench.remote.contact("kim@example.com")?[.firstName] == "Kimberly")
    }

    @Test func aCreateThatReachedTheProviderUnconfirmedComesBackInTheListingAsTheSameContact() async throws {
        // A rolo killed between sending a create and recording the answer: iVvy has the
        // contact, with rolo's uid as its externalId, and lists it before the push runs.
        let bench = try SyncBench(profile: IvvyProfile.profile)
        let added = try bench.services.editor.add(try assignments("email=new@example.com", "first_name=New", "last_name=Day"), to: bench.account).contact
        let id = try #require(added.id)
        let uid = added.uid
        bench.remote.put([.email: "new@example.com", .firstName: "New", .lastName: "Day"], id: "id-7", uid: uid)

        let report = try await bench.run()
        #expect(report.isClean, "\(report.summary)")
        #expect(report.created == 0, "the listed record is the contact waiting here, not a new one")
        #expect(bench.remote.pushes.isEmpty, "and it is not sent again")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 1)
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(try bench.services.reader.detail(id).remoteLink?.remoteID == "id-7")
    }

    @Test func aCreateAnsweredWithAContactSyncedHereAlreadyFailsWithoutStoppingTheRest() async throws {
        let bench = try SyncBench(profile: IvvyProfile.profile)
        bench.remote.upsertsByEmail = true
        bench.remote.put([.email: "sam@example.com", .firstName: "Sam", .lastName: "Ray"], id: "id-100")
        _ = try await bench.run()
        _ = try bench.services.editor.add(try assignments("email=sam@example.com", "first_name=Samuel", "last_name=Ray"), to: bench.account)
        _ = try bench.services.editor.add(try assignments("email=lee@example.com", "first_name=Lee", "last_name=Oak"), to: bench.account)

        let report = try await bench.run()
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.name == "Samuel Ray")
        #expect(report.failures.first?.message.contains("synced here as “Sam Ray”") == true)
        #expect(report.sentCreates == 1, "Lee went out")
        let waiting = try bench.services.reader.outbox(in: .all)
        #expect(waiting.count == 1)
        #expect(waiting.first?.state == .failed)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 3, "nothing here was lost")
    }

    @Test func whereTheProviderListsOnlyChangesAFullListingComesWhenDueAndFindsDeletes() async throws {
        // iVvy lists what changed since a date and never says what it deleted; with
        // full_listing_every (here an hour) a sync reads everything once that long has passed.
        let now = Clock(frozenNow)
        let bench = try SyncBench(profile: IvvyProfile.profile, settings: [SyncSettings.fullListingEvery: "3600"], clock: { now.value })
        let gone = bench.remote.put([.email: "gone@example.com", .firstName: "Gone", .lastName: "Soon"])
        bench.remote.put([.email: "stays@example.com", .firstName: "Stays", .lastName: "Here"])
        _ = try await bench.run()
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 2)

        bench.remote.remove(gone)
        now.value = Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + 30 * 60 * 1000)
        let early = try await bench.run()
        #expect(early.deleted == 0, "half an hour on: an incremental listing, which cannot see the delete")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 2)

        now.value = Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + 61 * 60 * 1000)
        let due = try await bench.run()
        #expect(due.deleted == 1, "an hour after the last full listing, another finds it gone")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 1)
    }

    @Test func theProvidersOwnDataMovingAloneIsKeptButIsNoChange() async throws {
        let now = Clock(frozenNow)
        let bench = try SyncBench(clock: { now.value })
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        _ = try await bench.run()
        let before = try bench.local("ann@example.com")

        now.value = Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + 3_600_000)
        bench.remote.edit(ann) { $0.extensions["notifuse"] = .object(["lead_score": .number(7)]) }
        let report = try await bench.run()
        #expect(report.updated == 0, "nothing a person would call a change")
        // But not nothing: the run says what moved.
        #expect(report.providerDataOnly == 1 && report.unchanged == 0)
        #expect(report.summary == "support: 1 changed in Notifuse's own data only")
        let after = try bench.local("ann@example.com")
        #expect(after.extensions["notifuse"] == .object(["lead_score": .number(7)]), "kept")
        #expect(after.updatedAt == before.updatedAt, "“Changed” stays when only the provider's data moved")

        bench.remote.edit(ann) { $0[.lastName] = "Lee" }
        _ = try await bench.run()
        #expect(try bench.local("ann@example.com").updatedAt == now.value)
    }

    /// The provider's bookkeeping seen for the first time — on a contact rolo just created
    /// there, or one a file linked — is not news: every first sync of an imported list said
    /// "changed in Notifuse's own data only" for each contact.
    @Test func theProvidersDataSeenForTheFirstTimeIsNoNews() async throws {
        let bench = try SyncBench()
        _ = try bench.services.editor.add(try assignments("email=ann@example.com", "first_name=Ann"), to: bench.account)
        let pushed = try await bench.run()
        #expect(pushed.sentCreates == 1)
        let ann = "ann@example.com"   // Notifuse's key
        #expect(bench.remote.contact(ann) != nil)
        bench.remote.edit(ann) { $0.extensions["notifuse"] = .object(["created_at": .string("2026-12-07T11:33:01.687391Z")]) }
        let first = try await bench.run()
        #expect(first.providerDataOnly == 0 && first.summary == "support: nothing new from Notifuse", "\(first.summary)")
        #expect(try bench.local("ann@example.com").extensions["notifuse"] != nil, "kept all the same")

        bench.remote.edit(ann) { $0.extensions["notifuse"] = .object(["created_at": .string("2026-12-07T11:33:01.687391Z"),
                                                                      "custom_string_5": .string("from a colleague")]) }
        let later = try await bench.run()
        #expect(later.providerDataOnly == 1, "a change to what the provider listed before is said")
    }

    @Test func aDryRunSaysWhatWouldHappenAndChangesNothing() async throws {
        let bench = try SyncBench()
        let ann = bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        try await bench.run()
        bench.remote.put([.email: "new@example.com", .firstName: "New"])
        bench.remote.edit(ann) { $0[.firstName] = "Anna" }
        _ = try bench.services.editor.add(try assignments("email=mine@example.com"), to: bench.account)
        let before = try bench.cache.tableCounts()

        let report = try await bench.run(SyncOptions(dryRun: true))
        #expect(report.created == 1 && report.updated == 1 && report.sentCreates == 1)
        #expect(report.plan.contains("would add here: New"))
        #expect(report.plan.contains("would send create: mine@example.com"))
        #expect(try bench.cache.tableCounts() == before)
        #expect(bench.remote.pushes.isEmpty)
        #expect(try bench.local("ann@example.com")[.firstName] == "Ann")
    }

    @Test func anEditBeingSentCannotBeUndone() async throws {
        let bench = try SyncBench()
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        try await bench.run()
        try bench.set("ann@example.com", "first_name=Anna")
        let claims = try bench.cache.claimDueDeliveries(accountID: bench.account.id, limit: 10, run: "test")
        #expect(claims.count == 1)
        let issues = refusal { _ = try bench.services.editor.undoLastEdit(in: .all) }
        #expect(issues?.first?.message.contains("is being sent") == true)
        #expect(try bench.services.reader.window(in: .all, limit: 5).rows.first?.marker == .sending)

        // A run after the one that claimed it died sends it again.
        try await bench.run()
        #expect(bench.remote.contact("ann@example.com")?[.firstName] == "Anna")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
    }

    @Test func anEditMadeWhileItsContactIsBeingSentWaitsForTheNextPush() async throws {
        let bench = try SyncBench()
        bench.remote.put([.email: "ann@example.com", .firstName: "Ann"])
        try await bench.run()
        try bench.set("ann@example.com", "first_name=Anna")
        let claims = try bench.cache.claimDueDeliveries(accountID: bench.account.id, limit: 10, run: "test")
        try bench.set("ann@example.com", "country=PT")
        // The push of the first edit is confirmed with what was sent.
        try bench.cache.confirmDeliveries([.init(claim: claims[0], remoteID: "ann@example.com", modifiedAt: nil,
                                                 base: claims[0].state.contact)], accountID: bench.account.id)
        let waiting = try bench.services.reader.outbox(in: .all)
        #expect(waiting.map(\.kind) == [.update])
        #expect(waiting.map(\.state) == [.pending])
        #expect(try bench.cache.pendingChanges(for: try bench.id("ann@example.com")).map(\.key) == [.standard(.country)])
    }

    @Test func oneSyncAtATime() async throws {
        let bench = try SyncBench()
        let lock = SyncLock(cachePath: nil, memoryLock: bench.cache.syncLock)
        try lock.acquire(by: editor, now: frozenNow)
        defer { lock.release() }
        await #expect(throws: RoloError.self) { try await bench.run() }
    }

    @Test func aSecondSyncOfOneCacheFileNamesTheProcessHoldingIt() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("cache.sqlite")
        let first = SyncLock(cachePath: path)
        try first.acquire(by: editor, now: frozenNow)
        let second = SyncLock(cachePath: path)
        let error = #expect(throws: RoloError.self) { try second.acquire(by: editor, now: frozenNow) }
        #expect(error?.description == "a sync of this cache is already running (process \(getpid()), morgan, since 2026-11-25 10:00:00 UTC)")
        first.release()
        try second.acquire(by: editor, now: frozenNow)
        second.release()
    }
}

/// A clock a test moves by hand.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Timestamp
    init(_ start: Timestamp) { now = start }
    var value: Timestamp {
        get { lock.withLock { now } }
        set { lock.withLock { now = newValue } }
    }
}
