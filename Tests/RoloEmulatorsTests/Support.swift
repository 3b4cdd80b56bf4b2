import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import RoloEmulators

/// What came back over HTTP.
struct HTTPResult {
    let status: Int
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: EmulatorJSON? { try? EmulatorJSON(parsing: body) }

    func header(_ name: String) -> String? {
        headers.first(where: { $0.key.caseInsensitiveCompare(name) == .orderedSame })?.value
    }
}

/// Raw HTTP over loopback with URLSession: every test writes its own request, so it checks
/// the emulator against PROVIDERS.md, not against rolo's adapters.
enum HTTP {
    /// A fresh session per call: a reused keep-alive connection could make the transport
    /// retry a request on its own when a fault closes the socket.
    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil,
                     timeout: TimeInterval = 30) async throws -> HTTPResult {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields = [String: String]()
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return HTTPResult(status: http.statusCode, headers: fields, body: data)
    }

    /// `base` + `path` + a query whose values are percent-encoded strictly (`+` too), as a
    /// careful client must.
    static func url(_ base: URL, _ path: String, _ query: [(String, String)] = []) -> URL {
        var text = base.absoluteString + path
        if !query.isEmpty {
            text += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        return URL(string: text)!
    }

    static func encode(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved)!
    }
}

/// A clock the test moves by hand; `tick` makes every reading one millisecond later than
/// the one before, so stamps differ without waiting.
final class TestClock: @unchecked Sendable {
    private var current: Date
    private let step: TimeInterval
    private let lock = NSLock()

    init(_ start: Date = Date(timeIntervalSince1970: 1_764_979_200), tick: TimeInterval = 0) {
        current = start
        step = tick
    }

    var clock: EmulatorClock { { self.read() } }

    func read() -> Date {
        lock.lock()
        defer { lock.unlock() }
        let now = current
        current += step
        return now
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        current += seconds
        lock.unlock()
    }
}

enum Fixture {
    static func data(_ path: String) throws -> Data {
        let url = Bundle.module.url(forResource: "Fixtures/" + path, withExtension: nil)!
        return try Data(contentsOf: url)
    }

    static func json(_ path: String) throws -> EmulatorJSON {
        try EmulatorJSON(parsing: data(path))
    }
}
