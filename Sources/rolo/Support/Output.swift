import Foundation
import RoloCore

/// Writing to stdout and stderr. Text that came from the cache or a file is untrusted: it is
/// made safe here (escape sequences and control characters shown, not obeyed) before it
/// reaches a terminal. JSON output escapes control characters by itself.
enum Output {
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Columns of the terminal on stdout, or nil when stdout is not a terminal.
    static var terminalColumns: Int? {
        guard standardOutputIsTerminal else { return nil }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    static func line(_ text: String) {
        write(Data((text + "\n").utf8), to: STDOUT_FILENO)
    }

    /// Writes already-safe text as it is (JSON, CSV or vCard produced by rolo).
    static func raw(_ text: String) {
        write(Data(text.utf8), to: STDOUT_FILENO)
    }

    static func error(_ text: String) {
        write(Data((TerminalText.sanitize(text) + "\n").utf8), to: STDERR_FILENO)
    }

    /// Writes every byte, or ends rolo: when stdout cannot take output (a full disk, a closed
    /// pipe) there is no one to go on for. A reader that went away (EPIPE) is normal for a
    /// pipe into `head`, and ends rolo quietly; any other failure is said on stderr. Exit 1.
    static func write(_ data: Data, to descriptor: Int32) {
        let failure: Int32? = data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let failure, descriptor != STDERR_FILENO else { return }
        if failure != EPIPE {
            let message = "rolo: cannot write to standard output: \(String(cString: strerror(failure)))\n"
            _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
        }
        exit(1)
    }

    /// One line of tab-separated values: tabs, newlines and backslashes inside a value are
    /// written as `\t`, `\n` and `\\`, so every record is exactly one line. Control characters
    /// and bidi overrides become visible placeholders wherever the line goes; on a terminal the
    /// text is also laid out as the TUI does (`sanitizeKeepingLayout`), work that a pipe, which
    /// is not drawn, does not need (76 % of `rolo list --tsv` of 100k contacts went to it).
    static func tsvLine(_ values: [String?], forTerminal: Bool = standardOutputIsTerminal) -> String {
        var out = ""
        for (index, value) in values.enumerated() {
            if index > 0 { out += "\t" }
            appendTSV(value ?? "", to: &out, forTerminal: forTerminal)
        }
        return out
    }

    static func appendTSV(_ value: String, to out: inout String, forTerminal: Bool) {
        if forTerminal {
            for character in TerminalText.sanitizeKeepingLayout(value) {
                switch character {
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\\": out += "\\\\"
                default: out.append(character)
                }
            }
            return
        }
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) {
            out += value
            return
        }
        var previousWasCR = false
        for scalar in value.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\t": out += "\\t"
            case "\n": if !previousWasCR { out += "\\n" }          // CR LF is one line break
            case "\r": out += "\\n"
            case "\\": out += "\\\\"
            default:
                if let shown = TerminalText.placeholder(for: scalar) { out += shown } else { out.unicodeScalars.append(scalar) }
            }
        }
    }

    /// Output gathered into large writes: a line per write(2) made `rolo list --tsv` of 100k
    /// contacts 100k system calls.
    struct Buffered {
        private var pending = ""
        private let descriptor: Int32
        static let size = 1 << 16

        init(descriptor: Int32 = STDOUT_FILENO) {
            self.descriptor = descriptor
            pending.reserveCapacity(Buffered.size + 4096)
        }

        mutating func append(_ text: String) {
            pending += text
            if pending.utf8.count >= Buffered.size { flush() }
        }

        mutating func line(_ text: String) {
            append(text)
            append("\n")
        }

        mutating func flush() {
            guard !pending.isEmpty else { return }
            Output.write(Data(pending.utf8), to: descriptor)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// A table with a header, columns sized to their contents. On a terminal, the widest
    /// column gives way (with `…`) so that lines fit.
    static func table(header: [String], rows: [[String]], flexible: Int) -> [String] {
        // Each cell made safe and measured once: a list into a pipe is every match.
        let safeRows = ([header] + rows).map { $0.map(TerminalText.sanitizedWithWidth) }
        var widths = header.indices.map { column in safeRows.map { $0[column].width }.max() ?? 0 }
        if let columns = terminalColumns {
            let total = widths.reduce(0, +) + 2 * (widths.count - 1)
            if total > columns {
                widths[flexible] = max(8, widths[flexible] - (total - columns))
            }
        }
        func render(_ cells: [(text: String, width: Int)]) -> String {
            var line = ""
            for (column, cell) in cells.enumerated() {
                if column > 0 { line += "  " }
                line += column == cells.count - 1
                    ? (cell.width <= widths[column] ? cell.text : TerminalText.truncate(cell.text, to: widths[column]))
                    : TerminalText.fit(safe: cell.text, width: cell.width, to: widths[column])
            }
            return line
        }
        return safeRows.map(render)
    }

    /// Asks a yes/no question on the terminal; no by default.
    static func confirm(_ question: String) -> Bool {
        write(Data((TerminalText.sanitize(question) + " [y/N] ").utf8), to: STDERR_FILENO)
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmed.lowercased())
    }
}
