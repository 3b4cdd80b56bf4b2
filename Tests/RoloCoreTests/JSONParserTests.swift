import Foundation
import Testing
@testable import RoloCore

/// The strict JSON reader behind `json` fields and extension data, and the canonical writer.
@Suite("JSON")
struct JSONParserTests {
    // MARK: - Reading

    @Test func everyKindOfValueIsRead() throws {
        let value = try JSONValue.parse(#"{"s": "text", "n": -1.5e2, "t": true, "f": false, "z": null, "a": [1, [2], {}], "o": {"k": "v"}}"#)
        #expect(value == .object([
            "s": .string("text"), "n": .number(-150), "t": .bool(true), "f": .bool(false), "z": .null,
            "a": .array([.number(1), .array([.number(2)]), .object([:])]), "o": .object(["k": .string("v")]),
        ]))
        #expect(value["o"]?["k"]?.stringValue == "v")
        #expect(value["missing"] == nil)
        #expect(value["n"]?.stringValue == nil)
        #expect(JSONValue.array([]).isContainer && JSONValue.object([:]).isContainer)
        #expect(!JSONValue.string("x").isContainer && !JSONValue.null.isContainer)
    }

    @Test(arguments: [
        ("0", 0.0), ("-0", 0.0), ("42", 42.0), ("-1.25", -1.25), ("1E-2", 0.01), ("2e+3", 2000.0), ("1.5e308", 1.5e308),
        ("12345678901234567890", 12_345_678_901_234_567_890.0),     // beyond Int64: kept as the nearest double
        ("1e-400", 0.0),
    ])
    func numbersAreReadAsDoubles(_ text: String, _ number: Double) throws {
        #expect(try JSONValue.parse(text) == .number(number))
    }

    @Test(arguments: [
        (#""a\"b""#, "a\"b"), (#""back\\slash""#, "back\\slash"), (#""a\/b""#, "a/b"), (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
        (#""caf\u00e9""#, "café"), (#""\u00E9""#, "é"), (#""\ud83d\ude00""#, "😀"), (#""\uD83D\uDE00""#, "😀"),
        (#""nul\u0000""#, "nul\u{0}"), (#""\u2028""#, "\u{2028}"), ("\"raw é 山 😀\"", "raw é 山 😀"), ("\"del\u{7F}\"", "del\u{7F}"),
    ])
    func escapesAndRawUnicodeAreDecoded(_ text: String, _ decoded: String) throws {
        #expect(try JSONValue.parse(text) == .string(decoded))
    }

    @Test func oneTopLevelMemberIsFoundPastEverythingBeforeIt() throws {
        let page = #"""
            {"contacts": [{"email": "a@example.com", "next_cursor": "inner", "note": "say \"next_cursor\": \"x\", [{"},
                          {"n": -1.5e3, "t": true, "z": null, "a": [[], {}, "]}"]}],
             "total": 2, "flag": false, "next_cursor": "MjAyNH5h"}
            """#
        #expect(JSONValue.topLevelMember("next_cursor", of: Data(page.utf8)) == .string("MjAyNH5h"))
        #expect(JSONValue.topLevelMember("total", of: Data(page.utf8)) == .number(2))
        #expect(JSONValue.topLevelMember("next_cursor", of: Data(#"{"contacts": null}"#.utf8)) == nil)
        #expect(JSONValue.topLevelMember("next_cursor", of: Data(#"{"next_cursor": "c", "contacts": [1, 2"#.utf8)) == .string("c"))
        #expect(JSONValue.topLevelMember("next_cursor", of: Data(#"[{"next_cursor": "c"}]"#.utf8)) == nil)
        #expect(JSONValue.topLevelMember("next_cursor", of: Data(#"{"contacts": [1, 2}"#.utf8)) == nil)
        #expect(JSONValue.topLevelMember("next_cursor", of: Data("Failed to get contacts\n".utf8)) == nil)
    }

    @Test func aByteOrderMarkAndSurroundingWhitespaceAreSkipped() throws {
        #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF] + Array(" \t\r\n[true] \n".utf8))) == .array([.bool(true)]))
        #expect(try JSONValue.parse(Data("{}".utf8)) == .object([:]))
    }

    @Test func nestingUpTo512LevelsIsRead() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        var value = try JSONValue.parse(deepest)
        var depth = 1
        while case .array(let items) = value, let inner = items.first { value = inner; depth += 1 }
        #expect(depth == 512)
    }

    @Test func nestingDeeperThan512LevelsIsRefusedWhereItGoesTooDeep() {
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(refusal { try JSONValue.parse(tooDeep) } == "line 1, column 513: nested more than 512 levels deep")
        let objects = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
        #expect(refusal { try JSONValue.parse(objects) } == "line 1, column 2561: nested more than 512 levels deep")
    }

    @Test func hostileNestingIsRefusedInsteadOfExhaustingTheStack() {
        let deep = String(repeating: "[", count: 200_000)
        #expect(refusal { try JSONValue.parse(deep) }?.hasSuffix("nested more than 512 levels deep") == true)
    }

    // MARK: - Errors say where

    @Test(arguments: [
        ("", "line 1, column 1: the text is empty; expected a JSON value"),
        ("  \n ", "line 2, column 2: the text is empty; expected a JSON value"),
        ("{\"a\": 1,}", "line 1, column 9: expected a key after “,”, found “}” (a trailing comma is not allowed)"),
        ("[1, 2,]", "line 1, column 7: expected a value after “,”, found “]” (a trailing comma is not allowed)"),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", "line 3, column 3: expected “,” or “}” in the object, found “\"”"),
        ("{\"a\" 1}", "line 1, column 6: expected “:” after the key “a”, found “1”"),
        ("[1 2]", "line 1, column 4: expected “,” or “]” in the array, found “2”"),
        ("[1, 2", "line 1, column 6: expected “,” or “]” in the array, found the end of the text"),
        ("[", "line 1, column 2: the text ends where a value was expected"),
        ("{'a': 1}", "line 1, column 2: expected a key in double quotes, found “'”"),
        ("{\"a\":1,\"a\":2}", "line 1, column 8: the key “a” appears twice"),
        ("[01]", "line 1, column 2: a number cannot start with 0 followed by digits"),
        ("[-01]", "line 1, column 3: a number cannot start with 0 followed by digits"),
        ("[-]", "line 1, column 3: a minus sign must be followed by digits"),
        ("[1.]", "line 1, column 4: a decimal point must be followed by digits"),
        ("[1e+]", "line 1, column 5: an exponent must have digits"),
        ("[.5]", "line 1, column 2: expected a value, found “.”"),
        ("[+1]", "line 1, column 2: expected a value, found “+”"),
        ("[1e309]", "line 1, column 2: the number 1e309 is too large"),
        ("[-1e309]", "line 1, column 2: the number -1e309 is too large"),
        ("[NaN]", "line 1, column 2: expected a value, found “N”"),
        ("[Infinity]", "line 1, column 2: expected a value, found “I”"),
        ("[tru]", "line 1, column 2: expected a value, found “t”"),
        ("[True]", "line 1, column 2: expected a value, found “T”"),
        ("[nul", "line 1, column 2: expected a value, found “n”"),
        ("[1] [2]", "line 1, column 5: unexpected “[” after the JSON value"),
        ("\"é\" x", "line 1, column 5: unexpected “x” after the JSON value"),     // columns count characters, not bytes
        ("{} // comment", "line 1, column 4: unexpected “/” after the JSON value"),
        ("[\u{1}]", "line 1, column 2: expected a value, found “U+1”"),
        ("\"tab\there\"", "line 1, column 5: a control character inside a string (write a line break as \\n, a tab as \\t)"),
        ("\"line\nbreak\"", "line 1, column 6: a control character inside a string (write a line break as \\n, a tab as \\t)"),
        ("[\n\"never closed", "line 2, column 1: a string opened here is never closed"),
        ("\"\\x\"", "line 1, column 3: \\x is not an escape (use \\\\ for a backslash)"),
        ("\"\\", "line 1, column 3: the text ends inside an escape"),
        ("\"\\u12\"", "line 1, column 4: \\u must be followed by four hexadecimal digits"),
        ("\"\\uzzzz\"", "line 1, column 4: \\u must be followed by four hexadecimal digits"),
        ("\"\\ud83d\"", "line 1, column 8: a \\u escape of a high surrogate must be followed by its low surrogate"),
        ("\"\\ud83dx\"", "line 1, column 8: a \\u escape of a high surrogate must be followed by its low surrogate"),
        ("\"\\ud83d\\u0041\"", "line 1, column 14: \\u41 is not a low surrogate"),
        ("\"\\ud83d\\ud83d\"", "line 1, column 14: \\ud83d is not a low surrogate"),
        ("\"\\ude00\"", "line 1, column 8: a lone low surrogate \\ude00"),
    ])
    func badJSONIsRefusedWithItsLineAndColumn(_ text: String, _ message: String) {
        #expect(refusal { try JSONValue.parse(text) } == message)
    }

    @Test func errorsOnLaterLinesCountColumnsFromTheLineStart() {
        let text = "{\n  \"name\": \"Zoë\",\n  \"age\": 4x\n}"
        #expect(refusal { try JSONValue.parse(text) } == "line 3, column 11: expected “,” or “}” in the object, found “x”")
    }

    // MARK: - Writing

    @Test func canonicalTextSortsKeysAndHasNoSpaces() throws {
        let value = try JSONValue.parse(#"{"b": [1.5, "x", null], "a": {"d": false, "c": true}, "A": 1}"#)
        #expect(value.canonicalText == #"{"A":1,"a":{"c":true,"d":false},"b":[1.5,"x",null]}"#)
        #expect(try JSONValue.parse(value.canonicalText) == value)
    }

    @Test func twoEqualDocumentsHaveTheSameCanonicalText() throws {
        let one = try JSONValue.parse(#"{"x": 1, "y": [true, {"q": 2, "p": 1}]}"#)
        let two = try JSONValue.parse("{ \"y\" : [ true , { \"p\" : 1.0 , \"q\" : 2e0 } ] , \"x\" : 10e-1 }")
        #expect(one == two)
        #expect(one.canonicalText == two.canonicalText)
    }

    @Test func prettyTextIndentsByTwoSpaces() {
        let value = JSONValue.object(["b": .object([:]), "a": .array([.number(1), .array([])])])
        #expect(value.prettyText == "{\n  \"a\": [\n    1,\n    []\n  ],\n  \"b\": {}\n}")
        #expect(JSONValue.string("x").prettyText == "\"x\"")
    }

    @Test(arguments: [
        (42.0, "42"), (-7.0, "-7"), (1.5, "1.5"), (0.1, "0.1"), (-0.0, "0"), (1e14, "100000000000000"), (1e16, "1e+16"),
        (1e-7, "1e-07"), (123_456_789_012.5, "123456789012.5"),
    ])
    func numbersPrintWithoutAPointlessFraction(_ number: Double, _ text: String) throws {
        #expect(JSONValue.format(number) == text)
        #expect(try JSONValue.parse(text) == .number(number))
    }

    @Test func stringsAreEscapedSoTheTextIsSafeAndReadsBack() throws {
        let nasty = "quote\" back\\ nl\n cr\r tab\t nul\u{0} esc\u{1B} del\u{7F} csi\u{9B} ls\u{2028} ps\u{2029} "
            + "rlo\u{202E} lre\u{202A} fsi\u{2068} pdi\u{2069} lrm\u{200E} é 山 😀"
        let text = JSONValue.string(nasty).canonicalText
        #expect(text == #""quote\" back\\ nl\n cr\r tab\t nul\u0000 esc\u001b del\u007f csi\u009b ls\u2028 ps\u2029 "#
            + "rlo\\u202e lre\\u202a fsi\\u2068 pdi\\u2069 lrm\\u200e é 山 😀\"")
        #expect(try JSONValue.parse(text) == .string(nasty))
        #expect(TerminalText.isSafe(text))
    }

    @Test func plainStringsAreWrittenAsTheyAre() {
        var out = ""
        JSONValue.writeQuoted("Zoë 山田 😀 ©", into: &out)
        #expect(out == "\"Zoë 山田 😀 ©\"")
        #expect(!JSONValue.needsEscaping("Zoë 山田 😀 © \u{2027} \u{202F}"))
        #expect(JSONValue.needsEscaping("a\u{85}b"))
        #expect(JSONValue.needsEscaping("a\u{2029}"))
        #expect(JSONValue.needsEscaping("é\u{202E}"), "a bidi override would reorder what a terminal shows")
        #expect(JSONValue.needsEscaping("é\""), "a quote after non-ASCII text")
    }

    @Test func keysAreEscapedLikeValues() throws {
        let value = JSONValue.object(["a\"b\n": .null])
        #expect(value.canonicalText == #"{"a\"b\n":null}"#)
        #expect(try JSONValue.parse(value.canonicalText) == value)
    }
}
