import Foundation

/// One stored Notifuse contact: a row of the `contacts` table. A column that is NULL has no
/// entry in `values`, and is left out of every JSON reply (PROVIDERS.md §2.3).
struct NotifuseContact: Sendable {
    enum Value: Sendable, Equatable {
        case string(String)
        case number(Double)
        /// Microseconds since 1970, UTC (Postgres `TIMESTAMPTZ`).
        case datetime(Int64)
        /// An object or an array (Postgres `JSONB`).
        case json(EmulatorJSON)
    }

    var email: String
    var values: [String: Value] = [:]
    /// Microseconds since 1970: Postgres keeps microseconds, and the list cursor carries them.
    var createdAt: Int64
    var updatedAt: Int64

    /// The contact as `contacts.getByEmail` and the store show it.
    func json(contactLists: EmulatorJSON = .array([])) -> EmulatorJSON {
        var object = [String: EmulatorJSON]()
        object["email"] = .string(email)
        for (name, value) in values {
            switch value {
            case .string(let text): object[name] = .string(text)
            case .number(let number): object[name] = .number(number)
            // Notifuse writes custom datetimes with `time.RFC3339`: whole seconds, in UTC.
            case .datetime(let micros): object[name] = .string(UTCTime(microseconds: micros).rfc3339(fraction: false))
            case .json(let json): object[name] = json
            }
        }
        // `created_at` / `updated_at` are Go `time.Time`s: RFC 3339 with nanoseconds, trimmed.
        object["created_at"] = .string(UTCTime(microseconds: createdAt).rfc3339(fraction: true))
        object["updated_at"] = .string(UTCTime(microseconds: updatedAt).rfc3339(fraction: true))
        object["contact_lists"] = contactLists
        object["contact_segments"] = .array([])
        return .object(object)
    }
}

extension NotifuseContact {
    private enum ReplyPart {
        case email, createdAt, updatedAt, contactLists, contactSegments
        case column(Value)
    }

    /// The bytes of `json(contactLists:).serialized(escapeHTML: true)`, written directly:
    /// a 100k pull serialises every contact once, and the general path builds a dictionary
    /// per contact first.
    func writeJSON(into out: inout [UInt8], contactLists: EmulatorJSON) {
        var parts: [(key: String, part: ReplyPart)] = [("email", .email), ("created_at", .createdAt),
                                                       ("updated_at", .updatedAt), ("contact_lists", .contactLists),
                                                       ("contact_segments", .contactSegments)]
        parts.reserveCapacity(values.count + 5)
        for (name, value) in values { parts.append((name, .column(value))) }
        parts.sort { EmulatorJSON.byteOrder($0.key, $1.key) }
        out.append(UInt8(ascii: "{"))
        for (index, entry) in parts.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            EmulatorJSON.writeString(entry.key, into: &out, escapeHTML: true)
            out.append(UInt8(ascii: ":"))
            switch entry.part {
            case .email: EmulatorJSON.writeString(email, into: &out, escapeHTML: true)
            case .createdAt, .updatedAt:
                out.append(UInt8(ascii: "\""))
                if case .createdAt = entry.part {
                    UTCTime(microseconds: createdAt).appendRFC3339(into: &out, fraction: true)
                } else {
                    UTCTime(microseconds: updatedAt).appendRFC3339(into: &out, fraction: true)
                }
                out.append(UInt8(ascii: "\""))
            case .contactLists: contactLists.write(into: &out, escapeHTML: true)
            case .contactSegments: out.append(contentsOf: "[]".utf8)
            case .column(.string(let text)): EmulatorJSON.writeString(text, into: &out, escapeHTML: true)
            case .column(.number(let number)): out.append(contentsOf: EmulatorJSON.format(number: number).utf8)
            case .column(.datetime(let micros)):
                out.append(UInt8(ascii: "\""))
                UTCTime(microseconds: micros).appendRFC3339(into: &out, fraction: false)
                out.append(UInt8(ascii: "\""))
            case .column(.json(let json)): json.write(into: &out, escapeHTML: true)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// The columns of Notifuse's `contacts` table other than the email, in the order the server
/// checks them (the first bad field is the one named in the error).
enum NotifuseField {
    enum Kind: Equatable {
        case string(maxLength: Int)
        case number
        case datetime
        case json
    }

    static let all: [(name: String, kind: Kind)] = {
        var fields: [(String, Kind)] = [
            ("external_id", .string(maxLength: 255)), ("timezone", .string(maxLength: 50)),
            ("language", .string(maxLength: 50)), ("first_name", .string(maxLength: 255)),
            ("last_name", .string(maxLength: 255)), ("full_name", .string(maxLength: 255)),
            ("phone", .string(maxLength: 50)), ("address_line_1", .string(maxLength: 255)),
            ("address_line_2", .string(maxLength: 255)), ("country", .string(maxLength: 100)),
            ("postcode", .string(maxLength: 20)), ("state", .string(maxLength: 100)),
            ("job_title", .string(maxLength: 255)),
        ]
        for slot in 1...5 { fields.append(("custom_string_\(slot)", .string(maxLength: 255))) }
        for slot in 1...5 { fields.append(("custom_number_\(slot)", .number)) }
        for slot in 1...5 { fields.append(("custom_datetime_\(slot)", .datetime)) }
        for slot in 1...5 { fields.append(("custom_json_\(slot)", .json)) }
        return fields
    }()

    static let emailMaxLength = 255
}

/// A parsed `ContactInput`: the email plus, per field, `nil` for an explicit JSON `null`
/// and a value to set. Fields the input did not mention are not in `changes`.
struct NotifuseContactInput: Sendable {
    var email: String
    var changes: [String: NotifuseContact.Value?]

    /// Reads a contact the way Notifuse's `FromJSON` does: the email is normalised and must
    /// be valid; each field must have its JSON type; strings are trimmed of Unicode spaces;
    /// `created_at`, `updated_at`, `lifetime_value`, `orders_count`, `last_order_at` and any
    /// unknown key are ignored. The error text is the server's.
    static func parse(_ json: EmulatorJSON) -> Result<NotifuseContactInput, NotifuseInputError> {
        // gjson's `.String()` of a missing or null email is "", of a number its digits.
        let rawEmail: String
        switch json["email"] {
        case .string(let text)?: rawEmail = text
        case .number(let number)?: rawEmail = EmulatorJSON.format(number: number)
        case .bool(let flag)?: rawEmail = flag ? "true" : "false"
        case .array?, .object?: rawEmail = json["email"]!.serializedString()
        case .null?, nil: rawEmail = ""
        }
        let email = NotifuseText.normalizeEmail(rawEmail)
        if email.isEmpty { return .failure(NotifuseInputError("email is required")) }
        if !NotifuseText.isEmail(email) { return .failure(NotifuseInputError("invalid email format")) }

        var changes = [String: NotifuseContact.Value?]()
        for (name, kind) in NotifuseField.all {
            guard let value = json[name] else { continue }
            if value == .null { changes[name] = .some(nil); continue }
            switch kind {
            case .string:
                guard case .string(let text) = value else {
                    return .failure(NotifuseInputError("invalid type for \(name): expected string, got \(gjsonType(value))"))
                }
                changes[name] = .string(NotifuseText.trimUnicodeSpace(text))
            case .number:
                guard case .number(let number) = value else {
                    return .failure(NotifuseInputError("invalid type for \(name): expected number, got \(gjsonType(value))"))
                }
                changes[name] = .number(number)
            case .datetime:
                guard case .string(let text) = value else {
                    return .failure(NotifuseInputError("invalid type for \(name): expected string, got \(gjsonType(value))"))
                }
                switch TimestampParsing.goRFC3339(text) {
                case .success(let micros): changes[name] = .datetime(micros)
                case .failure(let failure):
                    return .failure(NotifuseInputError("invalid time format for \(name): \(failure.message)"))
                }
            case .json:
                switch value {
                case .object, .array: changes[name] = .json(value)
                default:
                    return .failure(NotifuseInputError("invalid JSON value for \(name), got \(gjsonType(value))"))
                }
            }
        }
        return .success(NotifuseContactInput(email: email, changes: changes))
    }

    /// The names gjson gives JSON kinds in Notifuse's messages.
    static func gjsonType(_ value: EmulatorJSON) -> String {
        switch value {
        case .null: "Null"
        case .bool(let flag): flag ? "True" : "False"
        case .number: "Number"
        case .string: "String"
        case .array, .object: "JSON"
        }
    }

    /// The database's objection to a row, with lib/pq's wording, or nil. Postgres counts
    /// `VARCHAR(n)` in characters and refuses the NUL character in text.
    func databaseError() -> String? {
        if email.unicodeScalars.count > NotifuseField.emailMaxLength {
            return "pq: value too long for type character varying(\(NotifuseField.emailMaxLength))"
        }
        if email.unicodeScalars.contains("\u{0}") { return "pq: invalid byte sequence for encoding \"UTF8\": 0x00" }
        for (name, kind) in NotifuseField.all {
            guard case .string(let limit) = kind, case .string(let text)?? = changes[name] else { continue }
            if text.unicodeScalars.contains("\u{0}") { return "pq: invalid byte sequence for encoding \"UTF8\": 0x00" }
            if text.unicodeScalars.count > limit { return "pq: value too long for type character varying(\(limit))" }
        }
        return nil
    }
}

struct NotifuseInputError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Text rules of Notifuse's Go code.
enum NotifuseText {
    /// Go's `unicode.IsSpace`: ASCII white space, U+0085, U+00A0 and the Unicode separators
    /// (so a pasted no-break space is trimmed, a zero-width space is not).
    static func isGoSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    static func trimUnicodeSpace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isGoSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isGoSpace($0) })!
        return String(scalars[first...last])
    }

    /// `strings.ToLower(trimUnicodeSpace(email))`, applied on every write and lookup.
    static func normalizeEmail(_ email: String) -> String {
        trimUnicodeSpace(email).lowercased()
    }

    /// The grammar of govalidator's `IsEmail`, which Notifuse uses: a dot-atom or quoted
    /// local part; a domain of at least two labels whose last label starts and ends with a
    /// letter. Letters include most of the Basic Multilingual Plane above U+00A0, but no
    /// characters beyond it (an emoji makes an address invalid).
    static func isEmail(_ text: String) -> Bool {
        guard let at = text.unicodeScalars.lastIndex(of: "@") else { return false }
        let local = text.unicodeScalars[..<at]
        var domain = text.unicodeScalars[text.unicodeScalars.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else { return false }
        if !isDotAtom(local) && !isQuoted(local) { return false }
        if domain.last == "." { domain = domain.dropLast() }
        // Some '.' must split the domain into labels and a final label (the TLD).
        var index = domain.startIndex
        while let dot = domain[index...].firstIndex(of: ".") {
            if isLabelRun(domain[..<dot], lastMayBeDigit: true),
               isLabelRun(domain[domain.index(after: dot)...], lastMayBeDigit: false) {
                return true
            }
            index = domain.index(after: dot)
        }
        return false
    }

    private static func isWideLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0xA0...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFEF: true
        default: false
        }
    }

    private static func isAlnum(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar))
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar))
    }

    private static func isDotAtom(_ local: Substring.UnicodeScalarView) -> Bool {
        let atext = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)
        var previousWasDot = true
        for scalar in local {
            if scalar == "." {
                if previousWasDot { return false }
                previousWasDot = true
            } else if isAlnum(scalar) || atext.contains(scalar) || isWideLetter(scalar) {
                previousWasDot = false
            } else {
                return false
            }
        }
        return !previousWasDot
    }

    private static func isQuoted(_ local: Substring.UnicodeScalarView) -> Bool {
        guard local.count >= 2, local.first == "\"", local.last == "\"" else { return false }
        var escaped = false
        for scalar in local.dropFirst().dropLast() {
            if escaped { escaped = false; continue }
            if scalar == "\\" { escaped = true; continue }
            if scalar == "\"" || scalar == "\r" || scalar == "\n" { return false }
            if !(scalar.value < 0x80 || isWideLetter(scalar)) { return false }
        }
        return !escaped
    }

    /// One or more labels joined by dots, as the regular expression allows them: starts and
    /// ends with a letter (or, except for the TLD's last character, a digit); `-`, `.`, `~`
    /// and `_` in between.
    private static func isLabelRun(_ run: Substring.UnicodeScalarView, lastMayBeDigit: Bool) -> Bool {
        guard let first = run.first, let last = run.last else { return false }
        let edgeOK: (Unicode.Scalar, Bool) -> Bool = { scalar, digitAllowed in
            (digitAllowed ? isAlnum(scalar) : isLetter(scalar)) || isWideLetter(scalar)
        }
        guard edgeOK(first, lastMayBeDigit), edgeOK(last, lastMayBeDigit) else { return false }
        return run.allSatisfy { isAlnum($0) || isWideLetter($0) || "-.~_".unicodeScalars.contains($0) }
    }

    /// Postgres `ILIKE '%' || term || '%'`: the term's own `%` and `_` are wildcards too
    /// (Notifuse does not escape them), `\` escapes the next character.
    static func ilikeContains(_ value: String, _ term: String) -> Bool {
        let pattern = Array(("%" + term + "%").lowercased().unicodeScalars)
        let text = Array(value.lowercased().unicodeScalars)
        return likeMatch(text[...], pattern[...])
    }

    private static func likeMatch(_ text: ArraySlice<Unicode.Scalar>, _ pattern: ArraySlice<Unicode.Scalar>) -> Bool {
        var t = text.startIndex, p = pattern.startIndex
        var starP: Int? = nil, starT = 0
        while t < text.endIndex {
            if p < pattern.endIndex {
                let token = pattern[p]
                if token == "%" { starP = p; starT = t; p += 1; continue }
                if token == "_" { t += 1; p += 1; continue }
                if token == "\\", p + 1 < pattern.endIndex {
                    if pattern[p + 1] == text[t] { t += 1; p += 2; continue }
                } else if token == text[t] {
                    t += 1; p += 1; continue
                }
            }
            guard let star = starP else { return false }
            p = star + 1
            starT += 1
            t = starT
        }
        while p < pattern.endIndex, pattern[p] == "%" { p += 1 }
        return p == pattern.endIndex
    }
}
