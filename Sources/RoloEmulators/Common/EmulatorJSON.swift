import Foundation

/// A JSON value as the emulators read and write it on the wire.
///
/// The emulators need their own type (not `JSONSerialization`) because the providers'
/// rules depend on the JSON *kind* of a value: Notifuse answers "expected string, got
/// Number" and treats `true` differently from `1`, iVvy wants whole numbers. Foundation on
/// Linux turns booleans and numbers into the same `NSNumber`.
public enum EmulatorJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([EmulatorJSON])
    case object([String: EmulatorJSON])

    // MARK: Reading

    public subscript(key: String) -> EmulatorJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [EmulatorJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: EmulatorJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The number as an integer when it is a whole number that fits in `Int`.
    public var wholeNumber: Int? {
        guard case .number(let value) = self, value.rounded() == value,
              abs(value) < 9.007_199_254_740_992e15 else { return nil }
        return Int(value)
    }

    // MARK: Parsing

    /// Parses one JSON text (RFC 8259): UTF-8, nothing but whitespace around the value.
    public init(parsing data: Data) throws(EmulatorJSONError) {
        var parser = JSONTextParser(bytes: [UInt8](data))
        self = try parser.parseDocument()
    }

    public init(parsing text: String) throws(EmulatorJSONError) {
        try self.init(parsing: Data(text.utf8))
    }

    /// The first JSON value in `data`, ignoring whatever follows it (as a streaming decoder
    /// such as Go's `json.Decoder` reads a request body), or nil if it does not start with one.
    static func firstValue(in data: Data) -> EmulatorJSON? {
        var parser = JSONTextParser(bytes: [UInt8](data))
        parser.skipWhitespace()
        return try? parser.parseValue()
    }

    // MARK: Writing

    /// Compact JSON with object keys sorted, so the same value always gives the same bytes.
    ///
    /// `escapeHTML` writes `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, as Go's
    /// `encoding/json` does (Notifuse's server is written in Go).
    public func serialized(escapeHTML: Bool = false) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(into: &out, escapeHTML: escapeHTML)
        return Data(out)
    }

    public func serializedString(escapeHTML: Bool = false) -> String {
        String(decoding: serialized(escapeHTML: escapeHTML), as: UTF8.self)
    }

    func write(into out: inout [UInt8], escapeHTML: Bool) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): out.append(contentsOf: Self.format(number: value).utf8)
        case .string(let value): Self.writeString(value, into: &out, escapeHTML: escapeHTML)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out, escapeHTML: escapeHTML)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: Self.byteOrder).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out, escapeHTML: escapeHTML)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out, escapeHTML: escapeHTML)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Whole numbers below 1e21 without a fraction or exponent (as Go and JavaScript write
    /// them), everything else in Swift's shortest round-trip form. Non-finite values cannot
    /// be parsed from JSON, so they are written as `null`.
    static func format(number value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e21 {
            if abs(value) < 9.2e18 { return String(Int64(value)) }
            return String(format: "%.0f", value)
        }
        return "\(value)"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ value: String, into out: inout [UInt8], escapeHTML: Bool) {
        out.append(0x22)
        var value = value
        value.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x00..<0x20: appendUnicodeEscape(UInt32(byte), into: &out)
                case 0x3C where escapeHTML, 0x3E where escapeHTML, 0x26 where escapeHTML: appendUnicodeEscape(UInt32(byte), into: &out)
                case 0xE2 where escapeHTML && index + 2 < bytes.count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    // U+2028 and U+2029, which Go escapes for JavaScript's sake.
                    appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, into: &out)
                    index += 2
                default: out.append(byte)
                }
                index += 1
            }
        }
        out.append(0x22)
    }

    private static func appendUnicodeEscape(_ value: UInt32, into out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}

extension EmulatorJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: EmulatorJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, EmulatorJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// Why a text is not JSON, with the byte offset where reading stopped.
public struct EmulatorJSONError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict recursive-descent parser over UTF-8 bytes. Duplicate keys: the last one wins.
private struct JSONTextParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0
    static let maximumDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(EmulatorJSONError) -> EmulatorJSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected text after the JSON value") }
        return value
    }

    func failure(_ reason: String) -> EmulatorJSONError {
        EmulatorJSONError(reason: reason, offset: position)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(EmulatorJSONError) -> EmulatorJSON {
        guard position < bytes.count else { throw failure("unexpected end of JSON") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: String) throws(EmulatorJSONError) {
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw failure("invalid literal") }
            position += 1
        }
    }

    mutating func enter() throws(EmulatorJSONError) {
        depth += 1
        if depth > Self.maximumDepth { throw failure("nesting too deep") }
    }

    mutating func parseObject() throws(EmulatorJSONError) -> EmulatorJSON {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members = [String: EmulatorJSON]()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            skipWhitespace()
            members[key] = try parseValue()
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of JSON") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw failure("expected ',' or '}'")
        }
    }

    mutating func parseArray() throws(EmulatorJSONError) -> EmulatorJSON {
        try enter()
        defer { depth -= 1 }
        position += 1
        var items = [EmulatorJSON]()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of JSON") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw failure("expected ',' or ']'")
        }
    }

    mutating func parseNumber() throws(EmulatorJSONError) -> EmulatorJSON {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid number") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("number out of range") }
        return .number(value)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    mutating func parseString() throws(EmulatorJSONError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        var raw = [UInt8]()
        func flushRun(_ end: Int) { raw.append(contentsOf: bytes[runStart..<end]) }
        while true {
            guard position < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                flushRun(position)
                position += 1
                break
            }
            if byte < 0x20 { throw failure("control character in string") }
            if byte == UInt8(ascii: "\\") {
                flushRun(position)
                position += 1
                guard position < bytes.count else { throw failure("unterminated string") }
                let escape = bytes[position]
                position += 1
                var decoded: Unicode.Scalar
                switch escape {
                case UInt8(ascii: "\""): decoded = "\""
                case UInt8(ascii: "\\"): decoded = "\\"
                case UInt8(ascii: "/"): decoded = "/"
                case UInt8(ascii: "b"): decoded = "\u{08}"
                case UInt8(ascii: "f"): decoded = "\u{0C}"
                case UInt8(ascii: "n"): decoded = "\n"
                case UInt8(ascii: "r"): decoded = "\r"
                case UInt8(ascii: "t"): decoded = "\t"
                case UInt8(ascii: "u"):
                    let unit = try parseHex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("unpaired surrogate in string")
                        }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate in string") }
                        decoded = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw failure("unpaired surrogate in string")
                    } else {
                        decoded = Unicode.Scalar(unit)!
                    }
                default:
                    throw failure("invalid escape in string")
                }
                raw.append(contentsOf: Array(String(decoded).utf8))
                runStart = position
                continue
            }
            position += 1
        }
        // Validate UTF-8 strictly: a provider would refuse bytes that are not text.
        var iterator = raw.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: throw failure("invalid UTF-8 in string")
            }
        }
        return String(scalars)
    }

    mutating func parseHex4() throws(EmulatorJSONError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
