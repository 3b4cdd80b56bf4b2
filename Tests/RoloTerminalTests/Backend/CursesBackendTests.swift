import Foundation
@testable import RoloTerminal
import RoloCore
import RoloTestFixtures
import RoloViewModels
import Testing

/// The real backend on a pseudo-terminal, in this process: what it sends for a frame, the
/// keys it makes of what a terminal sends, signals, resize, suspend and shutdown.
///
/// Serialized: curses, the locale and the signal handlers belong to the whole process.
@Suite("Curses backend on a pseudo-terminal", .serialized)
struct CursesBackendTests {
    /// Opens a backend on `terminal`, runs `body`, and always shuts it down again.
    func session(_ terminal: PseudoTerminal, type: String = "xterm-256color", colorMode: BackendOptions.ColorMode = .auto,
                 environment: [String: String] = [:], locale: String = "C.UTF-8",
                 _ body: (CursesBackend) throws -> Void) throws {
        let previousLocale = String(cString: setlocale(LC_ALL, nil))
        defer { setlocale(LC_ALL, previousLocale) }
        let connection = TerminalConnection(input: terminal.slave, output: terminal.slave, type: type,
                                            environment: environment, locale: locale)
        let backend = try CursesBackend(options: BackendOptions(colorMode: colorMode), connection: connection)
        defer { backend.shutdown() }
        try body(backend)
    }

    /// A two-pane screen with a selected row, built from plain canvas calls.
    static func screen(width: Int = 80, height: Int = 24, selected: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        canvas.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        canvas.write(" rolo · local", x: 0, y: 0, role: .title)
        canvas.fill(Rect(x: 0, y: 1, width: width, height: 1), role: .header)
        canvas.write("  NAME                 EMAIL", x: 0, y: 1, role: .header)
        canvas.verticalLine(x: 45, y: 1, height: height - 3)
        for row in 0..<(height - 4) {
            let y = 2 + row
            let role: Role = row == selected ? .selected : .normal
            if row == selected { canvas.fill(Rect(x: 0, y: y, width: 45, height: 1), role: role) }
            canvas.writeFitted("  Person \(row) 山田", x: 0, y: y, width: 22, role: role)
            canvas.writeFitted("person\(row)@example.com", x: 23, y: y, width: 22, role: row == selected ? role : .muted)
        }
        canvas.write("Company", x: 47, y: 3, role: .label)
        canvas.write("Acme Logistics", x: 60, y: 3, role: .normal)
        canvas.fill(Rect(x: 0, y: height - 2, width: width, height: 1), role: .status)
        canvas.write(" 20 contacts · row \(selected + 1)", x: 0, y: height - 2, role: .status)
        canvas.write("Enter", x: 0, y: height - 1, role: .hintKey)
        canvas.write(" open", x: 5, y: height - 1, role: .hint)
        return canvas
    }

    // MARK: - Drawing

    @Test func aFramePaintsEverythingThenOnlyWhatChanged() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            #expect(backend.size == Size(width: 80, height: 24))
            let first = terminal.received { backend.draw(Self.screen(selected: 3)) }
            #expect(first.count > 500)
            #expect(first.contains("\u{1B}[?1049h"))       // the alternate screen
            #expect(first.contains("Person 19"))
            let move = terminal.received { backend.draw(Self.screen(selected: 4)) }
            #expect(move.count > 0)
            #expect(move.count < 200, "moving the selection sent \(move.count) bytes")
            let same = terminal.received { backend.draw(Self.screen(selected: 4)) }
            #expect(same.count < 16, "an unchanged frame sent \(same.count) bytes")
        }
    }

    @Test func aBlankThatStaysTakesTheLookOfItsNeighboursAgain() throws {
        // A blank takes the look of the text before it (fewer colour switches). When that text
        // changes look and the blank does not, curses must still hear of the blank's new look:
        // otherwise it compares later frames against a stale one and sends bytes for nothing.
        func row(_ role: Role) -> Canvas {
            var canvas = Canvas(width: 40, height: 12)
            canvas.write("ab", x: 0, y: 5, role: role)
            canvas.write(" ", x: 2, y: 5, role: .normal)
            canvas.write("cd", x: 3, y: 5, role: role)
            return canvas
        }
        let terminal = try PseudoTerminal(width: 40, height: 12)
        try session(terminal) { backend in
            #expect(backend.pair(of: .muted) != backend.pair(of: .normal))
            backend.draw(row(.muted))
            #expect(backend.heldPair(x: 2, y: 5) == backend.pair(of: .muted))
            backend.draw(row(.normal))
            #expect(backend.heldPair(x: 2, y: 5) == backend.pair(of: .normal))
            backend.draw(row(.muted))
            #expect(backend.heldPair(x: 2, y: 5) == backend.pair(of: .muted))
        }
    }

    @Test func rolesOfTheSameColoursShareAPair() throws {
        // Curses compares pair numbers: text passing from grey secondary text to a grey hint
        // must not cost a colour change.
        #expect(Theme.look(.muted, at: .extended).foreground == Theme.look(.hint, at: .extended).foreground)
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            #expect(backend.pair(of: .muted) == backend.pair(of: .hint))
            #expect(backend.pair(of: .muted) != backend.pair(of: .label))
            #expect(backend.pair(of: .selected) != backend.pair(of: .title))
        }
    }

    @Test func movingTheSelectionOnTheRealListScreenIsCheap() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            let model = try AppModel(service: Fixture.service(), size: backend.size,
                                     options: AppOptions(account: "local", now: Fixture.clock))
            let first = terminal.received { backend.draw(Screen.render(model)) }
            #expect(first.count > 500)
            // Down through the whole list. The fixture's rows are dense (three columns, control
            // pictures of three bytes each, scripts of two bytes a letter), and the status bar's
            // row number changes too; 188–251 bytes a move when this was written.
            var moves: [Int] = []
            for _ in 0..<7 {
                _ = model.handle(.key(.down))
                moves.append(terminal.received { backend.draw(Screen.render(model)) }.count)
            }
            #expect(moves.allSatisfy { $0 > 0 && $0 < 300 }, "bytes per move: \(moves)")
            #expect(moves.reduce(0, +) / moves.count < 250, "bytes per move: \(moves)")
        }
    }

    @Test func wideCharactersAndGraphemesCursesCannotPlace() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            var canvas = Canvas(width: 80, height: 24)
            canvas.write("山田太郎 Zoë e\u{301} 🇯🇵 \u{1FAE8} end", x: 0, y: 0, role: .normal)
            let bytes = terminal.received { backend.draw(canvas) }
            #expect(bytes.contains("山田太郎"))
            #expect(bytes.contains("Zoë"))
            #expect(bytes.contains("e\u{301}"))
            #expect(bytes.contains("\u{1F1EF}\u{1F1F5}"))   // the flag, as its two indicators
            #expect(!bytes.contains("\u{1FAE8}"))            // newer than the C library's tables…
            #expect(bytes.contains("？"))                    // …so a wide placeholder instead
            #expect(bytes.contains("end"))
        }
    }

    @Test func theCursorShowsOnlyWhereTheCanvasPutsIt() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            var canvas = Canvas(width: 80, height: 24)
            canvas.write("Name: Ann", x: 0, y: 3, role: .input)
            _ = terminal.received { backend.draw(canvas) }
            canvas.cursor = (40, 15)
            let shown = terminal.received { backend.draw(canvas) }
            #expect(shown.contains("\u{1B}[?25h"))            // cnorm
            #expect(shown.contains("\u{1B}[16;41H"))          // row 16, column 41 (1-based)
            canvas.cursor = nil
            let hidden = terminal.received { backend.draw(canvas) }
            #expect(hidden.contains("\u{1B}[?25l"))           // civis
        }
    }

    // MARK: - Colour

    @Test func theColourLevelFollowsTheTerminal() throws {
        for (type, level) in [("xterm-256color", ColorLevel.extended), ("xterm", .basic), ("vt100", .none)] {
            let terminal = try PseudoTerminal()
            try session(terminal, type: type) { backend in
                #expect(backend.colorLevel == level, "TERM=\(type)")
            }
        }
    }

    static let allRoles: Canvas = {
        var canvas = Canvas(width: 80, height: 24)
        for (index, role) in Role.allCases.enumerated() {
            canvas.write("\(role) text", x: 0, y: index, role: role)
        }
        return canvas
    }()

    /// SGR parameters that choose a colour.
    static func colourParameters(_ bytes: [UInt8]) -> [Int] {
        bytes.graphicRenditions.flatMap { $0 }.filter { (30...49).contains($0) || (90...107).contains($0) }
    }

    @Test func withoutColourOnlyAttributesAreSent() throws {
        for (mode, environment) in [(BackendOptions.ColorMode.none, [String: String]()), (.auto, ["NO_COLOR": "1"])] {
            let terminal = try PseudoTerminal()
            try session(terminal, colorMode: mode, environment: environment) { backend in
                #expect(backend.colorLevel == .none)
                let bytes = terminal.received { backend.draw(Self.allRoles) }
                #expect(Self.colourParameters(bytes).isEmpty, "colour sent: \(Self.colourParameters(bytes))")
                let parameters = Set(bytes.graphicRenditions.flatMap { $0 })
                #expect(parameters.contains(7), "reverse video for the selection")
                #expect(parameters.contains(1), "bold")
            }
        }
    }

    @Test func anEmptyNoColorDoesNotTurnColourOff() throws {
        let terminal = try PseudoTerminal()
        try session(terminal, environment: ["NO_COLOR": ""]) { backend in
            #expect(backend.colorLevel == .extended)
            let bytes = terminal.received { backend.draw(Self.allRoles) }
            #expect(!Self.colourParameters(bytes).isEmpty)
        }
    }

    // MARK: - Keys

    static let typed: [(bytes: String, keys: [Key])] = [
        ("\u{1B}OA\u{1B}OB\u{1B}OC\u{1B}OD", [.up, .down, .right, .left]),
        ("\u{1B}[5~\u{1B}[6~\u{1B}OH\u{1B}OF", [.pageUp, .pageDown, .home, .end]),
        // Home and End from tmux, screen, PuTTY and rxvt, whatever TERM says.
        ("\u{1B}[1~\u{1B}[4~\u{1B}[7~\u{1B}[8~\u{1B}[H\u{1B}[F", [.home, .end, .home, .end, .home, .end]),
        ("\u{1B}[3~\u{1B}[2~\u{1B}[Z", [.delete, .insert, .backTab]),
        ("\u{1B}OP\u{1B}[24~", [.function(1), .function(12)]),
        ("\r\t\u{7F}\u{8}", [.enter, .tab, .backspace, .backspace]),
        // Raw mode: the keys a cooked terminal would turn into signals or flow control.
        ("\u{3}\u{1A}\u{13}\u{11}\u{1C}a", [.control("c"), .control("z"), .control("s"), .control("q"), .character("a")]),
        ("aé山🚀ب", [.character("a"), .character("é"), .character("山"), .character("🚀"), .character("ب")]),
        ("\u{1B}b\u{1B}F\u{1B}\u{7F}", [.alt("b"), .alt("F"), .alt("\u{7F}")]),
        ("\u{1B}\r", [.escape, .enter]),
        // A key curses does not know is dropped, not typed as "[99~".
        ("\u{1B}[99~z\u{1B}[1;9Xy", [.character("z"), .character("y")]),
        ("\u{1B}[", [.alt("[")]),
    ]

    @Test(arguments: typed.indices)
    func keys(_ index: Int) throws {
        let entry = Self.typed[index]
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            terminal.type(entry.bytes)
            var events: [TerminalEvent] = []
            for _ in entry.keys { events.append(backend.nextEvent(timeoutMilliseconds: 2000)) }
            #expect(events == entry.keys.map(TerminalEvent.key))
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .timeout)
        }
    }

    /// Without a UTF-8 locale a typed `é` arrives as bytes rolo cannot store: one event says
    /// so (the screen then tells the user), and the ASCII typed around it arrives as typed.
    @Test func nonASCIITypedWithoutAUTF8LocaleIsRefusedOnceAndSaid() throws {
        let terminal = try PseudoTerminal()
        try session(terminal, environment: ["LANG": "C"], locale: "C") { backend in
            terminal.type("Xü€y")
            var events: [TerminalEvent] = []
            while case let event = backend.nextEvent(timeoutMilliseconds: 300), event != .timeout { events.append(event) }
            #expect(events == [.key(.character("X")), .refusedInput, .key(.character("y"))], "\(events)")
        }
        let utf8 = try PseudoTerminal()
        try session(utf8) { backend in
            utf8.type("ü")
            #expect(backend.nextEvent(timeoutMilliseconds: 2000) == .key(.character("ü")))
        }
    }

    @Test func aLoneEscapeArrivesAfterAShortDelay() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            terminal.type("\u{1B}")
            let start = Date()
            #expect(backend.nextEvent(timeoutMilliseconds: 3000) == .key(.escape))
            // curses' default is a whole second; rolo asks for 25 ms.
            #expect(Date().timeIntervalSince(start) < 0.5)
        }
    }

    @Test func aPasteIsOneEventWithItsLineBreaks() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            terminal.type("\u{1B}[200~first line\r\nsecond\rthird\n\tq:wq 山\u{1B}[201~x")
            #expect(backend.nextEvent(timeoutMilliseconds: 2000) == .key(.paste("first line\nsecond\nthird\n\tq:wq 山")))
            #expect(backend.nextEvent(timeoutMilliseconds: 2000) == .key(.character("x")))
        }
    }

    @Test func theTimeoutIsKept() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            let start = Date()
            #expect(backend.nextEvent(timeoutMilliseconds: 60) == .timeout)
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 0.05 && elapsed < 1)
        }
    }

    // MARK: - Signals, wake-ups, resize, hang-up

    /// Runs `action` on another thread after `delay`, and waits for it before returning, so
    /// that nothing happens after the session (and its signal handlers) are gone.
    func meanwhile(after delay: Double, _ action: @escaping @Sendable () -> Void, while body: () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: delay)
            action()
            done.signal()
        }
        body()
        done.wait()
    }

    @Test(arguments: [(SIGTERM, TerminalEvent.terminate), (SIGINT, .terminate), (SIGQUIT, .terminate), (SIGHUP, .hangup)])
    func aSignalEndsAWaitAtOnce(_ signal: Int32, _ expected: TerminalEvent) throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            var event: TerminalEvent?
            var waited = 0.0
            meanwhile(after: 0.1, { kill(getpid(), signal) }) {
                let start = Date()
                event = backend.nextEvent(timeoutMilliseconds: 10_000)
                waited = Date().timeIntervalSince(start)
            }
            #expect(event == expected)
            #expect(waited < 1.0, "returned \(Int((waited - 0.1) * 1000)) ms after the signal")
        }
    }

    @Test func aHangupIsFinal() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            kill(getpid(), SIGHUP)
            #expect(backend.nextEvent(timeoutMilliseconds: 1000) == .hangup)
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .hangup)
        }
    }

    @Test func wakeFromAnotherThread() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            let waker = UncheckedBackend(backend)
            var event: TerminalEvent?
            meanwhile(after: 0.05, { waker.backend.wake() }) {
                event = backend.nextEvent(timeoutMilliseconds: 10_000)
            }
            #expect(event == .wake)
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .timeout)
        }
    }

    @Test func aResizeIsReportedAndRepaintsEverything() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            _ = terminal.received { backend.draw(Self.screen(selected: 0)) }
            terminal.resize(width: 100, height: 30)
            backend.wake()                          // a wake-up at the same time is not lost
            kill(getpid(), SIGWINCH)
            // The signal may reach the pipe after the wake-up: either order, both events.
            let events = [backend.nextEvent(timeoutMilliseconds: 2000), backend.nextEvent(timeoutMilliseconds: 2000)]
            #expect(events.contains(.resize(Size(width: 100, height: 30))))
            #expect(events.contains(.wake))
            #expect(backend.size == Size(width: 100, height: 30))
            let bytes = terminal.received { backend.draw(Self.screen(width: 100, height: 30, selected: 0)) }
            #expect(bytes.count > 500)
            #expect(bytes.contains("Person 25"))
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .timeout)   // curses' own KEY_RESIZE is not a second event
        }
    }

    @Test func theTerminalGoingAwayIsAHangupAndNothingHangs() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { backend in
            _ = terminal.received { backend.draw(Self.screen(selected: 0)) }
            terminal.closeMaster()
            let start = Date()
            #expect(backend.nextEvent(timeoutMilliseconds: 5000) == .hangup)
            backend.draw(Self.screen(selected: 1))   // writes fail with EIO: no crash, no wait
            backend.shutdown()
            #expect(Date().timeIntervalSince(start) < 2)
        }
    }

    // MARK: - Giving the terminal back

    @Test func suspendHandsTheTerminalOverAndRepaintsAfter() throws {
        let terminal = try PseudoTerminal()
        let original = terminal.settings
        try session(terminal) { backend in
            let canvas = Self.screen(selected: 2)
            _ = terminal.received { backend.draw(canvas) }
            #expect(terminal.settings.c_lflag & tcflag_t(ICANON) == 0)   // raw while rolo runs
            var during = termios()
            let bytes = terminal.received {
                let value = backend.suspend {
                    during = terminal.settings
                    return 42
                }
                #expect(value == 42)
            }
            #expect(during.c_lflag == original.c_lflag, "the editor gets the terminal as it was")
            #expect(bytes.contains(BracketedPaste.off))
            #expect(bytes.contains("\u{1B}[?1049l"))                     // left the alternate screen
            #expect(bytes.contains(BracketedPaste.on))                  // and paste mode back after
            let after = terminal.received { backend.draw(canvas) }
            #expect(after.count > 500, "the first frame after a suspend repaints everything")
            #expect(after.contains("\u{1B}[?1049h"))
            // A window resized while another program had the terminal is reported after.
            backend.suspend { terminal.resize(width: 90, height: 20) }
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .resize(Size(width: 90, height: 20)))
        }
    }

    @Test func shutdownRestoresTheTerminalOnce() throws {
        let terminal = try PseudoTerminal()
        let original = terminal.settings
        try session(terminal) { backend in
            _ = terminal.received { backend.draw(Self.screen(selected: 0)) }
            let bytes = terminal.received { backend.shutdown() }
            #expect(bytes.contains(BracketedPaste.off))
            #expect(bytes.contains("\u{1B}[?1049l"))
            #expect(bytes.contains("\u{1B}[?25h"))
            #expect(terminal.settings.c_lflag == original.c_lflag)
            #expect(terminal.settings.c_iflag == original.c_iflag)
            let again = terminal.received { backend.shutdown() }
            #expect(again.isEmpty)
            #expect(backend.nextEvent(timeoutMilliseconds: 0) == .terminate)
        }
    }

    @Test func theCrashSequenceIsReadyBeforeAnythingIsDrawn() throws {
        let terminal = try PseudoTerminal()
        try session(terminal) { _ in
            let reset = TerminalRestore.preparedResetBytes
            #expect(reset.contains("\u{1B}[?1049l"))    // rmcup
            #expect(reset.contains("\u{1B}[?25h"))      // cnorm
            #expect(reset.contains("\u{1B}[m"))         // sgr0
            #expect(reset.contains(BracketedPaste.off))
        }
    }

    // MARK: - Refusals and warnings

    @Test func notATerminalIsRefusedBeforeCurses() throws {
        var descriptors: [Int32] = [-1, -1]
        #expect(pipe(&descriptors) == 0)
        defer { descriptors.forEach { close($0) } }
        let connection = TerminalConnection(input: descriptors[0], output: descriptors[1], type: "xterm",
                                            environment: [:], locale: "C.UTF-8")
        #expect {
            _ = try CursesBackend(options: BackendOptions(), connection: connection)
        } throws: { error in
            "\(error)".contains("standard input is not one")
        }
    }

    @Test func unknownAndCursorlessTerminalsAreRefused() throws {
        for (type, words) in [("no-such-terminal", "unknown to terminfo"), ("dumb", "cannot move its cursor"), ("", "TERM is not set")] {
            let terminal = try PseudoTerminal()
            #expect {
                try session(terminal, type: type) { _ in }
            } throws: { error in
                "\(error)".contains(words)
            }
            // Nothing is left behind: a good terminal opens right after.
            try session(terminal) { backend in #expect(backend.size.width == 80) }
        }
    }

    @Test func aLocaleThatIsNotUTF8IsWarnedAboutAndOnlyASCIIIsSent() throws {
        let terminal = try PseudoTerminal()
        try session(terminal, environment: ["LANG": "C"], locale: "C") { backend in
            let warning = try #require(backend.startupWarning)
            #expect(warning == "Not UTF-8 (LANG=C): non-ASCII shows as ?. Run LANG=C.UTF-8 rolo")
            #expect(warning.count + 2 <= 80, "the warning and its fix show whole at 80 columns")
            #expect(backend.lastingNote == "LANG not UTF-8", "and a note stays on screen")
            let bytes = terminal.received { backend.draw(Self.screen(selected: 1)) }
            #expect(bytes.allSatisfy { $0 < 0x80 })
            #expect(bytes.contains("|"))            // the pane border, in ASCII
        }
        let missing = try PseudoTerminal()
        try session(missing, environment: ["LC_ALL": "xx_XX.UTF-8"], locale: "xx_XX.UTF-8") { backend in
            #expect(backend.startupWarning == "LC_ALL=xx_XX.UTF-8 not installed: non-ASCII shows as ?. Run LC_ALL=C.UTF-8 rolo")
            #expect(backend.lastingNote == "LC_ALL not UTF-8")
        }
        // LANG cannot win over LC_ALL: the fix names the variable that decides.
        let overridden = try PseudoTerminal()
        try session(overridden, environment: ["LC_ALL": "C", "LANG": "C.UTF-8"], locale: "C") { backend in
            #expect(backend.startupWarning == "Not UTF-8 (LC_ALL=C): non-ASCII shows as ?. Run LC_ALL=C.UTF-8 rolo")
        }
        // What macOS's Terminal sends over SSH, and Debian's sshd accepts but has no such locale.
        let mac = try PseudoTerminal()
        try session(mac, environment: ["LC_CTYPE": "UTF-8", "LANG": "C.UTF-8"], locale: "UTF-8") { backend in
            let warning = try #require(backend.startupWarning)
            #expect(warning == "LC_CTYPE=UTF-8 not installed: non-ASCII shows as ?. Run LC_ALL=C.UTF-8 rolo")
            #expect(warning.count + 2 <= 80, "whole at 80 columns")
        }
        let utf8 = try PseudoTerminal()
        try session(utf8) { backend in #expect(backend.startupWarning == nil && backend.lastingNote == nil) }
    }
}

/// Hands the backend to another thread in a test (only `wake()` is called there).
struct UncheckedBackend: @unchecked Sendable {
    let backend: CursesBackend
    init(_ backend: CursesBackend) { self.backend = backend }
}
