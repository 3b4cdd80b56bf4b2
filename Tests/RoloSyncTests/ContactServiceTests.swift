import Foundation
import Testing
import RoloCore
import RoloInterchange
import RoloStore
@testable import RoloSync

/// The façade the view models and commands use: every edit is validated against its account,
/// then written with its outbox entry and audit row, or not at all.
@Suite("Contact service")
struct ContactServiceTests {
    let service: ContactService
    let cache: LocalCache
    let local: Account

    init() throws {
        cache = try LocalCache(clock: { Timestamp(parsing: "2026-11-25T10:00:00Z")! })
        service = ContactService(cache: cache, author: Author(user: "alex", clientAddress: "203.0.113.7"))
        local = try service.defaultAccount()
    }

    func assignments(_ texts: String...) throws -> [FieldAssignment] {
        try texts.map { try FieldAssignment(parsing: $0) }
    }

    func issues(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch RoloError.invalid(let issues) {
            return issues.map(\.description)
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    @Test func addingWritesTheContactAnOutboxEntryAndAnAuditRowWithItsAuthor() throws {
        let outcome = try service.add(try assignments("email=ana@example.com", "first_name=Ana", "score=42", "vip=true"), to: local)
        let id = try #require(outcome.contact.id)
        #expect(try service.contact(id).custom == ["score": .number(42), "vip": .bool(true)])
        #expect(try service.outbox(for: id).map(\.operation) == [.create])
        let audit = try service.audit(for: id)
        #expect(audit.map(\.action) == ["create"])
        #expect(audit.first?.author == Author(user: "alex", clientAddress: "203.0.113.7"))
        #expect(audit.first?.at == Timestamp(parsing: "2026-11-25T10:00:00Z"))
    }

    @Test func anInvalidValueWritesNothingAndNamesTheField() throws {
        let problems = issues { _ = try service.add(try assignments("email=not-an-address", "mobile_phone=12"), to: local) }
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("email: “not-an-address” is not an email address") })
        #expect(problems.contains { $0.hasPrefix("mobile_phone: ") })
        #expect(try service.contactCount(in: .all) == 0)
        #expect(try service.outbox().isEmpty)
    }

    @Test func anEmailOrAMobilePhoneIsNeeded() throws {
        let problems = issues { _ = try service.add(try assignments("first_name=Ana"), to: local) }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("email/mobile_phone: ") == true, "\(problems)")
        #expect(try service.contactCount(in: .all) == 0)
        _ = try service.add(try assignments("mobile_phone=+44 7700 900281"), to: local)
        #expect(try service.contactCount(in: .all) == 1)
    }

    @Test func eachProviderKindEnforcesItsOwnRules() throws {
        let ivvy = try service.createAccount(name: "ivvy", provider: .ivvy)
        let problems = issues { _ = try service.add(try assignments("email=kim@example.com"), to: ivvy) }
        #expect(!problems.isEmpty)
        #expect(problems.allSatisfy { $0.contains("first_name") || $0.contains("last_name") }, "\(problems)")
        _ = try service.add(try assignments("email=kim@example.com", "first_name=Kim", "last_name=Park"), to: ivvy)

        let notifuse = try service.createAccount(name: "notifuse", provider: .notifuse)
        #expect(!issues { _ = try service.add(try assignments("mobile_phone=+15557140059"), to: notifuse) }.isEmpty)
        #expect(issues { _ = try service.add(try assignments("email=a@example.com", "plan=gold"), to: notifuse) }
                .contains { $0.hasPrefix("custom.plan: ") })
        _ = try service.add(try assignments("email=a@example.com"), to: notifuse)
        // Notifuse knows a contact by its email: a second one with it is refused.
        #expect(issues { _ = try service.add(try assignments("email=A@example.com"), to: notifuse) }
                .contains { $0.hasPrefix("email: ") && $0.contains("Notifuse identifies contacts by email") })
    }

    @Test func notifuseFieldsTakeTheNextFreeSlotOfTheirType() throws {
        let notifuse = try service.createAccount(name: "notifuse", provider: .notifuse)
        _ = try service.addCustomField(key: "plan", type: .text, to: notifuse)
        _ = try service.addCustomField(key: "tier", type: .text, to: notifuse)
        _ = try service.addCustomField(key: "ltv", type: .number, to: notifuse)
        let refs = try service.fieldDefinitions(accountID: notifuse.id).map { "\($0.key)=\($0.providerRef ?? "")" }
        #expect(refs.sorted() == ["ltv=custom_number_1", "plan=custom_string_1", "tier=custom_string_2"])
        let outcome = try service.add(try assignments("email=a@example.com", "ltv=12.5"), to: notifuse)
        #expect(outcome.contact.custom["ltv"] == .number(12.5))
        #expect(issues { _ = try service.add(try assignments("email=b@example.com", "ltv=lots"), to: notifuse) }
                .contains { $0.hasPrefix("custom.ltv: “lots” is not a number") })
    }

    @Test func updatingChangesOnlyWhatIsNamedAndANoOpWritesNothing() throws {
        let id = try service.add(try assignments("email=rob@example.com", "city=Dallas", "company=Acme"), to: local).contact.id!
        let outcome = try service.update(id, assignments: try assignments("city=Austin", "company="))
        #expect(outcome.deltas.map { DeltaNames.name(of: $0.key) }.sorted() == ["city", "company"])
        let stored = try service.contact(id)
        #expect(stored[.city] == "Austin")
        #expect(stored[.company] == nil)
        #expect(stored[.email] == "rob@example.com")
        #expect(try service.outbox(for: id).count == 2)

        let again = try service.update(id, assignments: try assignments("city=Austin"))
        #expect(again.deltas.isEmpty)
        #expect(try service.outbox(for: id).count == 2)
        #expect(try service.audit(for: id).count == 2)
    }

    @Test func aBadEditLeavesTheContactAsItWas() throws {
        let id = try service.add(try assignments("email=rob@example.com", "city=Dallas"), to: local).contact.id!
        #expect(!issues { _ = try service.update(id, assignments: try assignments("city=Austin", "email=broken")) }.isEmpty)
        #expect(try service.contact(id)[.city] == "Dallas")
        #expect(try service.outbox(for: id).count == 1)
    }

    @Test func clearingTheLastWayToReachAContactIsRefused() throws {
        let id = try service.add(try assignments("email=rob@example.com"), to: local).contact.id!
        #expect(!issues { _ = try service.update(id, assignments: [FieldAssignment(key: .standard(.email), change: .clear)]) }.isEmpty)
        #expect(try service.contact(id)[.email] == "rob@example.com")
    }

    @Test func undoWalksBackEditCreateAndDelete() throws {
        let id = try service.add(try assignments("email=rob@example.com", "city=Dallas"), to: local).contact.id!
        _ = try service.update(id, assignments: try assignments("city=Austin"))
        try service.delete(id)
        #expect(try service.contactCount(in: .all) == 0)

        #expect(try service.undoLastEdit(in: .all)?.kind == .delete)
        #expect(try service.contact(id)[.city] == "Austin")
        #expect(try service.undoLastEdit(in: .all)?.kind == .update)
        #expect(try service.contact(id)[.city] == "Dallas")
        #expect(try service.undoLastEdit(in: .all)?.kind == .create)
        #expect(try service.contactCount(in: .all) == 0)
        #expect(try service.undoLastEdit(in: .all) == nil)
        #expect(try service.audit(for: id).map(\.action).prefix(3) == ["undo create", "undo update", "undo delete"])
    }

    @Test func contactsAreFoundByShortIDEmailOrUID() throws {
        let contact = try service.add(try assignments("email=Rob@Example.com"), to: local).contact
        #expect(try service.resolve(contact.id!.shortID) == contact.id)
        #expect(try service.resolve("rob@example.com") == contact.id)
        #expect(try service.resolve(contact.uid) == contact.id)
        #expect(throws: RoloError.self) { try service.resolve("nobody@example.com") }
        #expect(throws: RoloError.self) { try service.contact(ContactID(999)) }
    }

    @Test func draftsAreKeptPerContactUntilSavedOrDiscarded() throws {
        let id = try service.add(try assignments("email=rob@example.com"), to: local).contact.id!
        let slot = DraftSlot.contact(id, accountID: local.id)
        try service.saveDraft(#"{"city":"Fort Wo"}"#, for: slot)
        try service.saveDraft(#"{"city":"Fort Worth"}"#, for: slot)
        #expect(try service.drafts().count == 1)
        #expect(try service.draft(for: slot)?.payload == #"{"city":"Fort Worth"}"#)
        try service.discardDraft(slot)
        #expect(try service.draft(for: slot) == nil)
    }
}

@Suite("Field input")
struct FieldInputTests {
    @Test func assignmentsAreParsedWithTheirOptionalType() throws {
        let plain = try FieldAssignment(parsing: "city=Dallas")
        #expect(plain.key == .standard(.city))
        #expect(plain.change == .set("Dallas"))
        let typed = try FieldAssignment(parsing: "score:number=42")
        #expect(typed.key == .custom("score"))
        #expect(typed.type == .number)
        #expect(try FieldAssignment(parsing: "custom.city=x").key == .custom("city"))
        #expect(try FieldAssignment(parsing: "company=").change == .clear)
        #expect(try FieldAssignment(parsing: "note=a=b").change == .set("a=b"))
    }

    @Test(arguments: [("city", "write key=value"), ("=x", "the key before = is empty"), ("score:money=1", "is not a type")])
    func malformedAssignmentsSayHowToWriteThem(_ text: String, _ advice: String) {
        #expect {
            try FieldAssignment(parsing: text)
        } throws: { error in
            "\(error)".contains(advice)
        }
    }

    @Test func definitionsDecideTheType() throws {
        let account = Account(id: 3, name: "ivvy", provider: .ivvy)
        let input = FieldInput(account: account, definitions: [
            FieldDefinition(key: "birth_date", type: .date),
            FieldDefinition(key: "diet", type: .multiselect, options: [SelectOption(value: "Vegan"), SelectOption(value: "Halal")]),
        ])
        let (edit, _) = try input.edit(from: [try FieldAssignment(parsing: "birth_date=1985-03-17"),
                                              try FieldAssignment(parsing: "diet=vegan, halal")], existing: nil)
        let contact = edit.applied(to: Contact(accountID: 3))
        #expect(contact.custom["birth_date"] == .date(LocalDate(year: 1985, month: 3, day: 17)!))
        #expect(contact.custom["diet"] == .multiselect(["Vegan", "Halal"]))
        #expect(throws: RoloError.self) { try input.edit(from: [try FieldAssignment(parsing: "birth_date=17/03/1985")], existing: nil) }
        #expect(throws: RoloError.self) { try input.edit(from: [try FieldAssignment(parsing: "shoe_size=44")], existing: nil) }
    }
}
