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

    @Test func aFailedImportStillSaysWhatItNoticedAboutTheColumns() throws {
        let warning = ValidationIssue(field: "line 1", message: "column “Favourite” is not a field of rolo; it is read as the custom key "
            + "favourite", severity: .warning)
        // A value refused as the contact is stored, and a row the reader cannot take.
        let refused = try #require(refusal {
            _ = try service.files.importFile(Data("first_name,email,Favourite\nAnn,ann@,tea\n".utf8), format: .csv)
        })
        #expect(refused.filter { $0.severity == .error }.map(\.field) == ["line 2"])
        #expect(refused.filter { $0.severity == .warning } == [warning])
        let malformed = try #require(refusal {
            _ = try service.files.importFile(Data("first_name,email,Favourite\nAnn,ann@example.com,tea,more\n".utf8), format: .csv)
        })
        #expect(malformed.filter { $0.severity == .warning } == [warning])
        #expect(RoloError.invalid(malformed).description == "line 2: has 4 cells; the header has 3", "the error alone")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    // MARK: Importing twice

    let people = "first_name,email,mobile\nAnn,ann@example.com,\nBob,bob@example.com,+15550001111\nCy,,+15550002222\n"

    @Test func importingAFileWithoutUIDsTwiceDoesNotDoubleTheContacts() throws {
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        let again = try service.files.importFile(Data(people.utf8), format: .csv)
        #expect(again.imported == 0)
        #expect(try service.listedNames() == ["Ann", "Bob", "Cy"], "matched by email, and Cy by mobile phone")
    }

    @Test func importingAFileWithUIDsTwiceIsNotRefused() throws {
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        var exported = ""
        try service.files.export(in: .all, format: .json) { exported += $0 }
        let again = try service.files.importFile(Data(exported.utf8), format: .json)
        #expect(again.imported == 0)
        #expect(try service.listedNames() == ["Ann", "Bob", "Cy"])
    }

    @Test func theReportCountsWhatWasThereAndHowItWasFound() throws {
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        let again = try service.files.importFile(Data(people.utf8), format: .csv, options: ImportOptions())
        var expected = ImportReport.Duplicates()
        expected.skipped = 3
        expected.byEmail = 2
        expected.byMobile = 1
        #expect(again.duplicates == expected)
        #expect(try cache.tableCounts().audit == 3, "nothing written the second time")
    }

    @Test func aRecordRepeatedInTheFileIsCountedApartFromTheCache() throws {
        _ = try service.files.importFile(Data("first_name,email\nAnn,ann@example.com\n".utf8), format: .csv)
        let file = "first_name,email,mobile\nAnn,ann@example.com,\nAnnie,ANN@example.com,\nBob,bob@example.com,\n"
            + "Robert,bob@example.com,\nCy,,+15550002222\nCyrus,,+15550002222\n"
        let report = try service.files.importFile(Data(file.utf8), format: .csv)
        var expected = ImportReport.Duplicates()
        expected.skipped = 4
        expected.repeatedInFile = 2
        expected.byEmail = 3
        expected.byMobile = 1
        #expect(report.imported == 2)
        #expect(report.duplicates == expected, "Ann twice in the cache, Bob and Cy each once again in the file")
        let updated = try service.files.importFile(Data("first_name,email\nDee,dee@example.com\nDeirdre,dee@example.com\n".utf8),
                                                   format: .csv, options: ImportOptions(onDuplicate: .update))
        #expect(updated.duplicates.updated == 1 && updated.duplicates.repeatedInFile == 1)
        #expect(try service.listedNames() == ["Ann", "Bob", "Cy", "Deirdre"])
    }

    @Test func onDuplicateUpdateGivesTheContactTheFilesValues() throws {
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        let changed = "first_name,email,mobile,city\nAnn,ANN@example.com,,Leeds\nBob,bob@example.com,+15550001111,\n"
        let report = try service.files.importFile(Data(changed.utf8), format: .csv, options: ImportOptions(onDuplicate: .update))
        #expect(report.imported == 0 && report.duplicates.updated == 2 && report.duplicates.changed == 1)
        let ann = try service.reader.contact(try service.reader.resolve("ann@example.com"))
        #expect(ann[.city] == "Leeds" && ann[.email] == "ANN@example.com")
        #expect(try service.reader.audit(for: ann.id!).map(\.action) == ["update", "create"], "an edit like any other")
        #expect(try service.listedNames() == ["Ann", "Bob", "Cy"])
    }

    @Test func furtherValuesAFileAddsToAContactAreInItsHistory() throws {
        // Updated from a file, a contact keeps its further emails and phones and gains the
        // file's new ones: that is a change of the contact, and the history says so.
        func card(_ lines: String...) -> Data {
            Data(((["BEGIN:VCARD", "VERSION:3.0", "FN:Ann Lee", "N:Lee;Ann;;;", "EMAIL:ann@example.com"] + lines + ["END:VCARD"])
                .joined(separator: "\r\n") + "\r\n").utf8)
        }
        _ = try service.files.importFile(card(), format: .vcard)
        let ann = try service.reader.resolve("ann@example.com")
        let report = try service.files.importFile(card("EMAIL;TYPE=home:ann@home.example", "TITLE:Chef"), format: .vcard,
                                                  options: ImportOptions(onDuplicate: .update))
        #expect(report.duplicates.updated == 1 && report.duplicates.changed == 1)
        #expect(try service.reader.contact(ann).otherEmails.map(\.value) == ["ann@home.example"])
        let history = try service.reader.audit(for: ann)
        #expect(history.map(\.action) == ["update", "create"], "one edit: \(history.map(\.action))")
        let added = history.first?.deltas.first { $0.key == .others(.email) }
        #expect(added?.before == nil && added?.after == .list([LabelledValue(label: "home", value: "ann@home.example")]),
                "\(String(describing: added))")
        #expect(history.first?.deltas.contains { $0.key == .standard(.jobTitle) } == true, "the field and the further email together")
        #expect(try service.editor.undoLastEdit(in: .all)?.kind == .update, "u takes it back like any edit")
        let undone = try service.reader.contact(ann)
        #expect(undone.otherEmails.isEmpty && undone[.jobTitle] == nil)
    }

    @Test func onDuplicateAddStoresThemAgain() throws {
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        var exported = ""
        try service.files.export(in: .all, format: .json) { exported += $0 }
        let report = try service.files.importFile(Data(exported.utf8), format: .json, options: ImportOptions(onDuplicate: .add))
        #expect(report.imported == 3)
        #expect(try service.listedNames() == ["Ann", "Ann", "Bob", "Bob", "Cy", "Cy"], "with new uids")
    }

    @Test func aDuplicateIsLookedForInTheTargetAccountOnly() throws {
        let other = try service.accounts.createAccount(name: "other", provider: .dailystory)
        _ = try service.files.importFile(Data(people.utf8), format: .csv)
        let report = try service.files.importFile(Data(people.utf8), format: .csv, into: other)
        #expect(report.imported == 3, "the same people in another account are other contacts")
    }
}
