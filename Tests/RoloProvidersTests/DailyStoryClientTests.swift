import Foundation
import RoloCore
import Testing
@testable import RoloProviders

/// The DailyStory adapter against a recording transport (PROVIDERS.md §1, §3b).
@Suite("DailyStory client")
struct DailyStoryClientTests {
    static let token = "ds-secret-8f3a2c91d07e-us-1"
    static let base = URL(string: "https://us-1.dailystory.com")!
    static let dsID = "43aaf5af35f866b1edba7"

    /// Typed local fields; DailyStory stores them all as strings.
    static let definitions: [FieldDefinition] = [
        FieldDefinition(key: "seats", type: .number), FieldDefinition(key: "renewal", type: .date),
        FieldDefinition(key: "last_login", type: .datetime), FieldDefinition(key: "vip", type: .bool),
        FieldDefinition(key: "prefs", type: .json),
        FieldDefinition(key: "plan", type: .select, options: [SelectOption(value: "gold"), SelectOption(value: "silver")]),
        FieldDefinition(key: "topics", type: .multiselect, options: ["a", "b", "c"].map { SelectOption(value: $0) }),
    ]

    func client(_ transport: RecordingTransport, base: URL = DailyStoryClientTests.base,
                authStyle: DailyStoryClient.AuthStyle = .bearer) -> DailyStoryClient {
        DailyStoryClient(baseURL: base, token: DailyStoryClientTests.token, definitions: DailyStoryClientTests.definitions,
                         transport: transport, authStyle: authStyle)
    }

    /// The rolo contact of the documented create request.
    static var rob: Contact {
        Contact(uid: "u-rob", accountID: 1, fields: [
            .email: "rob@example.com", .firstName: "Rob", .lastName: "Howard", .mobilePhone: "+15557140059",
            .city: "Dallas", .region: "Texas",
        ], custom: ["stripe_customer_id": .text("cus_DRvE6c5V9jp"), "class_of_license": .text("Premium")])
    }

    static func envelope(_ response: JSONValue, status: Bool = true, message: String = "") -> JSONValue {
        .object(["Status": .bool(status), "Message": .string(message), "Response": response])
    }

    /// The documented contact with some members replaced.
    static func storedContact(_ changes: [String: JSONValue] = [:]) throws -> JSONValue {
        guard case .object(var members)? = try fixtureJSON("dailystory/contact-response.json")["Response"]?["contact"] else {
            throw FixtureMissing(path: "dailystory/contact-response.json: Response.contact")
        }
        for (name, value) in changes { members[name] = value }
        return .object(members)
    }

    // MARK: - The documented requests

    @Test func aCreateSendsTheDocumentedRequestAndReadsTheContactFromTheReply() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        let outcomes = await client(transport).push([.create(DailyStoryClientTests.rob, idempotencyKey: "k")])

        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://us-1.dailystory.com/api/v1/contact")
        #expect(request.header("Authorization") == "Bearer \(DailyStoryClientTests.token)")
        #expect(request.header("Content-Type") == "application/json")
        #expect(try body(request) == (try fixtureJSON("dailystory/create-request.json")))
        guard case .created(let remoteID, let record)? = outcomes.first else {
            Issue.record("not created: \(outcomes)")
            return
        }
        #expect(remoteID == DailyStoryClientTests.dsID)
        #expect(record?.contact.fields[.jobTitle] == "Founder, CEO")
    }

    @Test func aCreateWhoseReplyHasOnlyTheIDReadsTheContactAgain() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/upsert-response.json"),
                                            try fixtureReply("dailystory/contact-response.json")])
        let outcomes = await client(transport).push([.create(DailyStoryClientTests.rob, idempotencyKey: "k")])

        #expect(transport.requests.map { "\($0.method) \($0.url.path)" } == ["POST /api/v1/contact", "GET /api/v1/contact/\(DailyStoryClientTests.dsID)"])
        guard case .created(let remoteID, let record?)? = outcomes.first else {
            Issue.record("not created with a record: \(outcomes)")
            return
        }
        #expect(remoteID == DailyStoryClientTests.dsID)
        #expect(record.remoteID == DailyStoryClientTests.dsID)
    }

    @Test func aCreateStaysConfirmedWhenReadingItAgainFails() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/upsert-response.json"), reply("bad gateway", status: 502)])
        let outcomes = await client(transport).push([.create(DailyStoryClientTests.rob, idempotencyKey: "k")])
        #expect(outcomes == [.created(remoteID: DailyStoryClientTests.dsID, record: nil)])
    }

    @Test func aCustomFieldOnlyCreateIsTheDocumentedOne() async throws {
        let contact = Contact(accountID: 1, fields: [.email: "example@example.com"], custom: ["some_custom_field": .text("hello world")])
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        _ = await client(transport).push([.create(contact, idempotencyKey: "k")])
        #expect(try body(try #require(transport.requests.first)) == (try fixtureJSON("dailystory/custom-field-request.json")))
    }

    @Test func anUpdateSendsTheDsIdAndOnlyTheChangedFields() async throws {
        var contact = DailyStoryClientTests.rob
        contact[.jobTitle] = "Founder, CEO"
        let transport = RecordingTransport([try fixtureReply("dailystory/upsert-response.json")])
        let outcomes = await client(transport).push([.update(remoteID: DailyStoryClientTests.dsID, contact: contact,
                                                             changed: [.standard(.firstName), .standard(.lastName), .standard(.jobTitle)])])

        #expect(outcomes == [.updated(remoteID: DailyStoryClientTests.dsID, record: nil)])
        let request = try #require(transport.requests.first)
        #expect(request.url.absoluteString == "https://us-1.dailystory.com/api/v1/contact")
        #expect(try body(request) == (try fixtureJSON("dailystory/update-request.json")))
    }

    @Test func anUpdateOfFieldsDailyStoryDoesNotStoreSendsNothing() async throws {
        let transport = RecordingTransport()
        let outcomes = await client(transport).push([.update(remoteID: "x1", contact: DailyStoryClientTests.rob,
                                                             changed: [.standard(.notes), .standard(.language)])])
        #expect(outcomes == [.updated(remoteID: "x1", record: nil)])
        #expect(transport.requests.isEmpty)
    }

    @Test func theDataCentreComesFromTheBaseURL() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        _ = try await client(transport, base: URL(string: "https://uk-3.dailystory.com/")!).fetch(remoteID: DailyStoryClientTests.dsID)
        #expect(transport.requests.first?.url.absoluteString == "https://uk-3.dailystory.com/api/v1/contact/\(DailyStoryClientTests.dsID)")
    }

    // MARK: - Reading contacts

    @Test func theDocumentedContactIsReadWithWhatRoloDoesNotModelKept() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        let record = try #require(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID))

        #expect(record.remoteID == DailyStoryClientTests.dsID)
        #expect(!record.isDeleted)
        #expect(record.modifiedAt == "2025-09-23T20:50:49.373")
        #expect(record.contact.fields == [
            .firstName: "Rob", .lastName: "Howard", .email: "rob@example.com", .jobTitle: "Founder, CEO",
            .status: "Active", .company: "https://dailystory.com", .phone: "+15557140059", .mobilePhone: "+15557140059",
            .country: "United States", .city: "Dallas", .postcode: "75270", .region: "Texas",
            .emailOptOut: "false", .smsOptOut: "false", .phoneOptOut: "false",
        ])
        #expect(record.contact.custom == ["stripe_customer_id": .text("cus_DRvE6c5V9jp"), "class_of_license": .text("Premium")])
        #expect(record.contact.extensions == ["dailystory": .object([
            "geoCode": .string("33.8731,-93.8607"), "gender": .number(0), "numberOfEmployees": .number(0), "industry": .number(0),
            "annualRevenue": .number(0), "maxContactFrequencyInDays": .number(0), "optOutPush": .bool(false),
        ])])
        // Dates without an offset are read as UTC.
        #expect(record.contact.createdAt == Timestamp(parsing: "2022-01-12T18:10:25.560Z"))
        #expect(record.contact.updatedAt == Timestamp(parsing: "2025-09-23T20:50:49.373Z"))
    }

    @Test func theNeverDateIsNoDate() async throws {
        let contact = try DailyStoryClientTests.storedContact([
            "dateContactLastModified": .string("1753-01-01T00:00:00"), "timestampCreated": .string("1753-01-01T00:00:00"),
            "dateContactCreated": .string("1753-01-01T00:00:00"), "dateBirth": .string("1753-01-01T00:00:00"),
        ])
        let transport = RecordingTransport([reply(json: DailyStoryClientTests.envelope(.object(["contact": contact])))])
        let record = try #require(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID))
        #expect(record.modifiedAt == nil)
        #expect(record.contact.extensions["dailystory"]?["dateBirth"] == nil)
    }

    @Test(arguments: [(JSONValue.string("Deleted"), "Deleted", true), (.number(100), "Deleted", true), (.number(0), "Active", false),
                      (.string("Spam"), "Spam", false), (.string("inactive"), "Inactive", false)])
    func theStatusIsReadAsAStringOrANumber(_ wire: JSONValue, _ shown: String, _ deleted: Bool) async throws {
        let transport = RecordingTransport([reply(json: DailyStoryClientTests.envelope(.object(["contact": try DailyStoryClientTests.storedContact(["status": wire])])))])
        let record = try #require(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID))
        #expect(record.contact[.status] == shown)
        #expect(record.isDeleted == deleted)
    }

    @Test func aContactThatIsNotThereIsNil() async throws {
        let transport = RecordingTransport([
            reply(#"{"Status":false,"Message":"Contact not found","Response":{}}"#, status: 404),
            reply(#"{"Status":false,"Message":"Contact not found","Response":{}}"#),
            reply("", status: 404),
        ])
        let client = client(transport)
        #expect(try await client.fetch(remoteID: "nope1") == nil)
        #expect(try await client.fetch(remoteID: "nope2") == nil)
        #expect(try await client.fetch(remoteID: "nope3") == nil)
    }

    @Test func anEnvelopeWithACodeIsRead() async throws {
        let transport = RecordingTransport([reply(json: .object(["Code": .number(200), "Status": .bool(true), "Message": .string(""),
                                                                 "Response": .object(["contact": try DailyStoryClientTests.storedContact()])]))])
        #expect(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID)?.remoteID == DailyStoryClientTests.dsID)
    }

    // MARK: - Status, flags, read-only fields

    @Test func theStatusIsSentAsDailyStorysName() async throws {
        var contact = DailyStoryClientTests.rob
        contact[.status] = "inactive"
        contact[.emailOptOut] = "true"
        let transport = RecordingTransport([try fixtureReply("dailystory/upsert-response.json")])
        _ = await client(transport).push([.update(remoteID: "x1", contact: contact, changed: [.standard(.status), .standard(.emailOptOut)])])
        #expect(try body(try #require(transport.requests.first)) == .object([
            "dsId": .string("x1"), "status": .string("Inactive"), "optOutEmail": .bool(true),
        ]))
    }

    @Test func aStatusDailyStoryDoesNotHaveIsRefusedUnsent() async throws {
        var contact = DailyStoryClientTests.rob
        contact[.status] = "Registering"
        let transport = RecordingTransport()
        let outcomes = await client(transport).push([.update(remoteID: "x1", contact: contact, changed: [.standard(.status)])])
        #expect(outcomes.first.flatMap(failure) == .invalid(field: "status", "“Registering” is not a DailyStory status (write one of Active, Inactive, Spam, Deleted)"))
        #expect(transport.requests.isEmpty)
    }

    @Test func readOnlyAndDerivedFieldsAreNeverSentBack() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json"), try fixtureReply("dailystory/contact-response.json")])
        let client = client(transport)
        // A contact read from DailyStory, created again (say, after it was deleted there).
        var contact = try #require(try await client.fetch(remoteID: DailyStoryClientTests.dsID)).contact
        contact[.website] = "https://example.com"
        _ = await client.push([.create(contact, idempotencyKey: "k")])

        let sent = try body(transport.requests[1])
        guard case .object(let members) = sent else { Issue.record("not an object"); return }
        let readOnly = ["dsId", "tenantId", "fullname", "donotcontact", "age", "accountId", "isPushEnabled", "isWebPushEnabled",
                        "isSmsEnabled", "isEmailEnabled", "isEmailVerifiedForDelivery", "isSMSVerified", "dateFirstSeen",
                        "dateLastSeen", "dateContactCreated", "timestampCreated", "dateContactLastModified", "dateLastContacted"]
        for name in readOnly { #expect(members[name] == nil, "\(name) was sent") }
        #expect(members["geoCode"] == .string("33.8731,-93.8607"))
        #expect(members["optOutPush"] == .bool(false))
        #expect(members["status"] == .string("Active"))
        #expect(members["title"] == .string("Founder, CEO"))
        #expect(members["website"] == .string("https://example.com"))
    }

    // MARK: - Custom values through extendedProperties

    static let typedValues: [String: CustomValue] = [
        "seats": .number(1250.5), "renewal": .date(LocalDate(iso: "1985-03-17")!),
        "last_login": .datetime(Timestamp(parsing: "2023-06-01T09:00:00Z")!), "vip": .bool(true),
        "prefs": .json(.object(["theme": .string("dark"), "n": .number(3)])), "plan": .select("gold"),
        "topics": .multiselect(["a", "c"]), "note": .text("hello, world"),
    ]

    static let typedWire: JSONValue = .object([
        "seats": .string("1250.5"), "renewal": .string("1985-03-17"), "last_login": .string("2023-06-01T09:00:00Z"),
        "vip": .string("true"), "prefs": .string(#"{"n":3,"theme":"dark"}"#), "plan": .string("gold"),
        "topics": .string("a, c"), "note": .string("hello, world"),
    ])

    @Test func everyCustomTypeTravelsAsAString() async throws {
        let contact = Contact(accountID: 1, fields: [.email: "t@example.com"], custom: DailyStoryClientTests.typedValues)
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        _ = await client(transport).push([.create(contact, idempotencyKey: "k")])
        #expect(try body(try #require(transport.requests.first))["extendedProperties"] == DailyStoryClientTests.typedWire)
    }

    @Test func everyCustomTypeIsReadBackFromItsString() async throws {
        let stored = try DailyStoryClientTests.storedContact(["extendedProperties": DailyStoryClientTests.typedWire])
        let transport = RecordingTransport([reply(json: DailyStoryClientTests.envelope(.object(["contact": stored])))])
        let record = try #require(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID))
        #expect(record.contact.custom == DailyStoryClientTests.typedValues)
    }

    @Test func aValueThatIsNotItsFieldsTypeIsKeptAsDailyStoryHasIt() async throws {
        let stored = try DailyStoryClientTests.storedContact(["extendedProperties": .object(["seats": .string("about forty"), "vip": .string("")])])
        let transport = RecordingTransport([reply(json: DailyStoryClientTests.envelope(.object(["contact": stored])))])
        let record = try #require(try await client(transport).fetch(remoteID: DailyStoryClientTests.dsID))
        #expect(record.contact.custom.isEmpty)
        #expect(record.contact.extensions["dailystory"]?["extendedProperties"] == .object(["seats": .string("about forty")]))
    }

    /// §3b: keys of lowercase letters, digits and _ are what DailyStory recommends; rolo's
    /// validator warns about others, and the adapter sends whatever key the user kept.
    @Test func customKeysAreSentAsTheyAre() async throws {
        let contact = Contact(accountID: 1, fields: [.email: "k@example.com"], custom: ["Plan-Tier": .text("gold"), "plan_tier": .text("x")])
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json")])
        _ = await client(transport).push([.create(contact, idempotencyKey: "k")])
        #expect(try body(try #require(transport.requests.first))["extendedProperties"]
            == .object(["Plan-Tier": .string("gold"), "plan_tier": .string("x")]))
    }

    @Test func aClearSendsAnEmptyStringButNeverClearsConsent() async throws {
        var contact = DailyStoryClientTests.rob
        contact[.city] = nil
        contact[.status] = nil
        contact[.smsOptOut] = nil
        contact.custom["class_of_license"] = nil
        let transport = RecordingTransport([try fixtureReply("dailystory/upsert-response.json")])
        _ = await client(transport).push([.update(remoteID: "x1", contact: contact, changed: [
            .standard(.city), .standard(.status), .standard(.smsOptOut), .custom("class_of_license"),
        ])])
        #expect(try body(try #require(transport.requests.first)) == .object([
            "dsId": .string("x1"), "city": .string(""), "extendedProperties": .object(["class_of_license": .string("")]),
        ]))
    }

    // MARK: - Delete, lookups, listing

    @Test func aDeleteIsSoftAndADeleteOfAContactAlreadyGoneIsDone() async throws {
        let transport = RecordingTransport([reply(#"{"Status":true,"Message":"","Response":{}}"#),
                                            reply(#"{"Status":false,"Message":"Contact not found","Response":{}}"#, status: 404)])
        let outcomes = await client(transport).push([.delete(remoteID: "a1"), .delete(remoteID: "a2")])
        #expect(outcomes == [.deleted, .deleted])
        #expect(transport.requests.map { "\($0.method) \($0.url.path)" } == ["DELETE /api/v1/contact/a1", "DELETE /api/v1/contact/a2"])
    }

    @Test func aContactIsFetchedByEmailOrByMobile() async throws {
        let transport = RecordingTransport([try fixtureReply("dailystory/contact-response.json"), try fixtureReply("dailystory/contact-response.json")])
        let client = client(transport)
        #expect(try await client.fetch(email: "rob+x@example.com")?.remoteID == DailyStoryClientTests.dsID)
        #expect(try await client.fetch(mobile: "+15557140059")?.remoteID == DailyStoryClientTests.dsID)
        #expect(transport.requests.map(\.url.absoluteString) == [
            "https://us-1.dailystory.com/api/v1/contact?email=rob%2Bx%40example.com",
            "https://us-1.dailystory.com/api/v1/contact?mobilephone=%2B15557140059",
        ])
    }

    @Test func findExistingLooksUpTheEmailThenTheMobileAndSkipsTheTrash() async throws {
        let deleted = try DailyStoryClientTests.storedContact(["status": .string("Deleted"), "dsId": .string("trashed")])
        let transport = RecordingTransport([
            reply(json: DailyStoryClientTests.envelope(.object(["contact": deleted]))),
            try fixtureReply("dailystory/contact-response.json"),
        ])
        let found = try await client(transport).findExisting(DailyStoryClientTests.rob, idempotencyKey: "k")
        #expect(found?.remoteID == DailyStoryClientTests.dsID)
        #expect(transport.requests.map { $0.url.query ?? "" } == ["email=rob%40example.com", "mobilephone=%2B15557140059"])
    }

    @Test func findExistingFindsNothingWhenNeitherKeyMatches() async throws {
        let notFound = #"{"Status":false,"Message":"Contact not found","Response":null}"#
        let transport = RecordingTransport([reply(notFound, status: 404), reply(notFound)])
        #expect(try await client(transport).findExisting(DailyStoryClientTests.rob, idempotencyKey: "k") == nil)
        #expect(transport.requests.count == 2)
    }

    @Test func dailyStoryCannotList() async throws {
        let transport = RecordingTransport()
        let error = await thrown { try await client(transport).listPage(nil, modifiedSince: nil) }
        guard case .unsupported? = error else {
            Issue.record("listing gave \(String(describing: error))")
            return
        }
        #expect(transport.requests.isEmpty)
    }

    // MARK: - Auth and failures

    @Test func basicAuthIsTriedOnceAfterBearerIsRefusedAndThenKept() async throws {
        let transport = RecordingTransport([
            reply(#"{"Status":false,"Message":"Unauthorized","Response":{}}"#, status: 401),
            try fixtureReply("dailystory/contact-response.json"),
            try fixtureReply("dailystory/contact-response.json"),
        ])
        let client = client(transport)
        _ = try await client.fetch(remoteID: "a")
        _ = try await client.fetch(remoteID: "b")

        let basic = "Basic " + Data("api:\(DailyStoryClientTests.token)".utf8).base64EncodedString()
        #expect(transport.requests.map { $0.header("Authorization") } == ["Bearer \(DailyStoryClientTests.token)", basic, basic])
        #expect(client.authStyle == .basic)
    }

    @Test func aTokenRefusedBothWaysIsAnAuthFailure() async throws {
        let refusal = reply(#"{"Status":false,"Message":"Unauthorized","Response":{}}"#, status: 401)
        let transport = RecordingTransport([refusal, refusal])
        let client = client(transport)
        let error = await thrown { try await client.fetch(remoteID: "a") }
        guard case .auth(let message)? = error else {
            Issue.record("gave \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("DailyStory: Unauthorized"))
        #expect(client.authStyle == .bearer)
    }

    @Test func statusFalseIsAFailureWhateverTheHTTPStatus() async throws {
        let transport = RecordingTransport([
            reply(#"{"Status":false,"Message":"A contact needs a dsId, a mobile number or an email","Response":{}}"#),
            reply(#"{"Status":false,"Message":"Invalid email address","Response":null}"#, status: 400),
        ])
        let outcomes = await client(transport).push([.create(DailyStoryClientTests.rob, idempotencyKey: "k"),
                                                     .create(DailyStoryClientTests.rob, idempotencyKey: "k2")])
        #expect(outcomes == [.failed(.invalid(field: nil, "DailyStory: A contact needs a dsId, a mobile number or an email")),
                             .failed(.invalid(field: nil, "DailyStory: Invalid email address"))])
    }

    @Test func rateLimitsServerErrorsAndGarbageAreRetryable() async throws {
        let transport = RecordingTransport([
            reply(#"{"Status":false,"Message":"Too many requests","Response":{}}"#, status: 429, headers: ["Retry-After": "30"]),
            reply(#"{"Status":false,"Message":"","Response":{}}"#, status: 500),
            reply("<html>bad gateway</html>", status: 502),
            reply("<html>ok?</html>"),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        for _ in 0..<4 { if let error = await thrown({ try await client.fetch(remoteID: "a") }) { errors.append(error) } }
        #expect(errors.first == .rateLimited(retryAfter: 30, "DailyStory: Too many requests"))
        #expect(errors.count == 4)
        #expect(errors.allSatisfy { $0.isRetryable })
    }

    @Test func afterTheTokenIsRefusedTheRestOfAPushIsNotSent() async throws {
        let refusal = reply(#"{"Status":false,"Message":"Unauthorized","Response":{}}"#, status: 401)
        let transport = RecordingTransport([refusal, refusal])
        let outcomes = await client(transport).push([.delete(remoteID: "a"), .delete(remoteID: "b")])
        #expect(transport.requests.count == 2)
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { failure($0)?.stopsTheRun == true })
    }

    @Test func noErrorEverCarriesTheToken() async throws {
        let echo = "Token \(DailyStoryClientTests.token) is not valid for this data center"
        let transport = RecordingTransport([
            reply(json: DailyStoryClientTests.envelope(.object([:]), status: false, message: echo), status: 401),
            reply(json: DailyStoryClientTests.envelope(.object([:]), status: false, message: echo), status: 401),
            reply(json: DailyStoryClientTests.envelope(.object([:]), status: false, message: echo)),
            reply("proxy says: \(DailyStoryClientTests.token)", status: 503),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        if let error = await thrown({ try await client.fetch(remoteID: "a") }) { errors.append(error) }
        errors += await client.push([.create(DailyStoryClientTests.rob, idempotencyKey: "k")]).compactMap(failure)
        if let error = await thrown({ try await client.fetch(email: "a@example.com") }) { errors.append(error) }
        transport.thenFail(.connectionLost("reset by peer"))
        if let error = await thrown({ try await client.fetch(remoteID: "b") }) { errors.append(error) }
        #expect(errors.count == 4)
        for error in errors {
            #expect(!error.message.contains(DailyStoryClientTests.token), "\(error.message)")
            #expect(!String(describing: error).contains(DailyStoryClientTests.token))
        }
    }

    /// A server that echoes the Authorization header it got: after Bearer is refused, rolo
    /// tries Basic, whose credentials are the token in base64 — which a search for the token
    /// itself does not find.
    @Test func noErrorCarriesTheTokenInTheBasicCredentialsItWentIn() async throws {
        let basic = Data("api:\(DailyStoryClientTests.token)".utf8).base64EncodedString()
        let transport = RecordingTransport([
            reply(json: DailyStoryClientTests.envelope(.object([:]), status: false,
                                                       message: "bad auth Bearer \(DailyStoryClientTests.token)"), status: 401),
            reply(json: DailyStoryClientTests.envelope(.object([:]), status: false, message: "bad auth Basic \(basic)"), status: 401),
            reply("upstream rejected Authorization: basic \(basic)", status: 503),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        if let error = await thrown({ try await client.fetch(remoteID: "a") }) { errors.append(error) }
        if let error = await thrown({ try await client.fetch(remoteID: "b") }) { errors.append(error) }
        #expect(errors.count == 2)
        for error in errors {
            #expect(!error.message.contains(basic) && !error.message.contains(DailyStoryClientTests.token), "\(error.message)")
        }
        #expect(errors.first?.message.contains("bad auth Basic [redacted]") == true, "\(errors.first?.message ?? "")")
    }
}
