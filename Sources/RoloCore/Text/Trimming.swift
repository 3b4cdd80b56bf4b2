extension String {
    /// The string without surrounding whitespace and newlines. Same result as Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without bridging to NSString — this
    /// runs for every field of every contact on import.
    public var trimmed: String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        if first == startIndex && last == index(before: endIndex) { return self }
        return String(self[first...last])
    }
}
