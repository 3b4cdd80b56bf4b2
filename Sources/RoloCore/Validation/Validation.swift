import Foundation

/// One problem found in a contact or an edit, naming the field it is about.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: Sendable, Hashable { case error, warning }

    public let field: String
    public let message: String
    public let severity: Severity

    public init(field: String, message: String, severity: Severity = .error) {
        self.field = field
        self.message = message
        self.severity = severity
    }

    public var description: String { "\(field): \(message)" }
}

/// Errors found while validating, thrown as one error so callers can print every issue at once.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public let issues: [ValidationIssue]
    public init(_ issues: [ValidationIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Checks and normalises what people type, field by field, and whole contacts against an
/// account's rules. Every message names the field and says what would be accepted.
public enum Validator {
    /// Normalises a standard field's input. Returns nil for empty input (which clears the field).
    public static func normalise(_ input: String, for field: StandardField) throws(ValueError) -> String? {
        let text = trimmingWhitespace(input)
        if text.isEmpty { return nil }
        // Notes may hold line breaks and tabs; no field may hold other control characters.
        let allowed: Set<Unicode.Scalar> = field == .notes ? ["\n", "\r", "\t"] : []
        if let bad = text.unicodeScalars.first(where: { isControl($0) && !allowed.contains($0) }) {
            throw ValueError("contains a control character (U+\(String(format: "%04X", bad.value))); type it without one")
        }
        switch field.kind {
        case .text:
            return field == .notes ? input.trimmingCharacters(in: .whitespacesAndNewlines) : text
        case .email:
            try checkEmail(text)
            return text
        case .phone:
            return try normalisePhone(text)
        case .url:
            try checkURL(text)
            return text
        case .timezone:
            guard TimeZone(identifier: text) != nil else {
                throw ValueError("“\(text)” is not a time zone name (write an IANA name such as America/New_York or UTC)")
            }
            return text
        case .language:
            guard isLanguageTag(text) else {
                throw ValueError("“\(text)” is not a language tag (write e.g. en, en-US or pt-BR)")
            }
            return text
        case .flag:
            guard let flag = CustomValue.flag(text) else { throw ValueError("“\(text)” is not yes or no") }
            return flag ? "true" : "false"
        }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without Foundation's work when the text
    /// starts and ends with printable ASCII (nearly always: an import checks every field).
    static func trimmingWhitespace(_ text: String) -> String {
        let bytes = text.utf8
        if let first = bytes.first, let last = bytes.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A pragmatic address check: one `@`, a non-empty local part, a dotted domain, no spaces.
    /// International (Unicode) local parts and domains are accepted.
    public static func checkEmail(_ text: String) throws(ValueError) {
        if isPlainValidEmail(text) { return }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ValueError("“\(text)” is not an email address (it needs exactly one @, as in name@example.com)")
        }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64 else {
            throw ValueError("“\(text)” is not an email address (the part before @ is empty or longer than 64 bytes)")
        }
        guard text.utf8.count <= 254 else { throw ValueError("is longer than 254 bytes, the most an address can have") }
        // Printable ASCII without spaces has no white space, control or format character to look for.
        let plain = text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        guard plain || !text.contains(where: { $0.isWhitespace }), plain || !text.unicodeScalars.contains(where: isControl) else {
            throw ValueError("“\(text)” is not an email address (it contains a space or a control character)")
        }
        if !plain, let hidden = text.unicodeScalars.first(where: { $0.properties.generalCategory == .format }) {
            throw ValueError("“\(TerminalText.sanitize(text))” is not an email address (it holds an invisible character, U+\(String(format: "%04X", hidden.value)))")
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw ValueError("“\(text)” is not an email address (dots cannot start, end or repeat before the @)")
        }
        let forbiddenInLocal: Set<Character> = ["(", ")", ",", ":", ";", "<", ">", "[", "]", "\\", "\""]
        guard !local.contains(where: forbiddenInLocal.contains) else {
            throw ValueError("“\(text)” is not an email address (the part before @ has a character like , ; < > or \")")
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }),
              labels.allSatisfy({ label in label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }),
              labels.allSatisfy({ !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
              let top = labels.last, top.count >= 2, !top.allSatisfy(\.isNumber) else {
            throw ValueError("“\(text)” is not an email address (the domain after @ should look like example.com)")
        }
    }

    /// True when `text` is printable ASCII and passes every check of `checkEmail`, judged on
    /// its bytes (an import checks every address; the checks on characters cost more than the
    /// rest of the contact). False says nothing: `checkEmail` then looks with its own rules.
    static func isPlainValidEmail(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.count <= 254, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
                  let at = bytes.firstIndex(of: UInt8(ascii: "@")), !bytes[(at + 1)...].contains(UInt8(ascii: "@")) else { return false }
            let local = bytes[..<at], domain = bytes[(at + 1)...]
            let dot = UInt8(ascii: ".")
            guard !local.isEmpty, local.count <= 64, local.first != dot, local.last != dot else { return false }
            var previous: UInt8 = 0
            for byte in local {
                if byte == dot, previous == dot { return false }
                if "(),:;<>[]\\\"".utf8.contains(byte) { return false }
                previous = byte
            }
            var labels = 0
            var start = domain.startIndex
            for end in domain.indices + [domain.endIndex] where end == domain.endIndex || domain[end] == dot {
                let label = domain[start..<end]
                guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                      label.allSatisfy({ isASCIILetterOrDigit($0) || $0 == UInt8(ascii: "-") }) else { return false }
                labels += 1
                if end == domain.endIndex {
                    // The top-level label: two characters at least, not all digits.
                    guard label.count >= 2, !label.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
                }
                start = end == domain.endIndex ? end : domain.index(after: end)
            }
            return labels >= 2
        } ?? false
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    /// E.164 after removing spaces, dashes, dots and brackets; a leading `00` counts as `+`.
    /// In an international number a bracketed 0 (`+44 (0)20 7946 0958`, as British, German and
    /// Swiss address books write them) is the trunk prefix, dialled only from inside the
    /// country: it is left out, or the number stored would be one that does not exist.
    /// A `tel:` URI (`tel:+1-212-555-0100`, as vCard 4.0 and some CSV exports write numbers)
    /// is its number.
    public static func normalisePhone(_ text: String) throws(ValueError) -> String {
        if let plain = plainPhone(text) { return plain }
        let number = text.trimmed.lowercased().hasPrefix("tel:") ? String(text.trimmed.dropFirst(4)) : text
        var compact = withoutTrunkPrefix(number).filter { !" -.()/\u{00A0}".contains($0) }
        if compact.hasPrefix("00") { compact = "+" + compact.dropFirst(2) }
        // Words are not a number without a country code: `hello` is no phone number at all
        // (1-800-FLOWERS is: its letters are on the keypad).
        if !compact.hasPrefix("+"), !compact.contains(where: { $0.isASCII && $0.isNumber }) {
            throw ValueError("“\(text)” is not a phone number (write it in international form, e.g. +15557140059)")
        }
        guard compact.hasPrefix("+") else {
            throw ValueError("“\(text)” has no country code (write it in international form, e.g. +15557140059 or +44 20 7946 0958)")
        }
        let digits = compact.dropFirst()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ValueError("“\(text)” is not a phone number (only digits, spaces, dashes, dots and brackets may follow +)")
        }
        guard (7...15).contains(digits.count), digits.first != "0" else {
            throw ValueError("“\(text)” is not an E.164 number (a country code without 0, then 7 to 15 digits in all)")
        }
        return compact
    }

    /// `normalisePhone` of printable ASCII text that it accepts, worked out on bytes; nil when
    /// the text is not such (`normalisePhone` then decides, and says why not).
    static func plainPhone(_ text: String) -> String? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            var compact: [UInt8] = []
            compact.reserveCapacity(bytes.count)
            // A `(0)` is the trunk prefix only in an international number: the general path decides.
            var bracketedZero = false
            var previous: UInt8 = 0
            for byte in bytes {
                guard byte >= 0x20, byte < 0x7F else { return nil }
                if byte == 0x30, previous == 0x28 { bracketedZero = true }
                if byte != 0x20 { previous = byte }
                if " -.()/".utf8.contains(byte) { continue }
                compact.append(byte)
            }
            if bracketedZero { return nil }
            if compact.starts(with: [0x30, 0x30]) { compact.replaceSubrange(0..<2, with: [UInt8(ascii: "+")]) }
            guard compact.first == UInt8(ascii: "+") else { return nil }
            let digits = compact.dropFirst()
            guard (7...15).contains(digits.count), digits.first != 0x30, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return String(decoding: compact, as: UTF8.self)
        } ?? nil
    }

    /// `text` without the bracketed zeros of an international number (see `normalisePhone`),
    /// spaces inside the brackets included; other text as it is.
    static func withoutTrunkPrefix(_ text: String) -> String {
        let squeezed = text.filter { $0 != " " && $0 != "\u{00A0}" }
        guard squeezed.hasPrefix("+") || squeezed.hasPrefix("00"), squeezed.contains("(0)") else { return text }
        return squeezed.replacingOccurrences(of: "(0)", with: "")
    }

    public static func checkURL(_ text: String) throws(ValueError) {
        let candidate = text.contains("://") ? text : "https://" + text
        guard let url = URL(string: candidate), let host = url.host, host.contains("."),
              ["http", "https"].contains(url.scheme?.lowercased() ?? ""), !text.contains(where: \.isWhitespace) else {
            throw ValueError("“\(text)” is not a web address (write e.g. https://example.com or example.com)")
        }
    }

    /// A BCP 47 shape check: a 2–3 letter language, then optional 2–8 character subtags.
    public static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }

    /// Custom keys: not empty, at most 64 characters, none of `=`, `:`, whitespace or control
    /// characters (they would break `key=value` and `key:term`). Anything beyond lowercase
    /// letters, digits and `_` is accepted with a warning, because providers' personalisation
    /// tags may not work with it.
    public static func checkCustomKey(_ key: String) -> [ValidationIssue] {
        // Lowercase letters, digits and _ (nearly every key): nothing to say, unless the key is
        // a standard field's name.
        if key.utf8.count <= 64, !key.isEmpty,
           key.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }),
           StandardField(named: key) == nil {
            return []
        }
        let field = "custom.\(key)"
        if key.isEmpty { return [ValidationIssue(field: "custom key", message: "is empty")] }
        if key.count > 64 { return [ValidationIssue(field: field, message: "is longer than 64 characters")] }
        if key.contains(where: { $0 == "=" || $0 == ":" || $0.isWhitespace }) || key.unicodeScalars.contains(where: isControl) {
            return [ValidationIssue(field: field, message: "must not contain =, :, spaces or control characters")]
        }
        var issues: [ValidationIssue] = []
        if !key.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) {
            issues.append(ValidationIssue(
                field: field, message: "is accepted, but keys of lowercase letters, digits and _ work best with providers",
                severity: .warning))
        }
        if StandardField(named: key) != nil {
            issues.append(ValidationIssue(
                field: field, message: "has the name of a standard field; write it as custom.\(key) in commands and queries",
                severity: .warning))
        }
        return issues
    }

    /// Checks a whole contact against its account — required fields, every standard value,
    /// every custom value against its definition or the account's key rules — and returns it
    /// with standard values normalised (phones in E.164, flags as true/false).
    public static func check(_ contact: Contact, rules: ProviderRules, definitions: [FieldDefinition],
                             isNew: Bool) -> (contact: Contact, issues: [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        var normalised = contact
        for field in contact.fields.keys.sorted() {
            do {
                var value = try normalise(contact.fields[field]!, for: field)
                if let text = value, let choices = rules.valueChoices[field] { value = try choices.checked(text, isNew: isNew) }
                normalised[field] = value
            } catch {
                issues.append(ValidationIssue(field: field.key, message: error.message))
            }
        }
        if isNew, let missing = rules.missingRequired(in: normalised.fields) {
            let field = rules.requiredForCreate.first { choice in choice.allSatisfy { normalised[$0] == nil } }?
                .map(\.key).joined(separator: "/") ?? "fields"
            issues.append(ValidationIssue(field: field, message: missing))
        }
        issues += checkCustomValues(contact.custom, rules: rules, definitions: definitions)
        for kind in OtherValueKind.allCases {
            let (values, found) = normaliseOthers(contact[others: kind], kind: kind)
            normalised[others: kind] = values
            issues += found
        }
        issues += checkExtensions(contact.extensions)
        for definition in definitions where definition.isRequired && contact.custom[definition.key] == nil {
            issues.append(ValidationIssue(field: "custom.\(definition.key)", message: "is required by the account"))
        }
        return (normalised, issues)
    }

    /// Further emails or phones checked as their standard field is (an email's form, a phone
    /// in E.164), labels in rolo's spelling without control characters; empty values dropped.
    /// Issues name the value as files do (`email_2`, `phone_3`, `phone_3_label`), counted in
    /// the order given, so that a message points at the column or property it came from.
    public static func normaliseOthers(_ values: [LabelledValue], kind: OtherValueKind)
        -> (values: [LabelledValue], issues: [ValidationIssue]) {
        var result: [LabelledValue] = []
        var issues: [ValidationIssue] = []
        for (index, other) in values.enumerated() {
            let name = kind.name(at: index)
            var checked = other
            do {
                guard let value = try normalise(other.value, for: kind.standardField) else { continue }
                checked.value = value
            } catch {
                issues.append(ValidationIssue(field: name, message: error.message))
            }
            let label = trimmingWhitespace(other.label)
            if let bad = label.unicodeScalars.first(where: isControl) {
                issues.append(ValidationIssue(
                    field: name + "_label", message: "contains a control character (U+\(String(format: "%04X", bad.value))); type it without one"))
            } else if label.count > maxLabelLength {
                issues.append(ValidationIssue(field: name + "_label", message: "is longer than \(maxLabelLength) characters"))
            } else {
                checked.label = ValueLabel.normalised(label)
            }
            result.append(checked)
        }
        return (result, issues)
    }

    /// The longest label a further email or phone may have.
    public static let maxLabelLength = 64

    /// Custom values against the account's definitions or key rules.
    public static func checkCustomValues(_ values: [String: CustomValue], rules: ProviderRules,
                                         definitions: [FieldDefinition]) -> [ValidationIssue] {
        let byKey = Dictionary(definitions.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var issues: [ValidationIssue] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            do throws(ValueError) { try checkControlCharacters(in: value) } catch {
                issues.append(ValidationIssue(field: "custom.\(key)", message: error.message))
                continue
            }
            if let definition = byKey[key] {
                do { try definition.check(value) } catch {
                    issues.append(ValidationIssue(field: "custom.\(key)", message: error.message))
                }
                continue
            }
            switch rules.customFields {
            case .anyKeyTypedByValue:
                issues += checkCustomKey(key)
            case .anyKeyAsText:
                issues += checkCustomKey(key)
                if value.type != .text {
                    issues.append(ValidationIssue(field: "custom.\(key)", message: "\(rules.providerName) stores custom values as text"))
                }
            case .fixedSlots:
                issues.append(ValidationIssue(
                    field: "custom.\(key)",
                    message: "is not a field of this \(rules.providerName) account; add it first so it gets a slot"))
            case .definedByProvider:
                issues.append(ValidationIssue(
                    field: "custom.\(key)", message: "is not one of the custom fields \(rules.providerName) defines for this account"))
            }
        }
        return issues
    }

    /// Custom values follow the standard fields' rule: no control characters, except tabs and
    /// line breaks in free text — a text value or the strings of a JSON document — as in notes.
    /// (Values a provider sends are stored as they are; this is for what people type and import.)
    public static func checkControlCharacters(in value: CustomValue) throws(ValueError) {
        let layout: Set<Unicode.Scalar> = ["\n", "\r", "\t"]
        func check(_ text: String, allowing allowed: Set<Unicode.Scalar>) throws(ValueError) {
            if let bad = text.unicodeScalars.first(where: { isControl($0) && !allowed.contains($0) }) {
                throw ValueError("contains a control character (U+\(String(format: "%04X", bad.value))); type it without one")
            }
        }
        func check(_ document: JSONValue) throws(ValueError) {
            switch document {
            case .string(let text): try check(text, allowing: layout)
            case .array(let items): for item in items { try check(item) }
            case .object(let members):
                for (key, member) in members {
                    try check(key, allowing: [])
                    try check(member)
                }
            case .number, .bool, .null: break
            }
        }
        switch value {
        case .text(let text): try check(text, allowing: layout)
        case .select(let chosen): try check(chosen, allowing: [])
        case .multiselect(let chosen): for item in chosen { try check(item, allowing: []) }
        case .json(let document): try check(document)
        case .number, .datetime, .date, .bool: break
        }
    }

    /// Provider data read from a file (`extensions`) under the same rule as a JSON custom value.
    public static func checkExtensions(_ extensions: [String: JSONValue]) -> [ValidationIssue] {
        extensions.keys.sorted().compactMap { key in
            do throws(ValueError) {
                try checkControlCharacters(in: .json(.object([key: extensions[key]!])))
                return nil
            } catch {
                return ValidationIssue(field: "extensions.\(TerminalText.sanitize(key))", message: error.message)
            }
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
