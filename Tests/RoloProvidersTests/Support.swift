import Foundation
import RoloCore
import Testing
@testable import RoloProviders

/// A transport that records every request and answers from a script, in order. A request
/// the script has no answer for gets a 599 whose body says so, which fails the test loudly.
final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Result<HTTPResponse, TransportError>]
    private var recorded: [HTTPRequest] = []

    init(_ replies: [HTTPResponse] = []) {
        script = replies.map { .success($0) }
    }

    /// Adds answers to the end of the script.
    func then(_ replies: HTTPResponse...) {
        lock.withLock { script += replies.map { .success($0) } }
    }

    /// The next request gets no reply: the transport fails with `error`.
    func thenFail(_ error: TransportError) {
        lock.withLock { script.append(.failure(error)) }
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }

    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let next: Result<HTTPResponse, TransportError>? = lock.withLock {
            recorded.append(request)
            return script.isEmpty ? nil : script.removeFirst()
        }
        switch next {
        case .success(let response)?: return response
        case .failure(let error)?: throw error
        case nil: return HTTPResponse(status: 599, body: Data("the test scripted no reply for \(request.method) \(request.url)".utf8))
        }
    }
}

/// A reply with a JSON (or any) body.
func reply(_ body: String, status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
    HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
}

func reply(json: JSONValue, status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
    reply(json.canonicalText, status: status, headers: headers)
}

/// The bytes of `Fixtures/<provider>/<name>`.
func fixture(_ path: String) throws -> Data {
    let parts = path.split(separator: "/").map(String.init)
    let file = parts.last!
    let dot = file.lastIndex(of: ".")!
    let url = Bundle.module.url(forResource: String(file[..<dot]), withExtension: String(file[file.index(after: dot)...]),
                                subdirectory: (["Fixtures"] + parts.dropLast()).joined(separator: "/"))
    guard let url else { throw FixtureMissing(path: path) }
    return try Data(contentsOf: url)
}

func fixtureJSON(_ path: String) throws -> JSONValue {
    try JSONValue.parse(try fixture(path))
}

func fixtureReply(_ path: String, status: Int = 200) throws -> HTTPResponse {
    HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: try fixture(path))
}

struct FixtureMissing: Error { let path: String }

/// A request's body as JSON (compared semantically: member order and number spelling do not matter).
func body(_ request: HTTPRequest) throws -> JSONValue {
    try JSONValue.parse(request.body ?? Data())
}

/// A JSON object without some members.
func removing(_ names: [String], from json: JSONValue) -> JSONValue {
    guard case .object(var members) = json else { return json }
    for name in names { members[name] = nil }
    return .object(members)
}

/// The error of a failed outcome, or nil.
func failure(_ outcome: PushOutcome) -> ProviderError? {
    if case .failed(let error) = outcome { return error }
    return nil
}

/// What a throwing provider call threw, or nil when it did not throw.
func thrown<T>(_ work: () async throws -> T) async -> ProviderError? {
    do {
        _ = try await work()
        return nil
    } catch let error as ProviderError {
        return error
    } catch {
        Issue.record("not a ProviderError: \(error)")
        return nil
    }
}

/// A fixed clock for signing: 2024-05-01 10:00:00 UTC unless told.
func fixedClock(_ text: String = "2024-05-01T10:00:00Z") -> @Sendable () -> Date {
    let date = Timestamp(parsing: text)!.date
    return { date }
}

/// A clock a test moves on by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ text: String) { current = Timestamp(parsing: text)!.date }

    func advance(seconds: TimeInterval) { lock.withLock { current += seconds } }

    var now: @Sendable () -> Date { { [self] in lock.withLock { current } } }
}

/// Waits for something another task does (a request sent ahead), failing after a generous
/// deadline instead of hanging: the deadline only bounds a broken run, it is not a speed test.
func waitUntil(_ condition: () -> Bool, deadline: Duration = .seconds(30)) async throws {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while !condition() {
        guard clock.now < end else {
            Issue.record("waited \(deadline) for a condition that never came")
            return
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
