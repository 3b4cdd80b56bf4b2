import Testing
@testable import RoloStore
import RoloCore
import RoloProviders

@Suite("Writes, the outbox, the audit log, undo and drafts")
struct WriteTests {
    @Test func aLocalAccountsEditsAreHistoryNotDeliveries() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id, custom: ["plan": .select("gold")]), author: tester)
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        edit.clear(.custom("plan"))
        let (updated, deltas) = try cache.updateContact(rob.id!, edit: edit, author: tester)
        #expect(updated[.city] == "Dallas" && updated.custom["plan"] == nil)
        #expect(Set(deltas.map(\.key)) == [.standard(.city), .custom("plan")])
        #expect(try cache.tableCount("outbox") == 0)

        let log = try cache.audit(for: rob.id!)
        #expect(log.map(\.action) == ["update", "create"])
        #expect(log[0].author == tester)
        #expect(log[0].deltas.contains(FieldDelta(key: .standard(.city), before: nil, after: .text("Dallas"))))
        #expect(log[0].deltas.contains(FieldDelta(key: .custom("plan"), before: .custom(.select("gold")), after: nil)))
        #expect(try cache.undoableEditCount(in: .all) == 2)

        try cache.deleteContact(rob.id!, author: tester)
        #expect(try cache.contact(rob.id!) == nil)
        #expect(try cache.audit(for: rob.id!).first?.action == "delete")
        #expect(try cache.tableCount("outbox") == 0)
    }

    @Test func aProviderContactHasOneOutboxEntryThatSaysWhatWaits() throws {
        let (cache, _) = try makeCache()
        let provider = try cache.createAccount(name: "ds", provider: .dailystory)
        let rob = try cache.insertContact(person("Rob", "Howard", account: provider.id), author: tester)
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        try cache.updateContact(rob.id!, edit: edit, author: tester)
        // A create and a later update are one create: the provider has never seen the contact.
        #expect(try cache.outbox().map(\.kind) == [.create])
        #expect(try cache.outbox().map(\.state) == [.pending])

        // Once linked to the provider (as a pull or a confirmed push leaves it), an edit waits
        // as an update, and an edit undone before it was sent leaves nothing waiting.
        let ann = try cache.insertContacts([person("Ann", "Lee", account: provider.id)],
                                           remotes: [RemoteReference(id: "ds-1", modifiedAt: nil)], author: tester)[0]
        #expect(try cache.outbox(for: ann).isEmpty)
        try cache.updateContact(ann, edit: edit, author: tester)
        #expect(try cache.outbox(for: ann).map(\.kind) == [.update])
        _ = try cache.undoLastEdit(in: .account(provider.id), author: tester)
        #expect(try cache.outbox(for: ann).isEmpty)

        try cache.deleteContact(ann, author: tester)
        #expect(try cache.outbox(for: ann).map(\.kind) == [.delete])
        // A contact the provider never had is simply gone: nothing to send.
        try cache.deleteContact(rob.id!, author: tester)
        #expect(try cache.outbox(for: rob.id!).isEmpty)
    }

    @Test func anEditThatChangesNothingWritesNothing() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        var edit = ContactEdit()
        edit.set(.firstName, "Rob")
        let (_, deltas) = try cache.updateContact(rob.id!, edit: edit, author: tester)
        #expect(deltas.isEmpty)
        #expect(try cache.tableCount("audit") == 1)
    }

    @Test func theStoredContactReadsBackIdentically() throws {
        let (cache, account) = try makeCache()
        let original = person("Zoë", "Müller", account: account.id, custom: [
            "score": .number(42.5), "renewal": .date(LocalDate(year: 2024, month: 2, day: 29)!),
            "seen": .datetime(Timestamp(parsing: "2023-06-01T09:00:00.125Z")!), "vip": .bool(true),
            "prefs": .json(.object(["theme": .string("dark"), "n": .number(3)])), "tier": .select("gold"),
            "tags": .multiselect(["a", "b,c"]), "note": .text("  spaced  "),
        ], fields: [.emailOptOut: "true", .notes: "line one\nline two"])
        var withExtensions = original
        withExtensions.extensions = ["dailystory": .object(["geoCode": .string("33.8,-93.8")])]
        let stored = try cache.insertContact(withExtensions, author: tester)
        let loaded = try #require(try cache.contact(stored.id!))
        #expect(loaded == stored)
    }

    @Test func undoWalksBackThroughEditsDeletesAndCreates() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id, city: "Dallas"), author: tester)
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        try cache.updateContact(rob.id!, edit: edit, author: tester)
        try cache.deleteContact(rob.id!, author: tester)

        #expect(try cache.undoLastEdit(in: .all, author: tester)?.kind == .delete)
        #expect(try cache.contact(rob.id!)?[.city] == "Austin")
        #expect(try cache.undoLastEdit(in: .all, author: tester)?.kind == .update)
        #expect(try cache.contact(rob.id!)?[.city] == "Dallas")
        #expect(try cache.names(in: .all, query: "city:dallas") == ["Rob Howard"])
        #expect(try cache.undoLastEdit(in: .all, author: tester)?.kind == .create)
        #expect(try cache.contact(rob.id!) == nil)
        #expect(try cache.contactCount(in: .all) == 0)
        #expect(try cache.undoLastEdit(in: .all, author: tester) == nil)
        #expect(try cache.audit(for: rob.id!).map(\.action).prefix(3) == ["undo create", "undo update", "undo delete"])
    }

    @Test func undoStaysInItsAccount() throws {
        let (cache, local) = try makeCache()
        let other = try cache.createAccount(name: "ds", provider: .dailystory)
        try cache.insertContact(person("Ann", "Lee", account: local.id), author: tester)
        try cache.insertContact(person("Bob", "Ray", account: other.id), author: tester)
        #expect(try cache.undoLastEdit(in: .account(local.id), author: tester)?.displayName == "Ann Lee")
        #expect(try cache.names(in: .all) == ["Bob Ray"])
    }

    @Test func pendingCountsLeaveLocalHistoryOut() throws {
        let (cache, local) = try makeCache()
        let provider = try cache.createAccount(name: "ds", provider: .dailystory)
        try cache.insertContact(person("Ann", "Lee", account: local.id), author: tester)
        let bob = try cache.insertContact(person("Bob", "Ray", account: provider.id), author: tester)
        #expect(try cache.pendingEditCount(in: .all) == 1)
        #expect(try cache.pendingEditCount(in: .account(local.id)) == 0)
        let rows = try cache.window(in: .all, limit: 10).rows
        #expect(rows.map(\.marker) == [.none, .pending])
        #expect(try cache.detail(bob.id!)?.syncState == .pending(.create, attempts: 0, lastError: nil))
        #expect(try cache.detail(rows[0].id)?.syncState == .localOnly)
    }

    @Test func thePendingCountFollowsEditsAndUndos() throws {
        let (cache, _) = try makeCache()
        let provider = try cache.createAccount(name: "ds", provider: .dailystory)
        let ann = try cache.insertContact(person("Ann", "Lee", account: provider.id), author: tester)
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        try cache.updateContact(ann.id!, edit: edit, author: tester)
        // One contact waits, however many edits it carries.
        #expect(try cache.pendingEditCount(in: .account(provider.id)) == 1)
        _ = try cache.undoLastEdit(in: .account(provider.id), author: tester)
        #expect(try cache.pendingEditCount(in: .account(provider.id)) == 1)
        _ = try cache.undoLastEdit(in: .account(provider.id), author: tester)
        #expect(try cache.pendingEditCount(in: .all) == 0)
        #expect(try cache.outbox().isEmpty)
    }

    @Test func savingAContactClearsItsDraft() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        let slot = DraftSlot.contact(rob.id!, accountID: account.id)
        try cache.saveDraft("{\"city\":\"Da\"}", for: slot)
        try cache.saveDraft("{\"city\":\"Dallas\"}", for: slot)
        #expect(try cache.draft(for: slot)?.payload == "{\"city\":\"Dallas\"}")
        #expect(try cache.drafts().count == 1)
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        try cache.updateContact(rob.id!, edit: edit, author: tester)
        #expect(try cache.draft(for: slot) == nil)

        let newSlot = DraftSlot.newContact(accountID: account.id)
        try cache.saveDraft("{}", for: newSlot)
        try cache.insertContact(person("Ann", "Lee", account: account.id), author: tester, clearing: newSlot)
        #expect(try cache.drafts().isEmpty)
    }

    @Test func referencesResolveByShortIDAndUID() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        #expect(try cache.resolve(rob.id!.shortID) == rob.id)
        #expect(try cache.resolve(rob.id!.shortID.uppercased()) == rob.id)
        #expect(try cache.resolve(rob.uid) == rob.id)
        #expect(try cache.resolve("zzzz") == nil)
        try cache.deleteContact(rob.id!, author: tester)
        #expect(try cache.resolve(rob.id!.shortID) == nil)
    }

    @Test func accountNamesAreUniqueIgnoringCase() throws {
        let (cache, _) = try makeCache()
        try cache.createAccount(name: "Notifuse-Demo", provider: .notifuse,
                                definitions: [FieldDefinition(key: "plan", type: .text, providerRef: "custom_string_1")])
        #expect(throws: RoloError.self) { try cache.createAccount(name: "notifuse-demo", provider: .local) }
        #expect(throws: RoloError.self) { try cache.createAccount(name: "has space", provider: .local) }
        let account = try #require(try cache.account(named: "NOTIFUSE-demo"))
        #expect(try cache.fieldDefinitions(accountID: account.id).map(\.providerRef) == ["custom_string_1"])
    }
}
