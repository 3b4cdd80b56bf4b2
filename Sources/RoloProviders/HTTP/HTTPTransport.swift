import Foundation
import RoloCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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

/// Sends HTTP requests. The live one is `URLSessionTransport`; tests inject a recording fake.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}

/// HTTP over URLSession (FoundationNetworking on Linux). Requests without a body share one
/// session, so their connections are kept alive and reused across a sync's requests.
///
/// Requests with a body each get a connection of their own (`Connection: close`): when a
/// server closes a reused connection just as a request goes out, FoundationNetworking cannot
/// send the body again on a new one and waits out the whole timeout instead (seen against a
/// server that drops the connection: a GET is resent at once, a POST hung for the timeout).
public final class URLSessionTransport: HTTPTransport {
    private let reusing: URLSession
    private let fresh: URLSession
    private let userAgent: String

    /// `timeout`: how long a request may wait for data before it fails (and is retried).
    public init(timeout: TimeInterval = 30, userAgent: String) {
        func session(maximumConnections: Int) -> URLSession {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = timeout
            configuration.timeoutIntervalForResource = timeout * 4
            configuration.httpMaximumConnectionsPerHost = maximumConnections
            configuration.httpCookieStorage = nil
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            return URLSession(configuration: configuration)
        }
        // As many connections as the sync engine may keep requests open (`requests_in_flight`,
        // which decides how many there are).
        let most = ProviderCapabilities.requestsInFlightRange.upperBound
        reusing = session(maximumConnections: most)
        fresh = session(maximumConnections: most)
        self.userAgent = userAgent
    }

    deinit {
        reusing.finishTasksAndInvalidate()
        fresh.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for header in request.headers { urlRequest.setValue(header.value, forHTTPHeaderField: header.name) }
        urlRequest.httpBody = request.body
        let session = request.body == nil ? reusing : fresh
        if request.body != nil { urlRequest.setValue("close", forHTTPHeaderField: "Connection") }
        do {
            let (data, response) = try await session.data(for: urlRequest)
            guard let http = response as? HTTPURLResponse else { throw TransportError.other("the reply was not HTTP") }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name] = value }
            }
            return HTTPResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as TransportError {
            throw error
        } catch let error as URLError {
            throw URLSessionTransport.classify(error)
        } catch {
            throw .other((error as NSError).localizedDescription)
        }
    }

    static func classify(_ error: URLError) -> TransportError {
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return .cannotConnect(error.localizedDescription)
        case .timedOut:
            return .timedOut
        case .networkConnectionLost, .badServerResponse, .cannotParseResponse, .zeroByteResource:
            return .connectionLost(error.localizedDescription)
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .other("the TLS connection failed: \(error.localizedDescription)")
        default:
            return .other(error.localizedDescription)
        }
    }
}
