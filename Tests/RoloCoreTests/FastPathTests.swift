import Crypto
import Foundation
import Testing
@testable import RoloCore

/// The shortcuts taken for speed (an import or a pull runs these for every contact) give
/// exactly what the general code gives: each is checked against a plain version of it, written
/// here the way the code read before the shortcut, on many generated inputs.
@Suite("Fast paths agree with the general ones")
struct FastPathTests {
    // MARK: - Generated inputs

    /// ASCII and a little of everything else: accents, Cyrillic, CJK, marks, controls, quotes,
    /// backslashes, emoji, bidi marks, whitespace of every kind.
    static let alphabet: [String] = Array("abcXYZ09 _-.,'@:/\\\"\t\n\r").map(String.init)
        + ["é", "e\u{301}", "ø", "Ж", "ж", "山", "田", "ア", "한", "ก", "\u{0}", "\u{1B}", "\u{85}", "\u{A0}", "\u{2028}", "\u{200F}",
           "👍", "🇫🇷", "\u{FEFF}", "\u{E000}", "١", "²"]

    static func text(_ random: inout SeededWords, maxLength: Int = 12, asciiOnly: Bool = false) -> String {
        let length = Int(random.next() % UInt64(maxLength + 1))
        return String((0..<length).map { _ -> String in
            if asciiOnly { return String(UnicodeScalar(UInt8(random.next() % 128))) }
            return alphabet[Int(random.next() % UInt64(alphabet.count))]
        }.joined())
    }

    static func contact(_ random: inout SeededWords) -> Contact {
        var fields: [StandardField: String] = [:]
        for field in StandardField.allCases where random.next() % 3 == 0 {
            fields[field] = random.next() % 4 == 0 ? " " + text(&random) + " " : text(&random)
        }
        var custom: [String: CustomValue] = [:]
        for index in 0..<Int(random.next() % 4) {
            let key = "k\(index)" + text(&random, maxLength: 3)
            switch random.next() % 6 {
            case 0: custom[key] = .text(text(&random))
            case 1: custom[key] = .number(Double(Int(random.next() % 20_000)) / 8 - 1000)
            case 2: custom[key] = .select(text(&random))
            case 3: custom[key] = .bool(random.next() % 2 == 0)
            case 4: custom[key] = .multiselect([text(&random), text(&random)])
            default: custom[key] = .json(.object(["a": .string(text(&random)), "n": .number(Double(random.next() % 100))]))
            }
        }
        var extensions: [String: JSONValue] = [:]
        if random.next() % 2 == 0 { extensions["notifuse"] = .object(["created_at": .string(text(&random)), "x": .array([.null, .bool(true)])]) }
        return Contact(uid: "uid-\(random.next() % 1000)", accountID: 1, fields: fields, custom: custom, extensions: extensions,
                       createdAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
    }

    // MARK: - Plain versions (the code as it read before its shortcut)

    static func plainHash(_ contact: Contact) -> String {
        func part(_ kind: String, _ pieces: String...) -> String {
            kind + pieces.map { "\($0.utf8.count):\($0)" }.joined() + ";"
        }
        func plainTrim(_ text: String) -> String {
            guard let first = text.firstIndex(where: { !$0.isWhitespace }) else { return "" }
            return String(text[first...text.lastIndex(where: { !$0.isWhitespace })!])
        }
        var canonical = ""
        for field in contact.fields.keys.sorted(by: { StandardField.allCases.firstIndex(of: $0)! < StandardField.allCases.firstIndex(of: $1)! }) {
            var value = plainTrim(contact.fields[field]!)
            if field == .email { value = value.lowercased() }
            if value.isEmpty { continue }
            canonical += part("s", field.key, value)
        }
        for key in contact.custom.keys.sorted() {
            let value = contact.custom[key]!
            var text = value.storedText
            if case .text = value { text = plainTrim(text) }
            canonical += part("c", key, value.type.rawValue, text)
        }
        for key in contact.extensions.keys.sorted() {
            canonical += part("x", key, contact.extensions[key]!.canonicalText)
        }
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func plainBaseRecord(_ contact: Contact) -> String {
        var fields: [String: JSONValue] = [:]
        for (field, value) in contact.fields { fields[field.key] = .string(value) }
        let custom = contact.custom.mapValues { value in
            JSONValue.object(["type": .string(value.type.rawValue), "value": .string(value.storedText)])
        }
        return JSONValue.object(["fields": .object(fields), "custom": .object(custom),
                                 "extensions": .object(contact.extensions)]).canonicalText
    }

    // MARK: - Tests

    @Test func theContentHashIsTheHashOfTheSameText() {
        var random = SeededWords(seed: 11)
        for _ in 0..<2000 {
            let contact = Self.contact(&random)
            #expect(ContentHash.of(contact) == Self.plainHash(contact))
        }
    }

    @Test func theContentHashOfAKnownContactNeverChanges() {
        // Hashes are stored in caches and compared with new ones, so the hashed text never
        // changes: this is SHA-256 of that text for this contact, worked out by hand (Python).
        let contact = Contact(uid: "u", accountID: 1,
                              fields: [.email: " Rob@Example.COM ", .firstName: "Rob", .city: "Zürich", .notes: "line\nline"],
                              custom: ["plan": .text(" gold "), "score": .number(42.5), "tags": .multiselect(["a", "b"])],
                              extensions: ["notifuse": .object(["created_at": .string("2026-01-01T00:00:00Z")])])
        #expect(ContentHash.of(contact) == "165c32722fe5c75a5172ef5c8d8664e23c1d5046d3123d0af1c9d9a774b8f058")
    }

    @Test func aBaseRecordIsTheCanonicalTextOfTheSameDocument() {
        var random = SeededWords(seed: 12)
        for _ in 0..<2000 {
            let contact = Self.contact(&random)
            let text = BaseRecord.encode(contact)
            #expect(text == Self.plainBaseRecord(contact))
            let back = BaseRecord.decode(text, into: contact)
            #expect(back?.fields == contact.fields)
            #expect(back?.extensions == contact.extensions)
        }
    }

    @Test func searchWordsOfASCIITextAreCutAsTheUnicodeRulesCutThem() {
        var random = SeededWords(seed: 13)
        for _ in 0..<5000 {
            let text = Self.text(&random, maxLength: 30, asciiOnly: true)
            #expect(SearchText.asciiWords(text) == Self.unicodeWords(text), "\(text.debugDescription)")
        }
        #expect(SearchText.asciiWords("zoë") == nil, "not ASCII: left to the Unicode rules")
        #expect(SearchText.words("adams70358 O'Brien-Smith") == ["adams", "70358", "O", "Brien", "Smith"])
    }

    /// `SearchText.words` without its ASCII shortcut.
    static func unicodeWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var currentIsDigits = false
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for scalar in text.unicodeScalars {
            if SearchText.isWrittenWithoutSpaces(scalar) {
                flush()
                words.append(String(scalar))
            } else if SearchText.isWordScalar(scalar) {
                let isDigit = scalar.properties.numericType == .decimal
                let category = scalar.properties.generalCategory
                if category != .nonspacingMark, category != .spacingMark, category != .enclosingMark {
                    if !current.isEmpty, isDigit != currentIsDigits { flush() }
                    if current.isEmpty { currentIsDigits = isDigit }
                }
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    @Test func trimmingAgreesWithFoundation() {
        var random = SeededWords(seed: 14)
        for _ in 0..<5000 {
            let text = Self.text(&random)
            let plain: String = {
                guard let first = text.firstIndex(where: { !$0.isWhitespace }) else { return "" }
                return String(text[first...text.lastIndex(where: { !$0.isWhitespace })!])
            }()
            #expect(text.trimmed == plain, "\(text.debugDescription)")
            #expect(text[...].trimmed == plain)
        }
    }

    @Test func trimmingSpacesAgreesWithFoundationsWhitespaceSet() {
        var random = SeededWords(seed: 15)
        let edges = [" ", "\t", "\n", "\r", "\u{A0}", "\u{2003}", "\u{3000}", "\u{200B}", "\u{85}", "x", "é", ""]
        for _ in 0..<5000 {
            let text = edges[Int(random.next() % UInt64(edges.count))] + Self.text(&random)
                + edges[Int(random.next() % UInt64(edges.count))]
            let expected = text.trimmingCharacters(in: .whitespaces)
            #expect(text.trimmingSpaces == expected, "\(text.debugDescription)")
            #expect(text[...].trimmingSpaces == expected)
        }
    }

    /// `Validator.checkEmail` as it read before its ASCII shortcut: true when it accepts.
    static func plainAccepts(email text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, text.utf8.count <= 254 else { return false }
        guard !text.contains(where: { $0.isWhitespace }), !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .format }) else { return false }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        let forbiddenInLocal: Set<Character> = ["(", ")", ",", ":", ";", "<", ">", "[", "]", "\\", "\""]
        guard !local.contains(where: forbiddenInLocal.contains) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 })
            && labels.allSatisfy({ label in label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
            && labels.allSatisfy({ !$0.hasPrefix("-") && !$0.hasSuffix("-") })
            && labels.last!.count >= 2 && !labels.last!.allSatisfy(\.isNumber)
    }

    @Test func plainAddressesAreAcceptedExactlyWhenTheCharacterRulesAcceptThem() {
        var random = SeededWords(seed: 16)
        // Addresses built as local part, separator and domain from pieces that each break one
        // rule now and then, so that about half are valid.
        let local = ["a", "b", "Z", "9", "rob", "x.y", "-", "_", "+", "a", "b", "rob", ".", "..", "(", "\"", "\\", " ", "é", "@"]
        let separators = ["@", "@", "@", "@", "", "@@", " @"]
        let domain = ["example", "co", "mail.", "x-y", "1", "example", "co", "mail.", "-", "é", "_", " ", ".", ".."]
        let top = [".com", ".io", ".org", ".com", ".io", ".org", "", ".c", ".12", ".co-"]
        func pick(_ pieces: [String], _ most: UInt64) -> String {
            (0..<Int(1 + random.next() % most)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
        }
        var accepted = 0
        for _ in 0..<8_000 {
            let text = pick(local, 3) + separators[Int(random.next() % UInt64(separators.count))] + pick(domain, 2) + top[Int(random.next() % UInt64(top.count))]
            let expected = Self.plainAccepts(email: text)
            if Validator.isPlainValidEmail(text) {
                #expect(expected, "\(text)")
                accepted += 1
            }
            #expect(((try? Validator.checkEmail(text)) != nil) == expected, "\(text)")
        }
        #expect(accepted > 300, "only \(accepted) of the generated addresses were valid")
        for text in ["rob@example.com", "a.b-c+d@mail.example.org", String(repeating: "a", count: 64) + "@x.io"] {
            #expect(Validator.isPlainValidEmail(text))
        }
    }

    @Test func plainPhonesAreNormalisedAsTheCharacterRulesNormaliseThem() {
        var random = SeededWords(seed: 17)
        let pieces = ["+", "00", "0", "1", "5", "9", " ", "-", ".", "(", ")", "/", "x", "\u{A0}", "44"]
        for _ in 0..<20_000 {
            let text = (0..<Int(1 + random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            // A bracketed 0 in an international number is its trunk prefix, left out.
            let squeezed = text.filter { $0 != " " && $0 != "\u{00A0}" }
            let international = squeezed.hasPrefix("+") || squeezed.hasPrefix("00")
            var compact = (international ? squeezed.replacingOccurrences(of: "(0)", with: "") : text)
                .filter { !" -.()/\u{00A0}".contains($0) }
            if compact.hasPrefix("00") { compact = "+" + compact.dropFirst(2) }
            let digits = compact.dropFirst()
            let valid = compact.hasPrefix("+") && digits.allSatisfy({ $0.isASCII && $0.isNumber }) && (7...15).contains(digits.count)
                && digits.first != "0"
            #expect((try? Validator.normalisePhone(text)) == (valid ? compact : nil), "\(text.debugDescription)")
            if let plain = Validator.plainPhone(text) { #expect(plain == compact) }
        }
    }

    @Test func customKeysAndFieldNamesAreJudgedAsBefore() {
        for key in ["plan", "score", "customer_ref", "city", "first_name", "zip", "Plan", "a-b", "a b", "x=y", "", String(repeating: "k", count: 65), "é"] {
            let issues = Validator.checkCustomKey(key)
            let standard = StandardField.allCases.first { $0.key == key.lowercased().replacingOccurrences(of: "-", with: "_")
                || $0.aliases.contains(key.lowercased().replacingOccurrences(of: "-", with: "_")) }
            #expect(StandardField(named: key) == standard, "\(key)")
            if key.wholeMatch(of: /[a-z0-9_]{1,64}/) != nil {
                #expect(issues.map(\.severity) == (standard == nil ? [] : [.warning]), "\(key)")
            } else {
                #expect(!issues.isEmpty, "\(key)")
            }
        }
    }

    @Test func standardFieldsSortInDeclarationOrder() {
        #expect(StandardField.allCases.shuffled().sorted() == StandardField.allCases)
        for (position, field) in StandardField.allCases.enumerated() { #expect(field.position == position) }
    }

    @Test func newUIDsAreLowerCaseVersionFourUUIDs() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let uid = Contact.newUID()
            #expect(uid.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(uid)")
            #expect(UUID(uuidString: uid) != nil)
            seen.insert(uid)
        }
        #expect(seen.count == 1000)
    }

    @Test func theParserReadsPlainStringsAndWholeNumbersAsBefore() throws {
        #expect(try JSONValue.parse(#"{"a":"plain","b":"es\"caped\u00e9","c":"ünï","d":""}"#)
                == .object(["a": .string("plain"), "b": .string("es\"capedé"), "c": .string("ünï"), "d": .string("")]))
        var random = SeededWords(seed: 15)
        for _ in 0..<3000 {
            let digits = String((0..<Int(1 + random.next() % 18)).map { _ in Character(String(random.next() % 10)) })
            for text in [digits, "-" + digits] {
                guard text.first != "0" || text.count == 1, !text.hasPrefix("-0") || text == "-0" else { continue }
                #expect(try JSONValue.parse(text) == .number(Double(text)!), "\(text)")
            }
        }
        guard case .number(let negativeZero) = try JSONValue.parse("-0") else { Issue.record("not a number"); return }
        #expect(negativeZero.sign == .minus, "-0 keeps its sign")
        #expect(try JSONValue.parse("[true, false, null]") == .array([.bool(true), .bool(false), .null]))
        // Objects large and small: every member kept, a twin found wherever it comes.
        for count in [1, 2, 23, 24, 25, 60] {
            let members = (0..<count).map { "\"k\($0)\":\($0)" }
            let parsed = try JSONValue.parse("{" + members.joined(separator: ",") + "}")
            #expect(parsed == .object(Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", JSONValue.number(Double($0))) })))
            let twin = "{" + (members + ["\"k\(count - 1)\":0"]).joined(separator: ",") + "}"
            let column = twin.count - "\"k\(count - 1)\":0}".count + 1
            #expect(refusal { try JSONValue.parse(twin) } == "line 1, column \(column): the key “k\(count - 1)” appears twice")
        }
        #expect(refusal { try JSONValue.parse("[tru]") } == "line 1, column 2: expected a value, found “t”")
        #expect(refusal { try JSONValue.parse("\"open") } == "line 1, column 1: a string opened here is never closed")
        #expect(refusal { try JSONValue.parse("\"a\u{1}b\"") }?.contains("a control character inside a string") == true)
    }
}

/// A seeded generator (SplitMix64), so a failure can be replayed.
struct SeededWords: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Latin, Greek and Cyrillic text (ASCII with Latin-1 and Latin Extended, Greek and Cyrillic
/// letters) is made safe, measured and cut by code points, as plain ASCII is: exactly as
/// grapheme by grapheme.
@Suite("Latin, Greek and Cyrillic text take the ASCII shortcut")
struct SimpleAlphabeticTests {
    /// The general path: what `sanitize`, `width` and `truncate` did before the shortcut.
    static func general(_ text: String) -> (safe: String, width: Int) {
        var safe = "", width = 0
        for character in text {
            let cell = TerminalText.cell(for: character)
            safe += cell.text
            width += cell.width
        }
        return (safe, width)
    }

    /// The byte-level measure accepts exactly the strings `isSimpleAlphabetic` accepts, and counts
    /// their code points: every code point below U+0800 (all one- and two-byte sequences, the
    /// C1 controls and the edges around U+00A0 and U+0300 among them), alone and after Latin.
    @Test func theByteLevelMeasureAgreesWithTheCodePointRule() {
        for value in 0..<0x800 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for text in [String(scalar), "Mü" + String(scalar) + "ller", "ab" + String(scalar)] {
                let expected = TerminalText.isSimpleAlphabetic(text) ? text.unicodeScalars.count : nil
                #expect(TerminalText.simpleAlphabeticWidth(text) == expected, "U+\(String(value, radix: 16)) in \(text.debugDescription)")
            }
        }
        for other in ["山", "😀", "e\u{301}", "\u{200F}", "\u{2028}", ""] {
            #expect(TerminalText.simpleAlphabeticWidth("Łukasz" + other) == (other.isEmpty ? 6 : nil), "\(other.debugDescription)")
        }
    }

    @Test func everyCodePointAndGeneratedStringsAgree() {
        let range = [0x20..<0x7F, 0xA0..<0x300, 0x370..<0x483, 0x48A..<0x500].flatMap { $0.map { Unicode.Scalar($0)! } }
        for scalar in range {
            let text = String(scalar)
            #expect(TerminalText.isSimpleAlphabetic(text))
            let expected = Self.general(text)
            #expect(TerminalText.sanitize(text) == expected.safe && TerminalText.width(text) == expected.width, "U+\(String(scalar.value, radix: 16))")
        }
        var random = SeededWords(seed: 11)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 16)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in range[Int(random.next() % UInt64(range.count))] }))
            let expected = Self.general(text)
            #expect(TerminalText.sanitize(text) == expected.safe, "\(text.unicodeScalars.map { $0.value })")
            #expect(TerminalText.width(text) == expected.width, "\(text.unicodeScalars.map { $0.value })")
            let cut = Int(random.next() % 18) + 1
            let truncated = TerminalText.truncate(text, to: cut)
            #expect(TerminalText.width(truncated) <= cut && (expected.width <= cut ? truncated == text : truncated.hasSuffix("…")))
        }
        for outside in ["e\u{301}", "\u{85}", "\u{9B}", "山", "\u{1B}", "\u{300}", "\u{36F}", "\u{483}", "\u{489}", "\u{500}"] {
            #expect(!TerminalText.isSimpleAlphabetic("Müller" + outside), "\(outside.unicodeScalars.map { $0.value })")
        }
    }

    @Test func aTableCellIsMadeSafeAndMeasuredInOnePassAsInTwo() {
        // `rolo list` measures what it prints: the safe text. One pass must give that width.
        var random = SeededWords(seed: 12)
        for _ in 0..<20_000 {
            let text = FastPathTests.text(&random, maxLength: 16)
            let safe = TerminalText.sanitize(text)
            let once = TerminalText.sanitizedWithWidth(text)
            #expect(once.text == safe && once.width == TerminalText.width(safe), "\(text.unicodeScalars.map { $0.value })")
        }
    }
}
