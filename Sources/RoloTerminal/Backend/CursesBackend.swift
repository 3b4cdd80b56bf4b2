import CNcursesw
import Foundation
import RoloCore
import RoloViewModels

/// What the terminal tells the app.
public enum TerminalEvent: Equatable, Sendable {
    case key(Key)
    case resize(Size)
    /// SIGHUP: the terminal went away (a dropped SSH session).
    case hangup
    /// SIGTERM or SIGINT from outside.
    case terminate
    /// Another thread called `wake()`: background work has results.
    case wake
    case timeout
}

public struct BackendOptions: Sendable {
    public enum ColorMode: Sendable { case auto, none }
    public var colorMode: ColorMode

    public init(colorMode: ColorMode = .auto) {
        self.colorMode = colorMode
    }
}

public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
}

/// The one type that talks to curses: it draws canvases (only the cells that changed) and
/// turns curses input into `Key`s. It owns the terminal's state and gives it back on every
/// way out — quit, Ctrl-C, SIGTERM, SIGHUP, a thrown error, even a crash.
public final class CursesBackend {
    public private(set) var colorLevel: ColorLevel = .none
    /// Something to tell the user once, such as a locale that is not UTF-8.
    public private(set) var startupWarning: String?

    private var screen: OpaquePointer?
    private var drawn: Canvas?
    private var isShutDown = false
    private var looks: [Role: (attributes: attr_t, pair: Int16)] = [:]
    private static let pasteStart = KEY_MAX + 1
    private static let pasteEnd = KEY_MAX + 2

    public init(options: BackendOptions) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError(description: "rolo's screen needs a terminal on stdin and stdout; "
                + "in scripts use the subcommands (rolo list, rolo show, rolo set …; see rolo --help)")
        }
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)).map({ String(cString: $0) }), codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8" {
            let language = ProcessInfo.processInfo.environment["LANG"] ?? "unset"
            startupWarning = "The locale is not UTF-8 (LANG=\(language)): names in other scripts will not show. Set LANG=C.UTF-8."
        }
        TerminalRestore.install()
        guard let screen = newterm(nil, rolo_stdout_file(), rolo_stdin_file()) else {
            TerminalRestore.uninstall()
            let type = ProcessInfo.processInfo.environment["TERM"] ?? "unset"
            throw TerminalError(description: "cannot drive this terminal (TERM=\(type)); try TERM=xterm-256color")
        }
        self.screen = screen
        set_term(screen)
        TerminalRestore.prepareResetSequence()
        raw()
        noecho()
        nonl()
        keypad(rolo_stdscr(), true)
        meta(rolo_stdscr(), true)
        if ProcessInfo.processInfo.environment["ESCDELAY"] == nil { set_escdelay(25) }
        curs_set(0)
        define_key("\u{1B}[200~", CursesBackend.pasteStart)
        define_key("\u{1B}[201~", CursesBackend.pasteEnd)
        TerminalRestore.writeToTerminal("\u{1B}[?2004h")
        setUpColors(options)
        TerminalRestore.onExit { [weak self] in self?.shutdown() }
    }

    deinit { shutdown() }

    public var size: Size { Size(width: Int(rolo_cols()), height: Int(rolo_lines())) }

    private func setUpColors(_ options: BackendOptions) {
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        if options.colorMode == .auto, !noColor, has_colors() {
            start_color()
            use_default_colors()
            colorLevel = rolo_colors() >= 256 && rolo_color_pairs() >= Role.allCases.count + 1 ? .extended : .basic
        }
        for role in Role.allCases {
            let look = Theme.look(role, at: colorLevel)
            var attributes = rolo_a_normal()
            if look.bold { attributes |= rolo_a_bold() }
            if look.dim { attributes |= rolo_a_dim() }
            if look.reverse { attributes |= rolo_a_reverse() }
            if look.underline { attributes |= rolo_a_underline() }
            var pair: Int16 = 0
            if colorLevel != .none, look.usesColor {
                pair = Int16(role.rawValue) + 1
                init_pair(pair, look.foreground, look.background)
            }
            looks[role] = (attributes, pair)
        }
    }

    // MARK: - Drawing

    /// Sends the cells that differ from the last frame (all of them after a resize or a
    /// suspend), places the cursor, and updates the terminal once.
    public func draw(_ canvas: Canvas) {
        guard !isShutDown else { return }
        let full = drawn == nil || drawn!.width != canvas.width || drawn!.height != canvas.height
        if full { werase(rolo_stdscr()) }
        var scalars = [wchar_t](repeating: 0, count: 6)
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let cell = canvas[x, y]
                if cell.isContinuation { continue }
                if !full, let previous = drawn, previous[x, y] == cell,
                   x + 1 >= canvas.width || previous[x + 1, y].isContinuation == canvas[x + 1, y].isContinuation {
                    continue
                }
                let look = looks[cell.role] ?? (rolo_a_normal(), 0)
                var count = 0
                for scalar in cell.text.unicodeScalars where count < 5 {
                    scalars[count] = wchar_t(bitPattern: scalar.value)
                    count += 1
                }
                if count == 0 { scalars[0] = 32; count = 1 }
                scalars[count] = 0
                _ = rolo_put_cluster(Int32(y), Int32(x), scalars, look.attributes, look.pair)
            }
        }
        if let cursor = canvas.cursor {
            curs_set(1)
            wmove(rolo_stdscr(), Int32(cursor.y), Int32(cursor.x))
        } else {
            curs_set(0)
        }
        wnoutrefresh(rolo_stdscr())
        doupdate()
        drawn = canvas
    }

    /// The next draw repaints everything (Ctrl-L, or after another program used the screen).
    public func invalidate() {
        drawn = nil
        clearok(rolo_stdscr(), true)
    }

    // MARK: - Input

    /// Waits for a key, a resize, a signal, a wake-up, or the timeout (milliseconds).
    public func nextEvent(timeoutMilliseconds: Int?) -> TerminalEvent {
        guard !isShutDown else { return .terminate }
        while true {
            if let signal = TerminalRestore.drainPipe() { return signal }
            if let event = readKey() { return event }
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: TerminalRestore.pipeReader, events: Int16(POLLIN), revents: 0)]
            let result = poll(&fds, 2, Int32(timeoutMilliseconds ?? -1))
            if result == 0 { return .timeout }
            if result < 0 {
                if errno == EINTR { continue }   // SIGWINCH: curses now has KEY_RESIZE waiting
                return .hangup
            }
            if fds[1].revents & Int16(POLLIN) != 0, let event = TerminalRestore.drainPipe() { return event }
            if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0, fds[0].revents & Int16(POLLIN) == 0 {
                return .hangup
            }
        }
    }

    /// Reads one key that curses has (or can read) without waiting; nil when there is none.
    private func readKey() -> TerminalEvent? {
        if let key = pendingKey {
            pendingKey = nil
            return .key(key)
        }
        nodelay(rolo_stdscr(), true)
        var character: wint_t = 0
        let status = wget_wch(rolo_stdscr(), &character)
        if status == ERR { return nil }
        if status == KEY_CODE_YES {
            let code = Int32(character)
            if code == KEY_RESIZE {
                drawn = nil
                return .resize(size)
            }
            if code == CursesBackend.pasteStart { return .key(.paste(readPaste())) }
            if code == CursesBackend.pasteEnd { return nil }
            return CursesKeys.key(forKeyCode: code).map(TerminalEvent.key)
        }
        let value = UInt32(character)
        if value == 0x1B {
            // ESC then a character that arrived with it: Alt-character.
            var next: wint_t = 0
            let followed = wget_wch(rolo_stdscr(), &next)
            if followed == OK, let scalar = Unicode.Scalar(UInt32(next)), scalar.value >= 0x20, scalar.value != 0x7F {
                return .key(.alt(Character(scalar)))
            }
            if followed == OK, UInt32(next) == 0x7F || UInt32(next) == 0x08 { return .key(.alt("\u{7F}")) }
            if followed != ERR, let key = followed == KEY_CODE_YES ? CursesKeys.key(forKeyCode: Int32(next)) : CursesKeys.key(forCharacter: UInt32(next)) {
                // Not an Alt combination after all: deliver both, the second on the next read.
                pendingKey = key
            }
            return .key(.escape)
        }
        return CursesKeys.key(forCharacter: value).map(TerminalEvent.key)
    }

    /// A key read while checking whether ESC started an Alt combination.
    private var pendingKey: Key?

    /// Everything up to the end of a bracketed paste, as text (CR turned into newlines).
    private func readPaste() -> String {
        var text = String.UnicodeScalarView()
        nodelay(rolo_stdscr(), false)
        wtimeout(rolo_stdscr(), 500)
        defer { nodelay(rolo_stdscr(), true) }
        while text.count < 1_000_000 {
            var character: wint_t = 0
            let status = wget_wch(rolo_stdscr(), &character)
            if status == ERR { break }
            if status == KEY_CODE_YES {
                if Int32(character) == CursesBackend.pasteEnd { break }
                continue
            }
            guard let scalar = Unicode.Scalar(UInt32(character)) else { continue }
            text.append(scalar == "\r" ? "\n" : scalar)
        }
        return String(text)
    }

    /// Thread-safe: makes a waiting `nextEvent` return `.wake`.
    public func wake() {
        TerminalRestore.wake()
    }

    // MARK: - Handing the terminal over

    /// Leaves curses so another program (the user's `$EDITOR`) can use the terminal, then
    /// takes it back and repaints everything.
    public func suspend<T>(_ body: () throws -> T) rethrows -> T {
        def_prog_mode()
        TerminalRestore.writeToTerminal("\u{1B}[?2004l")
        endwin()
        defer {
            reset_prog_mode()
            TerminalRestore.writeToTerminal("\u{1B}[?2004h")
            invalidate()
        }
        return try body()
    }

    /// Ctrl-Z: stops rolo like any shell job; `fg` brings it back, repainted.
    public func suspendToShell() {
        suspend {
            signal(SIGTSTP, SIG_DFL)
            kill(getpid(), SIGTSTP)
        }
    }

    /// Gives the terminal back. Safe to call more than once, and from every exit path.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        TerminalRestore.writeToTerminal("\u{1B}[?2004l")
        curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        TerminalRestore.uninstall()
    }
}

/// Curses key codes and characters as `Key`s.
enum CursesKeys {
    static func key(forKeyCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME, KEY_A1: return .home
        case KEY_END, KEY_C1: return .end
        case KEY_PPAGE, KEY_A3: return .pageUp
        case KEY_NPAGE, KEY_C3: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_IC: return .insert
        case KEY_BTAB: return .backTab
        default:
            for number in 1...12 where code == rolo_key_f(Int32(number)) { return .function(number) }
            return nil
        }
    }

    static func key(forCharacter value: UInt32) -> Key? {
        switch value {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x1B: return .escape
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(value + 0x60)!))
        case 0x00, 0x1C...0x1F: return nil
        default:
            guard let scalar = Unicode.Scalar(value), scalar.value >= 0x20 else { return nil }
            return .character(Character(scalar))
        }
    }
}
