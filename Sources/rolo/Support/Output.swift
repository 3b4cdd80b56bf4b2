import Foundation
import RoloCore

/// Writing to stdout and stderr. Text that came from the cache or a file is untrusted: it is
/// made safe here (escape sequences and control characters shown, not obeyed) before it
/// reaches a terminal. JSON output escapes control characters by itself.
enum Output {
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Columns of the terminal on stderr (where progress lines go), or nil when it is none.
    static var errorColumns: Int? {
        guard standardErrorIsTerminal else { return nil }
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

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
        var line = Buffered(descriptor: nil)
        line.tsv(values, forTerminal: forTerminal)
        return line.text
    }

    /// A TSV value that needs no escaping and no placeholder: printable ASCII but `\`, and
    /// Latin, Greek and Cyrillic letters (`TerminalText.isSimpleAlphabetic`) — nearly every
    /// name, email and phone.
    static func isPlainTSV(_ value: String) -> Bool {
        guard !value.utf8.contains(UInt8(ascii: "\\")) else { return false }
        return TerminalText.simpleAlphabeticWidth(value) != nil
    }

    /// The escaped form of a TSV value that is not plain.
    static func escapedTSV(_ value: String, forTerminal: Bool) -> String {
        var out = ""
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
            return out
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
        return out
    }

    /// Output gathered as bytes into large writes: a line per write(2) made `rolo list --tsv`
    /// of 100k contacts 100k system calls, and building each line as a String, then padding
    /// every table cell with a String of spaces, cost more than reading the rows.
    struct Buffered {
        private var pending: [UInt8] = []
        /// Where full buffers go; nil keeps everything (for a caller that wants the text).
        private let descriptor: Int32?
        static let size = 1 << 16

        init(descriptor: Int32? = STDOUT_FILENO) {
            self.descriptor = descriptor
            pending.reserveCapacity(Buffered.size + 4096)
        }

        /// What was gathered (with no descriptor).
        var text: String { String(decoding: pending, as: UTF8.self) }

        mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { pending.append(contentsOf: $0) }
            if pending.count >= Buffered.size { flush() }
        }

        mutating func spaces(_ count: Int) {
            if count > 0 { pending.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count)) }
        }

        mutating func line(_ text: String) {
            append(text)
            newline()
        }

        mutating func newline() {
            pending.append(UInt8(ascii: "\n"))
            if pending.count >= Buffered.size { flush() }
        }

        /// One line of tab-separated values (see `Output.tsvLine`).
        mutating func tsv(_ values: [String?], forTerminal: Bool) {
            for (index, value) in values.enumerated() {
                if index > 0 { pending.append(UInt8(ascii: "\t")) }
                let value = value ?? ""
                append(Output.isPlainTSV(value) ? value : Output.escapedTSV(value, forTerminal: forTerminal))
            }
        }

        mutating func flush() {
            guard let descriptor, !pending.isEmpty else { return }
            Output.write(Data(pending), to: descriptor)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// A table with a header, columns sized to their contents. On a terminal, the widest
    /// column gives way (with `…`) so that lines fit.
    static func table(header: [String], rows: [[String]], flexible: Int) -> [String] {
        var lines = Buffered(descriptor: nil)
        table(header: header, rows: rows, flexible: flexible, into: &lines)
        return lines.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Column widths that fit `columns` cells, two spaces between columns: the flexible
    /// column gives way first, down to 8 cells; then the widest of the others, a cell at a
    /// time, none below 8 — so short columns (ids, phone numbers) stay whole while wider
    /// ones can give. Past that the line is as narrow as it can be.
    static func fitted(_ widths: [Int], into columns: Int, flexible: Int) -> [Int] {
        let floor = 8
        var widths = widths
        var over = widths.reduce(0, +) + 2 * (widths.count - 1) - columns
        guard over > 0 else { return widths }
        let first = min(over, max(0, widths[flexible] - floor))
        widths[flexible] -= first
        over -= first
        while over > 0, let widest = widths.indices.filter({ widths[$0] > floor }).max(by: { widths[$0] < widths[$1] }) {
            widths[widest] -= 1
            over -= 1
        }
        return widths
    }

    /// The table's lines, each ended by a newline, written into `out`.
    static func table(header: [String], rows: [[String]], flexible: Int, into out: inout Buffered) {
        // Each cell made safe and measured once: a list into a pipe is every match.
        let safeRows = ([header] + rows).map { $0.map(TerminalText.sanitizedWithWidth) }
        var widths = header.indices.map { column in safeRows.map { $0[column].width }.max() ?? 0 }
        if let columns = terminalColumns {
            widths = fitted(widths, into: columns, flexible: flexible)
        }
        for cells in safeRows {
            for (column, cell) in cells.enumerated() {
                if column > 0 { out.spaces(2) }
                if cell.width <= widths[column] {
                    out.append(cell.text)
                    // The last column is not padded: no line ends in spaces.
                    if column < cells.count - 1 { out.spaces(widths[column] - cell.width) }
                } else {
                    let cut = TerminalText.truncate(cell.text, to: widths[column])
                    out.append(cut)
                    if column < cells.count - 1 { out.spaces(widths[column] - TerminalText.width(cut)) }
                }
            }
            out.newline()
        }
    }

    /// Asks a yes/no question on the terminal; no by default.
    static func confirm(_ question: String) -> Bool {
        write(Data((TerminalText.sanitize(question) + " [y/N] ").utf8), to: STDERR_FILENO)
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmed.lowercased())
    }
}
