import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

@Suite("CSV")
struct CSVTests {
    @Test func theHeaderListsEveryStandardFieldThenTheCustomKeysSorted() throws {
        let text = try written(.csv, customKeys: ["plan", "score"], [])
        let expected = "id,uid,account," + StandardField.allCases.map(\.rawValue).joined(separator: ",") + ",custom.plan,custom.score\r\n"
        #expect(text == expected)
        #expect(text.hasPrefix("id,uid,account,salutation,first_name,last_name,full_name,job_title,company,email,phone,mobile_phone,"))
    }

    @Test func aRoundTripKeepsEveryStandardFieldAndTheTextOfEveryCustomValue() throws {
        let original = everything()
        let keys = original.custom.keys.sorted()
        let text = try written(.csv, customKeys: keys, [(original, "crm")])
        let result = try read(text, .csv)
        let back = try #require(result.contacts.first)
        #expect(result.contacts.count == 1 && result.warnings.isEmpty)
        #expect(back.contact.fields == original.fields)
        #expect(back.contact.uid == original.uid)
        #expect(back.accountName == "crm")
        #expect(back.line == 2)
        // Cells are text: the sync layer retypes them against the account's definitions. What
        // the text says comes back; types that text cannot tell apart (select, multiselect) do not.
        for key in keys {
            #expect(back.contact.custom[key]?.storedText == original.custom[key]?.storedText, "custom.\(key)")
        }
        #expect(back.contact.custom["score"] == .number(42.5))
        #expect(back.contact.custom["renewal"] == .date(LocalDate(iso: "2024-01-01")!))
        #expect(back.contact.custom["seen"] == original.custom["seen"])
        #expect(back.contact.custom["vip"] == .bool(true))
        #expect(back.contact.custom["prefs"] == original.custom["prefs"])
        #expect(back.contact.custom["plan"] == .text("gold"))
        #expect(back.contact.custom["tags"] == .json(.array(["a", "b, c", "d;e", "f\\g"].map(JSONValue.string))))
    }

    @Test func cellsAreQuotedByTheLibraryOnlyWhenTheyMustBe() throws {
        var contact = Contact(accountID: 0, fields: [.firstName: "Rob", .company: "Acme, Inc.", .notes: "He said \"hi\"\r\nthen left",
                                                     .city: " spaced "])
        contact.uid = "u1"
        let text = try written(.csv, [(contact, "local")])
        let row = text.components(separatedBy: "\r\n")[1...].joined(separator: "\r\n")
        #expect(row.hasPrefix(",u1,local,,Rob,,,,\"Acme, Inc.\","))
        #expect(row.contains(",\"He said \"\"hi\"\"\r\nthen left\"\r\n"))
        #expect(row.contains(", spaced ,"))
        #expect(text.hasSuffix("\r\n"))
        let back = try read(text, .csv).contacts[0].contact
        #expect(back.fields == contact.fields)
    }

    /// Found by the generated round trip (RoundTripPropertyTests). A double quote followed by a
    /// combining mark is one character; the CSV library doubles quotes with
    /// `replacingOccurrences`, which compares characters, so it left this one single and the
    /// row could not be read back ("text after a closing quote"). Outlook's CSV quotes every cell.
    @Test(arguments: [InterchangeFormat.csv, .outlookCSV])
    func aQuoteBeforeACombiningMarkIsDoubled(format: InterchangeFormat) throws {
        let contact = Contact(uid: "u1", accountID: 0, fields: [.firstName: "\"\u{301}", .lastName: "O\"\u{308}Brien"])
        let text = try written(format, [(contact, "local")])
        #expect(String(decoding: text.utf8, as: UTF8.self).unicodeScalars.split(separator: ",").contains { cell in
            Array(cell) == Array("\"\"\"\u{301}\"".unicodeScalars)
        }, "the quote is doubled: \"\"\"\u{301}\"")
        let back = try #require(try read(text, format).contacts.first).contact
        #expect(back[.firstName].map { Array($0.unicodeScalars) } == Array("\"\u{301}".unicodeScalars))
        #expect(back[.lastName].map { Array($0.unicodeScalars) } == Array("O\"\u{308}Brien".unicodeScalars))
    }

    /// Found by the generated round trip: a custom key may start with a combining mark, which
    /// makes one character with the dot of `custom.`; the header was then not seen as a custom
    /// column and came back as an unknown column, under another key, with a warning.
    @Test func aCustomKeyThatStartsWithACombiningMarkKeepsItsColumn() throws {
        let contact = Contact(uid: "u1", accountID: 0, fields: [.firstName: "Ann"], custom: ["\u{301}Plan": .text("gold")])
        let text = try written(.csv, customKeys: ["\u{301}Plan"], [(contact, "local")])
        let result = try read(text, .csv)
        #expect(result.warnings.isEmpty)
        #expect(result.contacts.first?.contact.custom == ["\u{301}Plan": .text("gold")])
        #expect(result.contacts.first?.contact.custom.keys.first.map { Array($0.unicodeScalars) } == Array("\u{301}Plan".unicodeScalars))
    }

    @Test func aSpreadsheetExportIsRead() throws {
        let result = try ContactFileReader.read(try fixture("spreadsheet.csv"), format: .csv, skipInvalid: false)
        #expect(result.contacts.count == 3)
        let ann = result.contacts[0]
        #expect(ann.line == 2)
        #expect(ann.contact[.firstName] == "Ann" && ann.contact[.lastName] == "Archer")
        #expect(ann.contact[.email] == "ann@example.com")
        #expect(ann.contact[.mobilePhone] == "+1 555 0100")
        #expect(ann.contact[.company] == "Archer, Inc.")
        #expect(ann.contact[.postcode] == "75001", "Zip is an alias")
        #expect(ann.contact[.jobTitle] == "CEO", "Job-Title matches job_title")
        #expect(ann.contact[.notes] == "Line one\r\nLine two, with a comma\r\nLine \"three\"")
        #expect(ann.contact.custom == ["plan": .text("gold"), "renewal": .date(LocalDate(iso: "2024-01-01")!)])
        let bob = result.contacts[1]
        #expect(bob.line == 6, "the quoted cell took three lines and the empty row one")
        #expect(bob.contact[.postcode] == "02134")
        #expect(bob.contact.custom == ["plan": .text("silver")])
        let cy = result.contacts[2]
        #expect(cy.line == 8)
        #expect(cy.contact[.notes] == "Quoted \"nick\"")
        #expect(cy.contact.custom == ["renewal": .text("2024-13-01")])
        #expect(result.warnings == [ImportProblem(line: 1, message: "column “Plan” is not a field of rolo; it is read as the custom key plan")])
        #expect(Set(result.contacts.map(\.contact.uid)).count == 3, "each row gets a new uid")
    }

    @Test func headerNamesAreMatchedLikeFieldNames() throws {
        let text = "ID,UID,Account,E-mail,Given_Name,Surname,State,Postal Code,Custom.Plan,Favourite Colour\n"
            + "k3p9,AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE,crm,x@example.com,Ann,Archer,TX,75001,gold,teal\n"
        let result = try read(text, .csv)
        let contact = try #require(result.contacts.first).contact
        #expect(contact.uid == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
        #expect(contact.id == nil, "the id column is ignored")
        #expect(result.contacts[0].accountName == "crm")
        #expect(contact[.firstName] == "Ann" && contact[.lastName] == "Archer")
        #expect(contact[.region] == "TX" && contact[.postcode] == "75001")
        #expect(contact[.email] == "x@example.com", "E-mail is the email")
        #expect(contact.custom == ["Plan": .text("gold"), "favourite_colour": .text("teal")])
        #expect(result.warnings.map(\.message) == [
            "column “Favourite Colour” is not a field of rolo; it is read as the custom key favourite_colour",
        ])
    }

    @Test func theNamesOtherToolsGiveRolosFieldsAreThoseFields() throws {
        // Mailchimp's audience export and HubSpot's contacts export, abridged.
        let mailchimp = "Email Address,First Name,Last Name,Address,Phone Number,Company,MEMBER_RATING,TIMEZONE,REGION,NOTES\n"
            + "amy@shop.example,Amy,Adams,12 High St,+1 217 555 0100,Adams & Co,4,America/Chicago,IL,VIP\n"
        let amy = try #require(try read(mailchimp, .csv).contacts.first).contact
        #expect(amy[.email] == "amy@shop.example" && amy[.phone] == "+1 217 555 0100" && amy[.company] == "Adams & Co")
        #expect(amy[.firstName] == "Amy" && amy[.lastName] == "Adams" && amy[.addressLine1] == "12 High St")
        #expect(amy[.timezone] == "America/Chicago" && amy[.region] == "IL" && amy[.notes] == "VIP")
        #expect(amy.custom == ["member_rating": .number(4)])

        let hubspot = "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,Job Title,"
            + "Street Address,City,State/Region,Postal Code,Country/Region,Zip,E-mail,Cell,Organization\n"
            + "51,Hana,Kim,hana@hub.example,+1 617 555 0100,+1 617 555 0199,HubCo,VP Sales,25 First St,Cambridge,MA,02141,"
            + "United States,,,,\n"
        let result = try read(hubspot, .csv)
        let hana = try #require(result.contacts.first).contact
        #expect(hana[.email] == "hana@hub.example" && hana[.phone] == "+1 617 555 0100" && hana[.mobilePhone] == "+1 617 555 0199")
        #expect(hana[.company] == "HubCo" && hana[.jobTitle] == "VP Sales" && hana[.addressLine1] == "25 First St")
        #expect(hana[.city] == "Cambridge" && hana[.region] == "MA" && hana[.postcode] == "02141" && hana[.country] == "United States")
        #expect(hana.custom == ["record_id": .number(51)])
        #expect(result.warnings.map(\.message) == [
            "column “Record ID” is not a field of rolo; it is read as the custom key record_id",
            "4 columns are a field an earlier column is too; the last non-empty cell wins: “Zip” (as “Postal Code”), "
                + "“E-mail” (as “Email”), “Cell” (as “Mobile Phone Number”), “Organization” (as “Company Name”)",
        ])
    }

    @Test func everyColumnOfRolosOwnExportKeepsItsMeaning() throws {
        let header = CSVFormat.header(customKeys: ["name", "email_address", "title"], others: OtherValueCounts(emails: 2, phones: 2))
        let expected: [CSVFormat.Column] = [.ignored, .uid, .account] + StandardField.allCases.map { .standard($0) }
            + [.other(.email, index: 0, isLabel: false), .other(.email, index: 0, isLabel: true),
               .other(.email, index: 1, isLabel: false), .other(.email, index: 1, isLabel: true),
               .other(.phone, index: 0, isLabel: false), .other(.phone, index: 0, isLabel: true),
               .other(.phone, index: 1, isLabel: false), .other(.phone, index: 1, isLabel: true),
               .custom("name"), .custom("email_address"), .custom("title")]
        #expect(header.map { CSVFormat.column(for: $0).column } == expected)
        #expect(header.allSatisfy { !CSVFormat.column(for: $0).isUnknown })
    }

    @Test(arguments: [
        ("first_name;last_name;email\r\nJan;Jansen;jan@x.example\r\n", ";"),
        ("first_name\temail\nTab\ttab@x.example\n", "\t"),
        ("\n\n\"name;nick\",email\nAnn;A,ann@x.example\n", ","),
        ("first_name;\"notes, more\";email\nJan;\"a;b\";jan@x.example\n", ";"),
        ("email\nann@x.example\n", ","),
    ])
    func theDelimiterIsTheOneThatCutsTheHeaderIntoTheMostCells(text: String, delimiter: String) throws {
        #expect(CSVFormat.delimiter(of: text) == delimiter.unicodeScalars.first!)
        let contact = try #require(try read(text, .csv).contacts.first).contact
        #expect(contact[.email]?.hasSuffix("@x.example") == true, "\(contact)")
    }

    @Test func aSemicolonFileKeepsItsQuotedCellsAndLines() throws {
        let text = "first_name;notes;email\r\n\"Jan\";\"one; two\r\nthree\";jan@x.example\r\nBad;b@x.example\r\nAnn;;a@x.example\r\n"
        let result = try read(text, .csv, skipInvalid: true)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Jan", "Ann"])
        #expect(result.contacts.first?.contact[.notes] == "one; two\r\nthree")
        #expect(result.contacts.map(\.line) == [2, 5])
        #expect(result.skipped.map(\.line) == [4])
    }

    @Test func aProblemThatStopsTheReadCarriesTheWarningsBeforeIt() throws {
        let found = try #require(problem("first_name,Plan\nAnn,gold\nBob,silver,extra\n", .csv))
        #expect(found.line == 3)
        #expect(found.warnings == [ImportProblem(line: 1, message: "column “Plan” is not a field of rolo; it is read as the custom key plan")])
        let google = try #require(problem("First Name,Last Name,File As,Labels,Nickname\nAnn,A,,,Annie\nBob,B,,,Bobby,more\n", .csv))
        #expect(google.warnings.map(\.message) == ["Google Contacts CSV: 1 column has no field in rolo and is kept as custom values: "
            + "Nickname → nickname"])
    }

    @Test func aThousandUnknownColumnsMakeOneWarningOfOneLine() throws {
        let header = ["first_name", "email"] + (0..<1000).map { "c\($0)" }
        let result = try read(header.joined(separator: ",") + "\n", .csv)
        #expect(result.warnings.count == 1)
        let message = try #require(result.warnings.first).message
        #expect(message.hasPrefix("1000 columns are not fields of rolo; they are read as custom keys: “c0” → c0, “c1” → c1, "))
        #expect(message.hasSuffix("“c19” → c19 and 980 more"))
    }

    @Test func anEmptyUIDCellGetsANewUID() throws {
        let result = try read("uid,first_name\n,Ann\n  ,Bob\n", .csv)
        #expect(result.contacts.count == 2)
        #expect(result.contacts.allSatisfy { UUID(uuidString: $0.contact.uid) != nil })
    }

    @Test func aBOMAndCRLFAndBlankLinesAreAccepted() throws {
        let text = "\u{FEFF}\r\n\r\nfirst_name,email\r\nAnn,ann@example.com\r\n\r\n   \r\nBob,bob@example.com"
        let result = try read(text, .csv)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Ann", "Bob"])
        #expect(result.contacts.map(\.line) == [4, 7])
    }

    @Test(arguments: [
        ("first_name,email\nAnn,ann@example.com\n\"Bob,bob@example.com\n", 3, "a quote opened here is never closed"),
        ("first_name,email\nAnn,ann@example.com\nBob,bob@example.com,extra\n", 3, "has 3 cells; the header has 2"),
        ("first_name,notes\n\"Ann\",\"one\ntwo\nthree\"\nBob\n", 5, "has 1 cell; the header has 2"),
        ("first_name,notes\r\n\"Ann\",\"one\r\ntwo\"\r\n\"Bob\"x,n\r\n", 4, "text after a closing quote"),
        ("id,uid,account\n1,2,3\n", 1, "the header names no field"),
    ])
    func malformedRowsNameTheLineWhereTheyStart(text: String, line: Int, message: String) throws {
        let found = try #require(problem(text, .csv))
        #expect(found.line == line, "\(found)")
        #expect(found.message.hasPrefix(message), "\(found)")
    }

    @Test func invalidUTF8NamesItsLine() throws {
        let data = Data("first_name,email\nAnn,ann@example.com\nJ".utf8) + Data([0xFC]) + Data("rgen,j@example.com\n".utf8)
        let found = try #require(problem(data, .csv))
        #expect(found == ImportProblem(line: 3, message: "byte 0xFC is not UTF-8 text; if the file came from Outlook or Excel "
            + "on Windows it is probably Windows-1252: import it with --charset windows-1252"))
    }

    @Test func skipInvalidKeepsTheRecordsAfterABadOne() throws {
        // The library reads on after a stray quote as if the cell were still quoted; the scanner
        // cuts records the same way, so the rows after it keep their cells and lines.
        let text = "first_name,notes\n\"Ann\"x,\"a\nb\"\nBob,ok\nCy,too,many\nDee,\"fine\"\n"
        let result = try read(text, .csv, skipInvalid: true)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Bob", "Dee"])
        #expect(result.contacts.map { $0.contact[.notes] } == ["ok", "fine"])
        #expect(result.contacts.map(\.line) == [4, 6])
        #expect(result.skipped.map(\.line) == [2, 5])
    }

    @Test func afterAStrayQuoteTheLibraryReadsOnUntilTheCellCloses() throws {
        // `"Ann"x` leaves the library inside a quoted cell until `"Cy"` closes it: lines 2 to 4
        // are one bad record, and Dee's record starts on line 5.
        let text = "first_name,notes\n\"Ann\"x,b\nBob,ok\n\"Cy\",c\nDee,fine\n"
        let result = try read(text, .csv, skipInvalid: true)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Dee"])
        #expect(result.contacts.map(\.line) == [5])
        #expect(result.skipped == [ImportProblem(line: 2, message: "text after a closing quote (a quote inside a cell must be doubled)")])
    }

    @Test func aQuoteInsideAnUnquotedCellIsText() throws {
        let result = try read("first_name,notes\nAnn,5'10\" tall\n", .csv)
        #expect(result.contacts.first?.contact[.notes] == "5'10\" tall")
    }

    @Test func repeatedColumnsAreWarnedAbout() throws {
        let result = try read("mobile,cell,email\n,+15550001111,a@example.com\n", .csv)
        #expect(result.contacts.first?.contact[.mobilePhone] == "+15550001111")
        #expect(result.warnings.map(\.message) == ["columns “mobile” and “cell” are the same field; the last non-empty cell wins"])
    }

    @Test func anEmptyFileHasNoContacts() throws {
        #expect(try read("", .csv).contacts.isEmpty)
        #expect(try read("first_name,email\r\n", .csv).contacts.isEmpty)
    }
}
