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

    @Test func furtherEmailsAndPhonesAreStoredSearchedAndCounted() throws {
        let (cache, account) = try makeCache()
        var ann = person("Ann", "Lee", email: "ann@work.example", account: account.id)
        ann.otherEmails = [LabelledValue(label: "home", value: "ann.lee@home.example"), LabelledValue(value: "al@club.example")]
        ann.otherPhones = [LabelledValue(label: "work fax", value: "+12145550101")]
        let stored = try cache.insertContact(ann, author: tester)
        _ = try cache.insertContact(person("Bob", "Ray", account: account.id), author: tester)
        #expect(try cache.contact(stored.id!) == stored, "in their order, with their labels")
        #expect(try cache.names(in: .all, query: "email:home") == ["Ann Lee"], "a further email is an email")
        #expect(try cache.names(in: .all, query: "club") == ["Ann Lee"])
        #expect(try cache.names(in: .all, query: "phone:5550101") == ["Ann Lee"], "a further phone is a phone")
        #expect(try cache.otherValueCounts(in: .all) == (2, 1))
        // An edit of another field keeps them; a contact without any has none.
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        let edited = try cache.updateContact(stored.id!, edit: edit, author: tester).contact
        #expect(edited.otherEmails == ann.otherEmails && edited.otherPhones == ann.otherPhones)
        try cache.deleteContact(stored.id!, author: tester)
        #expect(try cache.otherValueCounts(in: .all) == (0, 0), "deleted contacts are not exported")
        #expect(try cache.names(in: .all, query: "club").isEmpty)
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
        let ana = session(pid: 10)
        guard case .claimed(let draft, nil, nil) = try cache.claimDraft(.contact(rob.id!, accountID: account.id), for: ana,
                                                                       isRunning: { _ in true }) else {
            Issue.record("the form was not given")
            return
        }
        #expect(try cache.saveDraft("{\"city\":\"Da\"}", in: draft, by: ana))
        #expect(try cache.saveDraft("{\"city\":\"Dallas\"}", in: draft, by: ana))
        #expect(try cache.drafts().map(\.payload) == ["{\"city\":\"Dallas\"}"])
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        try cache.updateContact(rob.id!, edit: edit, author: tester, releasing: (draft, ana))
        #expect(try cache.tableCount("draft") == 0)

        guard case .claimed(let new, nil, nil) = try cache.claimDraft(.newContact(accountID: account.id), for: ana,
                                                                     isRunning: { _ in true }) else {
            Issue.record("the new form was not given")
            return
        }
        #expect(try cache.saveDraft("{}", in: new, by: ana))
        try cache.insertContact(person("Ann", "Lee", account: account.id), author: tester, releasing: (new, ana))
        #expect(try cache.tableCount("draft") == 0)
    }

    /// A save from a form another rolo took over is refused as a whole, and `rolo set` (no
    /// draft named) leaves the form someone is typing in alone.
    @Test func aSaveFromAFormTakenOverWritesNothing() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        let slot = DraftSlot.contact(rob.id!, accountID: account.id)
        let (ana, bo) = (session(pid: 10), session(pid: 11, user: "bo"))
        guard case .claimed(let draft, _, _) = try cache.claimDraft(slot, for: ana, isRunning: { _ in true }) else {
            Issue.record("the form was not given")
            return
        }
        #expect(try cache.saveDraft("ana's text", in: draft, by: ana))
        var byScript = ContactEdit()
        byScript.set(.postcode, "75201")
        try cache.updateContact(rob.id!, edit: byScript, author: tester)
        #expect(try cache.drafts().map(\.payload) == ["ana's text"], "a script's edit keeps the form's draft")

        guard case .held(let holder) = try cache.claimDraft(slot, for: bo, isRunning: { _ in true }) else {
            Issue.record("bo was given the form ana is typing in")
            return
        }
        #expect(holder.session == ana)
        guard case .claimed(draft, let left?, let from?) = try cache.claimDraft(slot, for: bo, takingOver: true, isRunning: { _ in true }) else {
            Issue.record("the form was not taken over")
            return
        }
        #expect(left.payload == "ana's text" && from.session == ana)
        #expect(try !cache.saveDraft("ana types on", in: draft, by: ana), "the rolo that lost the form cannot write into it")
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        let outboxBefore = try cache.tableCount("outbox")
        #expect(throws: DraftNotHeld.self) { try cache.updateContact(rob.id!, edit: edit, author: tester, releasing: (draft, ana)) }
        #expect(try cache.contact(rob.id!)?[.city] == nil)
        #expect(try cache.tableCount("outbox") == outboxBefore)
        try cache.releaseDraft(draft, by: ana)
        #expect(try cache.drafts().map(\.payload) == ["ana's text"], "nor throw it away")
        #expect(try cache.draftHolder(draft)?.session == bo)
    }

    /// A form whose rolo ended is picked up by the next; new contacts get a form per rolo.
    @Test func formsLeftBehindAreOfferedAndNewContactsHaveOneFormPerRolo() throws {
        let (cache, account) = try makeCache()
        let rob = try cache.insertContact(person("Rob", "Howard", account: account.id), author: tester)
        let (ana, bo) = (session(pid: 10), session(pid: 11, user: "bo"))
        var running: Set<Int32> = [10, 11]
        let isRunning = { (session: EditorSession) in running.contains(session.pid) }
        guard case .claimed(let robDraft, _, _) = try cache.claimDraft(.contact(rob.id!, accountID: account.id), for: ana, isRunning: isRunning),
              case .claimed(let anaNew, _, _) = try cache.claimDraft(.newContact(accountID: account.id), for: ana, isRunning: isRunning),
              case .claimed(let boNew, nil, nil) = try cache.claimDraft(.newContact(accountID: account.id), for: bo, isRunning: isRunning) else {
            Issue.record("forms were not given")
            return
        }
        #expect(anaNew != boNew, "each rolo has its own new contact")
        #expect(try cache.saveDraft("rob", in: robDraft, by: ana))
        #expect(try cache.saveDraft("ana's new", in: anaNew, by: ana))
        #expect(try cache.saveDraft("bo's new", in: boNew, by: bo))
        #expect(try cache.draftsLeftBehind(isRunning: isRunning).isEmpty)

        running.remove(10)   // ana's rolo is killed
        #expect(Set(try cache.draftsLeftBehind(isRunning: isRunning).map(\.payload)) == ["rob", "ana's new"])
        guard case .claimed(anaNew, let left?, let from?)? = try cache.adoptDraft(anaNew, for: bo, isRunning: isRunning) else {
            Issue.record("the new contact left behind was not adopted")
            return
        }
        #expect(left.payload == "ana's new" && from.session == ana)
        let leftBehind = try #require(try cache.draftsLeftBehind(isRunning: isRunning).first)
        #expect(leftBehind.payload == "rob")
        #expect(try cache.discardDraft(leftBehind))
        #expect(try cache.drafts().map(\.payload).sorted() == ["ana's new", "bo's new"])

        // An empty new-contact form of a rolo that ended is reused, not left lying about.
        running.insert(12)
        guard case .claimed(let empty, nil, nil) = try cache.claimDraft(.newContact(accountID: account.id), for: session(pid: 12),
                                                                       isRunning: isRunning) else {
            Issue.record("no form for a new contact")
            return
        }
        running.remove(12)
        let rows = try cache.tableCount("draft")
        guard case .claimed(empty, nil, _?) = try cache.claimDraft(.newContact(accountID: account.id), for: session(pid: 13),
                                                                  isRunning: isRunning) else {
            Issue.record("the empty form left behind was not reused")
            return
        }
        #expect(try cache.tableCount("draft") == rows)
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
