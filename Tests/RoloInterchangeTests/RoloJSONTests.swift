import Foundation
import RoloCore
import RoloProviders
import Testing
@testable import RoloInterchange

@Suite("rolo JSON")
struct RoloJSONTests {
    let account = AccountSpec(
        name: "ivvy-main", provider: .ivvy, settings: ["region": "au", "instance": "https://example.ivvy.com"],
        definitions: [
            FieldDefinition(key: "plan", label: "Plan", type: .select,
                            options: [SelectOption(value: "gold", label: "Gold"), SelectOption(value: "silver")],
                            isRequired: true, providerRef: "1042"),
            FieldDefinition(key: "score", type: .number, isReadOnly: true, wholeNumbersOnly: true, maxLength: 12),
            FieldDefinition(key: "seen", type: .datetime),
        ],
        lastSyncAt: instant("2024-05-06T07:08:09Z"))

    @Test func aDocumentRoundTripsEveryValueAndTheAccounts() throws {
        var second = everything()
        second.uid = Contact.newUID()
        second.fields = [.firstName: "Ann"]
        second.custom = [:]
        second.extensions = [:]
        let text = try written(.json, accounts: [account, AccountSpec(name: "local", provider: .local)],
                               [(everything(), "ivvy-main"), (second, "local")])
        let result = try read(text, .json)
        #expect(result.accounts == [account, AccountSpec(name: "local", provider: .local)])
        #expect(result.contacts.map(\.contact) == [asRead(everything()), asRead(second)])
        #expect(result.contacts.map(\.accountName) == ["ivvy-main", "local"])
        #expect(result.warnings.isEmpty && result.skipped.isEmpty)
    }

    @Test func everyCustomTypeHasItsJSONShape() throws {
        let object = RoloJSON.object(for: everything(), accountName: "local")
        let custom = try #require(object["custom"])
        #expect(custom["plan"] == .object(["type": .string("select"), "value": .string("gold")]))
        #expect(custom["score"] == .object(["type": .string("number"), "value": .number(42.5)]))
        #expect(custom["tags"]?["value"] == .array(["a", "b, c", "d;e", "f\\g"].map(JSONValue.string)))
        #expect(custom["prefs"]?["value"]?["theme"] == .string("dark"))
        #expect(custom["renewal"] == .object(["type": .string("date"), "value": .string("2024-01-01")]))
        #expect(custom["seen"] == .object(["type": .string("datetime"), "value": .string("2023-06-01T09:00:00.123Z")]))
        #expect(custom["vip"] == .object(["type": .string("bool"), "value": .bool(true)]))
        // Standard fields by their keys, flags as booleans, the short id, the timestamps.
        #expect(object["first_name"] == .string("First name value"))
        #expect(object["sms_opt_out"] == .bool(true) && object["email_opt_out"] == .bool(false))
        #expect(object["id"] == .string(ContactID(42).shortID))
        #expect(object["account"] == .string("local"))
        #expect(object["updated_at"] == .string("2024-02-03T04:05:06.789Z"))
        #expect(object["extensions"]?["dailystory"]?["geoCode"] == .string("33.8,-93.8"))
    }

    @Test func aFlagThatIsNotYetNormalisedStaysText() throws {
        var contact = Contact(accountID: 0, fields: [.emailOptOut: "yes"])
        contact.uid = "0c0c7f53-52a0-4c38-9a6b-0f0f7f43a001"
        let object = RoloJSON.object(for: contact, accountName: "local")
        #expect(object["email_opt_out"] == .string("yes"))
        #expect(try RoloJSON.contact(from: object, line: 1).contact == contact)
    }

    @Test func theIDIsWrittenButNotRead() throws {
        let object = RoloJSON.object(for: everything(), accountName: "local")
        let back = try RoloJSON.contact(from: object, line: 9)
        #expect(back.contact.id == nil && back.contact.accountID == 0)
        #expect(back.line == 9 && back.accountName == "local")
    }

    @Test func aBareArrayAndBareCustomValuesAreRead() throws {
        let text = """
        [
          {"first_name": "Ann", "custom": {"plan": "gold", "score": 42, "vip": true, "day": "2024-01-01",
                                           "prefs": {"theme": "dark"}, "list": ["a", 1], "zip": "01234"}},
          {"uid": "3F2B8C1E-6A53-4D7E-9A0F-2B9C5D1E7A44", "email": "b@example.com", "account": "crm"}
        ]
        """
        let result = try read(text, .json)
        #expect(result.contacts.count == 2)
        let custom = result.contacts[0].contact.custom
        #expect(custom["plan"] == .text("gold"))
        #expect(custom["score"] == .number(42))
        #expect(custom["vip"] == .bool(true))
        #expect(custom["day"] == .date(LocalDate(iso: "2024-01-01")!))
        #expect(custom["prefs"] == .json(.object(["theme": .string("dark")])))
        #expect(custom["list"] == .json(.array([.string("a"), .number(1)])))
        #expect(custom["zip"] == .text("01234"), "a leading zero keeps the value text")
        #expect(result.contacts[0].accountName == nil)
        #expect(result.contacts[1].contact.uid == "3f2b8c1e-6a53-4d7e-9a0f-2b9c5d1e7a44", "UUIDs are kept in lower case")
        #expect(result.contacts[1].accountName == "crm")
        #expect(result.contacts.map(\.line) == [2, 4])
    }

    @Test func typedValuesGivenAsTextAreReadByTheirType() throws {
        let object = try JSONValue.parse("""
        {"custom": {"n": {"type": "number", "value": "1250.5"}, "d": {"type": "datetime", "value": "2023-06-01 09:00:00"},
                    "m": {"type": "multiselect", "value": "a, b"}}}
        """)
        let custom = try RoloJSON.contact(from: object, line: 1).contact.custom
        #expect(custom["n"] == .number(1250.5))
        #expect(custom["d"] == .datetime(instant("2023-06-01T09:00:00Z")))
        #expect(custom["m"] == .multiselect(["a", "b"]))
    }

    @Test func unknownMembersAreKeptAndWarnedAbout() throws {
        let text = "[\n{\"first_name\": \"Ann\", \"nickname\": \"Annie\", \"zip\": \"75001\",\n \"extensions\": {\"import\": {\"old\": 1}}}\n]"
        let result = try read(text, .json)
        let contact = try #require(result.contacts.first?.contact)
        #expect(contact.extensions["import"] == .object(["nickname": .string("Annie"), "zip": .string("75001"), "old": .number(1)]))
        #expect(contact[.postcode] == nil, "an alias is not a member name")
        #expect(result.warnings == [ImportProblem(line: 2, message: "unknown members kept under extensions.import: nickname, zip")])
        // …and they come back out, so nothing is lost on the way through.
        let again = try RoloJSON.contact(from: RoloJSON.object(for: contact, accountName: ""), line: 1)
        #expect(again.contact.extensions == contact.extensions)
    }

    @Test(arguments: [
        ("[\n{\"email\": \"a@example.com\"},\n{\"email\": 5}\n]", 3, "email: must be a string, not 5"),
        ("[\n{\"sms_opt_out\": 1}\n]", 2, "sms_opt_out: must be true or false, not 1"),
        ("[{\"custom\": {\"score\": {\"type\": \"number\", \"value\": \"abc\"}}}]", 1, "custom.score: “abc” is not a number"),
        ("[{\"custom\": {\"c\": {\"type\": \"colour\", \"value\": \"red\"}}}]", 1, "custom.c: “colour” is not a type"),
        ("[{\"custom\": {\"t\": {\"type\": \"text\", \"value\": 5}}}]", 1, "custom.t: a text value must be a string, not 5"),
        ("[{\"custom\": {\"m\": {\"type\": \"multiselect\", \"value\": [1]}}}]", 1, "custom.m: a multiselect value is an array of strings"),
        ("[{\"custom\": {\"x\": null}}]", 1, "custom.x: is null"),
        ("[{\"created_at\": \"yesterday\"}]", 1, "created_at: must be an RFC 3339"),
        ("[{\"extensions\": []}]", 1, "extensions: must be an object"),
        ("[{\"uid\": \"\"}]", 1, "uid: must be a non-empty string"),
        ("[\n  {},\n  \"Rob\"\n]", 3, "a contact must be a JSON object, not “Rob”"),
    ])
    func wrongTypesNameTheMemberAndTheLine(text: String, line: Int, message: String) throws {
        let found = try #require(problem(text, .json))
        #expect(found.line == line)
        #expect(found.message.hasPrefix(message), "\(found)")
        #expect(found.description.hasPrefix("line \(line): "))
    }

    @Test func syntaxErrorsNameTheirLine() throws {
        let trailing = try #require(problem("[\n  {\"email\": \"a@example.com\"},\n  {\"email\": \"b@example.com\",}\n]\n", .json))
        #expect(trailing.line == 3)
        #expect(trailing.message.hasPrefix("not valid JSON: column 29:"), "\(trailing)")
        let unclosed = try #require(problem("{\"contacts\": [\n{\"first_name\": \"Ann\n\"}]}", .json))
        #expect(unclosed.line == 2)
        let notUTF8 = try #require(problem(Data("[\n{\"first_name\": \"Ann\"},\n{\"first_name\": \"".utf8) + Data([0xC3, 0x28]) + Data("\"}]".utf8), .json))
        #expect(notUTF8.line == 3 && notUTF8.message.contains("not UTF-8"))
    }

    @Test func documentsThatAreNotContactsAreRefused() throws {
        #expect(problem("\"hello\"", .json)?.message.hasPrefix("a rolo JSON file is an array of contacts") == true)
        #expect(problem("{\"format\": \"other\", \"contacts\": []}", .json)?.message.contains("not a rolo contacts document") == true)
        #expect(problem("{\"format\": \"rolo-contacts\", \"version\": 2, \"contacts\": []}", .json)?.message.contains("newer rolo") == true)
        #expect(problem("{\"format\": \"rolo-contacts\"}", .json)?.message.contains("\"contacts\" array") == true)
    }

    @Test func badAccountsNameTheirLine() throws {
        let text = """
        {"format": "rolo-contacts", "version": 1,
         "accounts": [
           {"name": "a", "provider": "local"},
           {"name": "b", "provider": "ivvy",
            "fields": [{"key": "plan", "type": "select", "options": [{"label": "no value"}]}]}
         ],
         "contacts": []}
        """
        let found = try #require(problem(text, .json))
        #expect(found.line == 4)
        #expect(found.message == "accounts: field plan of b: every option needs a \"value\" string")
        #expect(problem(#"{"accounts": [{"name": "x", "provider": " "}], "contacts": []}"#, .json)?.message
            == "accounts: account x needs a \"provider\"")
        #expect(problem(#"{"accounts": [{"name": "x", "provider": "local", "settings": {"n": 1}}], "contacts": []}"#, .json)?.message
            == "accounts: setting n of x must be a string")
    }

    @Test func everyContactOfAWrittenDocumentKnowsItsLine() throws {
        let contacts = (0..<4).map { index in
            var contact = everything()
            contact.uid = Contact.newUID()
            if index == 2 { contact.custom = [:]; contact.extensions = [:] }
            return (contact, "local")
        }
        let text = try written(.json, accounts: [account], contacts)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let result = try read(text, .json)
        for incoming in result.contacts {
            #expect(lines[incoming.line - 1] == "    {", "line \(incoming.line) opens a contact")
            #expect(lines[incoming.line...].first { $0.contains("\"uid\"") }?.contains(incoming.contact.uid) == true)
        }
        #expect(Set(result.contacts.map(\.line)).count == 4)
    }

    @Test func skipInvalidLeavesBadRecordsOutAndListsThem() throws {
        let text = "[\n{\"first_name\": \"Ann\"},\n{\"email\": false},\n{\"first_name\": \"Cy\"},\n7\n]"
        let result = try read(text, .json, skipInvalid: true)
        #expect(result.contacts.map { $0.contact[.firstName] } == ["Ann", "Cy"])
        #expect(result.contacts.map(\.line) == [2, 4])
        #expect(result.skipped.map(\.line) == [3, 5])
        #expect(problem(text, .json)?.line == 3, "without skipInvalid the first bad record stops the read")
    }

    @Test func theWriterStreamsOneContactAtATime() throws {
        let contacts = (0..<3).map { index -> (Contact, String) in
            var contact = Contact(accountID: 1, fields: [.firstName: "Person \(index)"])
            contact.uid = "00000000-0000-4000-8000-00000000000\(index)"
            return (contact, "local")
        }
        let parts = try chunks(.json, accounts: [account], contacts)
        #expect(parts.count == 5, "a header, one chunk per contact, an ending")
        #expect(parts[0].contains("\"format\": \"rolo-contacts\"") && parts[0].contains("ivvy-main") && !parts[0].contains("Person"))
        for index in 0..<3 {
            #expect(parts[index + 1].contains("Person \(index)"))
            #expect(!parts[index + 1].contains("Person \((index + 1) % 3)"))
        }
        // Pretty-printed with two-space indents and sorted keys.
        #expect(parts[1].contains("\n      \"account\": \"local\",\n      \"created_at\""))
        let empty = try written(.json, [])
        #expect(try read(empty, .json).contacts.isEmpty)
        #expect(try JSONValue.parse(empty)["accounts"] == .array([]))
    }
}
