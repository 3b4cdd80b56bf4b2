import Foundation
import Testing
import RoloCore
import RoloStore
@testable import RoloSync

/// Each account follows its provider's rules before anything is written: what a contact needs,
/// which standard fields the provider keeps, and how its custom fields work (PROVIDERS.md §4).
@Suite("Account rules")
struct AccountRulesTests {
    let service: RoloServices
    let cache: LocalCache
    let local: Account

    init() throws {
        (service, cache) = try freshService()
        local = try service.accounts.defaultAccount()
    }

    // MARK: - The local account

    @Test func theLocalAccountAcceptsAnyCustomKeyAndTypesItByItsValue() throws {
        let outcome = try service.editor.add(try assignments(
            "email=ana@example.com", "score=42", "ratio=-0.5", "vip=true", "since=2024-02-29",
            "seen=2024-06-01T09:00:00Z", #"prefs={"theme":"dark"}"#, "tags=[1,2]",
            "code=01234", "ext=+1555", "nick=Bobby", "not_a_day=2024-02-30", "amount=1,000", "padded=1.50"), to: local)
        let custom = try service.reader.contact(try #require(outcome.contact.id)).custom
        #expect(custom["score"] == .number(42))
        #expect(custom["ratio"] == .number(-0.5))
        #expect(custom["vip"] == .bool(true))
        #expect(custom["since"] == .date(day("2024-02-29")))
        #expect(custom["seen"] == .datetime(instant("2024-06-01T09:00:00Z")))
        #expect(custom["prefs"] == .json(.object(["theme": .string("dark")])))
        #expect(custom["tags"] == .json(.array([.number(1), .number(2)])))
        // What would be altered by reading it as a number or a date stays text, exactly as typed.
        #expect(custom["code"] == .text("01234"))
        #expect(custom["ext"] == .text("+1555"))
        #expect(custom["nick"] == .text("Bobby"))
        #expect(custom["not_a_day"] == .text("2024-02-30"))
        #expect(custom["amount"] == .text("1,000"))
        #expect(custom["padded"] == .text("1.50"))
        #expect(outcome.warnings.isEmpty)
    }

    @Test func aTypeWrittenAfterTheKeyWinsOverTheGuess() throws {
        let outcome = try service.editor.add(try assignments(
            "email=ana@example.com", "score:text=42", "level:select=gold", "langs:multiselect=pt, en, pt",
            "when:datetime=2024-01-01 10:00:00", "flag:bool=no", "born:date=1985-03-17"), to: local)
        let custom = try service.reader.contact(try #require(outcome.contact.id)).custom
        #expect(custom["score"] == .text("42"))
        #expect(custom["level"] == .select("gold"))
        #expect(custom["langs"] == .multiselect(["pt", "en"]))
        #expect(custom["when"] == .datetime(instant("2024-01-01T10:00:00Z")))
        #expect(custom["flag"] == .bool(false))
        #expect(custom["born"] == .date(day("1985-03-17")))

        let issues = try #require(refusal { _ = try service.editor.add(try assignments("email=b@example.com", "score:number=many"), to: local) })
        #expect(issues.map(\.field) == ["custom.score"])
        #expect(issues.first?.message.hasPrefix("“many” is not a number") == true)
    }

    /// A value keeps its type: `key:type=` does not silently turn a number into text (issue 7);
    /// clearing it first does.
    @Test func aValueKeepsTheTypeItAlreadyHasUntilCleared() throws {
        let id = try #require(try service.editor.add(try assignments("email=ana@example.com", "score=42"), to: local).contact.id)
        let issues = try #require(refusal { _ = try service.editor.update(id, assignments: try assignments("score=lots")) })
        #expect(issues.map(\.field) == ["custom.score"])
        #expect(try service.reader.contact(id).custom["score"] == .number(42))

        _ = try service.editor.update(id, assignments: try assignments("score=43.5"))
        #expect(try service.reader.contact(id).custom["score"] == .number(43.5))
        let retyped = try #require(refusal { _ = try service.editor.update(id, assignments: try assignments("score:text=lots")) })
        #expect(retyped.map(\.description) == ["custom.score: holds a number; to store a text instead, clear it first (--clear score), then set it"])
        #expect(try service.reader.contact(id).custom["score"] == .number(43.5))
        _ = try service.editor.update(id, assignments: try assignments("score="))
        _ = try service.editor.update(id, assignments: try assignments("score:text=lots"))
        #expect(try service.reader.contact(id).custom["score"] == .text("lots"))
    }

    @Test func customKeysThatWouldBreakKeyValueSyntaxAreRefused() throws {
        let long = String(repeating: "k", count: 65)
        let spaced = try #require(refusal { _ = try service.editor.add(try assignments("email=a@example.com", "my key=1"), to: local) })
        #expect(spaced.map(\.field) == ["custom.my key"])
        #expect(spaced.first?.message.contains("must not contain") == true)
        let tooLong = try #require(refusal { _ = try service.editor.add(try assignments("email=a@example.com", "\(long)=1"), to: local) })
        #expect(tooLong.first?.message == "is longer than 64 characters")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func unusualCustomKeysAreAcceptedWithAWarning() throws {
        let outcome = try service.editor.add(try assignments("email=a@example.com", "Plan=gold", "custom.city=Springfield"), to: local)
        let stored = try service.reader.contact(try #require(outcome.contact.id))
        #expect(stored.custom["Plan"] == .text("gold"))
        #expect(stored.custom["city"] == .text("Springfield"))
        #expect(stored[.city] == nil, "custom.city is not the standard city")
        let warned = Set(outcome.warnings.map(\.field))
        #expect(warned == ["custom.Plan", "custom.city"])
        #expect(outcome.warnings.allSatisfy { $0.severity == .warning })
    }

    @Test func theLocalAccountCanDefineFieldsOfAnyTypeWithOptions() throws {
        let (tier, notes) = try service.accounts.addCustomField(key: "tier", type: .select, label: "Tier",
                                                       options: [SelectOption(value: "g", label: "Gold"), SelectOption(value: "s", label: "Silver")],
                                                       to: local)
        #expect(notes.isEmpty)
        #expect(tier.providerRef == nil)
        #expect(try service.accounts.fieldDefinitions(accountID: local.id).map(\.key) == ["tier"])

        let id = try #require(try service.editor.add(try assignments("email=a@example.com", "tier=gold"), to: local).contact.id)
        #expect(try service.reader.contact(id).custom["tier"] == .select("g"), "a label chooses its option's value")
        let issues = try #require(refusal { _ = try service.editor.update(id, assignments: try assignments("tier=bronze")) })
        #expect(issues.map(\.field) == ["custom.tier"])
        #expect(issues.first?.message.contains("Gold, Silver") == true)

        #expect(try #require(refusal { _ = try service.accounts.addCustomField(key: "tier", type: .text, to: local) }).first?.message
                == "is already a field of local")
        #expect(try #require(refusal { _ = try service.accounts.addCustomField(key: "size", type: .select, to: local) }).first?.message
                == "a select field needs at least one option")
        #expect(try #require(refusal { _ = try service.accounts.addCustomField(key: "bad key", type: .text, to: local) }).first?.field
                == "custom.bad key")
        let unpickable: [(FieldType, [SelectOption], String)] = [
            (.select, [SelectOption(value: " ", label: "Empty")], "an option needs a value (“Empty” has none)"),
            (.select, [SelectOption(value: "a"), SelectOption(value: "A")], "the option “A” is given twice"),
            (.multiselect, [SelectOption(value: "x,y")], "the option “x,y” has a comma; a multiselect's options cannot (several are written a, b)"),
        ]
        for (type, options, message) in unpickable {
            #expect(try #require(refusal { _ = try service.accounts.addCustomField(key: "size", type: type, options: options, to: local) })
                .first?.message == message)
        }
        #expect(try service.accounts.fieldDefinitions(accountID: local.id).count == 1)
    }

    // MARK: - DailyStory

    @Test func dailyStoryKeepsCustomValuesAsTextUnderAnyKey() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory, settings: ["data_center": "us-1"])
        #expect(try service.accounts.account(named: "ds").settings == ["data_center": "us-1"])
        let outcome = try service.editor.add(try assignments("email=ann@example.com", "score=42", "renewal=2024-01-01",
                                                      "stripe_customer_id=cus_9s6XKzkNRiz8i3"), to: ds)
        let custom = try service.reader.contact(try #require(outcome.contact.id)).custom
        #expect(custom == ["score": .text("42"), "renewal": .text("2024-01-01"), "stripe_customer_id": .text("cus_9s6XKzkNRiz8i3")])

        let typedKey = try #require(refusal { _ = try service.editor.add(try assignments("email=b@example.com", "score:number=42"), to: ds) })
        #expect(typedKey.first?.description == "custom.score: DailyStory stores custom values as text")

        let typedValue = Contact(accountID: ds.id, fields: [.email: "c@example.com"], custom: ["score": .number(42)])
        let issues = try #require(refusal { _ = try service.editor.create(typedValue) })
        #expect(issues.map(\.description) == ["custom.score: DailyStory stores custom values as text"])
        #expect(try service.reader.contactCount(in: .account(ds.id)) == 1)
    }

    @Test func dailyStoryNeedsAnEmailOrAMobilePhoneAndWarnsAboutFieldsItDoesNotKeep() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Ann"), to: ds) })
        #expect(issues.map(\.description) == ["email/mobile_phone: DailyStory needs email or mobile phone"])

        let byMobile = try service.editor.add(try assignments("mobile=+15557140059", "language=en"), to: ds)
        #expect(byMobile.contact.id != nil)
        #expect(byMobile.warnings.map(\.field) == ["language"])
        #expect(byMobile.warnings.first?.message == "DailyStory does not store it; it stays in rolo only")
        #expect(byMobile.contact[.language] == "en", "the value is still kept in rolo")
    }

    @Test func dailyStoryFieldsCanOnlyBeText() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        #expect(try #require(refusal { _ = try service.accounts.addCustomField(key: "score", type: .number, to: ds) }).first?.message
                == "DailyStory stores custom values as text")
        let (definition, _) = try service.accounts.addCustomField(key: "class_of_license", type: .text, to: ds)
        #expect(definition.type == .text)
        #expect(try service.accounts.fieldDefinitions(accountID: ds.id).map(\.key) == ["class_of_license"])
    }

    // MARK: - Notifuse

    @Test func notifuseNeedsAnEmailAndRefusesOneAnotherContactHas() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse)
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("mobile=+15557140059"), to: nf) })
        #expect(issues.map(\.description) == ["email: Notifuse needs email"])

        let first = try #require(try service.editor.add(try assignments("email=a@example.com"), to: nf).contact.id)
        let duplicate = try #require(refusal { _ = try service.editor.add(try assignments("email=A@Example.com"), to: nf) })
        #expect(duplicate.first?.field == "email")
        #expect(duplicate.first?.message == "A@Example.com is already contact \(first.shortID); Notifuse identifies contacts by email")

        let second = try #require(try service.editor.add(try assignments("email=b@example.com"), to: nf).contact.id)
        #expect(refusal { _ = try service.editor.update(second, assignments: try assignments("email=a@example.com")) } != nil)
        #expect(try service.reader.contact(second)[.email] == "b@example.com")
        // Its own address, in another case, is not a clash.
        _ = try service.editor.update(first, assignments: try assignments("email=A@example.com"))
        #expect(try service.reader.contact(first)[.email] == "A@example.com")
        // Other accounts may hold the same address.
        #expect(try service.editor.add(try assignments("email=a@example.com"), to: local).contact.id != nil)
        #expect(try service.reader.contactCount(in: .account(nf.id)) == 2)
    }

    @Test func notifuseFieldsTakeTheFirstFreeSlotOfTheirType() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse)
        for key in ["plan", "tier", "region_code", "segment", "source"] {
            _ = try service.accounts.addCustomField(key: key, type: .text, to: nf)
        }
        _ = try service.accounts.addCustomField(key: "ltv", type: .number, to: nf)
        _ = try service.accounts.addCustomField(key: "seen", type: .datetime, to: nf)
        _ = try service.accounts.addCustomField(key: "prefs", type: .json, to: nf)
        let definitions = try service.accounts.fieldDefinitions(accountID: nf.id)
        let slots = Dictionary(uniqueKeysWithValues: definitions.map { ($0.key, $0.providerRef ?? "") })
        #expect(slots == ["plan": "custom_string_1", "tier": "custom_string_2", "region_code": "custom_string_3",
                          "segment": "custom_string_4", "source": "custom_string_5", "ltv": "custom_number_1",
                          "seen": "custom_datetime_1", "prefs": "custom_json_1"])
        #expect(definitions.first { $0.key == "plan" }?.maxLength == 255, "string slots hold 255 characters")

        let full = try #require(refusal { _ = try service.accounts.addCustomField(key: "sixth", type: .text, to: nf) })
        #expect(full.first?.message == "all 5 text slots of nf are taken")
        let noBool = try #require(refusal { _ = try service.accounts.addCustomField(key: "vip", type: .bool, to: nf) })
        #expect(noBool.first?.message.hasPrefix("Notifuse has no bool slots") == true)
        let noDate = try #require(refusal { _ = try service.accounts.addCustomField(key: "born", type: .date, to: nf) })
        #expect(noDate.first?.field == "custom.born")
        #expect(try service.accounts.fieldDefinitions(accountID: nf.id).count == 8)
    }

    @Test func notifuseValuesAreCheckedAgainstTheirSlotType() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse)
        _ = try service.accounts.addCustomField(key: "plan", type: .text, to: nf)
        _ = try service.accounts.addCustomField(key: "ltv", type: .number, to: nf)
        _ = try service.accounts.addCustomField(key: "seen", type: .datetime, to: nf)
        _ = try service.accounts.addCustomField(key: "prefs", type: .json, to: nf)

        let outcome = try service.editor.add(try assignments("email=a@example.com", "plan=gold", "ltv=1250.5",
                                                      "seen=2023-06-01T09:00:00+02:00", #"prefs=["email","sms"]"#), to: nf)
        let custom = try service.reader.contact(try #require(outcome.contact.id)).custom
        #expect(custom["plan"] == .text("gold"))
        #expect(custom["ltv"] == .number(1250.5))
        #expect(custom["seen"] == .datetime(instant("2023-06-01T07:00:00Z")))
        #expect(custom["prefs"] == .json(.array([.string("email"), .string("sms")])))

        let tooLong = String(repeating: "x", count: 256)
        let cases: [(String, String)] = [
            ("plan=\(tooLong)", "custom.plan: is 256 characters long; the most it can hold is 255"),
            ("ltv=lots", "custom.ltv: “lots” is not a number"),
            ("seen=2023-06-01", "custom.seen: “2023-06-01” is not a date and time"),
            ("prefs=42", "custom.prefs: must be a JSON object or array, not a single value"),
        ]
        for (text, expected) in cases {
            let issues = try #require(refusal { _ = try service.editor.add(try assignments("email=z@example.com", text), to: nf) })
            #expect(issues.count == 1)
            #expect(issues.first?.description.hasPrefix(expected) == true, "\(text): \(issues)")
        }
        #expect(try service.reader.contactCount(in: .account(nf.id)) == 1)
    }

    @Test func notifuseRefusesAKeyWithoutASlotAndSaysHowToAddOne() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse)
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("email=a@example.com", "shoe_size=44"), to: nf) })
        #expect(issues.map(\.field) == ["custom.shoe_size"])
        #expect(issues.first?.message.contains("rolo field add shoe_size --type TYPE --account nf") == true)

        let typed = Contact(accountID: nf.id, fields: [.email: "b@example.com"], custom: ["shoe_size": .number(44)])
        #expect(try #require(refusal { _ = try service.editor.create(typed) }).map(\.field) == ["custom.shoe_size"])
        #expect(try service.reader.contactCount(in: .account(nf.id)) == 0)
    }

    // MARK: - iVvy

    /// An iVvy account with the fields it defines, as `getCustomFieldDefinition` would give them.
    func ivvyAccount(extra: [FieldDefinition] = []) throws -> Account {
        let ivvy = try service.accounts.createAccount(name: "ivvy", provider: .ivvy)
        try cache.setFieldDefinitions([
            FieldDefinition(key: "birth_date", label: "Birth Date", type: .date, providerRef: "5"),
            FieldDefinition(key: "diet", label: "Diet", type: .multiselect,
                            options: [SelectOption(value: "vegan", label: "Vegan"), SelectOption(value: "halal", label: "Halal"),
                                      SelectOption(value: "kosher", label: "Kosher")], providerRef: "6"),
            FieldDefinition(key: "tier", label: "Tier", type: .select,
                            options: [SelectOption(value: "1", label: "Gold"), SelectOption(value: "2", label: "Silver")], providerRef: "7"),
            FieldDefinition(key: "guests", label: "Guests", type: .number, wholeNumbersOnly: true, providerRef: "8"),
            FieldDefinition(key: "badge", label: "Badge", type: .text, isReadOnly: true, providerRef: "9"),
        ] + extra, accountID: ivvy.id)
        return ivvy
    }

    @Test func iVvyNeedsAFirstNameALastNameAndAnEmail() throws {
        let ivvy = try ivvyAccount()
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("email=kim@example.com"), to: ivvy) })
        #expect(issues.map(\.description) == ["first_name: iVvy needs first name, last name"])
        let noEmail = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Kim", "last_name=Park",
                                                                                 "mobile=+15557140059"), to: ivvy) })
        #expect(noEmail.map(\.description) == ["email: iVvy needs email"])

        let outcome = try service.editor.add(try assignments("first_name=Kim", "last_name=Park", "email=kim@example.com", "city=Perth"), to: ivvy)
        #expect(outcome.contact.id != nil)
        #expect(outcome.warnings.map(\.description) == ["city: iVvy does not store it; it stays in rolo only"])
        #expect(try service.reader.contactCount(in: .account(ivvy.id)) == 1)
    }

    @Test func iVvyValuesFollowTheTypesAndOptionsItDefines() throws {
        let ivvy = try ivvyAccount()
        let outcome = try service.editor.add(try assignments("first_name=Kim", "last_name=Park", "email=kim@example.com",
                                                      "birth_date=1985-03-17", "diet=VEGAN, halal", "tier=gold", "guests=3"), to: ivvy)
        let custom = try service.reader.contact(try #require(outcome.contact.id)).custom
        #expect(custom == ["birth_date": .date(day("1985-03-17")), "diet": .multiselect(["vegan", "halal"]),
                           "tier": .select("1"), "guests": .number(3)])

        let cases: [(String, String)] = [
            ("birth_date=17/03/1985", "custom.birth_date: “17/03/1985” is not a date"),
            ("diet=vegan, paleo", "custom.diet: “paleo” is not one of the options (Vegan, Halal, Kosher)"),
            ("tier=bronze", "custom.tier: “bronze” is not one of the options (Gold, Silver)"),
            ("guests=2.5", "custom.guests: must be a whole number"),
            ("badge=VIP", "custom.badge: is read-only in ivvy"),
            ("birth_date:number=1985", "custom.birth_date: is a date field, not number"),
        ]
        for (text, expected) in cases {
            let issues = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Lee", "last_name=Wu",
                                                                                    "email=lee@example.com", text), to: ivvy) })
            #expect(issues.map(\.description).first?.hasPrefix(expected) == true, "\(text): \(issues)")
        }
        #expect(try service.reader.contactCount(in: .account(ivvy.id)) == 1)
    }

    @Test func iVvyOnlyTakesTheFieldsItDefines() throws {
        let ivvy = try ivvyAccount()
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Kim", "last_name=Park",
                                                                                "email=kim@example.com", "shoe_size=44"), to: ivvy) })
        #expect(issues.map(\.description)
                == ["custom.shoe_size: is not one of the custom fields iVvy defines for ivvy (birth_date, diet, tier, guests, badge)"])
        let added = try #require(refusal { _ = try service.accounts.addCustomField(key: "shoe_size", type: .text, to: ivvy) })
        #expect(added.first?.message == "iVvy defines its custom fields itself; only those can be filled in.")
        #expect(try service.accounts.fieldDefinitions(accountID: ivvy.id).count == 5)
    }

    @Test func iVvysEmailStatusIsCheckedWhenItIsSetAndRegisteringCannotBeSet() throws {
        let ivvy = try ivvyAccount()
        // A new contact may carry Registering (read from an iVvy export, say): iVvy decides on create.
        let kim = try #require(try service.editor.add(try assignments("first_name=Kim", "last_name=Park", "email=kim@example.com",
                                                                      "status=registering"), to: ivvy).contact.id)
        #expect(try service.reader.contact(kim)[.status] == "Registering")
        // Another field of it can be edited; its status cannot be set to Registering.
        #expect(try service.editor.update(kim, assignments: try assignments("first_name=Kimberly")).deltas.count == 1)
        let cases: [(String, String)] = [
            ("status=Registering", "status: Registering is an iVvy email status that can be read but not set "
                + "(write one of Subscribed, Unsubscribed, Bounced, No Marketing)"),
            ("status=4", "status: Registering is an iVvy email status that can be read but not set"),
            ("status=Pending", "status: “Pending” is not an iVvy email status (write one of Subscribed, Unsubscribed, Bounced, No Marketing)"),
        ]
        for (text, expected) in cases {
            let issues = try #require(refusal { _ = try service.editor.update(kim, assignments: try assignments(text)) }, "\(text)")
            #expect(issues.map(\.description).first?.hasPrefix(expected) == true, "\(text): \(issues)")
        }
        // iVvy's names in any case, or its numbers, are stored as iVvy names them.
        _ = try service.editor.update(kim, assignments: try assignments("status=no marketing"))
        #expect(try service.reader.contact(kim)[.status] == "No Marketing")
        _ = try service.editor.update(kim, assignments: try assignments("status=2"))
        #expect(try service.reader.contact(kim)[.status] == "Unsubscribed")
    }

    @Test func aFieldTheAccountRequiresMustBeFilledAndCannotBeCleared() throws {
        let ivvy = try ivvyAccount(extra: [FieldDefinition(key: "consent", type: .bool, isRequired: true, providerRef: "10")])
        let issues = try #require(refusal { _ = try service.editor.add(try assignments("first_name=Kim", "last_name=Park",
                                                                                "email=kim@example.com"), to: ivvy) })
        #expect(issues.map(\.description) == ["custom.consent: is required by the account"])

        let id = try #require(try service.editor.add(try assignments("first_name=Kim", "last_name=Park", "email=kim@example.com",
                                                              "consent=yes"), to: ivvy).contact.id)
        #expect(try service.reader.contact(id).custom["consent"] == .bool(true))
        let cleared = try #require(refusal {
            _ = try service.editor.update(id, assignments: [FieldAssignment(key: .custom("consent"), change: .clear)])
        })
        #expect(cleared.map(\.field) == ["custom.consent"])
        #expect(try service.reader.contact(id).custom["consent"] == .bool(true))
        // Editing another field is not blocked by it.
        _ = try service.editor.update(id, assignments: try assignments("guests=2"))
        #expect(try service.reader.contact(id).custom["guests"] == .number(2))
    }
}
