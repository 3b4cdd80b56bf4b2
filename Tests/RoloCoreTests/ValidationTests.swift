import Testing
@testable import RoloCore

/// What people type, good and bad, field by field. Every refusal must say what is wrong.
@Suite("Validation")
struct ValidationTests {
    @Test(arguments: ["rob@example.com", "first.last+tag@mail.example.co.uk", "zoë@exämple.de", "a@b.io", "x_y-z@sub-domain.example.org"])
    func goodEmailsPass(_ address: String) throws {
        #expect(try Validator.normalise(address, for: .email) == address)
    }

    @Test(arguments: [
        ("rob.example.com", "exactly one @"),
        ("rob@@example.com", "exactly one @"),
        ("@example.com", "before @ is empty"),
        ("rob smith@example.com", "space or a control character"),
        (".rob@example.com", "dots cannot start"),
        ("rob..smith@example.com", "dots cannot start"),
        ("rob<script>@example.com", "has a character like"),
        ("rob@localhost", "should look like example.com"),
        ("rob@example.c", "should look like example.com"),
        ("rob@-example.com", "should look like example.com"),
        ("rob@example.123", "should look like example.com"),
        (String(repeating: "a", count: 65) + "@example.com", "longer than 64 bytes"),
    ])
    func badEmailsSayWhy(_ address: String, _ reason: String) {
        #expect {
            try Validator.normalise(address, for: .email)
        } throws: { error in
            (error as? ValueError)?.message.contains(reason) == true
        }
    }

    @Test func anAddressWithAnEscapeSequenceIsRefusedBeforeAnythingElse() {
        #expect {
            try Validator.normalise("evil\u{1B}[2J@example.com", for: .email)
        } throws: { error in
            (error as? ValueError)?.message == "contains a control character (U+001B); type it without one"
        }
    }

    @Test(arguments: [
        ("+1 (555) 714-0059", "+15557140059"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20.7946.0958", "+442079460958"),
        ("+81-3-1234-5678", "+81312345678"),
        ("  +15557140059  ", "+15557140059"),
    ])
    func phonesAreNormalisedToE164(_ typed: String, _ stored: String) throws {
        #expect(try Validator.normalise(typed, for: .mobilePhone) == stored)
    }

    @Test(arguments: [
        ("555 714 0059", "has no country code"),
        ("+1 555 CALL NOW", "only digits"),
        ("+12345", "7 to 15 digits"),
        ("+1234567890123456", "7 to 15 digits"),
        ("+0155571400", "a country code without 0"),
        ("+١٥٥٥٧١٤٠٠٥٩", "only digits"),
    ])
    func badPhonesSayWhy(_ typed: String, _ reason: String) {
        #expect {
            try Validator.normalise(typed, for: .phone)
        } throws: { error in
            (error as? ValueError)?.message.contains(reason) == true
        }
    }

    @Test func emptyInputClearsAndSurroundingSpaceGoes() throws {
        #expect(try Validator.normalise("   ", for: .city) == nil)
        #expect(try Validator.normalise("  Dallas \n", for: .city) == "Dallas")
        #expect(try Validator.normalise("line one\nline two", for: .notes) == "line one\nline two")
    }

    @Test func websitesTimeZonesLanguagesAndFlags() throws {
        #expect(try Validator.normalise("example.com", for: .website) == "example.com")
        #expect(throws: ValueError.self) { try Validator.normalise("not a site", for: .website) }
        #expect(throws: ValueError.self) { try Validator.normalise("ftp://example.com", for: .website) }
        #expect(try Validator.normalise("America/Chicago", for: .timezone) == "America/Chicago")
        #expect(throws: ValueError.self) { try Validator.normalise("Mars/Olympus", for: .timezone) }
        #expect(try Validator.normalise("pt-BR", for: .language) == "pt-BR")
        #expect(throws: ValueError.self) { try Validator.normalise("portuguese", for: .language) }
        #expect(try Validator.normalise("Yes", for: .emailOptOut) == "true")
        #expect(try Validator.normalise("off", for: .emailOptOut) == "false")
        #expect(throws: ValueError.self) { try Validator.normalise("maybe", for: .emailOptOut) }
    }

    // MARK: - Custom values

    @Test(arguments: [("42", 42.0), ("-1250.5", -1250.5), ("1e3", 1000.0), ("+7", 7.0), (" 3.25 ", 3.25)])
    func numbers(_ typed: String, _ value: Double) throws {
        #expect(try CustomValue.parse(typed, as: .number) == .number(value))
    }

    @Test(arguments: ["1,000", "0x1F", "inf", "nan", "12abc", "", "1e", "--1", "1.2.3", "1e999"])
    func notNumbers(_ typed: String) {
        #expect {
            try CustomValue.parse(typed, as: .number)
        } throws: { error in
            (error as? ValueError)?.message.contains("is not a number") == true
        }
    }

    @Test func datetimesInBothAcceptedForms() throws {
        let utc = try CustomValue.parse("2023-06-01 09:00:00", as: .datetime)
        let offset = try CustomValue.parse("2023-06-01T11:00:00+02:00", as: .datetime)
        #expect(utc == offset)
        #expect(utc.storedText == "2023-06-01T09:00:00Z")
        #expect(try CustomValue.parse("2023-06-01T09:00:00.250Z", as: .datetime).storedText == "2023-06-01T09:00:00.250Z")
    }

    @Test(arguments: ["2023-02-30 09:00:00", "2023-06-01 25:00:00", "2023-06-01T09:61:00Z", "yesterday", "2023-06-01", "06/01/2023 09:00"])
    func notDatetimes(_ typed: String) {
        #expect {
            try CustomValue.parse(typed, as: .datetime)
        } throws: { error in
            (error as? ValueError)?.message.contains("is not a date and time") == true
        }
    }

    @Test func datesKnowTheCalendar() throws {
        #expect(try CustomValue.parse("2024-02-29", as: .date).storedText == "2024-02-29")
        for bad in ["2023-02-29", "2023-13-01", "2023-00-10", "1985-3-17", "17/03/1985"] {
            #expect(throws: ValueError.self, "\(bad)") { try CustomValue.parse(bad, as: .date) }
        }
    }

    @Test func jsonMustBeAnObjectOrAnArray() throws {
        #expect(try CustomValue.parse(#"{"b": 1, "a": [true, null]}"#, as: .json).storedText == #"{"a":[true,null],"b":1}"#)
        #expect(try CustomValue.parse("[1, 2]", as: .json) == .json(.array([.number(1), .number(2)])))
        #expect {
            try CustomValue.parse("42", as: .json)
        } throws: { error in
            (error as? ValueError)?.message == "must be a JSON object or array, not a single value"
        }
        #expect {
            try CustomValue.parse("{\"a\": }", as: .json)
        } throws: { error in
            (error as? ValueError)?.message.hasPrefix("is not valid JSON (") == true
        }
    }

    @Test func selectsMatchValueOrLabelAndStoreTheValue() throws {
        let options = [SelectOption(value: "gold", label: "Gold plan"), SelectOption(value: "silver")]
        #expect(try CustomValue.parse("Gold plan", as: .select, options: options) == .select("gold"))
        #expect(try CustomValue.parse("SILVER", as: .select, options: options) == .select("silver"))
        #expect {
            try CustomValue.parse("platinum", as: .select, options: options)
        } throws: { error in
            (error as? ValueError)?.message == "“platinum” is not one of the options (Gold plan, silver)"
        }
        #expect(try CustomValue.parse("silver, gold, silver", as: .multiselect, options: options) == .multiselect(["silver", "gold"]))
        #expect(try CustomValue.parse(#"["gold"]"#, as: .multiselect, options: options) == .multiselect(["gold"]))
        #expect(throws: ValueError.self) { try CustomValue.parse("gold, bronze", as: .multiselect, options: options) }
    }

    @Test func booleans() throws {
        for yes in ["yes", "Y", "true", "1", "on"] { #expect(try CustomValue.parse(yes, as: .bool) == .bool(true)) }
        for no in ["no", "N", "false", "0", "off"] { #expect(try CustomValue.parse(no, as: .bool) == .bool(false)) }
        #expect(throws: ValueError.self) { try CustomValue.parse("perhaps", as: .bool) }
    }

    @Test func freeKeysAreTypedByTheirValueWithoutAlteringIt() {
        #expect(CustomValue.inferred(from: "42") == .number(42))
        #expect(CustomValue.inferred(from: "042") == .text("042"))
        #expect(CustomValue.inferred(from: "+15557140059") == .text("+15557140059"))
        #expect(CustomValue.inferred(from: "true") == .bool(true))
        #expect(CustomValue.inferred(from: "1985-03-17").type == .date)
        #expect(CustomValue.inferred(from: "2023-06-01T09:00:00Z").type == .datetime)
        #expect(CustomValue.inferred(from: #"{"a":1}"#).type == .json)
        #expect(CustomValue.inferred(from: "{not json").type == .text)
    }

    @Test func storedTextReadsBackAsTheSameValue() throws {
        let values: [CustomValue] = [.text(" spaced "), .number(-0.5), .number(1e21), .bool(false), .date(LocalDate(year: 2000, month: 1, day: 31)!),
                                     .datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123)), .json(.object(["k": .null])),
                                     .select("gold"), .multiselect(["a, b", "c"])]
        for value in values {
            #expect(CustomValue(storedText: value.storedText, type: value.type) == value, "\(value)")
        }
        #expect(CustomValue(storedText: "twelve", type: .number) == nil)
    }

    // MARK: - Keys and whole contacts

    @Test func customKeysOutsideTheSafeAlphabetAreAcceptedWithAWarning() {
        #expect(Validator.checkCustomKey("plan_tier2").isEmpty)
        let warned = Validator.checkCustomKey("Plan-Tier")
        #expect(warned.map(\.severity) == [.warning])
        #expect(warned.first?.description == "custom.Plan-Tier: is accepted, but keys of lowercase letters, digits and _ work best with providers")
        #expect(Validator.checkCustomKey("city").map(\.severity) == [.warning])
        for bad in ["a=b", "a:b", "two words", "tab\tkey", String(repeating: "k", count: 65)] {
            #expect(Validator.checkCustomKey(bad).map(\.severity) == [.error], "\(bad)")
        }
        #expect(Validator.checkCustomKey("").first?.field == "custom key")
    }

    @Test func aContactIsCheckedAgainstItsProvidersRules() {
        let ivvy = ProviderKind.ivvy.rules
        let contact = Contact(accountID: 1, fields: [.email: "kim@example.com", .mobilePhone: "+1 555 714 0059"])
        let (normalised, issues) = Validator.check(contact, rules: ivvy, definitions: [], isNew: true)
        #expect(normalised[.mobilePhone] == "+15557140059")
        #expect(issues.contains { $0.field.contains("first_name") || $0.field.contains("last_name") }, "\(issues)")

        let local = Validator.check(Contact(accountID: 1, fields: [.city: "Dallas"]), rules: ProviderKind.local.rules, definitions: [], isNew: true)
        #expect(local.issues.map(\.field) == ["email/mobile_phone"])

        let notifuse = Validator.check(Contact(accountID: 1, fields: [.email: "a@example.com"], custom: ["plan": .text("gold")]),
                                       rules: ProviderKind.notifuse.rules, definitions: [], isNew: true)
        #expect(notifuse.issues.map(\.description) == ["custom.plan: is not a field of this Notifuse account; add it first so it gets a slot"])
    }

    @Test func requiredAndTypedDefinitionsAreEnforced() {
        let definitions = [FieldDefinition(key: "birth_date", type: .date, isRequired: true),
                           FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "gold")])]
        let contact = Contact(accountID: 1, fields: [.email: "a@example.com"], custom: ["tier": .select("bronze")])
        let issues = Validator.check(contact, rules: ProviderKind.ivvy.rules, definitions: definitions, isNew: false).issues
        #expect(issues.map(\.field).sorted() == ["custom.birth_date", "custom.tier"])
        #expect(issues.first { $0.field == "custom.birth_date" }?.message == "is required by the account")
    }
}
