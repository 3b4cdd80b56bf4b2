import Foundation
import RoloCore

/// What every adapter does around a request: send it, turn a failure to reach the provider
/// into a `ProviderError` the sync engine can act on, and read a JSON body.
enum ProviderCalls {
    /// Sends a request; a request that got no reply becomes `offline` (nothing reachable) or
    /// `transient` (it may work if tried again).
    static func send(_ request: HTTPRequest, over transport: any HTTPTransport, provider: String) async throws(ProviderError) -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch {
            switch error {
            case .cannotConnect(let why): throw .offline("\(provider) cannot be reached (\(why))")
            case .timedOut: throw .transient("\(provider) did not answer in time")
            case .connectionLost(let why): throw .transient("the connection to \(provider) broke (\(why))")
            case .other(let why): throw .transient("\(provider): \(why)")
            }
        }
    }

    /// The failure a status code stands for when the body says nothing more precise.
    static func failure(status: Int, message: String, retryAfter: String?) -> ProviderError {
        switch status {
        case 401, 403: return .auth(message)
        case 404: return .notFound(message)
        case 408: return .transient(message)
        case 429: return .rateLimited(retryAfter: retryAfterSeconds(retryAfter), message)
        case 500...599: return .transient(message)
        default: return .invalid(field: nil, message)
        }
    }

    /// `Retry-After` as seconds, from either of its forms (seconds, or an HTTP date).
    static func retryAfterSeconds(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// A JSON body, or `transient` naming the provider when it is not JSON (a proxy's error
    /// page, a reply cut short): the next try may get a proper answer.
    static func json(_ response: HTTPResponse, provider: String) throws(ProviderError) -> JSONValue {
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .transient("\(provider) answered something that is not JSON (HTTP \(response.status)): \(response.bodyExcerpt)")
        }
    }

    /// A query string value, escaped for a URL.
    static func queryEscaped(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Takes secrets out of what a server says: a server may echo what it was sent ("Invalid
/// token: …", "bad auth Basic YXBpOk…"), and no secret may reach a message, the log or the
/// cache (a failure's text is stored with the edit it stopped).
enum SecretRedaction {
    /// `text` with every `secret` replaced, and the credentials of anything that reads as an
    /// Authorization header (`Bearer …`, `Basic …`) — the token in another form: HTTP Basic
    /// carries it in base64, which a search for the token itself does not find.
    static func redact(_ text: String, secrets: [String]) -> String {
        var clean = text
        for secret in secrets where !secret.isEmpty { clean = clean.replacingOccurrences(of: secret, with: "[redacted]") }
        guard clean.range(of: "bearer|basic", options: [.regularExpression, .caseInsensitive]) != nil else { return clean }
        return credentials.stringByReplacingMatches(in: clean, range: NSRange(clean.startIndex..., in: clean), withTemplate: "$1 [redacted]")
    }

    private static let credentials = try! NSRegularExpression(pattern: "\\b(Bearer|Basic)\\s+(?!\\[redacted\\])[A-Za-z0-9._~+/=-]+",
                                                             options: [.caseInsensitive])

    /// What HTTP Basic sends for `user` and `password`: the form a token takes in that header.
    static func basicCredentials(user: String, password: String) -> String {
        Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

extension ProviderError {
    /// The same failure with every occurrence of `secret` in its text replaced (see
    /// `SecretRedaction`).
    func redacting(_ secret: String) -> ProviderError { redacting([secret]) }

    func redacting(_ secrets: [String]) -> ProviderError {
        guard SecretRedaction.redact(message, secrets: secrets) != message else { return self }
        let clean = { (text: String) in SecretRedaction.redact(text, secrets: secrets) }
        switch self {
        case .auth(let text): return .auth(clean(text))
        case .invalid(let field, let text): return .invalid(field: field, clean(text))
        case .notFound(let text): return .notFound(clean(text))
        case .rateLimited(let after, let text): return .rateLimited(retryAfter: after, clean(text))
        case .transient(let text): return .transient(clean(text))
        case .offline(let text): return .offline(clean(text))
        case .clockSkew(let minutes, let text): return .clockSkew(minutes: minutes, clean(text))
        case .unsupported(let text): return .unsupported(clean(text))
        case .configuration(let text): return .configuration(clean(text))
        }
    }
}

extension PushOutcome {
    /// The outcome with any secret taken out of its failure's text.
    func redacting(_ secret: String) -> PushOutcome {
        if case .failed(let error) = self { return .failed(error.redacting(secret)) }
        return self
    }
}
