import Foundation
import Testing
@testable import RoloEmulators

/// The shared HTTP side: binding, the request log and every fault kind, driven through the
/// Notifuse emulator (the faults live in the common host, so one provider shows them).
@Suite("Emulator host and faults")
struct FaultInjectionTests {
    typealias Harness = NotifuseEmulatorTests.Harness

    @Test func bindsAnEphemeralLoopbackPortAndStops() async throws {
        let emulator = NotifuseEmulator()
        try await emulator.start()
        #expect(emulator.baseURL.host == "127.0.0.1")
        #expect(emulator.baseURL.port != nil && emulator.baseURL.port != 0)
        await #expect(throws: EmulatorHostError.self) { try await emulator.start() }
        let url = HTTP.url(emulator.baseURL, "/api/contacts.count", [("workspace_id", emulator.workspaceID)])
        await emulator.stop()
        #expect(emulator.host.baseURL == nil)
        await #expect(throws: (any Error).self) { _ = try await HTTP.send("GET", url, timeout: 5) }
    }

    @Test func manyEmulatorsRunSideBySideWithTheirOwnState() async throws {
        let first = try await Harness()
        let second = try await Harness()
        #expect(first.emulator.baseURL != second.emulator.baseURL)
        _ = try await first.upsert(["email": "only-here@example.com"])
        #expect(first.emulator.store.count == 1)
        #expect(second.emulator.store.count == 0)
    }

    @Test func theRequestLogKeepsMethodTargetHeadersAndBody() async throws {
        let h = try await Harness()
        _ = try await h.upsert(["email": "rob@example.com"])
        _ = try await h.list([("limit", "5")])
        let log = h.emulator.requests
        #expect(log.count == 2)
        #expect(log[0].method == "POST")
        #expect(log[0].target == "/api/contacts.upsert")
        #expect(log[0].header("authorization") == "Bearer \(h.emulator.apiToken)")
        #expect(try EmulatorJSON(parsing: log[0].body)["contact"]?["email"] == "rob@example.com")
        #expect(log[1].method == "GET")
        #expect(log[1].target == "/api/contacts.list?workspace_id=\(h.emulator.workspaceID)&limit=5")
        #expect(log[1].query("limit") == "5")
        h.emulator.clearRequests()
        #expect(h.emulator.requests.isEmpty)
    }

    @Test func aStatusFaultAnswersWithoutApplyingForTheNextNMatchingRequests() async throws {
        let h = try await Harness()
        h.emulator.inject(.status(429, retryAfter: 7), count: 2, path: "/api/contacts.upsert")
        let other = try await h.get("contacts.count", [("workspace_id", h.emulator.workspaceID)])
        #expect(other.status == 200)
        for _ in 0..<2 {
            let limited = try await h.upsert(["email": "rob@example.com"])
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "7")
            #expect(limited.json == ["error": "Too Many Requests"])
        }
        #expect(h.emulator.store.count == 0)
        #expect(try await h.upsert(["email": "rob@example.com"]).status == 200)
        #expect(h.emulator.store.count == 1)
        #expect(h.emulator.requests.map(\.fault) == [nil, .status(429, retryAfter: 7), .status(429, retryAfter: 7), nil])
    }

    @Test func aStatusFaultCanCarryItsOwnBody() async throws {
        let h = try await Harness()
        h.emulator.inject(.status(503, body: "upstream down"))
        let reply = try await h.list()
        #expect(reply.status == 503)
        #expect(reply.text == "upstream down")
    }

    @Test func latencyDelaysTheReplyPastAClientTimeout() async throws {
        let h = try await Harness()
        h.emulator.inject(.latency(milliseconds: 3_000))
        let url = HTTP.url(h.emulator.baseURL, "/api/contacts.count", [("workspace_id", h.emulator.workspaceID)])
        await #expect(throws: (any Error).self) { _ = try await HTTP.send("GET", url, headers: h.auth, timeout: 0.3) }
        #expect(try await HTTP.send("GET", url, headers: h.auth).status == 200)
    }

    @Test func aDroppedConnectionFailsTheClientAndAppliesNothing() async throws {
        let h = try await Harness()
        h.emulator.inject(.dropConnection, path: "/api/contacts.upsert")
        await #expect(throws: (any Error).self) { _ = try await h.upsert(["email": "rob@example.com"]) }
        #expect(h.emulator.store.count == 0)
        #expect(h.emulator.requests.last?.fault == .dropConnection)
    }

    @Test func dropAfterApplyingFailsTheClientButTheWriteLanded() async throws {
        let h = try await Harness()
        h.emulator.inject(.dropAfterApplying, path: "/api/contacts.upsert")
        await #expect(throws: (any Error).self) { _ = try await h.upsert(["email": "rob@example.com", "first_name": "Rob"]) }
        #expect(h.emulator.store.contact(email: "rob@example.com")?["first_name"] == "Rob")
        // The client's retry finds the contact already there: an update, not a duplicate.
        let retry = try await h.upsert(["email": "rob@example.com", "first_name": "Rob"])
        #expect(retry.json == ["email": "rob@example.com", "action": "update"])
        #expect(h.emulator.store.count == 1)
    }

    @Test func aMalformedBodyIsA200ThatIsNotJSONAndTheWriteLanded() async throws {
        let h = try await Harness()
        h.emulator.inject(.malformedBody)
        let reply = try await h.upsert(["email": "rob@example.com"])
        #expect(reply.status == 200)
        #expect(reply.json == nil)
        #expect(!reply.body.isEmpty)
        #expect(h.emulator.store.count == 1)
    }

    @Test func faultsCanBeCleared() async throws {
        let h = try await Harness()
        h.emulator.inject(.status(500), count: 5)
        h.emulator.clearFaults()
        #expect(try await h.upsert(["email": "rob@example.com"]).status == 200)
    }
}
