/// The live filter's query language.
///
/// - `rob dal`: every word must match, each as the start of a word (a prefix).
/// - `field:term`: only that field — any standard field or alias (`email:`, `city:`, `zip:`),
///   `name:` for any name part, `address:` for both address lines, `tel:` for both phones, or a
///   custom key (`plan:gold`, `custom.plan:gold`).
/// - `"exact phrase"`: the words in that order, the last one complete; `field:"…"` works too.
///
/// Matching ignores case and accents. Text that makes no words (`@`, `-`) is ignored, and an
/// unfinished quote is read as a phrase still being typed. A term given twice counts once, and
/// at most `maxTerms` terms are used: each one is another index lookup, and a pasted paragraph
/// of common words would otherwise take minutes.
public struct ContactQuery: Sendable, Hashable, CustomStringConvertible {
    /// Where a term looks.
    public enum Scope: Sendable, Hashable {
        case anyField
        case fields([StandardField])
        case custom(String)
    }

    /// One condition: its words, in order, all within one field value.
    public struct Term: Sendable, Hashable {
        public var scope: Scope
        public var words: [String]
        /// True when the last word may be the start of a longer word.
        public var lastWordIsPrefix: Bool

        public init(scope: Scope, words: [String], lastWordIsPrefix: Bool) {
            self.scope = scope
            self.words = words
            self.lastWordIsPrefix = lastWordIsPrefix
        }
    }

    /// The most terms a query uses; `ignoredTerms` counts those left out after them.
    public static let maxTerms = 16

    public var terms: [Term]
    public let text: String
    /// Different terms beyond `maxTerms`, which the query leaves out.
    public let ignoredTerms: Int

    public var isEmpty: Bool { terms.isEmpty }
    public var description: String { text }

    public init(_ text: String) {
        self.text = text
        var seen = Set<Term>()
        let distinct = ContactQuery.parse(text).filter { seen.insert($0).inserted }
        self.terms = Array(distinct.prefix(Self.maxTerms))
        self.ignoredTerms = distinct.count - terms.count
    }


    /// Field names that stand for several fields.
    static let groups: [String: [StandardField]] = [
        "name": [.salutation, .firstName, .lastName, .fullName],
        "address": [.addressLine1, .addressLine2],
        "tel": [.phone, .mobilePhone],
    ]

    private static func parse(_ text: String) -> [Term] {
        var terms: [Term] = []
        var scanner = Substring(text)
        while true {
            scanner = scanner.drop { $0.isWhitespace }
            guard !scanner.isEmpty else { break }
            // An optional `field:` before the term.
            var scope = Scope.anyField
            if let colon = scanner.firstIndex(of: ":"),
               !scanner[..<colon].contains(where: { $0.isWhitespace || $0 == "\"" }),
               scanner[scanner.index(after: colon)...].first != "/",
               let named = self.scope(named: String(scanner[..<colon])) {
                scope = named
                scanner = scanner[scanner.index(after: colon)...]
            }
            let raw: Substring
            let quoted: Bool
            var closed = false
            if scanner.first == "\"" {
                quoted = true
                let body = scanner.dropFirst()
                if let end = body.firstIndex(of: "\"") {
                    raw = body[..<end]
                    scanner = body[body.index(after: end)...]
                    closed = true
                } else {
                    raw = body
                    scanner = body[body.endIndex...]
                }
            } else {
                quoted = false
                let end = scanner.firstIndex(where: { $0.isWhitespace }) ?? scanner.endIndex
                raw = scanner[..<end]
                scanner = scanner[end...]
            }
            let words = isPhoneScope(scope) ? SearchText.phoneWords(String(raw)).prefix(1).map { $0 } : SearchText.words(String(raw))
            guard !words.isEmpty else { continue }
            terms.append(Term(scope: scope, words: words, lastWordIsPrefix: !(quoted && closed)))
        }
        return terms
    }

    /// Resolves the name before a colon; nil when it is not a field (then the colon is text).
    static func scope(named name: String) -> Scope? {
        let lowered = name.lowercased()
        if let group = groups[lowered] { return .fields(group) }
        if lowered.hasPrefix("custom."), lowered.count > 7 { return .custom(String(name.dropFirst(7))) }
        if let field = StandardField(named: lowered) {
            return field.kind == .flag ? nil : .fields([field])
        }
        let looksLikeKey = !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
        return looksLikeKey ? .custom(name) : nil
    }

    static func isPhoneScope(_ scope: Scope) -> Bool {
        if case .fields(let fields) = scope { return fields.allSatisfy { $0.kind == .phone } }
        return false
    }
}
