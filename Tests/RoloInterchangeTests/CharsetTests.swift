import Foundation
import Testing
@testable import RoloInterchange

/// The code pages vCard 2.1 files declare, byte by byte. The expected text is written as
/// characters, not code points, so a slip in a table shows as the wrong letter.
@Suite("Charsets")
struct CharsetTests {
    struct Table: Sendable, CustomTestStringConvertible {
        let charset: Charset
        /// The first byte `text` covers; every byte from there to 0xFF that is defined.
        let from: UInt8
        let undefined: [UInt8]
        let text: String
        var testDescription: String { charset.name }
    }

    static let tables: [Table] = [
        Table(charset: .windows1252, from: 0x80, undefined: [0x81, 0x8D, 0x8F, 0x90, 0x9D],
              text: "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ"),
        Table(charset: .windows1250, from: 0x80, undefined: [0x81, 0x83, 0x88, 0x90, 0x98],
              text: "€‚„…†‡‰Š‹ŚŤŽŹ‘’“”•–—™š›śťžź\u{A0}ˇ˘Ł¤Ą¦§¨©Ş«¬\u{AD}®Ż°±˛ł´µ¶·¸ąş»Ľ˝ľżŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢßŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙"),
        Table(charset: .windows1251, from: 0x80, undefined: [0x98],
              text: "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџ\u{A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{AD}®Ї°±Ііґµ¶·ё№є»јЅѕїАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя"),
        Table(charset: .isoLatin1, from: 0xA0, undefined: [],
              text: "\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ"),
        Table(charset: .isoLatin2, from: 0xA0, undefined: [],
              text: "\u{A0}Ą˘Ł¤ĽŚ§¨ŠŞŤŹ\u{AD}ŽŻ°ą˛ł´ľśˇ¸šşťź˝žżŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢßŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙"),
        Table(charset: .isoLatin9, from: 0xA0, undefined: [],
              text: "\u{A0}¡¢£€¥Š§š©ª«¬\u{AD}®¯°±²³Žµ¶·ž¹º»ŒœŸ¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ"),
    ]

    @Test(arguments: tables)
    func everyByteMeansWhatTheCodePageSays(table: Table) throws {
        let defined = (table.from...0xFF).filter { !table.undefined.contains($0) }
        let text = try table.charset.decode(defined)
        #expect(Array(text.unicodeScalars) == Array(table.text.unicodeScalars))
        for byte in table.undefined {
            #expect(throws: Charset.Undefined(byte: byte, offset: 2)) { try table.charset.decode([0x41, 0x42, byte, 0x43]) }
        }
        // ASCII is ASCII in each of them.
        #expect(try table.charset.decode(Array(0x00...0x7F)) == String(String.UnicodeScalarView((0x00...0x7F).map { Unicode.Scalar(UInt8($0)) })))
    }

    @Test(arguments: [Charset.isoLatin1, .isoLatin2, .isoLatin9])
    func theC1ControlCodesOfISO8859AreNotText(charset: Charset) {
        for byte in UInt8(0x80)...0x9F {
            #expect(throws: Charset.Undefined(byte: byte, offset: 0)) { try charset.decode([byte]) }
        }
    }

    @Test func windows1252IsNotLatin1() throws {
        #expect(try Charset.windows1252.decode(Array("O".utf8) + [0x92] + Array("Brien".utf8)) == "O’Brien")
        #expect(throws: Charset.Undefined(byte: 0x92, offset: 1)) { try Charset.isoLatin1.decode(Array("O".utf8) + [0x92]) }
    }

    @Test func utf8AndASCIISayWhereTheyStop() throws {
        #expect(try Charset.utf8.decode(Array("Zoë 山田".utf8)) == "Zoë 山田")
        #expect(throws: Charset.Undefined(byte: 0xFC, offset: 1)) { try Charset.utf8.decode([0x4A, 0xFC, 0x72]) }
        #expect(throws: Charset.Undefined(byte: 0xE5, offset: 2)) { try Charset.utf8.decode([0x41, 0x42, 0xE5, 0xB1]) }
        #expect(throws: Charset.Undefined(byte: 0xE9, offset: 3)) { try Charset.usASCII.decode([0x4A, 0x6F, 0x73, 0xE9]) }
    }

    @Test func namesAndAliasesAreKnown() {
        #expect(Charset(named: "UTF-8") == .utf8 && Charset(named: "utf8") == .utf8)
        #expect(Charset(named: "Windows-1252") == .windows1252 && Charset(named: "cp1252") == .windows1252)
        #expect(Charset(named: "ISO-8859-1") == .isoLatin1 && Charset(named: "iso8859-1") == .isoLatin1 && Charset(named: "latin1") == .isoLatin1)
        #expect(Charset(named: "ISO-8859-2") == .isoLatin2 && Charset(named: "ISO_8859-15") == .isoLatin9)
        #expect(Charset(named: "windows-1250") == .windows1250 && Charset(named: "WINDOWS-1251") == .windows1251)
        #expect(Charset(named: "us-ascii") == .usASCII)
        #expect(Charset(named: "Shift_JIS") == nil && Charset(named: "ISO-8859-5") == nil)
    }
}
