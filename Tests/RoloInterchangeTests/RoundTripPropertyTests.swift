import Foundation
import PropertyBased
import RoloCore
@testable import RoloInterchange
import Testing

/// Every valid contact survives every file format: generated contacts go through the writer
/// and the reader of rolo JSON, vCard 3.0, vCard 4.0 and CSV and come back equal, on the
/// parts each format carries (see `RoundTripFormat.expected`).
///
/// The contacts are generated from a fixed seed with the `Generator` of swift-property-based
/// (`Generator.run(using:)` over a seeded `Xoshiro`), so the run is the same every time. A
/// failing case is shrunk here (greedily, with `ContactGen.shrink`) and reported with the
/// seed that makes it, so that `ROLO_PROPERTY_SEED=<seed>` replays exactly that case through
/// `propertyCheck` (with the library's shrinker; a replayed case that passes is reported by
/// the library as "no expectation failure occured"). `ROLO_PROPERTY_RANDOM=<count>` runs the
/// library's own random search instead, new seeds every run: for looking, not for CI.
///
/// `TimeZone.knownTimeZoneIdentifiers` is one of the generator's sources, so another tz
/// database (another machine) may draw other cases from the same seed; on one machine the
/// run is always the same.
@Suite("Generated contacts round-trip through every format")
struct RoundTripPropertyTests {
    /// Cases per format: enough to meet every kind of value many times, a second or two in all.
    static let cases = 500
    static let seed: (UInt64, UInt64, UInt64, UInt64) = (0x726F_6C6F_2D70_726F, 0x7065_7274_792D_6261, 0x7365_642D_726F_756E, 0x642D_7472_6970_2131)

    @Test(arguments: RoundTripFormat.allCases)
    func everyValidContactSurvives(format: RoundTripFormat) throws {
        var rng = Xoshiro(seed: Self.seed)
        var checked = 0
        for index in 0..<Self.cases {
            let caseSeed = rng.currentSeed
            let contact = ContactGen.contacts.run(using: &rng)
            try #require(ContactGen.isValid(contact), "the generator made an invalid contact: \(ContactGen.describe(contact))")
            let problems = format.problems(contact)
            checked += 1
            guard !problems.isEmpty else { continue }
            let minimal = ContactGen.minimise(contact) { !format.problems($0).isEmpty }
            Issue.record("""
                case \(index) does not survive \(format) (replay: ROLO_PROPERTY_SEED=\(caseSeed))
                \(format.problems(minimal).joined(separator: "\n"))
                minimal contact: \(ContactGen.describe(minimal))
                generated contact: \(ContactGen.describe(contact))
                """)
            return
        }
        #expect(checked == Self.cases)
    }

    /// Many contacts in one file: the separators between records (CSV rows, cards, JSON array
    /// items) and, for CSV, a header with every contact's custom keys and empty cells elsewhere.
    @Test(arguments: RoundTripFormat.allCases)
    func aFileOfManyContactsSurvives(format: RoundTripFormat) throws {
        var rng = Xoshiro(seed: (Self.seed.1, Self.seed.2, Self.seed.3, Self.seed.0))
        let contacts = (0..<60).map { _ in ContactGen.contacts.run(using: &rng) }
        let result = try format.roundTrip(contacts)
        try #require(result.contacts.count == contacts.count, "\(format) gave back \(result.contacts.count) of \(contacts.count)")
        #expect(result.skipped.isEmpty && result.warnings.isEmpty)
        // The first contact that did not come back says enough; the rest would repeat it.
        for (index, (contact, incoming)) in zip(contacts, result.contacts).enumerated() {
            let problems = format.differences(format.expected(contact), format.carried(incoming))
            guard problems.isEmpty else {
                Issue.record("contact \(index) of the file:\n\(problems.joined(separator: "\n"))\n\(ContactGen.describe(contact))")
                return
            }
        }
    }

    /// The generator itself: everything it makes is valid, and it makes every kind of value.
    @Test func theGeneratorMakesValidContactsOfEveryKind() {
        var rng = Xoshiro(seed: Self.seed)
        var fields = Set<StandardField>(), types = Set<FieldType>()
        var breaks = 0, long = 0, combining = 0, wide = 0, extensions = 0, furtherValues = 0, ownLabels = 0
        for _ in 0..<Self.cases {
            let contact = ContactGen.contacts.run(using: &rng)
            #expect(ContactGen.isValid(contact), "\(ContactGen.describe(contact))")
            fields.formUnion(contact.fields.keys)
            types.formUnion(contact.custom.values.map(\.type))
            let texts = Array(contact.fields.values) + contact.custom.values.map(\.storedText)
            if texts.contains(where: { $0.contains(where: \.isNewline) }) { breaks += 1 }
            if texts.contains(where: { $0.utf8.count > 150 }) { long += 1 }
            if texts.contains(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .nonspacingMark } }) { combining += 1 }
            if texts.contains(where: { $0.unicodeScalars.contains { $0.properties.isEmojiPresentation || (0x4E00...0x9FFF).contains($0.value) } }) {
                wide += 1
            }
            if !contact.extensions.isEmpty { extensions += 1 }
            if !contact.otherEmails.isEmpty || !contact.otherPhones.isEmpty { furtherValues += 1 }
            if (contact.otherEmails + contact.otherPhones).contains(where: { !$0.label.isEmpty && !ValueLabel.isKnown($0.label) }) {
                ownLabels += 1
            }
        }
        #expect(fields == Set(StandardField.allCases))
        #expect(types == Set(FieldType.allCases))
        for (what, count) in [("line breaks", breaks), ("long values", long), ("combining marks", combining),
                              ("emoji or CJK", wide), ("extensions", extensions), ("further emails or phones", furtherValues),
                              ("labels of their own", ownLabels)] {
            #expect(count >= Self.cases / 10, "only \(count) of \(Self.cases) contacts have \(what)")
        }
    }

    /// The comparison itself: it sees a value changed in its code points only (Swift's == on
    /// strings would not), a value lost, and a type changed.
    @Test func theComparisonSeesEveryChange() {
        let contact = Contact(uid: "u1", accountID: 0, fields: [.firstName: "Ren\u{E9}e", .city: "Oslo"],
                              custom: ["n": .number(1), "k": .text("x")])
        let format = RoundTripFormat.json
        let same = format.expected(contact)
        #expect(format.differences(same, same).isEmpty)
        var changed = same
        changed.fields[.firstName] = "Rene\u{301}e"
        #expect(changed.fields == same.fields, "canonically equivalent, so == alone would pass it")
        #expect(format.differences(same, changed).count == 2)
        changed = same
        changed.fields[.city] = nil
        changed.custom["n"] = .text("1")
        #expect(format.differences(same, changed).count == 2)
    }

    /// Replays one case by its seed through the library's `propertyCheck`, which shrinks it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ROLO_PROPERTY_SEED"] != nil), arguments: RoundTripFormat.allCases)
    func replayOneSeed(format: RoundTripFormat) async throws {
        let text = ProcessInfo.processInfo.environment["ROLO_PROPERTY_SEED"]!
        let rng = try #require(Xoshiro(seed: text), "ROLO_PROPERTY_SEED is not a seed (a base64 text of 32 bytes)")
        let state = rng.currentState
        await FixedSeedTrait.fixedSeed(state.0, state.1, state.2, state.3).provideScope(for: Test.current!, testCase: Test.Case.current) {
            await propertyCheck(input: ContactGen.contacts) { contact in
                let problems = format.problems(contact)
                #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
            }
        }
    }

    /// The library's random search: new seeds each run, shrinking on failure.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ROLO_PROPERTY_RANDOM"] != nil), arguments: RoundTripFormat.allCases)
    func randomSearch(format: RoundTripFormat) async {
        let count = Int(ProcessInfo.processInfo.environment["ROLO_PROPERTY_RANDOM"] ?? "") ?? 1000
        await propertyCheck(count: count, input: ContactGen.contacts) { contact in
            let problems = format.problems(contact)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }
}

// MARK: - The formats and what each carries

enum RoundTripFormat: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case json, vcard3, vcard4, csv

    var testDescription: String { rawValue }
    static let account = "local"

    func roundTrip(_ contacts: [Contact]) throws -> ReadResult {
        let keys = Set(contacts.flatMap(\.custom.keys)).sorted()
        let text: String
        switch self {
        case .json: text = try written(.json, accounts: [], contacts.map { ($0, Self.account) })
        case .vcard3: text = try written(.vcard, version: .v3, contacts.map { ($0, Self.account) })
        case .vcard4: text = try written(.vcard, version: .v4, contacts.map { ($0, Self.account) })
        case .csv: text = try written(.csv, customKeys: keys, contacts.map { ($0, Self.account) })
        }
        return try read(text, self == .csv ? .csv : self == .json ? .json : .vcard)
    }

    /// Why `contact` does not survive this format: empty when it does.
    func problems(_ contact: Contact) -> [String] {
        let result: ReadResult
        do { result = try roundTrip([contact]) } catch { return ["reading it back failed: \(error)"] }
        guard result.contacts.count == 1 else { return ["read back \(result.contacts.count) contacts, not 1 (skipped: \(result.skipped))"] }
        if !result.warnings.isEmpty { return ["reading it back warned: \(result.warnings)"] }
        return differences(expected(contact), carried(result.contacts[0]))
    }

    /// The parts of a contact a format carries.
    struct Carried: Equatable {
        var uid: String
        var account: String?
        var fields: [StandardField: String]
        var custom: [String: CustomValue]
        var otherEmails: [LabelledValue]
        var otherPhones: [LabelledValue]
        var extensions: [String: JSONValue]
        var createdAt: Timestamp?
        var updatedAt: Timestamp?
    }

    /// What must come back of `contact`.
    ///
    /// - rolo JSON carries everything: standard fields, custom values with their types,
    ///   extensions, uid, account name, created and updated times (README, Formats: "a lossless
    ///   round trip of everything"). Left out: only the local row id and account id, which a
    ///   file never carries (an import assigns them).
    /// - vCard 3.0 and 4.0 carry everything but the account: standard fields (mapped properties,
    ///   the rest in X-ROLO-FIELD), custom values with their types (X-ROLO-CUSTOM), extensions
    ///   (X-ROLO-EXTENSION), uid (UID or X-ROLO-UID), times (X-ROLO-CREATED/-UPDATED). Left out:
    ///   the account name, which vCard has no place for (the import's --account decides). The
    ///   generator makes no `extensions["vcard"]`: that key is the vCard reader's own record
    ///   of the properties it does not map, written back as those properties rather than as
    ///   data (VCardWriter.keptLines), and has its own tests in VCardTests.
    /// - CSV carries the standard fields, uid and account name, and each custom value as its
    ///   stored text in a `custom.<key>` column; the reader types a cell by what it looks like
    ///   (`CustomValue.inferred`), so a custom value comes back as `inferred(storedText)`:
    ///   select and multiselect come back as text and JSON, and text that looks like a number,
    ///   a date, a date and time, true/false or a JSON document as that type. An empty cell is no value (CSVFormat), so a custom
    ///   value whose stored text is empty (text "" or select "") is not carried. Not carried at
    ///   all: extensions and the created/updated times, for which CSV has no columns.
    func expected(_ contact: Contact) -> Carried {
        switch self {
        case .json:
            return Carried(uid: contact.uid, account: Self.account, fields: contact.fields, custom: contact.custom,
                           otherEmails: contact.otherEmails, otherPhones: contact.otherPhones,
                           extensions: contact.extensions, createdAt: contact.createdAt, updatedAt: contact.updatedAt)
        case .vcard3, .vcard4:
            let custom = contact.custom
            return Carried(uid: contact.uid, account: nil, fields: contact.fields, custom: custom,
                           otherEmails: contact.otherEmails, otherPhones: contact.otherPhones, extensions: contact.extensions, createdAt: contact.createdAt, updatedAt: contact.updatedAt)
        case .csv:
            let custom = contact.custom.filter { !$0.value.storedText.isEmpty }.mapValues { CustomValue.inferred(from: $0.storedText) }
            return Carried(uid: contact.uid, account: Self.account, fields: contact.fields, custom: custom,
                           otherEmails: contact.otherEmails, otherPhones: contact.otherPhones, extensions: [:],
                           createdAt: nil, updatedAt: nil)
        }
    }

    /// What did come back, on the same parts.
    func carried(_ incoming: IncomingContact) -> Carried {
        let contact = incoming.contact
        let timed = self != .csv
        return Carried(uid: contact.uid, account: incoming.accountName, fields: contact.fields, custom: contact.custom,
                       otherEmails: contact.otherEmails, otherPhones: contact.otherPhones, extensions: contact.extensions, createdAt: timed ? contact.createdAt : nil, updatedAt: timed ? contact.updatedAt : nil)
    }

    /// Each difference in words, with the values written as Swift literals.
    func differences(_ expected: Carried, _ actual: Carried) -> [String] {
        var out: [String] = []
        func compare<Key: Hashable & Comparable, Value: Equatable>(_ what: String, _ left: [Key: Value], _ right: [Key: Value]) {
            for key in Set(left.keys).union(right.keys).sorted() where left[key] != right[key] {
                out.append("\(what) \(String(reflecting: key)): wrote \(left[key].map { String(reflecting: $0) } ?? "nothing"), "
                    + "read \(right[key].map { String(reflecting: $0) } ?? "nothing")")
            }
        }
        if expected.uid != actual.uid { out.append("uid: wrote \(String(reflecting: expected.uid)), read \(String(reflecting: actual.uid))") }
        if expected.account != actual.account { out.append("account: wrote \(expected.account ?? "-"), read \(actual.account ?? "-")") }
        compare("field", expected.fields, actual.fields)
        compare("custom", expected.custom, actual.custom)
        compare("extension", expected.extensions, actual.extensions)
        for (what, left, right) in [("email", expected.otherEmails, actual.otherEmails), ("phone", expected.otherPhones, actual.otherPhones)]
            where left != right {
            out.append("further \(what)s: wrote \(String(reflecting: left)), read \(String(reflecting: right))")
        }
        if expected.createdAt != actual.createdAt { out.append("created_at: wrote \(String(describing: expected.createdAt)), read \(String(describing: actual.createdAt))") }
        if expected.updatedAt != actual.updatedAt { out.append("updated_at: wrote \(String(describing: expected.updatedAt)), read \(String(describing: actual.updatedAt))") }
        if out.isEmpty {
            // Swift's == on strings is canonical equivalence ("é" == "e\u{301}"): a format that
            // normalised text would pass the comparisons above. The code points must match too.
            let wrote = Self.codePoints(expected), read = Self.codePoints(actual)
            for entry in wrote.subtracting(read).sorted() { out.append("wrote \(entry), read other code points") }
            for entry in read.subtracting(wrote).sorted() { out.append("read \(entry), not what was written") }
        }
        return out
    }

    /// Every carried value spelt out code point by code point (`\u{301}` for anything outside
    /// printable ASCII), keyed by where it is.
    static func codePoints(_ carried: Carried) -> Set<String> {
        func spelt(_ text: String) -> String {
            text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
        }
        var out: Set<String> = ["uid " + spelt(carried.uid), "account " + spelt(carried.account ?? "-")]
        for (field, value) in carried.fields { out.insert("field \(field.key) = " + spelt(value)) }
        for (key, value) in carried.custom { out.insert("custom " + spelt(key) + " = \(value.type.rawValue) " + spelt(value.storedText)) }
        for (key, value) in carried.extensions { out.insert("extension " + spelt(key) + " = " + spelt(value.canonicalText)) }
        for (index, other) in carried.otherEmails.enumerated() { out.insert("email \(index) " + spelt(other.label) + " = " + spelt(other.value)) }
        for (index, other) in carried.otherPhones.enumerated() { out.insert("phone \(index) " + spelt(other.label) + " = " + spelt(other.value)) }
        return out
    }
}

// MARK: - Generating valid contacts

/// Generates contacts that rolo's own validation accepts, made to be hard on the formats:
/// separators and escape characters of every format, Unicode of every width, combining marks
/// (also first in a value), line breaks and tabs where the field allows them, long values
/// that vCard must fold. Each candidate value goes through RoloCore's validation — a
/// standard value is kept as `Validator.normalise` returns it, custom values and extensions
/// only without issues of error severity — and the whole contact must pass `Validator.check`
/// for a local account unchanged (`isValid`).
enum ContactGen {
    static let contacts: Generator<Contact, [Contact]> = Generator(
        run: { rng in contact(&rng) },
        shrink: { contact in shrink(contact) }
    )

    static let rules = ProviderProfile.local.rules

    static func isValid(_ contact: Contact) -> Bool {
        let (normalised, issues) = Validator.check(contact, rules: rules, definitions: [], isNew: false)
        return normalised.fields == contact.fields && normalised.otherEmails == contact.otherEmails
            && normalised.otherPhones == contact.otherPhones && contact.fillingEmptySlots() == contact
            && !issues.contains { $0.severity == .error } && isValidUID(contact.uid)
    }

    /// A uid as the readers keep it: not empty, at most 128 characters, no surrounding blanks
    /// and nothing the terminal would replace; a UUID in lower case (they lowercase UUIDs).
    static func isValidUID(_ uid: String) -> Bool {
        !uid.isEmpty && uid.count <= 128 && uid.trimmed == uid && TerminalText.isSafe(uid)
            && (UUID(uuidString: uid) == nil || uid == uid.lowercased())
    }

    // MARK: Drawing

    static func chance(_ probability: Double, _ rng: inout some RandomNumberGenerator) -> Bool {
        Double.random(in: 0..<1, using: &rng) < probability
    }

    static func pick<T>(_ items: [T], _ rng: inout some RandomNumberGenerator) -> T {
        items[Int.random(in: 0..<items.count, using: &rng)]
    }

    static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ").map(String.init)
    static let digits = Array("0123456789").map(String.init)
    /// The separators, quotes and escape characters of JSON, CSV and vCard (and RFC 6868's caret).
    static let punctuation = [",", ";", "\"", "\\", ":", "'", "^", "=", "<", ">", "&", "/", "@", "#", ".", "-", "_", "(", ")",
                              "[", "]", "{", "}", "%", "+", "*", "?", "!", "|", "~", "`", "$"]
    /// Text that looks like the formats' own syntax.
    static let syntax = ["\\n", "\\,", "\\;", "\\\\", "^n", "^'", "^^", "=0D=0A", "END:VCARD", "BEGIN:VCARD", "X-ROLO-CUSTOM;X-KEY=a:b",
                         "\"\"", "\",\"", "{\"a\":1}", "[1,2]", "null", "true", "42", "-1.5e3", "2024-02-29", "2024-02-29T12:00:00Z",
                         "urn:uuid:", "TYPE=pref", "item1.TEL:"]
    static let unicode = ["é", "e\u{301}", "\u{301}", "\u{308}", "\u{20DD}", "a\u{0323}\u{0302}", "ñ", "ß", "ø", "Ω", "漢", "字", "中文",
                          "한국어", "ひらがな", "カタカナ", "😀", "👩‍👩‍👧", "🇯🇵", "👍🏽", "❤️", "🏳️‍🌈", "ש", "العربية", "हिन्दी",
                          "\u{200F}", "\u{202E}", "\u{2028}", "\u{00A0}", "\u{FEFF}", "\u{200D}", "𝔘", "ｆｕｌｌ",
                          // Graphemes longer than a folded vCard line (75 octets): split between code points.
                          "a" + String(repeating: "\u{301}", count: 40), "👩‍👩‍👧‍👦" + String(repeating: "\u{200D}👩", count: 12)]
    static let combining = ["\u{301}", "\u{308}", "\u{20DD}", "\u{0323}", "\u{0302}", "\u{0327}"]
    static let layout = ["\t", "\n", "\r", "\r\n", "\n\n", " \n "]

    /// One piece of text: a word, a separator, syntax, Unicode, and where allowed a tab or a break.
    static func token(layout allowsLayout: Bool, _ rng: inout some RandomNumberGenerator) -> String {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<30: return (0..<Int.random(in: 1...6, using: &rng)).map { _ in pick(letters, &rng) }.joined()
        case 30..<38: return pick(digits, &rng)
        case 38..<48: return " "
        case 48..<63: return pick(punctuation, &rng)
        case 63..<70: return pick(syntax, &rng)
        case 70..<88: return pick(unicode, &rng)
        case 88..<92: return pick(combining, &rng)
        default: return allowsLayout ? pick(layout, &rng) : pick(punctuation, &rng)
        }
    }

    /// Free text: usually short, sometimes long enough to be folded several times in a vCard,
    /// sometimes starting with a combining mark (which joins whatever comes before it in the
    /// file — a colon, a separator — into one grapheme).
    static func text(layout: Bool, _ rng: inout some RandomNumberGenerator) -> String {
        let count: Int
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: count = Int.random(in: 1...6, using: &rng)
        case 6..<9: count = Int.random(in: 6...30, using: &rng)
        default: count = Int.random(in: 60...200, using: &rng)
        }
        var out = chance(0.1, &rng) ? pick(combining, &rng) : ""
        for _ in 0..<count { out += token(layout: layout, &rng) }
        return out
    }

    static func uid(_ rng: inout some RandomNumberGenerator) -> String {
        if chance(0.8, &rng) {
            // A version 4 UUID in lower case, as Contact.newUID makes them.
            var high = UInt64.random(in: .min ... .max, using: &rng), low = UInt64.random(in: .min ... .max, using: &rng)
            high = (high & ~0xF000) | 0x4000
            low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
            let hex = String(format: "%016llx%016llx", high, low)
            let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
                String(hex.dropFirst(range.lowerBound).prefix(range.count))
            }
            return parts.joined(separator: "-")
        }
        // Another tool's id: a vCard UID, a provider id.
        while true {
            let candidate = (0..<Int.random(in: 1...40, using: &rng)).map { _ in
                chance(0.7, &rng) ? pick(letters + digits, &rng) : pick(punctuation + [" ", "é", "漢", "😀"], &rng)
            }.joined()
            if isValidUID(candidate) { return candidate }
        }
    }

    static func timestamp(_ rng: inout some RandomNumberGenerator) -> Timestamp {
        // Across the whole range RFC 3339 can write (years 1 to 9999), mostly near now.
        let first: Int64 = -62_135_596_800_000, last: Int64 = 253_402_300_799_999
        let millis = chance(0.3, &rng) ? Int64.random(in: first...last, using: &rng)
            : Int64.random(in: 1_500_000_000_000...1_900_000_000_000, using: &rng)
        return Timestamp(millisecondsSinceEpoch: chance(0.5, &rng) ? millis / 1000 * 1000 : millis)
    }

    // MARK: Standard fields

    static let zoneCandidates = TimeZone.knownTimeZoneIdentifiers.sorted()
        + ["UTC", "GMT", "GMT+1", "GMT-5", "GMT+05:30", "GMT-0800", "UTC+01:00", "+05:00", "-0800", "Z", "EST", "CET", "Etc/GMT+5"]

    /// A candidate value for a field, before validation.
    static func candidate(for field: StandardField, _ rng: inout some RandomNumberGenerator) -> String {
        switch field.kind {
        case .text:
            return text(layout: field == .notes, &rng)
        case .email:
            let localCharacters = letters + digits + [".", "_", "%", "+", "-", "!", "#", "$", "&", "'", "*", "/", "=", "?", "^", "`", "{", "|", "}", "~", "é", "漢"]
            let local = (0..<Int.random(in: 1...20, using: &rng)).map { _ in pick(localCharacters, &rng) }.joined()
            let labelCharacters = letters + digits + ["-", "ü", "例"]
            let labels = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (0..<Int.random(in: 1...12, using: &rng)).map { _ in pick(labelCharacters, &rng) }.joined()
            }
            return local + "@" + (labels + [pick(["com", "org", "de", "co", "xn--p1ai", "рф", "museum"], &rng)]).joined(separator: ".")
        case .phone:
            let digits = (0..<Int.random(in: 6...14, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }
            var text = pick(["+", "00", "+ "], &rng) + String(Int.random(in: 1...9, using: &rng))
            for digit in digits { text += (chance(0.2, &rng) ? pick([" ", "-", ".", "(", ")", "/"], &rng) : "") + digit }
            return text
        case .url:
            let host = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (0..<Int.random(in: 1...10, using: &rng)).map { _ in pick(letters + digits + ["-"], &rng) }.joined()
            }.joined(separator: ".") + "." + pick(["com", "org", "example", "de"], &rng)
            var path = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                path += pick(letters + digits + ["/", ",", ";", "=", "&", "?", "#", "%20", "~", "-", "_", ".", ":", "@", "!", "$", "'",
                                                 "(", ")", "*", "+", "\\", "é", "😀"], &rng)
            }
            return pick(["https://", "http://", "", "HTTPS://"], &rng) + host + (path.isEmpty ? "" : "/" + path)
        case .timezone:
            return pick(zoneCandidates, &rng)
        case .language:
            var tag = (0..<Int.random(in: 2...3, using: &rng)).map { _ in pick(letters, &rng) }.joined()
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                tag += "-" + (0..<Int.random(in: 1...8, using: &rng)).map { _ in pick(letters + digits, &rng) }.joined()
            }
            return tag
        case .flag:
            return pick(["yes", "no", "true", "false", "1", "0", "Y", "off", "On", "t"], &rng)
        }
    }

    /// A valid value for a field: a candidate as `Validator.normalise` returns it.
    static func value(for field: StandardField, _ rng: inout some RandomNumberGenerator) -> String? {
        for _ in 0..<20 {
            if let value = try? Validator.normalise(candidate(for: field, &rng), for: field) { return value }
        }
        return nil
    }

    // MARK: Custom values

    static func customKey(_ rng: inout some RandomNumberGenerator) -> String {
        while true {
            let candidate: String
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                candidate = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pick(Array("abcdefghijklmnopqrstuvwxyz0123456789_").map(String.init), &rng) }.joined()
            case 6:
                candidate = pick(StandardField.allCases.map(\.key) + ["custom.plan", "X-KEY", "id", "uid", "account"], &rng)
            default:
                // Accepted with a warning: upper case, punctuation, Unicode.
                candidate = (0..<Int.random(in: 1...10, using: &rng)).map { _ in
                    chance(0.6, &rng) ? pick(letters + digits, &rng) : pick(punctuation + unicode + combining, &rng)
                }.joined()
            }
            if !Validator.checkCustomKey(candidate).contains(where: { $0.severity == .error }) { return candidate }
        }
    }

    /// A number as a person types it, read by `CustomValue.parse`, which refuses what a double
    /// would not keep exactly (more than 15 significant digits, infinity).
    static func number(_ rng: inout some RandomNumberGenerator) -> Double {
        while true {
            var text = chance(0.3, &rng) ? "-" : ""
            text += (0..<Int.random(in: 1...9, using: &rng)).map { _ in pick(digits, &rng) }.joined()
            if chance(0.5, &rng) { text += "." + (0..<Int.random(in: 1...6, using: &rng)).map { _ in pick(digits, &rng) }.joined() }
            if chance(0.2, &rng) { text += pick(["e", "E", "e-", "e+"], &rng) + String(Int.random(in: 0...300, using: &rng)) }
            if case .number(let number)? = try? CustomValue.parse(text, as: .number) { return number }
        }
    }

    static func json(depth: Int, container: Bool, _ rng: inout some RandomNumberGenerator) -> JSONValue {
        let kind = container || depth == 0 ? Int.random(in: 4...5, using: &rng) : Int.random(in: 0...5, using: &rng)
        switch kind {
        case 0: return .null
        case 1: return .bool(chance(0.5, &rng))
        case 2: return .number(number(&rng))
        case 3: return .string(chance(0.2, &rng) ? "" : text(layout: true, &rng))
        case 4:
            let count = depth >= 3 ? 0 : Int.random(in: 0...4, using: &rng)
            return .array((0..<count).map { _ in json(depth: depth + 1, container: false, &rng) })
        default:
            let count = depth >= 3 ? 0 : Int.random(in: 0...4, using: &rng)
            var members: [String: JSONValue] = [:]
            for _ in 0..<count { members[text(layout: false, &rng)] = json(depth: depth + 1, container: false, &rng) }
            return .object(members)
        }
    }

    static func customValue(_ type: FieldType, _ rng: inout some RandomNumberGenerator) -> CustomValue {
        switch type {
        case .text: return .text(chance(0.03, &rng) ? "" : text(layout: true, &rng))
        case .number: return .number(number(&rng))
        case .datetime: return .datetime(timestamp(&rng))
        case .date:
            while true {
                if let day = LocalDate(year: chance(0.3, &rng) ? Int.random(in: 1...9999, using: &rng) : Int.random(in: 1900...2100, using: &rng),
                                       month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...31, using: &rng)) {
                    return .date(day)
                }
            }
        case .bool: return .bool(chance(0.5, &rng))
        case .json: return .json(json(depth: 0, container: true, &rng))
        case .select: return .select(chance(0.03, &rng) ? "" : text(layout: false, &rng))
        case .multiselect:
            return .multiselect((0..<Int.random(in: 0...4, using: &rng)).map { _ in chance(0.05, &rng) ? "" : text(layout: false, &rng) })
        }
    }

    // MARK: The contact

    static let extensionKeys = ["dailystory", "notifuse", "ivvy", "import", "geoCode", "groups"]

    static func contact(_ rng: inout some RandomNumberGenerator) -> Contact {
        var fields: [StandardField: String] = [:]
        let fieldRate = Double.random(in: 0.1...0.9, using: &rng)
        for field in StandardField.allCases where chance(fieldRate, &rng) {
            fields[field] = value(for: field, &rng)
        }
        var custom: [String: CustomValue] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            custom[customKey(&rng)] = customValue(pick(FieldType.allCases, &rng), &rng)
        }
        var extensions: [String: JSONValue] = [:]
        if chance(0.4, &rng) {
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let key = chance(0.7, &rng) ? pick(extensionKeys, &rng) : chance(0.1, &rng) ? "" : text(layout: false, &rng)
                extensions[key] = json(depth: 0, container: false, &rng)
            }
        }
        var contact = Contact(uid: uid(&rng), accountID: 0, fields: fields, createdAt: timestamp(&rng), updatedAt: timestamp(&rng))
        // Values the validator would refuse are left out, one by one, so the rest stay.
        for (key, value) in custom where Validator.checkCustomValues([key: value], rules: rules, definitions: []).allSatisfy({ $0.severity != .error }) {
            contact.custom[key] = value
        }
        for (key, value) in extensions where key != "vcard" && Validator.checkExtensions([key: value]).isEmpty {
            contact.extensions[key] = value
        }
        for kind in OtherValueKind.allCases where chance(0.35, &rng) {
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                guard let value = value(for: kind.standardField, &rng) else { continue }
                contact[others: kind].append(LabelledValue(label: label(&rng), value: value))
            }
        }
        // One form per contact, as an import leaves it: further values fill empty slots.
        return contact.fillingEmptySlots()
    }

    /// A label in rolo's spelling: none, known words in any order and case, an address book's
    /// own words (Apple's wrapper, separators of every format, Unicode).
    static func label(_ rng: inout some RandomNumberGenerator) -> String {
        let candidate: String
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: candidate = ""
        case 1:
            let words = ["home", "Work", "CELL", "fax", "pager", "Mobile", "iPhone", "main", "other", "text", "video", "business"]
            candidate = (0..<Int.random(in: 1...3, using: &rng)).map { _ in pick(words, &rng) }.joined(separator: pick([" ", "_", "-"], &rng))
        case 2: candidate = "_$!<" + pick(["Mobile", "HomeFAX", "Main", "Other", "Pager", "Lake house"], &rng) + ">!$_"
        default: candidate = text(layout: false, &rng)
        }
        let label = ValueLabel.normalised(candidate)
        guard label.count <= Validator.maxLabelLength, ValueLabel.normalised(label) == label else { return "" }
        return label
    }

    // MARK: Shrinking

    /// Smaller valid contacts: one value fewer, or one value shorter.
    static func shrink(_ contact: Contact) -> [Contact] {
        var out: [Contact] = []
        func add(_ change: (inout Contact) -> Void) {
            var copy = contact
            change(&copy)
            if copy != contact, isValid(copy) { out.append(copy) }
        }
        for field in contact.fields.keys.sorted() { add { $0.fields[field] = nil } }
        for key in contact.custom.keys.sorted() { add { $0.custom[key] = nil } }
        for key in contact.extensions.keys.sorted() { add { $0.extensions[key] = nil } }
        for kind in OtherValueKind.allCases {
            for index in contact[others: kind].indices { add { $0[others: kind].remove(at: index) } }
            for index in contact[others: kind].indices where !contact[others: kind][index].label.isEmpty {
                add { $0[others: kind][index].label = "" }
            }
        }
        for (field, value) in contact.fields.sorted(by: { $0.key < $1.key }) {
            for shorter in shorter(value) {
                add { $0.fields[field] = (try? Validator.normalise(shorter, for: field)) ?? value }
            }
        }
        for (key, value) in contact.custom.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .text(let text): for shorter in shorter(text) { add { $0.custom[key] = .text(shorter) } }
            case .select(let text): for shorter in shorter(text) { add { $0.custom[key] = .select(shorter) } }
            case .multiselect(let items):
                for index in items.indices { add { $0.custom[key] = .multiselect(items.enumerated().filter { $0.offset != index }.map(\.element)) } }
                for (index, item) in items.enumerated() {
                    for shorter in shorter(item) { add { var copy = items; copy[index] = shorter; $0.custom[key] = .multiselect(copy) } }
                }
            case .json(let document):
                add { $0.custom[key] = .json(.array([])) }
                if case .array(let items) = document, !items.isEmpty {
                    for index in items.indices { add { $0.custom[key] = .json(.array(items.enumerated().filter { $0.offset != index }.map(\.element))) } }
                }
                if case .object(let members) = document, !members.isEmpty {
                    for member in members.keys.sorted() { add { var copy = members; copy[member] = nil; $0.custom[key] = .json(.object(copy)) } }
                }
            default: break
            }
        }
        for (key, value) in contact.extensions.sorted(by: { $0.key < $1.key }) {
            add { $0.extensions[key] = .null }
            if case .string(let text) = value { for shorter in shorter(text) { add { $0.extensions[key] = .string(shorter) } } }
        }
        let plainTime = Timestamp(parsing: "2024-01-01T00:00:00Z")!
        add { $0.createdAt = plainTime; $0.updatedAt = plainTime }
        add { $0.uid = "00000000-0000-4000-8000-000000000000" }
        return out
    }

    /// Halves, then one character less at either end.
    static func shorter(_ text: String) -> [String] {
        let characters = Array(text)
        guard characters.count > 1 else { return characters.isEmpty ? [] : [""] }
        let half = characters.count / 2
        return [String(characters[..<half]), String(characters[half...]), String(characters.dropFirst()), String(characters.dropLast())]
    }

    /// The smallest contact `fails` still holds for, found greedily.
    static func minimise(_ contact: Contact, _ fails: (Contact) -> Bool) -> Contact {
        var current = contact
        var steps = 0
        search: while steps < 2000 {
            for candidate in shrink(current) where fails(candidate) {
                current = candidate
                steps += 1
                continue search
            }
            break
        }
        return current
    }

    /// A contact as Swift source, to paste into a regression test.
    static func describe(_ contact: Contact) -> String {
        var parts = ["uid: \(String(reflecting: contact.uid))"]
        if !contact.fields.isEmpty {
            parts.append("fields: [" + contact.fields.sorted { $0.key < $1.key }
                .map { ".\($0.key): \(String(reflecting: $0.value))" }.joined(separator: ", ") + "]")
        }
        if !contact.custom.isEmpty {
            parts.append("custom: [" + contact.custom.sorted { $0.key < $1.key }
                .map { "\(String(reflecting: $0.key)): \(String(reflecting: $0.value))" }.joined(separator: ", ") + "]")
        }
        if !contact.extensions.isEmpty {
            parts.append("extensions: [" + contact.extensions.sorted { $0.key < $1.key }
                .map { "\(String(reflecting: $0.key)): \(String(reflecting: $0.value))" }.joined(separator: ", ") + "]")
        }
        for (name, values) in [("otherEmails", contact.otherEmails), ("otherPhones", contact.otherPhones)] where !values.isEmpty {
            parts.append("\(name): [" + values.map { "LabelledValue(label: \(String(reflecting: $0.label)), value: \(String(reflecting: $0.value)))" }
                .joined(separator: ", ") + "]")
        }
        parts.append("createdAt: \(contact.createdAt.rfc3339), updatedAt: \(contact.updatedAt.rfc3339)")
        return "Contact(" + parts.joined(separator: ", ") + ")"
    }
}
