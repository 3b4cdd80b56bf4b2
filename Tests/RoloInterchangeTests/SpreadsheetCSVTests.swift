import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

/// Google Contacts and Outlook CSV: recognised by their header rows, mapped field by field,
/// what rolo has no field for kept as custom values with one warning, and written back so that
/// those tools (and rolo) read them.
@Suite("Google and Outlook CSV")
struct SpreadsheetCSVTests {
    func readFixture(_ name: String) throws -> ReadResult {
        try ContactFileReader.read(try fixture(name), format: .csv, skipInvalid: false)
    }

    @Test func theHeaderRowsAreRecognised() throws {
        func header(_ name: String) throws -> [String] {
            let text = String(decoding: try fixture(name), as: UTF8.self).replacingOccurrences(of: "\u{FEFF}", with: "")
            return String(text.prefix { $0 != "\n" && $0 != "\r" }).split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        #expect(SpreadsheetDialect.recognise(try header("google-contacts.csv")) == .google)
        #expect(SpreadsheetDialect.recognise(try header("google-contacts-older.csv")) == .googleOlder)
        #expect(SpreadsheetDialect.recognise(try header("outlook.csv")) == .outlook)
        #expect(SpreadsheetDialect.recognise(["first_name", "email", "Title"]) == nil, "rolo's own CSV")
        #expect(SpreadsheetDialect.recognise(SpreadsheetDialect.outlookHeader) == .outlook)
        #expect(SpreadsheetDialect.recognise(SpreadsheetDialect.googleHeader) == .google)
    }

    @Test func aGoogleContactsExport() throws {
        let result = try readFixture("google-contacts.csv")
        #expect(result.contacts.map(\.line) == [2, 6, 7], "Jane's notes and formatted address take four lines")
        let jane = result.contacts[0].contact
        #expect(jane[.firstName] == "Jane" && jane[.lastName] == "Public" && jane[.salutation] == "Dr.")
        #expect(jane[.email] == "jane@example.com", "E-mail 1 - Value")
        #expect(jane[.mobilePhone] == "+44 7700 900123" && jane[.phone] == "+44 20 7946 0958", "phones by their labels")
        #expect(jane[.company] == "Example Ltd" && jane[.jobTitle] == "Consultant")
        #expect(jane[.addressLine1] == "221B Baker Street" && jane[.city] == "London" && jane[.postcode] == "NW1 6XE"
                && jane[.country] == "United Kingdom")
        #expect(jane[.website] == "https://example.com/jane")
        #expect(jane[.notes] == "Met at the conference, 2019.\nPrefers email.")
        #expect(jane.custom == ["middle_name": .text("Q."), "nickname": .text("JJ"), "organization_department": .text("Advisory"),
                                "birthday": .date(LocalDate(iso: "1990-02-14")!), "labels": .text("* myContacts ::: Friends")],
                "the labels of values rolo took go with them")
        #expect(jane.otherEmails == [LabelledValue(label: "work", value: "jane.public@work.example.com")], "E-mail 2, with its label")
        let line = result.contacts[1].contact
        #expect(line[.fullName] == "Support Line", "File As")
        #expect(line[.phone] == "+44 800 123 456" && line[.mobilePhone] == "+44 7700 900999", "two numbers in one cell, by label")
        let ana = result.contacts[2].contact
        #expect(ana[.email] == "ana@example.com.br")
        #expect(ana.otherEmails == [LabelledValue(value: "ana.lima@example.org")], "the second address of the cell")
        #expect(ana[.phone] == nil && ana.otherPhones == [LabelledValue(label: "home fax", value: "+55 11 5555 0100")], "a fax is not the phone")
        #expect(ana.custom == ["labels": .text("* myContacts")], "nothing of the emails and phones is left over")
        #expect(result.warnings.count == 1, "one summary warning")
        #expect(result.warnings.first?.line == 1)
        #expect(result.warnings.first?.message.hasPrefix("Google Contacts CSV: 5 columns have no field in rolo and are kept as custom values: "
            + "Middle Name → middle_name, Nickname → nickname") == true, "\(result.warnings)")
    }

    @Test func twoColumnsWhoseNamesMakeOneKeyAreBothKept() throws {
        let text = "First Name,Middle Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Custom Field 1 - Label,Custom Field 1 - Value,"
            + "Custom Field 2 - Label,Custom Field 2 - Value,Custom Field 3 - Label,Custom Field 3 - Value\n"
            + "Col,Mid,Lide,* Work,col@x.example,a;b,first,\"a,b\",second,Middle name,custom-middle\n"
            + "Dee,,Two,,dee@x.example,\"a,b\",only,x,x1,x,x2\n"
        let result = try read(text, .csv)
        #expect(result.contacts.first?.contact.custom == ["middle_name": .text("Mid"), "a_b": .text("first"), "a_b_2": .text("second"),
                                                          "middle_name_2": .text("custom-middle")])
        #expect(result.contacts.last?.contact.custom == ["a_b_2": .text("only"), "x": .text("x1"), "x_2": .text("x2")],
                "a name keeps its key in every row; a label given twice in a row keeps both")
        #expect(result.warnings.map(\.message) == ["Google Contacts CSV: 6 columns have no field in rolo and are kept as custom values: "
            + "Middle Name → middle_name, a;b → a_b, a,b → a_b_2 (a_b is another column's), Middle name → middle_name_2 "
            + "(middle_name is another column's), x → x, x → x_2 (x is another column's)"])
    }

    @Test func anOlderGoogleContactsExport() throws {
        let result = try readFixture("google-contacts-older.csv")
        let bob = try #require(result.contacts.first).contact
        #expect(bob[.fullName] == "Robert Baker" && bob[.firstName] == "Robert" && bob[.lastName] == "Baker")
        #expect(bob[.email] == "bob@bakerplumbing.example")
        #expect(bob[.mobilePhone] == "(214) 555-0142" && bob[.phone] == "+1 214 555 0100")
        #expect(bob[.addressLine1] == "100 Main St" && bob[.addressLine2] == "Suite 4" && bob[.city] == "Dallas" && bob[.region] == "TX")
        #expect(bob[.company] == "Baker Plumbing" && bob[.jobTitle] == "Owner" && bob[.website] == "bakerplumbing.example")
        #expect(bob.custom == ["nickname": .text("Bob"), "occupation": .text("Plumber"), "group_membership": .text("* My Contacts")])
    }

    @Test func outlookComsCountryColumnsAreTheCountry() throws {
        // Outlook.com writes `Home Country` and `Business Country`, without the desktop's `/Region`.
        let header = "\"First Name\",\"Last Name\",\"E-mail Address\",\"Home Phone\",\"Home Street\",\"Home City\",\"Home State\","
            + "\"Home Postal Code\",\"Home Country\",\"Business Street\",\"Business City\",\"Business Country\"\r\n"
        let result = try read(header + "\"Hal\",\"Home\",\"hal@home.example\",\"\",\"5 Elm St\",\"Boston\",\"MA\",\"02108\","
            + "\"United States\",\"\",\"\",\"\"\r\n\"Sev\",\"O\",\"sev@x.example\",\"\",\"1 rue de la Paix\",\"Paris\",\"\",\"\",\"\","
            + "\"29 Boulevard Haussmann\",\"Paris\",\"France\"\r\n", .csv)
        let hal = try #require(result.contacts.first).contact
        #expect(hal[.addressLine1] == "5 Elm St" && hal[.city] == "Boston" && hal[.country] == "United States")
        #expect(hal.custom.isEmpty)
        let sev = try #require(result.contacts.last).contact
        #expect(sev[.addressLine1] == "29 Boulevard Haussmann" && sev[.country] == "France", "the business address comes first")
        #expect(sev.custom == ["home_street": .text("1 rue de la Paix"), "home_city": .text("Paris")])
    }

    @Test func anOutlookExport() throws {
        let result = try readFixture("outlook.csv")
        let sean = try #require(result.contacts.first).contact
        #expect(sean[.salutation] == "Mr.", "Outlook's Title is the salutation")
        #expect(sean[.jobTitle] == "Director – EMEA", "Job Title is the job title")
        #expect(sean[.firstName] == "Seán" && sean[.lastName] == "O’Brien" && sean[.company] == "Contoso Ltd.")
        #expect(sean[.email] == "sean.obrien@contoso.com", "E-mail Address is the email, not a custom field")
        #expect(sean[.phone] == "+353 1 555 0100" && sean[.mobilePhone] == "+353 87 123 4567")
        #expect(sean[.addressLine1] == "1 Grand Canal Sq" && sean[.city] == "Dublin" && sean[.country] == "Ireland")
        #expect(sean[.notes] == "Renewal in March.\r\nAsk about the EMEA rollout.")
        #expect(sean[.website] == "http://www.contoso.com")
        #expect(sean.custom == ["department": .text("Customer Success"), "categories": .text("Customers;VIP"), "initials": .text("S.O.")],
                "Outlook's defaults (Normal, False, Unspecified, 0/0/00) are no values")
        #expect(sean.otherEmails == [LabelledValue(value: "sean@home.example")], "E-mail 2 Address is a further email")
        let kim = result.contacts[1].contact
        #expect(kim[.addressLine1] == "12 Elm Road" && kim[.city] == "Leeds", "the home address when there is no business one")
        #expect(kim[.phone] == "0113 496 0000")
        #expect(kim.custom["birthday"] == .text("4/17/1985"))
        #expect(result.warnings.count == 1)
    }

    @Test(arguments: [InterchangeFormat.googleCSV, .outlookCSV])
    func exportsReadBackAsTheSameContacts(format: InterchangeFormat) throws {
        var contacts: [Contact] = []
        for name in ["google-contacts.csv", "google-contacts-older.csv", "outlook.csv"] {
            contacts += try readFixture(name).contacts.map(\.contact)
        }
        var many = everything()
        many[.fullName] = nil
        contacts.append(many)
        let keys = Array(Set(contacts.flatMap { $0.custom.keys })).sorted()
        let text = try written(format, customKeys: keys, contacts.map { ($0, "local") })
        if format == .outlookCSV {
            #expect(text.hasPrefix("\u{FEFF}\"Title\",\"First Name\",\"Middle Name\",\"Last Name\""))
        } else {
            #expect(text.hasPrefix("First Name,Middle Name,Last Name,Phonetic First Name,"))
        }
        let back = try read(text, .csv)
        #expect(back.contacts.count == contacts.count)
        for (original, copy) in zip(contacts, back.contacts.map(\.contact)) {
            var expected = original.fields
            // What these tools have no column for: rolo's flags, status, time zone, language.
            for field in [StandardField.status, .emailOptOut, .smsOptOut, .phoneOptOut, .timezone, .language] { expected[field] = nil }
            if format == .outlookCSV, original[.firstName] == nil, original[.lastName] == nil {
                expected[.firstName] = original[.fullName]
                expected[.fullName] = nil
            } else if format == .outlookCSV {
                expected[.fullName] = nil
            }
            #expect(copy.fields == expected, "\(format): \(original.displayName)")
            #expect(copy.custom.mapValues(\.storedText) == original.custom.mapValues(\.storedText), "\(format): \(original.displayName)")
            if format == .googleCSV {
                #expect(copy.otherEmails == original.otherEmails && copy.otherPhones == original.otherPhones, "\(original.displayName)")
            } else {
                // Outlook's emails have no labels, and a phone keeps its label where Outlook has a column for it.
                #expect(copy.otherEmails.map(\.value) == original.otherEmails.map(\.value), "\(original.displayName)")
                #expect(copy.otherPhones.map(\.value) == original.otherPhones.map(\.value), "\(original.displayName)")
            }
        }
    }
}
