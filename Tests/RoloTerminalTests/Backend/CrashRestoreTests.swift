import Foundation
@testable import RoloTerminal
import Testing

/// The ways out that cannot be tried in the test process itself: a crash (a Swift runtime
/// trap) and `exit()` without a shutdown. This test binary runs itself again on a
/// pseudo-terminal with only the helper test enabled; the helper opens the backend on its own
/// stdin/stdout, exactly as rolo does, draws, and then dies.
@Suite("Curses backend: restoring the terminal when the process dies")
struct CrashRestoreTests {
    static let helperVariable = "ROLO_BACKEND_DEATH"

    @Test(.enabled(if: ProcessInfo.processInfo.environment[helperVariable] != nil,
                   "runs only in the child process started by the tests below"))
    func backendDeathHelper() throws {
        let backend = try CursesBackend(options: BackendOptions())
        var canvas = Canvas(width: backend.size.width, height: backend.size.height)
        canvas.write("drawn before dying", x: 0, y: 0, role: .selected)
        backend.draw(canvas)
        FileHandle.standardError.write(Data("a log line written while curses drew\n".utf8))
        switch ProcessInfo.processInfo.environment[Self.helperVariable] {
        case "trap":
            fatalError("a deliberate crash")
        default:
            exit(3)
        }
    }

    struct Death {
        let output: [UInt8]
        let reason: Process.TerminationReason
        let status: Int32
        let settings: termios
    }

    /// Runs the helper on a pseudo-terminal and returns what the terminal got.
    func runHelper(_ mode: String) throws -> Death {
        let terminal = try PseudoTerminal()
        let before = terminal.settings
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--testing-library", "swift-testing", "--filter", "backendDeathHelper"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.helperVariable] = mode
        environment["TERM"] = "xterm-256color"
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = nil
        environment["NO_COLOR"] = nil
        environment["SWIFT_BACKTRACE"] = "enable=no"   // no symbolication: the test stays fast
        process.environment = environment
        let handle = FileHandle(fileDescriptor: terminal.slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var output = terminal.collect(until: deadline) { _ in !process.isRunning }
        output += terminal.collect(until: Date().addingTimeInterval(0.2))
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(before.c_lflag & tcflag_t(ICANON) != 0)
        return Death(output: output, reason: process.terminationReason, status: process.terminationStatus,
                     settings: terminal.settings)
    }

    /// What the terminal got after the frame was drawn, as text.
    func tail(of output: [UInt8]) throws -> String {
        let text = String(decoding: output, as: UTF8.self)
        let drawn = try #require(text.range(of: "drawn before dying"), "the helper never drew: \(text.debugDescription)")
        return String(text[drawn.upperBound...])
    }

    /// True when `first` comes before `second` in `text`.
    func order(_ text: String, _ first: String, _ second: String) -> Bool {
        guard let one = text.range(of: first), let two = text.range(of: second) else { return false }
        return one.upperBound <= two.lowerBound
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[helperVariable] == nil))
    func aCrashRestoresTheTerminal() throws {
        let death = try runHelper("trap")
        #expect(death.reason == .uncaughtSignal)
        #expect([SIGILL, SIGTRAP].contains(death.status), "died of signal \(death.status)")
        let after = try tail(of: death.output)
        #expect(after.contains("\u{1B}[?1049l"), "left the alternate screen: \(after.debugDescription)")
        #expect(after.contains("\u{1B}[?25h"), "cursor visible")
        #expect(after.contains(BracketedPaste.off))
        #expect(death.settings.c_lflag & tcflag_t(ICANON | ECHO) == tcflag_t(ICANON | ECHO), "cooked mode and echo back")
        // The runtime's message and the log line are shown on the shell's screen, after it.
        #expect(order(after, "\u{1B}[?1049l", "Fatal error: a deliberate crash"), "\(after.debugDescription)")
        #expect(order(after, "\u{1B}[?1049l", "a log line written while curses drew"))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[helperVariable] == nil))
    func exitWithoutShutdownRestoresTheTerminal() throws {
        let death = try runHelper("exit")
        #expect(death.reason == .exit)
        #expect(death.status == 3)
        let after = try tail(of: death.output)
        #expect(after.contains("\u{1B}[?1049l"), "\(after.debugDescription)")
        #expect(after.contains(BracketedPaste.off))
        #expect(death.settings.c_lflag & tcflag_t(ICANON | ECHO) == tcflag_t(ICANON | ECHO))
        #expect(order(after, "\u{1B}[?1049l", "a log line written while curses drew"), "\(after.debugDescription)")
    }
}
