import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    @Test func oneConnectionCarriesSeveralRequests() async throws {
        let h = try await Harness()
        let port = UInt16(h.emulator.baseURL.port!)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let request = "GET /api/contacts.count?workspace_id=\(h.emulator.workspaceID) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer \(h.emulator.apiToken)\r\n\r\n"
        var received = ""
        for expected in 1...3 {
            // MSG_NOSIGNAL: a server that closed the socket must fail the test, not kill it.
            _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            // Read until this reply's body has arrived on the same socket.
            while received.components(separatedBy: #"{"total_contacts":0}"#).count - 1 < expected {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                received += String(decoding: buffer[..<count], as: UTF8.self)
            }
        }
        #expect(received.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3)
        #expect(h.emulator.requests.count == 3)
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
