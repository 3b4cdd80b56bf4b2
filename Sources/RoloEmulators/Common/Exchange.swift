import Foundation

/// One request as the emulator received it: what the request log keeps and what each
/// provider's routes read.
public struct RecordedRequest: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    public let method: String
    /// The request target exactly as sent: the path with its query, still percent-encoded.
    public let target: String
    public let headers: [Header]
    public let body: Data
    /// The fault this request met, if one was injected for it.
    public let fault: EmulatorFault?

    /// The path of `target`, percent-decoded.
    public var path: String {
        let raw = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(raw).removingPercentEncoding ?? String(raw)
    }

    /// The raw query of `target` (after `?`), still encoded.
    public var rawQuery: String {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    /// The query decoded as HTML forms and the providers' servers (Go, ASP.NET, PHP) decode
    /// it: `+` is a space. A pair that cannot be decoded is left out, as Go's `URL.Query`
    /// does, so a client that forgets to encode `+` in an email finds out here.
    public var query: [(name: String, value: String)] {
        FormDecoding.pairs(rawQuery)
    }

    /// The first value of a query parameter.
    public func query(_ name: String) -> String? {
        query.first(where: { $0.name == name })?.value
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame })?.value
    }

    public static func == (lhs: RecordedRequest, rhs: RecordedRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.headers == rhs.headers
            && lhs.body == rhs.body && lhs.fault == rhs.fault
    }

    func with(fault: EmulatorFault?) -> RecordedRequest {
        RecordedRequest(method: method, target: target, headers: headers, body: body, fault: fault)
    }
}

/// `application/x-www-form-urlencoded` decoding with Go's `url.ParseQuery` rules.
enum FormDecoding {
    static func pairs(_ query: String) -> [(name: String, value: String)] {
        var result = [(name: String, value: String)]()
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            // Go refuses a `;` in a query since 1.17; the pair is dropped.
            if piece.contains(";") { continue }
            let halves = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(halves[0]) else { continue }
            let value = halves.count > 1 ? unescape(halves[1]) : ""
            guard let value else { continue }
            result.append((name, value))
        }
        return result
    }

    static func unescape(_ text: Substring) -> String? {
        var bytes = [UInt8]()
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.popFirst().flatMap(hexValue), let low = iterator.popFirst().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(bytes: bytes, encoding: .utf8)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// What a provider's route answers.
struct EmulatorReply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: Data

    static func json(_ status: Int, _ value: EmulatorJSON, escapeHTML: Bool = false, trailingNewline: Bool = false) -> EmulatorReply {
        var body = value.serialized(escapeHTML: escapeHTML)
        if trailingNewline { body.append(0x0A) }
        return EmulatorReply(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// Pre-serialized JSON bytes (used where pages are assembled from cached contacts).
    static func jsonBytes(_ status: Int, _ body: Data) -> EmulatorReply {
        EmulatorReply(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    static func text(_ status: Int, _ text: String) -> EmulatorReply {
        EmulatorReply(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                ("X-Content-Type-Options", "nosniff")],
                      body: Data(text.utf8))
    }
}

/// The plain address check used where a provider's exact rule is not published (DailyStory,
/// iVvy): one `@`, a non-empty local part, a dotted domain with no empty label, no spaces.
enum EmailSyntax {
    static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }
}
