import Foundation

/// What vCard 2.1 adds to a value, undone: the charset its bytes are in (`CHARSET=`) and
/// quoted-printable (`ENCODING=QUOTED-PRINTABLE`, or 2.1's bare `QUOTED-PRINTABLE`), as
/// Outlook and Android write them.
///
/// A value is read as its line declares, never guessed: a byte the declared charset does not
/// define — or, with no `CHARSET`, a byte sequence that is not UTF-8 (or not in the charset the
/// import names, `--charset`) — is an error naming the line. The soft line breaks of
/// quoted-printable are joined before this (`VCardFormat.unfold`).
enum VCard21Value {
    /// The `CHARSET` a line declares, as written; nil when it declares none.
    static func charsetName(_ parameters: [(name: String, values: [String])]) -> String? {
        parameters.first { $0.name == "CHARSET" }?.values.first
    }

    static func isQuotedPrintable(_ parameters: [(name: String, values: [String])]) -> Bool {
        parameters.contains { $0.name == "ENCODING" && $0.values.contains { $0.uppercased() == "QUOTED-PRINTABLE" } }
    }

    /// The text of value bytes in the charset the line names, else in `undeclared`: UTF-8
    /// unless the import names another.
    static func text(of bytes: some Collection<UInt8>, charsetName: String?, undeclared: Charset = .utf8,
                     line: Int) throws(ImportProblem) -> String {
        let charset = try resolve(charsetName, undeclared: undeclared, line: line)
        do { return try charset.decode(bytes) } catch {
            throw undefined(error.byte, charsetName: charsetName, undeclared: undeclared, line: line)
        }
    }

    /// The value as its writer meant it: quoted-printable undone when the line says so, the
    /// bytes it stands for read in the line's charset.
    static func decoded(_ written: String, parameters: [(name: String, values: [String])], charsetName: String?,
                        undeclared: Charset = .utf8, line: Int) throws(ImportProblem) -> String {
        guard isQuotedPrintable(parameters), written.utf8.contains(UInt8(ascii: "=")) else { return written }
        var out = String.UnicodeScalarView()
        // Bytes of escapes and of the ASCII around them, read together: a UTF-8 character is
        // usually two or three escapes in a row.
        var pending: [UInt8] = []
        func flush() throws(ImportProblem) {
            guard !pending.isEmpty else { return }
            if pending.allSatisfy({ $0 < 0x80 }) {
                out.append(contentsOf: pending.map { Unicode.Scalar($0) })
            } else {
                out.append(contentsOf: try text(of: pending, charsetName: charsetName, undeclared: undeclared, line: line).unicodeScalars)
            }
            pending.removeAll(keepingCapacity: true)
        }
        let scalars = Array(written.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "=" {
                if index + 2 < scalars.count, let high = hexDigit(scalars[index + 1]), let low = hexDigit(scalars[index + 2]) {
                    pending.append(high << 4 | low)
                    index += 3
                    continue
                }
                // A soft line break left at the very end of the value.
                if index == scalars.count - 1 { break }
            }
            if scalar.isASCII {
                pending.append(UInt8(scalar.value))
            } else {
                // Already text (a preserved line read back): it stays as it is.
                try flush()
                out.append(scalar)
            }
            index += 1
        }
        try flush()
        return String(out)
    }

    static func hexDigit(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "0"..."9": UInt8(scalar.value - 0x30)
        case "A"..."F": UInt8(scalar.value - 0x41 + 10)
        case "a"..."f": UInt8(scalar.value - 0x61 + 10)
        default: nil
        }
    }

    static func resolve(_ name: String?, undeclared: Charset = .utf8, line: Int) throws(ImportProblem) -> Charset {
        guard let name else { return undeclared }
        guard let charset = Charset(named: name) else {
            throw ImportProblem(line: line, message: "CHARSET=\(name) is not a charset rolo reads (\(Charset.supportedNames)); "
                + "save the file as UTF-8")
        }
        return charset
    }

    /// The error for a byte the line's charset does not define.
    static func undefined(_ byte: UInt8, charsetName: String?, undeclared: Charset = .utf8, line: Int) -> ImportProblem {
        guard let charsetName, let charset = Charset(named: charsetName) else {
            if undeclared != .utf8 {
                return ImportProblem(line: line, message: undeclared.undefinedMessage(byte, source: "the line names no CHARSET; --charset names it"))
            }
            return ImportProblem(line: line, message: "byte \(Charset.hex(byte)) is not UTF-8 text and the line names no other CHARSET; "
                + "if the file came from Outlook on Windows it is probably Windows-1252: import it with --charset windows-1252 "
                + "(or save the file as UTF-8)")
        }
        return ImportProblem(line: line, message: charset.undefinedMessage(byte, source: "the line says CHARSET=\(charsetName)"))
    }
}
