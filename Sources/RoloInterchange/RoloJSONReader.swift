import RoloCore

/// One thing a contact file holds, in the order of the file.
public enum ImportItem: Sendable {
    /// An account the file describes (rolo JSON's `accounts`).
    case account(AccountSpec)
    /// A contact as read, with a warning about it (members rolo does not know), if any.
    case contact(IncomingContact, warning: ImportProblem?)
    /// A record that cannot be read (a member of the wrong type, say); the file goes on.
    case invalid(ImportProblem)
}

/// Reads a rolo JSON document a record at a time, from a stream: the document is never held
/// whole, only the record being read. `rolo import` of a million contacts stays within a few
/// megabytes, and reads from a pipe as well as from a file.
///
/// The structure around the records (the top-level array, or the object with `format`,
/// `version`, `accounts` and `contacts` in any order) is followed byte by byte; each record is
/// cut out whole and parsed by the strict parser, and its errors are placed in the file (line
/// and column). A syntax error anywhere throws; a record that is valid JSON but not a contact
/// is returned as `.invalid`, so that `--skip-invalid` can go on past it.
public struct RoloJSONReader<Source: ByteSource> {
    private var source: Source
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var position = 0
    private var filled = 0
    private var sourceEnded = false
    /// Line and column (1-based; a column is a UTF-8 character) of the byte at `position`.
    private var line = 1
    private var column = 1
    /// The record being cut out, reused from one record to the next.
    private var element: [UInt8] = []

    private enum Place {
        case start
        case inArray(Target)             // before the first element or after a comma
        case afterElement(Target)        // after an element: `,` or `]`
        case inObject(first: Bool)       // the top-level object: a key or `}`
        case afterMember                 // `,` or `}`
        case done
    }

    private enum Target { case topLevelContacts, contacts, accounts }

    private var place = Place.start
    private var isObject = false
    private var seenKeys: Set<String> = []

    public init(_ source: Source) {
        self.source = source
        element.reserveCapacity(4096)
    }

    /// The next account or contact, or nil at the end of the document.
    public mutating func next() throws(ImportProblem) -> ImportItem? {
        while true {
            switch place {
            case .done:
                return nil
            case .start:
                try skipByteOrderMark()
                try skipWhitespace()
                guard let byte = try peek() else { throw syntax("the text is empty; expected a JSON value") }
                if byte == UInt8(ascii: "[") {
                    advance()
                    place = .inArray(.topLevelContacts)
                } else if byte == UInt8(ascii: "{") {
                    advance()
                    isObject = true
                    place = .inObject(first: true)
                } else {
                    _ = try cutValue()        // a syntax error there is said as one
                    throw ImportProblem(line: 1, message: RoloJSONReader.notContacts)
                }
            case .inArray(let target):
                try skipWhitespace()
                guard let byte = try peek() else { throw syntax("the text ends inside an array") }
                if byte == UInt8(ascii: "]") {
                    if lastWasComma { throw syntax("expected a value after “,”, found “]” (a trailing comma is not allowed)") }
                    advance()
                    try endArray(target)
                    continue
                }
                lastWasComma = false
                let start = line
                let value = try cutValue()
                place = .afterElement(target)
                switch target {
                case .accounts:
                    return .account(try RoloJSON.account(from: value, line: start))
                case .contacts, .topLevelContacts:
                    do throws(ImportProblem) {
                        var unknown: [String] = []
                        let incoming = try RoloJSON.contact(from: value, line: start, unknown: &unknown)
                        let warning = unknown.isEmpty ? nil : ImportProblem(
                            line: start, message: "unknown members kept under extensions.import: " + unknown.joined(separator: ", "))
                        return .contact(incoming, warning: warning)
                    } catch {
                        return .invalid(error)
                    }
                }
            case .afterElement(let target):
                try skipWhitespace()
                guard let byte = try peek() else { throw syntax("the text ends inside an array") }
                advance()
                if byte == UInt8(ascii: ",") {
                    lastWasComma = true
                    place = .inArray(target)
                } else if byte == UInt8(ascii: "]") {
                    try endArray(target)
                } else {
                    retreatForMessage(byte)
                    throw syntax("expected “,” or “]” in the array, found \(describe(byte))")
                }
            case .inObject(let first):
                try skipWhitespace()
                guard let byte = try peek() else { throw syntax("the text ends inside an object") }
                if byte == UInt8(ascii: "}") {
                    if !first { throw syntax("expected a key after “,”, found “}” (a trailing comma is not allowed)") }
                    advance()
                    try finishDocument()
                    continue
                }
                guard byte == UInt8(ascii: "\"") else {
                    throw syntax(first ? "expected a key in double quotes, found \(describe(byte))"
                                       : "expected a key after “,”, found \(describe(byte)) (a trailing comma is not allowed)")
                }
                let (keyLine, keyColumn) = (line, column)
                guard case .string(let key) = try cutValue() else { throw syntax("expected a key in double quotes") }
                if !seenKeys.insert(key).inserted {
                    throw ImportProblem(line: keyLine, message: "not valid JSON: column \(keyColumn): the key “\(key)” appears twice")
                }
                try skipWhitespace()
                guard try peek() == UInt8(ascii: ":") else {
                    throw syntax("expected “:” after the key “\(key)”, found \(describe(try peek()))")
                }
                advance()
                try skipWhitespace()
                try member(key)
            case .afterMember:
                try skipWhitespace()
                guard let byte = try peek() else { throw syntax("the text ends inside an object") }
                advance()
                if byte == UInt8(ascii: ",") {
                    place = .inObject(first: false)
                } else if byte == UInt8(ascii: "}") {
                    try finishDocument()
                } else {
                    retreatForMessage(byte)
                    throw syntax("expected “,” or “}” in the object, found \(describe(byte))")
                }
            }
        }
    }

    private var lastWasComma = false

    static var notContacts: String { "a rolo JSON file is an array of contacts or an object with a \"contacts\" array" }

    /// The value of a member of the top-level object: the two arrays are streamed, the rest read whole.
    private mutating func member(_ key: String) throws(ImportProblem) {
        let isArray = try peek() == UInt8(ascii: "[")
        switch key {
        case "contacts" where isArray, "accounts" where isArray:
            advance()
            lastWasComma = false
            element.removeAll(keepingCapacity: true)
            place = .inArray(key == "contacts" ? .contacts : .accounts)
            return
        default:
            break
        }
        let value = try cutValue()
        place = .afterMember
        switch key {
        case "format":
            if value.stringValue != RoloJSON.formatName {
                throw ImportProblem(line: 1, message: "this is not a rolo contacts document (its \"format\" is \(RoloJSON.describe(value)))")
            }
        case "version":
            if case .number(let version) = value, version > Double(RoloJSON.version) {
                throw ImportProblem(line: 1, message: "written by a newer rolo (version \(JSONValue.format(version))); upgrade rolo to read it")
            }
        case "accounts":
            if value != .null { throw ImportProblem(line: 1, message: "\"accounts\" must be an array") }
        case "contacts":
            throw ImportProblem(line: 1, message: RoloJSONReader.notContacts)
        default:
            break                          // kept by no one, but checked to be JSON
        }
    }

    private mutating func endArray(_ target: Target) throws(ImportProblem) {
        lastWasComma = false
        switch target {
        case .topLevelContacts: try finishDocument()
        case .contacts, .accounts: place = .afterMember
        }
    }

    /// After the top-level value: nothing but white space may follow.
    private mutating func finishDocument() throws(ImportProblem) {
        try skipWhitespace()
        if let byte = try peek() { throw syntax("unexpected \(describe(byte)) after the JSON value") }
        if isObject, !seenKeys.contains("contacts") { throw ImportProblem(line: 1, message: RoloJSONReader.notContacts) }
        place = .done
    }

    // MARK: - Cutting out one value

    /// Copies the value starting here into `element` and parses it. Its errors are placed in
    /// the file: the parser counts lines and columns from the start of the value.
    private mutating func cutValue() throws(ImportProblem) -> JSONValue {
        let (startLine, startColumn) = (line, column)
        element.removeAll(keepingCapacity: true)
        guard let first = try peek() else { throw syntax("the text ends where a value was expected") }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"") {
            var depth = 0
            var inString = false
            var escaped = false
            while let byte = try peek() {
                element.append(byte)
                advance()
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                        inString = false
                        if depth == 0 { break }
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { break }
                default: break
                }
                if depth == 0, !inString { break }
            }
        } else {
            // A number, true, false or null: up to the next delimiter.
            while let byte = try peek(), !RoloJSONReader.isDelimiter(byte) {
                element.append(byte)
                advance()
            }
        }
        if let invalid = RoloJSONReader.firstInvalidUTF8(element) {
            let newlines = element[..<invalid].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw ImportProblem(line: startLine + newlines, message: "the file is not UTF-8 text (save it as UTF-8)")
        }
        do {
            return try JSONValue.parse(bytes: element)
        } catch {
            throw RoloJSONReader.placed(error, line: startLine, column: startColumn)
        }
    }

    /// A parser error ("line 2, column 5: …", counted within the value) as a problem of the file.
    static func placed(_ error: JSONParseError, line: Int, column: Int) -> ImportProblem {
        var message = error.message
        var errorLine = 1, errorColumn = 1
        if message.hasPrefix("line "), let comma = message.firstIndex(of: ","), let colon = message.firstIndex(of: ":") {
            errorLine = Int(message[message.index(message.startIndex, offsetBy: 5)..<comma]) ?? 1
            let columnText = message[message.index(after: comma)..<colon].trimmed
            errorColumn = Int(columnText.dropFirst("column ".count)) ?? 1
            message = String(message[message.index(after: colon)...]).trimmed
        }
        let absoluteColumn = errorLine == 1 ? column + errorColumn - 1 : errorColumn
        return ImportProblem(line: line + errorLine - 1, message: "not valid JSON: column \(absoluteColumn): " + message)
    }

    static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: true
        default: false
        }
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 { index += 1; continue }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch byte {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(byte & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(byte & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(byte & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            minimum = 0
            index += length
        }
        return nil
    }

    // MARK: - Bytes

    private mutating func peek() throws(ImportProblem) -> UInt8? {
        if position < filled { return buffer[position] }
        if sourceEnded { return nil }
        do {
            filled = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        } catch {
            throw ImportProblem(line: line, message: "\(error)")
        }
        position = 0
        if filled == 0 {
            sourceEnded = true
            return nil
        }
        return buffer[0]
    }

    /// Moves past the byte `peek` returned.
    private mutating func advance() {
        let byte = buffer[position]
        position += 1
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    /// Puts the position of a message back on the byte it is about (already passed).
    private mutating func retreatForMessage(_ byte: UInt8) {
        if byte != 0x0A, byte & 0xC0 != 0x80 { column -= 1 }
    }

    private mutating func skipWhitespace() throws(ImportProblem) {
        while let byte = try peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { advance() }
    }

    /// Skips a UTF-8 byte-order mark; refuses a UTF-16 one, which CSV and vCard files may
    /// have but JSON may not (RFC 8259 says JSON is UTF-8).
    private mutating func skipByteOrderMark() throws(ImportProblem) {
        guard try peek() != nil else { return }
        let start = buffer[position..<filled]
        if start.starts(with: [0xFF, 0xFE]) || start.starts(with: [0xFE, 0xFF]) {
            throw ImportProblem(line: 1, message: "the file is UTF-16 (its byte-order mark says so); rolo JSON is UTF-8, "
                + "as JSON is (RFC 8259): save it as UTF-8")
        }
        if start.starts(with: [0xEF, 0xBB, 0xBF]) { position += 3 }
    }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "the end of the text" }
        if byte < 0x20 { return "“U+" + String(byte, radix: 16, uppercase: true) + "”" }
        if byte >= 0x80 { return "a non-ASCII character" }
        return "“" + String(UnicodeScalar(byte)) + "”"
    }

    private func syntax(_ message: String) -> ImportProblem {
        ImportProblem(line: line, message: "not valid JSON: column \(column): " + message)
    }
}
