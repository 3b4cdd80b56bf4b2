import Foundation
import RoloCore
import Testing
@testable import RoloProviders

/// The Notifuse adapter against a recording transport (PROVIDERS.md §2, §3b).
@Suite("Notifuse client")
struct NotifuseClientTests {
    static let token = "nf-test-token-5e1b7c0a9d"
    static let base = URL(string: "https://notifuse.example.com")!

    /// One definition for each of the 20 slots, so the documented request's every slot has a key.
    static let definitions: [FieldDefinition] = {
        var definitions = [FieldDefinition(key: "tier", type: .text, providerRef: "custom_string_1"),
                           FieldDefinition(key: "seats", type: .number, providerRef: "custom_number_1"),
                           FieldDefinition(key: "renews_at", type: .datetime, providerRef: "custom_datetime_1"),
                           FieldDefinition(key: "preferences", type: .json, providerRef: "custom_json_1")]
        for slot in 2...5 {
            definitions.append(FieldDefinition(key: "s\(slot)", type: .text, providerRef: "custom_string_\(slot)"))
            definitions.append(FieldDefinition(key: "n\(slot)", type: .number, providerRef: "custom_number_\(slot)"))
            definitions.append(FieldDefinition(key: "d\(slot)", type: .datetime, providerRef: "custom_datetime_\(slot)"))
            definitions.append(FieldDefinition(key: "j\(slot)", type: .json, providerRef: "custom_json_\(slot)"))
        }
        return definitions
    }()

    /// The client; `batchUpdates` as the account would set it, or the client's default.
    func client(_ transport: RecordingTransport, batchUpdates: Bool? = nil) -> NotifuseClient {
        guard let batchUpdates else {
            return NotifuseClient(baseURL: NotifuseClientTests.base, workspaceID: "ws_1234567890", token: NotifuseClientTests.token,
                                  definitions: NotifuseClientTests.definitions, transport: transport)
        }
        return NotifuseClient(baseURL: NotifuseClientTests.base, workspaceID: "ws_1234567890", token: NotifuseClientTests.token,
                              definitions: NotifuseClientTests.definitions, transport: transport, batchUpdates: batchUpdates)
    }

    /// The rolo contact the documented upsert request describes.
    static var documentedContact: Contact {
        var custom: [String: CustomValue] = [
            "tier": .text("Premium tier"), "seats": .number(42),
            "renews_at": .datetime(Timestamp(parsing: "2023-06-01T09:00:00Z")!),
            "preferences": .json(.object(["preferences": .object(["theme": .string("dark"), "notifications": .bool(true)])])),
        ]
        for slot in 2...5 {
            custom["s\(slot)"] = .text("<string>")
            custom["n\(slot)"] = .number(123)
            custom["d\(slot)"] = .datetime(Timestamp(parsing: "2023-11-07T05:31:56Z")!)
            custom["j\(slot)"] = .json(.object([:]))
        }
        return Contact(uid: "user_12345", accountID: 1, fields: [
            .email: "user@example.com", .timezone: "America/New_York", .language: "en-US", .firstName: "John",
            .lastName: "Doe", .phone: "+15551234567", .addressLine1: "123 Main St", .addressLine2: "Apt 4B",
            .country: "US", .postcode: "10001", .region: "NY", .jobTitle: "Software Engineer",
        ], custom: custom)
    }

    static func contact(_ email: String, first: String = "Ann") -> Contact {
        Contact(uid: "uid-\(email)", accountID: 1, fields: [.email: email, .firstName: first])
    }

    // MARK: - The documented request and replies

    @Test func aCreateSendsTheDocumentedUpsertRequestWithoutTheFieldsNotifuseNeverReads() async throws {
        let transport = RecordingTransport([try fixtureReply("notifuse/upsert-response-server.json")])
        let outcomes = await client(transport).push([.create(NotifuseClientTests.documentedContact, idempotencyKey: "k1")])

        #expect(outcomes.count == 1)
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://notifuse.example.com/api/contacts.upsert")
        #expect(request.header("Authorization") == "Bearer \(NotifuseClientTests.token)")
        #expect(request.header("Content-Type") == "application/json")
        let documented = try fixtureJSON("notifuse/upsert-request.json")
        let neverSent = ["lifetime_value", "orders_count", "last_order_at", "created_at", "updated_at"]
        let expected = JSONValue.object(["workspace_id": documented["workspace_id"]!,
                                         "contact": removing(neverSent, from: documented["contact"]!)])
        #expect(try body(request) == expected)
    }

    @Test func theServersUpsertReplyIsACreateAndTheContactIsReadBackByEmail() async throws {
        let stored = try fixtureJSON("notifuse/upsert-response-docs.json")["contact"]!
        let transport = RecordingTransport([try fixtureReply("notifuse/upsert-response-server.json"),
                                            reply(json: .object(["contact": stored]))])
        let outcomes = await client(transport).push([.create(NotifuseClientTests.documentedContact, idempotencyKey: "k1")])

        guard case .created(let remoteID, let record)? = outcomes.first else {
            Issue.record("not created: \(outcomes)")
            return
        }
        #expect(remoteID == "user@example.com")
        #expect(transport.requests.count == 2)
        #expect(transport.requests.last?.url.absoluteString
            == "https://notifuse.example.com/api/contacts.getByEmail?workspace_id=ws_1234567890&email=user%40example.com")
        #expect(record?.contact.custom["tier"] == .text("Premium tier"))
        #expect(record?.modifiedAt == "2023-04-22T15:45:00Z")
    }

    @Test func theDocsPagesUpsertReplyCarriesTheContact() async throws {
        let transport = RecordingTransport([try fixtureReply("notifuse/upsert-response-docs.json")])
        let outcomes = await client(transport).push([.create(NotifuseClientTests.documentedContact, idempotencyKey: "k1")])

        guard case .created(let remoteID, let record)? = outcomes.first else {
            Issue.record("not created: \(outcomes)")
            return
        }
        #expect(remoteID == "user@example.com")
        #expect(transport.requests.count == 1)
        let contact = try #require(record?.contact)
        #expect(contact.fields == NotifuseClientTests.documentedContact.fields)
        #expect(contact.custom == NotifuseClientTests.documentedContact.custom)
    }

    @Test func anUpsertReplyWithAnErrorIsARefusal() async throws {
        let transport = RecordingTransport([reply(#"{"action":"error","error":"invalid email format"}"#)])
        let outcomes = await client(transport).push([.create(NotifuseClientTests.contact("a@example.com"), idempotencyKey: "k")])
        #expect(outcomes.first.flatMap(failure) == .invalid(field: nil, "Notifuse: invalid email format"))
    }

    @Test func readingAContactKeepsWhatRoloDoesNotModelAndNeverSendsIt() async throws {
        let transport = RecordingTransport([try fixtureReply("notifuse/upsert-response-docs.json")])
        let client = NotifuseClient(baseURL: NotifuseClientTests.base, workspaceID: "ws_1234567890", token: NotifuseClientTests.token,
                                    definitions: [], transport: transport)
        let outcomes = await client.push([.create(NotifuseClientTests.contact("user@example.com"), idempotencyKey: "k")])
        guard case .created(_, let record?)? = outcomes.first, case .object(let kept)? = record.contact.extensions["notifuse"] else {
            Issue.record("no record with a notifuse extension: \(outcomes)")
            return
        }
        // Unnamed slots stay as Notifuse has them; so do the fields a pre-v18 server still sends.
        #expect(kept["custom_string_1"] == .string("Premium tier"))
        #expect(kept["lifetime_value"] == .number(1250.5))
        #expect(kept["orders_count"] == .number(5))
        #expect(kept["updated_at"] == nil)
    }

    // MARK: - Clears, batches, email changes

    @Test func updatesGoOneByOneUnlessTheAccountAsksWhileARunOfCreatesIsOneImport() async throws {
        // §4.11: single records by default; the import (which resets created_at) for the bulk
        // push of new contacts.
        let updates: [OutgoingChange] = ["a@example.com", "b@example.com", "c@example.com"].map {
            .update(remoteID: $0, contact: NotifuseClientTests.contact($0, first: "Al"), changed: [.standard(.firstName)])
        }
        let creates: [OutgoingChange] = ["x@example.com", "y@example.com", "z@example.com"].map {
            .create(NotifuseClientTests.contact($0), idempotencyKey: $0)
        }
        let transport = RecordingTransport([
            reply(#"{"operations":[{"email":"x@example.com","action":"create"},{"email":"y@example.com","action":"create"},{"email":"z@example.com","action":"create"}]}"#),
            reply(#"{"email":"a@example.com","action":"update"}"#), reply(#"{"email":"b@example.com","action":"update"}"#),
            reply(#"{"email":"c@example.com","action":"update"}"#),
        ])
        let outcomes = await client(transport).push(updates + creates)
        #expect(transport.requests.map(\.url.path) == ["/api/contacts.import"] + Array(repeating: "/api/contacts.upsert", count: 3))
        #expect(outcomes == ["a@example.com", "b@example.com", "c@example.com"].map { .updated(remoteID: $0, record: nil) }
            + ["x@example.com", "y@example.com", "z@example.com"].map { .created(remoteID: $0, record: nil) })
        guard case .array(let imported)? = try body(transport.requests[0])["contacts"] else { Issue.record("no contacts imported"); return }
        #expect(imported.compactMap { $0["email"]?.stringValue } == ["x@example.com", "y@example.com", "z@example.com"])

        // batch_updates = true: the updates go in an import too.
        let batched = RecordingTransport([
            reply(#"{"operations":[{"email":"a@example.com","action":"update"},{"email":"b@example.com","action":"update"},{"email":"c@example.com","action":"update"}]}"#),
        ])
        _ = await client(batched, batchUpdates: true).push(updates)
        #expect(batched.requests.map(\.url.path) == ["/api/contacts.import"])
    }

    @Test func clearsTravelAsNullInASingleUpsertEvenAmongBatchedUpdates() async throws {
        var cleared = NotifuseClientTests.contact("c@example.com")
        cleared[.firstName] = nil
        let updates: [OutgoingChange] = [
            .update(remoteID: "a@example.com", contact: NotifuseClientTests.contact("a@example.com", first: "Al"), changed: [.standard(.firstName)]),
            .update(remoteID: "b@example.com", contact: NotifuseClientTests.contact("b@example.com", first: "Bo"), changed: [.standard(.firstName)]),
            .update(remoteID: "c@example.com", contact: cleared, changed: [.standard(.firstName), .custom("tier")]),
            .update(remoteID: "d@example.com", contact: NotifuseClientTests.contact("d@example.com", first: "Di"), changed: [.standard(.firstName)]),
        ]
        let transport = RecordingTransport([
            reply(#"{"operations":[{"email":"a@example.com","action":"update"},{"email":"b@example.com","action":"update"},{"email":"d@example.com","action":"update"}]}"#),
            reply(#"{"email":"c@example.com","action":"update"}"#),
        ])
        let outcomes = await client(transport, batchUpdates: true).push(updates)

        #expect(outcomes == [.updated(remoteID: "a@example.com", record: nil), .updated(remoteID: "b@example.com", record: nil),
                             .updated(remoteID: "c@example.com", record: nil), .updated(remoteID: "d@example.com", record: nil)])
        #expect(transport.requests.map(\.url.path) == ["/api/contacts.import", "/api/contacts.upsert"])
        let imported = try body(transport.requests[0])["contacts"]
        let expected: [JSONValue] = [("a@example.com", "Al"), ("b@example.com", "Bo"), ("d@example.com", "Di")].map { email, first in
            JSONValue.object(["email": .string(email), "first_name": .string(first)])
        }
        #expect(imported == .array(expected))
        #expect(try body(transport.requests[1]) == .object([
            "workspace_id": .string("ws_1234567890"),
            "contact": .object(["email": .string("c@example.com"), "first_name": .null, "custom_string_1": .null]),
        ]))
    }

    @Test func importResultsAreMatchedByEmailNotByOrder() async throws {
        let creates: [OutgoingChange] = ["a@example.com", "b@example.com", "not-an-email", "d@example.com"].map {
            .create(NotifuseClientTests.contact($0), idempotencyKey: $0)
        }
        // Notifuse lists refusals first, then what it stored, in its own order.
        let transport = RecordingTransport([reply("""
            {"operations":[
              {"email":"not-an-email","action":"error","error":"invalid contact at index 2: invalid email format"},
              {"email":"d@example.com","action":"create"},
              {"email":"B@Example.com","action":"error","error":"value too long for type character varying(255)"},
              {"email":"a@example.com","action":"update"}]}
            """)])
        let outcomes = await client(transport).push(creates)

        #expect(transport.requests.count == 1)
        #expect(outcomes == [
            .created(remoteID: "a@example.com", record: nil),
            .failed(.invalid(field: nil, "Notifuse: value too long for type character varying(255)")),
            .failed(.invalid(field: nil, "Notifuse: invalid contact at index 2: invalid email format")),
            .created(remoteID: "d@example.com", record: nil),
        ])
    }

    @Test func anImportItemTheReplyDoesNotMentionIsNotConfirmed() async throws {
        let creates: [OutgoingChange] = ["a@example.com", "b@example.com", "c@example.com"].map {
            .create(NotifuseClientTests.contact($0), idempotencyKey: $0)
        }
        let transport = RecordingTransport([reply(#"{"operations":[{"email":"a@example.com","action":"create"},{"email":"c@example.com","action":"create"}]}"#)])
        let outcomes = await client(transport).push(creates)
        #expect(outcomes[0] == .created(remoteID: "a@example.com", record: nil))
        #expect(outcomes[1].isRetryableFailure)
        #expect(outcomes[2] == .created(remoteID: "c@example.com", record: nil))
    }

    static let notFound = reply(#"{"error":"Contact not found"}"#, status: 404)

    @Test func anEmailChangeCreatesTheNewContactThenDeletesTheOldOne() async throws {
        let renamed = NotifuseClientTests.contact("new@example.com", first: "Nia")
        let transport = RecordingTransport([NotifuseClientTests.notFound, reply(#"{"email":"new@example.com","action":"create"}"#),
                                            reply(#"{"success":true}"#)])
        let outcomes = await client(transport).push([.update(remoteID: "old@example.com", contact: renamed, changed: [.standard(.email)])])

        #expect(outcomes == [.updated(remoteID: "new@example.com", record: nil)])
        #expect(transport.requests.map(\.url.path) == ["/api/contacts.getByEmail", "/api/contacts.upsert", "/api/contacts.delete"])
        #expect(try body(transport.requests[1])["contact"]?["email"] == .string("new@example.com"))
        #expect(try body(transport.requests[1])["contact"]?["first_name"] == .string("Nia"))
        #expect(try body(transport.requests[2]) == .object(["workspace_id": .string("ws_1234567890"), "email": .string("old@example.com")]))
    }

    /// An upsert to an email Notifuse has already would overwrite that contact with this one's
    /// values (the email alone decides): nothing is sent, and the failure says why.
    @Test func anEmailChangeToAnEmailNotifuseHasAlreadySendsNothing() async throws {
        let renamed = NotifuseClientTests.contact("taken@example.com", first: "Zoë")
        let theirs = #"{"contact":{"email":"taken@example.com","first_name":"Someone","last_name":"Else","external_id":"crm-1"}}"#
        let transport = RecordingTransport([reply(theirs)])
        let outcomes = await client(transport).push([.update(remoteID: "zoe@example.com", contact: renamed, changed: [.standard(.email)])])

        #expect(transport.requests.map(\.url.path) == ["/api/contacts.getByEmail"], "no upsert, no delete")
        guard case .failed(let error) = outcomes.first else { Issue.record("not refused: \(outcomes)"); return }
        #expect(!error.isRetryable)
        #expect(error.message.contains("Notifuse already has a contact with the email taken@example.com (“Someone Else”)"), "\(error.message)")
    }

    /// A run that stopped between the two steps left the new contact made (with this contact's
    /// external id) and the old one there: the retry writes over its own and deletes the old.
    @Test func anEmailChangeHalfDoneIsFinished() async throws {
        var renamed = NotifuseClientTests.contact("new@example.com", first: "Nia")
        renamed.uid = "7f1c0d2e-0000-4000-8000-000000000001"
        let ours = #"{"contact":{"email":"new@example.com","first_name":"Nia","external_id":"7f1c0d2e-0000-4000-8000-000000000001"}}"#
        let transport = RecordingTransport([reply(ours), reply(#"{"email":"new@example.com","action":"update"}"#), reply(#"{"success":true}"#)])
        let outcomes = await client(transport).push([.update(remoteID: "old@example.com", contact: renamed, changed: [.standard(.email)])])

        #expect(outcomes == [.updated(remoteID: "new@example.com", record: nil)])
        #expect(transport.requests.map(\.url.path) == ["/api/contacts.getByEmail", "/api/contacts.upsert", "/api/contacts.delete"])
    }

    @Test func anEmailChangeCarriesOverWhatRoloKeptButDoesNotModel() async throws {
        var renamed = NotifuseClientTests.contact("new@example.com", first: "Nia")
        renamed.extensions = ["notifuse": .object([
            "external_id": .string("crm-889"), "custom_string_5": .string("from the web UI"),
            "custom_json_3": .object(["a": .number(1)]), "created_at": .string("2023-01-15T10:30:00Z"),
            "lifetime_value": .number(10),
        ])]
        let transport = RecordingTransport([NotifuseClientTests.notFound, reply(#"{"email":"new@example.com","action":"create"}"#),
                                            reply(#"{"success":true}"#)])
        let client = NotifuseClient(baseURL: NotifuseClientTests.base, workspaceID: "ws_1234567890", token: NotifuseClientTests.token,
                                    definitions: [], transport: transport)
        _ = await client.push([.update(remoteID: "old@example.com", contact: renamed, changed: [.standard(.email)])])

        let sent = try #require(try body(transport.requests[1])["contact"])
        #expect(sent["external_id"] == .string("crm-889"))
        #expect(sent["custom_string_5"] == .string("from the web UI"))
        #expect(sent["custom_json_3"] == .object(["a": .number(1)]))
        #expect(sent["created_at"] == nil)
        #expect(sent["lifetime_value"] == nil)
    }

    @Test func aDeleteOfAContactAlreadyGoneIsDone() async throws {
        let transport = RecordingTransport([reply(#"{"error":"Contact not found"}"#, status: 404)])
        #expect(await client(transport).push([.delete(remoteID: "gone@example.com")]) == [.deleted])
    }

    // MARK: - Listing and errors

    @Test func theListingFollowsTheCursorUntilItIsAbsent() async throws {
        let transport = RecordingTransport([
            reply(#"{"contacts":[{"email":"a@example.com","first_name":"A","updated_at":"2024-01-01T00:00:00Z"}],"next_cursor":"MjAyNH5h"}"#),
            reply(#"{"contacts":[{"email":"b@example.com"}]}"#),
        ])
        let client = client(transport)
        let first = try await client.listPage(nil, modifiedSince: nil)
        let second = try await client.listPage(first.next, modifiedSince: nil)

        #expect(first.records.map(\.remoteID) == ["a@example.com"])
        #expect(first.records.first?.modifiedAt == "2024-01-01T00:00:00Z")
        #expect(first.next == "MjAyNH5h")
        #expect(second.next == nil)
        #expect(transport.requests.map { $0.url.query ?? "" } == ["workspace_id=ws_1234567890&limit=100",
                                                                  "workspace_id=ws_1234567890&limit=100&cursor=MjAyNH5h"])
    }

    @Test func theNextPageIsAskedForBeforeThePageIsReturnedAndOnlyUsedForItsCursor() async throws {
        let transport = RecordingTransport([
            reply(#"{"contacts":[{"email":"a@example.com"}],"next_cursor":"c2"}"#),
            reply(#"{"contacts":[{"email":"b@example.com"}],"next_cursor":"c3"}"#),
            reply(#"{"contacts":[{"email":"c@example.com"}]}"#),
            reply(#"{"contacts":[{"email":"a2@example.com"}]}"#),
        ])
        let client = client(transport)
        let first = try await client.listPage(nil, modifiedSince: nil)
        // The second page is on its way before the listing asks for it.
        try await waitUntil { transport.requests.count == 2 }
        let second = try await client.listPage(first.next, modifiedSince: nil)
        try await waitUntil { transport.requests.count == 3 }
        // The listing starts again instead of going on: the page asked for ahead ("c3") is dropped.
        let again = try await client.listPage(nil, modifiedSince: nil)

        #expect(first.records.map(\.remoteID) == ["a@example.com"])
        #expect(second.records.map(\.remoteID) == ["b@example.com"])
        #expect(again.records.map(\.remoteID) == ["a2@example.com"])
        #expect(again.next == nil)
        #expect(transport.requests.map { $0.url.query ?? "" } == [
            "workspace_id=ws_1234567890&limit=100", "workspace_id=ws_1234567890&limit=100&cursor=c2",
            "workspace_id=ws_1234567890&limit=100&cursor=c3", "workspace_id=ws_1234567890&limit=100",
        ])
    }

    @Test func aPageThatFailedWhenAskedForAheadFailsWhereTheListingAsksForItAndIsAskedForAgain() async throws {
        let transport = RecordingTransport([
            reply(#"{"contacts":[{"email":"a@example.com"}],"next_cursor":"c2"}"#),
            reply("Failed to get contacts\n", status: 500, headers: ["Content-Type": "text/plain; charset=utf-8"]),
            reply(#"{"contacts":[{"email":"b@example.com"}]}"#),
        ])
        let client = client(transport)
        let first = try await client.listPage(nil, modifiedSince: nil)
        #expect(await thrown { try await client.listPage(first.next, modifiedSince: nil) } == .transient("Notifuse: Failed to get contacts"))
        let retried = try await client.listPage(first.next, modifiedSince: nil)

        #expect(retried.records.map(\.remoteID) == ["b@example.com"])
        #expect(transport.requests.count == 3)
    }

    @Test func theListingsPlainTextErrorsAreRead() async throws {
        let transport = RecordingTransport([
            reply("Invalid request: limit must be between 1 and 100\n", status: 400, headers: ["Content-Type": "text/plain; charset=utf-8"]),
            reply("Failed to get contacts\n", status: 500, headers: ["Content-Type": "text/plain; charset=utf-8"]),
        ])
        let client = client(transport)
        #expect(await thrown { try await client.listPage(nil, modifiedSince: nil) }
            == .invalid(field: nil, "Notifuse: Invalid request: limit must be between 1 and 100"))
        #expect(await thrown { try await client.listPage(nil, modifiedSince: nil) } == .transient("Notifuse: Failed to get contacts"))
    }

    @Test func failuresAreTypedAndNeverCarryTheToken() async throws {
        let transport = RecordingTransport([
            reply(#"{"error":"Invalid token: nf-test-token-5e1b7c0a9d is expired"}"#, status: 401),
            reply(#"{"error":"slow down"}"#, status: 429, headers: ["Retry-After": "7"]),
            reply(#"{"error":"Insufficient permissions: write access to contacts required"}"#, status: 400),
            reply(#"{"error":"Authentication unavailable"}"#, status: 503),
        ])
        let client = client(transport)
        var errors: [ProviderError] = []
        for _ in 0..<4 {
            if let error = await thrown({ try await client.fetch(remoteID: "a@example.com") }) { errors.append(error) }
        }
        #expect(errors.count == 4)
        if errors.count == 4 {
            if case .auth = errors[0] {} else { Issue.record("401 is \(errors[0])") }
            #expect(errors[1] == .rateLimited(retryAfter: 7, "Notifuse: slow down"))
            if case .auth = errors[2] {} else { Issue.record("insufficient permissions is \(errors[2])") }
            #expect(errors[3].isRetryable)
        }
        transport.then(reply(#"{"error":"Insufficient permissions: nf-test-token-5e1b7c0a9d lacks contacts write"}"#, status: 400))
        let pushed = await client.push([.create(NotifuseClientTests.contact("a@example.com"), idempotencyKey: "k")])
        errors += pushed.compactMap(failure)
        #expect(errors.count == 5)
        for error in errors { #expect(!error.message.contains(NotifuseClientTests.token), "\(error.message)") }
    }
}

extension PushOutcome {
    var isRetryableFailure: Bool {
        if case .failed(let error) = self { return error.isRetryable }
        return false
    }
}
