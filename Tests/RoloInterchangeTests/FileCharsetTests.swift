import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

/// How a whole file's bytes become text: UTF-8, UTF-16 where a byte-order mark says so.
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
}
