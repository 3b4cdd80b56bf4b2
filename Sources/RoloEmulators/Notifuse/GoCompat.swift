import Foundation

/// The few behaviours of Go's standard library that show through Notifuse's replies: how
/// `encoding/json` fills a struct, how `strconv` reads query numbers, how `encoding/base64`
/// reads a cursor. Reproduced so a client meets the same refusals as with the real server.
enum GoJSON {
    static func firstValue(_ body: Data) -> EmulatorJSON? { EmulatorJSON.firstValue(in: body) }

    /// Unmarshalling into a struct accepts an object, or `null` (which leaves it empty).
    static func asStruct(_ value: EmulatorJSON) -> [String: EmulatorJSON]? {
        switch value {
        case .object(let members): members
        case .null: [:]
        default: nil
        }
    }

    /// A struct field: Go matches the key exactly or, failing that, case-insensitively.
    static func field(_ object: [String: EmulatorJSON], _ name: String) -> EmulatorJSON? {
        if let value = object[name] { return value }
        return object.first(where: { $0.key.caseInsensitiveCompare(name) == .orderedSame })?.value
    }

    /// A `string` field: absent or `null` is "", another JSON kind fails the whole body.
    static func stringField(_ object: [String: EmulatorJSON], _ name: String) -> String? {
        switch field(object, name) {
        case nil, .null?: ""
        case .string(let text)?: text
        default: nil
        }
    }

    /// A `[]string` field: absent, `null` or an array of strings.
    static func isStringArrayOrNull(_ value: EmulatorJSON?) -> Bool {
        switch value {
        case nil, .null?: true
        case .array(let items)?: items.allSatisfy { $0.stringValue != nil || $0 == .null }
        default: false
        }
    }
}

enum GoStrconv {
    /// `strconv.Atoi`, with its error text.
    static func atoi(_ text: String) -> Result<Int, Refusal> {
        let quoted = TimestampParsing.goQuote(text)
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(Refusal("strconv.Atoi: parsing \(quoted): invalid syntax"))
        }
        guard let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) else {
            return .failure(Refusal("strconv.Atoi: parsing \(quoted): value out of range"))
        }
        return .success(value)
    }

    /// `strconv.ParseBool`.
    static func parseBool(_ text: String) -> Result<Bool, Refusal> {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": .success(true)
        case "0", "f", "F", "FALSE", "false", "False": .success(false)
        default: .failure(Refusal("strconv.ParseBool: parsing \(TimestampParsing.goQuote(text)): invalid syntax"))
        }
    }
}

enum GoBase64 {
    private static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `base64.StdEncoding.DecodeString`: standard alphabet, padding required, line breaks
    /// ignored. A cursor sent with an unencoded `+` arrives with a space and fails here.
    static func decodeStandard(_ text: String) -> Data? {
        let bytes = Array(text.utf8).filter { $0 != 0x0A && $0 != 0x0D }
        guard bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix(while: { $0 == UInt8(ascii: "=") }).count
        guard padding <= 2, bytes.dropLast(padding).allSatisfy(alphabet.contains) else { return nil }
        return Data(base64Encoded: Data(bytes))
    }

    /// Where Go's decoder would stop: the first byte outside the alphabet, else the end.
    static func firstBadByte(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        return bytes.firstIndex(where: { !alphabet.contains($0) && $0 != UInt8(ascii: "=") }) ?? bytes.count
    }
}
