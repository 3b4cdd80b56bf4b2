import Foundation
import Testing
@testable import RoloCore

@Suite("Contact model")
struct ModelTests {
    // MARK: - Content hash

    @Test func theHashIgnoresEmailCaseSurroundingSpaceAndOrder() {
        let a = Contact(accountID: 1, fields: [.email: "Rob@Example.com", .city: " Dallas ", .firstName: "Rob"],
                        custom: ["plan": .text("gold "), "score": .number(42)])
        let b = Contact(accountID: 1, fields: [.firstName: "Rob", .city: "Dallas", .email: "rob@example.com"],
                        custom: ["score": .number(42), "plan": .text("gold")])
        #expect(ContentHash.of(a) == ContentHash.of(b))
        #expect(ContentHash.of(a).count == 64)
    }

    @Test func theHashChangesWithAnyValueOrType() {
        let base = Contact(accountID: 1, fields: [.email: "rob@example.com"], custom: ["score": .number(42)])
        var city = base
        city[.city] = "Dallas"
        let text = Contact(accountID: 1, fields: [.email: "rob@example.com"], custom: ["score": .text("42")])
        var extended = base
        extended.extensions["dailystory.leadId"] = .number(7)
        let hashes = [base, city, text, extended].map(ContentHash.of)
        #expect(Set(hashes).count == 4)
    }

    // MARK: - Edits

    @Test func unchangedClearAndSetAreThreeDifferentThings() {
        let contact = Contact(accountID: 1, fields: [.email: "rob@example.com", .city: "Dallas", .company: "Acme"],
                              custom: ["plan": .text("gold")])
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        edit.clear(.standard(.company))
        edit.set(custom: "score", .number(7))
        edit.clear(.custom("plan"))
        #expect(edit[.standard(.email)] == .unchanged)
        #expect(edit[.standard(.company)] == .clear)
        let after = edit.applied(to: contact)
        #expect(after[.email] == "rob@example.com")
        #expect(after[.city] == "Austin")
        #expect(after[.company] == nil)
        #expect(after.custom == ["score": .number(7)])

        let deltas = edit.deltas(against: contact)
        #expect(deltas.count == 4)
        #expect(deltas.contains(FieldDelta(key: .standard(.city), before: .text("Dallas"), after: .text("Austin"))))
        #expect(deltas.contains(FieldDelta(key: .custom("plan"), before: .custom(.text("gold")), after: nil)))
    }

    @Test func settingUnchangedRemovesAChangeAndANoOpEditHasNoDeltas() {
        let contact = Contact(accountID: 1, fields: [.city: "Dallas"])
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        #expect(edit.deltas(against: contact).isEmpty)
        edit[.standard(.city)] = .unchanged
        #expect(edit.isEmpty)
    }

    @Test func anEditBetweenTwoVersionsRebuildsTheSecond() {
        let old = Contact(accountID: 1, fields: [.city: "Dallas", .company: "Acme"], custom: ["a": .number(1)])
        var new = old
        new[.city] = "Austin"
        new[.company] = nil
        new.custom = ["b": .bool(true)]
        let edit = ContactEdit.between(old, new)
        let rebuilt = edit.applied(to: old)
        #expect(rebuilt.fields == new.fields)
        #expect(rebuilt.custom == new.custom)
        #expect(edit.deltas(against: old).map(\.reverted).allSatisfy { $0.before == nil || $0.after == nil || $0.before != $0.after })
    }

    // MARK: - Time

    @Test(arguments: [
        ("2023-06-01T09:00:00Z", "2023-06-01T09:00:00Z"),
        ("2023-06-01 09:00:00", "2023-06-01T09:00:00Z"),
        ("2023-06-01 09:00:00 UTC", "2023-06-01T09:00:00Z"),
        ("2023-06-01T04:30:00-04:30", "2023-06-01T09:00:00Z"),
        ("2023-06-01t09:00:00.5z", "2023-06-01T09:00:00.500Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),   // a leap second is kept within its minute
    ])
    func timestampsParseAndPrintInUTC(_ text: String, _ printed: String) throws {
        #expect(try #require(Timestamp(parsing: text)).rfc3339 == printed)
    }

    @Test(arguments: ["2023-06-01", "2023-06-01T09:00", "2023-06-01T09:00:00+0200", "2023-06-01T09:00:00Zjunk", "2023-06-31T09:00:00Z", ""])
    func notTimestamps(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func localDatesCountDaysBothWays() throws {
        #expect(LocalDate(year: 1970, month: 1, day: 1)?.daysSinceEpoch == 0)
        for days in [-719_162, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let date = LocalDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            #expect(LocalDate(iso: date.description) == date)
        }
        #expect(LocalDate.daysIn(month: 2, year: 1900) == 28)
        #expect(LocalDate.daysIn(month: 2, year: 2000) == 29)
        #expect(try #require(Timestamp(parsing: "2024-03-09 14:05:00")).display == "2024-03-09 14:05:00 UTC")
    }

    // MARK: - JSON

    @Test func strictJSONReadsEveryKindOfValue() throws {
        let value = try JSONValue.parse(#"{"s": "a\"b\\c\u00e9\ud83d\ude00", "n": -1.5e2, "t": true, "f": false, "z": null, "a": [1, [2]], "o": {}}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members["s"] == .string("a\"b\\cé😀"))
        #expect(members["n"] == .number(-150))
        #expect(members["z"] == .null)
        #expect(members["a"] == .array([.number(1), .array([.number(2)])]))
        #expect(members["o"] == .object([:]))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "line 1"),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", "line 3"),
        ("[1, 2", "end"),
        ("{'a': 1}", "line 1"),
        ("[01]", "line 1"),
        ("[1] [2]", "line 1"),
        ("\"\\ud83d\"", "line 1"),
        ("[NaN]", "line 1"),
        ("\"tab\there\"", "line 1"),
    ])
    func badJSONSaysWhere(_ text: String, _ place: String) {
        #expect {
            try JSONValue.parse(text)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.message.contains(place)
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func canonicalTextSortsKeysAndRoundTrips() throws {
        let value = try JSONValue.parse(#"{"b": [1.5, "x"], "a": {"d": null, "c": true}}"#)
        #expect(value.canonicalText == #"{"a":{"c":true,"d":null},"b":[1.5,"x"]}"#)
        #expect(try JSONValue.parse(value.canonicalText) == value)
    }
}
