import RoloCore
import RoloSync
import RoloTestFixtures
import Testing
@testable import RoloViewModels

@Suite("Browsing: list, filter, detail, accounts")
struct BrowsingTests {
    @Test func theListOpensSortedWithTheFirstRowSelected() throws {
        let model = try makeModel()
        #expect(model.names.first == "Ann Lee")
        #expect(model.selectedName == "Ann Lee")
        #expect(model.list.total == 8)
        #expect(model.list.matches == 8)
        #expect(model.context == .list)
    }

    @Test func movingPastThePageReadsTheNextPageAndBack() throws {
        // 10 rows on screen: height 14 minus the title, the column header, the status and the footer.
        let people = (0..<37).map { Fixture.Person(0, [.fullName: String(format: "Person %02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false), height: 14)
        #expect(model.list.pageSize == 10)
        for _ in 0..<12 { model.press(.down) }
        #expect(model.selectedName == "Person 12")
        #expect(model.list.selectedIndex == 12)
        #expect(model.list.rows.count == 10)
        model.press(.character("G"))
        #expect(model.selectedName == "Person 36")
        #expect(model.list.selectedIndex == 36)
        model.press(.down)
        #expect(model.selectedName == "Person 36", "the last row stays selected")
        model.press(.pageUp)
        #expect(model.selectedName == "Person 26")
        model.press(.character("g"))
        #expect(model.selectedName == "Person 00")
        model.press(.up)
        #expect(model.selectedName == "Person 00")
        model.press(.pageDown, .pageDown)
        #expect(model.list.selectedIndex == 20)
        #expect(model.selectedName == "Person 20")
    }

    @Test func theFilterNarrowsAsYouTypeAndEscClearsIt() throws {
        let service = try Fixture.service()
        let model = try makeModel(service, account: nil)
        model.press(.character("/"))
        #expect(model.context == .filterInput)
        let effects = model.type("rob")
        #expect(model.names == ["Rob Howard", "Robert Dallaire", "Roberta Diaz"])
        #expect(model.list.matches == nil, "the count runs in the background")
        model.runCounts(effects)
        #expect(model.list.matches == 3)
        model.type(" dal")
        #expect(model.names == ["Rob Howard", "Robert Dallaire", "Roberta Diaz"])
        model.press(.backspace, .backspace, .backspace)
        model.type("aus")
        #expect(model.names == ["Robert Dallaire"])
        model.press(.enter)
        #expect(model.context == .list)
        #expect(model.list.filter.text == "rob aus")
        model.press(.escape)
        #expect(model.list.filter.text.isEmpty)
        #expect(model.list.total == 11)
    }

    @Test func aFilterOfTooManyWordsUsesTheFirstOnesAndSaysSo() throws {
        let model = try makeModel(account: nil)
        model.press(.character("/"))
        model.type("rob " + (1...15).map { "r\($0)x" }.joined(separator: " "))
        #expect(model.message == nil, "sixteen words are fine")
        model.type(" zzz")
        #expect(model.message?.text == "The filter uses its first 16 terms; 1 more left out")
        #expect(model.message?.tone == .warning)
    }

    @Test func aStaleCountIsIgnored() throws {
        let model = try makeModel()
        model.press(.character("/"))
        let first = model.type("r")
        model.type("o")
        model.runCounts(first)   // the count of "r" arrives after "ro" was typed
        #expect(model.list.matches == nil)
    }

    @Test func queriesUseTheFullSyntax() throws {
        let model = try makeModel(account: nil)
        model.command("filter city:dallas")
        #expect(model.names == ["Rob Howard", "Roberta Diaz"])
        model.command("filter plan:gold")
        #expect(model.names == ["Rob Howard"])
        model.command("filter 太郎")
        #expect(model.names == ["山田太郎"])
        model.command("filter \"founder ceo\"")
        #expect(model.names == ["Rob Howard"])
    }

    /// Clearing the filter or changing the order keeps the contact one was on: it went back to
    /// row 1 of the whole list.
    @Test func clearingTheFilterOrSortingKeepsTheSelectedContact() throws {
        let people = (0..<40).map { Fixture.Person(0, [.fullName: String(format: "Person %02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false), height: 14)
        model.press(.character("/"))
        model.type("person 27")
        model.press(.enter)
        #expect(model.selectedName == "Person 27")
        model.press(.escape)
        #expect(model.list.filter.text.isEmpty && model.list.total == 40)
        #expect(model.selectedName == "Person 27", "still on the contact the filter found")
        #expect(model.list.rows.contains { $0.displayName == "Person 27" })
        model.press(.character("o"))
        #expect(model.list.order != .name)
        #expect(model.selectedName == "Person 27", "and after sorting")
    }

    /// Scrolled to the end of a contact, then a bigger window: the pane fills up again (it
    /// showed the last rows above a blank half until a key was pressed).
    @Test func aBiggerWindowFillsTheScrolledDetailAgain() throws {
        let model = try makeModel(width: 40, height: 12)
        model.command("filter howard")
        model.press(.enter, .character("G"))
        let rows = try #require(model.detail?.rows.count)
        #expect(model.detail!.scroll > 0)
        model.handle(.resize(Size(width: 60, height: 15)))
        #expect(model.detail!.scroll == max(0, model.detail!.rows.count - model.detailVisibleRows), "\(rows)")
        model.handle(.resize(Size(width: 60, height: 80)))
        #expect(model.detail!.scroll == 0, "every row fits")
    }

    @Test func aFilterOnAFieldThatIsNotSaysWhich() throws {
        let model = try makeModel()
        model.press(.character("/"))
        model.type("citty:dallas")
        #expect(model.list.rows.isEmpty && model.list.unknownFilterField == "citty")
        model.press(.backspace)
        model.type("s")
        #expect(model.list.unknownFilterField == "citty", "still none: a slip stays a slip")
        model.press(.escape)
        model.press(.character("/"))
        model.type("city:dallas")
        #expect(!model.list.rows.isEmpty && model.list.unknownFilterField == nil)
        model.press(.escape, .character("/"))
        model.type("plan:nothing-like-this")
        #expect(model.list.rows.isEmpty && model.list.unknownFilterField == nil, "plan is a custom field here: simply no match")
    }

    @Test func enterOpensTheDetailAndEscGoesBack() throws {
        let model = try makeModel()
        #expect(model.detail == nil, "narrow: the detail is not loaded until it is shown")
        model.press(.enter)
        #expect(model.focus == .detail)
        #expect(model.detail?.contact.displayName == "Ann Lee")
        model.press(.escape)
        #expect(model.focus == .list)
    }

    @Test func sideBySideTheDetailFollowsTheSelection() throws {
        let model = try makeModel(width: 120)
        #expect(model.layout.isSideBySide)
        #expect(model.detail?.contact.displayName == "Ann Lee")
        model.press(.down)
        #expect(model.detail?.contact.displayName == model.selectedName)
        model.press(.tab)
        #expect(model.focus == .detail)
        model.press(.tab)
        #expect(model.focus == .list)
    }

    @Test func theDetailShowsEveryFieldAndScrolls() throws {
        let model = try makeModel(height: 12)
        model.command("filter howard")
        model.press(.enter)
        let rows = try #require(model.detail?.rows)
        let labels = rows.compactMap { row -> String? in if case .field(let label, _, _, _) = row { label } else { nil } }
        for expected in ["First name", "Mobile phone", "Job title", "City", "plan · text", "renewal · date", "vip · bool", "State"] {
            #expect(labels.contains(expected), "\(expected)")
        }
        model.press(.character("G"))
        #expect(model.detail!.scroll > 0)
        model.press(.character("g"))
        #expect(model.detail!.scroll == 0)
    }

    /// A photo a vCard brought is named and sized in the detail pane, as in `rolo show`: its
    /// base64 took a screenful of rows of noise.
    @Test func theDetailSummarisesAPhotoKeptFromAVCard() throws {
        let service = try Fixture.service()
        let photo = String(repeating: "QUJD", count: 600)   // 1,800 bytes
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pia Foto\r\nEMAIL:pia@example.com\r\n"
            + "PHOTO;ENCODING=b;TYPE=JPEG:\(photo)\r\nX-SHOE-SIZE:41\r\nEND:VCARD\r\n"
        _ = try service.files.importFile(Data(card.utf8), format: .vcard)
        let model = try makeModel(service, width: 80, height: 60)
        model.command("filter pia")
        model.press(.enter)
        let rows = try #require(model.detail?.rows)
        let text = rows.compactMap { row -> String? in if case .field(_, let value, _, _) = row { value } else { nil } }
        #expect(!text.contains { $0.contains("QUJDQUJD") }, "no base64 on screen")
        #expect(text.contains { $0.contains("PHOTO (image/jpeg, 1.8 KB)") }, "\(text)")
        #expect(text.contains { $0.contains("X-SHOE-SIZE:41") }, "the rest of the card's extra lines as they are")
        #expect(model.detail?.contact.extensions["vcard"]?.canonicalText.contains(photo) == true, "the contact keeps the photo")
    }

    @Test func theDetailShowsOptionsByTheirLabels() throws {
        let people = Fixture.people + [Fixture.Person(0, [.firstName: "Opal", .email: "opal@example.com"],
                                                      custom: ["diet": .select("veg"), "topics": .multiselect(["ws", "kn", "old"])])]
        let service = try Fixture.service(people: people)
        let local = try #require(try service.accounts.accounts().first { $0.provider == .local })
        _ = try service.accounts.addCustomField(key: "diet", type: .select, label: "Diet",
                                       options: [SelectOption(value: "veg", label: "Vegetarian")], to: local)
        _ = try service.accounts.addCustomField(key: "topics", type: .multiselect, label: "Topics",
                                       options: [SelectOption(value: "kn", label: "Keynotes"), SelectOption(value: "ws", label: "Workshops")],
                                       to: local)
        let model = try makeModel(service)
        model.command("filter opal")
        model.press(.enter)
        let values = Dictionary(uniqueKeysWithValues: (model.detail?.rows ?? []).compactMap { row -> (String, String)? in
            if case .field(let label, let value, _, false) = row { (label, value) } else { nil }
        })
        #expect(values["Diet · select"] == "Vegetarian")
        #expect(values["Topics · multiselect"] == "Workshops, Keynotes, old", "a value no option has is shown as stored")
    }

    @Test func aLongLabelWrapsInsteadOfBeingCut() throws {
        let key = "name_printed_on_the_conference_badge"
        let people = Fixture.people + [Fixture.Person(0, [.firstName: "Badge", .email: "badge@example.com"],
                                                      custom: [key: .text("Ada L.")])]
        let model = try makeModel(Fixture.service(people: people))
        model.command("filter badge")
        model.press(.enter)
        let rows = try #require(model.detail?.rows)
        let start = try #require(rows.firstIndex { row in
            if case .field(let label, _, _, _) = row { label.hasPrefix("name_printed") } else { false }
        })
        var pieces: [String] = []
        for row in rows[start...] {
            guard case .field(let label, let value, _, let continued) = row, pieces.isEmpty || continued else { break }
            if pieces.isEmpty { #expect(value == "Ada L.") }
            pieces.append(label)
        }
        #expect(pieces.count == 2)
        #expect(pieces.joined() == key + " · text")
        #expect(pieces.allSatisfy { TerminalText.width($0) <= model.detail!.labelWidth })
        #expect(model.detail!.labelWidth == 26, "at 80 columns the label column grows to a third of the pane")
    }

    @Test func theCommandLineWalksItsHistoryAndKeepsWhatWasBeingTyped() throws {
        let model = try makeModel()
        model.command("sort recent")
        model.command("sort name")
        model.press(.character(":"))
        model.type("exp")
        var seen: [String] = []
        for key in [Key.up, .up, .up, .down, .down, .down] {
            model.press(key)
            seen.append(model.commandLine?.editor.text ?? "(closed)")
        }
        #expect(seen == ["sort name", "sort recent", "sort recent", "sort name", "exp", "exp"])
    }

    @Test func aMessageLastsUntilTheNextKeyAndOnlyErrorsOutliveTheClock() throws {
        let clock = Clock(Fixture.clock())
        let model = try AppModel(service: Fixture.service(), size: Size(width: 80, height: 24),
                                 options: AppOptions(account: "local", now: { clock.now }, messageLifetime: 8000))
        model.command("frobnicate")
        #expect(model.message?.tone == .error)
        clock.advance(milliseconds: 9000)
        model.handle(.tick)
        #expect(model.message?.tone == .error, "an error waits for the user")
        model.press(.down)
        #expect(model.message == nil, "the next key starts afresh")

        model.command("sort recent")
        #expect(model.message?.tone == .info)
        clock.advance(milliseconds: 7000)
        model.handle(.tick)
        #expect(model.message != nil, "shown for its lifetime")
        clock.advance(milliseconds: 2000)
        model.handle(.tick)
        #expect(model.message == nil, "then it goes by itself")
    }

    @Test func sortingCyclesTheOrders() throws {
        let model = try makeModel()
        model.press(.character("o"))
        #expect(model.list.order == .nameDescending)
        #expect(model.names.first == "山田太郎", "Han sorts after every Latin letter")
        #expect(model.names.last == "Ann Lee")
        model.press(.character("o"))
        #expect(model.list.order == .recentlyChanged)
        model.press(.character("o"))
        #expect(model.list.order == .name)
    }

    @Test func theAccountSwitcherChangesTheScope() throws {
        let model = try makeModel(account: nil)
        #expect(model.currentAccount == nil)
        model.press(.character("a"))
        guard case .picker(let picker)? = model.overlay else { Issue.record("no picker"); return }
        #expect(picker.options.map(\.label) == ["All accounts", "local (Local)", "dailystory (DailyStory)", "notifuse (Notifuse)"])
        model.press(.down, .down, .enter)
        #expect(model.currentAccount?.name == "dailystory")
        #expect(model.names == ["Robert Dallaire", "Roberta Diaz"])
        model.command("account notifuse")
        #expect(model.names == ["Olga Smirnova"])
        model.command("account nowhere")
        #expect(model.message?.tone == .error)
        #expect(model.message?.text.contains("no account named nowhere") == true)
        model.command("account all")
        #expect(model.list.total == 11)
    }

    @Test func aSavedContactFarDownTheListIsSelectedWithItsRowNumber() throws {
        let people = (0..<60).map { Fixture.Person(0, [.fullName: String(format: "P%02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false))
        model.press(.character("n"), .escape)
        model.focusField(.standard(.fullName))
        model.press(.enter)
        model.type("P45x")
        model.press(.enter)
        model.focusField(.standard(.email))
        model.press(.enter)
        model.type("p45x@example.com")
        model.press(.enter)
        let effects = model.press(.control("s"))
        #expect(model.selectedName == "P45x")
        #expect(model.list.selectedIndex == nil, "the page is read around the contact; its place is not known yet")
        let asks = effects.filter { if case .locate = $0 { true } else { false } }
        #expect(asks.count == 1)
        let meanwhile = model.press(.down, .down, .up)
        #expect(!meanwhile.contains { if case .locate = $0 { true } else { false } }, "one count at a time")
        model.runCounts(asks)
        #expect(model.selectedName == "P46")
        #expect(model.list.selectedIndex == 47, "P00…P45 and P45x come before it")
    }

    @Test func theEndOfAFilteredListWaitsForItsCountInsteadOfCountingTwice() throws {
        let people = (0..<60).map { Fixture.Person(0, [.fullName: String(format: "P%02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false))
        model.press(.character("/"))
        let counts = model.type("p")
        model.press(.enter)
        let jump = model.press(.character("G"))
        #expect(model.list.selectedIndex == nil)
        #expect(!jump.contains { if case .locate = $0 { true } else { false } }, "the match count gives the place")
        model.runCounts(counts)
        #expect(model.list.selectedIndex == 59)
    }

    @Test func resizingKeepsTheSelectionVisible() throws {
        let people = (0..<40).map { Fixture.Person(0, [.fullName: String(format: "P%02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false), height: 30)
        for _ in 0..<20 { model.press(.down) }
        #expect(model.selectedName == "P20")
        model.handle(.resize(Size(width: 80, height: 12)))
        #expect(model.selectedName == "P20")
        #expect(model.list.selection < model.list.pageSize)
        model.handle(.resize(Size(width: 30, height: 8)))
        #expect(model.layout.isTooSmall)
        model.handle(.resize(Size(width: 120, height: 40)))
        #expect(model.selectedName == "P20")
        #expect(model.detail?.contact.displayName == "P20")
    }

    /// While the terminal is too small, keys do not act on the screen nobody sees: a `y` once
    /// answered a hidden "Delete?". `q` leaves from any pane, as the notice says.
    @Test func keysWaitWhileTheTerminalIsTooSmallButQLeaves() throws {
        let people = (0..<5).map { Fixture.Person(0, [.fullName: String(format: "P%02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false), width: 120, height: 30)
        model.press(.character("d"))
        guard case .dialog? = model.overlay else { Issue.record("no delete dialog"); return }
        model.handle(.resize(Size(width: 20, height: 5)))
        for key in [Key.character("y"), .enter, .character("j"), .character("e"), .escape, .character("d")] {
            #expect(model.press(key).isEmpty, "\(key) did something on a hidden screen")
        }
        model.handle(.resize(Size(width: 120, height: 30)))
        #expect(model.names.count == 5, "nothing was deleted")
        #expect(model.selectedName == "P00")
        guard case .dialog? = model.overlay else { Issue.record("the dialog went away unseen"); return }
        model.press(.escape)

        // In a form, typing: `q` is not typed into the field; it leaves, and the form stays a draft.
        model.press(.character("e"))
        model.focusField(.standard(.city))
        model.press(.enter)
        model.type("Lim")
        model.handle(.resize(Size(width: 20, height: 5)))
        #expect(model.press(.control("l")) == [.redraw])
        #expect(model.press(.character("q")) == [.quit])
        #expect(model.form?.editor?.text == "Lim", "q was not typed")
        let drafts = try model.services.drafts.drafts()
        #expect(drafts.count == 1 && drafts[0].payload.contains("Lim"), "the unsaved form stays a draft")
    }

    /// Moving while the detail is off screen (the terminal too small, or one pane at a time)
    /// must not leave it on the contact before: once it shows again, it shows the highlighted
    /// one, and `e` edits the contact on show.
    @Test func theDetailAlwaysShowsTheHighlightedContact() throws {
        let people = (0..<40).map { Fixture.Person(0, [.fullName: String(format: "P%02d", $0), .email: "p\($0)@example.com"]) }
        let model = try makeModel(Fixture.service(people: people, withProviders: false), width: 120, height: 30)
        #expect(model.detail?.contact.displayName == "P00")
        // Too small to draw anything: keys wait (see keysWaitWhileTheTerminalIsTooSmallButQLeaves).
        model.handle(.resize(Size(width: 30, height: 8)))
        for _ in 0..<5 { model.press(.character("j")) }
        model.handle(.resize(Size(width: 120, height: 30)))
        #expect(model.selectedName == "P00")
        #expect(model.detail?.contact.displayName == "P00")
        // The list alone on a narrow terminal: the selection moves with the detail off screen.
        model.handle(.resize(Size(width: 80, height: 24)))
        for _ in 0..<5 { model.press(.character("j")) }
        model.handle(.resize(Size(width: 120, height: 30)))
        #expect(model.selectedName == "P05")
        #expect(model.detail?.contact.displayName == "P05")
        model.press(.control("l"))
        #expect(model.detail?.contact.displayName == "P05")
        model.press(.character("e"))
        #expect(model.form?.original.displayName == "P05")
        model.press(.escape)

        // One pane at a time: open a contact, go back, move, then widen the terminal.
        model.handle(.resize(Size(width: 80, height: 24)))
        model.press(.enter)
        #expect(model.detail?.contact.displayName == "P05")
        model.press(.character("h"), .character("j"), .character("j"))
        model.handle(.resize(Size(width: 120, height: 30)))
        #expect(model.selectedName == "P07")
        #expect(model.detail?.contact.displayName == "P07")
    }

    @Test func helpShowsTheFocusedPanesKeysAndAnyKeyCloses() throws {
        let model = try makeModel()
        model.press(.character("?"))
        guard case .help(.list, _)? = model.overlay else { Issue.record("no help"); return }
        model.press(.character("x"))
        #expect(model.overlay == nil)
        #expect(model.context == .list)
    }

    @Test func quitEndsTheProgram() throws {
        let model = try makeModel()
        #expect(model.press(.character("q")) == [.quit])
        #expect(model.press(.control("c")) == [.quit])
        #expect(model.command("q") == [.quit])
    }

    @Test func theCommandLineCompletesAndRemembers() throws {
        let model = try makeModel()
        model.press(.character(":"))
        model.type("acc")
        model.press(.tab)
        #expect(model.commandLine?.editor.text == "account ")
        model.type("notif")
        model.press(.tab)
        #expect(model.commandLine?.editor.text == "account notifuse")
        model.press(.enter)
        #expect(model.currentAccount?.name == "notifuse")
        model.press(.character(":"), .up)
        #expect(model.commandLine?.editor.text == "account notifuse")
        model.press(.escape)
        #expect(model.commandLine == nil)
        model.command("frobnicate")
        #expect(model.message?.text == "Unknown command :frobnicate — try :help")
    }

    @Test func exportWritesTheContactsInView() throws {
        let model = try makeModel()
        let path = NSTemporaryDirectory() + "rolo-export-\(UInt32.random(in: 0...UInt32.max)).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        model.command("filter rob")
        model.command("export \(path)")
        #expect(model.message?.text == "Exported 1 contact to \(path)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("Howard"))
        #expect(!text.contains("Lee"))
        model.command("export /tmp/contacts.txt")
        #expect(model.message?.tone == .error)
    }
}

import Foundation

/// A clock a test moves by hand.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Timestamp
    init(_ start: Timestamp) { instant = start }
    var now: Timestamp { lock.withLock { instant } }
    func advance(milliseconds: Int64) {
        lock.withLock { instant = Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + milliseconds) }
    }
}
