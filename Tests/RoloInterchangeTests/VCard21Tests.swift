import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

/// vCard 2.1 as Outlook, Android and older phones write it: values in the charset a line
/// declares, quoted-printable with soft line breaks, and errors that name the line.
@Suite("vCard 2.1")
struct VCard21Tests {
    func readFixture(_ name: String) throws -> [Contact] {
        try ContactFileReader.read(try fixture(name), format: .vcard, skipInvalid: false).contacts.map(\.contact)
    }

    func card(_ lines: [UInt8]...) -> Data {
        Data(lines.joined(separator: Array("\r\n".utf8))) + Data("\r\n".utf8)
    }

    func line(_ text: String, _ bytes: UInt8...) -> [UInt8] { Array(text.utf8) + bytes }

    @Test func anOutlookFileInWindowsCodePages() throws {
        let contacts = try readFixture("outlook-2.1.vcf")
        #expect(contacts.count == 2)
        let sean = contacts[0]
        #expect(sean[.lastName] == "O’Brien" && sean[.firstName] == "Seán", "0x92 is ’ in Windows-1252")
        #expect(sean[.fullName] == "Seán O’Brien")
        #expect(sean[.jobTitle] == "Director – EMEA", "0x96 is an en dash")
        #expect(sean[.notes] == "Prefers calls before 10:00 – “urgent” only.\r\nLikes the € price list.\r\nCall back in Q3.",
                "quoted-printable in Windows-1252, the soft line break joined")
        #expect(sean[.company] == "Contoso Ltd." && sean[.email] == "sean.obrien@contoso.com")
        #expect(sean[.phone] == "(214) 555-0100" && sean[.mobilePhone] == "+353 87 123 4567")
        #expect(sean[.addressLine1] == "1 Grand Canal Sq" && sean[.city] == "Dublin" && sean[.postcode] == "D02 P820")
        #expect(sean[.website] == "http://www.contoso.com")
        #expect(sean.updatedAt == instant("2024-01-15T10:15:00Z"))
        guard case .array(let items)? = sean.extensions["vcard"] else { Issue.record("no preserved lines"); return }
        let kept = items.compactMap(\.stringValue)
        #expect(kept.contains { $0.hasPrefix("X-MS-OL-DESIGN;CHARSET=utf-8:<card xmlns=") }, "UTF-8 declared and used")
        let lukasz = contacts[1]
        #expect(lukasz[.lastName] == "Wąsik" && lukasz[.firstName] == "Łukasz" && lukasz[.company] == "Zakłady Śląskie",
                "Windows-1250, Outlook's Central European code page")
    }

    @Test func anAndroidFileInQuotedPrintableUTF8() throws {
        let contacts = try readFixture("android-2.1.vcf")
        #expect(contacts.count == 2)
        let taro = contacts[0]
        #expect(taro[.lastName] == "山田" && taro[.firstName] == "太郎" && taro[.fullName] == "山田 太郎",
                "a soft break in the middle of a character's escapes")
        #expect(taro[.company] == "株式会社サンプル")
        #expect(taro[.addressLine1] == "千代田区千代田1-1" && taro[.city] == "東京都" && taro[.postcode] == "100-0001"
                && taro[.country] == "日本")
        #expect(taro[.notes] == "初回の打ち合わせは東京オフィスで行いました。\n次回は大阪で、資料を持参すること。")
        #expect(taro[.mobilePhone] == "090-1234-5678" && taro[.phone] == "03-1234-5678")
        #expect(taro[.email] == "taro.yamada@example.jp")
        let juergen = contacts[1]
        #expect(juergen[.lastName] == "Müller" && juergen[.firstName] == "Jürgen" && juergen[.company] == "Bäckerei Müller GmbH")
    }

    @Test func isoLatinCardsOfOlderPhones() throws {
        let contacts = try readFixture("iso-8859-2.1.vcf")
        #expect(contacts.map { $0[.fullName] } == ["Antonín Dvořák", "Lætitia Cœur", nil])
        #expect(contacts[0][.lastName] == "Dvořák", "ISO-8859-2: 0xF8 is ř")
        #expect(contacts[1][.lastName] == "Cœur" && contacts[1][.notes] == "Budget : 500 € par an", "ISO-8859-15: 0xBD is œ, 0xA4 is €")
        #expect(contacts[2][.lastName] == "García" && contacts[2][.firstName] == "José", "raw ISO-8859-1 bytes")
    }

    // MARK: Bytes that are not text in the declared charset

    @Test func quotedPrintableThatIsNotUTF8IsRefusedNamingItsLine() {
        // What an Outlook without CHARSET writes: Latin bytes, which are not UTF-8.
        let data = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("FN:Jürgen"),
                        line("N;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen"), line("END:VCARD"))
        let found = problem(data, .vcard)
        #expect(found?.line == 4)
        #expect(found?.message.hasPrefix("byte 0xFC is not UTF-8 text and the line names no other CHARSET") == true, "\(String(describing: found))")
    }

    @Test func aByteTheDeclaredCharsetDoesNotDefineIsRefused() {
        let undefined = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("FN;CHARSET=Windows-1252:A", 0x81, 0x42), line("END:VCARD"))
        #expect(problem(undefined, .vcard) == ImportProblem(line: 3, message: "byte 0x81 is not a character in Windows-1252 (the line says CHARSET=Windows-1252)"))
        let c1 = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("X-NOTE:ok"), line("FN;CHARSET=ISO-8859-1:O", 0x92, 0x42), line("END:VCARD"))
        let found = problem(c1, .vcard)
        #expect(found?.line == 4)
        #expect(found?.message.contains("0x80–0x9F are control codes in ISO 8859") == true, "\(String(describing: found))")
        let escaped = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("NOTE;CHARSET=ISO-8859-2;QUOTED-PRINTABLE:a=0D=0A="),
                           line("b=85c"), line("END:VCARD"))
        #expect(problem(escaped, .vcard)?.line == 3, "the line the property starts on, not its continuation")
    }

    @Test func aRawByteWithoutACharsetIsRefused() {
        let data = card(line("BEGIN:VCARD"), line("VERSION:3.0"), line("FN:J", 0xFC, 0x72), line("END:VCARD"))
        #expect(problem(data, .vcard)?.line == 3)
        #expect(problem(data, .vcard)?.message.hasPrefix("byte 0xFC is not UTF-8 text") == true)
    }

    @Test func anUnknownCharsetIsRefusedOnlyWhereItMatters() throws {
        let ascii = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("FN;CHARSET=Shift_JIS:Taro"), line("END:VCARD"))
        #expect(try ContactFileReader.read(ascii, format: .vcard, skipInvalid: false).contacts.first?.contact[.fullName] == "Taro")
        let bytes = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("FN;CHARSET=Shift_JIS;ENCODING=QUOTED-PRINTABLE:=8ER=93c"),
                         line("END:VCARD"))
        let found = problem(bytes, .vcard)
        #expect(found?.line == 3)
        #expect(found?.message.hasPrefix("CHARSET=Shift_JIS is not a charset rolo reads (UTF-8, US-ASCII, ISO-8859-1") == true,
                "\(String(describing: found))")
    }

    @Test func skipInvalidLeavesOnlyTheBadCardOut() throws {
        let data = card(line("BEGIN:VCARD"), line("VERSION:2.1"), line("N;QUOTED-PRINTABLE:M=FCller"), line("END:VCARD"),
                        line("BEGIN:VCARD"), line("VERSION:2.1"), line("N;CHARSET=Windows-1252:O", 0x92, 0x42, 0x72, 0x69, 0x65, 0x6E),
                        line("END:VCARD"))
        let result = try ContactFileReader.read(data, format: .vcard, skipInvalid: true)
        #expect(result.contacts.map { $0.contact[.lastName] } == ["O’Brien"])
        #expect(result.skipped.map(\.line) == [3])
    }

    @Test func quotedPrintableEdgeCases() throws {
        func value(_ text: String, charset: String? = nil) throws -> String {
            try VCard21Value.decoded(text, parameters: [("ENCODING", ["QUOTED-PRINTABLE"])], charsetName: charset, line: 1)
        }
        #expect(try value("a=3Db") == "a=b")
        #expect(try value("lower =c3=a9") == "lower é", "hex digits in either case")
        #expect(try value("not an escape =ZZ and =4") == "not an escape =ZZ and =4", "kept as written")
        #expect(try value("ends in a soft break=") == "ends in a soft break")
        #expect(try value("already text é and =E2=82=AC") == "already text é and €", "a preserved line read back")
        #expect(try value("=80", charset: "windows-1252") == "€")
    }
}
