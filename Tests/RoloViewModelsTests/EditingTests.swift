import Foundation
import RoloCore
import RoloStore
import RoloSync
import RoloTestFixtures
import Testing
@testable import RoloViewModels

@Suite("Editing: the form, saving, validation, drafts, undo")
struct EditingTests {
    /// The model with Rob Howard selected.
    func robModel(_ service: RoloServices? = nil, readOnly: Bool = false) throws -> AppModel {
        let model = try makeModel(service, readOnly: readOnly)
        model.command("filter howard")
        model.press(.enter)
        #expect(model.selectedName == "Rob Howard")
        return model
    }

    @Test func typingInAFieldAndSavingWritesContactAndHistory() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = try #require(model.list.selected?.id)
        model.press(.character("e"))
        #expect(model.context == .form)
        model.focusField(.standard(.city))
        model.press(.enter)
        #expect(model.context == .formInput)
        model.press(.control("u"))
        model.type("Austin")
        model.press(.enter)
        #expect(model.form?.fields.first { $0.key == .standard(.city) }?.input == "Austin")
        model.focusField(.custom("plan"))
        model.press(.enter, .control("u"))
        model.type("platinum")
        model.press(.control("s"))
        #expect(model.form == nil)
        #expect(model.focus == .detail)
        #expect(model.message?.tone == .success)
        #expect(model.message?.text == "Saved Rob Howard (2 fields)")
        let stored = try service.reader.contact(id)
        #expect(stored[.city] == "Austin")
        #expect(stored.custom["plan"] == .text("platinum"))
        let history = try service.reader.audit(for: id)
        #expect(history.first?.action == "update")
        #expect(Set(history.first!.deltas.map(\.key)) == [.standard(.city), .custom("plan")])
        #expect(history.first?.author == Fixture.author)
        #expect(try service.drafts.drafts().isEmpty)
        #expect(model.detail?.contact[.city] == "Austin")
    }

    @Test func aNewEmailForAContactNotifuseKeysByItIsAskedAboutBeforeSaving() throws {
        let service = try Fixture.service()
        let model = try makeModel(service, account: "notifuse")
        model.command("filter smirnova")
        model.press(.enter)
        let id = try #require(model.list.selected?.id)
        model.press(.character("e"))
        model.focusField(.standard(.email))
        model.press(.enter, .control("u"))
        model.type("olga.s@example.com")
        model.press(.enter, .control("s"))
        guard case .dialog(let dialog)? = model.overlay else { Issue.record("no question before saving"); return }
        #expect(dialog.title == "A new email")
        #expect(dialog.message.hasPrefix("Notifuse identifies contacts by email: the next sync deletes olga@example.com"))
        #expect(try service.reader.contact(id).email == "olga@example.com", "nothing saved yet")
        model.press(.character("k"))
        #expect(model.form != nil, "still editing")
        model.press(.control("s"), .character("c"))
        #expect(model.form == nil)
        #expect(try service.reader.contact(id).email == "olga.s@example.com")
        #expect(model.message?.text.hasPrefix("Saved Olga Smirnova") == true)
    }

    /// A field changed elsewhere since the form opened (another rolo, `rolo set`, a sync) is
    /// not overwritten unseen when the form changes it too: saving asks first. Fields changed
    /// elsewhere that the form leaves alone merge as before.
    @Test func savingOverAFieldChangedElsewhereAsksFirst() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = try #require(model.list.selected?.id)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Mine")
        model.press(.enter)
        // Meanwhile, as `rolo set` from another session.
        _ = try service.editor.update(id, assignments: [try FieldAssignment(parsing: "city=Theirs"),
                                                        try FieldAssignment(parsing: "job_title=Chief")])
        model.press(.control("s"))
        guard case .dialog(let dialog)? = model.overlay else { Issue.record("saved without asking"); return }
        #expect(dialog.title == "Changed elsewhere")
        #expect(dialog.message.contains("City became “Theirs”"), "\(dialog.message)")
        #expect(try service.reader.contact(id)[.city] == "Theirs", "nothing saved yet")
        model.press(.character("k"))
        #expect(model.form != nil, "still editing")
        model.press(.control("s"), .character("s"))
        #expect(model.form == nil)
        let stored = try service.reader.contact(id)
        #expect(stored[.city] == "Mine" && stored[.jobTitle] == "Chief", "mine where asked; theirs merged elsewhere")

        // A change elsewhere to a field the form leaves alone saves without a question.
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Again")
        model.press(.enter)
        _ = try service.editor.update(id, assignments: [try FieldAssignment(parsing: "job_title=Chair")])
        model.press(.control("s"))
        #expect(model.overlay == nil && model.form == nil)
        #expect(try service.reader.contact(id)[.jobTitle] == "Chair")
    }

    /// What another process writes (another rolo's save, `rolo set`, an import) shows within
    /// a tick: the row, the detail on show and the counts are read again.
    @Test func changesMadeByAnotherProcessShowOnTheNextTick() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-other-\(UUID().uuidString)/rolo.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let service = try Fixture.service(path: path)
        let model = try makeModel(service, width: 120, height: 30)
        model.command("filter howard")
        model.press(.enter)
        let id = try #require(model.list.selected?.id)
        model.handle(.tick)
        let total = model.list.total
        // Another rolo process: its own connection to the same file.
        let other = Fixture.rolo(on: try LocalCache(path: path, catalog: .standard, clock: Fixture.clock), pid: 2)
        _ = try other.editor.update(id, assignments: [try FieldAssignment(parsing: "job_title=Night Owl")])
        _ = try other.editor.add([try FieldAssignment(parsing: "email=newcomer@example.com")], to: try other.accounts.account(named: "local"))
        #expect(model.detail?.contact[.jobTitle] != "Night Owl")
        model.handle(.tick)
        #expect(model.detail?.contact[.jobTitle] == "Night Owl")
        #expect(model.list.selected?.id == id, "the selection stays on its contact")
        #expect(model.list.total == total + 1)
        // Nothing more written: nothing read again.
        model.handle(.tick)
        #expect(try !service.reader.changedElsewhere())
    }

    /// Another rolo's import holds the cache for writing for as long as it runs: typing in a
    /// form goes on (it used to wait for the cache on every key and then say "database is
    /// locked"), what is typed is kept, and the draft is written once the cache is free.
    @Test func typingGoesOnWhileAnotherRoloHoldsTheCacheAndTheDraftFollows() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-busy-\(UUID().uuidString)/rolo.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let service = try Fixture.service(path: path)
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Aus")
        let importer = try Fixture.holdWriteLock(at: path)
        model.type("tin")
        #expect(model.form?.editor?.text == "Austin")
        #expect(model.message?.tone == .warning, "\(String(describing: model.message))")
        #expect(model.message?.text.hasPrefix("Another rolo is writing the cache") == true)
        #expect(try service.drafts.drafts().first?.payload.contains("Austin") != true, "not written while the cache is held")
        model.handle(.tick)
        #expect(model.message?.tone == .warning, "still held: still waiting, no error")
        try importer.release()
        model.handle(.tick)
        #expect(try service.drafts.drafts().first?.payload.contains("Austin") == true, "written once the cache is free")
        #expect(model.message == nil)
        model.press(.enter, .control("s"))
        #expect(try service.reader.contact(try #require(model.list.selected?.id)).fields[.city] == "Austin")
    }

    @Test func aCacheThatStopsTakingWritesNeverKeepsAnyoneInTheForm() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolo-trap-\(UUID().uuidString)/rolo.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let service = try Fixture.service(path: path)
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Austin")
        model.press(.enter)
        try Fixture.breakDraftWrites(at: path)
        // Esc, then discard: the form closes although its draft cannot be removed.
        model.press(.escape)
        model.press(.character("d"))
        #expect(model.form == nil)
        #expect(model.message?.text.hasPrefix("Changes discarded; the draft stays in the cache") == true)
        // :q, then discard and quit: rolo quits.
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Boston")
        model.press(.enter)
        #expect(model.form != nil)
        model.press(.character(":"))
        model.type("q")
        model.press(.enter)
        let effects = model.press(.character("d"))
        #expect(effects.contains(.quit))
    }

    @Test func anInvalidValueIsMarkedAndSavingIsRefused() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.email))
        model.press(.enter, .control("u"))
        model.type("rob@")
        model.press(.enter)
        let email = try #require(model.form?.fields.first { $0.key == .standard(.email) })
        #expect(email.error?.contains("not an email address") == true)
        #expect(model.form?.focused?.key == .standard(.email), "the focus stays on the wrong field")
        model.press(.control("s"))
        #expect(model.form != nil, "the form stays open")
        #expect(model.message?.text.contains("marked in red") == true)
        #expect(try service.reader.contact(model.list.selected!.id).email == "rob@example.com")
        // Fixing it lets the save through.
        model.focusField(.standard(.email))
        model.press(.enter, .control("u"))
        model.type("robert@example.com")
        model.press(.enter, .control("s"))
        #expect(model.form == nil)
        #expect(try service.reader.contact(model.list.selected!.id).email == "robert@example.com")
    }

    @Test func typedValuesAreCheckedByType() throws {
        let model = try robModel()
        model.press(.character("e"))
        model.focusField(.custom("renewal"))
        model.press(.enter, .control("u"))
        model.type("2026-02-30")
        model.press(.enter)
        #expect(model.form?.fields.first { $0.key == .custom("renewal") }?.error?.contains("is not a date") == true)
        model.focusField(.custom("seats"))
        model.press(.enter, .control("u"))
        model.type("12 seats")
        model.press(.enter)
        #expect(model.form?.fields.first { $0.key == .custom("seats") }?.error?.contains("is not a number") == true)
    }

    @Test func spaceTogglesYesNoAndXClearsExplicitly() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = model.list.selected!.id
        model.press(.character("e"))
        model.focusField(.custom("vip"))
        model.press(.character(" "))
        #expect(model.form?.focused?.input == "no")
        model.focusField(.standard(.jobTitle))
        model.press(.character("x"))
        #expect(model.form?.focused?.isCleared == true)
        model.press(.control("s"))
        let stored = try service.reader.contact(id)
        #expect(stored.custom["vip"] == .bool(false))
        #expect(stored[.jobTitle] == nil)
        let deltas = try service.reader.audit(for: id).first!.deltas
        #expect(deltas.contains(FieldDelta(key: .standard(.jobTitle), before: .text("Founder, CEO"), after: nil)))
    }

    @Test func escOnAChangedFormAsksAndEachAnswerDoesWhatItSays() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = model.list.selected!.id
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Paris")
        model.press(.escape)          // stop typing
        model.press(.escape)          // leave the form
        guard case .dialog(let dialog)? = model.overlay else { Issue.record("no question"); return }
        #expect(dialog.choices.map(\.label) == ["save", "discard", "keep editing"])
        model.press(.character("k"))
        #expect(model.form != nil && model.overlay == nil)
        model.press(.escape, .character("d"))
        #expect(model.form == nil)
        #expect(try service.reader.contact(id)[.city] == "Dallas")
        #expect(try service.drafts.drafts().isEmpty)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Lyon")
        let effects = model.press(.escape, .escape, .character("s"))
        #expect(try service.reader.contact(id)[.city] == "Lyon")
        #expect(!effects.contains(.quit), "saving from the question closes the form, not rolo")
        #expect(model.form == nil && model.focus == .detail)
    }

    @Test func quittingWithAChangedFormAsksAndSaveAndQuitDoesBoth() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = model.list.selected!.id
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Nice")
        model.press(.enter)
        model.command("q")
        guard case .dialog(let dialog)? = model.overlay else { Issue.record("no question"); return }
        #expect(dialog.choices.map(\.label) == ["save and quit", "discard and quit", "keep editing"])
        let effects = model.press(.character("s"))
        #expect(try service.reader.contact(id)[.city] == "Nice")
        #expect(effects.contains(.quit))
    }

    @Test func colonWSaves() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.postcode))
        model.press(.enter, .control("u"))
        model.type("75201")
        model.press(.escape)
        model.command("w")
        #expect(model.form == nil)
        #expect(try service.reader.contact(model.list.selected!.id)[.postcode] == "75201")
    }

    @Test func everyKeystrokeIsInTheDraftAndARestartOffersIt() throws {
        let cache = try Fixture.cache()
        let processes = Fixture.Processes()
        let service = Fixture.rolo(on: cache, pid: 1, processes: processes)
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .control("u"))
        model.type("Fort Worth 山")
        let draft = try #require(try service.drafts.drafts().first)
        #expect(draft.payload.contains("Fort Worth 山"))

        // The session dies here; a new one starts on the same cache.
        processes.end(1)
        let next = try makeModel(Fixture.rolo(on: cache, pid: 2, processes: processes))
        guard case .dialog(let dialog)? = next.overlay else { Issue.record("no draft offered"); return }
        #expect(dialog.message.contains("Rob Howard"))
        next.press(.character("r"))
        #expect(next.focus == .form)
        #expect(next.context == .formInput, "typing goes on where it stopped")
        #expect(next.form?.focused?.key == .standard(.city))
        #expect(next.form?.focused?.input == "Fort Worth 山")
        next.type("田")
        next.press(.enter, .control("s"))
        #expect(try service.reader.contact(next.list.selected!.id)[.city] == "Fort Worth 山田")
        #expect(try service.drafts.drafts().isEmpty)
    }

    @Test func aDraftCanBeDiscardedOrLeftForLater() throws {
        let cache = try Fixture.cache()
        let processes = Fixture.Processes()
        let service = Fixture.rolo(on: cache, pid: 1, processes: processes)
        let model = try robModel(service)
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter)
        model.type("x")
        processes.end(1)
        let later = try makeModel(Fixture.rolo(on: cache, pid: 2, processes: processes))
        later.press(.character("l"))
        #expect(later.overlay == nil)
        #expect(try service.drafts.drafts().count == 1)
        let discarding = try makeModel(Fixture.rolo(on: cache, pid: 3, processes: processes))
        discarding.press(.character("d"))
        #expect(try service.drafts.drafts().isEmpty)
    }

    @Test func aNewContactNeedsWhatItsProviderNeeds() throws {
        let service = try Fixture.service()
        let model = try makeModel(service)
        model.command("account notifuse")
        model.press(.character("n"))
        #expect(model.form?.mode == .create)
        #expect(model.context == .formInput, "a new form starts typing in its first field")
        model.type("Nadia")
        model.press(.enter)
        model.press(.control("s"))
        #expect(model.form != nil)
        #expect(model.message?.text.contains("Notifuse needs email") == true
            || model.form?.fields.first { $0.key == .standard(.email) }?.error?.contains("Notifuse needs email") == true)
        model.focusField(.standard(.email))
        model.press(.enter)
        model.type("nadia@example.com")
        model.press(.enter, .control("s"))
        #expect(model.form == nil)
        #expect(model.names.contains("Nadia"))
        #expect(model.pendingEdits == 1)
    }

    /// A new contact is filled in as a paper form is: typing starts in the first name (not the
    /// salutation few fill in), and Enter goes on to the next field, still typing. Letters typed
    /// after Enter ran as commands (j moved, u undid) and half a name landed in another field.
    @Test func aNewContactIsTypedFieldAfterField() throws {
        let service = try Fixture.service()
        let model = try makeModel(service)
        model.press(.character("n"))
        #expect(model.form?.focused?.key == .standard(.firstName))
        #expect(model.context == .formInput)
        model.type("Zed")
        model.press(.enter)
        #expect(model.form?.focused?.key == .standard(.lastName))
        #expect(model.context == .formInput, "still typing")
        model.type("Quinn")
        model.press(.enter)
        model.type("zq")   // Full name
        model.press(.backspace, .backspace, .escape)
        #expect(model.context == .form, "Esc stops typing")
        model.focusField(.standard(.email))
        model.press(.enter)
        model.type("zed@example.com")
        model.press(.enter)
        #expect(model.form?.focused?.key == .standard(.phone) && model.context == .formInput)
        model.press(.control("s"))
        #expect(model.form == nil)
        #expect(model.names.contains("Zed Quinn"))

        // An existing contact's form is a change to one field: Enter ends it there.
        model.command("filter zed")
        model.press(.enter, .character("e"))
        model.focusField(.standard(.city))
        model.press(.enter)
        model.type("Oslo")
        model.press(.enter)
        #expect(model.context == .form)
    }

    /// A contact saved under a filter it does not match is nowhere on screen: the message says why.
    @Test func aNewContactHiddenByTheFilterIsSaidSo() throws {
        let model = try makeModel(try Fixture.service())
        model.press(.character("/"))
        model.type("rob")
        model.press(.enter, .character("n"))
        model.type("Zed")
        model.focusField(.standard(.email))
        model.press(.enter)
        model.type("zed@example.com")
        model.press(.control("s"))
        #expect(model.form == nil)
        #expect(model.message?.text.hasSuffix("— the filter “rob” hides it; Esc clears the filter") == true, "\(model.message?.text ?? "")")
    }

    @Test func oneRefusedSaveMarksEveryMissingRequiredField() throws {
        let service = try Fixture.service()
        _ = try service.accounts.createAccount(name: "events", provider: .ivvy)
        let model = try makeModel(service, account: "events")
        model.press(.character("n"))
        model.type("Zoë")
        model.press(.enter, .control("s"))
        let errors = Dictionary(uniqueKeysWithValues: (model.form?.fields ?? []).compactMap { field in
            field.error.map { (EditForm.name(of: field), $0) }
        })
        #expect(errors == ["last_name": "iVvy needs last name, email", "email": "iVvy needs email"])
        #expect(model.form?.focused?.key == .standard(.lastName), "focus goes to the first field to fix")
    }

    @Test func anEmptyFieldShowsAnExampleOnlyWhereOneIsTyped() throws {
        let service = try Fixture.service()
        let model = try makeModel(service, account: "notifuse")
        model.press(.character("n"), .escape)
        let examples = Dictionary(uniqueKeysWithValues: (model.form?.fields ?? []).map { (EditForm.name(of: $0), $0.example) })
        #expect(examples["email"] == "name@example.com")
        #expect(examples["custom.lifetime_value"] == "42 or 1250.5")
        #expect(examples["custom.plan"] == .some(nil), "free text has no example")
        #expect(examples["custom.preferences"] == .some(nil), "JSON is written in $EDITOR")
        let local = try makeModel(service)
        local.press(.character("n"), .escape)
        #expect(local.form?.fields.first { $0.key == .standard(.emailOptOut) }.map(\.example) == .some(nil), "a flag is toggled")
    }

    @Test func addingACustomFieldFollowsTheAccountsRules() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        let id = model.list.selected!.id
        model.press(.character("e"), .character("a"))
        guard case .addField(let prompt)? = model.overlay else { Issue.record("no prompt"); return }
        #expect(prompt.types.first == .text)
        model.type("Bad Key")
        model.press(.enter)
        guard case .addField(let rejected)? = model.overlay else { Issue.record("prompt closed"); return }
        #expect(rejected.error?.contains("must not contain") == true)
        model.press(.control("u"))
        model.type("score")
        model.press(.tab)   // number
        model.press(.enter)
        #expect(model.context == .formInput)
        model.type("42")
        model.press(.enter, .control("s"))
        #expect(try service.reader.contact(id).custom["score"] == .number(42))

        // Notifuse: the new key takes a free slot of its type when saved.
        model.command("account notifuse")
        model.press(.character("e"), .character("a"))
        model.type("tier")
        model.press(.enter)
        model.type("gold")
        model.press(.enter, .control("s"))
        let notifuse = try #require(try service.accounts.accounts().first { $0.name == "notifuse" })
        let tier = try #require(try service.accounts.fieldDefinitions(accountID: notifuse.id).first { $0.key == "tier" })
        #expect(tier.providerRef == "custom_string_2")
    }

    @Test func tabWhileTypingGoesOnTypingInTheNextField() throws {
        let service = try Fixture.service()
        let model = try makeModel(service, account: "dailystory")
        model.press(.character("n"))
        #expect(model.form?.focused?.key == .standard(.firstName))
        model.type("Zoë")
        model.press(.tab)
        #expect(model.context == .formInput, "still typing")
        #expect(model.form?.focused?.key == .standard(.lastName))
        model.type("x y")
        model.press(.backTab)
        #expect(model.context == .formInput)
        model.press(.control("e"))
        model.type(".")
        let inputs = Dictionary(uniqueKeysWithValues: (model.form?.fields ?? []).map { (EditForm.name(of: $0), $0.input) })
        #expect(inputs["first_name"] == "Zoë.")
        #expect(inputs["last_name"] == "x y", "letters typed after Tab are text, not commands")
        #expect(model.form?.fields.contains { $0.isCleared } == false)
    }

    @Test func aFormFillsTheWindowAgainWhenItGrows() throws {
        let model = try makeModel(height: 12)
        model.command("filter howard")
        model.press(.enter, .character("e"))
        let count = try #require(model.form?.fields.count)
        model.focusField(try #require(model.form?.fields.last?.key))
        #expect(model.form!.scroll > 0)
        model.handle(.resize(Size(width: 80, height: 40)))
        let rows = model.formVisibleRows
        #expect(rows >= count, "every field fits now")
        #expect(model.form?.scroll == 0, "so none is left hidden above blank rows")
        #expect(model.form?.focus == count - 1)
    }

    @Test func anAddedFieldSaysHowItIsFilledIn() throws {
        let model = try robModel()
        model.press(.character("e"), .character("a"))
        model.type("vip_guest")
        for _ in 0..<4 { model.press(.tab) }          // text, number, date, datetime, bool
        model.press(.enter)
        #expect(model.message?.text == "Added vip_guest (bool); Space sets yes or no")
        #expect(model.context == .form, "nothing to type in a yes/no field")
        model.press(.character(" "))
        #expect(model.form?.focused?.input == "yes")
    }

    @Test func fieldsAddedByHandBecomeTheAccountsOnlyWithASave() throws {
        let service = try Fixture.service()
        let model = try makeModel(service, account: "notifuse")
        let notifuse = try #require(try service.accounts.accounts().first { $0.name == "notifuse" })
        let before = try service.accounts.fieldDefinitions(accountID: notifuse.id)
        model.press(.character("e"))
        // Notifuse has five text slots and `plan` holds one: four more can be added, not five.
        for key in ["tier", "region_code", "badge", "nickname"] {
            model.press(.character("a"))
            model.type(key)
            model.press(.enter)
            #expect(model.overlay == nil, "\(key) was refused: \(String(describing: model.overlay))")
            model.type("x")
            model.press(.enter)
        }
        model.press(.character("a"))
        model.type("one_too_many")
        model.press(.enter)
        guard case .addField(let refused)? = model.overlay else { Issue.record("the sixth text field was accepted"); return }
        #expect(refused.error == "all 5 text slots of notifuse are taken")
        model.press(.escape)

        // A save refused for another field writes none of them.
        model.focusField(.standard(.email))
        model.press(.enter, .control("u"))
        model.type("not an email")
        model.press(.enter, .control("s"))
        #expect(model.form != nil)
        #expect(try service.accounts.fieldDefinitions(accountID: notifuse.id) == before)

        model.focusField(.standard(.email))
        model.press(.enter, .control("u"))
        model.type("olga@example.com")
        model.press(.enter, .control("s"))
        #expect(model.form == nil, "\(String(describing: model.message))")
        let slots = try service.accounts.fieldDefinitions(accountID: notifuse.id).filter { $0.type == .text }.compactMap(\.providerRef)
        #expect(slots == (1...5).map { "custom_string_\($0)" })
    }

    @Test func jsonFieldsOpenInTheEditorAndReopenWhenTheyDoNotParse() throws {
        let service = try Fixture.service()
        let model = try makeModel(service)
        model.command("account notifuse")
        model.press(.character("e"))
        model.focusField(.custom("preferences"))
        let effects = model.press(.enter)
        guard case .editExternally(let field, _, nil)? = effects.first else {
            Issue.record("no editor: focused \(String(describing: model.form?.focused?.key)), effects \(effects), message \(String(describing: model.message))")
            return
        }
        #expect(field == .custom("preferences"))
        let again = model.handle(.externalEdit(field: field, text: "# a comment\n{\"theme\": \"dark\",}", message: nil))
        guard case .editExternally(_, let text, let error?)? = again.first else { Issue.record("not reopened"); return }
        #expect(text == "{\"theme\": \"dark\",}")
        #expect(!error.isEmpty)
        model.handle(.externalEdit(field: field, text: "{\"theme\": \"dark\"}", message: nil))
        model.press(.control("s"))
        let olga = try service.reader.contact(model.list.selected!.id)
        #expect(olga.custom["preferences"] == .json(.object(["theme": .string("dark")])))
    }

    @Test func jsonSavedBackAsItWasChangesNothing() throws {
        let model = try makeModel()
        model.command("account notifuse")
        model.press(.character("e"))
        model.focusField(.custom("preferences"))
        guard case .editExternally(let field, let template, nil)? = model.press(.enter).first else {
            Issue.record("no editor"); return
        }
        #expect(template == "{\n}", "an empty field starts from an empty object")
        model.handle(.externalEdit(field: field, text: "# header\n" + template, message: nil))
        #expect(model.form?.isDirty == false)
        #expect(model.message?.text == "Preferences is as it was: nothing changed")
        model.handle(.externalEdit(field: field, text: "{\"theme\": \"dark\"}", message: nil))
        #expect(model.message?.text == "Preferences changed; Ctrl-S saves")
        guard case .editExternally(_, let shown, nil)? = model.press(.enter).first else { Issue.record("no editor"); return }
        model.handle(.externalEdit(field: field, text: shown, message: nil))
        #expect(model.message?.text == "Preferences is as it was: nothing changed")
        #expect(model.form?.focused?.input == "{\"theme\":\"dark\"}")
    }

    @Test func deleteAsksAndUndoBringsBack() throws {
        let service = try Fixture.service()
        let model = try robModel(service)
        model.press(.escape, .character("d"))
        guard case .dialog(let dialog)? = model.overlay else { Issue.record("no question"); return }
        #expect(dialog.message.hasPrefix("Delete Rob Howard"))
        model.press(.character("n"))
        #expect(model.names == ["Rob Howard"])
        model.press(.character("d"), .character("y"))
        #expect(model.names.isEmpty)
        model.press(.character("u"))
        #expect(model.names == ["Rob Howard"])
        #expect(model.message?.text == "Brought back Rob Howard")
    }

    @Test func readOnlyExplainsInsteadOfEditing() throws {
        let service = try Fixture.service()
        let model = try robModel(service, readOnly: true)
        for key in [Key.character("e"), .character("n"), .character("d"), .character("u")] {
            model.press(key)
            #expect(model.form == nil && model.overlay == nil)
            #expect(model.message?.text == "rolo was started with --read-only: editing is off")
        }
    }
}

/// Further emails and phones in the form: a line each, typed like the standard field of their
/// kind, `x` removes one; the save is one change of each list, which undo takes back whole.
@Suite("Editing further emails and phones")
struct FurtherValueEditingTests {
    @Test func aFurtherEmailIsTypedAndAFaxRemovedThenUndone() throws {
        let service = try Fixture.service()
        let model = try makeModel(service)
        model.command("filter howard")
        model.press(.enter)
        let id = try #require(model.list.selected?.id)
        let before = try service.reader.contact(id)
        model.press(.character("e"))
        let labels = (model.form?.fields ?? []).map(\.label)
        let email = try #require(labels.firstIndex(of: "Email"))
        #expect(Array(labels[email...].prefix(4)) == ["Email", "Email (home)", "Phone", "Mobile phone"])
        #expect(labels.contains("Phone (work fax)"))
        model.focusField(.others(.email))
        model.press(.enter, .control("u"))
        model.type("not an address")
        model.press(.enter)
        model.press(.control("s"))
        #expect(model.form != nil, "a bad further email is refused like a bad email")
        #expect(model.form?.fields.first { $0.key == .others(.email) }?.error != nil)
        model.press(.enter, .control("u"))
        model.type("rob@howard.example")
        model.press(.enter)
        model.focusField(.others(.phone))
        model.press(.character("x"))
        model.press(.control("s"))
        #expect(model.form == nil, "\(String(describing: model.message))")
        let stored = try service.reader.contact(id)
        #expect(stored.otherEmails == [LabelledValue(label: "home", value: "rob@howard.example")], "the label stays")
        #expect(stored.otherPhones.isEmpty)
        let history = try service.reader.audit(for: id)
        #expect(Set(history.first!.deltas.map(\.key)) == [.others(.email), .others(.phone)])
        _ = try service.editor.undoLastEdit(in: .all)
        let undone = try service.reader.contact(id)
        #expect(undone.otherEmails == before.otherEmails && undone.otherPhones == before.otherPhones)
    }

    @Test func theCommandLinesWordsAddChangeLabelAndRemove() throws {
        let service = try Fixture.service()
        let local = try #require(try service.accounts.accounts().first { $0.name == "local" })
        let input = FieldInput(account: local, definitions: [])
        var rob = Contact(accountID: local.id, fields: [.email: "rob@example.com"])
        rob.otherEmails = [LabelledValue(label: "home", value: "rob@home.example")]
        func run(_ words: String...) throws(RoloError) -> [LabelledValue] {
            let (edit, _) = try input.edit(from: try words.map { text throws(RoloError) in
                text.hasPrefix("-") ? FieldAssignment(clearing: String(text.dropFirst())) : try FieldAssignment(parsing: text)
            }, existing: rob)
            return edit.applied(to: rob).otherEmails
        }
        #expect(try run("email_2=Rob@Home.example") == [LabelledValue(label: "home", value: "Rob@Home.example")], "the label stays")
        #expect(try run("email_3=r@work.example", "email_3_label=Work E-mail")
                == [LabelledValue(label: "home", value: "rob@home.example"), LabelledValue(label: "work", value: "r@work.example")])
        #expect(try run("-email_2_label") == [LabelledValue(value: "rob@home.example")])
        #expect(try run("-email_2").isEmpty)
        for (words, field, message) in [(["email_4=x@y.example"], "email_4", "the contact has 1 further email; the next one is email_3"),
                                        (["email_2=nope"], "email_2", nil), (["-email_3"], "email_3", "the contact has 1 further email, no email_3"),
                                        (["email_3_label=work"], "email_3_label", "the contact has 1 further email; set email_3 first")] {
            do {
                _ = try run(words[0])
                Issue.record("\(words) was accepted")
            } catch {
                guard case .invalid(let issues) = error else { Issue.record("\(error)"); continue }
                #expect(issues.first?.field == field)
                if let message { #expect(issues.first?.message == message) }
            }
        }
        #expect(FieldKey(parsing: "email_2") == .custom("email_2"), "a query's key stays a key; only assignments name slots")
    }

    @Test func aProviderContactsFurtherPhoneChangesWithoutQueuingAnything() throws {
        let service = try Fixture.service()
        let id = try #require(try service.reader.resolve("bob@corp.example.org"))
        let pending = try service.reader.outbox(for: id)
        let outcome = try service.editor.update(id, assignments: [try FieldAssignment(parsing: "phone_2=+15557140003")])
        #expect(outcome.contact.otherPhones == [LabelledValue(label: "home", value: "+15557140003")])
        #expect(outcome.warnings.map(\.message) == ["DailyStory holds one phone field; further phones stay in rolo only"])
        #expect(try service.reader.outbox(for: id) == pending, "nothing for DailyStory")
    }
}
