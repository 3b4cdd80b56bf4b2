import Foundation

/// The type of a custom field. Together the types cover DailyStory's strings, Notifuse's
/// typed slots and iVvy's defined fields (PROVIDERS.md §4.5).
public enum FieldType: String, CaseIterable, Codable, Sendable {
    case text, number, datetime, date, bool, json, select, multiselect

    /// How a value of this type is written, shown next to the field in the edit pane.
    public var formatHint: String {
        switch self {
        case .text: "text"
        case .number: "number, e.g. 42 or 1250.5"
        case .datetime: "yyyy-mm-dd HH:mm:ss (UTC) or RFC 3339"
        case .date: "yyyy-mm-dd"
        case .bool: "yes / no"
        case .json: "JSON object or array"
        case .select: "one of the options"
        case .multiselect: "options, separated by commas"
        }
    }

    /// A value to show, marked as an example, in an empty field that is typed into; nil for
    /// free text and for the types changed by toggling, picking or `$EDITOR`.
    public var example: String? {
        switch self {
        case .number: "42 or 1250.5"
        case .datetime: "2026-11-25 14:30:00"
        case .date: "2026-11-25"
        case .text, .bool, .json, .select, .multiselect: nil
        }
    }
}

/// One choice of a select or multiselect field: the stored value and the label people see.
public struct SelectOption: Sendable, Hashable, Codable {
    public var value: String
    public var label: String

    public init(value: String, label: String? = nil) {
        self.value = value
        self.label = label ?? value
    }
}

extension Array where Element == SelectOption {
    /// The label people chose a stored value by; the value itself when no option has it.
    public func label(of value: String) -> String {
        first { $0.value == value }?.label ?? value
    }
}

/// A typed custom value.
public enum CustomValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case datetime(Timestamp)
    case date(LocalDate)
    case bool(Bool)
    case json(JSONValue)
    case select(String)
    case multiselect([String])

    public var type: FieldType {
        switch self {
        case .text: .text
        case .number: .number
        case .datetime: .datetime
        case .date: .date
        case .bool: .bool
        case .json: .json
        case .select: .select
        case .multiselect: .multiselect
        }
    }

    /// The text stored in the cache and written to CSV; `CustomValue(storedText:type:)` reads it back.
    public var storedText: String {
        switch self {
        case .text(let text), .select(let text): text
        case .number(let number): JSONValue.format(number)
        case .datetime(let instant): instant.rfc3339
        case .date(let day): day.description
        case .bool(let flag): flag ? "true" : "false"
        case .json(let document): document.canonicalText
        case .multiselect(let values): JSONValue.array(values.map(JSONValue.string)).canonicalText
        }
    }

    /// What the panes show and what the edit pane offers for editing; `parse` reads it back.
    public var displayText: String {
        switch self {
        case .datetime(let instant): instant.display
        case .bool(let flag): flag ? "yes" : "no"
        case .multiselect(let values): values.joined(separator: ", ")
        default: storedText
        }
    }

    /// The value as JSON, for `--json` output and rolo's own JSON files.
    public var jsonValue: JSONValue {
        switch self {
        case .number(let number): .number(number)
        case .bool(let flag): .bool(flag)
        case .json(let document): document
        case .multiselect(let values): .array(values.map(JSONValue.string))
        default: .string(storedText)
        }
    }

    /// Reads the cache's stored text back. Nil means the row is damaged.
    public init?(storedText text: String, type: FieldType) {
        switch type {
        case .text: self = .text(text)
        case .select: self = .select(text)
        case .number:
            guard let number = CustomValue.strictNumber(text) else { return nil }
            self = .number(number)
        case .datetime:
            guard let instant = Timestamp(parsing: text) else { return nil }
            self = .datetime(instant)
        case .date:
            guard let day = LocalDate(iso: text) else { return nil }
            self = .date(day)
        case .bool:
            guard let flag = CustomValue.flag(text) else { return nil }
            self = .bool(flag)
        case .json:
            guard let document = try? JSONValue.parse(text), document.isContainer else { return nil }
            self = .json(document)
        case .multiselect:
            guard case .array(let items)? = try? JSONValue.parse(text) else { return nil }
            let values = items.compactMap(\.stringValue)
            guard values.count == items.count else { return nil }
            self = .multiselect(values)
        }
    }

    /// Reads a value a person typed, for a field of the given type.
    ///
    /// Select values match an option's value or label, ignoring case, and are stored as the value.
    public static func parse(_ input: String, as type: FieldType, options: [SelectOption] = []) throws(ValueError) -> CustomValue {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        switch type {
        case .text:
            return .text(input)
        case .number:
            guard let number = strictNumber(text) else {
                throw ValueError("“\(text)” is not a number (write digits with an optional sign, point and exponent, e.g. 42 or -1250.5)")
            }
            // A number is kept as a double: past 15 significant digits what was typed would
            // come back changed (99999999999999999999999 as 1e+23), so it is refused instead.
            guard significantDigits(text) <= 15 else {
                throw ValueError("“\(text)” has more digits than a number field keeps exactly (15 significant digits at most; "
                    + "store it in a text field)")
            }
            return .number(number)
        case .datetime:
            guard let instant = Timestamp(parsing: text) else {
                throw ValueError("“\(text)” is not a date and time (write yyyy-mm-dd HH:mm:ss in UTC, or RFC 3339 like 2023-06-01T09:00:00+02:00)")
            }
            return .datetime(instant)
        case .date:
            guard let day = LocalDate(iso: text) else {
                throw ValueError("“\(text)” is not a date (write yyyy-mm-dd, e.g. 1985-03-17)")
            }
            return .date(day)
        case .bool:
            guard let flag = flag(text) else { throw ValueError("“\(text)” is not yes or no (write yes, no, true or false)") }
            return .bool(flag)
        case .json:
            let document: JSONValue
            do { document = try JSONValue.parse(text) } catch { throw ValueError("is not valid JSON (\(error.message))") }
            guard document.isContainer else { throw ValueError("must be a JSON object or array, not a single value") }
            return .json(document)
        case .select:
            return .select(try matchOption(text, in: options))
        case .multiselect:
            let parts: [String]
            if text.hasPrefix("["), case .array(let items)? = try? JSONValue.parse(text) {
                parts = items.compactMap(\.stringValue)
                guard parts.count == items.count else {
                    throw ValueError("“\(text)” has an item that is not text; write the options as strings, e.g. [\"gold\", \"silver\"]")
                }
            } else {
                parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            var chosen: [String] = []
            for part in parts {
                let value = try matchOption(part, in: options)
                if !chosen.contains(value) { chosen.append(value) }
            }
            return .multiselect(chosen)
        }
    }

    /// Guesses the type of a value typed for a free key (accounts without field definitions).
    /// Conservative on purpose: `01234` and `+1555…` stay text, so nothing typed is ever altered.
    public static func inferred(from input: String) -> CustomValue {
        if let number = strictNumber(input), JSONValue.format(number) == input { return .number(number) }
        if input == "true" || input == "false" { return .bool(input == "true") }
        if let day = LocalDate(iso: input) { return .date(day) }
        // A datetime or JSON document only when its stored form is exactly what was typed: an
        // offset turned into UTC, or JSON re-spaced, would change a provider's text.
        if input.count >= 20, input.contains("T"), let instant = Timestamp(parsing: input), instant.rfc3339 == input {
            return .datetime(instant)
        }
        if input.hasPrefix("{") || input.hasPrefix("["), let document = try? JSONValue.parse(input), document.isContainer,
           document.canonicalText == input {
            return .json(document)
        }
        return .text(input)
    }

    static func matchOption(_ text: String, in options: [SelectOption]) throws(ValueError) -> String {
        if options.isEmpty { return text }
        if let option = options.first(where: { $0.value == text })
            ?? options.first(where: { $0.value.caseInsensitiveCompare(text) == .orderedSame || $0.label.caseInsensitiveCompare(text) == .orderedSame }) {
            return option.value
        }
        let listed = options.prefix(8).map(\.label).joined(separator: ", ") + (options.count > 8 ? ", …" : "")
        throw ValueError("“\(text)” is not one of the options (\(listed))")
    }

    /// A decimal number in plain notation: no hex, no `inf`/`nan`, no thousands separators.
    static func strictNumber(_ text: String) -> Double? {
        var sawDigit = false, sawPoint = false, sawExponent = false, previous: Character = " "
        for (offset, character) in text.enumerated() {
            switch character {
            case "0"..."9": sawDigit = true
            case "+", "-": guard offset == 0 || previous == "e" || previous == "E" else { return nil }
            case ".": guard !sawPoint, !sawExponent else { return nil }; sawPoint = true
            case "e", "E": guard sawDigit, !sawExponent else { return nil }; sawExponent = true
            default: return nil
            }
            previous = character
        }
        guard sawDigit, previous.isNumber || previous == "." else { return nil }
        guard let number = Double(text), number.isFinite else { return nil }
        return number
    }

    /// The digits of a number's mantissa from the first non-zero one to the last non-zero one
    /// ("0.00120" has 2, "1200" has 2, "99999999999999999999999" has 23).
    static func significantDigits(_ text: String) -> Int {
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber)
        let trimmed = mantissa.drop { $0 == "0" }.reversed().drop { $0 == "0" }
        return trimmed.count
    }

    static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "y", "true", "t", "1", "on": true
        case "no", "n", "false", "f", "0", "off": false
        default: nil
        }
    }
}

/// Why a typed value was refused. The caller adds the field's name.
public struct ValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How an account describes one custom field.
public struct FieldDefinition: Sendable, Hashable, Codable {
    public var key: String
    public var label: String
    public var type: FieldType
    public var options: [SelectOption]
    public var isRequired: Bool
    public var isReadOnly: Bool
    /// iVvy "Whole Number" fields refuse fractions.
    public var wholeNumbersOnly: Bool
    /// The longest text the provider stores (Notifuse string slots: 255).
    public var maxLength: Int?
    /// Where the value lives at the provider: a Notifuse slot (`custom_string_1`) or an iVvy `fieldId`.
    public var providerRef: String?

    public init(key: String, label: String? = nil, type: FieldType, options: [SelectOption] = [],
                isRequired: Bool = false, isReadOnly: Bool = false, wholeNumbersOnly: Bool = false,
                maxLength: Int? = nil, providerRef: String? = nil) {
        self.key = key
        self.label = label ?? key
        self.type = type
        self.options = options
        self.isRequired = isRequired
        self.isReadOnly = isReadOnly
        self.wholeNumbersOnly = wholeNumbersOnly
        self.maxLength = maxLength
        self.providerRef = providerRef
    }

    /// Reads a typed value for this field, applying its extra rules.
    public func parse(_ input: String) throws(ValueError) -> CustomValue {
        let value = try CustomValue.parse(input, as: type, options: options)
        try check(value)
        return value
    }

    /// Checks a value that is already typed (from a file or another tool) against this field.
    public func check(_ value: CustomValue) throws(ValueError) {
        if value.type != type {
            throw ValueError("holds \(value.type.rawValue), but the field is \(type.rawValue)")
        }
        if wholeNumbersOnly, case .number(let number) = value, number != number.rounded() {
            throw ValueError("must be a whole number")
        }
        if let maxLength, case .text(let text) = value, text.count > maxLength {
            throw ValueError("is \(text.count) characters long; the most it can hold is \(maxLength)")
        }
        if !options.isEmpty {
            let allowed = Set(options.map(\.value))
            switch value {
            case .select(let chosen) where !allowed.contains(chosen):
                throw ValueError("“\(chosen)” is not one of the options")
            case .multiselect(let chosen):
                if let stray = chosen.first(where: { !allowed.contains($0) }) {
                    throw ValueError("“\(stray)” is not one of the options")
                }
            default: break
            }
        }
    }
}
