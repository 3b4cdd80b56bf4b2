/// A strict JSON reader (RFC 8259) whose errors say where: `line 3, column 14: …`.
///
/// Foundation's reader accepts trailing commas and reports errors without a position, which
/// is not good enough for a person fixing a JSON field in `$EDITOR` or a file to import.
/// Depth is limited, so hostile input cannot exhaust the stack.
struct JSONParser {
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        parser.index = start
        parser.skipWhitespace()
        if parser.index >= bytes.count { throw parser.error("the text is empty; expected a JSON value") }
        let value = try parser.value()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.error("unexpected \(parser.describeNext()) after the JSON value") }
        return value
    }

    /// The value of one member of the top-level object, every other member skipped without
    /// being built: for a reply whose small part decides what to do next (the cursor of the
    /// next page) before the rest is decoded. Nil when the text is not an object, has no such
    /// member, or goes wrong before it; only what it returns is checked, so a caller still
    /// parses the whole text before trusting anything else in it.
    static func topLevelMember(_ key: String, in bytes: [UInt8]) -> JSONValue? {
        var parser = JSONParser(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        guard parser.peek(UInt8(ascii: "{")) else { return nil }
        parser.index += 1
        while true {
            parser.skipWhitespace()
            guard parser.peek(UInt8(ascii: "\"")), let name = try? parser.string() else { return nil }
            parser.skipWhitespace()
            guard parser.peek(UInt8(ascii: ":")) else { return nil }
            parser.index += 1
            if name == key { return try? parser.value() }
            guard parser.skipValue() else { return nil }
            parser.skipWhitespace()
            guard parser.peek(UInt8(ascii: ",")) else { return nil }
            parser.index += 1
        }
    }

    /// Steps over one value, matching brackets and quotes only: stops after a string, array
    /// or object, or at the `,` or closing bracket after anything else. False at the end of
    /// the text.
    private mutating func skipValue() -> Bool {
        skipWhitespace()
        var nesting = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return false }
                index += 1
                if nesting == 0 { return true }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                nesting += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if nesting == 0 { return true }
                nesting -= 1
                index += 1
                if nesting == 0 { return true }
            case UInt8(ascii: ","):
                if nesting == 0 { return true }
                index += 1
            default:
                index += 1
            }
        }
        return false
    }

    // MARK: - Values

    private mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw error("the text ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("expected a value, found \(describeNext())")
        }
    }

    /// Members are gathered in order and the dictionary is made once, at its final size: a
    /// dictionary grown member by member hashed every key several times (once to look for a
    /// twin, once to insert, again at each doubling). Twins are looked for by comparing with
    /// the keys before, or with a set once there are many.
    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            index += 1
            depth -= 1
            return .object([:])
        }
        var keys: [String] = []
        var values: [JSONValue] = []
        var manyKeys: Set<String>?
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else {
                throw error(keys.isEmpty ? "expected a key in double quotes, found \(describeNext())"
                                         : "expected a key after “,”, found \(describeNext()) (a trailing comma is not allowed)")
            }
            let keyStart = index
            let key = try string()
            let isTwin: Bool
            if keys.count < JSONParser.keysComparedOneByOne {
                isTwin = keys.contains(key)
            } else {
                if manyKeys == nil { manyKeys = Set(keys) }
                isTwin = !manyKeys!.insert(key).inserted
            }
            if isTwin { throw error("the key “\(key)” appears twice", at: keyStart) }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected “:” after the key “\(key)”, found \(describeNext())") }
            index += 1
            keys.append(key)
            values.append(try value())
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "}")) { index += 1; break }
            throw error("expected “,” or “}” in the object, found \(describeNext())")
        }
        depth -= 1
        var members = [String: JSONValue](minimumCapacity: keys.count)
        for (key, value) in zip(keys, values) { members[key] = value }
        return .object(members)
    }

    /// Up to this many keys, a new key is compared with each one before it.
    static let keysComparedOneByOne = 24

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            if peek(UInt8(ascii: "]")) { throw error("expected a value after “,”, found “]” (a trailing comma is not allowed)") }
            items.append(try value())
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "]")) { index += 1; break }
            throw error("expected “,” or “]” in the array, found \(describeNext())")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maximumDepth { throw error("nested more than \(JSONParser.maximumDepth) levels deep") }
    }

    private mutating func string() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Most strings hold no escape: such a string is its bytes, decoded once.
        var end = index
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return String(decoding: bytes[start + 1..<end], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun() {
            if runStart < index { scalars.append(contentsOf: String(decoding: bytes[runStart..<index], as: UTF8.self).unicodeScalars) }
        }
        while true {
            guard index < bytes.count else { throw error("a string opened here is never closed", at: start) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun()
                index += 1
                return String(scalars)
            }
            if byte < 0x20 {
                throw error("a control character inside a string (write a line break as \\n, a tab as \\t)")
            }
            if byte == UInt8(ascii: "\\") {
                flushRun()
                index += 1
                guard index < bytes.count else { throw error("the text ends inside an escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("a \\u escape of a high surrogate must be followed by its low surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("\\u\(String(low, radix: 16)) is not a low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("a lone low surrogate \\u\(String(code, radix: 16))")
                    }
                    scalars.append(Unicode.Scalar(code)!)
                default:
                    index -= 1
                    throw error("\\\(describeNext(quoted: false)) is not an escape (use \\\\ for a backslash)")
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        // Exactly four hex digits: UInt32(_:radix:) alone would also take a sign (`\u+041`).
        guard index + 4 <= bytes.count, bytes[index..<index + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
              let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw error("\\u must be followed by four hexadecimal digits")
        }
        index += 4
        return value
    }

    private mutating func number() throws(JSONParseError) -> Double {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("a minus sign must be followed by digits") }
        if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count, isDigit(bytes[index + 1]) {
            throw error("a number cannot start with 0 followed by digits")
        }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a decimal point must be followed by digits") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("an exponent must have digits") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if let whole = JSONParser.smallInteger(bytes[start..<index]) { return whole }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw error("the number \(text) is too large", at: start) }
        return number
    }

    /// A whole number of at most 15 digits, read without making a string: exactly what
    /// `Double(text)` gives for it (every such number is a Double), except `-0`, left to it.
    private static func smallInteger(_ digits: ArraySlice<UInt8>) -> Double? {
        var value: Int64 = 0
        var negative = false
        var count = 0
        for byte in digits {
            if byte == UInt8(ascii: "-") { negative = true; continue }
            guard byte >= 0x30, byte <= 0x39, count < 15 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
            count += 1
        }
        if negative && value == 0 { return nil }
        return Double(negative ? -value : value)
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("expected a value, found \(describeNext())") }
        let matches = word.withUTF8Buffer { expected in
            for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
            return true
        }
        guard matches else { throw error("expected a value, found \(describeNext())") }
        index += count
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The next character, quoted for a message (or "the end of the text").
    private func describeNext(quoted: Bool = true) -> String {
        guard index < bytes.count else { return "the end of the text" }
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let character = String(decoding: bytes[index..<end], as: UTF8.self)
        let shown = character.unicodeScalars.first.map { $0.value < 0x20 ? "U+" + String($0.value, radix: 16, uppercase: true) : character } ?? character
        return quoted ? "“\(shown)”" : shown
    }

    /// An error at the current position (or `position`), with its line and column.
    private func error(_ message: String, at position: Int? = nil) -> JSONParseError {
        let target = min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        var cursor = 0
        while cursor < target {
            if bytes[cursor] == 0x0A {
                line += 1
                column = 1
            } else if bytes[cursor] & 0xC0 != 0x80 {
                column += 1
            }
            cursor += 1
        }
        return JSONParseError(message: "line \(line), column \(column): \(message)")
    }
}
