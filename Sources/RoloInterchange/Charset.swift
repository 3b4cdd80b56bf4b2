import Foundation

/// The character sets vCard 2.1 files declare (`CHARSET=…`) and rolo reads: Outlook writes its
/// Windows code page, Android and old phones UTF-8 or an ISO 8859 part.
///
/// The tables are rolo's own, not Foundation's: a byte a charset does not define must be an
/// error that names its line — never a silent U+FFFD — and Foundation on Linux (measured with
/// Swift 6.3) reads Windows-1250's undefined 0x81 and ISO-8859-1/-2's 0x80–0x9F as control
/// characters, and says only "nil" where a byte is bad. They follow the Unicode Consortium's mapping files
/// (VENDORS/MICSFT/WINDOWS/CP125x.TXT, ISO8859/8859-n.TXT). Bytes 0x80–0x9F are C1 control
/// codes in ISO 8859, never text: reading them as undefined turns a Windows file mislabelled
/// ISO-8859-1 into a clear error instead of invisible control characters.
public enum Charset: Sendable, Hashable, CaseIterable {
    case utf8
    case usASCII
    case isoLatin1
    case isoLatin2
    case isoLatin9
    case windows1250
    case windows1251
    case windows1252

    /// The name rolo uses in messages, as IANA registers it.
    public var name: String {
        switch self {
        case .utf8: "UTF-8"
        case .usASCII: "US-ASCII"
        case .isoLatin1: "ISO-8859-1"
        case .isoLatin2: "ISO-8859-2"
        case .isoLatin9: "ISO-8859-15"
        case .windows1250: "Windows-1250"
        case .windows1251: "Windows-1251"
        case .windows1252: "Windows-1252"
        }
    }

    /// Looks a charset up by an IANA name or a common alias, ignoring case (`utf-8`,
    /// `ISO8859-1`, `latin1`, `cp1252`, `windows-1252`).
    public init?(named name: String) {
        var key = name.trimmingCharacters(in: .whitespaces).lowercased()
        key.removeAll { $0 == "-" || $0 == "_" || $0 == " " }
        switch key {
        case "utf8": self = .utf8
        case "usascii", "ascii", "ansix3.41968", "iso646us": self = .usASCII
        case "iso88591", "latin1", "isolatin1", "l1", "iso885911987": self = .isoLatin1
        case "iso88592", "latin2", "isolatin2", "l2", "iso885921987": self = .isoLatin2
        case "iso885915", "latin9", "isolatin9", "latin0": self = .isoLatin9
        case "windows1250", "cp1250", "win1250": self = .windows1250
        case "windows1251", "cp1251", "win1251": self = .windows1251
        case "windows1252", "cp1252", "win1252": self = .windows1252
        default: return nil
        }
    }

    /// The names people can give, for messages.
    public static var supportedNames: String { allCases.map(\.name).joined(separator: ", ") }

    /// Why some bytes are not text in a charset: the first offending byte and where it is.
    public struct Undefined: Error, Sendable, Hashable {
        /// The byte (for UTF-8, the first byte of the bad sequence).
        public let byte: UInt8
        /// Its position in the bytes given.
        public let offset: Int
    }

    /// The text the bytes mean in this charset; throws at the first byte it does not define.
    public func decode(_ bytes: some Collection<UInt8>) throws(Undefined) -> String {
        switch self {
        case .utf8:
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            throw Self.firstInvalidUTF8(Array(bytes))
        default:
            var text = String.UnicodeScalarView()
            for (offset, byte) in bytes.enumerated() {
                guard let scalar = scalar(for: byte) else { throw Undefined(byte: byte, offset: offset) }
                text.append(scalar)
            }
            return String(text)
        }
    }

    /// The character a single byte stands for in an 8-bit charset; nil where it has none.
    func scalar(for byte: UInt8) -> Unicode.Scalar? {
        if byte < 0x80 { return Unicode.Scalar(byte) }
        let value: UInt16
        switch self {
        case .utf8, .usASCII: return nil
        case .isoLatin1: value = byte < 0xA0 ? 0 : UInt16(byte)
        case .isoLatin9: value = byte < 0xA0 ? 0 : Self.latin9Differences[byte] ?? UInt16(byte)
        case .isoLatin2: value = byte < 0xA0 ? 0 : Self.latin2Table[Int(byte) - 0xA0]
        case .windows1250: value = Self.windows1250Table[Int(byte) - 0x80]
        case .windows1251: value = Self.windows1251Table[Int(byte) - 0x80]
        case .windows1252: value = Self.windows1252Table[Int(byte) - 0x80]
        }
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    /// `0xE9`, as messages write a byte.
    static func hex(_ byte: UInt8) -> String { "0x" + String(byte, radix: 16, uppercase: true) }

    /// The message for a byte this charset does not define; `source` says who named the charset
    /// (`the line says CHARSET=latin1`).
    func undefinedMessage(_ byte: UInt8, source: String) -> String {
        var message = "byte \(Self.hex(byte)) is not a character in \(name) (\(source))"
        if [Charset.isoLatin1, .isoLatin2, .isoLatin9].contains(self), (0x80...0x9F).contains(byte) {
            message += "; 0x80–0x9F are control codes in ISO 8859 (a file from Windows is Windows-1252 or -1250)"
        }
        return message
    }

    /// Where the first byte sequence that is not UTF-8 starts.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Undefined {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: return Undefined(byte: offset < bytes.count ? bytes[offset] : 0, offset: offset)
            }
        }
    }

    // MARK: Tables (0 = not defined)

    /// ISO-8859-15 is ISO-8859-1 but for eight bytes (the euro sign, Š š Ž ž Œ œ Ÿ).
    static let latin9Differences: [UInt8: UInt16] = [
        0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178,
    ]

    /// ISO-8859-2 from 0xA0.
    static let latin2Table: [UInt16] = [
        0x00A0, 0x0104, 0x02D8, 0x0141, 0x00A4, 0x013D, 0x015A, 0x00A7, // A0
        0x00A8, 0x0160, 0x015E, 0x0164, 0x0179, 0x00AD, 0x017D, 0x017B, // A8
        0x00B0, 0x0105, 0x02DB, 0x0142, 0x00B4, 0x013E, 0x015B, 0x02C7, // B0
        0x00B8, 0x0161, 0x015F, 0x0165, 0x017A, 0x02DD, 0x017E, 0x017C, // B8
        0x0154, 0x00C1, 0x00C2, 0x0102, 0x00C4, 0x0139, 0x0106, 0x00C7, // C0
        0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD, 0x00CE, 0x010E, // C8
        0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7, // D0
        0x0158, 0x016E, 0x00DA, 0x0170, 0x00DC, 0x00DD, 0x0162, 0x00DF, // D8
        0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7, // E0
        0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F, // E8
        0x0111, 0x0144, 0x0148, 0x00F3, 0x00F4, 0x0151, 0x00F6, 0x00F7, // F0
        0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9, // F8
    ]

    /// Windows-1250 (Central European) from 0x80.
    static let windows1250Table: [UInt16] = [
        0x20AC, 0x0000, 0x201A, 0x0000, 0x201E, 0x2026, 0x2020, 0x2021, // 80
        0x0000, 0x2030, 0x0160, 0x2039, 0x015A, 0x0164, 0x017D, 0x0179, // 88
        0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90
        0x0000, 0x2122, 0x0161, 0x203A, 0x015B, 0x0165, 0x017E, 0x017A, // 98
        0x00A0, 0x02C7, 0x02D8, 0x0141, 0x00A4, 0x0104, 0x00A6, 0x00A7, // A0
        0x00A8, 0x00A9, 0x015E, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x017B, // A8
        0x00B0, 0x00B1, 0x02DB, 0x0142, 0x00B4, 0x00B5, 0x00B6, 0x00B7, // B0
        0x00B8, 0x0105, 0x015F, 0x00BB, 0x013D, 0x02DD, 0x013E, 0x017C, // B8
        0x0154, 0x00C1, 0x00C2, 0x0102, 0x00C4, 0x0139, 0x0106, 0x00C7, // C0
        0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD, 0x00CE, 0x010E, // C8
        0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7, // D0
        0x0158, 0x016E, 0x00DA, 0x0170, 0x00DC, 0x00DD, 0x0162, 0x00DF, // D8
        0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7, // E0
        0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F, // E8
        0x0111, 0x0144, 0x0148, 0x00F3, 0x00F4, 0x0151, 0x00F6, 0x00F7, // F0
        0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9, // F8
    ]

    /// Windows-1251 (Cyrillic) from 0x80.
    static let windows1251Table: [UInt16] = [
        0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, // 80
        0x20AC, 0x2030, 0x0409, 0x2039, 0x040A, 0x040C, 0x040B, 0x040F, // 88
        0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90
        0x0000, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, // 98
        0x00A0, 0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7, // A0
        0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407, // A8
        0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7, // B0
        0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457, // B8
        0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417, // C0
        0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, // C8
        0x0420, 0x0421, 0x0422, 0x0423, 0x0424, 0x0425, 0x0426, 0x0427, // D0
        0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F, // D8
        0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, // E0
        0x0438, 0x0439, 0x043A, 0x043B, 0x043C, 0x043D, 0x043E, 0x043F, // E8
        0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447, // F0
        0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F, // F8
    ]

    /// Windows-1252 (Western) from 0x80: 0x80–0x9F hold the euro sign, curly quotes (0x92 is ’), dashes.
    static let windows1252Table: [UInt16] = [
        0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, // 80
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x0000, 0x017D, 0x0000, // 88
        0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x0000, 0x017E, 0x0178, // 98
        0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7, // A0
        0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF, // A8
        0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7, // B0
        0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF, // B8
        0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7, // C0
        0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF, // C8
        0x00D0, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7, // D0
        0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF, // D8
        0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7, // E0
        0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, // E8
        0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7, // F0
        0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF, // F8
    ]

}
