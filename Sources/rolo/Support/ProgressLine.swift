import Foundation
import RoloCore
import RoloSync

/// A progress line on stderr (a terminal only), rewritten in place.
///
/// Interrupted (Ctrl-C, SIGTERM, a hang-up) while it shows, the process writes over it what
/// the interruption means — `interrupted`, e.g. that an import stored nothing — instead of
/// leaving a half-done bar for the shell's prompt to follow on the same line.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var shown = false
    /// An interrupt note or a file to remove is installed (see `interrupted`).
    private var armed = false

    init(enabled: Bool, interrupted: String? = nil) {
        self.enabled = enabled
        if let interrupted { self.interrupted(interrupted) }
    }

    /// What an interruption from now on means (see `init`), and a file it removes first (an
    /// export's partial file). The file is removed whether or not stderr is a terminal: a
    /// job stopped by SIGTERM leaves no partial file of personal data behind either.
    func interrupted(_ message: String, removing path: String? = nil) {
        guard enabled || path != nil else { return }
        InterruptNote.install(enabled ? "\r\u{1B}[2K" + message + "\n" : "", removing: path)
        lock.withLock { armed = true }
    }

    func show(_ event: SyncEvent) {
        guard enabled else { return }
        show(text: ProgressLine.text(of: event))
    }

    /// Shows a line of progress in place of the last (nothing when stderr is not a terminal).
    func show(text: String) {
        guard enabled else { return }
        lock.withLock {
            // Made safe, then cut to the terminal's width in cells: a line that wrapped could not be
            // written over in place.
            let line = "\r\u{1B}[2K" + TerminalText.truncate(TerminalText.sanitize(text), to: (Output.errorColumns ?? 80) - 1)
            Output.write(Data(line.utf8), to: STDERR_FILENO)
            shown = true
        }
    }

    static func text(of event: SyncEvent) -> String {
        let text: String
        switch event {
        case .started(let account): text = "\(account): starting…"
        case .reading(let account, let records, let total):
            text = "\(account): reading contacts " + (total.map { "\(records) of \($0)" } ?? "\(records)")
        case .sending(let account, let done, let total):
            text = "\(account): sending \(ProgressLine.bar(done, total)) \(done) of \(total)"
        case .waiting(let account, let seconds, let reason):
            text = "\(account): waiting \(Int(seconds.rounded(.up))) s (\(reason))"
        case .finished:
            text = ""
        }
        return text
    }

    /// Clears the line (once), so that what follows starts on a clean line; an interruption
    /// from now on says nothing more (the work is over, whatever its note said).
    func finish() {
        lock.withLock {
            if enabled, shown { Output.write(Data("\r\u{1B}[2K".utf8), to: STDERR_FILENO) }
            shown = false
        }
        let wasArmed = lock.withLock { () -> Bool in
            defer { armed = false }
            return armed
        }
        if wasArmed { InterruptNote.install("") }
    }

    /// A bar and its percentage: `[########............] 40%`.
    static func measure(_ done: Int, of total: Int) -> String {
        "\(bar(done, total)) \(total == 0 ? 100 : min(done, total) * 100 / total)%"
    }

    static func bar(_ done: Int, _ total: Int, width: Int = 20) -> String {
        let filled = total == 0 ? width : min(width, done * width / max(total, 1))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}

/// What the process writes to stderr when a signal ends it, before it ends as the signal
/// would have ended it (status 128 + the signal). Written by the handler with `write` alone
/// (safe in a signal handler), from bytes made before the handler was installed.
enum InterruptNote {
    nonisolated(unsafe) private static var bytes: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var doomed: UnsafeMutablePointer<CChar>?

    /// Sets the note and the file to remove (`unlink`, also safe in a handler), installing the
    /// handler the first time. What is replaced is never freed: a handler running at that
    /// moment may still be reading it.
    static func install(_ text: String, removing path: String? = nil) {
        let utf8 = Array(text.utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: utf8.count)
        _ = buffer.initialize(from: utf8)
        let first = bytes == nil
        doomed = path.map { strdup($0) }
        bytes = buffer
        guard first else { return }
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number) { number in
                if let path = InterruptNote.doomed { unlink(path) }
                if let note = InterruptNote.bytes, note.count > 0 { _ = write(STDERR_FILENO, note.baseAddress, note.count) }
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
