import FlyingFox
import FlyingSocks
import Foundation

/// The HTTP side shared by the three emulators: binds 127.0.0.1, serves concurrent
/// keep-alive connections through FlyingFox, logs every request and applies injected faults
/// before handing a request to its provider's routes.
public final class EmulatorHost: Sendable {
    private struct Running {
        var server: HTTPServer
        var task: Task<Void, Never>
        var baseURL: URL
    }

    private let requestedPort: UInt16
    private let faults = FaultSchedule()
    private let log = Locked<[RecordedRequest]>([])
    private let running = Locked<Running?>(nil)
    private let respond: @Sendable (RecordedRequest) async -> EmulatorReply
    private let statusReply: @Sendable (Int) -> EmulatorReply

    /// - Parameters:
    ///   - port: the port to bind on 127.0.0.1; 0 asks the system for a free one.
    ///   - statusReply: the provider's usual reply for an HTTP status, used by `.status` faults.
    ///   - respond: the provider's routes.
    init(port: UInt16,
         statusReply: @escaping @Sendable (Int) -> EmulatorReply,
         respond: @escaping @Sendable (RecordedRequest) async -> EmulatorReply) {
        self.requestedPort = port
        self.statusReply = statusReply
        self.respond = respond
    }

    // MARK: Binding

    /// Binds and starts serving. Returns once the socket accepts connections.
    public func start() async throws {
        guard running.withLock({ $0 == nil }) else { throw EmulatorHostError.alreadyStarted }
        let address = try sockaddr_in.inet(ip4: "127.0.0.1", port: requestedPort)
        // A long handler timeout: `.latency` faults must be able to outlast a client's timeout.
        let config = HTTPServer.Configuration(address: address, timeout: 600,
                                              pool: NoDelayPool(base: HTTPServer.defaultPool()), logger: .disabled)
        let server = HTTPServer(config: config, handler: Router(host: self))
        let failure = Locked<(any Error)?>(nil)
        let task = Task {
            do { try await server.run() } catch { failure.withLock { $0 = error } }
        }
        // Poll with a deadline: FlyingFox reports a failed bind only through `run()`. Generous,
        // since it only ends a wait that has gone wrong: on a loaded machine (a test run beside
        // builds) 10 s was once not enough for a server to start.
        let deadline = ContinuousClock.now + .seconds(60)
        while await !server.isListening {
            if let error = failure.withLock({ $0 }) { throw EmulatorHostError.cannotBind(port: requestedPort, reason: "\(error)") }
            guard ContinuousClock.now < deadline else {
                task.cancel()
                throw EmulatorHostError.cannotBind(port: requestedPort, reason: "the server did not start listening")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        guard case .ip4(_, let port)? = await server.listeningAddress else {
            await server.stop()
            throw EmulatorHostError.cannotBind(port: requestedPort, reason: "no listening address")
        }
        let url = URL(string: "http://127.0.0.1:\(port)")!
        running.withLock { $0 = Running(server: server, task: task, baseURL: url) }
    }

    /// Closes the listening socket and every open connection.
    public func stop() async {
        guard let current = running.withLock({ state -> Running? in defer { state = nil }; return state }) else { return }
        await current.server.stop(timeout: 0)
        current.task.cancel()
        await current.task.value
    }

    /// `http://127.0.0.1:PORT` once started; nil before `start()` and after `stop()`.
    public var baseURL: URL? { running.withLock { $0?.baseURL } }

    // MARK: Faults

    /// Makes the next `count` requests (only those whose path, or path plus `?action=…`,
    /// equals `path` when it is given) meet `fault`.
    public func inject(_ fault: EmulatorFault, count: Int = 1, path: String? = nil) {
        faults.inject(fault, count: count, path: path)
    }

    public func clearFaults() { faults.clear() }

    // MARK: Request log

    /// Every request received since the start or the last `clearRequests()`, in arrival order.
    public var requests: [RecordedRequest] { log.withLock { $0 } }

    public func clearRequests() { log.withLock { $0.removeAll() } }

    // MARK: Serving

    private struct Router: HTTPHandler {
        let host: EmulatorHost

        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            let body = try await request.bodyData
            let received = RecordedRequest(
                method: request.method.rawValue,
                target: request.target.rawValue,
                headers: request.headers.map { RecordedRequest.Header(name: $0.key.rawValue, value: $0.value) },
                body: body,
                fault: nil)
            return await host.serve(received)
        }
    }

    private func serve(_ received: RecordedRequest) async -> HTTPResponse {
        let fault = faults.take(path: received.path, action: received.query("action"))
        let request = received.with(fault: fault)
        log.withLock { $0.append(request) }
        switch fault {
        case nil:
            return Self.response(await respond(request))
        case .status(let code, let retryAfter, let body)?:
            var reply = statusReply(code)
            if let body { reply.body = Data(body.utf8) }
            if let retryAfter { reply.headers.append(("Retry-After", String(retryAfter))) }
            return Self.response(reply)
        case .latency(let milliseconds)?:
            try? await Task.sleep(for: .milliseconds(milliseconds))
            return Self.response(await respond(request))
        case .dropConnection?:
            return HTTPResponse(webSocket: DropConnection())
        case .dropAfterApplying?:
            _ = await respond(request)
            return HTTPResponse(webSocket: DropConnection())
        case .malformedBody?:
            var reply = await respond(request)
            reply.status = 200
            reply.body = reply.body.count > 1 ? reply.body.prefix(reply.body.count / 2) : Data("{\"".utf8)
            return Self.response(reply)
        }
    }

    private static func response(_ reply: EmulatorReply) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.addValue(value, for: HTTPHeader(name)) }
        return HTTPResponse(statusCode: HTTPStatusCode(reply.status, phrase: reasonPhrase(reply.status)),
                            headers: headers, body: reply.body)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}

/// Turns Nagle's algorithm off on the server's sockets. FlyingFox writes a response's head
/// and body in two writes; with Nagle on, the body waits for the client's delayed ACK of the
/// head (about 40 ms on Linux), which made every request of a 1,000-page pull take 47 ms.
/// The pool sees the listening socket before the first connection, and accepted sockets
/// inherit the option from it; every other socket it suspends gets it too.
private struct NoDelayPool<Base: AsyncSocketPool>: AsyncSocketPool {
    let base: Base

    func prepare() async throws { try await base.prepare() }
    func run() async throws { try await base.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        try? socket.setValue(true, for: BoolSocketOption(level: Int32(IPPROTO_TCP), name: Int32(TCP_NODELAY)))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}

/// Closes the connection without writing a byte. FlyingFox hands a WebSocket upgrade to
/// its handler *before* it writes the response head; a handler that refuses makes the
/// server close the socket, which is exactly a connection dropped before the reply.
private struct DropConnection: WSHandler {
    struct Dropped: Error {}
    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        throw Dropped()
    }
}

public enum EmulatorHostError: Error, CustomStringConvertible {
    case alreadyStarted
    case cannotBind(port: UInt16, reason: String)

    public var description: String {
        switch self {
        case .alreadyStarted: "the emulator is already running"
        case .cannotBind(let port, let reason): "cannot listen on 127.0.0.1:\(port): \(reason)"
        }
    }
}

/// What the three emulators have in common: their HTTP side.
public protocol LoopbackEmulator: AnyObject, Sendable {
    var host: EmulatorHost { get }
}

public extension LoopbackEmulator {
    func start() async throws { try await host.start() }
    func stop() async { await host.stop() }
    /// `http://127.0.0.1:PORT`; only valid after `start()`.
    var baseURL: URL {
        guard let url = host.baseURL else { preconditionFailure("start() the emulator before asking for its baseURL") }
        return url
    }
    func inject(_ fault: EmulatorFault, count: Int = 1, path: String? = nil) { host.inject(fault, count: count, path: path) }
    func clearFaults() { host.clearFaults() }
    var requests: [RecordedRequest] { host.requests }
    func clearRequests() { host.clearRequests() }
}
