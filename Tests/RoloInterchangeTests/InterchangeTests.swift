import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

@Suite("Formats, problems and writers in general")
struct InterchangeTests {
    @Test func theFormatComesFromTheFileName() {
        #expect(InterchangeFormat(fileName: "contacts.json") == .json)
        #expect(InterchangeFormat(fileName: "/tmp/Export.CSV") == .csv)
        #expect(InterchangeFormat(fileName: "all.vcf") == .vcard)
        #expect(InterchangeFormat(fileName: "all.vcard") == .vcard)
        #expect(InterchangeFormat(fileName: "notes.txt") == nil)
        #expect(InterchangeFormat(fileName: "json") == nil)
        #expect(InterchangeFormat.allCases.map(\.rawValue) == ["json", "csv", "vcard", "google-csv", "outlook-csv"])
        #expect(InterchangeFormat.rolo == [.json, .csv, .vcard])
        #expect(VCardVersion(rawValue: "3.0") == .v3 && VCardVersion.v4.rawValue == "4.0")
    }

    @Test func aProblemSaysItsLine() {
        let problem = ImportProblem(line: 12, message: "email: must be a string")
        #expect(problem.description == "line 12: email: must be a string")
        #expect("\(problem)" == "line 12: email: must be a string")
    }

    @Test(arguments: InterchangeFormat.allCases)
    func everyFormatStreamsOneChunkPerContact(format: InterchangeFormat) throws {
        let contacts = (0..<50).map { index -> (Contact, String) in
            (Contact(accountID: 1, fields: [.firstName: "Person\(index)", .email: "p\(index)@example.com"]), "local")
        }
        let parts = try chunks(format, contacts)
        let perContact = parts.filter { $0.contains("Person") }
        #expect(perContact.count == 50)
        for (index, part) in perContact.enumerated() {
            #expect(part.contains("Person\(index)") && !part.contains("Person\(index + 1)"), "chunk \(index)")
        }
        let back = try read(parts.joined(), format).contacts.map(\.contact)
        #expect(back.map { $0[.email] } == contacts.map { $0.0[.email] })
        if InterchangeFormat.rolo.contains(format) { #expect(back.map(\.uid) == contacts.map(\.0.uid)) }
    }

    @Test(arguments: InterchangeFormat.allCases)
    func aUTF8BOMIsSkipped(format: InterchangeFormat) throws {
        let contact = Contact(accountID: 0, fields: [.firstName: "Ann"])
        let text = try written(format, [(contact, "local")])
        let result = try ContactFileReader.read(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8), format: format, skipInvalid: false)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Ann"])
    }

    @Test(arguments: InterchangeFormat.rolo)
    func hostileTextSurvivesEveryFormat(format: InterchangeFormat) throws {
        var contact = Contact(uid: "0d7f2b5e-9c1a-4e3b-8f6d-2a1c3b4d5e6f", accountID: 0)
        for (offset, field) in [StandardField.firstName, .lastName, .fullName, .company, .jobTitle, .city, .notes, .region].enumerated() {
            contact[field] = hostileTexts[offset % hostileTexts.count]
        }
        contact.custom = ["k": .text(hostileTexts[1])]
        let text = try written(format, customKeys: ["k"], [(contact, "local")])
        let back = try #require(try read(text, format).contacts.first).contact
        #expect(back.fields == contact.fields)
        #expect(back.custom["k"]?.storedText == hostileTexts[1])
    }

    @Test func rolosJSONCarriesTheProviderID() throws {
        var text = ""
        var writer = ContactFileWriters.make(.json, customKeys: []) { text += $0 }
        try writer.begin(accounts: [])
        try writer.write(Contact(accountID: 0, fields: [.firstName: "Ann"]), accountName: "crm",
                         remote: RemoteReference(id: "4411", modifiedAt: "2024-01-01T00:00:00Z"))
        try writer.write(Contact(accountID: 0, fields: [.firstName: "Bob"]), accountName: "crm")
        try writer.finish()
        let incoming = try read(text, .json).contacts
        #expect(incoming.map(\.remote) == [RemoteReference(id: "4411", modifiedAt: "2024-01-01T00:00:00Z"), nil])
    }
}
