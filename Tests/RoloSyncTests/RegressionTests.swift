import Foundation
import Testing
import RoloCore
@testable import RoloStore
@testable import RoloSync

/// Mistakes found by reading the service closely, kept from coming back.
@Suite("Contact service: found and fixed")
struct RegressionTests {
    @Test func aRefusedImportLeavesNoAccountBehind() throws {
        let (service, _) = try freshService()
        let file = #"{"accounts":[{"name":"ds","provider":"dailystory","fields":[{"key":"k","type":"text"}]}],"contacts":[{"account":"ds","first_name":"NoReach"}]}"#
        #expect(throws: RoloError.self) { try service.files.importFile(Data(file.utf8), format: .json) }
        #expect(try service.accounts.accounts().map(\.name) == ["local"])
        // The same file with a reachable contact still makes the account.
        let good = file.replacingOccurrences(of: #""first_name":"NoReach""#, with: #""email":"a@example.com""#)
        #expect(try service.files.importFile(Data(good.utf8), format: .json).createdAccounts == ["ds"])
    }

    @Test func aWarningIsToldOnce() throws {
        let (service, _) = try freshService()
        let outcome = try service.editor.add(try assignments("email=a@example.com", "Plan=gold"), to: try service.accounts.defaultAccount())
        #expect(outcome.warnings.map(\.field) == ["custom.Plan"])
    }

    @Test func anEditFromThePaneIsStoredNormalisedLikeACreate() throws {
        let (service, _) = try freshService()
        let id = try service.editor.add(try assignments("email=a@example.com"), to: try service.accounts.defaultAccount()).contact.id!
        var edit = ContactEdit()
        edit.set(.phone, "+1 555 714 0059")
        edit.set(.emailOptOut, "yes")
        edit.set(.city, "  Dallas  ")
        _ = try service.editor.save(edit, to: id)
        let stored = try service.reader.contact(id)
        #expect(stored[.phone] == "+15557140059")
        #expect(stored[.emailOptOut] == "true")
        #expect(stored[.city] == "Dallas")
    }

    @Test func aUIDThatIsNotAUUIDIsFoundAsWritten() throws {
        let (service, _) = try freshService()
        _ = try service.files.importFile(Data(#"[{"uid":"Legacy-ID-42","email":"x@example.com"}]"#.utf8), format: .json)
        let id = try service.reader.resolve("Legacy-ID-42")
        #expect(try service.reader.contact(id)[.email] == "x@example.com")
    }
}

@Suite("Imports into text-only accounts")
struct TextOnlyImportTests {
    @Test func dailyStoryCustomTextArrivesExactlyAsInTheFile() throws {
        let (service, _) = try freshService()
        let account = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let file = "email,custom.seen,custom.prefs\nb@example.com,2024-01-01T10:00:00+02:00,\"{\"\"b\"\": 1, \"\"a\"\": 2}\"\n"
        _ = try service.files.importFile(Data(file.utf8), format: .csv, into: account)
        let contact = try service.reader.contact(try service.reader.resolve("b@example.com"))
        #expect(contact.custom["seen"] == .text("2024-01-01T10:00:00+02:00"))
        #expect(contact.custom["prefs"] == .text(#"{"b": 1, "a": 2}"#))
    }
}
