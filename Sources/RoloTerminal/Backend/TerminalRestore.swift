import CNcursesw
import Foundation

// What the signal handlers read. A handler may only make async-signal-safe calls: no
// allocation, no locks, no Swift runtime beyond reading these pointers. So the storage is
// allocated once, filled in before the handlers are installed, and never freed.
nonisolated(unsafe) private let slots: UnsafeMutablePointer<Int32> = {
    let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: Slot.count)
    pointer.initialize(repeating: -1, count: Slot.count)
    return pointer
}()
nonisolated(unsafe) private let savedTerminal: UnsafeMutablePointer<termios> = {
    let pointer = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    pointer.initialize(to: termios())
    return pointer
}()
nonisolated(unsafe) private let resetBytes: UnsafeMutablePointer<UInt8> = .allocate(capacity: resetCapacity)
nonisolated(unsafe) private let previousActions: UnsafeMutablePointer<sigaction> = {
    let pointer = UnsafeMutablePointer<sigaction>.allocate(capacity: Int(signalSlots))
    pointer.initialize(repeating: sigaction(), count: Int(signalSlots))
    return pointer
}()
nonisolated(unsafe) private let copyBuffer: UnsafeMutablePointer<UInt8> = .allocate(capacity: copyCapacity)
private let resetCapacity = 512
private let copyCapacity = 4096
private let signalSlots: Int32 = 65

/// Indexes into `slots`.
private enum Slot {
    static let pipeReader = 0
    static let pipeWriter = 1
    static let terminalInput = 2
    static let terminalOutput = 3
    /// 1 while the crash handler should restore the terminal (set once per session).
    static let armed = 4
    /// 1 when `savedTerminal` holds the settings from before curses.
    static let hasSavedTerminal = 5
    static let resetLength = 6
    /// The terminal as standard error, kept while standard error goes to `capture` (or -1).
    static let standardError = 7
    /// An unlinked file that takes what is written to standard error while curses draws.
    static let capture = 8
    static let count = 9
}

/// Relayed through the pipe: the signal number itself, or this for `wake()`.
private let wakeByte: UInt8 = 0

/// SIGHUP, SIGTERM, SIGINT, SIGQUIT and SIGWINCH: one byte into the pipe, nothing else.
private let relayHandler: @convention(c) (Int32) -> Void = { signal in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(slots[Slot.pipeWriter], &byte, 1)
    errno = saved
}

/// A crash: put the terminal back (saved settings, then the precomputed reset bytes), then let
/// whoever handled the signal before (the Swift runtime's backtracer, or the default action)
/// have it. A fault from the kernel happens again when the handler returns; a signal that was
/// sent (abort, kill) is sent again.
private let crashHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { signal, info, _ in
    let saved = errno
    if slots[Slot.armed] == 1 {
        slots[Slot.armed] = 0
        if slots[Slot.hasSavedTerminal] == 1 { _ = tcsetattr(slots[Slot.terminalInput], TCSANOW, savedTerminal) }
        _ = write(slots[Slot.terminalOutput], resetBytes, Int(slots[Slot.resetLength]))
        // What the runtime said before dying ("Fatal error: …") went to the capture: show it
        // now that the screen is the shell's again.
        let terminal = slots[Slot.standardError]
        let capture = slots[Slot.capture]
        if terminal >= 0, capture >= 0 {
            _ = dup2(terminal, STDERR_FILENO)
            _ = lseek(capture, 0, SEEK_SET)
            while true {
                let count = read(capture, copyBuffer, copyCapacity)
                if count <= 0 || write(STDERR_FILENO, copyBuffer, count) != count { break }
            }
        }
    }
    if signal > 0, signal < signalSlots { _ = sigaction(signal, previousActions + Int(signal), nil) }
    let wasSent = info.map { $0.pointee.si_code <= 0 } ?? true
    if wasSent || signal == SIGABRT || signal == SIGTRAP { _ = raise(signal) }
    errno = saved
}

/// Gives the terminal back on every way out, and turns signals into events.
///
/// SIGHUP, SIGTERM, SIGINT and SIGQUIT write a byte to a pipe that `nextEvent` polls, so the
/// app leaves through its normal path; SIGWINCH does too, so a resize wakes a waiting poll
/// without a race. A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP — Swift's traps
/// are SIGILL on x86-64 and SIGTRAP on arm64) restores the terminal settings saved before
/// curses and writes the reset sequence computed at start-up.
enum TerminalRestore {
    static let relayedSignals: [Int32] = [SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGWINCH]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// What the pipe said since the last look.
    struct Relayed: Equatable {
        var hangup = false
        var terminate = false
        var resize = false
        var wake = false
    }

    /// The read end of the pipe, for `poll`.
    static var pipeReader: Int32 { slots[Slot.pipeReader] }

    /// Saves the terminal's settings and installs the handlers. Call before curses starts, so
    /// that curses leaves SIGINT, SIGTERM and SIGWINCH to rolo.
    static func install(input: Int32, output: Int32) {
        openPipeOnce()
        slots[Slot.terminalInput] = input
        slots[Slot.terminalOutput] = output
        slots[Slot.hasSavedTerminal] = tcgetattr(input, savedTerminal) == 0 ? 1 : 0
        slots[Slot.resetLength] = 0
        prepareAlternateStack()
        for signal in relayedSignals {
            // A signal the parent set to be ignored (nohup, a background job) stays ignored;
            // a hang-up still shows as the terminal's input closing.
            var current = sigaction()
            if signal != SIGWINCH, sigaction(signal, nil, &current) == 0,
               unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                previousActions[Int(signal)] = current
                continue
            }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = relayHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, previousActions + Int(signal))
        }
        for signal in crashSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = crashHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigaction(signal, &action, previousActions + Int(signal))
        }
    }

    /// Computes the bytes a crash writes (needs curses to know the terminal) and arms the
    /// crash handler: sgr0 (attributes off), cnorm (cursor visible), rmkx (keypad back to
    /// normal), bracketed paste off, rmcup (leave the alternate screen).
    static func arm() {
        var bytes: [UInt8] = []
        for capability in ["sgr0", "cnorm", "rmkx"] { bytes += terminfoString(capability) }
        bytes += Array(BracketedPaste.off.utf8)
        bytes += terminfoString("rmcup")
        bytes += Array("\r\n".utf8)
        let count = min(bytes.count, resetCapacity)
        bytes.withUnsafeBufferPointer { buffer in resetBytes.update(from: buffer.baseAddress!, count: count) }
        slots[Slot.resetLength] = Int32(count)
        slots[Slot.armed] = 1
    }

    /// The reset bytes as computed by `arm()` (for tests).
    static var preparedResetBytes: [UInt8] {
        Array(UnsafeBufferPointer(start: resetBytes, count: Int(max(0, slots[Slot.resetLength]))))
    }

    /// While curses draws, what anything writes to standard error (a log line, the runtime's
    /// last words before a crash) would land in the middle of the screen and vanish with the
    /// alternate screen. When standard error is the same terminal, it goes to an unlinked
    /// temporary file instead, shown when the terminal is given back (or by the crash handler).
    static func captureStandardError(sameAs output: Int32, environment: [String: String]) {
        guard slots[Slot.capture] < 0, isSameTerminal(STDERR_FILENO, output) else { return }
        let directory = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/rolo-stderr-XXXXXX".utf8CString)
        let capture = mkstemp(&template)
        guard capture >= 0 else { return }
        unlink(template)
        _ = fcntl(capture, F_SETFD, FD_CLOEXEC)
        let terminal = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
        guard terminal >= 0, dup2(capture, STDERR_FILENO) >= 0 else {
            close(capture)
            if terminal >= 0 { close(terminal) }
            return
        }
        slots[Slot.standardError] = terminal
        slots[Slot.capture] = capture
    }

    /// Standard error back to the terminal for a while (another program runs), or for good
    /// (`finished`: then what was captured is written out and the capture closed).
    static func releaseStandardError(finished: Bool) {
        let terminal = slots[Slot.standardError]
        let capture = slots[Slot.capture]
        guard terminal >= 0, capture >= 0 else { return }
        _ = dup2(terminal, STDERR_FILENO)
        guard finished else { return }
        slots[Slot.standardError] = -1
        slots[Slot.capture] = -1
        _ = lseek(capture, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: copyCapacity)
        while true {
            let count = read(capture, &buffer, buffer.count)
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBufferPointer { Foundation.write(STDERR_FILENO, $0.baseAddress! + offset, count - offset) }
                if written <= 0 { break }
                offset += written
            }
            if offset < count { break }
        }
        close(capture)
        close(terminal)
    }

    /// Standard error into the capture again after `releaseStandardError(finished: false)`.
    static func resumeStandardErrorCapture() {
        let capture = slots[Slot.capture]
        if capture >= 0 { _ = dup2(capture, STDERR_FILENO) }
    }

    private static func isSameTerminal(_ first: Int32, _ second: Int32) -> Bool {
        guard isatty(first) == 1, isatty(second) == 1 else { return false }
        var one = stat()
        var two = stat()
        guard fstat(first, &one) == 0, fstat(second, &two) == 0 else { return false }
        return one.st_rdev == two.st_rdev
    }

    /// Puts back the handlers that were there before `install`.
    static func uninstall() {
        slots[Slot.armed] = 0
        for signal in relayedSignals + crashSignals {
            sigaction(signal, previousActions + Int(signal), nil)
        }
    }

    /// Empties the pipe and says what it held.
    static func drain() -> Relayed {
        var relayed = Relayed()
        let reader = slots[Slot.pipeReader]
        guard reader >= 0 else { return relayed }
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(reader, &buffer, buffer.count)
            if count <= 0 { break }
            for byte in buffer.prefix(count) {
                switch Int32(byte) {
                case SIGHUP: relayed.hangup = true
                case SIGTERM, SIGINT, SIGQUIT: relayed.terminate = true
                case SIGWINCH: relayed.resize = true
                case Int32(wakeByte): relayed.wake = true
                default: break
                }
            }
        }
        return relayed
    }

    /// Thread-safe (one `write` to a non-blocking pipe): makes a waiting poll return.
    static func wake() {
        openPipeOnce()
        var byte = wakeByte
        _ = write(slots[Slot.pipeWriter], &byte, 1)
    }

    /// Writes straight to the terminal, past curses' buffer. Errors (EIO after a hang-up) are
    /// ignored: there is nobody left to tell.
    static func send(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBufferPointer { buffer in
                Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// The pipe lives as long as the process: `wake()` may come from another thread at any
    /// time, even after the session ended, and must never write into a reused descriptor.
    private static let pipeLock = NSLock()
    private static func openPipeOnce() {
        pipeLock.lock()
        defer { pipeLock.unlock() }
        guard slots[Slot.pipeReader] < 0 else { return }
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        slots[Slot.pipeReader] = descriptors[0]
        slots[Slot.pipeWriter] = descriptors[1]
    }

    /// A crash from a stack overflow can only be handled on another stack.
    private static func prepareAlternateStack() {
        var current = stack_t()
        guard sigaltstack(nil, &current) == 0, current.ss_flags & Int32(SS_DISABLE) != 0 else { return }
        let size = 64 * 1024
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        stack.ss_size = size
        stack.ss_flags = 0
        _ = sigaltstack(&stack, nil)
    }

    /// A terminfo string with its padding (`$<5>`) taken out, or nothing.
    private static func terminfoString(_ name: String) -> [UInt8] {
        guard let value = rolo_tigetstr(name) else { return [] }
        let raw = Array(String(cString: value).utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "$"), index + 1 < raw.count, raw[index + 1] == UInt8(ascii: "<"),
               let end = raw[index...].firstIndex(of: UInt8(ascii: ">")) {
                index = end + 1
                continue
            }
            bytes.append(raw[index])
            index += 1
        }
        return bytes
    }
}

/// The terminal's bracketed-paste mode: pasted text arrives between two markers.
enum BracketedPaste {
    static let on = "\u{1B}[?2004h"
    static let off = "\u{1B}[?2004l"
    static let start = "\u{1B}[200~"
    static let end = "\u{1B}[201~"
}
