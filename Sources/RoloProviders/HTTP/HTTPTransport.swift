import Foundation
import RoloCore

/// One HTTP request as an adapter builds it. The body is sent exactly as given: iVvy signs
/// the bytes, so nothing may re-encode them on the way.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    public var url: URL
    /// In the order given; names as written.
    public var headers: [Header]
    public var body: Data?

    public struct Header: Sendable, Hashable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, url: URL, headers: [Header] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// A reply: status, headers (names lower-cased) and the body bytes.
public struct HTTPResponse: Sendable, Hashable {
    public let status: Int
    public let headers: [String: String]
    public let body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as text for messages, cut short and with control characters left out.
    public var bodyExcerpt: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return body.count > 300 ? visible + "…" : visible
    }
}

/// Why a request got no reply. Messages never carry headers (where secrets travel).
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection could be made at all: nothing listens, no route, the name does not resolve.
    case cannotConnect(String)
    case timedOut
    /// The connection broke before the whole reply arrived.
    case connectionLost(String)
    case other(String)

    public var description: String {
        switch self {
        case .cannotConnect(let why): "cannot connect: \(why)"
        case .timedOut: "the request timed out"
        case .connectionLost(let why): "the connection was lost: \(why)"
        case .other(let why): why
        }
    }
}

/// Sends HTTP requests. The live one is `CurlTransport`; tests inject a recording fake.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}
