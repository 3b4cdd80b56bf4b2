import CNcursesw
import Foundation
import RoloCore
import RoloViewModels

/// What the terminal tells the app.
public enum TerminalEvent: Equatable, Sendable {
    case key(Key)
    case resize(Size)
    /// SIGHUP, or the terminal's input closed: the terminal went away (a dropped SSH session).
    case hangup
    /// SIGTERM, SIGINT or SIGQUIT sent from outside (Ctrl-C itself arrives as a key).
    case terminate
    /// Another thread called `wake()`: background work has results.
    case wake
    case timeout
    /// Keys that are no character here: without a UTF-8 locale, curses hands over the bytes of
    /// a typed `é` one by one, which rolo cannot store. Said, rather than dropped unseen.
    case refusedInput
}

public struct BackendOptions: Sendable {
    public enum ColorMode: Sendable {
        /// Colour when the terminal has it, unless `NO_COLOR` is set to anything non-empty.
        case auto
        /// `--no-color`: attributes only.
        case none
    }

    public var colorMode: ColorMode

    public init(colorMode: ColorMode = .auto) {
        self.colorMode = colorMode
    }
}

public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
}

/// Which terminal a backend drives: the process's own (stdin, stdout, `$TERM`), or in tests a
/// pseudo-terminal with a fixed type and environment.
struct TerminalConnection {
    var input: Int32
    var output: Int32
    /// The terminfo name; nil takes `TERM` from `environment`.
    var type: String?
    var environment: [String: String]
    /// Passed to `setlocale(LC_ALL, …)`: "" means the user's locale.
    var locale: String

    static func standard() -> TerminalConnection {
        TerminalConnection(input: STDIN_FILENO, output: STDOUT_FILENO, type: nil,
                           environment: ProcessInfo.processInfo.environment, locale: "")
    }
}

/// The session that `atexit` closes: at most one backend drives the terminal at a time.
nonisolated(unsafe) private weak var activeBackend: CursesBackend?
nonisolated(unsafe) private var exitHookRegistered = false

/// The one type that talks to curses: it draws canvases (only the cells that changed) and
/// turns curses input into `Key`s. It owns the terminal's state and gives it back on every
/// way out — quit, Ctrl-C, SIGTERM, SIGHUP, `exit()`, a thrown error, even a crash.
public final class CursesBackend {
    public private(set) var colorLevel: ColorLevel = .none
    /// Something to tell the user once, such as a locale that is not UTF-8.
    public private(set) var startupWarning: String?
    /// A fact about the terminal that stays on screen for the whole session (a locale that is
    /// not UTF-8: every name in another script shows as `?` until rolo is started again).
    public private(set) var lastingNote: String?

    public var size: Size {
        isActive ? Size(width: Int(rolo_cols()), height: Int(rolo_lines())) : reportedSize
    }

    private let connection: TerminalConnection
    private var screen: OpaquePointer?
    /// Streams opened for curses on a connection that is not stdin/stdout (closed at shutdown).
    private var openedFiles: [UnsafeMutablePointer<FILE>] = []
    private var isActive = false
    /// False when the locale is not UTF-8: then only ASCII reaches the terminal.
    private let unicode: Bool

    /// Attributes and colour pair for each role, indexed by the role's raw value.
    private var looks: [(attributes: attr_t, pair: Int16)] = []
    /// For each role: true when a blank in it looks like a blank in the terminal's own colours
    /// (no background, reverse or underline).
    private var blankLooksAlike: [Bool] = []
    /// The last canvas sent, to send only what changed.
    private var drawn: Canvas?
    /// The look each cell of `drawn` was sent with: a blank's look depends on the cells before
    /// it, so a cell can stay the same while its look changes, and curses must then hear of it
    /// (or it keeps a stale look, and compares later frames against that).
    private var drawnLooks: [Int] = []
    private var needsFullRepaint = true
    private var cursorVisible: Bool?
    private var cluster = [wchar_t](repeating: 0, count: Glyphs.maxScalarsPerUnit + 1)

    /// The size last reported with `.resize` (or at start).
    private var reportedSize = Size(width: 0, height: 0)
    /// Signals and wake-ups read from the pipe but not yet returned.
    private var relayed = TerminalRestore.Relayed()
    /// A key read while checking whether ESC started an Alt combination.
    private var pendingKey: Key?

    private static let pasteStartCode = KEY_MAX + 1
    private static let pasteEndCode = KEY_MAX + 2
    /// A paste is gathered until its end marker, or until the terminal pauses this long.
    private static let pastePauseMilliseconds: Int32 = 500
    /// Pasted text beyond this many characters is read and dropped (never taken as keys).
    private static let pasteLimit = 1_000_000

    public convenience init(options: BackendOptions) throws {
        try self.init(options: options, connection: .standard())
    }

    init(options: BackendOptions, connection: TerminalConnection) throws {
        self.connection = connection
        // Before curses: initscr on a pipe would wait for input or print garbage.
        for (descriptor, name) in [(connection.input, "standard input"), (connection.output, "standard output")]
        where isatty(descriptor) != 1 {
            throw TerminalError(description: "rolo's screen needs a terminal, and \(name) is not one; "
                + "in scripts, use the subcommands (rolo list, rolo show, rolo export …; see rolo --help)")
        }
        guard activeBackend == nil else {
            throw TerminalError(description: "the terminal is already in use by another screen session")
        }
        let type = connection.type ?? connection.environment["TERM"] ?? ""
        guard !type.isEmpty else {
            throw TerminalError(description: "TERM is not set, so rolo cannot drive this terminal; try TERM=xterm-256color")
        }

        setlocale(LC_ALL, connection.locale)
        let codeset = nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? ""
        unicode = codeset.uppercased().filter { $0 != "-" && $0 != "_" } == "UTF8"
        if !unicode {
            let (variable, value) = Self.describeLocale(connection.environment)
            // Short enough to show whole at 80 columns, with the fix at its end. A UTF-8 locale
            // that this machine does not have (generated on the laptop, not on the jump host)
            // is named as such, or the message would seem to contradict itself.
            // The fix names the variable that decides: LANG cannot win over LC_ALL or LC_CTYPE
            // (macOS sends LC_CTYPE=UTF-8, which Debian's sshd accepts and does not have).
            let fix = "Run \(variable == "LANG" ? "LANG" : "LC_ALL")=C.UTF-8 rolo"
            if let value, value.lowercased().contains("utf-8") || value.lowercased().contains("utf8") {
                startupWarning = "\(variable)=\(value) not installed: non-ASCII shows as ?. \(fix)"
            } else {
                startupWarning = "Not UTF-8 (\(value.map { "\(variable)=\($0)" } ?? "LANG is not set")): non-ASCII shows as ?. \(fix)"
            }
            lastingNote = "\(variable) not UTF-8"
        }

        // Handlers first: curses then leaves SIGINT, SIGTERM and SIGWINCH alone.
        TerminalRestore.install(input: connection.input, output: connection.output)
        let output = connection.output == STDOUT_FILENO ? rolo_stdout_file() : openFile(connection.output, mode: "w")
        let input = connection.input == STDIN_FILENO ? rolo_stdin_file() : openFile(connection.input, mode: "r")
        guard let output, let input, let screen = newterm(type, output, input) else {
            TerminalRestore.uninstall()
            closeFiles()
            throw TerminalError(description: "rolo cannot drive a terminal of type TERM=\(type) (unknown to terminfo); "
                + "try TERM=xterm-256color")
        }
        self.screen = screen
        set_term(screen)
        guard rolo_tigetstr("cup") != nil else {
            endwin()
            delscreen(screen)
            self.screen = nil
            TerminalRestore.uninstall()
            closeFiles()
            throw TerminalError(description: "a terminal of type TERM=\(type) cannot move its cursor, which rolo's screen needs; "
                + "try TERM=xterm-256color, or use the subcommands")
        }
        TerminalRestore.arm()
        TerminalRestore.captureStandardError(sameAs: connection.output, environment: connection.environment)
        isActive = true

        let window = rolo_stdscr()
        raw()                      // Ctrl-C, Ctrl-Z, Ctrl-S, Ctrl-Q arrive as keys
        noecho()
        nonl()                     // Enter arrives as CR, and curses may use LF to move down
        keypad(window, true)
        meta(window, true)
        nodelay(window, true)      // reads never block: nextEvent waits in poll(2)
        typeahead(-1)              // every frame is finished, even while keys are waiting
        if (connection.environment["ESCDELAY"] ?? "").isEmpty { set_escdelay(25) }
        define_key(BracketedPaste.start, Self.pasteStartCode)
        define_key(BracketedPaste.end, Self.pasteEndCode)
        // Home and End as tmux, screen, PuTTY, rxvt and the Linux console send them, whatever
        // TERM's description says (tmux under TERM=xterm-256color sends ESC [1~ and ESC [4~).
        for (sequence, code) in Self.homeAndEnd { define_key(sequence, code) }
        curs_set(0)
        cursorVisible = false
        setUpColors(options)
        TerminalRestore.send(BracketedPaste.on, to: connection.output)
        reportedSize = Size(width: Int(rolo_cols()), height: Int(rolo_lines()))

        activeBackend = self
        if !exitHookRegistered {
            exitHookRegistered = true
            atexit { activeBackend?.shutdown() }
        }
    }

    deinit { shutdown() }

    // MARK: - Colours

    private func setUpColors(_ options: BackendOptions) {
        let noColor = !(connection.environment["NO_COLOR"] ?? "").isEmpty
        var defaultsWork = true
        if options.colorMode == .auto, !noColor, has_colors(), start_color() == OK {
            defaultsWork = use_default_colors() == OK
            if rolo_colors() >= 256, rolo_color_pairs() > Role.allCases.count {
                colorLevel = .extended
            } else if rolo_colors() >= 8, rolo_color_pairs() > Role.allCases.count {
                colorLevel = .basic
            }
        }
        let count = Int(Role.allCases.map(\.rawValue).max() ?? 0) + 1
        looks = Array(repeating: (rolo_a_normal(), 0), count: count)
        blankLooksAlike = Array(repeating: true, count: count)
        var nextPair: Int16 = 1
        // Roles with the same colours share a pair: curses compares pair numbers, so two pairs
        // of equal colours would still cost a colour change between them.
        var pairs: [[Int16]: Int16] = [:]
        for role in Role.allCases {
            let look = Theme.look(role, at: colorLevel)
            var attributes = rolo_a_normal()
            if look.attributes.contains(.bold) { attributes |= rolo_a_bold() }
            if look.attributes.contains(.dim) { attributes |= rolo_a_dim() }
            if look.attributes.contains(.reverse) { attributes |= rolo_a_reverse() }
            if look.attributes.contains(.underline) { attributes |= rolo_a_underline() }
            var pair: Int16 = 0
            if colorLevel != .none, look.usesColor {
                // Without default-colour support, -1 is not a colour: white on black instead.
                let foreground = look.foreground >= 0 ? look.foreground : (defaultsWork ? -1 : Int16(COLOR_WHITE))
                let background = look.background >= 0 ? look.background : (defaultsWork ? -1 : Int16(COLOR_BLACK))
                if let shared = pairs[[foreground, background]] {
                    pair = shared
                } else if init_pair(nextPair, foreground, background) == OK {
                    pair = nextPair
                    pairs[[foreground, background]] = nextPair
                    nextPair += 1
                }
            }
            looks[Int(role.rawValue)] = (attributes, pair)
            blankLooksAlike[Int(role.rawValue)] = look.background < 0
                && look.attributes.isDisjoint(with: [.reverse, .underline])
        }
    }

    // MARK: - Drawing

    /// Sends the cells that differ from the last frame (all of them after a resize or a
    /// suspend), places the cursor, and updates the terminal once.
    public func draw(_ canvas: Canvas) {
        guard isActive, let window = rolo_stdscr() else { return }
        let previous: [Cell]?
        if needsFullRepaint || drawn?.width != canvas.width || drawn?.height != canvas.height {
            werase(window)
            previous = nil
        } else {
            previous = drawn?.cells
        }
        let cells = canvas.cells
        let width = canvas.width
        var sentLooks = previous == nil ? Array(repeating: -1, count: cells.count) : drawnLooks
        for y in 0..<canvas.height {
            let row = y * width
            // A blank shows no foreground, bold or dim: when neither it nor the cell before it
            // paints a background (or underline, or reverse), it takes that cell's look, so a
            // row of grey columns is one grey run and curses need not switch colours between.
            var carried: Int?
            for x in 0..<width {
                let cell = cells[row + x]
                if cell.isContinuation { continue }
                var look = Int(cell.role.rawValue)
                if let carried, blankLooksAlike[look], cell.text == " " { look = carried }
                carried = blankLooksAlike[look] ? look : nil
                if let previous, previous[row + x] == cell, sentLooks[row + x] == look { continue }
                sentLooks[row + x] = look
                let wide = x + 1 < width && cells[row + x + 1].isContinuation
                put(cell, look: looks[look], x: x, y: y, cells: wide ? 2 : 1)
            }
        }
        if let cursor = canvas.cursor, cursor.x >= 0, cursor.x < width, cursor.y >= 0, cursor.y < canvas.height {
            if cursorVisible != true { curs_set(1) }
            cursorVisible = true
            leaveok(window, false)
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        } else {
            if cursorVisible != false { curs_set(0) }
            cursorVisible = false
            leaveok(window, true)  // a hidden cursor need not be moved back anywhere
        }
        wnoutrefresh(window)
        doupdate()
        drawn = canvas
        drawnLooks = sentLooks
        needsFullRepaint = false
    }

    /// The colour pair curses holds for a cell, and the pair a role is drawn with: tests check
    /// that what curses compares the next frame against is what was meant.
    func heldPair(x: Int, y: Int) -> Int16 { rolo_cell_pair(Int32(y), Int32(x)) }
    func pair(of role: Role) -> Int16 { looks[Int(role.rawValue)].pair }

    /// The next draw repaints everything, clearing the terminal first (Ctrl-L, or after
    /// another program wrote on the screen).
    public func invalidate() {
        needsFullRepaint = true
        if isActive { clearok(rolo_stdscr(), true) }
    }

    private func put(_ cell: Cell, look: (attributes: attr_t, pair: Int16), x: Int, y: Int, cells: Int) {
        let utf8 = cell.text.utf8
        if cells == 1, utf8.count == 1, let byte = utf8.first, byte >= 0x20, byte < 0x7F {
            cluster[0] = wchar_t(byte)
            cluster[1] = 0
            _ = rolo_put_cluster(Int32(y), Int32(x), cluster, look.attributes, look.pair)
            return
        }
        let units = Glyphs.units(for: cell.text, cells: cells, unicode: unicode) { Int(rolo_wcwidth(wchar_t(bitPattern: $0))) }
        var column = x
        for unit in units {
            let count = min(unit.count, Glyphs.maxScalarsPerUnit)
            for index in 0..<count { cluster[index] = wchar_t(bitPattern: unit[index]) }
            cluster[count] = 0
            _ = rolo_put_cluster(Int32(y), Int32(column), cluster, look.attributes, look.pair)
            column += max(1, Int(rolo_wcwidth(wchar_t(bitPattern: unit[0]))))
        }
    }

    // MARK: - Input

    /// Waits for a key, a resize, a signal, a wake-up, or the timeout (milliseconds; nil waits
    /// for ever). Signals arrive through a pipe polled with the terminal, so a blocked wait
    /// ends as soon as one comes.
    public func nextEvent(timeoutMilliseconds: Int?) -> TerminalEvent {
        guard isActive else { return relayed.hangup ? .hangup : .terminate }
        let deadline = timeoutMilliseconds.map { Self.now() + max(0, $0) }
        var readableButEmpty = 0
        while true {
            let fresh = TerminalRestore.drain()
            relayed.hangup = relayed.hangup || fresh.hangup
            relayed.terminate = relayed.terminate || fresh.terminate
            relayed.resize = relayed.resize || fresh.resize
            relayed.wake = relayed.wake || fresh.wake
            // A hang-up stays: every later call says so too.
            if relayed.hangup { return .hangup }
            if relayed.terminate {
                relayed.terminate = false
                return .terminate
            }
            if relayed.resize {
                relayed.resize = false
                if let event = checkSize() { return event }
            }
            if relayed.wake {
                relayed.wake = false
                return .wake
            }
            if let event = readKey() { return event }

            var wait: Int32 = -1
            if let deadline {
                let left = deadline - Self.now()
                if left <= 0 { return .timeout }
                wait = Int32(clamping: left)
            }
            var descriptors = [
                pollfd(fd: connection.input, events: Int16(POLLIN), revents: 0),
                pollfd(fd: TerminalRestore.pipeReader, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, nfds_t(descriptors.count), wait)
            if ready < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ENOMEM { continue }
                relayed.hangup = true
                continue
            }
            let terminal = Int32(descriptors[0].revents)
            if terminal & (POLLHUP | POLLERR | POLLNVAL) != 0 {
                relayed.hangup = true
            } else if terminal & POLLIN != 0, Self.bytesWaiting(connection.input) == 0 {
                // Readable with nothing to read is the end of the input: the terminal closed.
                readableButEmpty += 1
                if readableButEmpty >= 3 { relayed.hangup = true }
            } else {
                readableButEmpty = 0
            }
        }
    }

    /// Thread-safe: makes a waiting `nextEvent` return `.wake` (a byte into the signal pipe).
    public func wake() {
        TerminalRestore.wake()
    }

    /// `wget_wch`, or in a locale that is not UTF-8 its byte-wise form: there `wget_wch` takes
    /// the bytes of a typed `é` (and the keys after it) as one bad character and returns
    /// nothing, so the user never learns why their typing vanished. Byte by byte, they arrive,
    /// and are refused with a word (`TerminalEvent.refusedInput`).
    private func readCharacter(_ window: UnsafeMutablePointer<WINDOW>?, _ value: inout wint_t) -> Int32 {
        if unicode { return wget_wch(window, &value) }
        let key = wgetch(window)
        if key == ERR { return ERR }
        value = wint_t(bitPattern: key)
        return key >= KEY_MIN ? KEY_CODE_YES : OK
    }

    /// The next key curses has, or can read without waiting; nil when there is none.
    private func readKey() -> TerminalEvent? {
        if let key = pendingKey {
            pendingKey = nil
            return .key(key)
        }
        let window = rolo_stdscr()
        while true {
            var value: wint_t = 0
            let status = readCharacter(window, &value)
            if status == ERR { return nil }
            if status == KEY_CODE_YES {
                let code = Int32(bitPattern: value)
                switch code {
                case KEY_RESIZE:
                    if let event = checkSize() { return event }
                case Self.pasteStartCode:
                    return .key(.paste(readPaste()))
                case Self.pasteEndCode:
                    break
                default:
                    if let key = CursesKeys.key(forKeyCode: code) { return .key(key) }
                }
                continue
            }
            if value == 0x1B {
                if let key = escapeOrAlt() { return .key(key) }
                continue
            }
            if !unicode, value >= 0x80 {
                // The rest of its bytes come next; one event says it for all of them.
                while readCharacter(window, &value) == OK, value >= 0x80 {}
                if value < 0x80, value != 0, let key = CursesKeys.key(forCharacter: value) { pendingKey = key }
                return .refusedInput
            }
            if let key = CursesKeys.key(forCharacter: value) { return .key(key) }
        }
    }

    /// ESC alone, or Alt with the character that came with it (curses has already waited the
    /// escape delay for a function key's sequence; a character still in its queue came with
    /// the ESC). Anything else that came along is delivered next. Nil for the sequence of a
    /// key curses does not know (ESC [ … ~), which is dropped rather than typed as text.
    private func escapeOrAlt() -> Key? {
        var value: wint_t = 0
        let status = readCharacter(rolo_stdscr(), &value)
        if status == OK {
            if value == 0x5B || value == 0x4F, discardSequence(introducedBy: value) { return nil }
            if let alt = CursesKeys.altKey(forCharacter: value) { return alt }
            pendingKey = CursesKeys.key(forCharacter: value)
        } else if status == KEY_CODE_YES {
            let code = Int32(bitPattern: value)
            if code == KEY_BACKSPACE {
                return .alt("\u{7F}")   // the terminal's Backspace (kbs) after ESC: Alt-Backspace
            } else if code == Self.pasteStartCode {
                pendingKey = .paste(readPaste())
            } else if code == KEY_RESIZE {
                relayed.resize = true
            } else {
                pendingKey = CursesKeys.key(forKeyCode: code)
            }
        }
        return .escape
    }

    /// After ESC [ (CSI) or ESC O (SS3): reads the rest of a sequence that arrived with them —
    /// parameters up to a final byte, or the one character after SS3. False when nothing came
    /// with them: then it was Alt-[ or Alt-O.
    private func discardSequence(introducedBy introducer: UInt32) -> Bool {
        let window = rolo_stdscr()
        var value: wint_t = 0
        var status = readCharacter(window, &value)
        if status == ERR { return false }
        for _ in 0..<32 {
            if status == KEY_CODE_YES {
                // A key curses did recognise after all: keep it, drop what came before.
                pendingKey = CursesKeys.key(forKeyCode: Int32(bitPattern: value))
                return true
            }
            if status == ERR || introducer == 0x4F || (0x40...0x7E).contains(value) { return true }
            status = readCharacter(window, &value)
        }
        return true
    }

    /// Everything up to the end of a bracketed paste, as one string: CR LF and CR become LF.
    private func readPaste() -> String {
        let window = rolo_stdscr()
        wtimeout(window, Self.pastePauseMilliseconds)
        defer { nodelay(window, true) }
        var text = String.UnicodeScalarView()
        var kept = 0
        var afterCR = false
        while true {
            var value: wint_t = 0
            let status = readCharacter(window, &value)
            if status == ERR { break }
            if status == KEY_CODE_YES {
                let code = Int32(bitPattern: value)
                if code == Self.pasteEndCode { break }
                if code == KEY_RESIZE { relayed.resize = true }
                continue
            }
            guard let scalar = Unicode.Scalar(value) else { continue }
            if scalar == "\n", afterCR {
                afterCR = false
                continue
            }
            afterCR = scalar == "\r"
            guard kept < Self.pasteLimit else { continue }
            text.append(scalar == "\r" ? "\n" : scalar)
            kept += 1
        }
        return String(text)
    }

    /// Reads the terminal's size; reports it if it is not the size last reported.
    private func checkSize() -> TerminalEvent? {
        followTerminalSize()
        let current = size
        guard current != reportedSize else { return nil }
        reportedSize = current
        needsFullRepaint = true
        return .resize(current)
    }

    /// Tells curses the terminal's size when it changed. rolo handles SIGWINCH itself, so this
    /// is its job (curses then also queues a KEY_RESIZE, ignored once the size is reported).
    private func followTerminalSize() {
        var window = winsize()
        guard ioctl(connection.output, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0,
              Int32(window.ws_row) != rolo_lines() || Int32(window.ws_col) != rolo_cols() else { return }
        resizeterm(Int32(window.ws_row), Int32(window.ws_col))
    }

    // MARK: - Handing the terminal over

    /// Leaves curses so another program (the user's `$EDITOR`) can use the terminal, runs
    /// `body`, then takes the terminal back; the next draw repaints everything.
    public func suspend<T>(_ body: () throws -> T) rethrows -> T {
        guard isActive else { return try body() }
        TerminalRestore.send(BracketedPaste.off, to: connection.output)
        def_prog_mode()
        endwin()
        TerminalRestore.releaseStandardError(finished: false)
        defer {
            TerminalRestore.resumeStandardErrorCapture()
            reset_prog_mode()
            TerminalRestore.send(BracketedPaste.on, to: connection.output)
            cursorVisible = nil
            // The window may have changed meanwhile: curses learns it before the next draw,
            // the app with the next event.
            followTerminalSize()
            relayed.resize = true
            invalidate()
        }
        return try body()
    }

    /// Ctrl-Z: stops rolo like any shell job (the terminal given back first); `fg` brings it
    /// back, repainted.
    public func suspendToShell() {
        suspend {
            var stop = sigaction()
            stop.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&stop.sa_mask)
            var previous = sigaction()
            sigaction(SIGTSTP, &stop, &previous)
            // The whole process group, as the shell's own Ctrl-Z would. Without job control
            // (an orphaned group) the kernel drops the signal and rolo simply carries on.
            kill(0, SIGTSTP)
            sigaction(SIGTSTP, &previous, nil)
        }
    }

    /// Gives the terminal back: bracketed paste off, cursor visible, curses ended. Safe to
    /// call more than once and from every exit path; after a hang-up the writes fail quietly.
    public func shutdown() {
        guard isActive else { return }
        isActive = false
        TerminalRestore.send(BracketedPaste.off, to: connection.output)
        curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        closeFiles()
        TerminalRestore.releaseStandardError(finished: true)
        TerminalRestore.uninstall()
        if activeBackend === self { activeBackend = nil }
    }

    static let homeAndEnd: [(String, Int32)] = [
        ("\u{1B}[1~", KEY_HOME), ("\u{1B}[4~", KEY_END), ("\u{1B}[7~", KEY_HOME), ("\u{1B}[8~", KEY_END),
        ("\u{1B}[H", KEY_HOME), ("\u{1B}[F", KEY_END), ("\u{1B}OH", KEY_HOME), ("\u{1B}OF", KEY_END),
    ]

    // MARK: - Helpers

    private func openFile(_ descriptor: Int32, mode: String) -> UnsafeMutablePointer<FILE>? {
        let copy = dup(descriptor)
        guard copy >= 0 else { return nil }
        guard let file = fdopen(copy, mode) else {
            close(copy)
            return nil
        }
        openedFiles.append(file)
        return file
    }

    private func closeFiles() {
        for file in openedFiles { fclose(file) }
        openedFiles = []
    }

    private static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }

    private static func bytesWaiting(_ descriptor: Int32) -> Int32 {
        var count: Int32 = 0
        return ioctl(descriptor, UInt(FIONREAD), &count) == 0 ? count : -1
    }

    /// The locale setting that decided, for the warning: LC_ALL wins over LC_CTYPE over LANG.
    /// The variable that decides the character set, and its value (nil: none is set).
    private static func describeLocale(_ environment: [String: String]) -> (variable: String, value: String?) {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let value = environment[name], !value.isEmpty { return (name, value) }
        }
        return ("LANG", nil)
    }
}
