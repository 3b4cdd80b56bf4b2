import Foundation

/// The mark a program writes before a file's text to say how the text is encoded. It is not
/// a guess from the bytes: Excel's "Unicode Text", Windows Notepad and older Google exports
/// write UTF-16 and say so with it.
enum ByteOrderMark: Sendable, Hashable {
    case utf8
    case utf16LittleEndian
    case utf16BigEndian

    /// The mark the bytes start with; nil when they start with none. UTF-32's marks are refused
    /// rather than read as UTF-16 (FF FE 00 00 would pass for UTF-16LE and a NUL).
    init?(startOf bytes: some Collection<UInt8>) throws(ImportProblem) {
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            throw ImportProblem(line: 1, message: "the file is UTF-32 (its byte-order mark says so), which rolo does not read; "
                + "save it as UTF-8")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            self = .utf8
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            self = .utf16LittleEndian
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            self = .utf16BigEndian
        } else {
            return nil
        }
    }

    /// How many bytes the mark takes.
    var length: Int { self == .utf8 ? 3 : 2 }

    var name: String {
        switch self {
        case .utf8: "UTF-8"
        case .utf16LittleEndian: "UTF-16LE"
        case .utf16BigEndian: "UTF-16BE"
        }
    }
}

/// How the bytes of a CSV or vCard file become text.
enum FileText {
    /// The text of a whole file in one charset: UTF-8, or the one the import names. The first
    /// byte the charset does not define is an error naming its line and saying how to go on.
    static func decode(_ bytes: Data, in charset: Charset) throws(ImportProblem) -> String {
        do { return try charset.decode(bytes) } catch {
            let line = 1 + bytes.prefix(error.offset).count { $0 == 0x0A }
            throw ImportProblem(line: line, message: charset == .utf8 ? notUTF8(error.byte)
                : charset.undefinedMessage(error.byte, source: "the charset --charset names"))
        }
    }

    /// A byte that is not UTF-8 where no charset was named: most such files are Windows ones.
    static func notUTF8(_ byte: UInt8) -> String {
        "byte \(Charset.hex(byte)) is not UTF-8 text; if the file came from Outlook or Excel on Windows it is probably "
            + "Windows-1252: import it with --charset windows-1252"
    }

    /// The text of UTF-16 bytes (after their mark). A unit that is half a character — a
    /// surrogate without its other half — or an odd last byte is an error naming its line,
    /// as a byte that is not UTF-8 is in a UTF-8 file.
    static func decodeUTF16(_ bytes: some Collection<UInt8>, mark: ByteOrderMark) throws(ImportProblem) -> String {
        let bigEndian = mark == .utf16BigEndian
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var line = 1
        var unpairedLead: UInt16?
        func halfCharacter(_ unit: UInt16) -> ImportProblem {
            ImportProblem(line: line, message: "UTF-16 unit 0x\(String(unit, radix: 16, uppercase: true)) is half a character "
                + "(a surrogate without its pair): the file is not \(mark.name) text, though its byte-order mark says so")
        }
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            guard let second = iterator.next() else {
                throw ImportProblem(line: line, message: "the file ends in half a UTF-16 character (an odd number of bytes)")
            }
            let unit = bigEndian ? UInt16(first) << 8 | UInt16(second) : UInt16(second) << 8 | UInt16(first)
            if let lead = unpairedLead {
                guard UTF16.isTrailSurrogate(unit) else { throw halfCharacter(lead) }
                unpairedLead = nil
            } else if UTF16.isLeadSurrogate(unit) {
                unpairedLead = unit
            } else if UTF16.isTrailSurrogate(unit) {
                throw halfCharacter(unit)
            }
            if unit == 0x0A { line += 1 }
            units.append(unit)
        }
        if let lead = unpairedLead { throw halfCharacter(lead) }
        return String(decoding: units, as: UTF16.self)
    }
}
