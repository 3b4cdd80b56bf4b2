extension StringProtocol {
    /// The text without surrounding whitespace and newlines. Same result as Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without bridging to NSString — this
    /// runs for every field of every contact on import.
    public var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
