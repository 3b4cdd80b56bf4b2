import Foundation
import RoloCore
import RoloViewModels

/// Opens text in the user's editor (`$VISUAL`, `$EDITOR`, else `vi`) and returns what they
/// saved. Used for JSON fields: lines starting with `#` are instructions and are dropped by
/// the model, as `kubectl edit` does.
enum ExternalEditor {
    static func edit(_ text: String, field: FieldKey, error: String?) -> (text: String?, problem: String?) {
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.trimmed.isEmpty } ?? "vi"
        let name = switch field {
        case .standard(let standard): standard.key
        case .others(let kind): kind.listName
        case .custom(let key): key
        }
        var header = "# Editing the JSON of \(name). Save and quit to keep it; lines starting with # are ignored.\n"
        header += "# Leave the file empty to change nothing.\n"
        if let error {
            // The parser counts lines in the JSON alone; in this file it starts below the header.
            let shifted = shiftLineNumber(in: error.replacingOccurrences(of: "\n", with: " "), by: header.filter { $0 == "\n" }.count + 1)
            header += "# It did not parse: \(shifted)\n"
        }
        let directory = FileManager.default.temporaryDirectory.path
        var template = Array("\(directory)/rolo-json-XXXXXX.json".utf8CString)
        let descriptor = mkstemps(&template, 5)
        guard descriptor >= 0 else { return (nil, "cannot create a temporary file in \(directory)") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let contents = Array((header + text + "\n").utf8)
        _ = contents.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        // The editor command may carry arguments ("code --wait"); the file name is passed as $1,
        // never pasted into the command.
        let status: Int32
        switch ForegroundChild.run(["/bin/sh", "-c", editor + " \"$1\"", "rolo-editor", path]) {
        case .success(let code): status = code
        case .failure(let problem): return (nil, "cannot start the editor \(editor): \(problem)")
        }
        guard status == 0 else {
            return (nil, "the editor \(editor) exited with status \(status); nothing changed")
        }
        guard let edited = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, "cannot read back the edited file")
        }
        return (edited, nil)
    }

    /// "line 2, column 7: …" read as "line 5, column 7: …" when the JSON starts `lines` down.
    static func shiftLineNumber(in message: String, by lines: Int) -> String {
        guard message.hasPrefix("line ") else { return message }
        let digits = message.dropFirst(5).prefix { $0.isASCII && $0.isNumber }
        guard let line = Int(digits) else { return message }
        return "line \(line + lines)" + message.dropFirst(5 + digits.count)
    }
}

/// Runs a program as the terminal's foreground job and waits for it, as system(3) does.
///
/// The child stays in rolo's process group. Foundation's `Process` gives a child a process
/// group of its own, which the terminal treats as a background job: an editor that reads the
/// keyboard or sets the terminal's modes is stopped (SIGTTIN, SIGTTOU), and vi gives up with
/// status 1. While the child runs, rolo ignores SIGINT and SIGQUIT — they belong to the child —
/// and the child starts with every signal at its default and none blocked.
enum ForegroundChild {
    struct Failure: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// The child's exit status; 128 + the signal's number if a signal ended it.
    static func run(_ arguments: [String]) -> Result<Int32, Failure> {
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigemptyset(&ignore.sa_mask)
        var previousInterrupt = sigaction(), previousQuit = sigaction()
        sigaction(SIGINT, &ignore, &previousInterrupt)
        sigaction(SIGQUIT, &ignore, &previousQuit)
        defer {
            sigaction(SIGINT, &previousInterrupt, nil)
            sigaction(SIGQUIT, &previousQuit, nil)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), unblocked = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let started = posix_spawn(&child, arguments[0], nil, &attributes, argv, environ)
        guard started == 0 else { return .failure(Failure(description: String(cString: strerror(started)))) }

        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { return .failure(Failure(description: String(cString: strerror(errno)))) }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7F
        return .success(signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
    }
}
