import Foundation
import RoloCore
import Testing
@testable import RoloProviders

/// The iVvy adapter against a recording transport (PROVIDERS.md §3, §3b).
@Suite("iVvy client")
struct IvvyClientTests {
    static let key = "ivvy-key-0042"
    static let secret = "ivvy-secret-Zq81"
    static let base = URL(string: "https://api.ap-southeast-2.ivvy.com")!

    /// getCustomFieldDefinition as a test account answers it: every field type, a name used
    /// twice, an inactive field, ids and types sent as strings.
    static let definitionsReply = """
        [
          {"fieldId": 33441, "fieldType": 5, "displayName": "Birth Date", "isRequired": false, "isActive": true, "sortOrder": 1, "selectValues": null},
          {"fieldId": 33442, "fieldType": 2, "displayName": "Dietary Requirements", "isRequired": true, "sortOrder": 2,
           "selectValues": {"veg": "Vegetarian", "none": "None"}},
          {"fieldId": 33443, "fieldType": 2, "displayName": "Photo consent", "sortOrder": 3, "selectValues": {"Yes": "Yes", "No": "No"}},
          {"fieldId": "33444", "fieldType": "3", "displayName": "Interests", "sortOrder": 4,
           "selectValues": {"keynotes": "Keynotes", "workshops": "Workshops", "networking": "Networking"}},
          {"fieldId": 33445, "fieldType": 8, "displayName": "Member number", "sortOrder": 5},
          {"fieldId": 33446, "fieldType": 4, "displayName": "Postal address", "sortOrder": 6},
          {"fieldId": 33447, "fieldType": 7, "displayName": "Registration source", "sortOrder": 7},
          {"fieldId": 33448, "fieldType": 6, "displayName": "Photo", "sortOrder": 8, "fileTypes": ["images"]},
          {"fieldId": 33449, "fieldType": 0, "displayName": "Badge name", "sortOrder": 9},
          {"fieldId": 33450, "fieldType": 1, "displayName": "Badge name", "sortOrder": 10},
          {"fieldId": 33440, "fieldType": 0, "displayName": "Old field", "isActive": false, "sortOrder": 0},
          {"fieldId": 33451, "fieldType": 0, "displayName": "Ünïcode & Co!", "sortOrder": 11}
        ]
        """

    static let definitions: [FieldDefinition] = try! IvvyMapping.definitions(from: JSONValue.parse(definitionsReply))

    func client(_ transport: RecordingTransport, clock: @escaping @Sendable () -> Date = fixedClock(),
                definitions: [FieldDefinition]? = IvvyClientTests.definitions) -> IvvyClient {
        IvvyClient(baseURL: IvvyClientTests.base, key: IvvyClientTests.key, secret: IvvyClientTests.secret, transport: transport,
                   clock: clock, definitions: definitions)
    }

    /// The contact of the docs' add request, as rolo holds it.
    static var bobby: Contact {
        Contact(uid: "12345", accountID: 1,
                fields: [.firstName: "Bobby", .lastName: "Smith", .email: "bobbysmith@hotmail.com", .status: "Unsubscribed", .smsOptOut: "true"],
                custom: ["photo_consent": .select("No")],
                extensions: ["ivvy": .object(["groups": .array([.object(["groupId": .number(10), "joinDate": .string("2018-09-07 02:11:47")])]),
                                              "companies": .array([.number(4), .number(5)])])])
    }

    static func contactReply(_ members: [String: JSONValue]) -> HTTPResponse {
        var contact: [String: JSONValue] = ["id": .number(7427530), "firstName": .string("Test"), "lastName": .string("User"),
                                            "email": .string("user@test.com"), "modifiedDate": .string("2018-09-07 02:11:47 UTC")]
        for (name, value) in members { contact[name] = value }
        return reply(json: .object(contact))
    }

    // MARK: - Signing

    @Test func theDocsWorkedExampleIsTheStringToSign() {
        let body = Data(#"{"example":"body"}"#.utf8)
        let md5 = IvvySigner.contentMD5(body)
        let toSign = IvvySigner.stringToSign(method: "POST", contentMD5: md5, contentType: "application/json", date: "",
                                             requestURI: "/api/1.0/test?action=ping", apiVersion: "1.0",
                                             ivvyHeaders: [("IVVY-Date", "2012-04-03 22:23:24")])
        #expect(md5 == "a09f600c77a6dbd947db24c61e8935ca")
        #expect(toSign == "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24")
        // HMAC-SHA1 of that string with the secret "foo", computed independently (Python's hmac).
        #expect(IvvySigner(key: "k", secret: "foo").signature(of: toSign) == "8c7a8f2bcd32aa06d9c4097653bee4106b64fe81")
        #expect(IvvySigner.contentMD5(Data()) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func ivvyHeadersAreNamedWithoutDashesAndSortedAlphabetically() {
        let toSign = IvvySigner.stringToSign(method: "POST", contentMD5: "m", contentType: "t", date: "", requestURI: "/u",
                                             apiVersion: "1.0", ivvyHeaders: [("IVVY-Zone", "b"), ("IVVY_Date", "a")])
        #expect(toSign == "postmt/u1.0ivvydate=a&ivvyzone=b")
    }

    @Test func aCallCarriesTheExactSignedHeadersForItsTime() async throws {
        let transport = RecordingTransport([IvvyClientTests.contactReply([:])])
        _ = try await client(transport).fetch(remoteID: "7427530")

        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://api.ap-southeast-2.ivvy.com/api/1.0/contact?action=getContact")
        #expect(request.body == Data(#"{"id":7427530}"#.utf8))
        // Computed independently: md5 of the body, then HMAC-SHA1 over
        // "post7257ef…application/json/api/1.0/contact?action=getcontact1.0ivvydate=2024-05-01 10:00:00 utc".
        #expect(request.headers == [
            HTTPRequest.Header("Content-Type", "application/json"),
            HTTPRequest.Header("Content-MD5", "7257ef7eec33da75800fa0ccd6bf427e"),
            HTTPRequest.Header("IVVY-Date", "2024-05-01 10:00:00 UTC"),
            HTTPRequest.Header("X-Api-Version", "1.0"),
            HTTPRequest.Header("X-Api-Authorization", "IWS ivvy-key-0042:b7506e55e833f26f879fb326a079f7aa83a2afef"),
        ])
    }

    @Test func everyCallIsSignedAnewWithTheTimeItIsSent() async throws {
        let clock = ManualClock("2024-05-01T10:00:00Z")
        let transport = RecordingTransport([IvvyClientTests.contactReply([:]), IvvyClientTests.contactReply([:])])
        let client = client(transport, clock: clock.now)
        _ = try await client.fetch(remoteID: "7427530")
        clock.advance(seconds: 90)
        _ = try await client.fetch(remoteID: "7427530")

        let requests = transport.requests
        #expect(requests.map { $0.header("IVVY-Date") } == ["2024-05-01 10:00:00 UTC", "2024-05-01 10:01:30 UTC"])
        #expect(requests[0].header("X-Api-Authorization") != requests[1].header("X-Api-Authorization"))
        #expect(requests[0].body == requests[1].body)
    }

    // MARK: - The documented requests and replies

    @Test func aCreateSendsTheDocumentedAddRequestWithUpdateIfExists() async throws {
        let transport = RecordingTransport([try fixtureReply("ivvy/add-response.json")])
        let outcomes = await client(transport).push([.create(IvvyClientTests.bobby, idempotencyKey: "k")])

        #expect(outcomes == [.created(remoteID: "33884", record: nil)])
        let request = try #require(transport.requests.first)
        #expect(request.url.absoluteString == "https://api.ap-southeast-2.ivvy.com/api/1.0/contact?action=addOrUpdateContact")
        guard case .object(var expected) = try fixtureJSON("ivvy/add-request.json") else { Issue.record("fixture"); return }
        expected["updateIfExists"] = .bool(true)
        #expect(try body(request) == .object(expected))
    }

    @Test func theDocsBareAddReplyIsReadToo() async throws {
        let transport = RecordingTransport([try fixtureReply("ivvy/add-response-docs.json")])
        #expect(await client(transport).push([.create(IvvyClientTests.bobby, idempotencyKey: "k")]) == [.created(remoteID: "33884", record: nil)])
    }

    /// The docs' update request, less its `groups` and `companies`: iVvy replaces every
    /// membership a write names (§3.9), and rolo never changes them, so an update leaves them
    /// as iVvy has them now rather than as rolo last read them.
    @Test func anUpdateSendsTheDocumentedUpdateRequestWithoutMemberships() async throws {
        let transport = RecordingTransport([try fixtureReply("ivvy/add-response.json")])
        let outcomes = await client(transport).push([.update(remoteID: "33884", contact: IvvyClientTests.bobby, changed: [
            .standard(.firstName), .standard(.status), .standard(.smsOptOut), .custom("photo_consent"),
        ])])

        #expect(outcomes == [.updated(remoteID: "33884", record: nil)])
        guard case .object(var expected) = try fixtureJSON("ivvy/update-request.json") else { Issue.record("fixture"); return }
        expected["groups"] = nil
        expected["companies"] = nil
        #expect(try body(try #require(transport.requests.first)) == .object(expected))
    }

    @Test func successFalseInsideA200IsARefusal() async throws {
        let transport = RecordingTransport([reply(#"{"success":false,"message":"The contact is anonymised and cannot be updated"}"#)])
        let outcomes = await client(transport).push([.update(remoteID: "33884", contact: IvvyClientTests.bobby, changed: [.standard(.firstName)])])
        #expect(outcomes == [.failed(.invalid(field: nil, "iVvy: The contact is anonymised and cannot be updated"))])
    }

    /// An update of a contact iVvy no longer has (deleted there): error 24096, or the same
    /// words inside a 200, is "not found", which the sync makes a conflict.
    @Test func anUpdateIvvyCannotFindTheContactForIsNotFound() async throws {
        let transport = RecordingTransport([
            reply(#"{"errorCode":404,"message":"Unable to find contact","specificCode":24096}"#, status: 404),
            reply(#"{"success":false,"message":"Unable to find contact 33884"}"#),
        ])
        let client = client(transport)
        let change = OutgoingChange.update(remoteID: "33884", contact: IvvyClientTests.bobby, changed: [.standard(.firstName)])
        #expect(await client.push([change, change]) == [
            .failed(.notFound("iVvy: Unable to find contact (error 24096)")), .failed(.notFound("iVvy: Unable to find contact 33884")),
        ])
    }

    @Test func anUpdateOfFieldsIvvyDoesNotStoreSendsNothing() async throws {
        let transport = RecordingTransport()
        let outcomes = await client(transport).push([.update(remoteID: "33884", contact: IvvyClientTests.bobby,
                                                             changed: [.standard(.city), .custom("registration_source")])])
        #expect(outcomes == [.updated(remoteID: "33884", record: nil)])
        #expect(transport.requests.isEmpty)
    }

    @Test func ivvyCannotDelete() async throws {
        let transport = RecordingTransport()
        let outcomes = await client(transport).push([.delete(remoteID: "33884")])
        guard case .unsupported(let message)? = outcomes.first.flatMap(failure) else {
            Issue.record("delete gave \(outcomes)")
            return
        }
        #expect(message.hasPrefix("iVvy's API cannot delete contacts"))
        #expect(transport.requests.isEmpty)
    }

    // MARK: - Consent

    @Test(arguments: [(1, "Subscribed", "false"), (2, "Unsubscribed", "true"), (3, "Bounced", "false"), (4, "Registering", "false"),
                      (5, "No Marketing", "true")])
    func theEmailStatusIsShownByNameWithTheOptOutDerived(_ code: Int, _ name: String, _ optOut: String) async throws {
        let transport = RecordingTransport([IvvyClientTests.contactReply(["status": .number(Double(code)), "smsStatus": .string("3")])])
        let contact = try #require(try await client(transport).fetch(remoteID: "7427530")).contact
        #expect(contact[.status] == name)
        #expect(contact[.emailOptOut] == optOut)
        #expect(contact[.smsOptOut] == "false")
        #expect(contact.extensions["ivvy"]?["smsStatus"] == .number(3))
    }

    @Test func registeringCanBeReadButNeverSet() async throws {
        var contact = IvvyClientTests.bobby
        contact[.status] = "Registering"
        let transport = RecordingTransport()
        let outcomes = await client(transport).push([.update(remoteID: "33884", contact: contact, changed: [.standard(.status)])])
        #expect(outcomes.first.flatMap(failure) == .invalid(field: "status",
            "iVvy shows Registering but does not let it be set (write one of Subscribed, Unsubscribed, Bounced, No Marketing)"))
        #expect(transport.requests.isEmpty)
    }

    @Test func aContactIvvyHadAsRegisteringCanBeCreatedAgain() async throws {
        var contact = IvvyClientTests.bobby
        contact[.status] = "Registering"
        contact[.emailOptOut] = "false"
        let transport = RecordingTransport([reply(#"{"success":true,"id":40001}"#)])
        let outcomes = await client(transport).push([.create(contact, idempotencyKey: "k")])
        #expect(outcomes == [.created(remoteID: "40001", record: nil)])
        #expect(try body(try #require(transport.requests.first))["status"] == .number(1))
    }

    @Test func anOptOutChangeSendsTheStatusItMeansUnlessTheStatusChangedToo() async throws {
        var contact = IvvyClientTests.bobby
        contact[.emailOptOut] = "false"
        contact[.smsOptOut] = "false"
        contact.extensions = [:]
        let transport = RecordingTransport([reply(#"{"success":true,"id":33884}"#), reply(#"{"success":true,"id":33884}"#)])
        let client = client(transport)
        _ = await client.push([.update(remoteID: "33884", contact: contact, changed: [.standard(.emailOptOut), .standard(.smsOptOut)])])
        contact[.status] = "No Marketing"
        _ = await client.push([.update(remoteID: "33884", contact: contact, changed: [.standard(.emailOptOut), .standard(.status)])])

        #expect(try body(transport.requests[0]) == .object(["id": .number(33884), "status": .number(1), "smsStatus": .number(1)]))
        #expect(try body(transport.requests[1]) == .object(["id": .number(33884), "status": .number(5)]))
    }

    // MARK: - Custom fields

    @Test func theFieldDefinitionsBecomeRoloFields() async throws {
        let transport = RecordingTransport([reply(IvvyClientTests.definitionsReply)])
        let definitions = try #require(try await client(transport, definitions: nil).refreshFieldDefinitions())

        #expect(transport.requests.first?.url.query == "action=getCustomFieldDefinition")
        #expect(definitions.map(\.key) == ["birth_date", "dietary_requirements", "photo_consent", "interests", "member_number",
                                           "postal_address", "registration_source", "photo", "badge_name", "badge_name_2", "unicode_co"])
        #expect(definitions.map(\.type) == [.date, .select, .select, .multiselect, .number, .json, .text, .text, .text, .text, .text])
        #expect(definitions.map(\.providerRef) == ["33441", "33442", "33443", "33444", "33445", "33446", "33447", "33448", "33449", "33450", "33451"])
        #expect(definitions[1].isRequired && !definitions[0].isRequired)
        #expect(definitions[1].label == "Dietary Requirements")
        #expect(definitions[1].options == [SelectOption(value: "none", label: "None"), SelectOption(value: "veg", label: "Vegetarian")])
        #expect(definitions[4].wholeNumbersOnly)
        #expect(definitions.filter(\.isReadOnly).map(\.key) == ["registration_source", "photo"])
    }

    @Test func definitionsAreReadBeforeTheFirstCallThatNeedsThem() async throws {
        let transport = RecordingTransport([
            reply(IvvyClientTests.definitionsReply),
            IvvyClientTests.contactReply(["customFields": .array([.object(["fieldId": .number(33445), "value": .string("77")])])]),
        ])
        let record = try await client(transport, definitions: nil).fetch(remoteID: "7427530")
        #expect(transport.requests.map { $0.url.query ?? "" } == ["action=getCustomFieldDefinition", "action=getContact"])
        #expect(record?.contact.custom == ["member_number": .number(77)])
    }

    static let typedValues: [String: CustomValue] = [
        "birth_date": .date(LocalDate(iso: "1985-03-17")!), "dietary_requirements": .select("veg"), "interests": .multiselect(["keynotes", "networking"]),
        "member_number": .number(1042), "postal_address": .json(.object(["line1": .string("1 Harbour St"), "city": .string("Sydney")])),
        "badge_name": .text("Bob"),
    ]

    static let typedWire: [JSONValue] = [
        .object(["fieldId": .number(33441), "value": .string("1985-03-17")]),
        .object(["fieldId": .number(33442), "value": .string("veg")]),
        .object(["fieldId": .number(33444), "value": .array([.string("keynotes"), .string("networking")])]),
        .object(["fieldId": .number(33445), "value": .number(1042)]),
        .object(["fieldId": .number(33446), "value": .object(["line1": .string("1 Harbour St"), "city": .string("Sydney")])]),
        .object(["fieldId": .number(33449), "value": .string("Bob")]),
    ]

    @Test func everyCustomTypeIsSentAsItsFieldTypeTakesIt() async throws {
        var contact = IvvyClientTests.bobby
        contact.custom = IvvyClientTests.typedValues
        contact.custom["registration_source"] = .text("web")  // static text: never sent
        let transport = RecordingTransport([try fixtureReply("ivvy/add-response.json")])
        _ = await client(transport).push([.create(contact, idempotencyKey: "k")])
        #expect(try body(try #require(transport.requests.first))["customFields"] == .array(IvvyClientTests.typedWire))
    }

    @Test func everyCustomTypeIsReadBack() async throws {
        let transport = RecordingTransport([IvvyClientTests.contactReply(["customFields": .array(IvvyClientTests.typedWire)])])
        let record = try #require(try await client(transport).fetch(remoteID: "7427530"))
        #expect(record.contact.custom == IvvyClientTests.typedValues)
        #expect(record.contact.extensions["ivvy"]?["customFields"] == nil)
    }

    @Test func theShapesIvvysExamplesUseAreReadToo() async throws {
        let transport = RecordingTransport([IvvyClientTests.contactReply(["customFields": .array([
            .object(["fieldId": .string("33441"), "displayName": .string("Birth Date"), "value": .string("1985-03-17 23:00:00 UTC")]),
            .object(["fieldId": .string("33442"), "value": .array([.string("Vegetarian")])]),
            .object(["fieldId": .string("33444"), "value": .string("keynotes, workshops")]),
            .object(["fieldId": .string("33445"), "value": .array([.string("")])]),
            .object(["fieldId": .string("33446"), "value": .string(#"{"line1":"2 Quay St"}"#)]),
            .object(["fieldId": .string("33447"), "value": .string("Imported")]),
        ])])])
        let record = try #require(try await client(transport).fetch(remoteID: "7427530"))
        #expect(record.contact.custom == [
            "birth_date": .date(LocalDate(iso: "1985-03-17")!), "dietary_requirements": .select("veg"),
            "interests": .multiselect(["keynotes", "workshops"]), "postal_address": .json(.object(["line1": .string("2 Quay St")])),
            "registration_source": .text("Imported"),
        ])
    }

    @Test func aChangedCustomFieldSendsTheWholeSetWithClearsAndWhatRoloKept() async throws {
        var contact = IvvyClientTests.bobby
        contact.custom = ["badge_name": .text("Bob"), "member_number": .number(7)]
        contact.extensions = ["ivvy": .object(["customFields": .array([.object(["fieldId": .number(99001), "displayName": .string("Legacy"),
                                                                               "value": .string("kept")])])])]
        let transport = RecordingTransport([reply(#"{"success":true,"id":33884}"#)])
        _ = await client(transport).push([.update(remoteID: "33884", contact: contact, changed: [
            .custom("member_number"), .custom("interests"), .custom("birth_date"),
        ])])
        #expect(try body(try #require(transport.requests.first)) == .object(["id": .number(33884), "customFields": .array([
            .object(["fieldId": .number(33441), "value": .string("")]),
            .object(["fieldId": .number(33444), "value": .array([])]),
            .object(["fieldId": .number(33445), "value": .number(7)]),
            .object(["fieldId": .number(33449), "value": .string("Bob")]),
            .object(["fieldId": .number(99001), "value": .string("kept")]),
        ])]))
    }

    /// The whole set goes out (§3.6: a replace would otherwise lose the rest), each value
    /// rolo did not change exactly as iVvy sent it; a changed one is written rolo's way.
    @Test func valuesAnUpdateDidNotChangeGoBackAsIvvySentThem() async throws {
        let read = IvvyClientTests.contactReply(["customFields": .array([
            .object(["fieldId": .number(33441), "displayName": .string("Birth Date"), "value": .string("1985-03-17 23:00:00 UTC")]),
            .object(["fieldId": .number(33442), "value": .array([.string("Vegetarian")])]),
            .object(["fieldId": .number(33445), "value": .string("77")]),
            .object(["fieldId": .number(33449), "value": .string("Bob")]),
        ])])
        let transport = RecordingTransport([read, reply(#"{"success":true,"id":7427530}"#), reply(#"{"success":true,"id":7427530}"#)])
        let client = client(transport)
        var contact = try #require(try await client.fetch(remoteID: "7427530")).contact
        #expect(contact.custom == ["birth_date": .date(LocalDate(iso: "1985-03-17")!), "dietary_requirements": .select("veg"),
                                   "member_number": .number(77), "badge_name": .text("Bob")])
        contact.custom["badge_name"] = .text("Bobby")
        _ = await client.push([.update(remoteID: "7427530", contact: contact, changed: [.custom("badge_name")])])
        contact.custom["birth_date"] = .date(LocalDate(iso: "1985-03-18")!)
        _ = await client.push([.update(remoteID: "7427530", contact: contact, changed: [.custom("birth_date")])])

        let asRead: [JSONValue] = [
            .object(["fieldId": .number(33441), "value": .string("1985-03-17 23:00:00 UTC")]),
            .object(["fieldId": .number(33442), "value": .array([.string("Vegetarian")])]),
            .object(["fieldId": .number(33445), "value": .string("77")]),
            .object(["fieldId": .number(33449), "value": .string("Bobby")]),
        ]
        #expect(try body(transport.requests[1])["customFields"] == .array(asRead))
        var changedDay = asRead
        changedDay[0] = .object(["fieldId": .number(33441), "value": .string("1985-03-18")])
        #expect(try body(transport.requests[2])["customFields"] == .array(changedDay))
    }

    // MARK: - Reading contacts

    @Test func theDocsGetContactExampleIsRead() async throws {
        let transport = RecordingTransport([reply("""
            {"id":"25146","firstName":"Test","lastName":"User","email":"user@test.com","phone":"0455550000",
             "customFields":[{"fieldId":"102","displayName":"Dietary Requirements","value":[""]},
                             {"fieldId":"103","displayName":"Shirt Size","value":["Medium"]}],
             "groups":[{"contactId":"25146","groupId":"2481","joinDate":"2012-04-16 21:07:04"},
                       {"contactId":"25146","groupId":"2485","joinDate":"2014-05-6 12:32:12"}],
             "companies":[4,5,6],"externalId":"59fc43b6726be"}
            """)])
        let record = try #require(try await client(transport).fetch(remoteID: "25146"))

        #expect(record.remoteID == "25146")
        #expect(record.contact.fields == [.firstName: "Test", .lastName: "User", .email: "user@test.com", .phone: "0455550000"])
        #expect(record.contact.uid == "59fc43b6726be")
        #expect(record.contact.extensions == ["ivvy": .object([
            "customFields": .array([.object(["fieldId": .number(103), "displayName": .string("Shirt Size"), "value": .array([.string("Medium")])])]),
            "groups": .array([.object(["groupId": .number(2481), "joinDate": .string("2012-04-16 21:07:04")]),
                              .object(["groupId": .number(2485), "joinDate": .string("2014-05-6 12:32:12")])]),
            "companies": .array([.number(4), .number(5), .number(6)]),
            "externalId": .string("59fc43b6726be"),
        ])])
    }

    @Test func dataOfOtherRecordsIsNotKeptSoAFetchedContactEqualsTheListedOne() async throws {
        let listed: [String: JSONValue] = ["status": .number(1), "isAnonymised": .bool(false),
                                           "privacyConsentData": .object(["source": .number(5), "dateTime": .string("2018-09-07 02:11:47")])]
        var fetched = listed
        fetched["eventInvitations"] = .array([.object(["eventId": .number(1)])])
        fetched["eventRegistrations"] = .array([])
        fetched["companiesData"] = .array([.object(["id": .number(4), "businessName": .string("Company Name 1")])])
        let transport = RecordingTransport([IvvyClientTests.contactReply(fetched)])
        let record = try #require(try await client(transport).fetch(remoteID: "7427530"))
        #expect(record.modifiedAt == "2018-09-07 02:11:47 UTC")
        #expect(record.contact.updatedAt == Timestamp(parsing: "2018-09-07T02:11:47Z"))
        #expect(record.contact.extensions == ["ivvy": .object(["isAnonymised": .bool(false), "privacyConsentData": listed["privacyConsentData"]!])])
    }

    @Test func aContactIvvyCannotFindIsNil() async throws {
        let transport = RecordingTransport([reply(#"{"errorCode":400,"message":"Unable to find contact","specificCode":24096}"#, status: 400)])
        #expect(try await client(transport).fetch(remoteID: "1") == nil)
    }

    // MARK: - Listing

    @Test func theListingPagesByStartUntilTheTotal() async throws {
        func page(_ start: Int, _ count: Int) -> HTTPResponse {
            reply(json: .object([
                "meta": .object(["totalResults": .number(250), "start": .number(Double(start)), "perPage": .number(100), "count": .number(Double(count))]),
                "results": .array((0..<count).map { .object(["id": .number(Double(1000 + start + $0)), "firstName": .string("P\($0)")]) }),
            ]))
        }
        let transport = RecordingTransport([page(0, 100), page(100, 100), page(200, 50)])
        let client = client(transport)
        var next: String? = nil
        var ids: [String] = []
        var pages = 0
        repeat {
            let result = try await client.listPage(next, modifiedSince: nil)
            ids += result.records.map(\.remoteID)
            #expect(result.total == 250)
            next = result.next
            pages += 1
        } while next != nil && pages < 10

        #expect(pages == 3)
        #expect(ids.count == 250 && Set(ids).count == 250)
        #expect(try transport.requests.map { try body($0) } == [0, 100, 200].map {
            .object(["perPage": .number(100), "start": .number(Double($0))])
        })
        #expect(transport.requests.allSatisfy { $0.url.query == "action=getContactList" })
    }

    @Test func anIncrementalListingFiltersByModifiedDateOnEveryPage() async throws {
        let first = reply(json: .object(["meta": .object(["totalResults": .number(3), "count": .number(2)]),
                                         "results": .array([.object(["id": .number(1)]), .object(["id": .number(2)])])]))
        let second = reply(json: .object(["meta": .object(["totalResults": .number(3), "count": .number(1)]),
                                          "results": .array([.object(["id": .number(3)])])]))
        let transport = RecordingTransport([first, second, reply(#"{"meta":{"totalResults":0,"count":0},"results":[]}"#)])
        let client = client(transport)
        let page = try await client.listPage(nil, modifiedSince: "2024-05-01 09:55:00 UTC")
        let last = try await client.listPage(page.next, modifiedSince: nil)
        let rfc = try await client.listPage(nil, modifiedSince: "2024-05-01T11:55:00+02:00")

        #expect(page.next == "start=2&from=2024-05-01 09:55:00")
        #expect(last.next == nil)
        #expect(rfc.next == nil)
        let filter = JSONValue.object(["fromModifiedDate": .string("2024-05-01 09:55:00")])
        #expect(try transport.requests.map { try body($0) } == [
            .object(["perPage": .number(100), "start": .number(0), "filter": filter]),
            .object(["perPage": .number(100), "start": .number(2), "filter": filter]),
            .object(["perPage": .number(100), "start": .number(0), "filter": filter]),
        ])
    }

    @Test func aStampOrTokenRoloCannotReadIsRefusedUnsent() async throws {
        let transport = RecordingTransport()
        let client = client(transport)
        if case .invalid? = await thrown({ try await client.listPage(nil, modifiedSince: "last tuesday") }) {} else { Issue.record("stamp accepted") }
        if case .invalid? = await thrown({ try await client.listPage("cursor-from-notifuse", modifiedSince: nil) }) {} else { Issue.record("token accepted") }
        #expect(transport.requests.isEmpty)
    }

    // MARK: - Finding a lost create

    @Test func findExistingLooksForTheExternalIDFirst() async throws {
        let transport = RecordingTransport([reply(json: .object(["meta": .object(["totalResults": .number(1)]),
            "results": .array([.object(["id": .number(33884), "externalId": .string("12345"), "firstName": .string("Bobby")])])]))])
        let found = try await client(transport).findExisting(IvvyClientTests.bobby, idempotencyKey: "k")
        #expect(found?.remoteID == "33884")
        #expect(try body(try #require(transport.requests.first))["filter"] == .object(["externalId": .string("12345")]))
    }

    @Test func findExistingThenLooksForTheSameNamesAndEmail() async throws {
        let transport = RecordingTransport([
            reply(#"{"meta":{"totalResults":0},"results":[]}"#),
            reply(json: .object(["results": .array([
                .object(["id": .number(1), "firstName": .string("Robert"), "lastName": .string("Smith"), "email": .string("bobbysmith@hotmail.com")]),
                .object(["id": .number(2), "firstName": .string("bobby "), "lastName": .string("SMITH"), "email": .string("BobbySmith@hotmail.com")]),
            ])])),
        ])
        let found = try await client(transport).findExisting(IvvyClientTests.bobby, idempotencyKey: "k")
        #expect(found?.remoteID == "2")
        #expect(try body(transport.requests[1])["filter"] == .object(["email": .string("bobbysmith@hotmail.com")]))
    }

    // MARK: - Failures

    @Test func aStaleRequestSaysHowFarTheClockIsOff() async throws {
        let stale = #"{"errorCode":401,"message":"Request is stale","specificCode":23005}"#
        let transport = RecordingTransport([reply(stale, status: 401, headers: ["Date": "Wed, 01 May 2024 10:07:00 GMT"]),
                                            reply(stale, status: 401)])
        let client = client(transport)
        let measured = await thrown { try await client.fetch(remoteID: "1") }
        let unmeasured = await thrown { try await client.fetch(remoteID: "1") }

        guard case .clockSkew(let minutes, let message)? = measured else { Issue.record("gave \(String(describing: measured))"); return }
        #expect(minutes == -7)
        #expect(message.contains("the system clock is off by 7 minutes (behind iVvy's"))
        #expect(message.contains("timedatectl set-ntp true"))
        guard case .clockSkew(nil, let other)? = unmeasured else { Issue.record("gave \(String(describing: unmeasured))"); return }
        #expect(other.contains("more than 5 minutes off"))
        #expect(measured?.stopsTheRun == true)
    }

    @Test func validationErrorsNameTheFieldAndSayWhy() async throws {
        let transport = RecordingTransport([
            reply(#"{"errorCode":400,"message":"'firstName' does not validate","specificCode":23016,"additionalMessages":["Value must not be empty"]}"#, status: 400),
            reply(#"{"errorCode":400,"message":"'email' is required","specificCode":23017,"additionalMessages":[]}"#, status: 400),
        ])
        let outcomes = await client(transport).push([
            .update(remoteID: "1", contact: IvvyClientTests.bobby, changed: [.standard(.firstName)]),
            .create(IvvyClientTests.bobby, idempotencyKey: "k"),
        ])
        #expect(outcomes == [
            .failed(.invalid(field: "first_name", "iVvy: 'firstName' does not validate: Value must not be empty (error 23016)")),
            .failed(.invalid(field: "email", "iVvy: 'email' is required (error 23017)")),
        ])
    }

    @Test func statusCodesAndErrorBodiesAreTyped() async throws {
        let transport = RecordingTransport([
            reply(#"{"errorCode":401,"message":"Invalid signature"}"#, status: 401),
            reply(#"{"errorCode":429,"message":"Too Many Requests"}"#, status: 429, headers: ["Retry-After": "12"]),
            reply(#"{"errorCode":500,"message":"Internal error"}"#, status: 500),
            reply(#"{"errorCode":461,"message":"Failed Request"}"#),
            reply("<html>gateway</html>", status: 504),
            reply(#"{"errorCode":463,"message":"Key Revoked"}"#, status: 401),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        for _ in 0..<6 { if let error = await thrown({ try await client.fetch(remoteID: "1") }) { errors.append(error) } }
        #expect(errors.count == 6)
        guard errors.count == 6 else { return }
        if case .auth = errors[0] {} else { Issue.record("401 gave \(errors[0])") }
        #expect(errors[1] == .rateLimited(retryAfter: 12, "iVvy: Too Many Requests"))
        #expect(errors[2] == .transient("iVvy: Internal error"))
        // An errorCode inside a 200 is an error all the same.
        #expect(errors[3] == .transient("iVvy: Failed Request"))
        #expect(errors[4].isRetryable)
        if case .auth = errors[5] {} else { Issue.record("463 gave \(errors[5])") }
    }

    @Test func theSecretAppearsInNoHeaderAndNoError() async throws {
        let echo = "signature for secret \(IvvyClientTests.secret) does not match"
        let transport = RecordingTransport([
            reply(json: .object(["errorCode": .number(401), "message": .string(echo)]), status: 401),
            reply(json: .object(["success": .bool(false), "message": .string(echo)])),
            reply(echo, status: 502),
            reply(json: .object(["errorCode": .number(400), "specificCode": .number(23016), "message": .string("'x' does not validate"),
                                 "additionalMessages": .array([.string(echo)])]), status: 400),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        if let error = await thrown({ try await client.fetch(remoteID: "1") }) { errors.append(error) }
        errors += await client.push([.create(IvvyClientTests.bobby, idempotencyKey: "k")]).compactMap(failure)
        if let error = await thrown({ try await client.listPage(nil, modifiedSince: nil) }) { errors.append(error) }
        errors += await client.push([.update(remoteID: "1", contact: IvvyClientTests.bobby, changed: [.standard(.firstName)])]).compactMap(failure)
        transport.thenFail(.cannotConnect("connection refused"))
        if let error = await thrown({ try await client.refreshFieldDefinitions() }) { errors.append(error) }

        #expect(errors.count == 5)
        for error in errors { #expect(!String(describing: error).contains(IvvyClientTests.secret), "\(error)") }
        for request in transport.requests {
            for header in request.headers { #expect(!header.value.contains(IvvyClientTests.secret)) }
        }
    }
}
