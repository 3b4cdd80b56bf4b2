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
}
