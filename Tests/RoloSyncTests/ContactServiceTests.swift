import Foundation
import Testing
import RoloCore
import RoloProviders
import RoloInterchange
import RoloStore
@testable import RoloSync

/// Creating, editing, deleting and undoing through the service: each accepted edit leaves the
/// contact, one outbox entry and one audit row; a refused or empty edit leaves nothing.
@Suite("Contact service: edits, outbox, audit and undo")
struct RoloServicesTests {
    let service: RoloServices
    let cache: LocalCache
    let local: Account

    init() throws {
        (service, cache) = try freshService()
        local = try service.accounts.defaultAccount()
    }

    /// Adds a contact to the local account and returns its id.
    func added(_ texts: String...) throws -> ContactID {
        let outcome = try service.editor.add(try texts.map { try FieldAssignment(parsing: $0) }, to: local)
        return try #require(outcome.contact.id)
    }

    // MARK: - Create

    @Test func addingAContactWritesItWithOneUndoableHistoryRowSignedByTheEditor() throws {
        let outcome = try service.editor.add(try assignments("first_name=Ana", "last_name=Lima", "email=ana@example.com",
                                                      "mobile=+1 (555) 714-0059", "plan=gold"), to: local)
        let id = try #require(outcome.contact.id)

        let stored = try service.reader.contact(id)
        #expect(stored[.firstName] == "Ana")
        #expect(stored[.mobilePhone] == "+15557140059", "phones are stored in E.164")
        #expect(stored.custom == ["plan": .text("gold")])
        #expect(stored.accountID == local.id)
        #expect(stored.createdAt == frozenNow)

        // A local account sends nothing anywhere: no outbox entry, but an edit undo can reach.
        #expect(try service.reader.outbox(for: id).isEmpty)
        #expect(try cache.undoableEditCount(in: .account(local.id)) == 1)

        let audit = try service.reader.audit(for: id)
        #expect(audit.count == 1)
        #expect(audit.first?.action == "create")
        #expect(audit.first?.author.user == "morgan")
        #expect(audit.first?.author.clientAddress == "198.51.100.23")
        #expect(audit.first?.at == frozenNow)
        #expect(audit.first?.deltas.contains(FieldDelta(key: .standard(.email), before: nil, after: .text("ana@example.com"))) == true)
        #expect(audit.first?.deltas.contains(FieldDelta(key: .custom("plan"), before: nil, after: .custom(.text("gold")))) == true)
        #expect(audit.first?.deltas.allSatisfy { $0.before == nil } == true)

        #expect(try cache.tableCounts() == TableCounts(contacts: 1, outbox: 0, audit: 1, remoteLinks: 0))
        #expect(Set(outcome.deltas.map(\.key)) == Set(stored.keysWithValues))
    }

    @Test func creatingATypedContactNormalisesItsValuesAndClearsTheNewContactDraft() throws {
        let slot = try service.openForm(.newContact(accountID: local.id))
        #expect(try service.drafts.saveDraft(#"{"first_name":"Bo"}"#, in: slot))
        let typed = Contact(accountID: local.id, fields: [.firstName: "Bo", .email: "  bo@example.com ",
                                                          .phone: "0044 20 7946 0958", .emailOptOut: "yes"],
                            custom: ["since": .date(day("2024-02-29"))])
        let outcome = try service.editor.create(typed, releasing: slot)
        let stored = try service.reader.contact(try #require(outcome.contact.id))
        #expect(stored[.email] == "bo@example.com")
        #expect(stored[.phone] == "+442079460958")
        #expect(stored[.emailOptOut] == "true")
        #expect(stored.custom["since"] == .date(day("2024-02-29")))
        #expect(try service.drafts.drafts().isEmpty, "the draft the contact came from is gone once it is saved")
    }

    @Test func aRefusedCreateWritesNothingAndNamesEveryBadField() throws {
        let slot = try service.openForm(.newContact(accountID: local.id))
        #expect(try service.drafts.saveDraft("unfinished", in: slot))
        let issues = try #require(refusal {
            _ = try service.editor.add(try assignments("email=not-an-address", "mobile_phone=12", "website=not a site"), to: local)
        })
        #expect(Set(issues.map(\.field)) == ["email", "mobile_phone", "website"])
        #expect(issues.allSatisfy { $0.severity == .error })
        #expect(try cache.tableCounts() == TableCounts(contacts: 0, outbox: 0, audit: 0, remoteLinks: 0))

        let typed = Contact(accountID: local.id, fields: [.email: "nobody@", .firstName: "X"])
        let typedIssues = try #require(refusal { _ = try service.editor.create(typed, releasing: slot) })
        #expect(typedIssues.map(\.field) == ["email"])
        #expect(try cache.tableCounts() == TableCounts(contacts: 0, outbox: 0, audit: 0, remoteLinks: 0))
        #expect(try service.draftText(slot) == "unfinished", "a refused save keeps the draft")
    }

    @Test func anAcceptedEditIsOnDiskBeforeTheServiceReturns() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("data/cache.sqlite")
        let onDisk = try RoloServices.open(path: path, catalog: .standard, author: editor)
        #expect(onDisk.cachePath == path)
        let id = try #require(try onDisk.editor.add(try assignments("email=ana@example.com", "city=Porto"),
                                                    to: try onDisk.accounts.defaultAccount()).contact.id)

        // Another process opening the same file sees the contact with its audit row.
        let reader = try LocalCache(path: path, catalog: .standard)
        #expect(try reader.contact(id)?[.city] == "Porto")
        #expect(try reader.audit(for: id).map(\.author) == [editor])
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600, "the cache holds personal data")
    }

    @Test func aLocalContactNeedsAnEmailOrAMobilePhone() throws {
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Ana", "city=Lisbon"), to: local) })
        #expect(issues.count == 1)
        #expect(issues.first?.field == "email/mobile_phone")
        #expect(issues.first?.message == "Local needs email or mobile phone")
        #expect(try service.reader.contactCount(in: .all) == 0)

        _ = try added("first_name=Ana", "mobile_phone=+44 7700 900281")
        _ = try added("first_name=Rui", "email=rui@example.com")
        #expect(try service.reader.contactCount(in: .all) == 2)
    }

    // MARK: - Update

    @Test func updatingWritesTheChangesWithOneUpdateEntryAndOneAuditRow() throws {
        let id = try added("email=rob@example.com", "city=Dallas", "company=Acme", "score=7")
        let outcome = try service.editor.update(id, assignments: try assignments("city=Austin", "company=", "score=8"))

        let expected: Set<FieldDelta> = [
            FieldDelta(key: .standard(.city), before: .text("Dallas"), after: .text("Austin")),
            FieldDelta(key: .standard(.company), before: .text("Acme"), after: nil),
            FieldDelta(key: .custom("score"), before: .custom(.number(7)), after: .custom(.number(8))),
        ]
        #expect(Set(outcome.deltas) == expected)

        let stored = try service.reader.contact(id)
        #expect(stored[.city] == "Austin")
        #expect(stored[.company] == nil)
        #expect(stored[.email] == "rob@example.com", "fields the edit does not name are kept")
        #expect(stored.custom["score"] == .number(8))

        let audit = try service.reader.audit(for: id)
        #expect(Set(audit.first?.deltas ?? []) == expected)
        #expect(audit.map(\.action) == ["update", "create"])
        #expect(audit.first?.author == editor)
        #expect(Set(audit.first?.deltas ?? []) == expected)
        #expect(try cache.tableCounts() == TableCounts(contacts: 1, outbox: 0, audit: 2, remoteLinks: 0))
    }

    @Test func anEditThatChangesNothingWritesNothing() throws {
        let id = try added("email=rob@example.com", "city=Dallas", "score=7")
        let before = try cache.tableCounts()
        let stored = try service.reader.contact(id)

        let same = try service.editor.update(id, assignments: try assignments("city=Dallas", "score=7", "company="))
        #expect(same.deltas.isEmpty)
        let empty = try service.editor.save(ContactEdit(), to: id)
        #expect(empty.deltas.isEmpty)
        var rewrite = ContactEdit()
        rewrite.set(.city, "Dallas")
        rewrite.set(custom: "score", .number(7))
        #expect(try service.editor.save(rewrite, to: id).deltas.isEmpty)

        #expect(try cache.tableCounts() == before)
        #expect(try service.reader.contact(id) == stored)
        #expect(try cache.undoableEditCount(in: .all) == 1)
    }

    @Test func aRefusedEditLeavesTheContactAndItsDraftAsTheyWere() throws {
        let id = try added("email=rob@example.com", "city=Dallas")
        let slot = try service.openForm(.contact(id, accountID: local.id))
        #expect(try service.drafts.saveDraft("half typed", in: slot))
        let before = try cache.tableCounts()

        let issues = try #require(refusal {
            _ = try service.editor.update(id, assignments: try assignments("city=Austin", "email=broken", "phone=12"))
        })
        #expect(Set(issues.map(\.field)) == ["email", "phone"], "every problem is reported at once")
        #expect(try service.reader.contact(id)[.city] == "Dallas")
        #expect(try cache.tableCounts() == before)
        #expect(try service.draftText(slot) == "half typed")

        var typed = ContactEdit()
        typed.set(.timezone, "Mars/Olympus_Mons")
        #expect(try #require(refusal { _ = try service.editor.save(typed, to: id, releasing: slot) }).map(\.field) == ["timezone"])
        #expect(try service.draftText(slot) == "half typed")
        #expect(try cache.tableCounts() == before)
    }

    @Test func savingAnEditClearsTheContactsDraft() throws {
        let id = try added("email=rob@example.com")
        let slot = try service.openForm(.contact(id, accountID: local.id))
        #expect(try service.drafts.saveDraft("city: Fort Wor", in: slot))
        var edit = ContactEdit()
        edit.set(.city, "Fort Worth")
        _ = try service.editor.save(edit, to: id, releasing: slot)
        #expect(try service.drafts.drafts().isEmpty)
        #expect(try service.drafts.draftHolder(slot) == nil)
        #expect(try service.reader.contact(id)[.city] == "Fort Worth")
    }

    @Test func clearingTheOnlyWayToReachAContactIsRefused() throws {
        let id = try added("email=rob@example.com", "city=Dallas")
        let issues = try #require(refusal {
            _ = try service.editor.update(id, assignments: [FieldAssignment(key: .standard(.email), change: .clear)])
        })
        #expect(issues.map(\.field) == ["fields"])
        #expect(issues.first?.message == "Local needs email or mobile phone")
        #expect(try service.reader.contact(id)[.email] == "rob@example.com")

        // Swapping the email for a mobile phone in one edit is fine.
        _ = try service.editor.update(id, assignments: [FieldAssignment(key: .standard(.email), change: .clear),
                                                 try FieldAssignment(parsing: "mobile=+15557140059")])
        let stored = try service.reader.contact(id)
        #expect(stored[.email] == nil)
        #expect(stored[.mobilePhone] == "+15557140059")
    }

    @Test func onlyTheFieldsAnEditTouchesAreJudged() throws {
        // A contact as a provider sent it: its phone is not in E.164, which rolo would refuse.
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let pulled = Contact(accountID: ds.id, fields: [.email: "pat@example.com", .phone: "555-0100"])
        let id = try cache.insertContacts([pulled], remotes: [RemoteReference(id: "ds-1", modifiedAt: nil)], author: editor)[0]

        _ = try service.editor.update(id, assignments: try assignments("city=Austin"))
        #expect(try service.reader.contact(id)[.city] == "Austin")
        #expect(try service.reader.contact(id)[.phone] == "555-0100")

        let issues = try #require(refusal { _ = try service.editor.update(id, assignments: try assignments("phone=555-0199")) })
        #expect(issues.map(\.field) == ["phone"])
        #expect(try service.reader.contact(id)[.phone] == "555-0100")
    }

    @Test func aContactThatAlreadyMissesARequiredFieldCanStillBeEdited() throws {
        let ivvy = try service.accounts.createAccount(name: "ivvy", provider: .ivvy)
        let pulled = Contact(accountID: ivvy.id, fields: [.email: "kim@example.com", .firstName: "Kim"])
        let id = try cache.insertContacts([pulled], remotes: [RemoteReference(id: "7427530", modifiedAt: nil)], author: editor)[0]
        _ = try service.editor.update(id, assignments: try assignments("first_name=Kimberly"))
        #expect(try service.reader.contact(id)[.firstName] == "Kimberly")

        // A complete contact cannot be made incomplete.
        _ = try service.editor.update(id, assignments: try assignments("last_name=Park"))
        let issues = try #require(refusal {
            _ = try service.editor.update(id, assignments: [FieldAssignment(key: .standard(.lastName), change: .clear)])
        })
        #expect(issues.first?.field == "fields")
        #expect(issues.first?.message == "iVvy needs last name")
        #expect(try service.reader.contact(id)[.lastName] == "Park")
    }

    // MARK: - Delete

    @Test func deletingHidesTheContactQueuesTheDeleteAndAuditsEveryValue() throws {
        let id = try added("first_name=Rob", "email=rob@example.com", "city=Dallas")
        let slot = try service.openForm(.contact(id, accountID: local.id))
        #expect(try service.drafts.saveDraft("unsaved", in: slot))

        let removed = try service.editor.delete(id)
        #expect(removed[.city] == "Dallas")
        #expect(notFoundMessage { _ = try service.reader.contact(id) } != nil)
        #expect(try service.reader.contactCount(in: .all) == 0)
        #expect(try service.listedNames().isEmpty)
        #expect(try service.listedNames(matching: "dallas").isEmpty)
        #expect(try service.drafts.drafts().isEmpty)
        #expect(try !service.drafts.saveDraft("typed on", in: slot), "the form of a deleted contact has nowhere to go")

        #expect(try cache.undoableEditCount(in: .all) == 2)
        let audit = try service.reader.audit(for: id)
        #expect(audit.map(\.action) == ["delete", "create"])
        #expect(audit.first?.author == editor)
        #expect(audit.first?.deltas.contains(FieldDelta(key: .standard(.city), before: .text("Dallas"), after: nil)) == true)
        #expect(audit.first?.deltas.allSatisfy { $0.after == nil } == true)
        #expect(try cache.tableCounts() == TableCounts(contacts: 1, outbox: 0, audit: 2, remoteLinks: 0),
                "the row stays as a tombstone, so undo can bring it back")
    }

    // MARK: - Undo

    @Test func undoingTheLastUnsentEditPutsBackThePreviousValues() throws {
        let id = try added("email=rob@example.com", "city=Dallas", "plan=gold", "since=2024-02-29")
        _ = try service.editor.update(id, assignments: try assignments("city=Austin", "plan=", "since=2025-01-01", "score=3"))

        let outcome = try #require(try service.editor.undoLastEdit(in: .all))
        #expect(outcome.kind == .update)
        #expect(outcome.contactID == id)
        #expect(outcome.deltas.contains(FieldDelta(key: .standard(.city), before: .text("Austin"), after: .text("Dallas"))))

        let restored = try service.reader.contact(id)
        #expect(restored[.city] == "Dallas")
        #expect(restored.custom == ["plan": .text("gold"), "since": .date(day("2024-02-29"))])
        #expect(try cache.undoableEditCount(in: .all) == 1, "the undone edit is out of undo's reach")
        let audit = try service.reader.audit(for: id)
        #expect(audit.first?.action == "undo update")
        #expect(audit.first?.author == editor)
        #expect(try service.listedNames(matching: "dallas") == ["rob@example.com"])
        #expect(try service.listedNames(matching: "austin").isEmpty)
        #expect(try cache.tableCounts() == TableCounts(contacts: 1, outbox: 0, audit: 3, remoteLinks: 0))
    }

    @Test func undoingADeleteBringsTheContactBackIntoTheList() throws {
        let id = try added("first_name=Rob", "email=rob@example.com", "city=Dallas")
        try service.editor.delete(id)
        let outcome = try #require(try service.editor.undoLastEdit(in: .all))
        #expect(outcome.kind == .delete)
        #expect(try service.reader.contact(id)[.city] == "Dallas")
        #expect(try service.listedNames(matching: "dallas") == ["Rob"])
        #expect(try cache.undoableEditCount(in: .all) == 1)
        #expect(try service.reader.audit(for: id).first?.action == "undo delete")
    }

    @Test func undoingACreateRemovesTheContactButKeepsItsHistory() throws {
        let id = try added("first_name=Rob", "email=rob@example.com")
        let outcome = try #require(try service.editor.undoLastEdit(in: .all))
        #expect(outcome.kind == .create)
        #expect(outcome.displayName == "Rob")
        #expect(notFoundMessage { _ = try service.reader.contact(id) } != nil)
        #expect(try service.reader.contactCount(in: .all) == 0)
        #expect(try service.reader.outbox().isEmpty)
        #expect(try service.reader.audit(for: id).map(\.action) == ["undo create", "create"])
    }

    @Test func undoWalksBackwardsOneEditAtATimeUntilThereIsNothingLeft() throws {
        let id = try added("email=rob@example.com", "city=Dallas")
        _ = try service.editor.update(id, assignments: try assignments("city=Austin"))
        _ = try service.editor.update(id, assignments: try assignments("city=Houston"))
        #expect(try service.editor.undoLastEdit(in: .all)?.kind == .update)
        #expect(try service.reader.contact(id)[.city] == "Austin")
        #expect(try service.editor.undoLastEdit(in: .all)?.kind == .update)
        #expect(try service.reader.contact(id)[.city] == "Dallas")
        #expect(try service.editor.undoLastEdit(in: .all)?.kind == .create)
        #expect(try service.editor.undoLastEdit(in: .all) == nil)
        #expect(try service.editor.undoLastEdit(in: .account(local.id)) == nil)
    }

    @Test func undoOnlyLooksAtTheAccountItIsAskedAbout() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let localID = try added("email=rob@example.com", "city=Dallas")
        _ = try service.editor.update(localID, assignments: try assignments("city=Austin"))
        let dsID = try #require(try service.editor.add(try assignments("email=kim@example.com", "city=Reno"), to: ds).contact.id)
        _ = try service.editor.update(dsID, assignments: try assignments("city=Elko"))

        let outcome = try #require(try service.editor.undoLastEdit(in: .account(local.id)))
        #expect(outcome.contactID == localID)
        #expect(try service.reader.contact(localID)[.city] == "Dallas")
        #expect(try service.reader.contact(dsID)[.city] == "Elko", "the newer edit in another account is untouched")
        #expect(try service.reader.outbox(for: dsID).map(\.kind) == [.create])
        #expect(try cache.undoableEditCount(in: .account(ds.id)) == 2)
    }

    // MARK: - Pending edits and sync state

    @Test func editsInProviderAccountsWaitForSendingWhileLocalOnesDoNot() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let localID = try added("email=rob@example.com")
        let dsID = try #require(try service.editor.add(try assignments("email=kim@example.com"), to: ds).contact.id)
        _ = try service.editor.update(dsID, assignments: try assignments("city=Reno"))

        #expect(try service.reader.detail(localID).syncState == .localOnly)
        #expect(try service.reader.detail(dsID).syncState == .pending(.create, attempts: 0, lastError: nil))
        #expect(try service.accounts.deliveryStatus(in: .all).pending == 1)
        #expect(try service.accounts.deliveryStatus(in: .account(local.id)).pending == 0)

        let linked = Contact(accountID: ds.id, fields: [.email: "lee@example.com"])
        let linkedID = try cache.insertContacts([linked], remotes: [RemoteReference(id: "ds-9", modifiedAt: nil)], author: editor)[0]
        #expect(try service.reader.detail(linkedID).syncState == .synced)
        _ = try service.editor.update(linkedID, assignments: try assignments("city=Ely"))
        #expect(try service.reader.detail(linkedID).syncState == .pending(.update, attempts: 0, lastError: nil))
        #expect(try service.accounts.deliveryStatus(in: .account(ds.id)).pending == 2)
    }

    // MARK: - Finding contacts and accounts

    @Test func aContactIsFoundByShortIDUIDEmailOrProviderID() throws {
        let id = try added("email=Rob@Example.com")
        let uid = try service.reader.contact(id).uid
        #expect(try service.reader.resolve(id.shortID) == id)
        #expect(try service.reader.resolve(uid) == id)
        #expect(try service.reader.resolve(uid.uppercased()) == id)
        #expect(try service.reader.resolve(" rob@example.COM ") == id)

        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let linked = Contact(accountID: ds.id, fields: [.email: "kim@example.com"])
        let linkedID = try cache.insertContacts([linked], remotes: [RemoteReference(id: "43aaf5af35f866b1edba7", modifiedAt: nil)],
                                                author: editor)[0]
        #expect(try service.reader.resolve("43aaf5af35f866b1edba7") == linkedID)
        #expect(try service.reader.resolve("kim@example.com", in: .account(ds.id)) == linkedID)
        #expect(notFoundMessage { _ = try service.reader.resolve("kim@example.com", in: .account(local.id)) } == "no contact kim@example.com")
    }

    @Test func anEmailSharedByTwoContactsAsksForAnID() throws {
        let first = try added("first_name=A", "email=twin@example.com")
        let second = try added("first_name=B", "email=TWIN@example.com")
        let issues = try #require(refusal { _ = try service.reader.resolve("twin@example.com") })
        #expect(issues.first?.field == "id")
        let message = issues.first?.message ?? ""
        #expect(message.contains("2 contacts"))
        #expect(message.contains(first.shortID) && message.contains(second.shortID))
    }

    @Test func missingContactsAndAccountsAreReportedAsNotFound() throws {
        let ghost = ContactID(4242)
        #expect(notFoundMessage { _ = try service.reader.contact(ghost) } == "no contact \(ghost.shortID)")
        #expect(notFoundMessage { _ = try service.reader.detail(ghost) } == "no contact \(ghost.shortID)")
        #expect(notFoundMessage { _ = try service.editor.update(ghost, assignments: try assignments("city=X")) } != nil)
        #expect(notFoundMessage { _ = try service.editor.save(ContactEdit(), to: ghost) } != nil)
        #expect(notFoundMessage { _ = try service.editor.delete(ghost) } != nil)
        #expect(notFoundMessage { _ = try service.reader.resolve("nobody-at-all") } == "no contact nobody-at-all")
        #expect(notFoundMessage { _ = try service.accounts.account(id: 99) } == "no account with id 99")
        _ = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        #expect(notFoundMessage { _ = try service.accounts.account(named: "nope") } == "no account named nope (accounts: local, ds)")
        #expect(try service.accounts.account(named: "DS").provider == .dailystory)

        let id = try added("email=rob@example.com")
        try service.editor.delete(id)
        #expect(notFoundMessage { _ = try service.editor.update(id, assignments: try assignments("city=X")) } != nil)
        #expect(notFoundMessage { _ = try service.editor.delete(id) } != nil)
        #expect(notFoundMessage { _ = try service.reader.resolve(id.shortID) } != nil)
        #expect(try cache.tableCounts().audit == 2, "failed lookups write nothing")
    }

    @Test func anAccountNameMustBeFreeAndWithoutSpaces() throws {
        _ = try service.accounts.createAccount(name: "work", provider: .notifuse)
        #expect(try #require(refusal { _ = try service.accounts.createAccount(name: "WORK", provider: .ivvy) }).first?.field == "account")
        #expect(try #require(refusal { _ = try service.accounts.createAccount(name: "my work", provider: .ivvy) }).first?.field == "account")
        #expect(try service.accounts.accounts().map(\.name) == ["local", "work"])
    }

    @Test func aSummaryIsGivenOnlyWhenTheContactMatchesTheQuery() throws {
        let id = try added("first_name=Rob", "email=rob@example.com", "city=Dallas")
        #expect(try service.reader.summary(of: id, in: .all)?.displayName == "Rob")
        #expect(try service.reader.summary(of: id, in: .all, matching: ContactQuery("city:dallas"))?.id == id)
        #expect(try service.reader.summary(of: id, in: .all, matching: ContactQuery("city:austin")) == nil)
        #expect(try service.reader.summary(of: id, in: .account(local.id + 1)) == nil)
    }

    // MARK: - Who made the edit

    @Test func theAuthorIsTheLoginNameAndTheSSHClientAddress() throws {
        #expect(Author.current(environment: ["USER": "sam", "SSH_CLIENT": "203.0.113.9 51234 22"])
                == Author(user: "sam", clientAddress: "203.0.113.9"))
        #expect(Author.current(environment: ["LOGNAME": "lee", "SSH_CONNECTION": "192.0.2.1 40000 10.0.0.5 22"])
                == Author(user: "lee", clientAddress: "192.0.2.1"))
        #expect(Author.current(environment: ["USER": "sam"]) == Author(user: "sam", clientAddress: nil))

        let (other, _) = try freshService(author: Author.current(environment: ["USER": "sam", "SSH_CLIENT": "203.0.113.9 1 22"]))
        let id = try #require(try other.editor.add(try assignments("email=x@example.com"), to: try other.accounts.defaultAccount()).contact.id)
        #expect(try other.reader.audit(for: id).first?.author == Author(user: "sam", clientAddress: "203.0.113.9"))
    }
}

/// Unfinished forms, and the rolo each belongs to.
@Suite("Contact service: drafts")
struct DraftTests {
    let cache: LocalCache
    let local: Account
    let running = Running()

    init() throws {
        cache = try LocalCache(catalog: .standard, clock: { frozenNow })
        local = try cache.defaultAccount()
    }

    /// Pretend rolo processes: all run until ended.
    final class Running: @unchecked Sendable {
        private let lock = NSLock()
        private var ended = Set<Int32>()
        func end(_ pid: Int32) { _ = lock.withLock { ended.insert(pid) } }
        func callAsFunction(_ session: EditorSession) -> Bool { lock.withLock { !ended.contains(session.pid) } }
    }

    /// Rolo process `pid` on the shared cache.
    func rolo(_ pid: Int32, user: String = "morgan") -> RoloServices {
        let session = EditorSession(user: user, clientAddress: nil, host: "jump", pid: pid, processStart: 7, bootID: "b")
        return RoloServices(cache: cache, author: Author(user: user, clientAddress: nil), session: session,
                              isRunning: { [running] in running($0) })
    }

    @Test func aDraftIsSavedFoundReplacedAndDiscarded() throws {
        let service = rolo(1)
        let id = try #require(try service.editor.add(try assignments("email=rob@example.com"), to: local).contact.id)
        let slot = try service.openForm(.contact(id, accountID: local.id))
        #expect(try service.drafts.drafts().isEmpty, "an open form with nothing typed is no draft to offer")

        #expect(try service.drafts.saveDraft(#"{"city":"Fort Wo"}"#, in: slot))
        #expect(try service.drafts.saveDraft(#"{"city":"Fort Worth"}"#, in: slot))
        let draft = try #require(try service.drafts.drafts().first)
        #expect(draft.payload == #"{"city":"Fort Worth"}"#)
        #expect(draft.contactID == id)
        #expect(draft.accountID == local.id)
        #expect(draft.savedAt == frozenNow)
        #expect(draft.holder == DraftHolder(session: service.drafts.session, since: frozenNow))
        #expect(try service.drafts.drafts().count == 1, "saving again replaces the draft")

        try service.drafts.releaseDraft(slot)
        #expect(try service.drafts.drafts().isEmpty)
    }

    @Test func aSecondRoloIsToldWhoIsEditingAndGetsNoneOfTheirText() throws {
        let (ana, bo) = (rolo(1, user: "ana"), rolo(2, user: "bo"))
        let id = try #require(try ana.editor.add(try assignments("email=rob@example.com"), to: local).contact.id)
        let slot = DraftSlot.contact(id, accountID: local.id)
        let anas = try ana.openForm(slot)
        #expect(try ana.drafts.saveDraft("ana's text", in: anas))
        #expect(try bo.drafts.claimDraft(slot) == .held(by: DraftHolder(session: ana.drafts.session, since: frozenNow)))
        #expect(try bo.drafts.draftsLeftBehind().isEmpty, "a form being typed in is not offered to others")

        guard case .claimed(anas, let left?, let from?) = try bo.drafts.claimDraft(slot, takingOver: true) else {
            Issue.record("bo could not take the form over")
            return
        }
        #expect(left.payload == "ana's text")
        #expect(from.session == ana.drafts.session)
        #expect(try !ana.drafts.saveDraft("ana types on", in: anas))
        try ana.drafts.releaseDraft(anas)
        #expect(try bo.draftText(anas) == "ana's text", "ana discarding does not throw bo's form away")
        var edit = ContactEdit()
        edit.set(.city, "Ana's")
        #expect(throws: DraftNotHeld.self) { _ = try ana.editor.save(edit, to: id, releasing: anas) }
        edit.set(.city, "Bo's")
        _ = try bo.editor.save(edit, to: id, releasing: anas)
        #expect(try bo.reader.contact(id)[.city] == "Bo's")
    }

    @Test func aFormWhoseRoloEndedGoesToTheNextOne() throws {
        let (ana, bo) = (rolo(1, user: "ana"), rolo(2, user: "bo"))
        let id = try #require(try ana.editor.add(try assignments("email=rob@example.com"), to: local).contact.id)
        let slot = DraftSlot.contact(id, accountID: local.id)
        #expect(try ana.drafts.saveDraft("left behind", in: try ana.openForm(slot)))
        running.end(1)
        #expect(try bo.drafts.draftsLeftBehind().map(\.payload) == ["left behind"])
        guard case .claimed(_, let left?, let from?) = try bo.drafts.claimDraft(slot) else {
            Issue.record("bo was not given the form")
            return
        }
        #expect(left.payload == "left behind" && from.session.user == "ana")
        #expect(!bo.drafts.holderIsRunning(from))
    }

    @Test func newContactsHaveAFormPerRoloAndAccount() throws {
        let (ana, bo) = (rolo(1), rolo(2))
        let ds = try ana.accounts.createAccount(name: "ds", provider: .dailystory)
        let anaLocal = try ana.openForm(.newContact(accountID: local.id))
        let anaDS = try ana.openForm(.newContact(accountID: ds.id))
        let boLocal = try bo.openForm(.newContact(accountID: local.id))
        #expect(Set([anaLocal, anaDS, boLocal]).count == 3)
        #expect(try ana.openForm(.newContact(accountID: local.id)) == anaLocal, "the same rolo gets its own form back")
        #expect(try ana.drafts.saveDraft("new local", in: anaLocal))
        #expect(try ana.drafts.saveDraft("new ds", in: anaDS))
        #expect(try bo.drafts.saveDraft("bo's", in: boLocal))
        #expect(Set(try ana.drafts.drafts().map(\.payload)) == ["new local", "new ds", "bo's"])
        #expect(try ana.drafts.drafts().allSatisfy { $0.contactID == nil })

        try ana.drafts.releaseDraft(anaLocal)
        #expect(Set(try ana.drafts.drafts().map(\.payload)) == ["new ds", "bo's"])
    }
}
