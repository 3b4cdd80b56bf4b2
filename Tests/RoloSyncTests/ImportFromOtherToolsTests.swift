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

    @Test func aGoogleContactsCSVIsImportedFieldByField() throws {
        let file = Data(("First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,Name Prefix,"
            + "Name Suffix,Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
            + "E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\n"
            + "Jane,,Public,,,,,,JJ,,Example Ltd,Consultant,,,,,* myContacts,* Home,jane@example.com,Mobile,+44 7700 900123\n").utf8)
        let report = try service.files.importFile(file, format: .csv)
        #expect(report.imported == 1)
        #expect(report.warnings.count == 1, "one summary of the columns kept as custom values")
        let jane = try service.reader.contact(try service.reader.resolve("jane@example.com"))
        #expect(jane[.mobilePhone] == "+447700900123" && jane[.company] == "Example Ltd" && jane[.jobTitle] == "Consultant")
        #expect(jane.custom["nickname"] == .text("JJ"))
    }

    @Test func anOutlookCSVPutsItsEmailInTheEmailAndItsTitleInTheSalutation() throws {
        let file = Data(("\"Title\",\"First Name\",\"Middle Name\",\"Last Name\",\"Suffix\",\"Company\",\"Department\",\"Job Title\","
            + "\"Business Phone\",\"Mobile Phone\",\"E-mail Address\",\"E-mail Type\",\"E-mail Display Name\",\"Priority\"\r\n"
            + "\"Ms.\",\"Kim\",\"\",\"Park\",\"\",\"Acme\",\"\",\"Buyer\",\"\",\"+44 7700 900555\",\"kim@example.com\",\"SMTP\","
            + "\"Kim Park (kim@example.com)\",\"Normal\"\r\n").utf8)
        let report = try service.files.importFile(file, format: .csv)
        #expect(report.imported == 1)
        let kim = try service.reader.contact(try service.reader.resolve("kim@example.com"))
        #expect(kim[.salutation] == "Ms." && kim[.jobTitle] == "Buyer" && kim.custom.isEmpty)
    }
}
