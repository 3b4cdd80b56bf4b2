import Foundation
import Testing
@testable import RoloEmulators

/// Notifuse over HTTP, checked against PROVIDERS.md §2 and the server's own messages.
@Suite("Notifuse emulator")
struct NotifuseEmulatorTests {
    /// A started emulator plus the requests a test writes by hand.
    final class Harness: Sendable {
        let emulator: NotifuseEmulator
        let clock: TestClock

        init(clock: TestClock = TestClock(tick: 0.001), options: (inout NotifuseEmulator.Options) -> Void = { _ in }) async throws {
            self.clock = clock
            var settings = NotifuseEmulator.Options(clock: clock.clock)
            options(&settings)
            emulator = NotifuseEmulator(options: settings)
            try await emulator.start()
        }

        var auth: [String: String] { ["Authorization": "Bearer \(emulator.apiToken)"] }

        func post(_ endpoint: String, _ body: EmulatorJSON, headers: [String: String]? = nil) async throws -> HTTPResult {
            try await HTTP.send("POST", HTTP.url(emulator.baseURL, "/api/\(endpoint)"),
                                headers: (headers ?? auth).merging(["Content-Type": "application/json"]) { a, _ in a },
                                body: body.serialized())
        }

        func get(_ endpoint: String, _ query: [(String, String)], headers: [String: String]? = nil) async throws -> HTTPResult {
            try await HTTP.send("GET", HTTP.url(emulator.baseURL, "/api/\(endpoint)", query), headers: headers ?? auth)
        }

        func upsert(_ contact: EmulatorJSON) async throws -> HTTPResult {
            try await post("contacts.upsert", ["workspace_id": .string(emulator.workspaceID), "contact": contact])
        }

        func importing(_ contacts: [EmulatorJSON]) async throws -> HTTPResult {
            try await post("contacts.import", ["workspace_id": .string(emulator.workspaceID), "contacts": .array(contacts)])
        }

        func list(_ query: [(String, String)] = []) async throws -> HTTPResult {
            try await get("contacts.list", [("workspace_id", emulator.workspaceID)] + query)
        }

        /// Every email of a full cursor scan with this page size.
        func scan(limit: Int) async throws -> [String] {
            var emails = [String]()
            var cursor: String?
            repeat {
                var query = [("limit", String(limit))]
                if let cursor { query.append(("cursor", cursor)) }
                let page = try await list(query)
                #expect(page.status == 200)
                emails += (page.json?["contacts"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue }
                cursor = page.json?["next_cursor"]?.stringValue
            } while cursor != nil
            return emails
        }

        deinit { let emulator = emulator; Task { await emulator.stop() } }
    }

    // MARK: Auth

    @Test func theBearerCheckAnswersLikeTheRealMiddleware() async throws {
        let h = try await Harness()
        let count = [("workspace_id", h.emulator.workspaceID)]
        let missing = try await h.get("contacts.count", count, headers: [:])
        #expect(missing.status == 401)
        #expect(missing.text == #"{"error":"Authorization header is required"}"# + "\n")
        #expect(missing.header("Content-Type") == "application/json")

        let basic = try await h.get("contacts.count", count, headers: ["Authorization": "Basic YXBpOng="])
        #expect(basic.json == ["error": "Invalid authorization header format"])

        let garbage = try await h.get("contacts.count", count, headers: ["Authorization": "Bearer not-a-jwt"])
        #expect(garbage.json == ["error": "Invalid token: token is malformed: token contains an invalid number of segments"])

        let otherSecret = NotifuseTokenCheck.makeAPIKey(secret: Data("another secret".utf8), userID: "apikey_rolo_emulator",
                                                        email: "x@y.z", now: h.clock.read())
        let forged = try await h.get("contacts.count", count, headers: ["Authorization": "Bearer \(otherSecret)"])
        #expect(forged.status == 401)
        #expect(forged.json == ["error": "Invalid token: token signature is invalid: signature is invalid"])

        h.clock.advance(by: 11 * 365 * 86_400)
        let expired = try await h.get("contacts.count", count)
        #expect(expired.status == 401)
        #expect(expired.json == ["error": "Invalid token: token has invalid claims: token is expired"])
    }

    @Test func aWrongWorkspaceFailsAsTheServerDoesOnEachEndpoint() async throws {
        let h = try await Harness()
        let upsert = try await h.post("contacts.upsert", ["workspace_id": "ws_other", "contact": ["email": "a@b.co"]])
        #expect(upsert.status == 400)
        #expect(upsert.json == ["error": "workspace not found: ws_other"])
        let list = try await h.get("contacts.list", [("workspace_id", "ws_other")])
        #expect(list.status == 500)
        #expect(list.text == "Failed to get contacts\n")
        #expect(list.header("Content-Type")?.hasPrefix("text/plain") == true)
        let count = try await h.get("contacts.count", [("workspace_id", "ws_other")])
        #expect(count.status == 500)
        #expect(count.json == ["error": "Failed to count contacts"])
        let missing = try await h.get("contacts.count", [])
        #expect(missing.status == 400)
        #expect(missing.json == ["error": "Missing workspace ID"])
        let imported = try await h.post("contacts.import", ["workspace_id": "ws_other", "contacts": [["email": "a@b.co"]]])
        #expect(imported.status == 500)
        #expect(imported.json == ["error": "failed to authenticate user: workspace not found: ws_other"])
    }

    // MARK: Upsert

    @Test func theDocumentedUpsertRequestCreatesThenUpdates() async throws {
        let h = try await Harness(clock: TestClock())
        let request = try Fixture.data("notifuse/upsert-request.json")
        let url = HTTP.url(h.emulator.baseURL, "/api/contacts.upsert")
        let first = try await HTTP.send("POST", url, headers: h.auth, body: request)
        #expect(first.status == 200)
        #expect(first.json == (try Fixture.json("notifuse/upsert-response-server.json")))
        let second = try await HTTP.send("POST", url, headers: h.auth, body: request)
        #expect(second.json == ["email": "user@example.com", "action": "update"])

        let stored = try #require(h.emulator.store.contact(email: "user@example.com"))
        #expect(stored["first_name"] == "John")
        #expect(stored["custom_json_1"] == ["preferences": ["theme": "dark", "notifications": true]])
        #expect(stored["custom_datetime_1"] == "2023-06-01T09:00:00Z")
        #expect(stored["custom_number_1"] == 42)
        // Removed in v18 and read-only: ignored, not stored, never echoed.
        #expect(stored["lifetime_value"] == nil)
        #expect(stored["orders_count"] == nil)
        #expect(stored["last_order_at"] == nil)
        #expect(stored["created_at"] != "2023-01-15T10:30:00Z")
        #expect(stored["created_at"] == "2025-12-06T00:00:00Z")
    }

    @Test func theDocsPageReplyShapeIsAnOption() async throws {
        let h = try await Harness { $0.upsertReply = .docsPage }
        let reply = try await h.upsert(["email": "rob@example.com", "first_name": "Rob"])
        #expect(reply.json?["action"] == "created")
        #expect(reply.json?["error"] == .null)
        #expect(reply.json?["contact"]?["first_name"] == "Rob")
        let again = try await h.upsert(["email": "rob@example.com"])
        #expect(again.json?["action"] == "updated")
    }

    @Test func upsertAbsentKeepsNullClearsValueSets() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "rob@example.com", "first_name": "Rob", "custom_number_2": 5,
                                "custom_json_3": [1, 2], "phone": "+15550001"])
        _ = try await h.upsert(["email": "rob@example.com", "first_name": nil, "custom_number_2": nil,
                                "custom_json_3": nil, "last_name": "Howard"])
        let got = try await h.get("contacts.getByEmail", [("workspace_id", h.emulator.workspaceID), ("email", "rob@example.com")])
        let contact = try #require(got.json?["contact"])
        // NULL columns are left out of the reply, not sent as null.
        #expect(contact["first_name"] == nil)
        #expect(contact["custom_number_2"] == nil)
        #expect(contact["custom_json_3"] == nil)
        #expect(contact["phone"] == "+15550001")
        #expect(contact["last_name"] == "Howard")
        #expect(contact["contact_lists"] == [])
        #expect(contact["contact_segments"] == [])
    }

    @Test func upsertKeepsCreatedAtAndMovesUpdatedAt() async throws {
        let clock = TestClock()
        let h = try await Harness(clock: clock)
        _ = try await h.upsert(["email": "rob@example.com"])
        clock.advance(by: 90.25)
        _ = try await h.upsert(["email": "rob@example.com", "first_name": "Rob"])
        let stored = try #require(h.emulator.store.contact(email: "rob@example.com"))
        #expect(stored["created_at"] == "2025-12-06T00:00:00Z")
        #expect(stored["updated_at"] == "2025-12-06T00:01:30.25Z")
    }

    @Test func emailsAreNormalisedOnWriteAndLookup() async throws {
        let h = try await Harness()
        let reply = try await h.upsert(["email": "\u{00A0} Rob@Example.COM \t"])
        #expect(reply.json == ["email": "rob@example.com", "action": "create"])
        _ = try await h.upsert(["email": "ROB@example.com", "first_name": "  Rob\u{00A0}"])
        #expect(h.emulator.store.count == 1)
        let got = try await h.get("contacts.getByEmail", [("workspace_id", h.emulator.workspaceID), ("email", " ROB@EXAMPLE.com")])
        #expect(got.json?["contact"]?["first_name"] == "Rob")
    }

    @Test func upsertValidationUsesTheServersMessages() async throws {
        let h = try await Harness()
        let cases: [(EmulatorJSON, String)] = [
            (["first_name": "Rob"], "invalid contact: email is required"),
            (["email": "not an email"], "invalid contact: invalid email format"),
            (["email": "rob@localhost"], "invalid contact: invalid email format"),
            (["email": "rob@example.com", "first_name": 5], "invalid contact: invalid type for first_name: expected string, got Number"),
            (["email": "rob@example.com", "phone": true], "invalid contact: invalid type for phone: expected string, got True"),
            (["email": "rob@example.com", "custom_number_1": "5"], "invalid contact: invalid type for custom_number_1: expected number, got String"),
            (["email": "rob@example.com", "custom_json_2": "x"], "invalid contact: invalid JSON value for custom_json_2, got String"),
            (["email": "rob@example.com", "custom_json_2": 3], "invalid contact: invalid JSON value for custom_json_2, got Number"),
            (["email": "rob@example.com", "custom_datetime_1": "2023-06-01T09:00:00"],
             #"invalid contact: invalid time format for custom_datetime_1: parsing time "2023-06-01T09:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#),
            (["email": "rob@example.com", "custom_datetime_1": "2023-06-01"],
             #"invalid contact: invalid time format for custom_datetime_1: parsing time "2023-06-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T""#),
            (["email": "rob@example.com", "postcode": .string(String(repeating: "9", count: 21))],
             "failed to insert contact: pq: value too long for type character varying(20)"),
        ]
        for (contact, message) in cases {
            let reply = try await h.upsert(contact)
            #expect(reply.status == 400, "\(contact)")
            #expect(reply.json == ["error": .string(message)], "\(contact)")
        }
        let noContact = try await h.post("contacts.upsert", ["workspace_id": .string(h.emulator.workspaceID)])
        #expect(noContact.json == ["error": "contact field is required"])
        let noWorkspace = try await h.post("contacts.upsert", ["contact": ["email": "a@b.co"]])
        #expect(noWorkspace.json == ["error": "workspace_id is required"])
        let notJSON = try await HTTP.send("POST", HTTP.url(h.emulator.baseURL, "/api/contacts.upsert"), headers: h.auth,
                                          body: Data("{\"workspace_id\":".utf8))
        #expect(notJSON.json == ["error": "Invalid request body"])
        #expect(h.emulator.store.count == 0)
    }

    @Test func datetimesAreStoredAsInstantsAndWrittenInUTC() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "rob@example.com", "custom_datetime_3": "2023-06-01T11:00:00.75+02:00"])
        #expect(h.emulator.store.contact(email: "rob@example.com")?["custom_datetime_3"] == "2023-06-01T09:00:00Z")
    }

    // MARK: Import

    @Test func importKeepsOnNullAndAbsentAndResetsCreatedAt() async throws {
        let clock = TestClock()
        let h = try await Harness(clock: clock)
        _ = try await h.upsert(["email": "old@example.com", "first_name": "Old", "phone": "+1555"])
        clock.advance(by: 10)
        _ = try await h.upsert(["email": "newer@example.com"])
        #expect(try await h.scan(limit: 10) == ["newer@example.com", "old@example.com"])

        clock.advance(by: 10)
        let reply = try await h.importing([["email": "old@example.com", "first_name": nil, "last_name": "Timer"]])
        #expect(reply.json == ["operations": [["email": "old@example.com", "action": "update"]]])
        let stored = try #require(h.emulator.store.contact(email: "old@example.com"))
        #expect(stored["first_name"] == "Old")
        #expect(stored["phone"] == "+1555")
        #expect(stored["last_name"] == "Timer")
        // created_at AND updated_at reset to now: the contact jumps to the front of the list.
        #expect(stored["created_at"] == "2025-12-06T00:00:20Z")
        #expect(stored["updated_at"] == "2025-12-06T00:00:20Z")
        #expect(try await h.scan(limit: 10) == ["old@example.com", "newer@example.com"])
    }

    @Test func importReportsErrorsFirstThenResultsAndDeduplicatesLastWins() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "b@example.com"])
        let reply = try await h.importing([
            ["email": "a@example.com", "first_name": "First"],
            ["email": "b@example.com"],
            ["email": "not-an-email"],
            ["email": "A@Example.com", "first_name": "Last"],
            ["email": "c@example.com", "first_name": 7],
        ])
        #expect(reply.status == 200)
        #expect(reply.json == ["operations": [
            ["email": "", "action": "error", "error": "invalid contact at index 2: email is required"],
            ["email": "", "action": "error", "error": "invalid contact at index 4: email is required"],
            ["email": "b@example.com", "action": "update"],
            ["email": "a@example.com", "action": "create"],
        ]])
        #expect(h.emulator.store.contact(email: "a@example.com")?["first_name"] == "Last")
        #expect(h.emulator.store.count == 2)
    }

    @Test func aDatabaseErrorFailsTheWholeChunk() async throws {
        let h = try await Harness()
        let reply = try await h.importing([["email": "a@example.com"],
                                           ["email": "b@example.com", "country": .string(String(repeating: "x", count: 101))]])
        let expected = "failed to execute bulk upsert: pq: value too long for type character varying(100)"
        #expect(reply.json == ["operations": [
            ["email": "a@example.com", "action": "error", "error": .string("failed to upsert contact at index 0: \(expected)")],
            ["email": "b@example.com", "action": "error", "error": .string("failed to upsert contact at index 1: \(expected)")],
        ]])
        #expect(h.emulator.store.count == 0)
    }

    @Test func importRefusesABatchThatIsNotAnArray() async throws {
        let h = try await Harness()
        let notArray = try await h.post("contacts.import", ["workspace_id": .string(h.emulator.workspaceID), "contacts": ["email": "a@b.co"]])
        #expect(notArray.status == 400)
        #expect(notArray.json == ["error": "contacts must be an array"])
        let empty = try await h.importing([])
        #expect(empty.json == ["error": "contacts array is empty"])
    }

    // MARK: List

    @Test func listPagesByCursorNewestFirstAndOmitsTheLastCursor() async throws {
        let h = try await Harness()
        for name in ["a", "b", "c", "d", "e"] { _ = try await h.upsert(["email": .string("\(name)@example.com")]) }
        let first = try await h.list([("limit", "2")])
        #expect(first.status == 200)
        let emails = first.json?["contacts"]?.arrayValue?.compactMap { $0["email"]?.stringValue }
        #expect(emails == ["e@example.com", "d@example.com"])
        // On list the lists are left null unless asked for; segments are always there.
        #expect(first.json?["contacts"]?.arrayValue?.first?["contact_lists"] == .null)
        #expect(first.json?["contacts"]?.arrayValue?.first?["contact_segments"] == [])
        let cursor = try #require(first.json?["next_cursor"]?.stringValue)
        let decoded = String(decoding: Data(base64Encoded: cursor)!, as: UTF8.self)
        let dCreated = try #require(h.emulator.store.contact(email: "d@example.com")?["created_at"]?.stringValue)
        #expect(decoded == "\(dCreated)~d@example.com")
        #expect(dCreated.contains("."))

        // A contact created while paging lands before the cursor and does not disturb it.
        _ = try await h.upsert(["email": "new@example.com"])
        let second = try await h.list([("limit", "2"), ("cursor", cursor)])
        #expect(second.json?["contacts"]?.arrayValue?.compactMap { $0["email"]?.stringValue } == ["c@example.com", "b@example.com"])
        let last = try await h.list([("limit", "2"), ("cursor", second.json!["next_cursor"]!.stringValue!)])
        #expect(last.json?["contacts"]?.arrayValue?.compactMap { $0["email"]?.stringValue } == ["a@example.com"])
        #expect(last.json?["next_cursor"] == nil)
        #expect(try await h.scan(limit: 100) == ["new@example.com", "e@example.com", "d@example.com", "c@example.com",
                                                 "b@example.com", "a@example.com"])
    }

    @Test func equalCreationTimesAreOrderedByEmail() async throws {
        let h = try await Harness(clock: TestClock())
        _ = try await h.importing([["email": "c@example.com"], ["email": "a@example.com"], ["email": "b@example.com"]])
        #expect(try await h.scan(limit: 1) == ["a@example.com", "b@example.com", "c@example.com"])
    }

    @Test func listErrorsArePlainText() async throws {
        let h = try await Harness()
        let cases: [([(String, String)], Int, String)] = [
            ([("limit", "0")], 400, "Invalid request: limit must be between 1 and 100\n"),
            ([("limit", "101")], 400, "Invalid request: limit must be between 1 and 100\n"),
            ([("limit", "ten")], 400, "Invalid request: invalid limit: strconv.Atoi: parsing \"ten\": invalid syntax\n"),
            ([("with_contact_lists", "yes")], 400,
             "Invalid request: invalid with_contact_lists: strconv.ParseBool: parsing \"yes\": invalid syntax\n"),
            ([("cursor", "%%%")], 400, "Invalid request: invalid cursor encoding: illegal base64 data at input byte 0\n"),
            ([("cursor", Data("no tilde".utf8).base64EncodedString())], 400,
             "Invalid request: invalid cursor format: expected timestamp~email\n"),
        ]
        for (query, status, body) in cases {
            let reply = try await h.list(query)
            #expect(reply.status == status, "\(query)")
            #expect(reply.text == body, "\(query)")
            #expect(reply.header("Content-Type") == "text/plain; charset=utf-8")
        }
        let noWorkspace = try await h.get("contacts.list", [])
        #expect(noWorkspace.text == "Invalid request: workspace_id is required\n")
        let posted = try await h.post("contacts.list", [:])
        #expect(posted.status == 405)
        #expect(posted.text == "Method not allowed\n")
    }

    @Test func anUnreadableCursorCanAnswerAsTheServerCodeDoes() async throws {
        let h = try await Harness { $0.invalidCursor = .serverError }
        let reply = try await h.list([("cursor", "@@@@")])
        #expect(reply.status == 500)
        #expect(reply.text == "Failed to get contacts\n")
    }

    @Test func aCursorWithAnUnencodedPlusIsRefused() async throws {
        let h = try await Harness()
        for name in ["a", "b", "c"] { _ = try await h.upsert(["email": .string("\(name)+tag@example.com")]) }
        // A cursor whose base64 holds '+': sent raw, the server's query decoding makes it a space.
        let cursor = "Pz8+Pz8+"
        let raw = URL(string: h.emulator.baseURL.absoluteString
                      + "/api/contacts.list?workspace_id=\(h.emulator.workspaceID)&cursor=\(cursor)")!
        let reply = try await HTTP.send("GET", raw, headers: h.auth)
        #expect(reply.status == 400)
        #expect(reply.text.hasPrefix("Invalid request: invalid cursor encoding"))
    }

    @Test func listFiltersArePartialCaseInsensitiveMatches() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "rob@example.com", "first_name": "Rob", "country": "US"])
        _ = try await h.upsert(["email": "roberta@other.org", "first_name": "Roberta"])
        _ = try await h.upsert(["email": "ann@example.com", "first_name": "Ann", "country": "FR"])
        func emails(_ query: [(String, String)]) async throws -> [String] {
            try await h.list(query).json?["contacts"]?.arrayValue?.compactMap { $0["email"]?.stringValue } ?? []
        }
        #expect(try await emails([("first_name", "ROB")]) == ["roberta@other.org", "rob@example.com"])
        #expect(try await emails([("email", "example.com"), ("country", "u")]) == ["rob@example.com"])
        #expect(try await emails([("first_name", "r_b")]) == ["roberta@other.org", "rob@example.com"])
        let none = try await h.list([("country", "DE")])
        #expect(none.text == #"{"contacts":null}"# + "\n")
        #expect(try await emails([("list_id", "newsletter")]) == [])
    }

    // MARK: Count, lookups, delete

    @Test func countLookupsAndHardDelete() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "rob@example.com", "external_id": "ext-1"])
        _ = try await h.upsert(["email": "ann@example.com"])
        let ws = h.emulator.workspaceID
        #expect(try await h.get("contacts.count", [("workspace_id", ws)]).json == ["total_contacts": 2])

        let byExternal = try await h.get("contacts.getByExternalID", [("workspace_id", ws), ("external_id", "ext-1")])
        #expect(byExternal.json?["contact"]?["email"] == "rob@example.com")
        let noExternal = try await h.get("contacts.getByExternalID", [("workspace_id", ws), ("external_id", "ext")])
        #expect(noExternal.status == 404)
        #expect(noExternal.json == ["error": "Contact not found"])
        let missingEmail = try await h.get("contacts.getByEmail", [("workspace_id", ws)])
        #expect(missingEmail.json == ["error": "Missing email"])

        let deleted = try await h.post("contacts.delete", ["workspace_id": .string(ws), "email": "ROB@example.com"])
        #expect(deleted.json == ["success": true])
        let again = try await h.post("contacts.delete", ["workspace_id": .string(ws), "email": "rob@example.com"])
        #expect(again.status == 404)
        #expect(again.json == ["error": "Contact not found"])
        let gone = try await h.get("contacts.getByEmail", [("workspace_id", ws), ("email", "rob@example.com")])
        #expect(gone.status == 404)
        let spaced = try await h.post("contacts.delete", ["workspace_id": .string(ws), "email": " ann@example.com"])
        #expect(spaced.json == ["error": "invalid email format"])
        let viaGet = try await h.get("contacts.delete", [("workspace_id", ws)])
        #expect(viaGet.status == 405)
        #expect(viaGet.json == ["error": "Method not allowed"])
        #expect(try await h.get("contacts.count", [("workspace_id", ws)]).json == ["total_contacts": 1])
    }

    @Test func unknownPathsAnswerLikeGosServeMux() async throws {
        let h = try await Harness()
        let reply = try await h.get("contacts.nothing", [])
        #expect(reply.status == 404)
        #expect(reply.text == "404 page not found\n")
    }

    // MARK: Server-side changes

    @Test func aColleagueCanEditDeleteAndSeedOnTheServer() async throws {
        let clock = TestClock()
        let h = try await Harness(clock: clock)
        try h.emulator.webUI.seed([
            ["email": "one@example.com", "created_at": "2024-01-01T00:00:00Z"],
            ["email": "two@example.com", "created_at": "2024-02-01T00:00:00Z", "first_name": "Two"],
        ])
        #expect(try await h.scan(limit: 1) == ["two@example.com", "one@example.com"])
        clock.advance(by: 5)
        try h.emulator.webUI.upsert(["email": "two@example.com", "first_name": nil, "job_title": "Boss"])
        let two = try #require(h.emulator.store.contact(email: "two@example.com"))
        #expect(two["first_name"] == nil)
        #expect(two["job_title"] == "Boss")
        #expect(two["updated_at"] == "2025-12-06T00:00:05Z")
        #expect(h.emulator.webUI.delete(email: "one@example.com"))
        #expect(h.emulator.store.allContacts().compactMap { $0["email"]?.stringValue } == ["two@example.com"])
        #expect(throws: NotifuseEmulatorError(message: "invalid type for phone: expected string, got Number")) {
            try h.emulator.webUI.upsert(["email": "x@example.com", "phone": 1])
        }
    }

    @Test func theListPagesFastWriterMatchesTheGeneralSerialiser() throws {
        var values = [String: NotifuseContact.Value]()
        for (name, kind) in NotifuseField.all {
            switch kind {
            case .string: values[name] = .string("<\(name)> & \u{2028}\"é\"")
            case .number: values[name] = .number(name.hasSuffix("1") ? 1.5 : 42)
            case .datetime: values[name] = .datetime(1_764_979_200_123_456)
            case .json: values[name] = .json(["b": [1, nil, "x<y"], "a": true])
            }
        }
        let contact = NotifuseContact(email: "a&b@example.com", values: values, createdAt: 1_764_979_200_000_100,
                                      updatedAt: 1_764_979_201_000_000)
        for lists: EmulatorJSON in [.null, []] {
            var fast = [UInt8]()
            contact.writeJSON(into: &fast, contactLists: lists)
            #expect(Data(fast) == contact.json(contactLists: lists).serialized(escapeHTML: true))
        }
        let sparse = NotifuseContact(email: "x@example.com", createdAt: 0, updatedAt: 5)
        var fast = [UInt8]()
        sparse.writeJSON(into: &fast, contactLists: .null)
        #expect(String(decoding: fast, as: UTF8.self)
                == #"{"contact_lists":null,"contact_segments":[],"created_at":"1970-01-01T00:00:00Z","email":"x@example.com","updated_at":"1970-01-01T00:00:00.000005Z"}"#)
    }

    @Test func concurrentRequestsAreAllServed() async throws {
        let h = try await Harness()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask { try await h.upsert(["email": .string("user\(index)@example.com")]).status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(h.emulator.store.count == 24)
        #expect(try await h.scan(limit: 7).count == 24)
    }
}
