import Foundation
import RoloCore

/// Rewrites a line preserved from another tool's card in the syntax of the version being
/// written, so that a 3.0 or 4.0 export never carries vCard 2.1 (or, in 4.0, 3.0) syntax:
///
/// - `QUOTED-PRINTABLE` is undone and the value escaped as 3.0/4.0 text (its line breaks as
///   `\n`); `CHARSET` goes (the file is UTF-8); `8BIT`/`7BIT` say nothing and go too.
/// - Bare parameters (`TEL;WORK;VOICE:`) become `TYPE=` values.
/// - Binary values: `ENCODING=b` in 3.0; in 4.0 a `data:` URI (`PHOTO:data:image/jpeg;base64,…`),
///   and back again for 3.0. `TYPE=pref` is `PREF=1` in 4.0.
///
/// A line that needs none of this is written exactly as it was read.
enum VCardConversion {
    /// Properties whose value may be binary data.
    static let binaryProperties: Set<String> = ["PHOTO", "LOGO", "SOUND", "KEY"]
    /// Text properties whose commas and semicolons 2.1 leaves bare and 3.0/4.0 escape.
    static let singleText: Set<String> = ["FN", "NOTE", "TITLE", "ROLE", "LABEL", "MAILER", "SORT-STRING"]
    /// Structured text: `;` separates the parts, a comma inside a part is escaped.
    static let structuredText: Set<String> = ["N", "ADR", "ORG"]

    /// The line in `version`'s syntax, or nil when the line already is.
    static func line(_ property: VCardFormat.Property, to version: VCardVersion) -> String? {
        let v4 = version == .v4
        let encodings = property.parameter("ENCODING").map { $0.uppercased() }
        let isQuotedPrintable = encodings.contains("QUOTED-PRINTABLE")
        let isBinary = encodings.contains { $0 == "B" || $0 == "BASE64" }
        let hasCharset = property.parameters.contains { $0.name == "CHARSET" }
        let isVersion21 = isQuotedPrintable || hasCharset || property.hasBareParameters
            || encodings.contains { $0 == "BASE64" || $0 == "8BIT" || $0 == "7BIT" }
        let dataURI = !v4 && binaryProperties.contains(property.name) ? DataURI(property.value.trimmed) : nil
        guard isVersion21 || (v4 && (!encodings.isEmpty || property.types.contains("pref"))) || dataURI != nil else { return nil }

        var types: [String] = []
        for value in property.parameters.filter({ $0.name == "TYPE" }).flatMap(\.values).flatMap({ $0.split(separator: ",") }) {
            let type = value.withoutBlanks
            if !type.isEmpty, !types.contains(where: { $0.caseInsensitiveCompare(type) == .orderedSame }) { types.append(type) }
        }
        var others: [(name: String, values: [String])] = property.parameters.filter { !["TYPE", "ENCODING", "CHARSET"].contains($0.name) }
        var value: String
        // 3.0's base64 (written first, as Apple does: PHOTO;ENCODING=b;TYPE=JPEG).
        var encoding: String?
        if isBinary && binaryProperties.contains(property.name) {
            let data = String(property.value.unicodeScalars.filter { !$0.properties.isWhitespace })
            if v4 {
                let media = types.firstIndex { mediaType(of: $0, for: property.name) != nil }
                let kind = media.map { mediaType(of: types.remove(at: $0), for: property.name)! } ?? "application/octet-stream"
                value = "data:" + kind + ";base64," + data
            } else {
                encoding = "b"
                value = data
            }
        } else if let dataURI {
            // A 4.0 data URI back in 3.0 form: base64 with its type, or a URI value.
            if dataURI.isBase64 {
                encoding = "b"
                if let subtype = dataURI.mediaType.split(separator: "/").last, !subtype.isEmpty,
                   !types.contains(where: { $0.caseInsensitiveCompare(String(subtype)) == .orderedSame }) {
                    types.append(String(subtype).uppercased())
                }
                value = dataURI.data
            } else {
                if !others.contains(where: { $0.name == "VALUE" }) { others.append(("VALUE", ["uri"])) }
                value = property.value
            }
        } else {
            value = escapedText(property.value, name: property.name, fromVersion21: isVersion21)
        }
        if v4 {
            if types.contains(where: { $0.lowercased() == "pref" }) {
                types.removeAll { $0.lowercased() == "pref" }
                if !others.contains(where: { $0.name == "PREF" }) { others.append(("PREF", ["1"])) }
            }
            if property.name == "EMAIL" { types.removeAll { $0.lowercased() == "internet" } }
            types = types.map { $0.lowercased() }
        }

        var line = (property.group.map { $0 + "." } ?? "") + property.name
        if let encoding { line += ";ENCODING=" + encoding }
        if !types.isEmpty { line += ";TYPE=" + types.map(parameterValue).joined(separator: ",") }
        for (name, values) in others { line += ";" + name + "=" + values.map(parameterValue).joined(separator: ",") }
        return line + ":" + value
    }

    /// A value as 3.0/4.0 text: escapes already there stay; a raw line break becomes `\n`; in a
    /// text property that came from 2.1, a bare comma (and in single text, a semicolon) is escaped.
    static func escapedText(_ value: String, name: String, fromVersion21: Bool) -> String {
        let escapesCommas = fromVersion21 && (singleText.contains(name) || structuredText.contains(name))
        let escapesSemicolons = fromVersion21 && singleText.contains(name)
        var out = String.UnicodeScalarView()
        var scalars = value.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return scalars.next()
        }
        while let scalar = next() {
            switch scalar {
            case "\\":
                out.append(scalar)
                if let escaped = next() { out.append(escaped) }
            case "\r":
                if let following = next(), following != "\n" { pending = following }
                out.append(contentsOf: "\\n".unicodeScalars)
            case "\n":
                out.append(contentsOf: "\\n".unicodeScalars)
            case "," where escapesCommas, ";" where escapesSemicolons:
                out.append("\\")
                out.append(scalar)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A parameter value, quoted when it holds a character that would end it.
    static func parameterValue(_ text: String) -> String {
        text.unicodeScalars.contains { $0 == ":" || $0 == ";" || $0 == "," } ? "\"" + text + "\"" : text
    }

    /// The media type a 2.1/3.0 TYPE names for binary data (`JPEG` → `image/jpeg`).
    static func mediaType(of type: String, for property: String) -> String? {
        let word = type.lowercased()
        if word.contains("/") { return word }
        switch word {
        case "jpeg", "jpg": return "image/jpeg"
        case "png": return "image/png"
        case "gif": return "image/gif"
        case "bmp": return "image/bmp"
        case "tiff": return "image/tiff"
        case "wave", "wav": return "audio/wav"
        case "mp3", "mpeg": return property == "SOUND" ? "audio/mpeg" : nil
        case "pgp": return "application/pgp-keys"
        case "x509": return "application/pkix-cert"
        default: return nil
        }
    }

    /// `data:image/jpeg;base64,…` taken apart.
    struct DataURI {
        let mediaType: String
        let isBase64: Bool
        let data: String

        init?(_ text: String) {
            guard text.lowercased().hasPrefix("data:"), let comma = text.firstIndex(of: ",") else { return nil }
            let head = text[text.index(text.startIndex, offsetBy: 5)..<comma]
            var parts = head.split(separator: ";").map { String($0) }
            isBase64 = parts.last?.lowercased() == "base64"
            if isBase64 { parts.removeLast() }
            mediaType = parts.first ?? ""
            data = String(text[text.index(after: comma)...])
        }
    }
}

/// Provider data as a person reads it (`rolo show`): a kept vCard line that holds binary data
/// — a photo, a logo, a sound or a key, in base64 or as a `data:` URI — is summarised
/// (`PHOTO (image/jpeg, 2.3 KB)`) instead of printed as kilobytes of base64 on one line. The
/// contact keeps the data, and exports write it whole.
public enum ShownProviderData {
    public static func value(_ value: JSONValue, key: String) -> JSONValue {
        guard key == "vcard", case .array(let items) = value else { return value }
        return .array(items.map { item in item.stringValue.flatMap(VCardFormat.binarySummary).map(JSONValue.string) ?? item })
    }
}

extension VCardFormat {
    /// `PHOTO (image/jpeg, 2.3 KB)` for a line of binary data; nil for any other line.
    static func binarySummary(_ line: String) -> String? {
        guard let property = try? parse(ContentLine(line: 0, text: line)),
              VCardConversion.binaryProperties.contains(property.name) else { return nil }
        let encodings = property.parameter("ENCODING").map { $0.uppercased() }
        let mediaType: String
        let data: String
        if let uri = VCardConversion.DataURI(property.value.trimmed), uri.isBase64 {
            mediaType = uri.mediaType.isEmpty ? "data" : uri.mediaType.lowercased()
            data = uri.data
        } else if encodings.contains(where: { $0 == "B" || $0 == "BASE64" }) {
            let types = property.parameters.filter { $0.name == "TYPE" }.flatMap(\.values)
            mediaType = types.lazy.compactMap { VCardConversion.mediaType(of: $0, for: property.name) }.first
                ?? types.first?.lowercased() ?? "data"
            data = property.value
        } else {
            return nil
        }
        let digits = data.utf8.filter { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A) }
        let padding = digits.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        let bytes = max(0, digits.count / 4 * 3 + (digits.count % 4 == 0 ? 0 : digits.count % 4 - 1) - padding)
        return (property.group.map { $0 + "." } ?? "") + property.name + " (\(mediaType), \(byteSize(bytes)))"
    }

    /// `812 bytes`, `2.3 KB`, `1.4 MB`.
    static func byteSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
        let kilobytes = Double(bytes) / 1024
        if kilobytes < 1024 { return String(format: "%.1f KB", kilobytes) }
        return String(format: "%.1f MB", kilobytes / 1024)
    }
}
