import RoloCore
import RoloSync
import RoloTestFixtures
import Testing
@testable import RoloViewModels

/// Two people on one jump host, each with a rolo on the same cache. A draft belongs to the
/// rolo typing it: the other is told who is editing and since when, sees the contact
/// read-only unless it takes the form over, and a form whose rolo ended goes to the next one.
@Suite("Two rolos on one cache")
struct TwoRolosTests {
    let processes = Fixture.Processes()
    /// A rolo process on the test's one cache.
    let service: (_ pid: Int32, _ user: String) -> RoloServices

    init() throws {
        let shared = try Fixture.cache()
        let processes = self.processes
        service = { pid, user in Fixture.rolo(on: shared, pid: pid, user: user, processes: processes) }
    }

    /// Rolo process `pid`, run by `user`, with Rob Howard selected.
    func rolo(_ pid: Int32, _ user: String) throws -> (AppModel, RoloServices) {
        let service = self.service(pid, user)
        let model = try makeModel(service)
        model.command("filter howard")
        #expect(model.selectedName == "Rob Howard")
        return (model, service)
    }

    /// Starts typing `text` at the end of Rob's city.
    func typeCity(_ model: AppModel, _ text: String) {
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter, .end)
        model.type(text)
    }

    func city(_ service: RoloServices) throws -> String? {
        try service.reader.contact(try service.reader.resolve("rob@example.com"))[.city]
    }

    @Test func aSecondRoloIsToldWhoIsEditingAndSeesTheContactReadOnly() throws {
        let (ana, anaService) = try rolo(1, "ana")
        let (bo, _) = try rolo(2, "bo")
        typeCity(ana, " Fort Worth")

        bo.press(.character("e"))
        guard case .dialog(let question)? = bo.overlay else { Issue.record("bo was not asked"); return }
        #expect(question.title == "Being edited elsewhere")
        #expect(question.message.hasPrefix("ana from 192.0.2.1 (rolo pid 1) has been editing Rob Howard since 2026-11-25 10:00:00 UTC"),
                "\(question.message)")
        #expect(bo.form == nil, "nothing of ana's text is opened")
        bo.press(.enter)
        #expect(bo.form == nil)
        #expect(bo.focus == .detail)
        #expect(bo.detail?.contact.displayName == "Rob Howard")
        #expect(bo.message?.text.contains("read-only here") == true)
        bo.press(.character("j"), .character("x"), .character("k"))   // keys meant for bo's screen

        #expect(ana.form?.focused?.input == "Dallas Fort Worth", "ana's form is as ana left it")
        ana.press(.enter, .control("s"))
        #expect(try city(anaService) == "Dallas Fort Worth")
        #expect(try anaService.drafts.drafts().isEmpty)
    }

    /// The SSH connection dropped without hanging rolo up: it still runs, holding ana's unsaved
    /// form. The rolo ana starts on reconnecting offers it at once (it used to show only when
    /// ana pressed `e` on that very contact); another user's open form is not offered.
    @Test func anEditOpenInTheUsersOtherRoloIsOfferedAtStart() throws {
        let (first, _) = try rolo(1, "ana")
        typeCity(first, " Fort Worth")
        let bo = try makeModel(service(3, "bo"))
        #expect(bo.overlay == nil, "not bo's edit")
        let again = try makeModel(service(2, "ana"))
        guard case .dialog(let offer)? = again.overlay else { Issue.record("ana was not told"); return }
        #expect(offer.title == "Unsaved edit in your other rolo")
        #expect(offer.message.hasPrefix("Your rolo ana from 192.0.2.1 (rolo pid 1) has been editing Rob Howard since"), "\(offer.message)")
        again.press(.character("t"))
        #expect(again.form?.fields.first { $0.key == .standard(.city) }?.input == "Dallas Fort Worth")
        first.handle(.tick)
        #expect(first.form == nil, "the old rolo's form closes")
    }

    @Test func takingOverBringsTheirTextAndTheFirstRoloIsToldWithinATick() throws {
        let (ana, anaService) = try rolo(1, "ana")
        let (bo, boService) = try rolo(2, "bo")
        typeCity(ana, " Fort Worth")

        bo.press(.character("e"), .character("t"))
        #expect(bo.form?.fields.first { $0.key == .standard(.city) }?.input == "Dallas Fort Worth")
        #expect(bo.context == .form, "bo's keys do not go on typing in the field ana was typing in")
        #expect(bo.message?.text == "You took this edit over from ana; their unsaved changes are in the form")

        ana.handle(.tick)
        #expect(ana.form == nil, "ana's form closes")
        guard case .dialog(let told)? = ana.overlay else { Issue.record("ana was not told"); return }
        #expect(told.title == "Edit taken over")
        #expect(told.message.hasPrefix("bo from 192.0.2.2 (rolo pid 2) took over the edit of Rob Howard"), "\(told.message)")
        ana.press(.character("o"))
        #expect(ana.overlay == nil)

        bo.focusField(.standard(.city))
        bo.press(.enter, .end)
        bo.type(", TX")
        bo.press(.enter, .control("s"))
        #expect(try city(boService) == "Dallas Fort Worth, TX")
        #expect(try anaService.drafts.drafts().isEmpty)
    }

    /// The bug this fixes: the first rolo discarding after a take-over threw the second's form
    /// away, or the second saved what the first had discarded.
    @Test func theFirstRoloCanNeitherDiscardNorSaveAFormTakenOver() throws {
        let (ana, anaService) = try rolo(1, "ana")
        let (bo, boService) = try rolo(2, "bo")
        typeCity(ana, " Fort Worth")
        ana.press(.enter, .escape)
        guard case .dialog(let question)? = ana.overlay else { Issue.record("ana was not asked"); return }
        #expect(question.title == "Unsaved changes")
        // While ana decides, bo takes the form over; then ana discards.
        bo.press(.character("e"), .character("t"))
        ana.press(.character("d"))
        #expect(ana.form == nil)
        guard case .dialog(let told)? = ana.overlay else { Issue.record("ana was not told"); return }
        #expect(told.title == "Edit taken over")
        #expect(try boService.drafts.drafts().map(\.payload).contains { $0.contains("Dallas Fort Worth") }, "bo's form keeps its text")

        // Taken over again, by cara: bo's save, before bo's rolo has noticed, writes nothing.
        let (cara, caraService) = try rolo(3, "cara")
        cara.press(.character("e"), .character("t"))
        bo.press(.control("s"))
        #expect(bo.form == nil, "bo's form closes")
        #expect(try city(anaService) == "Dallas")
        #expect(try caraService.drafts.drafts().map(\.payload).contains { $0.contains("Dallas Fort Worth") }, "cara has the text")
    }

    @Test func aFormWhoseRoloEndedIsOfferedToTheNextAsBefore() throws {
        let (ana, _) = try rolo(1, "ana")
        typeCity(ana, " Fort Worth")
        processes.end(1)   // ana's rolo is killed (kill -9, a hang-up, a reboot)

        let boService = service(2, "bo")
        let bo = try makeModel(boService)
        guard case .dialog(let offer)? = bo.overlay else { Issue.record("nothing offered"); return }
        #expect(offer.title == "Unsaved edit found")
        #expect(offer.message.contains("An edit of Rob Howard in local was not saved by ana"), "\(offer.message)")
        bo.press(.character("l"))   // later: opening the contact gives it too
        bo.command("filter howard")
        bo.press(.character("e"))
        #expect(bo.form?.focused?.input == "Dallas Fort Worth")
        #expect(bo.context == .formInput, "typing goes on where ana's rolo stopped")
        #expect(bo.message?.text == "Restored the unsaved edit ana left at 2026-11-25 10:00:00 UTC")
        bo.press(.enter, .control("s"))
        #expect(try city(boService) == "Dallas Fort Worth")
    }

    /// A contact deleted in another rolo while its form is open here: the form says so and
    /// closes at the next key, writing nothing.
    @Test func aFormWhoseContactIsDeletedElsewhereCloses() throws {
        let (ana, anaService) = try rolo(1, "ana")
        let (bo, _) = try rolo(2, "bo")
        typeCity(ana, " Fort Worth")
        bo.press(.character("d"), .character("y"))
        #expect(bo.message?.text.hasPrefix("Deleted Rob Howard") == true)
        ana.type("!")
        #expect(ana.form == nil)
        guard case .dialog(let told)? = ana.overlay else { Issue.record("ana was not told"); return }
        #expect(told.title == "Edit closed")
        #expect(told.message.hasPrefix("The edit of Rob Howard was saved, thrown away or deleted elsewhere"))
        #expect(try anaService.drafts.drafts().isEmpty)
    }

    @Test func twoRolosEditingDifferentContactsLoseNothing() throws {
        let (ana, anaService) = try rolo(1, "ana")
        let bo = try makeModel(self.service(2, "bo"))
        bo.command("filter zoe")
        typeCity(ana, " A")
        bo.press(.character("e"))
        bo.focusField(.standard(.city))
        bo.press(.enter, .end)
        bo.type(" B")
        #expect(bo.form?.focused?.input == "Zürich B")
        ana.press(.enter, .control("s"))
        bo.press(.enter, .control("s"))
        #expect(try city(anaService) == "Dallas A")
        #expect(try anaService.reader.contact(try anaService.reader.resolve("zoe.mueller@example.org"))[.city] == "Zürich B")
        #expect(try anaService.drafts.drafts().isEmpty)
    }

    @Test func newContactsAreEachRolosOwn() throws {
        let (ana, service) = try rolo(1, "ana")
        let (bo, _) = try rolo(2, "bo")
        ana.press(.character("n"))
        ana.type("Ana's")
        bo.press(.character("n"))
        #expect(bo.overlay == nil)
        #expect(bo.form?.focused?.input == "", "bo's new contact is not ana's")
        bo.type("Bo's")
        #expect(Set(try service.drafts.drafts().compactMap { draft in
            ["Ana's", "Bo's"].first { draft.payload.contains($0) }
        }) == ["Ana's", "Bo's"])
    }
}
