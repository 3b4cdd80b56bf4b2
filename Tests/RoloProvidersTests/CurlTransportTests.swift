import Foundation
import Testing
@testable import RoloProviders
#if canImport(Glibc)
import Glibc
#endif

/// The live transport against a raw socket server of the test's own, which sees the bytes as
/// they arrive and answers (or does not) as each test needs.
@Suite("HTTP: the libcurl transport")
struct CurlTransportTests {
    @Test func theRequestGoesOutAsGivenAndTheReplyComesBack() async throws {
        let server = try RawServer { request, _ in
            .reply("HTTP/1.1 201 Created\r\nX-Reply: yes\r\nContent-Length: 5\r\n\r\nhello")
        }
        defer { server.stop() }
        let transport = CurlTransport(timeout: 10, userAgent: "rolo-test")
        let body = Data([0x7B, 0xFF, 0x00, 0x0A, 0x7D])   // not UTF-8, a NUL, a newline: sent as they are
        let response = try await transport.send(HTTPRequest(method: "POST", url: server.url("/api/v1/contact?x=1"),
                                                            headers: [.init("X-Sign", "abc"), .init("Content-Type", "application/json")],
                                                            body: body))
        #expect(response.status == 201)
        #expect(response.header("X-Reply") == "yes")
        #expect(response.body == Data("hello".utf8))
        let seen = try #require(server.requests.first)
        #expect(seen.head.hasPrefix("POST /api/v1/contact?x=1 HTTP/1.1\r\n"))
        #expect(seen.head.contains("\r\nX-Sign: abc\r\n"))
        #expect(seen.head.contains("\r\nUser-Agent: rolo-test\r\n"))
        #expect(!seen.head.lowercased().contains("expect:"), "no 100-continue round trip")
        #expect(seen.body == body)
    }

    @Test func aWriteIsNeverSentTwiceWhenItsConnectionBreaks() async throws {
        // A read leaves a connection open; the write after it must not go on that connection,
        // or libcurl would send it again by itself when the server drops it (a create the
        // server applied would be made twice). Whether to send again is the engine's call.
        let server = try RawServer { request, _ in
            request.head.hasPrefix("GET") ? .reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") : .hangUp
        }
        defer { server.stop() }
        let transport = CurlTransport(timeout: 10, userAgent: "rolo-test")
        _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/read")))
        await #expect(throws: TransportError.self) {
            _ = try await transport.send(HTTPRequest(method: "POST", url: server.url("/create"), body: Data("{}".utf8)))
        }
        #expect(server.requests.filter { $0.head.hasPrefix("POST") }.count == 1)
    }

    @Test func readsKeepTheirConnectionAndOneTheServerClosedIsReplaced() async throws {
        // The other side of the rule above: reads keep their connections, and one the server
        // closed meanwhile costs nothing.
        let server = try RawServer { _, index in
            .reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", thenClose: index == 0)
        }
        defer { server.stop() }
        let transport = CurlTransport(timeout: 10, userAgent: "rolo-test")
        for _ in 0..<3 {
            #expect(try await transport.send(HTTPRequest(method: "GET", url: server.url("/read"))).status == 200)
        }
        #expect(server.connections == 2, "the first connection was closed by the server, the second kept")
    }

    @Test func aRedirectIsFollowedAndOnlyTheFinalRepliesHeadersKept() async throws {
        let server = try RawServer { request, _ in
            request.head.hasPrefix("GET /old ")
                ? .reply("HTTP/1.1 301 Moved\r\nLocation: /new\r\nX-Old: 1\r\nContent-Length: 0\r\n\r\n")
                : .reply("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew")
        }
        defer { server.stop() }
        let response = try await CurlTransport(timeout: 10, userAgent: "rolo-test").send(HTTPRequest(method: "GET", url: server.url("/old")))
        #expect(response.status == 200)
        #expect(response.body == Data("new".utf8))
        #expect(response.header("X-Old") == nil)
        #expect(server.requests.map { $0.head.split(separator: " ")[1] } == ["/old", "/new"])
    }

    @Test func aCancelledRequestEndsWithoutWaitingForTheServer() async throws {
        let server = try RawServer { _, _ in .neverAnswer }
        defer { server.stop() }
        let transport = CurlTransport(timeout: 600, userAgent: "rolo-test")
        let task = Task { try await transport.send(HTTPRequest(method: "GET", url: server.url("/slow"))) }
        server.waitForRequest()
        task.cancel()
        await #expect(throws: TransportError.other("the request was cancelled")) { _ = try await task.value }
    }

    @Test func aHeaderValueWithALineBreakIsNeverSent() async throws {
        let server = try RawServer { _, _ in .reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }
        defer { server.stop() }
        let transport = CurlTransport(timeout: 10, userAgent: "rolo-test")
        await #expect(throws: TransportError.self) {
            _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/"), headers: [.init("X-Token", "a\r\nX-Evil: 1")]))
        }
        #expect(server.requests.isEmpty)
    }

    @Test func nothingListeningIsCannotConnect() async throws {
        let port = try RawServer.unusedPort()
        let transport = CurlTransport(timeout: 10, userAgent: "rolo-test")
        do {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/")!))
            Issue.record("a request to a closed port succeeded")
        } catch {
            guard case .cannotConnect = error else { Issue.record("\(error)"); return }
        }
    }
}

/// A loopback HTTP/1.1 server on raw sockets: reads each request whole (head, then a body of
/// its Content-Length) and does what `answer` says with it.
private final class RawServer: @unchecked Sendable {
    enum Answer {
        case reply(String, thenClose: Bool = false)
        /// Close the connection without a word.
        case hangUp
        /// Keep the connection open and say nothing.
        case neverAnswer
    }
    struct Request {
        let head: String
        let body: Data
    }

    let port: UInt16
    private let listener: Int32
    private let answer: (Request, Int) -> Answer
    private let lock = NSLock()
    private var seen: [Request] = []
    private var accepted = 0
    private var held: [Int32] = []
    private let arrived = DispatchSemaphore(value: 0)

    var requests: [Request] { lock.withLock { seen } }
    var connections: Int { lock.withLock { accepted } }

    init(answer: @escaping (Request, Int) -> Answer) throws {
        self.answer = answer
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        self.listener = listener
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    static func unusedPort() throws -> UInt16 {
        let server = try RawServer { _, _ in .hangUp }
        server.stop()
        return server.port
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func waitForRequest() { arrived.wait() }

    /// Wakes the accepting thread, which closes the listening socket itself: closed here, its
    /// number could go to another test's server while that thread still accepts on it.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in lock.withLock({ held }) { close(fd) }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                close(listener)
                return
            }
            lock.withLock { accepted += 1 }
            Thread { [self] in serve(connection) }.start()
        }
    }

    private func serve(_ connection: Int32) {
        var buffer = Data()
        while true {
            guard let request = read(from: connection, into: &buffer) else { close(connection); return }
            let index = lock.withLock { () -> Int in
                seen.append(request)
                return seen.count - 1
            }
            arrived.signal()
            switch answer(request, index) {
            case .reply(let text, let thenClose):
                _ = Array(text.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if thenClose { close(connection); return }
            case .hangUp:
                close(connection)
                return
            case .neverAnswer:
                lock.withLock { held.append(connection) }
                return
            }
        }
    }

    private func read(from connection: Int32, into buffer: inout Data) -> Request? {
        let separator = Data("\r\n\r\n".utf8)
        var chunk = [UInt8](repeating: 0, count: 4096)
        func fill() -> Bool {
            let count = recv(connection, &chunk, chunk.count, 0)
            if count <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        while buffer.range(of: separator) == nil { if !fill() { return nil } }
        let end = buffer.range(of: separator)!
        let head = String(decoding: buffer[buffer.startIndex..<end.upperBound], as: UTF8.self)
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count - (end.upperBound - buffer.startIndex) < length { if !fill() { return nil } }
        let body = Data(buffer[end.upperBound..<(end.upperBound + length)])
        buffer = Data(buffer[(end.upperBound + length)...])
        return Request(head: head, body: body)
    }
}
