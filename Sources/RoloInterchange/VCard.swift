import Foundation
import RoloCore

/// vCard 3.0 (RFC 2426) and 4.0 (RFC 6350), read leniently (2.1 too, as old phones write it)
/// and written strictly.
///
/// Standard properties map to rolo's fields. What vCard has no property for travels in rolo's
/// own X- properties: `X-ROLO-CUSTOM;X-KEY=plan;X-TYPE=select:gold` for custom values,
/// `X-ROLO-FIELD` for standard fields (status, opt-outs), `X-ROLO-EXTENSION` for provider
/// data. Every other property — a second email, BDAY, PHOTO, X-ABLabel, anything unknown —
/// is kept verbatim in `extensions["vcard"]` and written back, so a round trip loses nothing.
enum VCardFormat {
    /// Where a property starts in the file, and its text after unfolding.
    struct ContentLine {
        let line: Int
        let text: String
    }

    /// One unfolded content line: `group.NAME;param=value:value`.
    struct Property {
        let line: Int
        /// The whole unfolded line, as it was written.
        let raw: String
        let group: String?
        /// Upper case.
        let name: String
        /// Parameter names in upper case; values as written, without quotes.
        let parameters: [(name: String, values: [String])]
        /// The value as written (still escaped), after quoted-printable decoding.
        let value: String
        /// True when a parameter was written bare, as vCard 2.1 does (`TEL;WORK;VOICE:`).
        let hasBareParameters: Bool

        func parameter(_ wanted: String) -> [String] {
            parameters.filter { $0.name == wanted }.flatMap(\.values)
        }

        /// TYPE values in lower case (`TYPE=cell,voice`, `type=HOME`, `TYPE="work,voice"`, 2.1's bare `CELL`).
        let types: Set<String>

        init(line: Int, raw: String, group: String?, name: String, parameters: [(name: String, values: [String])], value: String,
             hasBareParameters: Bool = false) {
            self.line = line
            self.raw = raw
            self.group = group
            self.name = name
            self.parameters = parameters
            self.value = value
            self.hasBareParameters = hasBareParameters
            self.types = Set(parameters.filter { $0.name == "TYPE" }.flatMap(\.values)
                .flatMap { $0.split(separator: ",") }.map { $0.withoutBlanks.lowercased() })
        }

        /// The TYPE values in the order and case written, for a label that reads as the file
        /// wrote it (Android's `TEL;X-Büro:` is a label of the user's own).
        var orderedTypes: [String] {
            parameters.filter { $0.name == "TYPE" }.flatMap(\.values).flatMap { $0.split(separator: ",") }
                .map { String($0.withoutBlanks) }
        }

        /// 1 is the most preferred (`PREF=1`, 3.0's `TYPE=pref`); 101 when nothing is said.
        var preference: Int {
            if let level = parameter("PREF").compactMap({ Int($0.trimmed) }).min() { return max(1, min(level, 100)) }
            return types.contains("pref") ? 1 : 101
        }

        var isURI: Bool { parameter("VALUE").contains { $0.lowercased() == "uri" } }

        /// The value unescaped, for single text properties, with the line breaks rolo wrote
        /// it with (`X-ROLO-BREAKS`, see `VCardWriter.textValue`).
        var text: String { VCardFormat.restoringBreaks(VCardFormat.unescape(value[...]), parameter("X-ROLO-BREAKS")) }
    }

    // MARK: - Reading

    /// How the bytes of a file's content lines are text.
    enum LineText {
        /// As the file has them: each value in the `CHARSET` its line declares, else in
        /// `undeclared` (UTF-8 unless the import names another, `--charset`), as are names and
        /// parameters.
        case bytes(undeclared: Charset)
        /// Text already, written out as UTF-8 (a UTF-16 file): its characters are what they
        /// are, and a `CHARSET` says only what quoted-printable escapes stand for.
        case decoded
    }

    static func read(_ bytes: [UInt8], skipInvalid: Bool, lines: LineText = .bytes(undeclared: .utf8)) throws(ImportProblem) -> ReadResult {
        var result = ReadResult()
        var card: [Property] = []
        var cardLine: Int?
        var cardProblem: ImportProblem?
        var reportedStrayText = false
        func report(_ problem: ImportProblem) throws(ImportProblem) {
            if !skipInvalid { throw problem.after(result.warnings) }
            result.skipped.append(problem)
        }
        for content in unfold(bytes) {
            let property: Property
            do {
                switch lines {
                case .bytes(let undeclared): property = try parse(content, undeclared: undeclared)
                case .decoded: property = try parse(ContentLine(line: content.line, text: String(decoding: content.bytes, as: UTF8.self)))
                }
            } catch {
                if cardLine == nil {
                    if !reportedStrayText { try report(strayText(at: content.line)) }
                    reportedStrayText = true
                } else {
                    cardProblem = cardProblem ?? error
                }
                continue
            }
            let marksCard = (property.name == "BEGIN" || property.name == "END") && property.value.trimmed.uppercased() == "VCARD"
            if marksCard, property.name == "BEGIN" {
                if let open = cardLine {
                    try report(ImportProblem(line: open, message: "BEGIN:VCARD here has no END:VCARD before the next BEGIN:VCARD"))
                }
                cardLine = property.line
                card = []
                cardProblem = nil
                reportedStrayText = false
            } else if marksCard {
                guard let start = cardLine else {
                    try report(ImportProblem(line: property.line, message: "END:VCARD without BEGIN:VCARD"))
                    continue
                }
                cardLine = nil
                if let problem = cardProblem {
                    try report(problem)
                    continue
                }
                if let group = groupName(card) {
                    // iCloud and Apple Contacts export their groups as cards of their own.
                    result.warnings.append(ImportProblem(line: start, message: "a contact group (“\(group)”), not a contact: left out"))
                    continue
                }
                do { result.contacts.append(try contact(from: card, line: start)) } catch { try report(error) }
            } else if cardLine == nil {
                if !reportedStrayText { try report(strayText(at: property.line)) }
                reportedStrayText = true
            } else {
                card.append(property)
            }
        }
        if let open = cardLine {
            try report(ImportProblem(line: open, message: "BEGIN:VCARD here has no END:VCARD"))
        }
        return result
    }

    /// The name of a card that is a group of contacts, not a contact: vCard 4.0's `KIND:group`,
    /// Apple's `X-ADDRESSBOOKSERVER-KIND:group`. Nil for any other card.
    static func groupName(_ card: [Property]) -> String? {
        guard card.contains(where: { ($0.name == "KIND" || $0.name == "X-ADDRESSBOOKSERVER-KIND") && $0.text.trimmed.lowercased() == "group" })
        else { return nil }
        let name = card.first { $0.name == "FN" }?.text.trimmed ?? card.first { $0.name == "N" }?.text.trimmed ?? ""
        return name.isEmpty ? "unnamed" : name
    }

    static func strayText(at line: Int) -> ImportProblem {
        ImportProblem(line: line, message: "text outside a vCard (expected BEGIN:VCARD)")
    }

    /// A content line still in bytes: folds are joined before decoding, because some writers
    /// fold in the middle of a UTF-8 sequence.
    struct RawContentLine {
        let line: Int
        let bytes: [UInt8]
    }

    /// Cuts the bytes into physical lines (CR LF, LF or CR), then joins folded lines — a line
    /// that starts with a space or a tab continues the one before, less that character — and
    /// 2.1's quoted-printable soft breaks (a line ending in `=`). Blank lines are dropped.
    static func unfold(_ bytes: [UInt8]) -> [RawContentLine] {
        let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, space: UInt8 = 0x20, tab: UInt8 = 0x09, equals = UInt8(ascii: "=")
        var physical: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == lf || byte == cr {
                physical.append(bytes[start..<index])
                index += byte == cr && index + 1 < bytes.count && bytes[index + 1] == lf ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        if start < bytes.count { physical.append(bytes[start...]) }

        var lines: [RawContentLine] = []
        var position = 0
        while position < physical.count {
            let number = position + 1
            var line = Array(physical[position])
            position += 1
            while position < physical.count {
                let next = physical[position]
                if line.last == equals, isQuotedPrintable(line) {
                    line.removeLast()
                    line += next
                } else if let first = next.first, first == space || first == tab {
                    line += next.dropFirst()
                } else {
                    break
                }
                position += 1
            }
            if line.allSatisfy({ $0 == space || $0 == tab }) { continue }
            lines.append(RawContentLine(line: number, bytes: line))
        }
        return lines
    }

    /// True when the part of a line before its value says `QUOTED-PRINTABLE`.
    static func isQuotedPrintable(_ line: [UInt8]) -> Bool {
        let head = line.prefix { $0 != UInt8(ascii: ":") }
        return String(decoding: head, as: UTF8.self).uppercased().firstRange(of: "QUOTED-PRINTABLE") != nil
    }

    /// Reads a content line from the file's bytes. The name and parameters are in `undeclared`
    /// (they are ASCII in practice); the value is text in the charset the line declares (vCard
    /// 2.1's `CHARSET=`, `undeclared` when none), then quoted-printable is undone where
    /// `ENCODING` says so. A byte the charset does not define stops the line with an error
    /// naming it, rather than turning into U+FFFD.
    static func parse(_ raw: RawContentLine, undeclared: Charset = .utf8) throws(ImportProblem) -> Property {
        guard let colon = valueColon(raw.bytes) else {
            throw ImportProblem(line: raw.line, message: "a vCard line needs NAME:value, found “\(excerpt(String(decoding: raw.bytes, as: UTF8.self)))”")
        }
        let head: String
        do { head = try undeclared.decode(raw.bytes[..<colon]) } catch {
            throw ImportProblem(line: raw.line, message: "the property's name and parameters are not "
                + (undeclared == .utf8 ? "UTF-8 text" : "text in \(undeclared.name)"))
        }
        let valueBytes = raw.bytes[(colon + 1)...]
        let (group, name, parameters, bare) = try parseHead(head, line: raw.line, whole: String(decoding: raw.bytes, as: UTF8.self))
        let charsetName = VCard21Value.charsetName(parameters)
        let written = valueBytes.allSatisfy({ $0 < 0x80 }) ? String(decoding: valueBytes, as: UTF8.self)
            : try VCard21Value.text(of: valueBytes, charsetName: charsetName, undeclared: undeclared, line: raw.line)
        let value = try VCard21Value.decoded(written, parameters: parameters, charsetName: charsetName, undeclared: undeclared,
                                             line: raw.line)
        return Property(line: raw.line, raw: head + ":" + written, group: group, name: name, parameters: parameters, value: value,
                        hasBareParameters: bare)
    }

    /// Reads a content line that is already text (a preserved line, a test).
    static func parse(_ content: ContentLine) throws(ImportProblem) -> Property {
        let text = content.text
        guard let colon = valueColon(text.utf8) else {
            throw ImportProblem(line: content.line, message: "a vCard line needs NAME:value, found “\(excerpt(text))”")
        }
        // Slices go through the scalar view: a String slice would round to grapheme
        // boundaries, and a value may well start with a combining mark.
        let scalars = text.unicodeScalars
        let (group, name, parameters, bare) = try parseHead(String(Substring(scalars[..<colon])), line: content.line, whole: text)
        let written = String(Substring(scalars[text.utf8.index(after: colon)...]))
        let value = try VCard21Value.decoded(written, parameters: parameters, charsetName: VCard21Value.charsetName(parameters),
                                             line: content.line)
        return Property(line: content.line, raw: text, group: group, name: name, parameters: parameters, value: value,
                        hasBareParameters: bare)
    }

    /// Where the value starts: the first colon outside a quoted parameter value (or, when the
    /// quotes never close, the first colon).
    static func valueColon<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bytes.Index? {
        let quote = UInt8(ascii: "\""), colonByte = UInt8(ascii: ":")
        var inQuotes = false
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == quote { inQuotes.toggle() }
            if byte == colonByte && !inQuotes { return index }
            index = bytes.index(after: index)
        }
        return bytes.firstIndex(of: colonByte)
    }

    /// The group, the name (upper case) and the parameters of `group.NAME;param=value`.
    static func parseHead(_ head: String, line: Int, whole: @autoclosure () -> String) throws(ImportProblem)
        -> (group: String?, name: String, parameters: [(name: String, values: [String])], hasBareParameters: Bool) {
        var pieces = splitOutsideQuotes(Substring(head), on: UInt8(ascii: ";"))
        let qualifiedName = pieces.removeFirst()
        var name = qualifiedName
        var group: Substring?
        if let dot = qualifiedName.utf8.lastIndex(of: UInt8(ascii: ".")) {
            group = Substring(qualifiedName.unicodeScalars[..<dot])
            name = Substring(qualifiedName.unicodeScalars[qualifiedName.utf8.index(after: dot)...])
        }
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard !name.isEmpty, name.utf8.allSatisfy(isNameByte),
              group?.utf8.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: ".") }) ?? true else {
            throw ImportProblem(line: line, message: "“\(excerpt(whole()))” is not a vCard property (NAME:value)")
        }
        var parameters: [(name: String, values: [String])] = []
        var bare = false
        for piece in pieces where !piece.isEmpty {
            if let equals = piece.utf8.firstIndex(of: UInt8(ascii: "=")) {
                let key = Substring(piece.unicodeScalars[..<equals]).withoutBlanks.uppercased()
                let values = splitOutsideQuotes(Substring(piece.unicodeScalars[piece.utf8.index(after: equals)...]), on: UInt8(ascii: ","))
                    .map(unquote)
                parameters.append((key, values))
            } else {
                // vCard 2.1 writes bare parameters: TEL;CELL;VOICE:…, NOTE;QUOTED-PRINTABLE:…
                let word = piece.withoutBlanks
                bare = true
                switch word.uppercased() {
                case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT": parameters.append(("ENCODING", [word]))
                default: parameters.append(("TYPE", [word]))
                }
            }
        }
        return (group.map(String.init), name.uppercased(), parameters, bare)
    }

    static func excerpt(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    static func unquote(_ text: Substring) -> String {
        let value = text.withoutBlanks
        let scalars = value.unicodeScalars
        if scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" {
            return String(Substring(scalars.dropFirst().dropLast()))
        }
        return value
    }

    /// Splits on an ASCII separator that is not inside double quotes.
    static func splitOutsideQuotes(_ text: Substring, on separator: UInt8) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var inQuotes = false
        var index = text.utf8.startIndex
        while index != text.utf8.endIndex {
            let byte = text.utf8[index]
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if byte == separator && !inQuotes {
                parts.append(Substring(text.unicodeScalars[start..<index]))
                start = text.utf8.index(after: index)
            }
            index = text.utf8.index(after: index)
        }
        parts.append(Substring(text.unicodeScalars[start...]))
        return parts
    }

    /// Undoes text escaping: `\n` and `\N` are line breaks; `\,` `\;` `\\` (and any other
    /// escaped character, leniently) stand for the character.
    static func unescape(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "\\")) else { return String(text) }
        var out = ""
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                out.unicodeScalars.append(scalar == "n" || scalar == "N" ? "\n" : scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// Gives the line breaks of a text back the kinds rolo wrote them with: vCard escapes
    /// every break as `\n`, and `X-ROLO-BREAKS=CRLF` (or a list, one kind per break in order)
    /// says which were CR LF or CR, so that a note written on Windows comes back as it was.
    static func restoringBreaks(_ text: String, _ kinds: [String]) -> String {
        guard !kinds.isEmpty, text.utf8.contains(0x0A) else { return text }
        var out = String.UnicodeScalarView()
        var index = 0
        for scalar in text.unicodeScalars {
            guard scalar == "\n" else { out.append(scalar); continue }
            switch (index < kinds.count ? kinds[index] : kinds.count == 1 ? kinds[0] : "LF").uppercased() {
            case "CRLF": out.append(contentsOf: ["\r", "\n"])
            case "CR": out.append("\r")
            default: out.append("\n")
            }
            index += 1
        }
        return String(out)
    }

    /// Splits a value on a separator that is not escaped, keeping each part as written.
    static func rawComponents(_ text: String, separator: Unicode.Scalar) -> [Substring] {
        var parts: [Substring] = []
        var start = text.unicodeScalars.startIndex
        var escaped = false
        var index = start
        let scalars = text.unicodeScalars
        while index != scalars.endIndex {
            let scalar = scalars[index]
            if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == separator {
                parts.append(Substring(scalars[start..<index]))
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        parts.append(Substring(scalars[start...]))
        return parts
    }

    /// A structured value (`N`, `ADR`, `ORG`) or a list, split and unescaped.
    static func components(_ text: String, separator: Unicode.Scalar) -> [String] {
        rawComponents(text, separator: separator).map(unescape)
    }

    // MARK: Mapping a card

    /// The standard fields of a structured name, and whether it holds more (additional names,
    /// a suffix) than rolo has fields for.
    static func nameFields(_ value: String) -> (fields: [StandardField: String], isLossy: Bool) {
        let parts = components(value, separator: ";")
        var fields: [StandardField: String] = [:]
        fields[.lastName] = parts[safe: 0]
        fields[.firstName] = parts[safe: 1]
        fields[.salutation] = parts[safe: 3]
        let extra = [parts[safe: 2], parts[safe: 4]] + parts.dropFirst(5).map { $0 }
        return (fields.filter { !$0.value.isEmpty }, extra.contains { !($0 ?? "").isEmpty })
    }

    /// The address fields of an ADR (post office box; extended address; street; locality;
    /// region; postal code; country). A street of two lines fills both address lines;
    /// otherwise the extended address (or the post office box) is line 2.
    static func addressFields(_ value: String) -> (fields: [StandardField: String], isLossy: Bool) {
        let parts = components(value, separator: ";")
        let pobox = parts[safe: 0] ?? "", extended = parts[safe: 1] ?? "", street = parts[safe: 2] ?? ""
        let streetLines = street.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var fields: [StandardField: String] = [:]
        fields[.addressLine1] = streetLines.first
        fields[.addressLine2] = streetLines.count > 1 ? streetLines[1] : extended.isEmpty ? pobox : extended
        fields[.city] = parts[safe: 3]
        fields[.region] = parts[safe: 4]
        fields[.postcode] = parts[safe: 5]
        fields[.country] = parts[safe: 6]
        let isLossy = (streetLines.count > 1 && !(extended.isEmpty && pobox.isEmpty)) || (!extended.isEmpty && !pobox.isEmpty)
            || parts.dropFirst(7).contains { !$0.isEmpty }
        return (fields.filter { !$0.value.isEmpty }, isLossy)
    }

    static func organisationFields(_ value: String) -> (company: String?, isLossy: Bool) {
        let parts = components(value, separator: ";")
        let company = parts.first.flatMap { $0.isEmpty ? nil : $0 }
        return (company, parts.dropFirst().contains { !$0.isEmpty })
    }

    /// A number from TEL: a `tel:` URI loses its scheme; text is unescaped. An extension
    /// (`;ext=12`) is written as people write it (`ext. 12`), which import keeps with the number;
    /// anything else after the number in a URI stays, so nothing is dropped.
    static func phoneNumber(_ property: Property) -> String {
        let value = property.value.trimmed
        if value.lowercased().hasPrefix("tel:") {
            return String(value.dropFirst(4)).replacingOccurrences(of: ";ext=", with: " ext. ", options: .caseInsensitive)
        }
        if property.isURI { return value }
        return property.text.trimmed
    }

    /// An IANA zone name from TZ; nil for a UTC offset (`-05:00`, `-0500`) or a URI. A name
    /// with a colon is a zone only when it names one (`GMT+05:30`, which rolo's validation
    /// accepts and the writer writes as it is).
    static func zoneName(_ property: Property) -> String? {
        if property.isURI || property.parameter("VALUE").contains(where: { $0.lowercased() == "utc-offset" }) { return nil }
        let zone = property.text.trimmed
        guard !zone.isEmpty, !zone.hasPrefix("+"), !zone.hasPrefix("-"), zone.contains(where: \.isLetter),
              !zone.contains(":" as Character) || TimeZone(identifier: zone) != nil else { return nil }
        return zone
    }

    static func isMobile(_ property: Property) -> Bool {
        !property.types.isDisjoint(with: ["cell", "mobile", "iphone"])
    }

    /// True for a label that names a mobile number: Apple's `_$!<Mobile>!$_` in an item
    /// group's X-ABLabel, or a custom label such as "Mobile" or "Cell".
    static func isMobileLabel(_ label: String?) -> Bool {
        label.map(ValueLabel.namesMobile) ?? false
    }

    /// The most preferred of several properties; the first of equals.
    static func preferred(_ candidates: [Property]) -> Property? {
        var best: Property?
        for candidate in candidates where best == nil || candidate.preference < best!.preference { best = candidate }
        return best
    }

    static func contact(from properties: [Property], line: Int) throws(ImportProblem) -> IncomingContact {
        let properties = separatingLabels(properties)
        guard let version = properties.first(where: { $0.name == "VERSION" }) else {
            throw ImportProblem(line: line, message: "the vCard has no VERSION")
        }
        guard ["2.1", "3.0", "4.0"].contains(version.value.trimmed) else {
            throw ImportProblem(line: version.line, message: "vCard VERSION \(version.value.trimmed) is not supported (2.1, 3.0 or 4.0)")
        }
        var contact = Contact(accountID: 0)
        // Preserved lines: first the mapped N, ADR and ORG that held more than rolo's fields
        // (the writer puts them back in place of its own), then the rest in file order.
        var sources: [String: String] = [:]
        var kept: [String] = []
        let phones = properties.filter { $0.name == "TEL" && !phoneNumber($0).isEmpty }
        // Apple and Google label a property through its item group: item1.TEL with item1.X-ABLabel.
        var labels: [String: String] = [:]
        for property in properties where property.name == "X-ABLABEL" {
            if let group = property.group?.lowercased() { labels[group] = labels[group] ?? property.text }
        }
        func isMobileNumber(_ property: Property) -> Bool {
            isMobile(property) || isMobileLabel(property.group.flatMap { labels[$0.lowercased()] })
        }
        let usedEmail = preferred(properties.filter { $0.name == "EMAIL" && !$0.text.trimmed.isEmpty })?.line
        let usedMobile = preferred(phones.filter(isMobileNumber))?.line
        let usedPhone = preferred(phones.filter { !isMobileNumber($0) && !$0.types.contains("fax") && !$0.types.contains("pager") })?.line
        // Every other email and phone is a further value, labelled by its TYPE or by its item
        // group's X-ABLabel (whose line it then takes with it, rather than leaving it kept).
        func isFurther(_ property: Property) -> Bool {
            switch property.name {
            case "EMAIL": property.line != usedEmail && !property.text.trimmed.isEmpty
            case "TEL": property.line != usedMobile && property.line != usedPhone && !phoneNumber(property).isEmpty
            default: false
            }
        }
        func furtherLabel(_ property: Property) -> String {
            if let group = property.group?.lowercased(), let label = labels[group] { return ValueLabel.normalised(label) }
            return ValueLabel.fromVCardTypes(property.orderedTypes)
        }
        // A group whose one value is a further value: its label travels with the value.
        var membersByGroup: [String: [Property]] = [:]
        for property in properties where property.name != "X-ABLABEL" {
            if let group = property.group?.lowercased() { membersByGroup[group, default: []].append(property) }
        }
        let labelGroupsTaken = Set(membersByGroup.compactMap { group, members in
            members.count == 1 && isFurther(members[0]) && labels[group] != nil ? group : nil
        })
        var otherLines: [String: Int] = [:]
        let usedAddress = preferred(properties.filter { $0.name == "ADR" && !addressFields($0.value).fields.isEmpty })?.line
        // A card rolo wrote says the language in X-ROLO-FIELD (3.0 has no LANG); a LANG there is preserved data.
        let languageFromRolo = properties.contains { $0.name == "X-ROLO-FIELD" && $0.parameter("X-KEY").first == StandardField.language.key }
        var createdAt: Timestamp?
        var updatedAt: Timestamp?
        var seen = Set<String>()
        var lines: [FieldKey: Int] = [:]
        // The item group of each mapped property that had one, so that the writer puts the
        // value back in its group, beside its label.
        var groups: [(role: String, group: String)] = []
        for property in properties {
            let isFirst = seen.insert(property.name).inserted
            let fieldsBefore = contact.fields, customBefore = contact.custom
            defer {
                // Where each value came from, for messages about it.
                var used = false
                for (field, value) in contact.fields where fieldsBefore[field] != value {
                    lines[.standard(field)] = property.line
                    used = true
                }
                for (key, value) in contact.custom where customBefore[key] != value { lines[.custom(key)] = property.line }
                if used, let group = property.group,
                   let role = VCardWriter.role(of: property.name, isMobile: property.line == usedMobile) {
                    groups.append((role, group))
                }
            }
            switch property.name {
            case "VERSION", "PRODID":
                continue
            case "REV":
                if isFirst, updatedAt == nil { updatedAt = revisionTimestamp(property.value) }
            case "N" where isFirst:
                let (fields, isLossy) = nameFields(property.value)
                contact.fields.merge(fields) { _, new in new }
                if isLossy { sources["N"] = property.raw }
            case "FN" where isFirst:
                // rolo marks an FN it made up from other fields; that one is not a full name.
                if !property.parameter("X-ROLO-DERIVED").contains(where: { $0.uppercased() == "TRUE" }) {
                    contact[.fullName] = property.text
                }
            case "EMAIL" where property.line == usedEmail:
                contact[.email] = property.text.trimmed
            case "TEL" where property.line == usedMobile:
                contact[.mobilePhone] = phoneNumber(property)
            case "TEL" where property.line == usedPhone:
                contact[.phone] = phoneNumber(property)
            case "EMAIL" where isFurther(property):
                otherLines[OtherValueKind.email.name(at: contact.otherEmails.count)] = property.line
                contact.otherEmails.append(LabelledValue(label: furtherLabel(property), value: property.text.trimmed))
            case "TEL" where isFurther(property):
                otherLines[OtherValueKind.phone.name(at: contact.otherPhones.count)] = property.line
                contact.otherPhones.append(LabelledValue(label: furtherLabel(property), value: phoneNumber(property)))
            case "X-ABLABEL" where property.group.map { labelGroupsTaken.contains($0.lowercased()) } ?? false:
                continue
            case "ADR" where property.line == usedAddress:
                let (fields, isLossy) = addressFields(property.value)
                contact.fields.merge(fields) { _, new in new }
                if isLossy { sources["ADR"] = property.raw }
            case "ORG" where isFirst:
                let (company, isLossy) = organisationFields(property.value)
                contact[.company] = company
                if isLossy { sources["ORG"] = property.raw }
            case "TITLE" where isFirst:
                contact[.jobTitle] = property.text
            case "NOTE" where isFirst:
                contact[.notes] = property.text
            case "URL" where isFirst:
                contact[.website] = property.text.trimmed
            case "TZ" where isFirst && zoneName(property) != nil:
                contact[.timezone] = zoneName(property)
            case "LANG" where isFirst && !languageFromRolo:
                contact[.language] = property.text.trimmed
            case "UID" where isFirst && UUID(uuidString: uuidText(property.text)) != nil:
                contact.uid = uuidText(property.text).lowercased()
            case "X-ROLO-UID":
                let uid = property.text.trimmed
                guard !uid.isEmpty, uid.count <= 128, TerminalText.isSafe(uid) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-UID must be a short id without control characters")
                }
                contact.uid = uid
            case "X-ROLO-CUSTOM":
                let (key, value) = try customValue(property)
                contact.custom[key] = value
            case "X-ROLO-FIELD":
                guard let key = property.parameter("X-KEY").first, let field = StandardField(rawValue: key) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-FIELD needs an X-KEY naming a standard field")
                }
                contact[field] = property.text
            case "X-ROLO-EXTENSION":
                // An empty key (X-KEY="") is a key: a rolo JSON file may hold one, and validation lets it be.
                guard let key = property.parameter("X-KEY").first.map(decodeParameter),
                      let document = try? JSONValue.parse(property.text) else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-EXTENSION needs an X-KEY and a JSON value")
                }
                contact.extensions[key] = document
            case "X-ROLO-KEPT":
                guard let line = (try? JSONValue.parse(property.text))?.stringValue else {
                    throw ImportProblem(line: property.line, message: "X-ROLO-KEPT needs a JSON string")
                }
                kept.append(line)
            case "X-ROLO-CREATED":
                createdAt = Timestamp(parsing: property.text.trimmed)
            case "X-ROLO-UPDATED":
                if let exact = Timestamp(parsing: property.text.trimmed) { updatedAt = exact }
            default:
                kept.append(property.raw)
            }
        }
        if let updatedAt { contact.updatedAt = updatedAt }
        // A card from elsewhere says when it changed, not when it was made: not later than that.
        contact.createdAt = createdAt ?? min(contact.createdAt, contact.updatedAt)
        kept = ["N", "ADR", "ORG"].compactMap { sources[$0] } + kept
        // In the order the writer writes the roles, so that a card rolo wrote reads back the same.
        let roleOrder = ["name", "full_name", "email", "mobile_phone", "phone", "address", "company", "job_title", "notes", "website"]
        let groupEntries = groups.sorted { (roleOrder.firstIndex(of: $0.role) ?? 99) < (roleOrder.firstIndex(of: $1.role) ?? 99) }
            .map { JSONValue.object(["field": .string($0.role), "group": .string($0.group)]) }
        if !kept.isEmpty || !groupEntries.isEmpty { contact.extensions["vcard"] = .array(groupEntries + kept.map(JSONValue.string)) }
        return IncomingContact(contact: contact, accountName: nil, line: line, fieldLines: lines, otherLines: otherLines)
    }

    /// 4.0's `LABEL` parameter of an ADR as 3.0's `LABEL` property beside it, with the ADR's
    /// TYPE: rolo keeps a label in one form, and each export writes it in its version's (see
    /// `VCardWriter.AddressLabel`). The ADR goes on without the parameter.
    static func separatingLabels(_ properties: [Property]) -> [Property] {
        guard properties.contains(where: { $0.name == "ADR" && $0.parameters.contains { $0.name == "LABEL" } }) else { return properties }
        var separated: [Property] = []
        for property in properties {
            guard property.name == "ADR", property.parameters.contains(where: { $0.name == "LABEL" }),
                  let colon = valueColon(property.raw.utf8) else {
                separated.append(property)
                continue
            }
            let text = VCardWriter.AddressLabel.decodedParameter(property.parameter("LABEL").joined(separator: ","))
            let parameters = property.parameters.filter { $0.name != "LABEL" }
            let head = (property.group.map { $0 + "." } ?? "") + "ADR"
                + parameters.map { ";" + $0.name + "=" + $0.values.map(VCardConversion.parameterValue).joined(separator: ",") }.joined()
            let written = String(Substring(property.raw.unicodeScalars[property.raw.utf8.index(after: colon)...]))
            separated.append(Property(line: property.line, raw: head + ":" + written, group: property.group, name: "ADR",
                                      parameters: parameters, value: property.value))
            let types = property.orderedTypes.filter { $0.lowercased() != "pref" }
            let labelParameters: [(name: String, values: [String])] = types.isEmpty ? [] : [("TYPE", types)]
            let value = VCardWriter.escape(text)
            separated.append(Property(line: property.line, raw: "LABEL" + (types.isEmpty ? "" : ";TYPE=" + types.joined(separator: ","))
                                          + ":" + value, group: nil, name: "LABEL", parameters: labelParameters, value: value))
        }
        return separated
    }

    /// A UID without its `urn:uuid:` prefix.
    static func uuidText(_ text: String) -> String {
        let trimmed = text.trimmed
        return trimmed.lowercased().hasPrefix("urn:uuid:") ? String(trimmed.dropFirst(9)) : trimmed
    }

    static func customValue(_ property: Property) throws(ImportProblem) -> (String, CustomValue) {
        guard let key = property.parameter("X-KEY").first.map(decodeParameter), !key.isEmpty,
              let typeName = property.parameter("X-TYPE").first, let type = FieldType(rawValue: typeName.lowercased()) else {
            throw ImportProblem(line: property.line, message: "X-ROLO-CUSTOM needs X-KEY and X-TYPE parameters (X-TYPE one of "
                + FieldType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let stored: String
        if type == .multiselect {
            // An empty value is the empty list, unless X-COUNT=1 says it is one empty option.
            let oneEmpty = property.value.isEmpty && property.parameter("X-COUNT").first == "1"
            let values = oneEmpty ? [""] : property.value.isEmpty ? [] : components(property.value, separator: ",")
            stored = JSONValue.array(values.map(JSONValue.string)).canonicalText
        } else {
            stored = property.text
        }
        guard let value = CustomValue(storedText: stored, type: type) else {
            throw ImportProblem(line: property.line, message: "custom.\(key): “\(excerpt(property.text))” is not a \(type.rawValue) value")
        }
        return (key, value)
    }

    /// REV as vCards write it: `20231107T053156Z`, `2023-11-07T05:31:56Z`, or a bare date.
    static func revisionTimestamp(_ text: String) -> Timestamp? {
        let compact = text.trimmed
        if let instant = Timestamp(parsing: compact) { return instant }
        let characters = Array(compact)
        func digits(_ range: Range<Int>) -> String? {
            range.upperBound <= characters.count && characters[range].allSatisfy(\.isNumber) ? String(characters[range]) : nil
        }
        let date: String
        if let day = LocalDate(iso: String(compact.prefix(10))) {
            date = day.description
        } else if let year = digits(0..<4), let month = digits(4..<6), let day = digits(6..<8) {
            date = "\(year)-\(month)-\(day)"
        } else {
            return nil
        }
        let dateLength = LocalDate(iso: String(compact.prefix(10))) != nil ? 10 : 8
        if characters.count == dateLength {
            return Timestamp(parsing: date + "T00:00:00Z")
        }
        // The basic format: yyyymmddThhmmss, then Z or ±hhmm.
        guard characters.count >= 15, characters[8] == "T" || characters[8] == "t",
              let hour = digits(9..<11), let minute = digits(11..<13), let second = digits(13..<15) else { return nil }
        var zone = String(characters[15...])
        if zone.isEmpty { zone = "Z" }
        if zone.count == 5 { zone = String(zone.prefix(3)) + ":" + String(zone.suffix(2)) }
        return Timestamp(parsing: "\(date)T\(hour):\(minute):\(second)\(zone)")
    }

    // MARK: Parameter values

    /// A parameter value as rolo writes it: RFC 6868's `^^`, `^'` and `^n` for a caret, a
    /// double quote and a line break, and in quotes unless it is a plain word.
    static func encodeParameter(_ text: String) -> String {
        var encoded = ""
        var plain = !text.isEmpty
        for scalar in text.unicodeScalars {
            switch scalar {
            case "^": encoded += "^^"
            case "\"": encoded += "^'"
            case "\n": encoded += "^n"
            case "\r": continue
            default: encoded.unicodeScalars.append(scalar)
            }
            let isWordCharacter = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
            if !isWordCharacter { plain = false }
        }
        return plain ? encoded : "\"" + encoded + "\""
    }

    static func decodeParameter(_ text: String) -> String {
        guard text.contains("^" as Character) else { return text }
        var out = ""
        var caret = false
        for scalar in text.unicodeScalars {
            if caret {
                switch scalar {
                case "^": out += "^"
                case "'": out += "\""
                case "n", "N": out += "\n"
                default: out += "^"; out.unicodeScalars.append(scalar)
                }
                caret = false
            } else if scalar == "^" {
                caret = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if caret { out += "^" }
        return out
    }
}

extension Substring {
    /// Without spaces and tabs at either end: what surrounds a parameter in a content line.
    /// (Cheaper than `trimmed`, which weighs every grapheme, and runs for every parameter.)
    var withoutBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(Substring(scalars[first...last]))
    }
}
