import Foundation

/// A JSON document as a value: custom `json` fields and provider extension data.
///
/// Objects compare and encode with sorted keys, so two equal documents always have the
/// same text — the content hash and the three-way merge rely on that.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text strictly (RFC 8259). The error names the line and column.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(data))
    }

    /// One member of a top-level object, found without building the rest (see
    /// `JSONParser.topLevelMember`); nil when there is none to be found. Parse the whole text
    /// before trusting anything else in it.
    public static func topLevelMember(_ key: String, of data: Data) -> JSONValue? {
        JSONParser.topLevelMember(key, in: Array(data))
    }

    /// Parses UTF-8 bytes (a record cut out of a larger document by a streaming reader).
    public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// Compact text with sorted keys: the canonical form stored in the cache.
    public var canonicalText: String { render(pretty: false) }

    /// Indented text with sorted keys, for `$EDITOR` and `rolo show`.
    public var prettyText: String { render(pretty: true) }

    /// Indented text as it stands `depth` levels inside a document (an item of rolo JSON's
    /// array is at depth 1): the first line carries the indent too.
    public func prettyText(depth: Int) -> String {
        var out = String(repeating: "  ", count: depth)
        write(into: &out, pretty: true, depth: depth)
        return out
    }

    public var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    private func render(pretty: Bool) -> String {
        var out = ""
        write(into: &out, pretty: pretty, depth: 0)
        return out
    }

    private func write(into out: inout String, pretty: Bool, depth: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += JSONValue.format(number)
        case .string(let text): JSONValue.writeQuoted(text, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += pretty ? "[\n" : "["
            for (index, item) in items.enumerated() {
                if pretty { out += JSONValue.indentation(depth + 1) }
                item.write(into: &out, pretty: pretty, depth: depth + 1)
                if index < items.count - 1 { out += "," }
                if pretty { out += "\n" }
            }
            if pretty { out += JSONValue.indentation(depth) }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += pretty ? "{\n" : "{"
            // Sorted with their values: looking each key up again after sorting the keys
            // hashed every key twice (a measurable part of `rolo export`).
            let sorted = members.sorted { $0.key < $1.key }
            for (index, member) in sorted.enumerated() {
                if pretty { out += JSONValue.indentation(depth + 1) }
                JSONValue.writeQuoted(member.key, into: &out)
                out += pretty ? ": " : ":"
                member.value.write(into: &out, pretty: pretty, depth: depth + 1)
                if index < sorted.count - 1 { out += "," }
                if pretty { out += "\n" }
            }
            if pretty { out += JSONValue.indentation(depth) }
            out += "}"
        }
    }

    /// Two spaces a level, made once for the depths documents have: made for every value
    /// written, they were most of what writing a contact's JSON allocated.
    private static let indentations = (0..<16).map { String(repeating: "  ", count: $0) }

    private static func indentation(_ depth: Int) -> String {
        depth < indentations.count ? indentations[depth] : String(repeating: "  ", count: depth)
    }

    /// Integral numbers print without a fraction (`42`, not `42.0`).
    public static func format(_ number: Double) -> String {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            return String(Int64(number))
        }
        return String(number)
    }

    /// Appends `text` as a JSON string literal.
    public static func writeQuoted(_ text: String, into out: inout String) {
        out += "\""
        if !needsEscaping(text) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where TerminalText.placeholder(for: scalar) != nil:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// True when a string has a character JSON text must escape, or one rolo escapes so that
    /// its files are safe to view: every character the terminal sanitizer would replace (C1
    /// controls, bidi marks and overrides, line separators). Most strings have none.
    static func needsEscaping(_ text: String) -> Bool {
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { return true }
            if byte >= 0x80 {
                // Beyond ASCII, the terminal's own list decides (bidi marks, separators, C1).
                return text.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || TerminalText.placeholder(for: $0) != nil }
            }
        }
        return false
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else if let members = try? container.decode([String: JSONValue].self) {
            self = .object(members)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}

/// JSON that could not be read, with the reason in words (line and column where known).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
