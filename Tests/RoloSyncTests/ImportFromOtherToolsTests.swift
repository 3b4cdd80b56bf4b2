import Foundation
import Testing
import RoloCore
import RoloInterchange
import RoloStore
@testable import RoloSync

/// Files as address books and phones write them, imported through the service: one value
/// the account cannot take costs that value at most, never the file, and every message names
/// the value's own line.
@Suite("Files: import from other tools")
struct ImportFromOtherToolsTests {
    let service: RoloServices
    let cache: LocalCache

    init() throws {
        (service, cache) = try freshService()
    }

    func crlf(_ lines: String...) -> Data { Data((lines.joined(separator: "\r\n") + "\r\n").utf8) }

    @Test func aNumberWithoutACountryCodeIsKeptAndTheWarningNamesItsLine() throws {
        let file = crlf("BEGIN:VCARD", "VERSION:2.1", "N:O'Brien;Sean", "TEL;WORK;VOICE:(214) 555-0100",
                        "TEL;CELL;VOICE:+353 87 123 4567", "EMAIL;PREF;INTERNET:sean@example.com", "END:VCARD")
        let report = try service.files.importFile(file, format: .vcard)
        #expect(report.imported == 1)
        #expect(report.warnings.map(\.line) == [4], "the TEL line, not the BEGIN line")
        let sean = try service.reader.contact(try service.reader.resolve("sean@example.com"))
        #expect(sean[.phone] == "(214) 555-0100" && sean[.mobilePhone] == "+353871234567")
    }

    @Test func aRefusedValueNamesItsOwnLine() throws {
        let file = crlf("BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "NOTE:first", "EMAIL:not-an-address", "END:VCARD")
        let issues = try #require(refusal { _ = try service.files.importFile(file, format: .vcard) })
        #expect(issues.first?.field == "line 5")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func skipInvalidLeavesOutTheBadValueNotTheContact() throws {
        let file = crlf("BEGIN:VCARD", "VERSION:3.0", "FN:Ann", "EMAIL:not-an-address", "TEL;TYPE=CELL:+1 214 555 0199", "END:VCARD",
                        "BEGIN:VCARD", "VERSION:3.0", "FN:Bob", "EMAIL:bob@example.com", "END:VCARD")
        let report = try service.files.importFile(file, format: .vcard, skipInvalid: true)
        #expect(report.imported == 2)
        #expect(report.skipped.isEmpty)
        #expect(try service.listedNames() == ["Ann", "Bob"])
        let annID = try #require(try service.reader.window(in: .all, matching: ContactQuery("Ann"), limit: 5).rows.first?.id)
        let ann = try service.reader.contact(annID)
        #expect(ann[.email] == nil && ann[.mobilePhone] == "+12145550199")
    }
}
