import Foundation
import Testing
@testable import RoloEmulators

/// DailyStory over HTTP, checked against PROVIDERS.md §1.
@Suite("DailyStory emulator")
struct DailyStoryEmulatorTests {
    final class Harness: Sendable {
        let emulator: DailyStoryEmulator
        let clock: TestClock

        init(clock: TestClock = TestClock(), options: (inout DailyStoryEmulator.Options) -> Void = { _ in }) async throws {
            self.clock = clock
            var settings = DailyStoryEmulator.Options(clock: clock.clock)
            options(&settings)
            emulator = DailyStoryEmulator(options: settings)
            try await emulator.start()
        }

        var bearer: [String: String] { ["Authorization": "Bearer \(emulator.token)"] }

        func send(_ method: String, _ path: String, _ query: [(String, String)] = [], body: Data? = nil,
                  headers: [String: String]? = nil) async throws -> HTTPResult {
            try await HTTP.send(method, HTTP.url(emulator.baseURL, path, query),
                                headers: (headers ?? bearer).merging(["Content-Type": "application/json"]) { a, _ in a },
                                body: body)
        }

        func post(_ contact: EmulatorJSON, path: String = "/api/v1/contact/") async throws -> HTTPResult {
            try await send("POST", path, body: contact.serialized())
        }

        deinit { let emulator = emulator; Task { await emulator.stop() } }
    }

    @Test func bearerAndBasicWithTheTokenAsPasswordAreAccepted() async throws {
        let h = try await Harness()
        #expect(try await h.send("GET", "/api/v1/about").status == 200)
        let basic = "Basic " + Data("api:\(h.emulator.token)".utf8).base64EncodedString()
        #expect(try await h.send("GET", "/api/v1/about", headers: ["Authorization": basic]).status == 200)
        for header in [[:], ["Authorization": "Bearer wrong"], ["Authorization": "Basic " + Data("api:wrong".utf8).base64EncodedString()],
                       ["Authorization": h.emulator.token]] {
            let refused = try await h.send("GET", "/api/v1/about", headers: header)
            #expect(refused.status == 401)
            #expect(refused.json?["Status"] == false)
            #expect(refused.json?["Message"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func aboutAnswersInTheEnvelopeOrBare() async throws {
        let h = try await Harness()
        let about = try await h.send("GET", "/api/v1/about")
        #expect(about.json?["Status"] == true)
        #expect(about.json?["Response"]?["dataCenter"] == "us-1")
        #expect(about.json?["Response"]?["tenant"] == 112)
        #expect(about.json?["Response"]?["timestamp"] == "2025-12-06T00:00:00")
        let bare = try await Harness { $0.aboutReply = .bare }
        #expect(try await bare.send("GET", "/api/v1/about").json?["dataCenter"] == "us-1")
    }

    @Test func theDocumentedCreateRequestCreatesAndGetReturnsTheFullContact() async throws {
        let h = try await Harness()
        let created = try await h.send("POST", "/api/v1/contact/", body: try Fixture.data("dailystory/create-request.json"))
        #expect(created.status == 200)
        #expect(created.json?["Status"] == true)
        #expect(created.json?["Message"] == "")
        let id = try #require(created.json?["Response"]?["id"]?.stringValue)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect(created.json?["Response"]?["contact"]?["dsId"] == .string(id))

        let got = try await h.send("GET", "/api/v1/contact/\(id)")
        let contact = try #require(got.json?["Response"]?["contact"])
        // Same keys as the documented Get-a-Contact reply.
        let documented = try Fixture.json("dailystory/contact-response.json")["Response"]!["contact"]!
        #expect(Set(contact.objectValue!.keys).isSuperset(of: documented.objectValue!.keys))
        #expect(contact["firstName"] == "Rob")
        #expect(contact["fullname"] == "Rob Howard")
        #expect(contact["status"] == "Active")
        #expect(contact["extendedProperties"] == ["stripe_customer_id": "cus_DRvE6c5V9jp", "class_of_license": "Premium"])
        #expect(contact["dateContactCreated"] == "2025-12-06T00:00:00")
        #expect(contact["dateLastSeen"] == "1753-01-01T00:00:00")
        #expect(contact["dateBirth"] == .null)
    }

    @Test func idsAreDeterministicFromTheSeed() async throws {
        func ids(seed: UInt64) async throws -> [String] {
            let h = try await Harness { $0.idSeed = seed }
            var result = [String]()
            for index in 0..<3 {
                result.append(try await h.post(["email": .string("u\(index)@example.com")]).json!["Response"]!["id"]!.stringValue!)
            }
            return result
        }
        let first = try await ids(seed: 7)
        #expect(try await ids(seed: 7) == first)
        #expect(try await ids(seed: 8) != first)
        #expect(Set(first).count == 3)
    }

    @Test func theIdOnlyReplyShapeIsAnOption() async throws {
        let h = try await Harness { $0.createReply = .idOnly }
        let created = try await h.post(["email": "rob@example.com"])
        #expect(created.json?["Response"]?.objectValue?.keys.sorted() == ["id"])
        // The documented upsert reply has exactly this shape.
        let documented = try Fixture.json("dailystory/upsert-response.json")
        #expect(documented["Response"]?.objectValue?.keys.sorted() == ["id"])
    }

    @Test func updateByDsIdChangesOnlyTheGivenFields() async throws {
        let h = try await Harness()
        let id = try await h.post(["email": "rob@example.com", "firstName": "Rob", "city": "Dallas",
                                   "extendedProperties": ["plan": "gold", "seats": "3"]]).json!["Response"]!["id"]!.stringValue!
        h.clock.advance(by: 61.5)
        var update = try Fixture.json("dailystory/update-request.json").objectValue!
        update["dsId"] = .string(id)
        update["firstName"] = nil
        update["extendedProperties"] = ["plan": "silver"]
        update["fullname"] = "Ignored Name"
        update["tenantId"] = 999
        update["city"] = .null
        let reply = try await h.post(.object(update))
        #expect(reply.json?["Status"] == true)
        let contact = try #require(h.emulator.store.contact(dsId: id))
        #expect(contact["title"] == "Founder, CEO")
        #expect(contact["lastName"] == "Howard")
        #expect(contact["firstName"] == "Rob")
        #expect(contact["city"] == "Dallas")
        #expect(contact["fullname"] == "Rob Howard")
        #expect(contact["tenantId"] == 112)
        #expect(contact["extendedProperties"] == ["plan": "silver", "seats": "3"])
        #expect(contact["dateContactLastModified"] == "2025-12-06T00:01:01.5")
        let missing = try await h.post(["dsId": "0000", "firstName": "X"])
        #expect(missing.status == 404)
        #expect(missing.json?["Status"] == false)
    }

    @Test func aCreateNeedsAValidEmailOrMobile() async throws {
        let h = try await Harness()
        for body: EmulatorJSON in [["firstName": "Nobody"], ["email": "not-an-email"], ["mobilePhone": "555-1234"],
                                   ["email": "rob@example.com", "extendedProperties": ["seats": 3]],
                                   ["email": "rob@example.com", "optOutEmail": "yes"], ["email": 5]] {
            let refused = try await h.post(body)
            #expect(refused.status == 400, "\(body)")
            #expect(refused.json?["Status"] == false, "\(body)")
            #expect(refused.json?["Message"]?.stringValue?.isEmpty == false, "\(body)")
        }
        let notJSON = try await h.send("POST", "/api/v1/contact", body: Data("{".utf8))
        #expect(notJSON.json?["Message"] == "The request body is not valid JSON.")
        #expect(h.emulator.store.count == 0)
        #expect(try await h.post(["mobilePhone": "+15557140059"]).status == 200)
        #expect(try await h.post(["email": "rob@example.com"], path: "/api/v1/contact").status == 200)
    }

    @Test func aCreateWithAKnownEmailMergesOrDuplicatesByOption() async throws {
        let merging = try await Harness()
        let first = try await merging.post(["email": "rob@example.com", "firstName": "Rob"]).json!["Response"]!["id"]!
        let second = try await merging.post(["email": "ROB@example.com", "lastName": "Howard"]).json!["Response"]!["id"]!
        #expect(first == second)
        #expect(merging.emulator.store.count == 1)
        #expect(merging.emulator.store.contact(dsId: first.stringValue!)?["fullname"] == "Rob Howard")

        let duplicating = try await Harness { $0.createWithoutID = .alwaysCreate }
        _ = try await duplicating.post(["email": "rob@example.com", "firstName": "First"])
        _ = try await duplicating.post(["email": "rob@example.com", "firstName": "Second"])
        #expect(duplicating.emulator.store.contacts(email: "rob@example.com").count == 2)
        // Lookups return the first (oldest) match.
        let found = try await duplicating.send("GET", "/api/v1/contact", [("email", "rob@example.com")])
        #expect(found.json?["Response"]?["contact"]?["firstName"] == "First")
    }

    @Test func findByEmailOrMobile() async throws {
        let h = try await Harness()
        _ = try await h.post(["email": "rob@example.com", "mobilePhone": "+15557140059", "firstName": "Rob"])
        let byEmail = try await h.send("GET", "/api/v1/contact", [("email", "Rob@Example.com")])
        #expect(byEmail.json?["Response"]?["contact"]?["firstName"] == "Rob")
        let byMobile = try await h.send("GET", "/api/v1/contact", [("mobilephone", "+15557140059")])
        #expect(byMobile.json?["Response"]?["contact"]?["firstName"] == "Rob")
        let none = try await h.send("GET", "/api/v1/contact", [("email", "ann@example.com")])
        #expect(none.status == 404)
        #expect(none.json?["Status"] == false)
        let noKey = try await h.send("GET", "/api/v1/contact")
        #expect(noKey.status == 400)
    }

    @Test func upsertFindsOrCreatesByKeyAndNeverDuplicates() async throws {
        let h = try await Harness()
        let first = try await h.send("POST", "/api/v1/contact/upsert", [("email", "rob@example.com")])
        #expect(first.json?["Status"] == true)
        let id = try #require(first.json?["Response"]?["id"]?.stringValue)
        #expect(first.json?["Response"]?["contact"]?["email"] == "rob@example.com")
        let again = try await h.send("POST", "/api/v1/contact/upsert", [("email", "rob@example.com")])
        #expect(again.json?["Response"]?["id"]?.stringValue == id)
        let byMobile = try await h.send("POST", "/api/v1/contact/upsert", [("mobilephone", "+15557140059")])
        #expect(byMobile.json?["Response"]?["id"]?.stringValue != id)
        #expect(h.emulator.store.count == 2)
        let bad = try await h.send("POST", "/api/v1/contact/upsert", [("email", "nope")])
        #expect(bad.status == 400)
    }

    @Test func deleteIsSoftAndTheContactStaysReadable() async throws {
        let h = try await Harness()
        let id = try await h.post(["email": "rob@example.com"]).json!["Response"]!["id"]!.stringValue!
        let deleted = try await h.send("DELETE", "/api/v1/contact/\(id)")
        #expect(deleted.json == ["Status": true, "Message": "", "Response": [:]])
        let got = try await h.send("GET", "/api/v1/contact/\(id)")
        #expect(got.json?["Response"]?["contact"]?["status"] == "Deleted")
        #expect(try await h.send("DELETE", "/api/v1/contact/nope").status == 404)
        // A later create with the same email lands in the deleted record (merge option).
        let recreated = try await h.post(["email": "rob@example.com", "firstName": "Again"])
        #expect(recreated.json?["Response"]?["id"]?.stringValue == id)
        #expect(recreated.json?["Response"]?["contact"]?["status"] == "Deleted")
        // Undelete by setting the status back.
        _ = try await h.post(["dsId": .string(id), "status": "Active"])
        #expect(h.emulator.store.contact(dsId: id)?["status"] == "Active")
    }

    @Test func statusCanBeWrittenAsNumbers() async throws {
        let h = try await Harness { $0.statusEncoding = .numbers }
        let id = try await h.post(["email": "rob@example.com"]).json!["Response"]!["id"]!.stringValue!
        #expect(h.emulator.store.contact(dsId: id)?["status"] == 0)
        _ = try await h.send("DELETE", "/api/v1/contact/\(id)")
        #expect(try await h.send("GET", "/api/v1/contact/\(id)").json?["Response"]?["contact"]?["status"] == 100)
    }

    @Test func allFourOptOutsMakeTheContactInactive() async throws {
        let h = try await Harness()
        let id = try await h.post(["email": "rob@example.com", "optOutEmail": true, "optOutSms": true,
                                   "optOutPush": true, "optOutPhone": true]).json!["Response"]!["id"]!.stringValue!
        let contact = try #require(h.emulator.store.contact(dsId: id))
        #expect(contact["status"] == "Inactive")
        #expect(contact["donotcontact"] == true)
    }

    @Test func wrongMethodsAndPaths() async throws {
        let h = try await Harness()
        let put = try await h.send("PUT", "/api/v1/contact")
        #expect(put.status == 405)
        #expect(put.json?["Status"] == false)
        #expect(try await h.send("GET", "/api/v1/contacts").status == 404)
    }

    @Test func aColleagueCanCreateEditAndDeleteOnTheServer() async throws {
        let h = try await Harness()
        let id = try h.emulator.webUI.create(["email": "rob@example.com", "firstName": "Rob"])
        try h.emulator.webUI.update(dsId: id, ["firstName": "Robert"])
        #expect(try await h.send("GET", "/api/v1/contact/\(id)").json?["Response"]?["contact"]?["firstName"] == "Robert")
        #expect(h.emulator.webUI.delete(dsId: id))
        #expect(h.emulator.store.contact(dsId: id)?["status"] == "Deleted")
        let ids = try h.emulator.webUI.seed((0..<50).map { ["email": .string("s\($0)@example.com")] })
        #expect(ids.count == 50 && Set(ids).count == 50)
        #expect(h.emulator.store.count == 51)
        #expect(throws: DailyStoryEmulatorError.self) { try h.emulator.webUI.create(["extendedProperties": ["n": 1]]) }
    }

    @Test func faultsUseTheEnvelope() async throws {
        let h = try await Harness()
        h.emulator.inject(.status(500), count: 2, path: "/api/v1/contact")
        let failed = try await h.post(["email": "rob@example.com"], path: "/api/v1/contact")
        #expect(failed.status == 500)
        #expect(failed.json?["Status"] == false)
        // The documented spelling with a trailing slash is the same endpoint.
        #expect(try await h.post(["email": "rob@example.com"], path: "/api/v1/contact/").status == 500)
        #expect(try await h.send("GET", "/api/v1/about").status == 200)
        #expect(h.emulator.store.count == 0)
    }
}
