import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// The pull's fast path: a record the provider lists again unchanged is decided from its link
/// row alone, pages are applied several to a transaction while the next ones are read, and
/// none of it changes what a pull does.
@Suite("Sync: the pull's fast path")
struct PullPathTests {
    static let scope = MergeScope(profile: NotifuseProfile.profile, definitions: [
        FieldDefinition(key: "plan", label: "Plan", type: .text, providerRef: "custom_string_1"),
    ])

    static func contact(_ random: inout SeededRandom) -> Contact {
        var contact = Contact(uid: "u1", accountID: 1)
        for field in [StandardField.firstName, .email, .city, .jobTitle] where Bool.random(using: &random) {
            contact[field] = ["Ann", "Bo", "x@example.com"].randomElement(using: &random)!
        }
        if Bool.random(using: &random) { contact.custom["plan"] = .text(["gold", "silver"].randomElement(using: &random)!) }
        if Bool.random(using: &random) { contact.extensions["notifuse"] = .object(["external_id": .string("e1")]) }
        return contact
    }

    @Test func whenTheLinkRowIsEnoughItGivesWhatTheWholeLocalSideGives() {
        var random = SeededRandom(seed: 21)
        let stamps: [String?] = [nil, "v1", "v2"]
        var sure = 0
        for _ in 0..<60_000 {
            let remoteID = ["a@example.com", "b@example.com"].randomElement(using: &random)!
            let listed = Self.contact(&random)
            // Often the base is what the provider lists (the case the fast path is for), or
            // differs from it only in parts the provider does not hold.
            var base: Contact? = Bool.random(using: &random) ? Self.contact(&random) : nil
            if var agreed = base, Bool.random(using: &random) {
                agreed = Self.scope.project(listed, over: agreed)
                if Bool.random(using: &random) { agreed[.notes] = "kept here only" }
                base = agreed
            }
            let record = RemoteRecord(remoteID: ["a@example.com", "b@example.com"].randomElement(using: &random)!,
                                      modifiedAt: stamps.randomElement(using: &random)!,
                                      contact: Int.random(in: 0..<5, using: &random) == 0 ? Self.contact(&random) : listed,
                                      isDeleted: Int.random(in: 0..<4, using: &random) == 0)
            let state = LocalSyncState(
                contactID: ContactID(7), contact: Self.contact(&random), isDeleted: Int.random(in: 0..<4, using: &random) == 0,
                remoteID: remoteID, remoteModifiedAt: stamps.randomElement(using: &random)!,
                base: base,
                outbox: Bool.random(using: &random) ? OutboxState(kind: [.create, .update, .delete].randomElement(using: &random)!,
                                                                   state: [.pending, .sending, .failed, .conflict].randomElement(using: &random)!,
                                                                   revision: 1, attempts: 0, idempotencyKey: "k") : nil,
                conflicts: Bool.random(using: &random) ? [FieldConflict(key: .standard(.city), base: nil, local: .text("A"), remote: .text("B"))] : [],
                inFlight: Bool.random(using: &random) ? Self.contact(&random) : nil)
            // What the store keeps: the base's digest, or nothing known yet (a base a push wrote).
            let digest = Int.random(in: 0..<5, using: &random) == 0 ? nil : state.base.map(Self.scope.digest)
            let link = LinkSnapshot(contactID: state.contactID, remoteID: remoteID, remoteModifiedAt: state.remoteModifiedAt,
                                    hasBase: state.base != nil, isDeleted: state.isDeleted, baseDigest: digest)
            guard let quick = SyncPlanner.decideFromLink(record, link: link, scope: Self.scope) else { continue }
            sure += 1
            #expect(quick == SyncPlanner.decide(record, state, scope: Self.scope), "\(state) \(record)")
        }
        #expect(sure > 500, "the fast path was taken often enough to mean something (\(sure))")
    }

    @Test func theDigestSaysExactlyWhetherTheProviderSidesAgree() {
        var random = SeededRandom(seed: 5)
        var agreeing = 0
        for _ in 0..<5_000 {
            let left = Self.contact(&random)
            var right = Int.random(in: 0..<3, using: &random) == 0 ? left : Self.contact(&random)
            if Bool.random(using: &random) { right[.notes] = "held here only" }
            let agree = Self.scope.agree(left, right)
            if agree { agreeing += 1 }
            #expect((Self.scope.digest(left) == Self.scope.digest(right)) == agree, "\(left) \(right)")
        }
        #expect(agreeing > 1_000)
        // Parts the provider does not hold are left out; other definitions give other digests.
        var contact = Contact(uid: "u1", accountID: 1)
        contact[.email] = "a@example.com"
        var noted = contact
        noted[.notes] = "only here"
        #expect(Self.scope.digest(contact) == Self.scope.digest(noted), "Notifuse holds no notes")
        let other = MergeScope(profile: NotifuseProfile.profile, definitions: [])
        #expect(other.digest(contact) != Self.scope.digest(contact))
    }

    /// Link rows keep the digest of their base: a digest that came out differently after an
    /// upgrade would make every contact of every account look changed at the next sync (each
    /// base loaded and compared again). This pins what a known contact's digest is.
    @Test func theDigestOfAKnownContactIsTheOneLinkRowsAlreadyHold() throws {
        var contact = Contact(uid: "u1", accountID: 1)
        contact[.firstName] = "Zoë"
        contact[.email] = "zoe@example.com"
        contact[.city] = "Zürich"
        contact.custom = ["plan": .text("gold"), "seats": .number(12), "unmapped": .text("rolo only")]
        contact.extensions["notifuse"] = .object(["lifetime_value": .number(3.5)])
        #expect(Self.scope.digest(contact) == "bcf9138afc4df65a8e00aa7fa9ca587f2220f161ae463a220759d7dd8e663c41", "\(Self.scope.digest(contact))")
    }

    @Test func aContactCreatedFromWhatTheReaderMadeAheadIsTheContactMadeOnTheSpot() throws {
        var random = SeededRandom(seed: 33)
        var records: [RemoteRecord] = []
        for index in 0..<40 {
            var contact = Self.contact(&random)
            contact[.email] = "p\(index)@example.com"
            contact[.lastName] = ["Müller", "Smith", "山田"].randomElement(using: &random)!
            records.append(RemoteRecord(remoteID: "p\(index)@example.com", modifiedAt: "v\(index)", contact: contact))
        }
        let (plain, ahead) = (try SyncBench(), try SyncBench())
        let prepared = Dictionary(uniqueKeysWithValues: records.map {
            ($0.remoteID, PreparedCreate($0.contact, accountID: ahead.account.id, digest: Self.scope.digest))
        })
        for (bench, made) in [(plain, [String: PreparedCreate]()), (ahead, prepared)] {
            _ = try bench.cache.applyPulledPage(accountID: bench.account.id, records: records, source: editor, matchEmail: true,
                                                dryRun: false, digest: Self.scope.digest, prepared: made) { record, local in
                SyncPlanner.decide(record, local, scope: Self.scope)
            }
        }
        /// Everything a created contact left in the cache, its uid and times aside (the sort
        /// key ends with the uid).
        func stored(_ bench: SyncBench) throws -> [String] {
            try bench.cache.read { db in
                let columns = Schema.searchColumns.map { "coalesce(f.\($0), '')" }.joined(separator: " || '|' || ")
                return try String.fetchAll(db, sql: """
                    SELECT l.remoteId || ' ' || c.displayName || ' ' || c.contentHash || ' ' || substr(c.sortKey, 1, length(c.sortKey) - 36)
                        || ' ' || l.baseRecord || ' ' || l.baseHash || ' ' || coalesce(l.baseDigest, '-') || ' ' || a.deltas || ' ' || a.action
                        || ' ' || coalesce((SELECT \(columns) FROM contact_fts f WHERE f.rowid = c.rank), 'no index row')
                        || ' ' || coalesce((SELECT group_concat(key || '=' || value, ',') FROM custom_value v WHERE v.contactId = c.id), '')
                    FROM contact c JOIN remote_link l ON l.contactId = c.id JOIN audit a ON a.contactId = c.id
                    ORDER BY l.remoteId
                    """)
            }
        }
        #expect(try stored(plain) == stored(ahead))
        #expect(try stored(plain).count == 40)
        // The uid made ahead is the one stored: the prepared path was the one taken.
        for record in records {
            #expect(try ahead.local(record.remoteID).uid == prepared[record.remoteID]!.uid)
        }
    }

    @Test func aContactListedAgainUnchangedIsNotReadAgain() async throws {
        let bench = try SyncBench(pageSize: 4)
        for index in 1...10 { bench.remote.put([.email: "p\(index)@example.com", .firstName: "P\(index)"]) }
        try await bench.run()
        try bench.set("p3@example.com", "city=Lyon")                     // waits to be sent: still nothing to decide
        bench.remote.edit("p5@example.com") { $0[.firstName] = "Pia" }   // a new stamp: this one must be looked at
        var records: [RemoteRecord] = []
        var page: String?
        repeat {
            let listed = try await bench.remote.listPage(page, modifiedSince: nil)
            records += listed.records
            page = listed.next
        } while page != nil

        var decided: [String] = []
        let outcomes = try bench.cache.applyPulledPage(accountID: bench.account.id, records: records, source: editor, matchEmail: true,
                                                       dryRun: false, digest: Self.scope.digest,
                                                       decideFromLink: { SyncPlanner.decideFromLink($0, link: $1, scope: Self.scope) }) { record, local in
            decided.append(record.remoteID)
            return SyncPlanner.decide(record, local, scope: Self.scope)
        }
        #expect(decided == ["p5@example.com"])
        #expect(outcomes.map(\.decision).filter { $0 == .keep }.count == 9)
        #expect(Set(outcomes.compactMap(\.contactID)).count == 10, "every record stands for its contact here")
        #expect(try bench.local("p5@example.com")[.firstName] == "Pia")
        #expect(try bench.local("p3@example.com")[.city] == "Lyon")
        #expect(try bench.services.reader.outbox(in: .all).count == 1)
    }

    @Test func aSecondSyncWithNothingChangedCountsEveryContactUnchanged() async throws {
        let bench = try SyncBench(pageSize: 3)
        for index in 1...25 { bench.remote.put([.email: "p\(index)@example.com", .firstName: "P\(index)"]) }
        #expect(try await bench.run().created == 25)
        let again = try await bench.run()
        #expect(again.unchanged == 25 && again.created == 0 && again.updated == 0 && again.deleted == 0)
        #expect(again.isClean && again.listingComplete)
        bench.remote.remove("p7@example.com")
        let afterDelete = try await bench.run()
        #expect(afterDelete.deleted == 1 && afterDelete.unchanged == 24, "a contact missing from a complete listing is still found")
    }

    @Test func aContactTheListingBringsTwiceIsOneContact() async throws {
        // Pages read ahead go into one transaction: the second time a contact comes, its link
        // made the first time must be seen.
        let bench = try SyncBench(pageSize: 3)
        for index in 1...8 { bench.remote.put([.email: "p\(index)@example.com", .firstName: "P\(index)"]) }
        bench.remote.listedAgainAtTheEnd = ["p2@example.com", "p8@example.com"]
        let report = try await bench.run()
        #expect(report.isClean, "\(report.failures) \(report.stopped ?? "")")
        #expect(report.created == 8)
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 8)
        let again = try await bench.run()
        #expect(again.isClean && again.created == 0 && again.unchanged == 10)
    }

    @Test func everyPageReadBeforeAListingBreaksIsKept() async throws {
        let bench = try SyncBench(pageSize: 2)
        for index in 1...9 { bench.remote.put([.email: "p\(index)@example.com"]) }
        bench.remote.listingBreaks(from: 3, with: .transient("HTTP 503"))
        let report = try await bench.run()
        #expect(!report.listingComplete)
        #expect(report.created == 6, "three pages of two were read before the fourth failed")
        #expect(try bench.services.reader.contactCount(in: .account(bench.account.id)) == 6)
        #expect(report.failures.first?.message.contains("stopped after 6") == true)
    }
}
