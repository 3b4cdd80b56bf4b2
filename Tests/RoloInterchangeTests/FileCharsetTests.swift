import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

/// How a whole file's bytes become text: UTF-8, UTF-16 where a byte-order mark says so, or the
/// charset the import names (`--charset`).
@Suite("File charsets")
struct FileCharsetTests {
    /// Text as Excel's "Unicode Text" and Notepad save it: a byte-order mark, then UTF-16.
    static func utf16(_ text: String, _ mark: ByteOrderMark) -> Data {
        var bytes: [UInt8] = mark == .utf16BigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
        for unit in text.utf16 {
            let high = UInt8(unit >> 8), low = UInt8(unit & 0xFF)
            bytes += mark == .utf16BigEndian ? [high, low] : [low, high]
        }
        return Data(bytes)
    }

    static let csv = "first_name,last_name,email\r\nZoë,O’Brien,zoe@example.com\r\n山田,Gödel 𝔊,yamada@example.com\r\n"
    static let vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Müller;Jürgen;;;\r\nFN:Jürgen Müller 🎻\r\nNOTE:eins\\nzwei\r\n  drei\r\n"
        + "END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë O’Brien\r\nEND:VCARD\r\n"

    @Test(arguments: [ByteOrderMark.utf16LittleEndian, .utf16BigEndian], [InterchangeFormat.csv, .vcard])
    func utf16WithAByteOrderMarkReadsLikeUTF8(mark: ByteOrderMark, format: InterchangeFormat) throws {
        let text = format == .csv ? Self.csv : Self.vcard
        let fromUTF16 = try ContactFileReader.read(Self.utf16(text, mark), format: format, skipInvalid: false)
        let fromUTF8 = try read(text, format)
        #expect(fromUTF16.contacts.map(\.contact.fields) == fromUTF8.contacts.map(\.contact.fields))
        #expect(fromUTF16.contacts.map(\.line) == fromUTF8.contacts.map(\.line))
        let names = fromUTF16.contacts.map { $0.contact[.lastName] ?? $0.contact[.fullName] }
        #expect(names == (format == .csv ? ["O’Brien", "Gödel 𝔊"] : ["Müller", "Zoë O’Brien"]))
    }

    @Test func aCharsetInAUTF16VCardSaysOnlyWhatEscapesStandFor() throws {
        // The file's characters are text already: the declared Windows-1252 applies to =92,
        // not to the ë (read as Windows-1252 bytes, its UTF-8 would become "Ã«").
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:O=92Brien;Zoë\r\nEND:VCARD\r\n"
        let result = try ContactFileReader.read(Self.utf16(text, .utf16LittleEndian), format: .vcard, skipInvalid: false)
        let contact = try #require(result.contacts.first).contact
        #expect(contact[.lastName] == "O’Brien" && contact[.firstName] == "Zoë")
    }

    @Test(arguments: [ByteOrderMark.utf16LittleEndian, .utf16BigEndian])
    func utf16ThatIsNotUTF16NamesItsLine(mark: ByteOrderMark) {
        let lead: [UInt8] = mark == .utf16BigEndian ? [0xD8, 0x3D] : [0x3D, 0xD8]
        let data = Self.utf16("first_name,email\nAnn,ann@example.com\nJo", mark) + lead
            + Self.utf16("x,jo@example.com\n", mark).dropFirst(2)
        let found = problem(data, .csv)
        #expect(found?.line == 3)
        #expect(found?.message.hasPrefix("UTF-16 unit 0xD83D is half a character") == true, "\(String(describing: found))")
        let odd = Self.utf16("BEGIN:VCARD\nFN:Ann\n", mark) + [0x41]
        #expect(problem(odd, .vcard) == ImportProblem(line: 3, message: "the file ends in half a UTF-16 character (an odd number of bytes)"))
    }

    @Test func jsonAndUTF32AreNotReadAsUTF16() {
        let json = problem(Self.utf16("[{\"first_name\": \"Ann\"}]", .utf16LittleEndian), .json)
        #expect(json?.line == 1 && json?.message.hasPrefix("the file is UTF-16 (its byte-order mark says so); rolo JSON is UTF-8") == true,
                "\(String(describing: json))")
        let utf32 = Data([0xFF, 0xFE, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00])
        #expect(problem(utf32, .csv)?.message.hasPrefix("the file is UTF-32") == true)
    }

    // MARK: A charset the import names

    /// Text in Windows-1252, its non-ASCII letters written out byte by byte (not through the
    /// tables under test).
    static func windows1252(_ text: String) -> Data {
        Data(text.unicodeScalars.map { scalar -> UInt8 in
            switch scalar {
            case "ë": return 0xEB
            case "ü": return 0xFC
            case "ß": return 0xDF
            case "’": return 0x92
            case "€": return 0x80
            default:
                precondition(scalar.isASCII, "add \(scalar) to the test's table")
                return UInt8(scalar.value)
            }
        })
    }

    /// Outlook's CSV export on a Western European Windows: its code page and CR LF.
    static let outlookCSV = "\"First Name\",\"Last Name\",\"E-mail Address\",\"Business Street\"\r\n"
        + "\"Zoë\",\"O’Brien\",\"zoe@example.com\",\"Hauptstraße 1\"\r\n"
        + "\"Jürgen\",\"Müller\",\"jm@example.com\",\"\"\r\n"

    static let csvDialects = [
        outlookCSV,
        "First Name,Last Name,File As,Labels,E-mail 1 - Label,E-mail 1 - Value\r\nZoë,O’Brien,,,,zoe@example.com\r\n"
            + "Jürgen,Müller,,,,jm@example.com\r\n",
        "first_name,last_name,email,notes\r\nZoë,O’Brien,zoe@example.com,5 €\r\nJürgen,Müller,jm@example.com,\r\n",
    ]

    @Test(arguments: csvDialects)
    func aCSVInWindows1252IsReadWithItsCharsetAndRefusedWithout(text: String) throws {
        let data = Self.windows1252(text)
        let result = try ContactFileReader.read(data, format: .csv, skipInvalid: false, charset: .windows1252)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Zoë", "Jürgen"])
        #expect(result.contacts.map { $0.contact[.lastName] } == ["O’Brien", "Müller"])
        #expect(result.contacts.map { $0.contact.fields } == (try read(text, .csv)).contacts.map { $0.contact.fields },
                "as the same file in UTF-8")
        #expect(problem(data, .csv) == ImportProblem(line: 2, message: "byte 0xEB is not UTF-8 text; if the file came from Outlook "
            + "or Excel on Windows it is probably Windows-1252: import it with --charset windows-1252"))
    }

    @Test func aByteTheNamedCharsetDoesNotDefineNamesItsLine() throws {
        let data = Self.windows1252(Self.outlookCSV) + Data("\"Ann\",\"B".utf8) + Data([0x81]) + Data("\",\"ann@example.com\",\"\"\r\n".utf8)
        #expect(throws: ImportProblem(line: 4, message: "byte 0x81 is not a character in Windows-1252 (the charset --charset names)")) {
            try ContactFileReader.read(data, format: .csv, skipInvalid: false, charset: .windows1252)
        }
        let latin1 = Self.windows1252("first_name,last_name\nZoë,O’Brien\n")
        #expect(throws: ImportProblem(line: 2, message: "byte 0x92 is not a character in ISO-8859-1 (the charset --charset names); "
            + "0x80–0x9F are control codes in ISO 8859 (a file from Windows is Windows-1252 or -1250)")) {
            try ContactFileReader.read(latin1, format: .csv, skipInvalid: false, charset: .isoLatin1)
        }
    }

    @Test func aVCardsLinesWithoutACharsetAreInTheNamedOne() throws {
        // Outlook's 2.1 export: its code page where a line declares none, and its own
        // declaration where it does — here a line in UTF-8.
        let card = Self.windows1252("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Müller;Zoë\r\n") + Data("FN;CHARSET=UTF-8:Zoë Müller\r\n".utf8)
            + Self.windows1252("NOTE;ENCODING=QUOTED-PRINTABLE:O=92Brien, 5 =80\r\nTEL;CELL;X-Büro:+49 30 1234567\r\nEND:VCARD\r\n")
        let contact = try #require(try ContactFileReader.read(card, format: .vcard, skipInvalid: false, charset: .windows1252)
            .contacts.first).contact
        #expect(contact[.lastName] == "Müller" && contact[.firstName] == "Zoë" && contact[.fullName] == "Zoë Müller")
        #expect(contact[.notes] == "O’Brien, 5 €")
        let inUTF8 = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Müller;Zoë\r\nFN;CHARSET=UTF-8:Zoë Müller\r\n"
            + "NOTE;ENCODING=QUOTED-PRINTABLE:O=E2=80=99Brien, 5 =E2=82=AC\r\nTEL;CELL;X-Büro:+49 30 1234567\r\nEND:VCARD\r\n"
        let expected = try #require(try read(inUTF8, .vcard).contacts.first).contact
        #expect(contact.fields == expected.fields && contact.otherPhones == expected.otherPhones && contact.extensions == expected.extensions)

        let undefined = Self.windows1252("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Zoë\r\nNOTE:a") + Data([0x81]) + Data("\r\nEND:VCARD\r\n".utf8)
        #expect(throws: ImportProblem(line: 4, message: "byte 0x81 is not a character in Windows-1252 (the line names no CHARSET; "
            + "--charset names it)")) {
            try ContactFileReader.read(undefined, format: .vcard, skipInvalid: false, charset: .windows1252)
        }
    }

    @Test func jsonAndAByteOrderMarkTakeNoOtherCharset() {
        #expect(throws: ImportProblem(line: 1, message: "rolo JSON is UTF-8, as JSON is (RFC 8259); --charset Windows-1252 does not apply to it")) {
            try ContactFileReader.read(Data("[]".utf8), format: .json, skipInvalid: false, charset: .windows1252)
        }
        #expect(throws: Never.self) { try ContactFileReader.read(Data("[]".utf8), format: .json, skipInvalid: false, charset: .utf8) }
        let marked = Self.utf16("first_name\nZoë\n", .utf16LittleEndian)
        #expect(throws: ImportProblem(line: 1, message: "the file starts with a UTF-16LE byte-order mark, so it is not in Windows-1252 "
            + "as --charset says; import it without --charset")) {
            try ContactFileReader.read(marked, format: .csv, skipInvalid: false, charset: .windows1252)
        }
        let utf8 = Data([0xEF, 0xBB, 0xBF]) + Data("first_name\nZoë\n".utf8)
        #expect(throws: Never.self) { try ContactFileReader.read(utf8, format: .csv, skipInvalid: false, charset: .utf8) }
    }
}
