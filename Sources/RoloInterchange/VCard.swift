import Foundation
import RoloCore

/// vCard 3.0 (RFC 2426) and 4.0 (RFC 6350), read leniently (2.1 too, as old phones write it)
/// and written strictly.
///
/// Standard properties map to rolo's fields; custom values travel as
/// `X-ROLO-CUSTOM;X-KEY=plan;X-TYPE=select:gold`, fields vCard has no property for as
/// `X-ROLO-FIELD`, provider data as `X-ROLO-EXTENSION`. Every other property — a second
/// email, BDAY, PHOTO, X-ABLabel, anything unknown — is kept verbatim and written back, so a
/// round trip through rolo loses nothing.
enum VCardFormat {
    /// One unfolded content line: `group.NAME;param=value:value`.
    struct Property {
        let line: Int
        let raw: String
        let group: String?
        let name: String
        let parameters: [(name: String, values: [String])]
        let value: String

        func parameter(_ wanted: String) -> [String] {
            parameters.filter { $0.name == wanted }.flatMap(\.values)
        }

        /// TYPE values, lowercased (`TYPE=cell,voice`, `type=HOME`, 2.1's bare `CELL`).
        var types: Set<String> { Set(parameter("TYPE").map { $0.lowercased() }) }

        var isPreferred: Bool {
            types.contains("pref") || parameter("PREF").contains { $0 == "1" }
        }
    }

    // MARK: - Reading

    static func read(_ text: String, skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        var result = ReadResult()
        var card: [Property] = []
        var cardLine: Int?
        for property in try contentLines(text) {
            switch (property.name, property.value.uppercased()) {
            case ("BEGIN", "VCARD"):
                if let open = cardLine {
                    throw ImportProblem(line: open, message: "BEGIN:VCARD here has no END:VCARD before the next BEGIN:VCARD")
                }
                cardLine = property.line
                card = []
            case ("END", "VCARD"):
                guard let start = cardLine else { throw ImportProblem(line: property.line, message: "END:VCARD without BEGIN:VCARD") }
                do throws(ImportProblem) {
                    result.contacts.append(try contact(from: card, line: start))
                } catch {
                    if !skipInvalid { throw error }
                    result.skipped.append(error)
                }
                cardLine = nil
            default:
                guard cardLine != nil else {
                    throw ImportProblem(line: property.line, message: "text outside a vCard (expected BEGIN:VCARD)")
                }
                card.append(property)
            }
        }
        if let open = cardLine {
            throw ImportProblem(line: open, message: "BEGIN:VCARD here has no END:VCARD")
        }
        return result
    }

    /// Splits the text into unfolded content lines, each with the line it started on.
    static func contentLines(_ text: String) throws(ImportProblem) -> [Property] {
        var physical: [Substring] = []
        text.enumerateLinesKeepingEmpty { physical.append($0) }
        var logical: [(line: Int, text: String)] = []
        var index = 0
        while index < physical.count {
            let number = index + 1
            var line = String(physical[index])
            index += 1
            // Folded lines continue with one space or tab (RFC 6350 §3.2). Looked at as scalars:
            // a fold before a combining mark makes "space + mark" a single Character.
            while index < physical.count, let first = physical[index].unicodeScalars.first, first == " " || first == "\t" {
                line += String(String.UnicodeScalarView(physical[index].unicodeScalars.dropFirst()))
                index += 1
            }
            // vCard 2.1 quoted-printable: a line ending in "=" continues on the next one.
            if line.uppercased().contains("QUOTED-PRINTABLE") {
                while line.hasSuffix("="), index < physical.count {
                    line.removeLast()
                    line += physical[index]
                    index += 1
                }
            }
            if line.trimmed.isEmpty { continue }
            logical.append((number, line))
        }
        return try logical.map { item throws(ImportProblem) in try parse(item.text, line: item.line) }
    }

    static func parse(_ text: String, line: Int) throws(ImportProblem) -> Property {
        // The value starts at the first colon outside a quoted parameter value.
        var inQuotes = false
        var colon: String.Index?
        for index in text.indices {
            let character = text[index]
            if character == "\"" { inQuotes.toggle() }
            if character == ":" && !inQuotes { colon = index; break }
        }
        guard let colon else {
            throw ImportProblem(line: line, message: "a vCard line needs NAME:value (“\(String(text.prefix(40)))”)")
        }
        let head = String(text[..<colon])
        var value = String(text[text.index(after: colon)...])
        let pieces = splitOutsideQuotes(head, on: ";")
        guard let first = pieces.first, !first.isEmpty else {
            throw ImportProblem(line: line, message: "a vCard line has no property name")
        }
        var name = first
        var group: String?
        if let dot = name.lastIndex(of: ".") {
            group = String(name[..<dot])
            name = String(name[name.index(after: dot)...])
        }
        var parameters: [(String, [String])] = []
        for piece in pieces.dropFirst() where !piece.isEmpty {
            if let equals = piece.firstIndex(of: "=") {
                let key = String(piece[..<equals]).uppercased()
                let values = splitOutsideQuotes(String(piece[piece.index(after: equals)...]), on: ",")
                    .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                parameters.append((key, values))
            } else {
                // vCard 2.1 writes bare types: TEL;CELL;VOICE:…
                let upper = piece.uppercased()
                if upper == "QUOTED-PRINTABLE" || upper == "BASE64" {
                    parameters.append(("ENCODING", [upper]))
                } else {
                    parameters.append(("TYPE", [piece]))
                }
            }
        }
        let property = Property(line: line, raw: text, group: group, name: name.uppercased(), parameters: parameters, value: value)
        if property.parameter("ENCODING").contains(where: { $0.uppercased() == "QUOTED-PRINTABLE" }) {
            let latin = property.parameter("CHARSET").contains { $0.uppercased().hasPrefix("ISO-8859") }
            value = quotedPrintable(value, latin1: latin)
            return Property(line: line, raw: text, group: group, name: property.name, parameters: parameters, value: value)
        }
        return property
    }

    static func splitOutsideQuotes(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        for character in text {
            if character == "\"" { inQuotes.toggle() }
            if character == separator && !inQuotes {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    static func quotedPrintable(_ text: String, latin1: Bool) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            if byte == UInt8(ascii: "="), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        if latin1 { return String(bytes.map { Character(Unicode.Scalar($0)) }) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Undoes vCard text escaping: `\n`, `\N`, `\,`, `\;`, `\\`.
    static func unescape(_ text: Substring) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n", "N": out.append("\n")
                default: out.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// Splits a structured or list value on an unescaped separator, then unescapes each part.
    static func components(_ text: String, separator: Character) -> [String] {
        var parts: [Substring] = []
        var start = text.startIndex
        var escaped = false
        for index in text.indices {
            let character = text[index]
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == separator {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
        }
        parts.append(text[start...])
        return parts.map(unescape)
    }

    static func contact(from properties: [Property], line: Int) throws(ImportProblem) -> IncomingContact {
        var contact = Contact(accountID: 0)
        var kept: [String] = []
        guard let version = properties.first(where: { $0.name == "VERSION" }) else {
            throw ImportProblem(line: line, message: "the vCard has no VERSION")
        }
        guard ["2.1", "3.0", "4.0"].contains(version.value.trimmed) else {
            throw ImportProblem(line: version.line, message: "vCard VERSION \(version.value.trimmed) is not supported (2.1, 3.0 or 4.0)")
        }
        func firstPreferred(_ candidates: [Property]) -> Property? {
            candidates.first(where: \.isPreferred) ?? candidates.first
        }
        let emails = properties.filter { $0.name == "EMAIL" }
        let phones = properties.filter { $0.name == "TEL" }
        let mobiles = phones.filter { !$0.types.isDisjoint(with: ["cell", "mobile", "iphone"]) }
        let others = phones.filter { $0.types.isDisjoint(with: ["cell", "mobile", "iphone", "fax"]) }
        let usedEmail = firstPreferred(emails)
        let usedMobile = firstPreferred(mobiles)
        let usedPhone = firstPreferred(others)
        let usedAddress = firstPreferred(properties.filter { $0.name == "ADR" })
        var seenOnce = Set<String>()
        for property in properties {
            let text = unescape(property.value[...])
            switch property.name {
            case "VERSION", "PRODID", "REV":
                continue
            case "N" where seenOnce.insert("N").inserted:
                let parts = components(property.value, separator: ";")
                contact[.lastName] = parts[safe: 0].map { $0.trimmed }
                contact[.firstName] = parts[safe: 1].map { $0.trimmed }
                contact[.salutation] = parts[safe: 3].map { $0.trimmed }
                if let additional = parts[safe: 2], !additional.isEmpty { kept.append(property.raw) }
            case "FN" where seenOnce.insert("FN").inserted:
                // rolo marks an FN it made up from first and last name, so it is not read back as a full name.
                if !property.parameter("X-ROLO-DERIVED").contains(where: { $0.uppercased() == "TRUE" }) {
                    contact[.fullName] = text.trimmed
                }
            case "EMAIL" where property.line == usedEmail?.line:
                contact[.email] = text.trimmed
            case "TEL" where property.line == usedMobile?.line:
                contact[.mobilePhone] = phoneNumber(text)
            case "TEL" where property.line == usedPhone?.line:
                contact[.phone] = phoneNumber(text)
            case "ADR" where property.line == usedAddress?.line:
                let parts = components(property.value, separator: ";")
                let street = (parts[safe: 2] ?? "").split(separator: "\n", maxSplits: 1).map(String.init)
                contact[.addressLine1] = street.first
                let secondLine = street.count > 1 ? street[1] : [parts[safe: 1], parts[safe: 0]].compactMap { $0 }.first { !$0.isEmpty }
                contact[.addressLine2] = secondLine
                contact[.city] = parts[safe: 3]
                contact[.region] = parts[safe: 4]
                contact[.postcode] = parts[safe: 5]
                contact[.country] = parts[safe: 6]
                if let pobox = parts[safe: 0], !pobox.isEmpty, street.count > 1 || !(parts[safe: 1] ?? "").isEmpty { kept.append(property.raw) }
            case "ORG" where seenOnce.insert("ORG").inserted:
                let parts = components(property.value, separator: ";")
                contact[.company] = parts.first
                if parts.count > 1, parts.dropFirst().contains(where: { !$0.isEmpty }) { kept.append(property.raw) }
            case "TITLE" where seenOnce.insert("TITLE").inserted:
                contact[.jobTitle] = text
            case "NOTE" where seenOnce.insert("NOTE").inserted:
                contact[.notes] = text
            case "URL" where seenOnce.insert("URL").inserted:
                contact[.website] = text.trimmed
            case "TZ" where seenOnce.insert("TZ").inserted && !text.trimmed.isEmpty && !text.contains(":") && !text.hasPrefix("+") && !text.hasPrefix("-"):
                contact[.timezone] = text.trimmed
            case "LANG" where seenOnce.insert("LANG").inserted:
                contact[.language] = text.trimmed
            case "UID":
                let uid = text.trimmed.lowercased().replacingOccurrences(of: "urn:uuid:", with: "")
                if UUID(uuidString: uid) != nil { contact.uid = uid } else { kept.append(property.raw) }
            case "X-ROLO-CUSTOM":
                guard let key = property.parameter("X-KEY").first, let typeName = property.parameter("X-TYPE").first,
                      let type = FieldType(rawValue: typeName.lowercased()) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-CUSTOM needs X-KEY and X-TYPE parameters")
                }
                let value: String = type == .multiselect
                    ? JSONValue.array(components(property.value, separator: ",").map(JSONValue.string)).canonicalText
                    : text
                guard let typed = CustomValue(storedText: value, type: type) else {
                    throw ImportProblem(line: property.line, message: "custom.\(key): “\(text)” is not a \(type.rawValue) value")
                }
                contact.custom[key] = typed
            case "X-ROLO-FIELD":
                guard let key = property.parameter("X-KEY").first, let field = StandardField(rawValue: key) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-FIELD needs an X-KEY naming a field")
                }
                contact[field] = text
            case "X-ROLO-EXTENSION":
                guard let key = property.parameter("X-KEY").first, let document = try? JSONValue.parse(text) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-EXTENSION needs an X-KEY and a JSON value")
                }
                contact.extensions[key] = document
            case "X-ROLO-CREATED":
                if let instant = Timestamp(parsing: text.trimmed) { contact.createdAt = instant }
            case "X-ROLO-UPDATED":
                continue
            default:
                kept.append(property.raw)
            }
        }
        if let updated = properties.first(where: { $0.name == "X-ROLO-UPDATED" }), let instant = Timestamp(parsing: updated.value.trimmed) {
            contact.updatedAt = instant
        } else if let revision = properties.first(where: { $0.name == "REV" }), let instant = revisionTimestamp(revision.value) {
            contact.updatedAt = instant
        }
        if contact.createdAt > contact.updatedAt { contact.createdAt = contact.updatedAt }
        if !kept.isEmpty { contact.extensions["vcard"] = .array(kept.map(JSONValue.string)) }
        return IncomingContact(contact: contact, accountName: nil, line: line)
    }

    /// A number from TEL, with a 4.0 `tel:` URI reduced to the number.
    static func phoneNumber(_ text: String) -> String {
        var number = text.trimmed
        if number.lowercased().hasPrefix("tel:") { number = String(number.dropFirst(4)) }
        if let parameters = number.firstIndex(of: ";") { number = String(number[..<parameters]) }
        return number
    }

    /// REV as vCard writes it: `20231107T053156Z` or RFC 3339.
    static func revisionTimestamp(_ text: String) -> Timestamp? {
        let compact = text.trimmed
        if let instant = Timestamp(parsing: compact) { return instant }
        let digits = compact.filter(\.isNumber)
        guard digits.count == 14 else { return nil }
        let characters = Array(digits)
        func part(_ range: Range<Int>) -> String { String(characters[range]) }
        return Timestamp(parsing: "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(8..<10)):\(part(10..<12)):\(part(12..<14))Z")
    }
}

/// Writes vCards in one version, folding lines at 75 octets and escaping text values.
struct VCardWriter: ContactFileWriter {
    let version: VCardVersion
    let sink: (String) throws -> Void

    mutating func begin(accounts: [AccountSpec]) throws {}
    mutating func finish() throws {}

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        var lines: [String] = ["BEGIN:VCARD", "VERSION:" + version.rawValue]
        let v4 = version == .v4
        func escaped(_ text: String) -> String {
            var out = ""
            for character in text {
                switch character {
                case "\\": out += "\\\\"
                case ",": out += "\\,"
                case ";": out += "\\;"
                case "\n", "\r\n", "\r": out += "\\n"
                default: out.append(character)
                }
            }
            return out
        }
        func parameter(_ text: String) -> String {
            text.contains(where: { ";:,".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "'") + "\"" : text
        }
        let structuredName = [contact[.lastName], contact[.firstName], nil, contact[.salutation], nil]
            .map { escaped($0 ?? "") }.joined(separator: ";")
        lines.append("N:" + structuredName)
        if let full = contact[.fullName] {
            lines.append("FN:" + escaped(full))
        } else {
            // FN is required; made up from the other fields, and marked so it reads back as nothing.
            let shown = contact.displayName == "(no name)" ? "" : contact.displayName
            lines.append("FN;X-ROLO-DERIVED=TRUE:" + escaped(shown))
        }
        if let email = contact[.email] { lines.append((v4 ? "EMAIL;TYPE=work:" : "EMAIL;TYPE=INTERNET:") + escaped(email)) }
        if let mobile = contact[.mobilePhone] {
            lines.append(v4 ? "TEL;TYPE=cell;VALUE=uri:tel:" + mobile : "TEL;TYPE=CELL:" + escaped(mobile))
        }
        if let phone = contact[.phone] {
            lines.append(v4 ? "TEL;TYPE=voice;VALUE=uri:tel:" + phone : "TEL;TYPE=VOICE:" + escaped(phone))
        }
        let address: [StandardField] = [.addressLine1, .addressLine2, .city, .region, .postcode, .country]
        if address.contains(where: { contact[$0] != nil }) {
            let parts = ["", contact[.addressLine2] ?? "", contact[.addressLine1] ?? "", contact[.city] ?? "",
                         contact[.region] ?? "", contact[.postcode] ?? "", contact[.country] ?? ""]
            lines.append("ADR;TYPE=work:" + parts.map(escaped).joined(separator: ";"))
        }
        if let company = contact[.company] { lines.append("ORG:" + escaped(company)) }
        if let title = contact[.jobTitle] { lines.append("TITLE:" + escaped(title)) }
        if let notes = contact[.notes] { lines.append("NOTE:" + escaped(notes)) }
        if let website = contact[.website] { lines.append("URL:" + website) }
        if let zone = contact[.timezone] { lines.append((v4 ? "TZ:" : "TZ;VALUE=text:") + escaped(zone)) }
        if v4, let language = contact[.language] { lines.append("LANG:" + escaped(language)) }
        var extraFields: [StandardField] = [.status, .emailOptOut, .smsOptOut, .phoneOptOut]
        if !v4 { extraFields.append(.language) }
        for field in extraFields {
            if let value = contact[field] { lines.append("X-ROLO-FIELD;X-KEY=\(field.key):" + escaped(value)) }
        }
        for key in contact.custom.keys.sorted() {
            let value = contact.custom[key]!
            let text: String = switch value {
            case .multiselect(let values): values.map(escaped).joined(separator: ",")
            default: escaped(value.storedText)
            }
            lines.append("X-ROLO-CUSTOM;X-KEY=\(parameter(key));X-TYPE=\(value.type.rawValue):" + text)
        }
        for key in contact.extensions.keys.sorted() where key != "vcard" {
            lines.append("X-ROLO-EXTENSION;X-KEY=\(parameter(key)):" + escaped(contact.extensions[key]!.canonicalText))
        }
        if case .array(let kept)? = contact.extensions["vcard"] {
            lines += kept.compactMap(\.stringValue)
        }
        lines.append(v4 ? "UID:urn:uuid:" + contact.uid : "UID:" + contact.uid)
        lines.append("X-ROLO-CREATED:" + contact.createdAt.rfc3339)
        lines.append("X-ROLO-UPDATED:" + contact.updatedAt.rfc3339)
        lines.append("REV:" + Self.revision(contact.updatedAt))
        lines.append("END:VCARD")
        try sink(lines.map(Self.fold).joined() )
    }

    /// `20231107T053156Z`, the basic format both versions accept.
    static func revision(_ instant: Timestamp) -> String {
        instant.rfc3339.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            .split(separator: ".").first.map { String($0).hasSuffix("Z") ? String($0) : $0 + "Z" } ?? ""
    }

    /// Folds a line into pieces of at most 75 octets (continuations start with a space), each
    /// ending in CRLF. Folds fall between graphemes, so no piece starts with a combining mark
    /// (which some readers would take for part of the space); a grapheme longer than a piece
    /// is split between its code points, never inside a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        var out = ""
        var width = 0
        var limit = 75
        func breakLine() {
            out += "\r\n "
            width = 0
            limit = 74
        }
        for character in line {
            let size = character.utf8.count
            if width + size > limit {
                if size > 74 {
                    for scalar in character.unicodeScalars {
                        let scalarSize = String(scalar).utf8.count
                        if width + scalarSize > limit { breakLine() }
                        out.unicodeScalars.append(scalar)
                        width += scalarSize
                    }
                    continue
                }
                breakLine()
            }
            out.append(character)
            width += size
        }
        return out + "\r\n"
    }
}

extension String {
    /// Calls `body` with every line, keeping empty ones; CR LF and LF both end a line.
    func enumerateLinesKeepingEmpty(_ body: (Substring) -> Void) {
        var start = startIndex
        var index = startIndex
        while index < endIndex {
            let character = self[index]
            if character == "\n" || character == "\r\n" || character == "\r" {
                body(self[start..<index])
                start = self.index(after: index)
            }
            index = self.index(after: index)
        }
        if start < endIndex { body(self[start...]) }
    }
}
