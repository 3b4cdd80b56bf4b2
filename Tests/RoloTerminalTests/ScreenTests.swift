import Foundation
import RoloCore
import RoloSync
import RoloTerminal
import RoloTestFixtures
import RoloViewModels
import Testing

/// Every screen at the three sizes that matter: 80×24 (a plain SSH terminal), 40×12 (a
/// small split) and 160×48 (a big window, side by side).
@Suite("Screens")
struct ScreenTests {
    static let sizes = [Size(width: 80, height: 24), Size(width: 40, height: 12), Size(width: 160, height: 48)]

    /// Builds the model at each size, runs `steps`, and compares the screen.
    func screens(_ name: String, account: String? = "local", readOnly: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation, _ steps: (AppModel) -> Void = { _ in }) throws {
        for size in Self.sizes {
            let model = try AppModel(service: Fixture.service(), size: size,
                                     options: AppOptions(readOnly: readOnly, account: account, now: Fixture.clock))
            steps(model)
            Snapshot.check(Screen.render(model), name, sourceLocation: sourceLocation)
        }
    }

    @Test func theList() throws {
        try screens("list")
    }

    @Test func allAccountsWithTheFilterBeingTyped() throws {
        try screens("filter-typing", account: nil) { model in
            model.press(.character("/"))
            model.type("rob")
        }
    }

    @Test func aFilterWithNoMatch() throws {
        try screens("filter-none") { model in
            model.press(.character("/"))
            model.type("nobody")
            model.press(.enter)
        }
    }

    /// A slip in a field's name says so instead of "no contact matches".
    @Test func aFilterOnAFieldThatIsNot() throws {
        try screens("filter-unknown-field") { model in
            model.press(.character("/"))
            model.type("citty:dallas")
            model.press(.enter)
        }
    }

    @Test func theDetailOfAContact() throws {
        try screens("detail") { model in
            model.command("filter howard")
            model.press(.enter)
        }
    }

    @Test func theEditFormWhileTyping() throws {
        try screens("form-typing") { model in
            model.command("filter howard")
            model.press(.enter, .character("e"))
            model.focusField(.standard(.city))
            model.press(.enter)
            model.type(" Fort Worth")
        }
    }

    @Test func theEditFormWithAnError() throws {
        try screens("form-error") { model in
            model.command("filter howard")
            model.press(.enter, .character("e"))
            model.focusField(.standard(.email))
            model.press(.enter, .control("u"))
            model.type("rob@")
            model.press(.enter)
        }
    }

    @Test func aNewContactWithAnExampleInTheFocusedField() throws {
        try screens("form-new", account: "notifuse") { model in
            model.press(.character("n"), .escape)
            model.focusField(.custom("lifetime_value"))
        }
    }

    @Test func aProviderAccountWithPendingEdits() throws {
        try screens("provider", account: "dailystory") { model in
            model.press(.character("e"))
            model.focusField(.standard(.city))
            model.press(.character("x"), .control("s"))
        }
    }

    @Test func longTitlesEndWithAnEllipsisBeforeWhatSharesTheirLine() throws {
        let long = Fixture.Person(0, [.fullName: "Maximiliana Wolkenstein-Trostburg 山田", .email: "max@example.com"])
        let model = try AppModel(service: Fixture.service(people: Fixture.people + [long]), size: Size(width: 40, height: 12),
                                 options: AppOptions(account: "local", now: Fixture.clock))
        model.command("filter maximiliana")
        model.press(.enter, .character("e"))
        let lines = Screen.render(model).lines()
        #expect(lines[0].hasPrefix(" rolo · local · filter: maximil… ? help"), "\(lines[0])")
        #expect(lines[1].hasPrefix(" Edit Maximiliana Wolkenstein-Tro… 1/23"), "\(lines[1])")
    }

    @Test func aMessageTooLongToSitBesideTheCountsTakesTheWholeLine() throws {
        let model = try AppModel(service: Fixture.service(), size: Size(width: 80, height: 24),
                                 options: AppOptions(account: "local", now: Fixture.clock))
        model.command("account lo")
        let message = try #require(model.message?.text)
        #expect(TerminalText.width(message) > 50)
        let status = Screen.render(model).lines()[22]
        #expect(status.trimmingCharacters(in: .whitespaces) == message, "\(status)")
        model.command("sort recent")
        #expect(Screen.render(model).lines()[22].hasPrefix(" 8 contacts · row 1"), "a short one sits beside the counts")
    }

    /// The highlighted list row and the detail's heading name the same contact, after moves
    /// made while the terminal was too narrow to draw the detail, and keys pressed while it was
    /// too small to draw anything (which wait).
    @Test func theDetailOnShowIsTheHighlightedRowAfterATinyTerminal() throws {
        let model = try AppModel(service: Fixture.service(), size: Size(width: 120, height: 30),
                                 options: AppOptions(account: "local", now: Fixture.clock))
        model.send(.resize(Size(width: 30, height: 8)))
        model.press(.character("j"), .character("j"), .character("d"), .character("y"))
        model.send(.resize(Size(width: 80, height: 24)))
        model.press(.character("j"), .character("j"))
        model.send(.resize(Size(width: 120, height: 30)))
        let canvas = Screen.render(model)
        let listWidth = model.layout.listPane.width
        let highlighted = (0..<canvas.height).first { y in canvas[2, y].role == .selected }
        let row = try #require(highlighted)
        let rowText = String(canvas.lines()[row].prefix(listWidth).dropFirst(2))
        let heading = canvas.lines()[model.layout.detailPane.y].dropFirst(listWidth + 1).trimmingCharacters(in: .whitespaces)
        #expect(row == model.layout.listPane.y + 3, "the third contact is highlighted")
        #expect(!heading.isEmpty && rowText.hasPrefix(heading), "the highlighted row is “\(rowText)”; the detail shows “\(heading)”")
    }

    /// "↓ N more" has a row of its own: it never covers a value (at 40×12 it covered
    /// "Acme Logistics"), and scrolling to the end shows every row.
    @Test func theMoreIndicatorNeverCoversAValue() throws {
        for size in Self.sizes {
            let model = try AppModel(service: Fixture.service(), size: size, options: AppOptions(account: "local", now: Fixture.clock))
            model.command("filter howard")
            model.press(.enter)
            var seen = Set<String>()
            for _ in 0..<60 {
                let lines = Screen.render(model).lines()
                let pane = model.layout.detailPane
                for y in pane.y..<pane.maxY {
                    let row = String(lines[y].dropFirst(pane.x))
                    if let arrow = row.range(of: "↓") {
                        #expect(row[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces).isEmpty,
                                "\(size): the indicator shares its row with “\(row)”")
                    } else if !row.isEmpty {
                        seen.insert(row.trimmingCharacters(in: .whitespaces))
                    }
                }
                model.press(.character("j"))
            }
            #expect(seen.contains { $0.hasPrefix("Company") && $0.hasSuffix("Acme Logistics") }, "\(size)")
            #expect(seen.contains { $0.hasPrefix("Created") }, "\(size): the last row shows")
        }
    }

    /// Every sentence of the help shows in full at 80×24 (long ones wrap; they were cut with
    /// "…"), and scrolling reaches the last line.
    @Test func theHelpShowsEverySentenceInFullAt80x24() throws {
        for pane in ["list", "detail", "form"] {
            let model = try AppModel(service: Fixture.service(), size: Size(width: 80, height: 24),
                                     options: AppOptions(account: "local", now: Fixture.clock))
            if pane != "list" { model.command("filter howard") }
            if pane == "detail" { model.press(.enter) }
            if pane == "form" { model.press(.character("e")) }
            model.press(.character("?"))
            guard case .help(let context, _)? = model.overlay else { Issue.record("no help for \(pane)"); continue }
            var rows: [Int: String] = [:]
            for _ in 0..<80 {
                guard case .help(_, let scroll)? = model.overlay else { break }
                let lines = Screen.render(model).lines()
                let top = try #require(lines.firstIndex { $0.contains("╭") })
                let bottom = try #require(lines.firstIndex { $0.contains("╰") })
                for (offset, y) in ((top + 1)..<(bottom - 1)).enumerated() {
                    let inside = lines[y].split(separator: "│", omittingEmptySubsequences: false)
                    let text = inside.count > 1 ? inside[1].trimmingCharacters(in: .whitespaces) : ""
                    #expect(!text.contains("…"), "\(pane): “\(text)” is cut")
                    rows[scroll + offset] = text
                }
                model.press(.character("j"))
            }
            let shown = rows.keys.sorted().map { rows[$0]! }.joined(separator: " ")
                .split(separator: " ").joined(separator: " ")
            for entry in model.keyMap.help(for: context) {
                #expect(shown.contains(entry.help), "\(pane): “\(entry.help)” is not shown whole")
            }
        }
    }

    /// A locale that is not UTF-8 is said for as long as rolo runs: messages pass with the next
    /// key or after seconds, the note in the title bar does not.
    @Test func aLocaleThatIsNotUTF8StaysSaidInTheTitleBar() throws {
        let later = Timestamp(parsing: "2026-11-25T11:00:00Z")!
        for size in [Size(width: 80, height: 24), Size(width: 40, height: 12)] {
            let clock = ManualClock(Fixture.clock())
            let model = try AppModel(service: Fixture.service(), size: size, options: AppOptions(account: "local", now: { clock.now }))
            model.notify("Not UTF-8 (LANG is not set): non-ASCII shows as ?. Run LANG=C.UTF-8 rolo", tone: .warning)
            model.keepOnScreen("LANG not UTF-8")
            if size.width == 80 { #expect(Screen.render(model).lines()[22].hasSuffix("Run LANG=C.UTF-8 rolo"), "the whole warning shows") }
            model.press(.character("j"), .character("k"))
            clock.now = later
            model.send(.tick)
            #expect(model.message == nil)
            let canvas = Screen.render(model)
            #expect(canvas.lines()[0].hasSuffix(" LANG not UTF-8  ? help"), "\(canvas.lines()[0])")
            let x = try #require(canvas.lines()[0].range(of: "LANG").map { canvas.lines()[0].distance(from: canvas.lines()[0].startIndex, to: $0.lowerBound) })
            #expect(canvas[x, 0].role == .warning)
        }
    }

    @Test func aPickerIsAsWideAsItsTitle() throws {
        let model = try AppModel(service: Fixture.service(), size: Size(width: 80, height: 24), options: AppOptions(now: Fixture.clock))
        model.press(.character("n"))
        let lines = Screen.render(model).lines()
        #expect(lines.contains { $0.contains("─ Add the contact to which account? ─") }, "\(lines)")
    }

    /// A picker of several options is wide enough for its own help line ("Space ticks · Enter
    /// accepts…" was cut).
    @Test func aPickerOfManyShowsItsWholeHelpLine() throws {
        let service = try Fixture.service()
        let local = try #require(try service.accounts.accounts().first { $0.provider == .local })
        _ = try service.accounts.addCustomField(key: "topics", type: .multiselect, label: "Topics",
                                                options: [SelectOption(value: "kn", label: "Keynotes")], to: local)
        let model = try AppModel(service: service, size: Size(width: 80, height: 24), options: AppOptions(account: "local", now: Fixture.clock))
        model.command("filter howard")
        model.press(.enter, .character("e"))
        model.focusField(.custom("topics"))
        model.press(.enter)
        let lines = Screen.render(model).lines()
        #expect(lines.contains { $0.contains("Space ticks · Enter accepts · Esc cancels") }, "\(lines.joined(separator: "\n"))")
    }

    @Test func theHelpOverlay() throws {
        try screens("help") { $0.press(.character("?")) }
    }

    @Test func theHelpScrolledAsFarAsItGoes() throws {
        try screens("help-end") { model in
            model.press(.character("?"))
            for _ in 0..<40 { model.press(.character("j")) }
        }
    }

    @Test func quittingWithUnsavedChangesAsksWithEveryAnswerInsideTheBox() throws {
        try screens("quit-question") { model in
            model.command("filter howard")
            model.press(.enter, .character("e"))
            model.focusField(.standard(.city))
            model.press(.enter)
            model.type(" Fort Worth")
            model.press(.enter)
            model.command("q")
        }
    }

    @Test func theDeleteQuestion() throws {
        try screens("delete") { model in
            model.command("filter zoe")
            model.press(.character("d"))
        }
    }

    @Test func theAccountPicker() throws {
        try screens("accounts", account: nil) { $0.press(.character("a")) }
    }

    @Test func theNewFieldPrompt() throws {
        try screens("add-field") { model in
            model.press(.character("e"), .character("a"))
            model.type("loyalty_tier")
            model.press(.tab)
        }
    }

    @Test func theCommandLine() throws {
        try screens("command-line") { model in
            model.press(.character(":"))
            model.type("acc")
            model.press(.tab)
        }
    }

    @Test func readOnlyExplains() throws {
        try screens("read-only", readOnly: true) { $0.press(.character("e")) }
    }

    @Test func aTerminalTooSmall() throws {
        for size in [Size(width: 39, height: 24), Size(width: 80, height: 9), Size(width: 20, height: 5)] {
            let model = try AppModel(service: Fixture.service(), size: size, options: AppOptions(account: "local", now: Fixture.clock))
            Snapshot.check(Screen.render(model), "too-small")
        }
    }

    @Test func hostileTextNeverReachesTheTerminalRaw() throws {
        for size in Self.sizes {
            let model = try AppModel(service: Fixture.service(), size: size, options: AppOptions(account: "local", now: Fixture.clock))
            model.command("filter evil")
            model.press(.enter)
            let canvas = Screen.render(model)
            for cell in canvas.cells {
                for scalar in cell.text.unicodeScalars {
                    #expect(scalar.value >= 0x20 && !(0x7F...0x9F).contains(scalar.value), "raw control U+\(String(scalar.value, radix: 16))")
                    #expect(![0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069].contains(scalar.value))
                }
            }
            #expect(canvas.lines().contains { $0.contains("Evil␛[2J␛]0;pwned␇Name") })
        }
    }
}

extension AppModel {
    /// Handles an event and runs the counts it asks for, as the runtime would.
    func send(_ event: AppEvent) {
        runBackgroundWork(handle(event))
    }
    func press(_ keys: Key...) { for key in keys { send(.key(key)) } }
    func type(_ text: String) { for character in text { send(.key(.character(character))) } }
    func command(_ text: String) {
        press(.character(":"))
        type(text)
        press(.enter)
    }
    func focusField(_ key: FieldKey) {
        guard let index = form?.fields.firstIndex(where: { $0.key == key }) else { return }
        for _ in 0..<max(0, index - (form?.focus ?? 0)) { handle(.key(.down)) }
    }
}

/// A clock a test sets by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Timestamp
    init(_ start: Timestamp) { instant = start }
    var now: Timestamp {
        get { lock.withLock { instant } }
        set { lock.withLock { instant = newValue } }
    }
}
