extension StringProtocol {
    /// The text without surrounding whitespace and newlines. Same result as Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without bridging to NSString — this
    /// runs for every field of every contact on import.
    public var trimmed: String {
        // Printable ASCII at both ends: nothing to trim (nearly every value of an import).
        let ends = utf8.withContiguousStorageIfAvailable { bytes in bytes.isEmpty ? nil : (bytes[0], bytes[bytes.count - 1]) }
        if let (first, last) = ends ?? nil, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return String(self)
        }
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }

    /// The text without surrounding spaces and tabs (Unicode's space separators), line breaks
    /// kept: Foundation's `trimmingCharacters(in: .whitespaces)`, which is what SQLite lookups
    /// of emails were written against, with the same fast path as `trimmed` — an import asked
    /// it three times a contact.
    public var trimmingSpaces: String {
        let ends = utf8.withContiguousStorageIfAvailable { bytes in bytes.isEmpty ? nil : (bytes[0], bytes[bytes.count - 1]) }
        if let (first, last) = ends ?? nil, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return String(self)
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !Self.isSpace($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// A member of Foundation's `CharacterSet.whitespaces`: a space separator, a tab, or —
    /// as Foundation has it, checked over every code point — the zero-width space.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\u{200B}" || scalar.properties.generalCategory == .spaceSeparator
    }
}
