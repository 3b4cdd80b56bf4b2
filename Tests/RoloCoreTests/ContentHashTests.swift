import Testing
@testable import RoloCore

/// The fingerprint that tells whether two copies of a contact say the same thing.
@Suite("Content hash")
struct ContentHashTests {
    static let base = makeContact([.email: "rob@example.com", .firstName: "Rob", .city: "Dallas"],
                                  custom: ["plan": .text("gold"), "score": .number(42)],
                                  extensions: ["dailystory.leadId": .number(7)])

    @Test func theHashIsSixtyFourLowercaseHexDigits() {
        let hash = ContentHash.of(Self.base)
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func theHashOfAContactWithNothingIsTheHashOfNothing() {
        // SHA-256 of the empty string.
        #expect(ContentHash.of(makeContact()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func theOrderInWhichValuesWereGivenDoesNotMatter() {
        var fields: [StandardField: String] = [:]
        for (field, value) in [(StandardField.city, "Dallas"), (.firstName, "Rob"), (.email, "rob@example.com")] { fields[field] = value }
        var custom: [String: CustomValue] = [:]
        custom["score"] = .number(42)
        custom["plan"] = .text("gold")
        let reordered = makeContact(fields, custom: custom, extensions: ["dailystory.leadId": .number(7)])
        #expect(ContentHash.of(reordered) == ContentHash.of(Self.base))
    }

    @Test func theCaseOfAnEmailAddressDoesNotMatter() {
        var shouting = Self.base
        shouting[.email] = "ROB@Example.COM"
        #expect(ContentHash.of(shouting) == ContentHash.of(Self.base))
    }

    @Test func theCaseOfOtherFieldsDoes() {
        var lower = Self.base
        lower[.city] = "dallas"
        #expect(ContentHash.of(lower) != ContentHash.of(Self.base))
    }

    @Test func whitespaceAroundStandardAndTextValuesDoesNotMatter() {
        var padded = Self.base
        padded[.city] = "  Dallas\n"
        padded[.email] = "\trob@example.com "
        padded.custom["plan"] = .text(" gold\u{00A0}")
        #expect(ContentHash.of(padded) == ContentHash.of(Self.base))
    }

    @Test func whitespaceInsideAValueDoes() {
        var spaced = Self.base
        spaced[.city] = "Dal las"
        #expect(ContentHash.of(spaced) != ContentHash.of(Self.base))
    }

    @Test func aFieldOfOnlyWhitespaceCountsAsNoField() {
        var blank = Self.base
        blank.fields[.company] = "   "
        #expect(ContentHash.of(blank) == ContentHash.of(Self.base))
    }

    @Test func bookkeepingIsNotContent() {
        var other = Self.base
        other.id = ContactID(99)
        other.uid = "another-uid"
        other.accountID = 5
        other.createdAt = Timestamp(millisecondsSinceEpoch: 1)
        other.updatedAt = Timestamp(millisecondsSinceEpoch: 2)
        #expect(ContentHash.of(other) == ContentHash.of(Self.base))
    }

    @Test func anyChangeOfValueTypeOrKeyChangesTheHash() {
        var variants: [Contact] = [Self.base]
        func variant(_ change: (inout Contact) -> Void) {
            var copy = Self.base
            change(&copy)
            variants.append(copy)
        }
        variant { $0[.city] = "Austin" }
        variant { $0[.city] = nil }
        variant { $0[.lastName] = "Howard" }
        variant { let city = $0.fields.removeValue(forKey: .city); $0.fields[.region] = city }    // same value, other field
        variant { $0.custom["score"] = .number(43) }
        variant { $0.custom["score"] = .text("42") }                                  // same text, other type
        variant { $0.custom["plan"] = .select("gold") }
        variant { $0.custom["plan"] = nil }
        variant { let plan = $0.custom.removeValue(forKey: "plan"); $0.custom["tier"] = plan }    // same value, other key
        variant { $0.custom["plan"] = .text("Gold") }
        variant { $0.extensions["dailystory.leadId"] = .number(8) }
        variant { $0.extensions = [:] }
        variant { $0.extensions["ivvy.groups"] = .array([]) }
        let hashes = variants.map(ContentHash.of)
        #expect(Set(hashes).count == variants.count)
    }

    @Test func aTextValueAndAStandardFieldWithTheSameNameAreDifferent() {
        let standard = makeContact([.city: "Dallas"])
        let custom = makeContact(custom: ["city": .text("Dallas")])
        #expect(ContentHash.of(standard) != ContentHash.of(custom))
    }

    @Test func equalJSONDocumentsHashAlikeWhateverTheirKeyOrder() throws {
        let one = makeContact(custom: ["prefs": .json(try JSONValue.parse(#"{"a": 1, "b": [true]}"#))])
        let two = makeContact(custom: ["prefs": .json(try JSONValue.parse(#"{"b": [true], "a": 1.0}"#))])
        #expect(ContentHash.of(one) == ContentHash.of(two))
    }
}
