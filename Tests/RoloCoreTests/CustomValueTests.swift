import Testing
@testable import RoloCore

/// Typed custom values: reading what people type, storing, showing, and reading back.
@Suite("Custom values")
struct CustomValueTests {
    // MARK: - Numbers

    @Test(arguments: [
        ("42", 42.0), ("-1250.5", -1250.5), ("1e3", 1000.0), ("1E-2", 0.01), ("1e+2", 100.0), ("+7", 7.0),
        (" 3.25 ", 3.25), (".5", 0.5), ("5.", 5.0), ("007", 7.0), ("-0", 0.0),
    ])
    func aPlainDecimalNumberIsRead(_ typed: String, _ value: Double) throws {
        #expect(try CustomValue.parse(typed, as: .number) == .number(value))
    }

    @Test(arguments: ["1,000", "1 000", "0x1F", "inf", "-inf", "nan", "12abc", "", ".", "-", "1e", "e5", "--1", "+-1",
                      "1-2", "1.2.3", "1e2.5", "1e2e3", "1e999", "-1e999", "٤٢", "½", "1_000"])
    func anythingElseIsNotANumber(_ typed: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .number) }
            == "“\(typed.trimmed)” is not a number (write digits with an optional sign, point and exponent, e.g. 42 or -1250.5)")
    }

    @Test(arguments: [("123456789012345", 123456789012345.0), ("-0.000123456789012345", -0.000123456789012345),
                      ("1200000000000000000000", 1.2e21), ("1.50000000000000000000", 1.5)])
    func fifteenSignificantDigitsAreKeptExactly(_ typed: String, _ value: Double) throws {
        #expect(try CustomValue.parse(typed, as: .number) == .number(value))
    }

    @Test(arguments: ["1234567890123456", "99999999999999999999999", "3.1415926535897932", "-1.0000000000000001e5"])
    func moreDigitsThanADoubleKeepsAreRefused(_ typed: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .number) }
            == "“\(typed)” has more digits than a number field keeps exactly (15 significant digits at most; store it in a text field)")
    }

    // MARK: - Date and time

    @Test func bothDatetimeFormsNameTheSameInstant() throws {
        let plain = try CustomValue.parse("2023-06-01 09:00:00", as: .datetime)
        #expect(try CustomValue.parse("2023-06-01T11:00:00+02:00", as: .datetime) == plain)
        #expect(try CustomValue.parse("2023-06-01T09:00:00Z", as: .datetime) == plain)
        #expect(try CustomValue.parse(" 2023-06-01 09:00:00 UTC ", as: .datetime) == plain)
        #expect(plain.storedText == "2023-06-01T09:00:00Z")
    }

    @Test(arguments: [
        "2026-02-30 10:00:00",        // no such day
        "2023-06-01 24:00:00",
        "2023-06-01 25:00:00",
        "2023-06-01T09:60:00Z",
        "2023-06-01T09:00:61Z",
        "2023-06-01T09:00:00+25:00",
        "2023-06-01T09:00:00+0200",
        "2023-06-01T09:00",
        "2023-6-1 9:00:00",
        "2023-06-01",
        "06/01/2023 09:00",
        "yesterday",
        "",
    ])
    func anImpossibleOrMisshapenDatetimeIsRefused(_ typed: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .datetime) }
            == "“\(typed)” is not a date and time (write yyyy-mm-dd HH:mm:ss in UTC, or RFC 3339 like 2023-06-01T09:00:00+02:00)")
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "1985-03-17"])
    func aRealCalendarDateIsRead(_ typed: String) throws {
        #expect(try CustomValue.parse(typed, as: .date).storedText == typed)
    }

    @Test(arguments: ["2023-02-29", "1900-02-29", "2026-02-30", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00",
                      "0000-01-01", "1985-3-17", "17/03/1985", "2023-01-01T00:00:00Z", "２０２３-01-01", "today"])
    func aDateThatDoesNotExistOrIsMisshapenIsRefused(_ typed: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .date) } == "“\(typed)” is not a date (write yyyy-mm-dd, e.g. 1985-03-17)")
    }

    // MARK: - Booleans

    @Test func yesAndNoHaveSeveralSpellings() throws {
        for yes in ["yes", "Y", "true", "T", "1", "on", " ON "] { #expect(try CustomValue.parse(yes, as: .bool) == .bool(true)) }
        for no in ["no", "n", "FALSE", "f", "0", "off"] { #expect(try CustomValue.parse(no, as: .bool) == .bool(false)) }
        #expect(refusal { try CustomValue.parse("perhaps", as: .bool) } == "“perhaps” is not yes or no (write yes, no, true or false)")
        #expect(refusal { try CustomValue.parse("", as: .bool) } == "“” is not yes or no (write yes, no, true or false)")
    }

    // MARK: - JSON

    @Test func jsonValuesAreObjectsOrArraysStoredCanonically() throws {
        #expect(try CustomValue.parse(#" {"b": 1, "a": [true, null]} "#, as: .json).storedText == #"{"a":[true,null],"b":1}"#)
        #expect(try CustomValue.parse("[1, 2]", as: .json) == .json(.array([.number(1), .number(2)])))
        #expect(try CustomValue.parse("{}", as: .json) == .json(.object([:])))
    }

    @Test(arguments: ["42", "\"text\"", "true", "null", "-0.5"])
    func aSingleJsonValueIsRefused(_ typed: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .json) } == "must be a JSON object or array, not a single value")
    }

    @Test(arguments: [
        (#"{"a": }"#, "line 1, column 7: expected a value, found “}”"),
        ("[1, 2,]", "line 1, column 7: expected a value after “,”, found “]” (a trailing comma is not allowed)"),
        ("{a: 1}", "line 1, column 2: expected a key in double quotes, found “a”"),
        ("", "line 1, column 1: the text is empty; expected a JSON value"),
    ])
    func malformedJsonSaysWhereItGoesWrong(_ typed: String, _ detail: String) {
        #expect(refusal { try CustomValue.parse(typed, as: .json) } == "is not valid JSON (\(detail))")
    }

    // MARK: - Select and multiselect

    static let plans = [SelectOption(value: "gold", label: "Gold plan"), SelectOption(value: "silver")]

    @Test(arguments: [("gold", "gold"), ("Gold plan", "gold"), ("GOLD PLAN", "gold"), ("SILVER", "silver"), ("  silver ", "silver")])
    func aSelectMatchesAValueOrLabelInAnyCaseAndStoresTheValue(_ typed: String, _ stored: String) throws {
        #expect(try CustomValue.parse(typed, as: .select, options: Self.plans) == .select(stored))
    }

    @Test func aSelectOutsideTheOptionsListsThemByLabel() {
        #expect(refusal { try CustomValue.parse("platinum", as: .select, options: Self.plans) }
            == "“platinum” is not one of the options (Gold plan, silver)")
    }

    @Test func anExactValueWinsOverAnotherOptionsLabel() throws {
        let options = [SelectOption(value: "a", label: "B"), SelectOption(value: "B")]
        #expect(try CustomValue.parse("B", as: .select, options: options) == .select("B"))
        #expect(try CustomValue.parse("b", as: .select, options: options) == .select("a"))
    }

    @Test func aLongOptionListIsCutAfterEightLabels() {
        let options = (1...10).map { SelectOption(value: "o\($0)") }
        #expect(refusal { try CustomValue.parse("o11", as: .select, options: options) }
            == "“o11” is not one of the options (o1, o2, o3, o4, o5, o6, o7, o8, …)")
    }

    @Test func withoutOptionsASelectTakesAnyTrimmedText() throws {
        #expect(try CustomValue.parse("  anything goes ", as: .select) == .select("anything goes"))
    }

    @Test(arguments: [
        ("silver, gold, silver", ["silver", "gold"]),
        ("Gold plan,silver", ["gold", "silver"]),
        (",, gold ,,", ["gold"]),
        (#"["gold", "silver"]"#, ["gold", "silver"]),
        ("", []),
    ])
    func aMultiselectReadsCommasOrAJsonArrayAndDropsRepeats(_ typed: String, _ stored: [String]) throws {
        #expect(try CustomValue.parse(typed, as: .multiselect, options: Self.plans) == .multiselect(stored))
    }

    @Test func aMultiselectRefusesTheFirstUnknownChoice() {
        #expect(refusal { try CustomValue.parse("gold, bronze, tin", as: .multiselect, options: Self.plans) }
            == "“bronze” is not one of the options (Gold plan, silver)")
    }

    @Test func withoutOptionsAMultiselectKeepsEachDistinctChoice() throws {
        #expect(try CustomValue.parse("a, b, a", as: .multiselect) == .multiselect(["a", "b"]))
    }

    // MARK: - Text

    @Test func textIsKeptExactlyAsTyped() throws {
        #expect(try CustomValue.parse("  spaced out\n", as: .text) == .text("  spaced out\n"))
        #expect(try CustomValue.parse("", as: .text) == .text(""))
    }

    // MARK: - Free keys

    @Test(arguments: [
        ("42", CustomValue.number(42)),
        ("-0.5", .number(-0.5)),
        ("042", .text("042")),
        ("42.0", .text("42.0")),
        ("1e3", .text("1e3")),
        ("+15557140059", .text("+15557140059")),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("True", .text("True")),
        ("yes", .text("yes")),
        ("1985-03-17", .date(LocalDate(year: 1985, month: 3, day: 17)!)),
        ("1985-02-30", .text("1985-02-30")),
        ("2023-06-01T09:00:00Z", .datetime(Timestamp(parsing: "2023-06-01T09:00:00Z")!)),
        ("2023-06-01 09:00:00", .text("2023-06-01 09:00:00")),
        ("2024-01-01T10:00:00+02:00", .text("2024-01-01T10:00:00+02:00")),   // UTC would change the text
        (#"{"b": 1, "a": 2}"#, .text(#"{"b": 1, "a": 2}"#)),                  // so would sorting and spacing
        (#"{"a":1}"#, .json(.object(["a": .number(1)]))),
        ("[]", .json(.array([]))),
        ("{not json", .text("{not json")),
        ("null", .text("null")),
        ("", .text("")),
    ])
    func aFreeKeysTypeIsGuessedOnlyWhenNothingTypedWouldChange(_ typed: String, _ value: CustomValue) {
        #expect(CustomValue.inferred(from: typed) == value)
    }

    // MARK: - Stored, shown and JSON forms

    static let samples: [CustomValue] = [
        .text(" spaced "), .text(""), .number(-0.5), .number(42), .number(1e21), .number(0.1), .bool(false), .bool(true),
        .date(LocalDate(year: 2000, month: 1, day: 31)!), .datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123)),
        .datetime(Timestamp(millisecondsSinceEpoch: -1)), .json(.object(["k": .null, "a": .array([.string("x\n")])])),
        .select("gold"), .multiselect(["a, b", "c\"d"]), .multiselect([]),
    ]

    @Test(arguments: samples)
    func theStoredTextReadsBackAsTheSameValue(_ value: CustomValue) {
        #expect(CustomValue(storedText: value.storedText, type: value.type) == value)
    }

    @Test func storedTextHasOneFixedFormPerType() {
        #expect(CustomValue.number(42).storedText == "42")
        #expect(CustomValue.number(-0.5).storedText == "-0.5")
        #expect(CustomValue.bool(true).storedText == "true")
        #expect(CustomValue.date(LocalDate(year: 985, month: 3, day: 7)!).storedText == "0985-03-07")
        #expect(CustomValue.datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123)).storedText == "2023-11-14T22:13:20.123Z")
        #expect(CustomValue.multiselect(["a, b", "c"]).storedText == #"["a, b","c"]"#)
        #expect(CustomValue.json(.object(["b": .number(1), "a": .bool(false)])).storedText == #"{"a":false,"b":1}"#)
    }

    @Test(arguments: [
        ("twelve", FieldType.number), ("1,5", .number), ("2023-02-30T00:00:00Z", .datetime), ("2023-02-30", .date),
        ("maybe", .bool), ("42", .json), ("{broken", .json), (#"{"a":1}"#, .multiselect), ("[1]", .multiselect),
        (#"["a", 1]"#, .multiselect),
    ])
    func aDamagedStoredValueReadsAsNil(_ text: String, _ type: FieldType) {
        #expect(CustomValue(storedText: text, type: type) == nil)
    }

    @Test func theDisplayedTextIsFriendlierThanTheStoredText() {
        #expect(CustomValue.datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123)).displayText == "2023-11-14 22:13:20 UTC")
        #expect(CustomValue.bool(true).displayText == "yes")
        #expect(CustomValue.bool(false).displayText == "no")
        #expect(CustomValue.multiselect(["vip", "press"]).displayText == "vip, press")
        #expect(CustomValue.number(1250.5).displayText == "1250.5")
        #expect(CustomValue.text(" as is ").displayText == " as is ")
    }

    @Test(arguments: [
        CustomValue.text("hello"), .number(-3.75), .bool(true), .bool(false), .date(LocalDate(year: 1985, month: 3, day: 17)!),
        .datetime(Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)), .json(.array([.number(1), .object([:])])),
        .select("gold"), .multiselect(["gold", "silver"]),
    ])
    func theDisplayedTextParsesBackToTheSameValue(_ value: CustomValue) throws {
        #expect(try CustomValue.parse(value.displayText, as: value.type) == value)
    }

    @Test func jsonOutputKeepsNumbersBooleansAndDocumentsTyped() {
        #expect(CustomValue.number(42).jsonValue == .number(42))
        #expect(CustomValue.bool(false).jsonValue == .bool(false))
        #expect(CustomValue.json(.array([.null])).jsonValue == .array([.null]))
        #expect(CustomValue.multiselect(["a", "b"]).jsonValue == .array([.string("a"), .string("b")]))
        #expect(CustomValue.date(LocalDate(year: 2024, month: 2, day: 29)!).jsonValue == .string("2024-02-29"))
        #expect(CustomValue.datetime(Timestamp(millisecondsSinceEpoch: 0)).jsonValue == .string("1970-01-01T00:00:00Z"))
        #expect(CustomValue.select("gold").jsonValue == .string("gold"))
        #expect(CustomValue.text("x").jsonValue == .string("x"))
    }

    @Test func everyValueReportsItsType() {
        #expect(Self.samples.map(\.type.rawValue) == ["text", "text", "number", "number", "number", "number", "bool", "bool",
                                                      "date", "datetime", "datetime", "json", "select", "multiselect", "multiselect"])
    }
}

@Suite("Field definitions")
struct FieldDefinitionTests {
    @Test func aDefinitionWithoutALabelIsLabelledByItsKey() {
        #expect(FieldDefinition(key: "tier", type: .select).label == "tier")
        #expect(FieldDefinition(key: "tier", label: "Tier", type: .select).label == "Tier")
    }

    @Test func parsingThroughADefinitionAppliesItsExtraRules() throws {
        let guests = FieldDefinition(key: "guests", type: .number, wholeNumbersOnly: true)
        #expect(try guests.parse("3") == .number(3))
        #expect(refusal { try guests.parse("2.5") } == "must be a whole number")
        #expect(refusal { try guests.parse("many") }?.hasPrefix("“many” is not a number") == true)

        let name = FieldDefinition(key: "nick", type: .text, maxLength: 3)
        #expect(try name.parse("Bob") == .text("Bob"))
        #expect(refusal { try name.parse("Bobby") } == "is 5 characters long; the most it can hold is 3")
        #expect(try name.parse("山田太") == .text("山田太"))     // characters, not bytes

        let tier = FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "gold", label: "Gold")])
        #expect(try tier.parse("GOLD") == .select("gold"))
        #expect(refusal { try tier.parse("tin") } == "“tin” is not one of the options (Gold)")
    }

    @Test func checkingATypedValueComparesTypesFirst() {
        let score = FieldDefinition(key: "score", type: .number)
        #expect(refusal { try score.check(.text("12")) } == "holds text, but the field is number")
        #expect(refusal { try score.check(.number(12)) } == nil)
        let tags = FieldDefinition(key: "tags", type: .multiselect, options: [SelectOption(value: "vip")])
        #expect(refusal { try tags.check(.multiselect(["vip", "ghost"])) } == "“ghost” is not one of the options")
        #expect(refusal { try tags.check(.select("vip")) } == "holds select, but the field is multiselect")
    }
}
