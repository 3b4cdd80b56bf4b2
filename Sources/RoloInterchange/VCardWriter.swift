import Foundation
import RoloCore

/// Writes vCards in one version: CRLF line ends, lines folded at 75 octets, text escaped.
struct VCardWriter: ContactFileWriter {
    let version: VCardVersion
    let sink: (String) throws -> Void

    mutating func begin(accounts: [AccountSpec]) throws {}
    mutating func finish() throws {}

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        try sink(Self.card(for: contact, version: version))
    }

    static func card(for contact: Contact, version: VCardVersion) -> String {
        let v4 = version == .v4
        let preserved = keptLines(of: contact)
        var kept = preserved.lines
        var lines: [String] = ["BEGIN:VCARD", "VERSION:" + version.rawValue]
        func hasKept(_ name: String) -> Bool { kept.contains { $0.property?.name == name } }
        /// A mapped property goes back into the item group it came from, beside its label.
        func grouped(_ role: String, _ line: String) -> String {
            preserved.groups[role].map { $0 + "." + line } ?? line
        }
        /// A source line of the card the contact came from, in this version.
        func converted(_ property: VCardFormat.Property) -> String {
            VCardConversion.line(property, to: version) ?? property.raw
        }

        // N, carrying over the additional names and suffix of the card it came from.
        let nameSource = kept.firstIndex { $0.property?.name == "N" && VCardFormat.nameFields($0.property!.value).isLossy }
        let nameFields: [StandardField] = [.lastName, .firstName, .salutation]
        if let index = nameSource {
            let source = kept.remove(at: index).property!
            if VCardFormat.nameFields(source.value).fields == contact.fields.filter({ nameFields.contains($0.key) }) {
                lines.append(converted(source))
            } else {
                let parts = VCardFormat.components(source.value, separator: ";")
                lines.append(grouped("name", "N:" + [escape(contact[.lastName]), escape(contact[.firstName]), escape(parts[safe: 2]),
                                                     escape(contact[.salutation]), escape(parts[safe: 4])].joined(separator: ";")))
            }
        } else {
            lines.append(grouped("name", "N:" + [escape(contact[.lastName]), escape(contact[.firstName]), "", escape(contact[.salutation]), ""]
                .joined(separator: ";")))
        }
        if let full = contact[.fullName] {
            lines.append(grouped("full_name", textLine("FN", full)))
        } else {
            // FN is required: made up from the other fields, and marked so it reads back as no full name.
            let shown = contact.displayName == "(no name)" ? "" : contact.displayName
            lines.append(textLine("FN;X-ROLO-DERIVED=TRUE", shown))
        }
        // A preserved property of the same kind marked preferred must not win over rolo's own.
        let pref = v4 ? ";PREF=1" : ",PREF"
        // So is a further value: other tools take the preferred one as the contact's own.
        let emailPref = hasKept("EMAIL") || !contact.otherEmails.isEmpty
        if let email = contact[.email] {
            lines.append(grouped("email", (v4 ? "EMAIL" + (emailPref ? ";PREF=1" : "") : "EMAIL;TYPE=INTERNET" + (emailPref ? pref : ""))
                + ":" + escape(email)))
        }
        let phonePref = hasKept("TEL") || !contact.otherPhones.isEmpty ? pref : ""
        if let mobile = contact[.mobilePhone] {
            lines.append(grouped("mobile_phone", telephone(mobile, type: v4 ? "cell" : "CELL", pref: phonePref, v4: v4)))
        }
        if let phone = contact[.phone] { lines.append(grouped("phone", telephone(phone, type: v4 ? "voice" : "VOICE", pref: phonePref, v4: v4))) }
        lines += furtherValueLines(of: contact, v4: v4, groupsInUse: preserved.groupsInUse)

        // 4.0 has no LABEL property: a label kept from a 2.1 or 3.0 card is the LABEL parameter
        // of its ADR there (RFC 6350, 6.3.1), or is left out when no ADR is its (3.0 keeps it).
        var labels = v4 ? kept.compactMap { $0.property?.name == "LABEL" ? AddressLabel($0.property!) : nil } : []
        if v4 { kept.removeAll { $0.property?.name == "LABEL" } }
        let addressFields: [StandardField] = [.addressLine1, .addressLine2, .city, .region, .postcode, .country]
        let address = contact.fields.filter { addressFields.contains($0.key) }
        if !address.isEmpty {
            // The card's own ADR when it says exactly this address (and more, that rolo keeps).
            if let index = kept.firstIndex(where: { line in
                guard let property = line.property, property.name == "ADR" else { return false }
                let mapped = VCardFormat.addressFields(property.value)
                return mapped.isLossy && mapped.fields == address
            }) {
                let source = kept.remove(at: index).property!
                lines.append(AddressLabel.take(from: &labels, for: converted(source), types: AddressLabel.types(of: source)))
            } else {
                let line1 = contact[.addressLine1] ?? "", line2 = contact[.addressLine2] ?? ""
                let streetHoldsBoth = !line1.isEmpty && !line2.isEmpty && !line1.contains(where: \.isNewline)
                let street = streetHoldsBoth ? line1 + "\n" + line2 : line1
                let extended = streetHoldsBoth ? "" : line2
                let parts = ["", extended, street, contact[.city] ?? "", contact[.region] ?? "", contact[.postcode] ?? "",
                             contact[.country] ?? ""]
                let line = grouped("address", "ADR" + (hasKept("ADR") ? (v4 ? ";PREF=1" : ";TYPE=PREF") : "") + ":"
                    + parts.map { escape($0) }.joined(separator: ";"))
                // Which ADR of the card this was, its TYPE, is not kept: a label whose TYPE no
                // other ADR has is this address's when it names its street (or city).
                let others = kept.compactMap { $0.property?.name == "ADR" ? AddressLabel.types(of: $0.property!) : nil }
                let named = [contact[.addressLine1], contact[.city]].compactMap { $0 }.first
                lines.append(AddressLabel.take(from: &labels, for: line, types: []) { label in
                    !others.contains(label.types) && named.map(label.names) == true
                })
            }
        }
        let organisationSource = kept.firstIndex { $0.property?.name == "ORG" && VCardFormat.organisationFields($0.property!.value).isLossy }
        if let index = organisationSource {
            let source = kept.remove(at: index).property!
            if VCardFormat.organisationFields(source.value).company == contact[.company] {
                lines.append(converted(source))
            } else {
                let units = VCardFormat.components(source.value, separator: ";").dropFirst().map { escape($0) }
                lines.append(grouped("company", "ORG:" + ([escape(contact[.company])] + units).joined(separator: ";")))
            }
        } else if let company = contact[.company] {
            lines.append(grouped("company", "ORG:" + escape(company)))
        }
        if let title = contact[.jobTitle] { lines.append(grouped("job_title", textLine("TITLE", title))) }
        if let notes = contact[.notes] { lines.append(grouped("notes", textLine("NOTE", notes))) }
        if let website = contact[.website] { lines.append(grouped("website", "URL:" + escapeURI(website))) }
        if let zone = contact[.timezone] { lines.append((v4 ? "TZ:" : "TZ;VALUE=text:") + escape(zone)) }
        if v4, let language = contact[.language] { lines.append("LANG:" + escape(language)) }

        var extraFields: [StandardField] = [.status, .emailOptOut, .smsOptOut, .phoneOptOut]
        if !v4 { extraFields.append(.language) }
        for field in extraFields {
            if let value = contact[field] { lines.append(textLine("X-ROLO-FIELD;X-KEY=\(field.key)", value)) }
        }
        for key in contact.custom.keys.sorted() {
            let value = contact.custom[key]!
            let head = "X-ROLO-CUSTOM;X-KEY=\(VCardFormat.encodeParameter(key));X-TYPE=\(value.type.rawValue)"
            switch value {
            // One empty option and no option are both an empty comma list: X-COUNT tells them apart.
            case .multiselect(let values): lines.append(head + (values == [""] ? ";X-COUNT=1" : "") + ":"
                + values.map { escape($0) }.joined(separator: ","))
            default: lines.append(textLine(head, value.storedText))
            }
        }
        for key in contact.extensions.keys.sorted() where !(key == "vcard" && isKeptList(contact.extensions[key]!)) {
            lines.append("X-ROLO-EXTENSION;X-KEY=\(VCardFormat.encodeParameter(key)):" + escape(contact.extensions[key]!.canonicalText))
        }
        for line in kept {
            if let property = line.property {
                lines.append(property.name == "ADR" ? AddressLabel.take(from: &labels, for: converted(property),
                                                                         types: AddressLabel.types(of: property))
                                                    : converted(property))
            } else {
                // Wrapped as a JSON string, so that even a carriage return comes back.
                lines.append("X-ROLO-KEPT:" + escape(JSONValue.string(line.text).canonicalText))
            }
        }
        if UUID(uuidString: contact.uid) != nil {
            lines.append(v4 ? "UID:urn:uuid:" + contact.uid : "UID:" + contact.uid)
        } else {
            lines.append("X-ROLO-UID:" + escape(contact.uid))
        }
        lines.append("X-ROLO-CREATED:" + contact.createdAt.rfc3339)
        lines.append("X-ROLO-UPDATED:" + contact.updatedAt.rfc3339)
        lines.append("REV:" + revision(contact.updatedAt))
        lines.append("END:VCARD")
        var card = ""
        for line in lines { card += fold(line) }
        return card
    }

    /// The further emails and phones, after the standard ones (so those stay first when read
    /// back). A label vCard has a TYPE for goes there (`TYPE=home`, `TYPE=work,fax`); an address
    /// book's own label goes in an item group's X-ABLabel, as Apple and Google write it, in a
    /// group no kept line uses.
    static func furtherValueLines(of contact: Contact, v4: Bool, groupsInUse: Set<String>) -> [String] {
        var lines: [String] = []
        var taken = groupsInUse
        var next = 1
        func freshGroup() -> String {
            while taken.contains("item\(next)") { next += 1 }
            taken.insert("item\(next)")
            return "item\(next)"
        }
        for kind in OtherValueKind.allCases {
            for other in contact[others: kind] {
                let types = ValueLabel.vCardTypes(for: other.label, kind: kind)
                var group = ""
                var typeList = (types ?? []).map { v4 ? $0 : $0.uppercased() }
                if types == nil { group = freshGroup() + "." }
                switch kind {
                case .email:
                    if !v4 { typeList.insert("INTERNET", at: 0) }
                    lines.append(group + "EMAIL" + (typeList.isEmpty ? "" : ";TYPE=" + typeList.joined(separator: ",")) + ":"
                        + escape(other.value))
                case .phone:
                    if typeList.isEmpty { typeList = [v4 ? "voice" : "VOICE"] }
                    lines.append(group + telephone(other.value, type: typeList.joined(separator: ","), pref: "", v4: v4))
                }
                if types == nil { lines.append(textLine(group + "X-ABLabel", other.label)) }
            }
        }
        return lines
    }

    /// The role a mapped property plays, under which its item group is kept (nil for
    /// properties rolo does not map to a field).
    static func role(of name: String, isMobile: Bool) -> String? {
        switch name {
        case "N": "name"
        case "FN": "full_name"
        case "EMAIL": "email"
        case "TEL": isMobile ? "mobile_phone" : "phone"
        case "ADR": "address"
        case "ORG": "company"
        case "TITLE": "job_title"
        case "NOTE": "notes"
        case "URL": "website"
        default: nil
        }
    }

    /// A text property: the value escaped, and when it holds a line break other than LF, an
    /// `X-ROLO-BREAKS` parameter that says which (vCard writes every break as `\n`), so that
    /// CR LF comes back as CR LF. Other readers see the breaks as line breaks.
    static func textLine(_ head: String, _ value: String) -> String {
        var kinds: [String] = []
        var afterCR = false
        for scalar in value.unicodeScalars {
            if scalar == "\r" {
                kinds.append("CR")
            } else if scalar == "\n" {
                if afterCR { kinds[kinds.count - 1] = "CRLF" } else { kinds.append("LF") }
            }
            afterCR = scalar == "\r"
        }
        guard kinds.contains(where: { $0 != "LF" }) else { return head + ":" + escape(value) }
        let said = Set(kinds).count == 1 ? kinds[0] : kinds.joined(separator: ",")
        return head + ";X-ROLO-BREAKS=" + said + ":" + escape(value)
    }

    /// A preserved line, and the property it is when it can be written back as it is.
    struct KeptLine {
        let text: String
        let property: VCardFormat.Property?
    }

    /// `extensions["vcard"]` is written back line by line when it is a list of strings (the
    /// preserved lines) and `{"field", "group"}` objects (the item groups of mapped values).
    static func isKeptList(_ value: JSONValue) -> Bool {
        guard case .array(let items) = value, !items.isEmpty else { return false }
        return items.allSatisfy { $0.stringValue != nil || groupEntry($0) != nil }
    }

    static func groupEntry(_ value: JSONValue) -> (role: String, group: String)? {
        guard case .object(let members) = value, members.count == 2, let role = members["field"]?.stringValue,
              let group = members["group"]?.stringValue, !group.isEmpty,
              group.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                  || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
        return (role, group)
    }

    /// The preserved lines, and the item groups of mapped values. A line that would not read
    /// back as the same preserved line — it has a line break, is not a property, or is a
    /// property rolo writes itself (UID, REV, its own X-ROLO-…) — is wrapped in `X-ROLO-KEPT`,
    /// so it can neither break the card nor be lost.
    static func keptLines(of contact: Contact) -> (lines: [KeptLine], groups: [String: String], groupsInUse: Set<String>) {
        guard let list = contact.extensions["vcard"], isKeptList(list), case .array(let items) = list else { return ([], [:], []) }
        let reserved: Set<String> = ["BEGIN", "END", "VERSION", "UID", "REV", "PRODID"]
        var groups: [String: String] = [:]
        var lines: [KeptLine] = []
        for item in items {
            if let (role, group) = groupEntry(item) {
                groups[role] = groups[role] ?? group
                continue
            }
            guard let text = item.stringValue else { continue }
            guard !text.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }),
                  let property = try? VCardFormat.parse(VCardFormat.ContentLine(line: 0, text: text)),
                  !reserved.contains(property.name), !property.name.hasPrefix("X-ROLO-"),
                  !(property.name == "FN" && !property.parameter("X-ROLO-DERIVED").isEmpty),
                  let first = text.unicodeScalars.first, first != " ", first != "\t" else {
                lines.append(KeptLine(text: text, property: nil))
                continue
            }
            lines.append(KeptLine(text: text, property: property))
        }
        let inUse = Set(groups.values.map { $0.lowercased() } + lines.compactMap { $0.property?.group?.lowercased() })
        return (lines, groups, inUse)
    }

    /// A label of an address kept from a 2.1 or 3.0 card (`LABEL;TYPE=work:1 Main St\nDallas`),
    /// which 4.0 writes as its ADR's `LABEL` parameter. 3.0 ties a LABEL to the ADR of the same
    /// TYPE (RFC 2426, 3.2.2), and so does this.
    struct AddressLabel {
        let types: Set<String>
        let text: String

        init(_ property: VCardFormat.Property) {
            types = AddressLabel.types(of: property)
            // From 2.1 syntax first (quoted-printable, bare commas), then unescaped.
            let line = VCardConversion.line(property, to: .v4) ?? property.raw
            text = ((try? VCardFormat.parse(VCardFormat.ContentLine(line: 0, text: line)))?.text ?? property.text)
        }

        /// The TYPE values that say which address (`work`, `home`), not whether it is preferred.
        static func types(of property: VCardFormat.Property) -> Set<String> {
            property.types.subtracting(["pref"])
        }

        /// Whether the label mentions `words` (a street, a city), case and spacing aside.
        func names(_ words: String) -> Bool {
            func folded(_ text: String) -> String {
                text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
            }
            let wanted = folded(words)
            return !wanted.isEmpty && folded(text).contains(wanted)
        }

        /// `adr` with the LABEL parameter of the first label of its TYPE, else of the first that
        /// `fallback` takes; that label is used up.
        static func take(from labels: inout [AddressLabel], for adr: String, types: Set<String>,
                         fallback: (AddressLabel) -> Bool = { _ in false }) -> String {
            guard let index = labels.firstIndex(where: { $0.types == types }) ?? labels.firstIndex(where: fallback) else { return adr }
            let label = labels.remove(at: index)
            guard let colon = VCardFormat.valueColon(adr.utf8) else { return adr }
            let scalars = adr.unicodeScalars
            return String(Substring(scalars[..<colon])) + ";LABEL=" + parameterValue(label.text)
                + String(Substring(scalars[colon...]))
        }

        /// A parameter value in double quotes, as RFC 6868 writes what a parameter cannot hold:
        /// a line break as `^n`, a double quote as `^'`, a caret as `^^`.
        static func parameterValue(_ text: String) -> String {
            var out = "\""
            var afterCR = false
            for scalar in text.unicodeScalars {
                defer { afterCR = scalar == "\r" }
                switch scalar {
                case "^": out += "^^"
                case "\"": out += "^'"
                case "\r": out += "^n"
                case "\n": if !afterCR { out += "^n" }
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }

        /// A parameter value as RFC 6868 writes it, read back; `\n` too, as RFC 6350's own
        /// example of the LABEL parameter writes a line break.
        static func decodedParameter(_ text: String) -> String {
            var out = String.UnicodeScalarView()
            var scalars = text.unicodeScalars.makeIterator()
            while let scalar = scalars.next() {
                guard scalar == "^" || scalar == "\\" else { out.append(scalar); continue }
                guard let next = scalars.next() else { out.append(scalar); break }
                switch (scalar, next) {
                case ("^", "n"), ("^", "N"), ("\\", "n"), ("\\", "N"): out.append("\n")
                case ("^", "^"): out.append("^")
                case ("^", "'"): out.append("\"")
                default: out.append(scalar); out.append(next)
                }
            }
            return String(out)
        }
    }

    /// TEL: 4.0 writes a `tel:` URI when the number can be one — a global number (`+…`); a
    /// local one would need a phone-context (RFC 3966) — else text.
    static func telephone(_ number: String, type: String, pref: String, v4: Bool) -> String {
        let fitsURI = number.hasPrefix("+") && number.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && scalar.value > 0x20 && scalar.value < 0x7F && !"\\,\"".unicodeScalars.contains(scalar)
        }
        if v4 && fitsURI { return "TEL;TYPE=\(type)\(pref);VALUE=uri:tel:" + number }
        return "TEL;TYPE=\(type)\(pref):" + escape(number)
    }

    /// Text escaping (the same in 3.0 and 4.0): backslash, comma, semicolon, line breaks.
    static func escape(_ text: String?) -> String {
        guard let text else { return "" }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var afterCR = false
        for scalar in text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case ",": out += "\\,"
            case ";": out += "\\;"
            case "\r": out += "\\n"
            case "\n": if !afterCR { out += "\\n" }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A URI value: only what would break the line or the reading is escaped.
    static func escapeURI(_ text: String) -> String {
        var out = ""
        var afterCR = false
        for scalar in text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case "\r": out += "\\n"
            case "\n": if !afterCR { out += "\\n" }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `20231107T053156Z`, the basic format both versions accept.
    static func revision(_ instant: Timestamp) -> String {
        var text = instant.rfc3339.filter { $0 != "-" && $0 != ":" }
        if let point = text.firstIndex(of: ".") { text = String(text[..<point]) + "Z" }
        return text
    }

    /// Folds a line into pieces of at most 75 octets, each ending in CRLF; continuations
    /// start with a space. Folds fall between graphemes, so no piece starts with a combining
    /// mark; a grapheme too long for a piece is split between its code points, never inside
    /// a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        if line.utf8.count <= 75 { return line + "\r\n" }
        var out = ""
        out.reserveCapacity(line.utf8.count + line.utf8.count / 74 * 3 + 2)
        var used = 0
        var limit = 75
        func breakLine() {
            out += "\r\n "
            used = 0
            limit = 74
        }
        for character in line {
            let size = character.utf8.count
            if used + size > limit {
                if size > 74 {
                    for scalar in character.unicodeScalars {
                        let scalarSize = UTF8.width(scalar)
                        if used + scalarSize > limit { breakLine() }
                        out.unicodeScalars.append(scalar)
                        used += scalarSize
                    }
                    continue
                }
                breakLine()
            }
            out.append(character)
            used += size
        }
        return out + "\r\n"
    }
}
