import Foundation
import RoloCore
import RoloProviders
import Testing
@testable import RoloInterchange

/// A contact from a file checked against its account value by value: one bad value does not
/// cost the file, and every message names the line of the value it is about.
@Suite("Import review")
struct ImportReviewTests {
    let local = ProviderProfile.local.rules
    let notifuse = NotifuseProfile.profile.rules

    /// The first card of a vCard text, as the reader gives it.
    func card(_ lines: String...) throws -> IncomingContact {
        let text = (["BEGIN:VCARD", "VERSION:3.0"] + lines + ["END:VCARD"]).joined(separator: "\r\n") + "\r\n"
        return try #require(try read(text, .vcard).contacts.first)
    }

    func review(_ incoming: IncomingContact, rules: ProviderRules? = nil, definitions: [FieldDefinition] = [],
                options: ImportOptions = ImportOptions()) throws(ImportProblem) -> ImportReview.Outcome {
        try ImportReview.check(incoming, as: incoming.contact, rules: rules ?? local, definitions: definitions, options: options)
    }

    func outcome(of body: () throws(ImportProblem) -> ImportReview.Outcome) -> Result<ImportReview.Outcome, ImportProblem> {
        do { return .success(try body()) } catch { return .failure(error) }
    }

    @Test func aPhoneWithoutACountryCodeIsKeptAsWrittenWithAWarningAtItsOwnLine() throws {
        let incoming = try card("FN:Sean", "EMAIL:sean@example.com", "TEL;TYPE=WORK:214-555-0100", "TEL;TYPE=CELL:+1 214 555 0199")
        let result = try review(incoming)
        #expect(result.contact[.phone] == "214-555-0100", "kept as written")
        #expect(result.contact[.mobilePhone] == "+12145550199", "a number in international form is normalised as always")
        #expect(result.warnings == [ImportProblem(line: 5, message: "phone: “214-555-0100” has no country code; kept as written "
            + "(--default-region US, GB, DE, … would store it in international form)")])
        #expect(result.leftOut.isEmpty)
    }

    @Test func aDefaultRegionStoresNationalNumbersInInternationalForm() throws {
        let incoming = try card("FN:Sean", "TEL;TYPE=WORK:(214) 555-0100", "TEL;TYPE=CELL:1-214-555-0199")
        let result = try review(incoming, options: ImportOptions(defaultRegion: PhoneRegion(code: "us")))
        #expect(result.contact[.phone] == "+12145550100" && result.contact[.mobilePhone] == "+12145550199")
        #expect(result.warnings.isEmpty)
        // A number that cannot be one of the region's is kept, and the warning says why.
        let odd = try review(try card("FN:Odd", "TEL;TYPE=CELL:555-0199"), options: ImportOptions(defaultRegion: PhoneRegion(code: "US")))
        #expect(odd.contact[.mobilePhone] == "555-0199")
        #expect(odd.warnings.map(\.message) == ["mobile_phone: “555-0199” has no country code; kept as written (it is not a number of US)"])
    }

    @Test func aNumberWithAnExtensionIsKeptAsWritten() throws {
        let result = try review(try card("FN:Desk", "EMAIL:desk@example.com", "TEL;TYPE=WORK:+1 214 555 0100 ext. 12"))
        #expect(result.contact[.phone] == "+1 214 555 0100 ext. 12")
        #expect(result.warnings.map(\.line) == [5])
        #expect(result.warnings.first?.message.contains("has an extension") == true)
    }

    @Test func aBadValueStopsTheImportAtItsOwnLine() {
        let found = outcome { () throws(ImportProblem) in
            try review(try! card("FN:Ann", "NOTE:hello", "EMAIL:not-an-address", "TEL;TYPE=CELL:+1 214 555 0199"))
        }
        guard case .failure(let problem) = found else { Issue.record("accepted"); return }
        #expect(problem.line == 5, "the EMAIL line, not the BEGIN line")
        #expect(problem.message.hasPrefix("email: “not-an-address” is not an email address"))
    }

    @Test func skipInvalidLeavesOutTheBadValueAndKeepsTheContact() throws {
        let incoming = try card("FN:Ann", "EMAIL:not-an-address", "TEL;TYPE=CELL:+1 214 555 0199", "TEL;TYPE=WORK:call me")
        let result = try review(incoming, options: ImportOptions(skipInvalid: true))
        #expect(result.contact[.fullName] == "Ann" && result.contact[.mobilePhone] == "+12145550199")
        #expect(result.contact[.email] == nil && result.contact[.phone] == nil)
        #expect(result.leftOut.map(\.line) == [4, 6])
        #expect(result.leftOut.map { $0.message.components(separatedBy: ":").first } == ["email", "phone"])
    }

    @Test func whenTheBadValueWasTheOneTheAccountNeedsTheRecordGoes() throws {
        let incoming = try card("FN:Ann", "NOTE:x", "EMAIL:not-an-address")
        let found = outcome { () throws(ImportProblem) in try review(incoming, rules: notifuse, options: ImportOptions(skipInvalid: true)) }
        guard case .failure(let problem) = found else { Issue.record("accepted"); return }
        #expect(problem.line == 5)
        #expect(problem.message.hasPrefix("email: “not-an-address” is not an email address"))
        #expect(problem.message.hasSuffix("; without it, Notifuse needs email"))
    }

    @Test func whatTheRecordLacksNamesTheRecordsLine() {
        let found = outcome { () throws(ImportProblem) in try review(try! card("FN:Nobody", "NOTE:no email"), rules: notifuse) }
        #expect(found.failure == ImportProblem(line: 1, message: "email: Notifuse needs email"))
    }

    @Test func customValuesTakeTheirAccountsTypesAndABadOneNamesItsLine() throws {
        let definitions = [FieldDefinition(key: "renewal", type: .date), FieldDefinition(key: "seats", type: .number)]
        let incoming = try card("FN:Ann", "EMAIL:ann@example.com", "X-ROLO-CUSTOM;X-KEY=renewal;X-TYPE=text:2024-01-31",
                                "X-ROLO-CUSTOM;X-KEY=seats;X-TYPE=text:many")
        let found = outcome { () throws(ImportProblem) in try review(incoming, definitions: definitions) }
        #expect(found.failure?.line == 6 && found.failure?.message.hasPrefix("custom.seats:") == true, "\(found)")
        let skipped = try review(incoming, definitions: definitions, options: ImportOptions(skipInvalid: true))
        #expect(skipped.contact.custom == ["renewal": .date(LocalDate(iso: "2024-01-31")!)])
        #expect(skipped.leftOut.map(\.line) == [6])
    }

    @Test func aTelURIWithAnExtensionIsKeptWithItsExtensionAsPeopleWriteIt() throws {
        // vCard 4.0 as Nextcloud and Thunderbird write it: a valid number, never a reason to stop.
        let text = ["BEGIN:VCARD", "VERSION:4.0", "FN:Desk", "EMAIL:desk@example.com",
                    "TEL;VALUE=uri;TYPE=\"voice,work\";PREF=1:tel:+46-8-123-456-78;ext=123",
                    "TEL;VALUE=uri;TYPE=cell:tel:+46-70-123-45-67", "END:VCARD", ""].joined(separator: "\r\n")
        let result = try review(try #require(try read(text, .vcard).contacts.first))
        #expect(result.contact[.phone] == "+46-8-123-456-78 ext. 123")
        #expect(result.contact[.mobilePhone] == "+46701234567")
        #expect(result.warnings.map(\.line) == [5])
        #expect(result.warnings.first?.message.contains("has an extension") == true)
    }

    @Test func aBracketedTrunkZeroIsLeftOutOfAnInternationalNumber() throws {
        let result = try review(try card("FN:Tess", "EMAIL:tess@example.co.uk", "TEL;TYPE=WORK:+44 (0)20 7946 0958",
                                         "TEL;TYPE=CELL:+41 (0)79 123 45 67"))
        #expect(result.contact[.phone] == "+442079460958" && result.contact[.mobilePhone] == "+41791234567")
        #expect(result.warnings.isEmpty)
    }

    @Test func aStreetOfSeveralLinesFillsBothAddressLines() throws {
        // Outlook keeps a street of two lines in one cell, with CR LF.
        let outlook = "First Name,Last Name,E-mail Address,Business Street,Business Street 2,Business City\r\n"
            + "Luc,Martin,luc@example.fr,\"12 Rue Oberkampf\r\nBâtiment B\",Escalier 3,Paris\r\n"
        let luc = try review(try #require(try read(outlook, .outlookCSV).contacts.first))
        #expect(luc.contact[.addressLine1] == "12 Rue Oberkampf")
        #expect(luc.contact[.addressLine2] == "Bâtiment B, Escalier 3")
        #expect(luc.contact[.city] == "Paris")
        // Google, when only the formatted address is filled: its lines, in order.
        let google = "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Address 1 - Label,Address 1 - Formatted\n"
            + "Ada,Byron,* Home,ada@example.com,Home,\"1600 Amphitheatre Pkwy\nMountain View, CA 94043\nUS\"\n"
        let ada = try review(try #require(try read(google, .googleCSV).contacts.first))
        #expect(ada.contact[.addressLine1] == "1600 Amphitheatre Pkwy")
        #expect(ada.contact[.addressLine2] == "Mountain View, CA 94043, US")
        // A vCard 2.1 street in quoted-printable, its line break CR LF.
        let card = ["BEGIN:VCARD", "VERSION:2.1", "N:Guinness;Arthur", "EMAIL;INTERNET:arthur@example.ie",
                    "ADR;WORK;ENCODING=QUOTED-PRINTABLE:;;St. James's Gate=0D=0AUnit 4;Dublin;;D08;Ireland", "END:VCARD", ""]
        let arthur = try review(try #require(try read(card.joined(separator: "\r\n"), .vcard).contacts.first))
        #expect(arthur.contact[.addressLine1] == "St. James's Gate" && arthur.contact[.addressLine2] == "Unit 4")
        #expect(arthur.warnings.isEmpty && arthur.leftOut.isEmpty)
    }

    @Test func aPagerIsNeverTheContactsPhone() throws {
        let google = "First Name,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value\n"
            + "Pat,* Work,pat@example.com,Pager,+1 212 555 0111,Work,+1 212 555 0122\n"
        let pat = try review(try #require(try read(google, .googleCSV).contacts.first))
        #expect(pat.contact[.phone] == "+12125550122")
        #expect(pat.contact.otherPhones == [LabelledValue(label: "pager", value: "+12125550111")])
        // Only a pager: it stays a further phone, labelled, and the phone stays empty.
        let only = "First Name,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\nLee,lee@example.com,Pager,+1 212 555 0133\n"
        let lee = try review(try #require(try read(only, .googleCSV).contacts.first))
        #expect(lee.contact[.phone] == nil && lee.contact.otherPhones == [LabelledValue(label: "pager", value: "+12125550133")])
    }

    @Test func theOutlookFileImportsWithItsNationalNumberMarked() throws {
        let result = try ContactFileReader.read(try fixture("outlook-2.1.vcf"), format: .vcard, skipInvalid: false)
        let sean = try review(result.contacts[0])
        #expect(sean.contact[.phone] == "(214) 555-0100" && sean.contact[.mobilePhone] == "+353871234567")
        #expect(sean.warnings.map(\.line) == [9], "the TEL line of the card")
        let android = try ContactFileReader.read(try fixture("android-2.1.vcf"), format: .vcard, skipInvalid: false)
        let taro = try review(android.contacts[0], options: ImportOptions(defaultRegion: PhoneRegion(code: "JP")))
        #expect(taro.contact[.mobilePhone] == "+819012345678" && taro.contact[.phone] == "+81312345678")
    }

    @Test(arguments: [
        ("US", "214-555-0100", "+12145550100"), ("US", "(214) 555-0100", "+12145550100"), ("US", "1 214 555 0100", "+12145550100"),
        ("CA", "416.555.0100", "+14165550100"), ("GB", "020 7946 0958", "+442079460958"), ("GB", "07700 900123", "+447700900123"),
        ("DE", "030 1234567", "+49301234567"), ("FR", "01 23 45 67 89", "+33123456789"), ("IT", "06 1234 5678", "+390612345678"),
        ("ES", "912 345 678", "+34912345678"), ("HU", "06 1 234 5678", "+3612345678"), ("RU", "8 495 123-45-67", "+74951234567"),
        ("JP", "090-1234-5678", "+819012345678"), ("AU", "(02) 9876 5432", "+61298765432"), ("IN", "098765 43210", "+919876543210"),
    ])
    func nationalNumbersOfEachRegion(region: String, written: String, international: String) throws {
        #expect(try #require(PhoneRegion(code: region)).international(written) == international)
    }

    @Test func whatIsNotANationalNumberStaysUnread() throws {
        let us = try #require(PhoneRegion(code: "US"))
        #expect(us.international("555-0100") == nil, "seven digits: no area code")
        #expect(us.international("(014) 555-0100") == nil, "an area code cannot start with 0")
        #expect(us.international("call 214 555 0100") == nil)
        #expect(us.international("+44 20 7946 0958") == nil, "already international")
        #expect(PhoneRegion(code: "XX") == nil && PhoneRegion(code: "") == nil)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Further emails and phones are checked one by one like the standard fields, and a message
/// names the value as files do (`email_2`, `phone_3`) at the value's own line.
@Suite("Import review of further emails and phones")
struct FurtherValueReviewTests {
    let local = ProviderProfile.local.rules

    func card(_ lines: String...) throws -> IncomingContact {
        let text = (["BEGIN:VCARD", "VERSION:3.0"] + lines + ["END:VCARD"]).joined(separator: "\r\n") + "\r\n"
        return try #require(try read(text, .vcard).contacts.first)
    }

    func review(_ incoming: IncomingContact, options: ImportOptions = ImportOptions()) throws(ImportProblem) -> ImportReview.Outcome {
        try ImportReview.check(incoming, as: incoming.contact, rules: local, definitions: [], options: options)
    }

    @Test func furtherPhonesAreNormalisedOrKeptAsWrittenAtTheirOwnLines() throws {
        let incoming = try card("FN:Sean", "TEL;TYPE=CELL:+1 214 555 0199", "TEL;TYPE=WORK:+1 214 555 0100",
                                "TEL;TYPE=HOME:+44 20 7946 0958", "TEL;TYPE=FAX:214-555-0101")
        let result = try review(incoming)
        #expect(result.contact.otherPhones == [LabelledValue(label: "home", value: "+442079460958"),
                                               LabelledValue(label: "fax", value: "214-555-0101")])
        #expect(result.warnings == [ImportProblem(line: 7, message: "phone_3: “214-555-0101” has no country code; kept as written "
            + "(--default-region US, GB, DE, … would store it in international form)")])
        let us = try review(incoming, options: ImportOptions(defaultRegion: PhoneRegion(code: "US")))
        #expect(us.contact.otherPhones.map(\.value) == ["+442079460958", "+12145550101"])
        #expect(us.warnings.isEmpty)
    }

    @Test func androidsOwnLabelsAreKeptAsWritten() throws {
        let text = ["BEGIN:VCARD", "VERSION:2.1", "N:Schmidt;Anna;;;", "TEL;CELL;PREF:+49 170 1111111", "TEL;HOME:+49 30 2222222",
                    "TEL;X-Büro:+49 30 3333333", "TEL;WORK;FAX:+49 30 4444444", "EMAIL;HOME:anna@home.example",
                    "EMAIL;X-Verein:anna@verein.example", "END:VCARD"].joined(separator: "\r\n") + "\r\n"
        let anna = try #require(try read(text, .vcard).contacts.first).contact
        #expect(anna[.mobilePhone] == "+49 170 1111111" && anna[.phone] == "+49 30 2222222")
        #expect(anna.otherPhones == [LabelledValue(label: "Büro", value: "+49 30 3333333"), LabelledValue(label: "work fax", value: "+49 30 4444444")])
        #expect(anna.otherEmails == [LabelledValue(label: "Verein", value: "anna@verein.example")])
    }

    @Test func aBadFurtherEmailStopsTheImportAtItsLineOrIsLeftOutAlone() throws {
        let incoming = try card("FN:Ann", "EMAIL;TYPE=WORK:ann@example.com", "NOTE:hi", "EMAIL;TYPE=HOME:not-an-address",
                                "EMAIL:ann@home.example")
        do {
            _ = try review(incoming)
            Issue.record("a bad further email was accepted")
        } catch {
            #expect(error.line == 6 && error.message.hasPrefix("email_2: "), "\(error)")
        }
        let skipped = try review(incoming, options: ImportOptions(skipInvalid: true))
        #expect(skipped.contact[.email] == "ann@example.com")
        #expect(skipped.contact.otherEmails == [LabelledValue(value: "ann@home.example")], "only the bad value is left out")
        #expect(skipped.leftOut.map(\.line) == [6])
    }

    @Test func aNumberKeptAsWrittenStaysSoWhenABadOneBeforeItIsLeftOut() throws {
        let incoming = try card("FN:Ann", "EMAIL:ann@example.com", "TEL;TYPE=CELL:+1 214 555 0199", "TEL;TYPE=WORK:+1 214 555 0100",
                                "TEL;TYPE=HOME:not a number", "TEL;TYPE=FAX:214-555-0102")
        #expect(throws: ImportProblem.self) { try review(incoming) }
        let result = try review(incoming, options: ImportOptions(skipInvalid: true))
        #expect(result.contact.otherPhones == [LabelledValue(label: "fax", value: "214-555-0102")])
        #expect(result.leftOut.map(\.line) == [7])
        #expect(result.warnings.map(\.line) == [8], "the fax's own line, kept as written")
    }

    @Test func aFileWithoutTheFirstValueFillsItsSlot() throws {
        // CSV and JSON can say email_2 without email: the first further value takes the slot.
        let csv = "first_name,email_2,email_2_label,phone_2,phone_2_label,phone_3,phone_3_label\r\n"
            + "Ann,ann@home.example,home,+12145550101,fax,+12145550199,mobile\r\n"
        let incoming = try #require(try read(csv, .csv).contacts.first)
        let result = try review(incoming)
        #expect(result.contact[.email] == "ann@home.example" && result.contact.otherEmails.isEmpty)
        #expect(result.contact[.mobilePhone] == "+12145550199", "the mobile number fills the mobile slot")
        #expect(result.contact[.phone] == nil && result.contact.otherPhones == [LabelledValue(label: "fax", value: "+12145550101")],
                "a fax is never the phone")
    }

    @Test func labelsAreCheckedAndSpelledOneWay() throws {
        let json = #"[{"first_name": "Ann", "email": "ann@example.com", "other_emails": [{"label": "Work E-mail", "value": "a@work.example"},"#
            + #" {"label": "bad\u0007label", "value": "b@example.com"}]}]"#
        let incoming = try #require(try read(json, .json).contacts.first)
        do {
            _ = try review(incoming)
            Issue.record("a control character in a label was accepted")
        } catch {
            #expect(error.message.hasPrefix("email_3_label: contains a control character"), "\(error)")
        }
        let kept = try review(incoming, options: ImportOptions(skipInvalid: true))
        #expect(kept.contact.otherEmails == [LabelledValue(label: "work", value: "a@work.example")])
    }

    @Test func furtherValuesInRoloJSONAreLabelledObjectsOrStrings() throws {
        let json = #"[{"first_name": "Ann", "other_phones": ["+12145550101", {"value": "+12145550102"}, {"label": "fax", "value": "+12145550103"}]}]"#
        let incoming = try #require(try read(json, .json).contacts.first)
        #expect(incoming.contact.otherPhones == [LabelledValue(value: "+12145550101"), LabelledValue(value: "+12145550102"),
                                                 LabelledValue(label: "fax", value: "+12145550103")])
        for (member, message) in [(#"{"label": 7, "value": "+12145550101"}"#, "a label must be a string"),
                                  (#"{"label": "fax"}"#, "must be an array of"), ("42", "must be an array of")] {
            do {
                _ = try read(#"[{"first_name": "Ann", "other_phones": ["# + member + "]}]", .json)
                Issue.record("\(member) was read")
            } catch {
                #expect("\(error)".contains(message), "\(member): \(error)")
            }
        }
        // What the cache, the history and rolo JSON write reads back.
        let value = LabelledValue(label: "work fax", value: "+12145550104")
        #expect(LabelledValue(json: value.json) == value)
    }
}

@Suite("Labels")
struct ValueLabelTests {
    @Test(arguments: [
        ("_$!<Mobile>!$_", "mobile"), ("_$!<HomeFAX>!$_", "home fax"), ("Work Fax", "work fax"), ("fax work", "work fax"),
        ("CELL", "mobile"), ("Business Phone", "work"), ("iPhone", "iphone"), ("  Other ", "other"), ("Lake house", "Lake house"),
        ("_$!<Lake house>!$_", "Lake house"), ("", ""), ("Home Phone 2", "Home Phone 2"),
    ])
    func labelsAreSpelledOneWay(written: String, kept: String) {
        #expect(ValueLabel.normalised(written) == kept)
        #expect(ValueLabel.normalised(kept) == kept, "the spelling is stable")
    }

    @Test func vCardTypesGiveTheSameLabelsBack() {
        #expect(ValueLabel.fromVCardTypes(["internet", "home"]) == "home")
        #expect(ValueLabel.fromVCardTypes(["iphone", "cell", "voice"]) == "iphone")
        #expect(ValueLabel.fromVCardTypes(["work", "cell", "voice", "video", "text"]) == "work mobile video text")
        #expect(ValueLabel.fromVCardTypes(["X-Büro"]) == "Büro", "Android's label of the user's own, as written")
        #expect(ValueLabel.fromVCardTypes(["WORK", "X-Büro", "VOICE"]) == "work Büro")
        #expect(ValueLabel.fromVCardTypes(["GIRLFRIEND"]) == "girlfriend")
        for label in ["home", "work fax", "mobile", "work mobile video text", "pager"] {
            let types = ValueLabel.vCardTypes(for: label, kind: .phone)
            #expect(types.map(ValueLabel.fromVCardTypes) == label, "\(label)")
        }
        #expect(ValueLabel.vCardTypes(for: "iphone", kind: .phone) == nil, "no vCard type: written as an X-ABLabel")
        #expect(ValueLabel.vCardTypes(for: "fax", kind: .email) == nil)
    }
}
