import Testing
@testable import RoloCore
import RoloProviders

extension ProviderKind {
    /// The rules of a provider this rolo knows, as its adapter states them.
    var rules: ProviderRules { ProviderCatalog.standard.profile(for: self)!.rules }
}

/// What people type into standard fields, good and hostile. Each refusal says what is wrong,
/// and once a whole contact is checked, which field it is about.
@Suite("Validation of standard fields")
struct StandardFieldValidationTests {
    // MARK: - Email

    static let longestLocalPart = String(repeating: "a", count: 64)

    @Test(arguments: [
        "rob@example.com",
        "first.last+tag@mail.example.co.uk",
        "o'brien@example.ie",
        "x_y-z@sub-domain.example.org",
        "a@b.io",
        "zoë@exämple.de",
        "用户@例子.广告",
        "rob@xn--bcher-kva.example",
        longestLocalPart + "@example.com",
    ])
    func aGoodEmailAddressIsStoredExactlyAsTyped(_ address: String) throws {
        #expect(try Validator.normalise(address, for: .email) == address)
    }

    @Test func spaceAroundAnEmailAddressIsDropped() throws {
        #expect(try Validator.normalise("  rob@example.com \n", for: .email) == "rob@example.com")
    }

    static let tooLongForAnyAddress =
        longestLocalPart + "@" + Array(repeating: String(repeating: "b", count: 63), count: 3).joined(separator: ".") + ".com"

    @Test(arguments: [
        ("rob.example.com", "it needs exactly one @, as in name@example.com"),
        ("rob@@example.com", "it needs exactly one @, as in name@example.com"),
        ("a@b@example.com", "it needs exactly one @, as in name@example.com"),
        ("@example.com", "the part before @ is empty or longer than 64 bytes"),
        (longestLocalPart + "a@example.com", "the part before @ is empty or longer than 64 bytes"),
        // 33 characters, but 66 bytes: the limit is on bytes.
        (String(repeating: "é", count: 33) + "@example.com", "the part before @ is empty or longer than 64 bytes"),
        ("rob smith@example.com", "it contains a space or a control character"),
        ("rob@exam ple.com", "it contains a space or a control character"),
        ("rob\u{00A0}smith@example.com", "it contains a space or a control character"),
        ("rob\u{3000}smith@example.com", "it contains a space or a control character"),
        (".rob@example.com", "dots cannot start, end or repeat before the @"),
        ("rob.@example.com", "dots cannot start, end or repeat before the @"),
        ("rob..smith@example.com", "dots cannot start, end or repeat before the @"),
        ("rob<script>@example.com", "the part before @ has a character like , ; < > or \""),
        ("\"rob\"@example.com", "the part before @ has a character like , ; < > or \""),
        ("rob,smith@example.com", "the part before @ has a character like , ; < > or \""),
        ("rob:smith@example.com", "the part before @ has a character like , ; < > or \""),
        ("rob\\smith@example.com", "the part before @ has a character like , ; < > or \""),
        ("rob[1]@example.com", "the part before @ has a character like , ; < > or \""),
        ("rob@localhost", "the domain after @ should look like example.com"),
        ("rob@example.c", "the domain after @ should look like example.com"),
        ("rob@-example.com", "the domain after @ should look like example.com"),
        ("rob@example-.com", "the domain after @ should look like example.com"),
        ("rob@example..com", "the domain after @ should look like example.com"),
        ("rob@.example.com", "the domain after @ should look like example.com"),
        ("rob@example.com.", "the domain after @ should look like example.com"),
        ("rob@ex_ample.com", "the domain after @ should look like example.com"),
        ("rob@example.123", "the domain after @ should look like example.com"),
        ("rob@192.168.0.1", "the domain after @ should look like example.com"),
        ("rob@[127.0.0.1]", "the domain after @ should look like example.com"),
        ("rob@" + String(repeating: "d", count: 64) + ".com", "the domain after @ should look like example.com"),
    ])
    func aBadEmailAddressIsQuotedAndTheReasonGiven(_ address: String, _ reason: String) {
        #expect(refusal { try Validator.normalise(address, for: .email) } == "“\(address)” is not an email address (\(reason))")
    }

    @Test func aDomainLabelOf63CharactersIsTheLongestAccepted() throws {
        let address = "rob@" + String(repeating: "d", count: 63) + ".com"
        #expect(try Validator.normalise(address, for: .email) == address)
    }

    @Test func anAddressOverTheTotalLimitIsRefusedWithoutEchoingIt() {
        #expect(Self.tooLongForAnyAddress.utf8.count > 254)
        #expect(refusal { try Validator.normalise(Self.tooLongForAnyAddress, for: .email) }
            == "is longer than 254 bytes, the most an address can have")
    }

    @Test(arguments: [
        ("evil\u{1B}[2J@example.com", "001B"),
        ("rob\u{0}@example.com", "0000"),
        ("rob\tsmith@example.com", "0009"),
        ("rob\u{7F}@example.com", "007F"),
        ("rob\u{85}x@example.com", "0085"),
        ("rob\u{9B}31m@example.com", "009B"),
    ])
    func aControlCharacterInAnAddressIsNamedByItsCodePoint(_ address: String, _ code: String) {
        #expect(refusal { try Validator.normalise(address, for: .email) }
            == "contains a control character (U+\(code)); type it without one")
    }

    @Test func theEmailCheckOnItsOwnAlsoRefusesControlCharacters() {
        #expect(refusal { try Validator.checkEmail("rob\u{1B}@example.com") }
            == "“rob\u{1B}@example.com” is not an email address (it contains a space or a control character)")
    }

    // MARK: - Phones

    @Test(arguments: [
        ("+1 (555) 714-0059", "+15557140059"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+44.20.7946.0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+81-3-1234-5678", "+81312345678"),
        ("(+49) 30 1234567", "+49301234567"),
        ("+1/555/714/0059", "+15557140059"),
        ("+1\u{00A0}555\u{00A0}714\u{00A0}0059", "+15557140059"),
        ("  +15557140059  ", "+15557140059"),
        ("+44 (0)20 7946 0958", "+442079460958"),           // the trunk prefix, dialled only at home
        ("+49 (0) 89 1234-5678", "+498912345678"),
        ("0041 ( 0 )79 123 45 67", "+41791234567"),
        ("tel:+1-212-555-0100", "+12125550100"),            // a tel: URI, as vCard 4.0 and some CSVs write it
        ("+1234567", "+1234567"),                           // 7 digits, the fewest
        ("+123456789012345", "+123456789012345"),           // 15 digits, the most
    ])
    func phoneNumbersAreStoredInE164(_ typed: String, _ stored: String) throws {
        #expect(try Validator.normalise(typed, for: .phone) == stored)
        #expect(try Validator.normalise(typed, for: .mobilePhone) == stored)
        #expect(try Validator.normalisePhone(typed.trimmed) == stored)
    }

    static let noCountryCode = "has no country code (write it in international form, e.g. +15557140059 or +44 20 7946 0958)"
    static let notDigits = "is not a phone number (only digits, spaces, dashes, dots and brackets may follow +)"
    static let notE164 = "is not an E.164 number (a country code without 0, then 7 to 15 digits in all)"

    @Test(arguments: [
        ("555 714 0059", noCountryCode),
        ("1-800-FLOWERS", noCountryCode),
        ("hello", "is not a phone number (write it in international form, e.g. +15557140059)"),
        ("+1 555 CALL NOW", notDigits),
        ("++15557140059", notDigits),
        ("+1 555 714 0059 ext 12", notDigits),
        ("+1 555 714\u{2009}0059", notDigits),              // a thin space is not one of the separators
        ("+１５５５７１４００５９", notDigits),                 // full-width digits
        ("+١٥٥٥٧١٤٠٠٥٩", notDigits),                         // Arabic-Indic digits
        ("+123456", notE164),
        ("+1234567890123456", notE164),
        ("+0155571400", notE164),
        ("00 0155571400", notE164),
        ("+", notE164),
        ("00", notE164),
        ("+ - . ( )", notE164),
    ])
    func aBadPhoneNumberIsQuotedAndTheReasonGiven(_ typed: String, _ reason: String) {
        #expect(refusal { try Validator.normalise(typed, for: .mobilePhone) } == "“\(typed)” \(reason)")
    }

    @Test func aTabInsideAPhoneNumberIsAControlCharacterNotASeparator() {
        #expect(refusal { try Validator.normalise("+1\t555 714 0059", for: .phone) }
            == "contains a control character (U+0009); type it without one")
    }

    // MARK: - Other kinds

    @Test(arguments: ["example.com", "www.example.co.uk", "https://example.com/path?q=1#top", "HTTP://EXAMPLE.COM", "http://example.com:8080"])
    func aWebAddressWithOrWithoutSchemeIsKept(_ typed: String) throws {
        #expect(try Validator.normalise(typed, for: .website) == typed)
    }

    @Test(arguments: ["not a site", "ftp://example.com", "localhost", "http://localhost", "javascript:alert(1)", "https://exa mple.com", "file:///etc/passwd"])
    func somethingThatIsNotAWebAddressIsRefused(_ typed: String) {
        #expect(refusal { try Validator.normalise(typed, for: .website) }
            == "“\(typed)” is not a web address (write e.g. https://example.com or example.com)")
    }

    @Test(arguments: ["America/Chicago", "Europe/London", "Asia/Tokyo", "UTC"])
    func anIANATimeZoneNameIsKept(_ typed: String) throws {
        #expect(try Validator.normalise(typed, for: .timezone) == typed)
    }

    @Test(arguments: ["Mars/Olympus", "Central Time", "../../../etc/passwd", "/usr/share/zoneinfo/UTC"])
    func anUnknownTimeZoneIsRefused(_ typed: String) {
        #expect(refusal { try Validator.normalise(typed, for: .timezone) }
            == "“\(typed)” is not a time zone name (write an IANA name such as America/New_York or UTC)")
    }

    @Test(arguments: ["en", "en-US", "pt-BR", "gsw", "es-419", "zh-Hant-TW", "sl-rozaj-biske"])
    func aLanguageTagIsKept(_ typed: String) throws {
        #expect(Validator.isLanguageTag(typed))
        #expect(try Validator.normalise(typed, for: .language) == typed)
    }

    @Test(arguments: ["e", "english", "en_US", "en-", "-en", "en--us", "en-toolongtag", "e1", "ｅｎ", "ën"])
    func somethingThatIsNotALanguageTagIsRefused(_ typed: String) {
        #expect(!Validator.isLanguageTag(typed))
        #expect(refusal { try Validator.normalise(typed, for: .language) }
            == "“\(typed)” is not a language tag (write e.g. en, en-US or pt-BR)")
    }

    @Test(arguments: [StandardField.emailOptOut, .smsOptOut, .phoneOptOut])
    func optOutFlagsAreStoredAsTrueOrFalse(_ field: StandardField) throws {
        for yes in ["yes", "Yes", "Y", "TRUE", "t", "1", "on"] {
            #expect(try Validator.normalise(yes, for: field) == "true", "\(yes)")
        }
        for no in ["no", "N", "false", "F", "0", "OFF"] {
            #expect(try Validator.normalise(no, for: field) == "false", "\(no)")
        }
        for other in ["maybe", "2", "yes please", "ja"] {
            #expect(refusal { try Validator.normalise(other, for: field) } == "“\(other)” is not yes or no")
        }
    }

    // MARK: - Text and empty input

    @Test(arguments: StandardField.allCases)
    func blankInputClearsEveryField(_ field: StandardField) throws {
        #expect(try Validator.normalise("", for: field) == nil)
        #expect(try Validator.normalise(" \t\n\u{00A0}\u{3000} ", for: field) == nil)
    }

    @Test func plainTextIsTrimmedButOtherwiseKept() throws {
        #expect(try Validator.normalise("  Dallas \n", for: .city) == "Dallas")
        #expect(try Validator.normalise("Zoë 山田 👩‍💻", for: .fullName) == "Zoë 山田 👩‍💻")
        #expect(refusal { try Validator.normalise("Dal\u{1B}[31mlas", for: .city) }
            == "contains a control character (U+001B); type it without one")
    }

    @Test func notesKeepTheirInnerLineBreaksAndTabs() throws {
        #expect(try Validator.normalise("\n line one\n\tline two \n", for: .notes) == "line one\n\tline two")
    }
}

@Suite("Validation of whole contacts")
struct ContactValidationTests {
    @Test(arguments: [
        (StandardField.email, "rob.example.com", "email: “rob.example.com” is not an email address (it needs exactly one @"),
        (.mobilePhone, "555 0100", "mobile_phone: “555 0100” has no country code"),
        (.phone, "+1 abc", "phone: “+1 abc” is not a phone number"),
        (.website, "ftp://example.org", "website: “ftp://example.org” is not a web address"),
        (.timezone, "Mars/Olympus", "timezone: “Mars/Olympus” is not a time zone name"),
        (.language, "english", "language: “english” is not a language tag"),
        (.smsOptOut, "maybe", "sms_opt_out: “maybe” is not yes or no"),
        (.city, "Dal\u{1B}las", "city: contains a control character (U+001B)"),
        (.addressLine1, "1 Main\u{85}St", "address_line_1: contains a control character (U+0085)"),
    ])
    func everyRefusalNamesItsField(_ field: StandardField, _ value: String, _ start: String) {
        let contact = makeContact([field: value])
        let issues = Validator.check(contact, rules: ProviderKind.local.rules, definitions: [], isNew: false).issues
        #expect(issues.count == 1)
        #expect(issues.first?.field == field.key)
        #expect(issues.first?.severity == .error)
        #expect(issues.first?.description.hasPrefix(start) == true, "\(issues)")
    }

    @Test func checkingReturnsTheContactWithValuesNormalised() {
        let contact = makeContact([.email: " kim@example.com ", .mobilePhone: "+1 (555) 714-0059", .emailOptOut: "Yes",
                                   .city: "  Austin\t", .country: "   "])
        let (normalised, issues) = Validator.check(contact, rules: ProviderKind.local.rules, definitions: [], isNew: true)
        #expect(issues.isEmpty)
        #expect(normalised.fields == [.email: "kim@example.com", .mobilePhone: "+15557140059", .emailOptOut: "true", .city: "Austin"])
        #expect(normalised.uid == contact.uid)
    }

    @Test func aRefusedValueIsLeftAsTypedInTheReturnedContact() {
        let contact = makeContact([.email: "not-an-address", .mobilePhone: "+1 555 714 0059"])
        let (normalised, issues) = Validator.check(contact, rules: ProviderKind.local.rules, definitions: [], isNew: true)
        #expect(normalised[.email] == "not-an-address")
        #expect(normalised[.mobilePhone] == "+15557140059")
        #expect(issues.map(\.field) == ["email"])
    }

    @Test(arguments: [
        (ProviderKind.local, [StandardField.city: "Dallas"], "email/mobile_phone: Local needs email or mobile phone"),
        (.local, [.email: "   ", .city: "Dallas"], "email/mobile_phone: Local needs email or mobile phone"),
        (.dailystory, [.phone: "+15557140059"], "email/mobile_phone: DailyStory needs email or mobile phone"),
        (.notifuse, [.mobilePhone: "+15557140059"], "email: Notifuse needs email"),
        (.ivvy, [.city: "Dallas"], "first_name: iVvy needs first name, last name, email"),
        (.ivvy, [.firstName: "Kim", .email: "kim@example.com"], "last_name: iVvy needs last name"),
    ])
    func aNewContactWithoutTheRequiredFieldsNamesTheMissingOnes(_ provider: ProviderKind, _ fields: [StandardField: String], _ expected: String) {
        let issues = Validator.check(makeContact(fields), rules: provider.rules, definitions: [], isNew: true).issues
        #expect(issues.map(\.description) == [expected])
    }

    @Test(arguments: [
        (ProviderKind.local, [StandardField.mobilePhone: "+15557140059"]),
        (.dailystory, [.email: "kim@example.com"]),
        (.notifuse, [.email: "kim@example.com"]),
        (.ivvy, [.firstName: "Kim", .lastName: "Lee", .email: "kim@example.com"]),
    ])
    func aNewContactWithTheRequiredFieldsPasses(_ provider: ProviderKind, _ fields: [StandardField: String]) {
        #expect(Validator.check(makeContact(fields), rules: provider.rules, definitions: [], isNew: true).issues.isEmpty)
    }

    @Test func requiredStandardFieldsAreOnlyCheckedWhenCreating() {
        let contact = makeContact([.city: "Dallas"])
        #expect(Validator.check(contact, rules: ProviderKind.ivvy.rules, definitions: [], isNew: false).issues.isEmpty)
    }

    @Test func missingRequiredListsEveryUnmetChoiceInWords() {
        let ivvy = ProviderKind.ivvy.rules
        #expect(ivvy.missingRequired(in: [:]) == "iVvy needs first name, last name, email")
        #expect(ivvy.missingRequired(in: [.lastName: ""]) == "iVvy needs first name, last name, email")
        #expect(ivvy.missingRequired(in: [.firstName: "a", .lastName: "b", .email: "c"]) == nil)
        #expect(ProviderKind.local.rules.missingRequired(in: [.mobilePhone: "+15557140059"]) == nil)
    }

    // MARK: - Custom values against the account

    @Test func eachProvidersCustomFieldModelHasItsOwnComplaint() {
        let values: [String: CustomValue] = ["score": .number(5), "plan": .text("gold")]
        #expect(Validator.checkCustomValues(values, rules: ProviderKind.local.rules, definitions: []).isEmpty)
        #expect(Validator.checkCustomValues(values, rules: ProviderKind.dailystory.rules, definitions: []).map(\.description)
            == ["custom.score: DailyStory stores custom values as text"])
        #expect(Validator.checkCustomValues(values, rules: ProviderKind.notifuse.rules, definitions: []).map(\.description) == [
            "custom.plan: is not a field of this Notifuse account; add it first so it gets a slot",
            "custom.score: is not a field of this Notifuse account; add it first so it gets a slot",
        ])
        #expect(Validator.checkCustomValues(values, rules: ProviderKind.ivvy.rules, definitions: []).map(\.description) == [
            "custom.plan: is not one of the custom fields iVvy defines for this account",
            "custom.score: is not one of the custom fields iVvy defines for this account",
        ])
    }

    @Test func freeKeysAreCheckedForShapeOnAccountsThatTakeAnyKey() {
        let issues = Validator.checkCustomValues(["Plan Tier": .text("gold"), "VIP": .text("yes")],
                                                 rules: ProviderKind.dailystory.rules, definitions: [])
        #expect(issues.map(\.field) == ["custom.Plan Tier", "custom.VIP"])
        #expect(issues.map(\.severity) == [.error, .warning])
    }

    @Test func aDefinitionDecidesOverTheProvidersKeyRules() {
        let definitions = [FieldDefinition(key: "plan", type: .text)]
        #expect(Validator.checkCustomValues(["plan": .text("gold")], rules: ProviderKind.ivvy.rules, definitions: definitions).isEmpty)
    }

    static let definitions = [
        FieldDefinition(key: "birth_date", type: .date, isRequired: true),
        FieldDefinition(key: "guests", type: .number, wholeNumbersOnly: true),
        FieldDefinition(key: "note", type: .text, maxLength: 255),
        FieldDefinition(key: "score", type: .number),
        FieldDefinition(key: "tags", type: .multiselect, options: [SelectOption(value: "vip"), SelectOption(value: "press")]),
        FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "gold", label: "Gold plan")]),
    ]

    @Test func typedValuesAreCheckedAgainstTheirDefinitionsAndNamed() {
        let contact = makeContact([.firstName: "Kim", .lastName: "Lee", .email: "kim@example.com"], custom: [
            "guests": .number(2.5),
            "note": .text(String(repeating: "n", count: 256)),
            "score": .text("high"),
            "tags": .multiselect(["vip", "staff"]),
            "tier": .select("bronze"),
        ])
        let issues = Validator.check(contact, rules: ProviderKind.ivvy.rules, definitions: Self.definitions, isNew: true).issues
        #expect(issues.map(\.description) == [
            "custom.guests: must be a whole number",
            "custom.note: is 256 characters long; the most it can hold is 255",
            "custom.score: holds text, but the field is number",
            "custom.tags: “staff” is not one of the options",
            "custom.tier: “bronze” is not one of the options",
            "custom.birth_date: is required by the account",
        ])
    }

    @Test func valuesThatFitTheirDefinitionsPass() {
        let contact = makeContact([.email: "kim@example.com"], custom: [
            "birth_date": .date(LocalDate(year: 1985, month: 3, day: 17)!),
            "guests": .number(3),
            "note": .text(String(repeating: "n", count: 255)),
            "tags": .multiselect([]),
            "tier": .select("gold"),
        ])
        #expect(Validator.check(contact, rules: ProviderKind.ivvy.rules, definitions: Self.definitions, isNew: false).issues.isEmpty)
    }

    @Test func aValidationFailureListsEveryIssueOnItsOwnLine() {
        let failure = ValidationFailure([ValidationIssue(field: "email", message: "is wrong"),
                                         ValidationIssue(field: "custom.x", message: "is odd", severity: .warning)])
        #expect(failure.description == "email: is wrong\ncustom.x: is odd")
        // The error a command prints leaves warnings out.
        #expect(RoloError.invalid(failure.issues).description == "email: is wrong")
        #expect(RoloError.invalid(field: "city", "is too long").description == "city: is too long")
    }
}

@Suite("Custom keys")
struct CustomKeyTests {
    @Test(arguments: ["plan", "plan_tier2", "x", "_", "a1", "2fa", String(repeating: "k", count: 64)])
    func keysOfLowercaseLettersDigitsAndUnderscoresAreClean(_ key: String) {
        #expect(Validator.checkCustomKey(key).isEmpty)
    }

    @Test(arguments: ["Plan-Tier", "PLAN", "plan.tier", "prénom", "名前", "vip?", String(repeating: "é", count: 64)])
    func otherKeysAreAcceptedWithAWarningThatNamesThem(_ key: String) {
        #expect(Validator.checkCustomKey(key) == [ValidationIssue(
            field: "custom.\(key)", message: "is accepted, but keys of lowercase letters, digits and _ work best with providers",
            severity: .warning)])
    }

    @Test func theWarningReadsAsASentenceAboutTheField() {
        #expect(Validator.checkCustomKey("Plan-Tier").map(\.description)
            == ["custom.Plan-Tier: is accepted, but keys of lowercase letters, digits and _ work best with providers"])
    }

    @Test(arguments: ["city", "zip", "first-name"])
    func aKeyNamedLikeAStandardFieldIsWarnedAbout(_ key: String) {
        let issues = Validator.checkCustomKey(key)
        #expect(issues.last == ValidationIssue(
            field: "custom.\(key)", message: "has the name of a standard field; write it as custom.\(key) in commands and queries",
            severity: .warning))
        #expect(issues.allSatisfy { $0.severity == .warning })
    }

    @Test func aCapitalisedStandardNameGetsBothWarnings() {
        #expect(Validator.checkCustomKey("City").map(\.message) == [
            "is accepted, but keys of lowercase letters, digits and _ work best with providers",
            "has the name of a standard field; write it as custom.City in commands and queries",
        ])
    }

    @Test(arguments: ["a=b", "a:b", "two words", "tab\tkey", "line\nbreak", "nbsp\u{00A0}key", "esc\u{1B}key", "nul\u{0}", "del\u{7F}", "csi\u{9B}"])
    func keysThatWouldBreakKeyValueOrFieldTermSyntaxAreRefused(_ key: String) {
        #expect(Validator.checkCustomKey(key) == [ValidationIssue(
            field: "custom.\(key)", message: "must not contain =, :, spaces or control characters")])
    }

    @Test func tooLongAndEmptyKeysAreRefused() {
        let long = String(repeating: "k", count: 65)
        #expect(Validator.checkCustomKey(long) == [ValidationIssue(field: "custom.\(long)", message: "is longer than 64 characters")])
        #expect(Validator.checkCustomKey(String(repeating: "é", count: 65)).map(\.message) == ["is longer than 64 characters"])
        #expect(Validator.checkCustomKey("") == [ValidationIssue(field: "custom key", message: "is empty")])
    }
}

@Suite("Notifuse slots")
struct NotifuseSlotTests {
    let rules = ProviderKind.notifuse.rules

    @Test func thereAreFiveSlotsOfEachOfFourTypes() {
        #expect(NotifuseProfile.slots.count == 20)
        #expect(NotifuseProfile.slots.first { $0.type == .json }?.id == "custom_json_1")
        #expect(NotifuseProfile.slots.filter { $0.type == .datetime }.map(\.id).last == "custom_datetime_5")
        #expect(rules.slotTypes == [.text, .number, .datetime, .json])
    }

    @Test func aNewFieldTakesTheFirstFreeSlotOfItsType() {
        let taken = [FieldDefinition(key: "a", type: .text, providerRef: "custom_string_1"),
                     FieldDefinition(key: "b", type: .text, providerRef: "custom_string_3")]
        #expect(rules.freeSlot(for: .text, taken: taken)?.id == "custom_string_2")
        #expect(rules.freeSlot(for: .number, taken: taken)?.id == "custom_number_1")
        let full = (1...5).map { FieldDefinition(key: "n\($0)", type: .number, providerRef: "custom_number_\($0)") }
        #expect(rules.freeSlot(for: .number, taken: full) == nil)
        #expect(rules.freeSlot(for: .bool, taken: []) == nil)
    }
}

@Suite("Validation: hidden characters")
struct HiddenCharacterTests {
    @Test(arguments: ["rob\u{200B}@example.com", "a\u{202E}b@example.com", "rob@exa\u{2060}mple.com"])
    func anAddressWithAnInvisibleCharacterIsRefused(_ address: String) {
        #expect {
            try Validator.normalise(address, for: .email)
        } throws: { error in
            (error as? ValueError)?.message.contains("invisible character") == true
        }
    }

    @Test func notesKeepLineBreaksAndTabsButNotEscapes() throws {
        #expect(try Validator.normalise("one\n\ttwo", for: .notes) == "one\n\ttwo")
        #expect(throws: ValueError.self) { try Validator.normalise("bell\u{07}", for: .notes) }
        #expect(throws: ValueError.self) { try Validator.normalise("clear\u{1B}[2J", for: .notes) }
    }
}

/// Custom values and provider data follow the standard fields' control-character rule: none,
/// except tabs and line breaks in free text (a text value, the strings of a JSON document).
@Suite("Control characters in custom values")
struct CustomValueControlCharacterTests {
    static let hostile: [(CustomValue, UInt32)] = [
        (.text("gold\u{1B}]0;pwned\u{07}"), 0x1B),
        (.text("csi \u{9B}2J"), 0x9B),
        (.text("nul\u{0}"), 0x00),
        (.text("del\u{7F}"), 0x7F),
        (.select("go\u{07}ld"), 0x07),
        (.multiselect(["ok", "line\nbreak"]), 0x0A),
        (.json(.object(["note": .string("x\u{1B}[31m")])), 0x1B),
        (.json(.array([.object(["k\tey": .string("tab in a key")])])), 0x09),
    ]

    @Test(arguments: hostile)
    func refused(_ value: CustomValue, _ scalar: UInt32) {
        #expect(throws: ValueError("contains a control character (U+\(String(format: "%04X", scalar))); type it without one")) {
            try Validator.checkControlCharacters(in: value)
        }
    }

    @Test(arguments: [
        CustomValue.text("two\nlines\r\nand\ta tab"), .json(.object(["note": .string("line\nbreak\ttab")])),
        .select("gold"), .multiselect(["a", "b"]), .number(1), .bool(true),
    ])
    func accepted(_ value: CustomValue) throws {
        try Validator.checkControlCharacters(in: value)
    }

    @Test func aWholeContactNamesTheCustomFieldAndTheProviderData() {
        let contact = Contact(accountID: 1, fields: [.email: "a@example.com"], custom: ["plan": .text("x\u{07}")],
                              extensions: ["dailystory": .object(["note": .string("\u{1B}]8;;")])])
        let (_, issues) = Validator.check(contact, rules: ProviderKind.local.rules, definitions: [], isNew: true)
        #expect(issues.map(\.field) == ["custom.plan", "extensions.dailystory"])
    }
}
