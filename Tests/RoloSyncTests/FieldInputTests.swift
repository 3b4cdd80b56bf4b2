import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloSync

/// Reading `key=value` text, and turning it into typed, checked values for one account.
@Suite("Field input: key=value assignments")
struct FieldAssignmentTests {
    @Test func aPlainAssignmentNamesAStandardFieldAndItsText() throws {
        let assignment = try FieldAssignment(parsing: "city=Dallas")
        #expect(assignment.key == .standard(.city))
        #expect(assignment.type == nil)
        #expect(assignment.change == .set("Dallas"))
    }

    @Test(arguments: [
        ("zip=75270", FieldKey.standard(.postcode)),
        ("Mobile-Phone=+15557140059", .standard(.mobilePhone)),
        ("surname=Park", .standard(.lastName)),
        ("  city  =Dallas", .standard(.city)),
        ("custom.city=Springfield", .custom("city")),
        ("plan=gold", .custom("plan")),
    ])
    func keysAreReadAsStandardFieldsAliasesOrCustomKeys(_ text: String, _ key: FieldKey) throws {
        #expect(try FieldAssignment(parsing: text).key == key)
    }

    @Test func aTypeMayFollowTheKey() throws {
        let typed = try FieldAssignment(parsing: "score:NUMBER=42")
        #expect(typed.key == .custom("score"))
        #expect(typed.type == .number)
        #expect(typed.change == .set("42"))
    }

    @Test func onlyTheFirstEqualsSignSplitsAndTheValueIsKeptAsWritten() throws {
        #expect(try FieldAssignment(parsing: "formula=a=b").change == .set("a=b"))
        #expect(try FieldAssignment(parsing: "note= two spaces ").change == .set(" two spaces "))
        #expect(try FieldAssignment(parsing: "link=https://example.com/?q=1").change == .set("https://example.com/?q=1"))
    }

    @Test func anEmptyValueClears() throws {
        #expect(try FieldAssignment(parsing: "company=").change == .clear)
        #expect(try FieldAssignment(parsing: "plan:text=").change == .clear)
    }

    @Test(arguments: [
        ("city", "city", "write key=value"),
        ("=Dallas", "=Dallas", "the key before = is empty"),
        (":number=4", ":number=4", "the key before = is empty"),
        ("score:money=1", "score:money", "“money” is not a type; use one of text, number, datetime, date, bool, json, select, multiselect"),
    ])
    func malformedAssignmentsAreRefusedWithAHint(_ text: String, _ field: String, _ hint: String) {
        let issues = refusal { _ = try FieldAssignment(parsing: text) }
        #expect(issues?.count == 1)
        #expect(issues?.first?.field == field)
        #expect(issues?.first?.message.contains(hint) == true, "\(String(describing: issues))")
    }
}

@Suite("Field input: typed values per field definition")
struct FieldInputTests {
    /// An iVvy-like account whose fields cover every type.
    let input = FieldInput(account: Account(id: 7, name: "events", profile: IvvyProfile.profile), definitions: [
        FieldDefinition(key: "guests", type: .number),
        FieldDefinition(key: "born", type: .date),
        FieldDefinition(key: "arrives", type: .datetime),
        FieldDefinition(key: "vip", type: .bool),
        FieldDefinition(key: "prefs", type: .json),
        FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "g", label: "Gold"), SelectOption(value: "s", label: "Silver")]),
        FieldDefinition(key: "diet", type: .multiselect,
                        options: [SelectOption(value: "vegan"), SelectOption(value: "halal"), SelectOption(value: "kosher")]),
        FieldDefinition(key: "badge", type: .text, isReadOnly: true),
    ])

    func value(_ text: String) throws -> CustomValue? {
        let (change, _) = try input.resolve(try FieldAssignment(parsing: text), existing: nil)
        guard case .set(.custom(let value)) = change else { return nil }
        return value
    }

    func problem(_ text: String) -> ValidationIssue? {
        refusal { _ = try input.resolve(try FieldAssignment(parsing: text), existing: nil) }?.first
    }

    @Test(arguments: [("guests=42", 42.0), ("guests=-1250.5", -1250.5), ("guests=1e3", 1000), ("guests= 7 ", 7), ("guests=+3", 3)])
    func numbersAreReadInPlainDecimalNotation(_ text: String, _ number: Double) throws {
        #expect(try value(text) == .number(number))
    }

    @Test(arguments: ["guests=1,000", "guests=0x10", "guests=nan", "guests=inf", "guests=12abc", "guests=--1", "guests=."])
    func otherNumberSpellingsAreRefused(_ text: String) {
        let issue = problem(text)
        #expect(issue?.field == "custom.guests")
        #expect(issue?.message.contains("is not a number") == true)
    }

    @Test func datesAreYearMonthDayAndMustExist() throws {
        #expect(try value("born=1985-03-17") == .date(day("1985-03-17")))
        #expect(try value("born=2024-02-29") == .date(day("2024-02-29")))
        for bad in ["born=2023-02-29", "born=17/03/1985", "born=1985-3-17", "born=1985-03-17T00:00:00Z"] {
            #expect(problem(bad)?.field == "custom.born", "\(bad)")
            #expect(problem(bad)?.message.contains("is not a date") == true, "\(bad)")
        }
    }

    @Test func dateTimesAreUTCUnlessAnOffsetIsGiven() throws {
        #expect(try value("arrives=2023-06-01 09:00:00") == .datetime(instant("2023-06-01T09:00:00Z")))
        #expect(try value("arrives=2023-06-01 09:00:00 UTC") == .datetime(instant("2023-06-01T09:00:00Z")))
        #expect(try value("arrives=2023-06-01T09:00:00+02:00") == .datetime(instant("2023-06-01T07:00:00Z")))
        #expect(try value("arrives=2023-06-01T09:00:00.250Z") == .datetime(Timestamp(millisecondsSinceEpoch: 1_685_610_000_250)))
        for bad in ["arrives=2023-06-01", "arrives=tomorrow", "arrives=2023-06-01 25:00:00", "arrives=2023-06-01T09:00:00+2"] {
            #expect(problem(bad)?.field == "custom.arrives", "\(bad)")
            #expect(problem(bad)?.message.contains("is not a date and time") == true, "\(bad)")
        }
    }

    @Test(arguments: [("vip=yes", true), ("vip=No", false), ("vip=true", true), ("vip=0", false), ("vip=on", true), ("vip=f", false)])
    func flagsAreReadFromTheUsualWords(_ text: String, _ flag: Bool) throws {
        #expect(try value(text) == .bool(flag))
    }

    @Test func aFlagThatIsNeitherYesNorNoIsRefused() {
        #expect(problem("vip=maybe")?.description == "custom.vip: “maybe” is not yes or no (write yes, no, true or false)")
    }

    @Test func jsonMustBeAnObjectOrAnArray() throws {
        #expect(try value(#"prefs={"theme":"dark","n":[1,2]}"#)
                == .json(.object(["theme": .string("dark"), "n": .array([.number(1), .number(2)])])))
        #expect(try value("prefs=[]") == .json(.array([])))
        #expect(problem("prefs=42")?.description == "custom.prefs: must be a JSON object or array, not a single value")
        #expect(problem(#"prefs="text""#)?.field == "custom.prefs")
        let broken = problem(#"prefs={"theme":}"#)
        #expect(broken?.field == "custom.prefs")
        #expect(broken?.message.hasPrefix("is not valid JSON") == true)
    }

    @Test func aSelectTakesAnOptionByValueOrLabelAndStoresTheValue() throws {
        #expect(try value("tier=g") == .select("g"))
        #expect(try value("tier=silver") == .select("s"))
        #expect(try value("tier=GOLD") == .select("g"))
        #expect(problem("tier=bronze")?.description == "custom.tier: “bronze” is not one of the options (Gold, Silver)")
    }

    @Test func aMultiselectTakesCommaSeparatedOptionsOrAJSONArray() throws {
        #expect(try value("diet=vegan, Halal") == .multiselect(["vegan", "halal"]))
        #expect(try value(#"diet=["kosher","vegan"]"#) == .multiselect(["kosher", "vegan"]))
        #expect(try value("diet=vegan,vegan, ,halal") == .multiselect(["vegan", "halal"]), "repeats and blanks are dropped")
        #expect(problem("diet=vegan, paleo")?.description.hasPrefix("custom.diet: “paleo” is not one of the options") == true)
    }

    @Test func aReadOnlyFieldCannotBeSetOrCleared() {
        #expect(problem("badge=VIP")?.description == "custom.badge: is read-only in events")
        #expect(refusal { _ = try input.resolve(FieldAssignment(key: .custom("badge"), change: .clear), existing: nil) }?
                .first?.field == "custom.badge")
    }

    @Test func aTypeThatContradictsTheDefinitionIsRefused() {
        #expect(problem("born:number=1985")?.description == "custom.born: is a date field, not number")
        #expect(problem("born:date=1985-03-17") == nil)
    }

    @Test func clearingADefinedFieldNeedsNoValue() throws {
        let (change, warnings) = try input.resolve(FieldAssignment(key: .custom("guests"), change: .clear), existing: nil)
        #expect(change == .clear)
        #expect(warnings.isEmpty)
        // `--clear zip` names a standard field through its alias.
        let (standard, _) = try input.resolve(FieldAssignment(key: FieldKey(parsing: "zip"), change: .clear), existing: nil)
        #expect(standard == .clear)
    }

    @Test func everyBadAssignmentIsReportedAtOnceAndNothingIsReturned() throws {
        let texts = ["guests=many", "born=yesterday", "vip=yes", "tier=bronze", "shoe=44"]
        let issues = try #require(refusal { _ = try input.edit(from: try texts.map { try FieldAssignment(parsing: $0) }, existing: nil) })
        #expect(issues.map(\.field) == ["custom.guests", "custom.born", "custom.tier", "custom.shoe"])
    }

    @Test func aGoodSetOfAssignmentsBecomesOneEdit() throws {
        let texts = ["guests=3", "born=1985-03-17", "vip=no", "first_name=Kim", "zip=6000"]
        let (edit, warnings) = try input.edit(from: try texts.map { try FieldAssignment(parsing: $0) }, existing: nil)
        let contact = edit.applied(to: Contact(accountID: 7))
        #expect(contact.custom == ["guests": .number(3), "born": .date(day("1985-03-17")), "vip": .bool(false)])
        #expect(contact[.firstName] == "Kim")
        #expect(contact[.postcode] == "6000")
        #expect(warnings.map(\.description) == ["postcode: iVvy does not store it; it stays in rolo only"])
    }
}

@Suite("Field input: standard fields")
struct StandardFieldInputTests {
    let input = FieldInput(account: Account(id: 1, name: "local", profile: .local), definitions: [])

    func text(_ assignment: String) throws -> String? {
        let (change, _) = try input.resolve(try FieldAssignment(parsing: assignment), existing: nil)
        switch change {
        case .set(.text(let text)): return text
        case .clear: return nil
        default:
            Issue.record("unexpected change \(change)")
            return nil
        }
    }

    func problem(_ assignment: String) -> ValidationIssue? {
        refusal { _ = try input.resolve(try FieldAssignment(parsing: assignment), existing: nil) }?.first
    }

    @Test(arguments: [
        ("phone=+44 20 7946 0958", "+442079460958"),
        ("mobile=0044 7700 900281", "+447700900281"),
        ("phone=+1 (555) 714-0059", "+15557140059"),
        ("email= Rob@Example.com ", "Rob@Example.com"),
        ("tz=Europe/Lisbon", "Europe/Lisbon"),
        ("lang=pt-BR", "pt-BR"),
        ("email_opt_out=yes", "true"),
        ("sms_optout=0", "false"),
        ("website=example.com", "example.com"),
        ("city=  Dallas ", "Dallas"),
    ])
    func standardValuesAreNormalised(_ assignment: String, _ expected: String) throws {
        #expect(try text(assignment) == expected)
    }

    @Test(arguments: [
        ("phone=555-0100", "phone", "has no country code"),
        ("mobile=+0123456789", "mobile_phone", "is not an E.164 number"),
        ("email=rob@@example.com", "email", "is not an email address"),
        ("email=rob@localhost", "email", "is not an email address"),
        ("timezone=Mars/Olympus_Mons", "timezone", "is not a time zone name"),
        ("language=portuguese", "language", "is not a language tag"),
        ("email_opt_out=maybe", "email_opt_out", "is not yes or no"),
        ("website=not a site", "website", "is not a web address"),
        ("city=Dal\u{7}las", "city", "contains a control character (U+0007)"),
    ])
    func badStandardValuesAreRefusedNamingTheField(_ assignment: String, _ field: String, _ message: String) {
        let issue = problem(assignment)
        #expect(issue?.field == field)
        #expect(issue?.message.contains(message) == true, "\(String(describing: issue))")
    }

    @Test func blankTextClearsAStandardField() throws {
        #expect(try text("city=   ") == nil)
        #expect(try text("city=") == nil)
    }

    @Test func aStandardFieldsTypeCannotBeChosen() {
        #expect(problem("city:text=Dallas")?.description == "city: is a standard field; its type cannot be chosen")
    }

    @Test func notesKeepTheirLineBreaks() throws {
        #expect(try text("notes=  first\nsecond  ") == "first\nsecond")
    }
}
