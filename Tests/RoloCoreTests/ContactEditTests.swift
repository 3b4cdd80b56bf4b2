import Testing
@testable import RoloCore

/// Edits are per-field: unchanged, cleared or set. Providers need "clear" and "leave alone" apart.
@Suite("Contact edits")
struct ContactEditTests {
    static let contact = makeContact([.email: "rob@example.com", .city: "Dallas", .company: "Acme"],
                                     custom: ["plan": .text("gold"), "score": .number(42)])

    @Test func aNewEditLeavesEveryFieldUnchanged() {
        let edit = ContactEdit()
        #expect(edit.isEmpty)
        #expect(edit.keys == [])
        #expect(edit[.standard(.city)] == .unchanged)
        #expect(edit[.custom("plan")] == .unchanged)
        #expect(edit.applied(to: Self.contact) == Self.contact)
        #expect(edit.deltas(against: Self.contact) == [])
    }

    @Test func unchangedClearAndSetAreThreeDifferentThings() {
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        edit.clear(.standard(.company))
        #expect(edit[.standard(.email)] == .unchanged)
        #expect(edit[.standard(.company)] == .clear)
        #expect(edit[.standard(.city)] == .set(.text("Austin")))
        #expect(edit.changes.count == 2)
    }

    @Test func settingAFieldBackToUnchangedForgetsTheChange() {
        var edit = ContactEdit()
        edit.set(custom: "plan", .text("silver"))
        edit.clear(.standard(.city))
        edit[.custom("plan")] = .unchanged
        #expect(edit.keys == [.standard(.city)])
        edit[.standard(.city)] = .unchanged
        #expect(edit.isEmpty)
    }

    @Test func clearingAndSettingToNothingEndTheSameButAreDifferentEdits() {
        var cleared = ContactEdit(), emptied = ContactEdit()
        cleared.clear(.standard(.city))
        emptied.set(.city, "")
        #expect(cleared != emptied)
        #expect(cleared.applied(to: Self.contact) == emptied.applied(to: Self.contact))
        #expect(cleared.applied(to: Self.contact)[.city] == nil)
    }

    @Test func applyingChangesOnlyTheFieldsTheEditNames() {
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        edit.clear(.standard(.company))
        edit.set(custom: "tier", .select("vip"))
        edit.clear(.custom("plan"))
        let after = edit.applied(to: Self.contact)
        #expect(after.fields == [.email: "rob@example.com", .city: "Austin"])
        #expect(after.custom == ["score": .number(42), "tier": .select("vip")])
        #expect(after.uid == Self.contact.uid)
        #expect(after.extensions == Self.contact.extensions)
    }

    @Test func aStandardFieldTakesTheDisplayedTextOfATypedValue() {
        var edit = ContactEdit()
        edit[.standard(.status)] = .set(.custom(.bool(true)))
        edit[.custom("note")] = .set(.text("plain"))
        let after = edit.applied(to: Self.contact)
        #expect(after[.status] == "yes")
        #expect(after.custom["note"] == .text("plain"))
    }

    @Test func deltasPairBeforeAndAfterInFieldOrder() {
        var edit = ContactEdit()
        edit.set(custom: "score", .number(7))
        edit.clear(.custom("plan"))
        edit.set(.city, "Austin")
        edit.set(.firstName, "Rob")
        edit.clear(.standard(.company))
        #expect(edit.deltas(against: Self.contact) == [
            FieldDelta(key: .standard(.firstName), before: nil, after: .text("Rob")),
            FieldDelta(key: .standard(.company), before: .text("Acme"), after: nil),
            FieldDelta(key: .standard(.city), before: .text("Dallas"), after: .text("Austin")),
            FieldDelta(key: .custom("plan"), before: .custom(.text("gold")), after: nil),
            FieldDelta(key: .custom("score"), before: .custom(.number(42)), after: .custom(.number(7))),
        ])
    }

    @Test func changesThatChangeNothingHaveNoDeltas() {
        var edit = ContactEdit()
        edit.set(.city, "Dallas")
        edit.set(custom: "score", .number(42))
        edit.clear(.standard(.lastName))
        edit.clear(.custom("nothing-here"))
        #expect(!edit.isEmpty)
        #expect(edit.deltas(against: Self.contact) == [])
    }

    @Test func theEditBetweenTwoVersionsRebuildsTheSecond() {
        var new = Self.contact
        new[.city] = "Austin"
        new[.company] = nil
        new[.jobTitle] = "CTO"
        new.custom = ["score": .number(42), "active": .bool(true)]
        let edit = ContactEdit.between(Self.contact, new)
        #expect(edit.keys == [.standard(.jobTitle), .standard(.company), .standard(.city), .custom("active"), .custom("plan")])
        #expect(edit[.standard(.company)] == .clear)
        #expect(edit[.custom("plan")] == .clear)
        let rebuilt = edit.applied(to: Self.contact)
        #expect(rebuilt.fields == new.fields)
        #expect(rebuilt.custom == new.custom)
        #expect(ContactEdit.between(new, new).isEmpty)
    }

    @Test func deltasReplayAndTheirReversalUndoes() {
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        edit.clear(.standard(.company))
        edit.set(.phone, "+15557140059")
        edit.set(custom: "plan", .select("silver"))
        edit.clear(.custom("score"))
        let deltas = edit.deltas(against: Self.contact)
        let after = edit.applied(to: Self.contact)

        let replayed = ContactEdit(deltas: deltas).applied(to: Self.contact)
        #expect(replayed.fields == after.fields && replayed.custom == after.custom)

        let undone = ContactEdit(deltas: deltas.map(\.reverted)).applied(to: after)
        #expect(undone.fields == Self.contact.fields)
        #expect(undone.custom == Self.contact.custom)
    }

    @Test func reversingADeltaSwapsBeforeAndAfter() {
        let delta = FieldDelta(key: .standard(.city), before: .text("Dallas"), after: nil)
        #expect(delta.reverted == FieldDelta(key: .standard(.city), before: nil, after: .text("Dallas")))
        #expect(delta.reverted.reverted == delta)
    }
}

@Suite("Contacts and field names")
struct ContactTests {
    @Test func emptyValuesAreNotStored() {
        var contact = makeContact([.city: "", .email: "a@example.com"])
        #expect(contact.fields == [.email: "a@example.com"])
        contact[.email] = ""
        #expect(contact.fields.isEmpty)
        contact[.city] = "Dallas"
        contact[.city] = nil
        #expect(contact.email == nil && contact[.city] == nil)
    }

    @Test(arguments: [
        ([StandardField.fullName: "Dr Kim Lee", .firstName: "Kim", .email: "kim@example.com"], "Dr Kim Lee"),
        ([.fullName: "  ", .firstName: " Kim ", .lastName: "Lee"], "Kim Lee"),
        ([.lastName: "Lee", .email: "kim@example.com"], "Lee"),
        ([.email: "kim@example.com", .mobilePhone: "+15557140059"], "kim@example.com"),
        ([.mobilePhone: "+15557140059", .phone: "+15550000000"], "+15557140059"),
        ([.phone: "+15550000000", .company: "Acme"], "+15550000000"),
        ([.company: "Acme", .city: "Dallas"], "Acme"),
        ([.city: "Dallas"], "(no name)"),
    ])
    func theDisplayNameFallsBackFromNamesToContactDetails(_ fields: [StandardField: String], _ name: String) {
        #expect(makeContact(fields).displayName == name)
    }

    @Test func theSortKeyFoldsTheNameAndEndsWithTheUID() {
        let contact = makeContact([.fullName: "Émile Zola"], uid: "u-7")
        #expect(contact.sortKey == "emile zola\u{1}u-7")
        let names = ["Fred", "émile", "Eli", "Zoë", "zoe"]
        let sorted = names.enumerated().map { makeContact([.fullName: $1], uid: "u\($0)") }.sorted { $0.sortKey < $1.sortKey }
        #expect(sorted.map(\.displayName) == ["Eli", "émile", "Fred", "Zoë", "zoe"])
    }

    @Test func keysWithValuesListStandardFieldsInOrderThenCustomKeysSorted() {
        let contact = makeContact([.notes: "n", .email: "e@example.com", .firstName: "F"], custom: ["b": .bool(true), "a": .number(1)])
        #expect(contact.keysWithValues == [.standard(.firstName), .standard(.email), .standard(.notes), .custom("a"), .custom("b")])
        #expect(contact.value(of: .standard(.email)) == .text("e@example.com"))
        #expect(contact.value(of: .custom("b")) == .custom(.bool(true)))
        #expect(contact.value(of: .standard(.city)) == nil)
        #expect(contact.value(of: .custom("zzz")) == nil)
    }

    @Test(arguments: [
        ("city", FieldKey.standard(.city)), ("CITY", .standard(.city)), ("zip", .standard(.postcode)),
        ("first-name", .standard(.firstName)), ("surname", .standard(.lastName)), ("custom.city", .custom("city")),
        ("plan", .custom("plan")), ("custom.plan", .custom("plan")), ("Plan", .custom("Plan")),
    ])
    func aFieldNameIsAStandardFieldAnAliasOrACustomKey(_ name: String, _ key: FieldKey) {
        #expect(FieldKey(parsing: name) == key)
    }

    @Test(arguments: [FieldKey.standard(.postcode), .custom("plan"), .custom("city"), .custom("zip"), .custom("Mobile")])
    func aFieldKeyIsWrittenSoThatItReadsBackTheSame(_ key: FieldKey) {
        #expect(FieldKey(parsing: key.description) == key)
    }

    @Test func customKeysThatLookStandardAreWrittenWithTheirPrefix() {
        #expect(FieldKey.custom("city").description == "custom.city")
        #expect(FieldKey.custom("zip").description == "custom.zip")
        #expect(FieldKey.custom("plan").description == "plan")
        #expect(FieldKey.standard(.mobilePhone).description == "mobile_phone")
    }

    @Test func everyStandardFieldIsFoundByItsKeyAndEveryAlias() {
        for field in StandardField.allCases {
            for name in [field.key, field.key.uppercased(), field.key.replacingOccurrences(of: "_", with: "-")] + field.aliases {
                #expect(StandardField(named: name) == field, "\(name)")
            }
        }
        #expect(StandardField(named: "plan") == nil)
        #expect(StandardField(named: "") == nil)
        #expect(StandardField(named: "first name") == nil)
    }

    @Test func standardFieldsSortInDeclarationOrderAndFlagsAreNotSearchable() {
        #expect(StandardField.allCases.sorted() == StandardField.allCases)
        #expect(StandardField.salutation < StandardField.notes)
        #expect(!StandardField.searchable.contains(.emailOptOut))
        #expect(StandardField.searchable.count == StandardField.allCases.count - 3)
        #expect(FieldKey.standard(.notes) < FieldKey.custom("a"))
        #expect(FieldKey.custom("a") < FieldKey.custom("b"))
    }
}
