import CNcursesw
import Foundation

// The state signal handlers may touch. Signal handlers cannot capture context, so these are
// globals; they are written before the handlers are installed and only read (or written with
// async-signal-safe calls) afterwards.
nonisolated(unsafe) private var signalPipe: (reader: Int32, writer: Int32) = (-1, -1)
nonisolated(unsafe) private var savedTerminal = termios()
nonisolated(unsafe) private var hasSavedTerminal = false
nonisolated(unsafe) private var resetBytes: [UInt8] = []
nonisolated(unsafe) private var exitHook: (() -> Void)?
nonisolated(unsafe) private var atexitRegistered = false

/// Gives the terminal back on every way out, and turns signals into events.
///
/// SIGHUP, SIGTERM and SIGINT write a byte to a pipe that `nextEvent` polls, so the app
/// leaves through its normal path (drafts are already saved). A crash (SIGSEGV, SIGBUS,
/// SIGILL, SIGFPE, SIGABRT, SIGTRAP — Swift's traps) restores the saved terminal settings
/// and writes the precomputed reset sequence before the process dies: no allocation, only
/// async-signal-safe calls.
enum TerminalRestore {
    private static let wakeByte: UInt8 = 0x57

    static var pipeReader: Int32 { signalPipe.reader }

    static func install() {
        if tcgetattr(STDIN_FILENO, &savedTerminal) == 0 { hasSavedTerminal = true }
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            signalPipe = (fds[0], fds[1])
        }
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGQUIT] {
            handle(signal) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe.writer, &byte, 1)
            }
        }
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            handle(signal) { number in
                if hasSavedTerminal { _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal) }
                resetBytes.withUnsafeBufferPointer { buffer in _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count) }
                Foundation.signal(number, SIG_DFL)
                raise(number)
            }
        }
        // A write to a hung-up terminal must fail with EIO, not kill rolo before it has cleaned up.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The bytes that put a terminal back: leave the alternate screen, show the cursor, turn off
    /// bracketed paste and attributes. Read from terminfo once curses knows the terminal.
    static func prepareResetSequence() {
        var bytes: [UInt8] = []
        for capability in ["rmcup", "cnorm", "sgr0"] {
            if let value = rolo_tigetstr(capability) { bytes += Array(String(cString: value).utf8) }
        }
        bytes += Array("\u{1B}[?2004l\r\n".utf8)
        resetBytes = bytes
    }

    /// Runs `hook` when the process exits through `exit()` (once).
    static func onExit(_ hook: @escaping () -> Void) {
        exitHook = hook
        if !atexitRegistered {
            atexitRegistered = true
            atexit { exitHook?() }
        }
    }

    static func uninstall() {
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            Foundation.signal(signal, SIG_DFL)
        }
        exitHook = nil
    }

    /// Reads what the pipe holds: a signal wins over a wake-up.
    static func drainPipe() -> TerminalEvent? {
        guard signalPipe.reader >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        var event: TerminalEvent?
        while true {
            let count = read(signalPipe.reader, &buffer, buffer.count)
            if count <= 0 { break }
            for byte in buffer.prefix(count) {
                switch Int32(byte) {
                case SIGHUP: event = .hangup
                case SIGTERM, SIGINT, SIGQUIT: if event != .hangup { event = .terminate }
                default: if event == nil && byte == wakeByte { event = .wake }
                }
            }
        }
        return event
    }

    static func wake() {
        var byte = wakeByte
        _ = write(signalPipe.writer, &byte, 1)
    }

    static func writeToTerminal(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    private static func handle(_ signal: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }
}
