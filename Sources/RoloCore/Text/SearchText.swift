/// How contact text is cut into the words the live filter matches.
///
/// The index (RoloStore) and the query (`ContactQuery`) both go through here, so a word is
/// cut the same way when it is stored and when it is searched for. Case and accents are
/// folded later by SQLite's unicode61 tokenizer, on both sides alike.
public enum SearchText {
    /// Splits text into words: runs of letters (with their marks) and runs of digits, so
    /// `adams70358` is the two words `adams 70358`. Scripts written without spaces (Han, kana,
    /// Hangul, Thai, …) become one word per character, so that a query for `太郎` finds
    /// `山田太郎` as the phrase `太 郎` rather than only names that start with it.
    ///
    /// Letters and digits are apart because addresses like `name1234@` would otherwise put a
    /// word per number into the index: a million contacts gave 2.8 million words, and typing
    /// `dall` had ten thousand of them to look through. Searched as a phrase, `adams703` still
    /// finds `adams70358`.
    public static func words(_ text: String) -> [String] {
        if let ascii = asciiWords(text) { return ascii }
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var currentIsDigits = false
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for scalar in text.unicodeScalars {
            if isWrittenWithoutSpaces(scalar) {
                flush()
                words.append(String(scalar))
            } else if isWordScalar(scalar) {
                // A mark belongs to the run it follows; a letter after digits (or the reverse)
                // starts a new word.
                let isDigit = scalar.properties.numericType == .decimal
                if !scalar.properties.generalCategory.isMark {
                    if !current.isEmpty, isDigit != currentIsDigits { flush() }
                    if current.isEmpty { currentIsDigits = isDigit }
                }
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// `words` for text that is all ASCII (nil otherwise), without looking up Unicode
    /// properties: in ASCII the word characters are exactly the letters and the digits, no
    /// character is a mark, and no script is written without spaces.
    static func asciiWords(_ text: String) -> [String]? {
        var words: [String] = []
        var start = -1
        var startIsDigit = false
        let isASCII: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for (position, byte) in bytes.enumerated() {
                guard byte < 0x80 else { return false }
                let isDigit = byte >= 0x30 && byte <= 0x39
                let isLetter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
                if isDigit || isLetter {
                    if start >= 0, isDigit != startIsDigit {
                        words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
                        start = -1
                    }
                    if start < 0 { start = position; startIsDigit = isDigit }
                } else if start >= 0 {
                    words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
                    start = -1
                }
            }
            if start >= 0 { words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)) }
            return true
        }
        return isASCII == true ? words : nil
    }

    /// The digits of a phone number, and its last 10, 7 and 4 digits, so that a search for the
    /// number without its country code, or for its last digits (`0059`, `7140059`), finds it.
    public static func phoneWords(_ text: String) -> [String] {
        let digits = String(text.unicodeScalars.filter { $0.properties.numericType == .decimal && $0.isASCII })
        guard !digits.isEmpty else { return words(text) }
        return [digits] + [10, 7, 4].filter { $0 < digits.count }.map { String(digits.suffix($0)) }
    }

    /// The word stored for a custom value's word: a two-character code for the key, then the
    /// word. Private-use characters count as letters to unicode61, so the pair stays one token
    /// and `plan:gold` becomes a prefix search for that single token.
    public static func customWord(key: String, word: String) -> String {
        keyCode(key) + word
    }

    /// A stable two-character code for a custom key (FNV-1a over the folded key, mapped into
    /// the Private Use Area). Stable across runs and machines, unlike Swift's `Hasher`.
    public static func keyCode(_ key: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in TextFolding.fold(key).utf8 where byte != UInt8(ascii: "_") && byte != UInt8(ascii: "-") {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let first = Unicode.Scalar(0xE000 + (hash % 6400))!
        let second = Unicode.Scalar(0xE000 + (hash / 6400 % 6400))!
        return String(first) + String(second)
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber,
             .nonspacingMark, .spacingMark, .enclosingMark, .privateUse:
            true
        default:
            false
        }
    }

    /// Han, kana, Hangul and the South-East Asian scripts that do not put spaces between words.
    static func isWrittenWithoutSpaces(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF,            // hiragana, katakana
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3FFFF,  // Han
             0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF,  // Hangul
             0x0E00...0x0E7F, 0x0E80...0x0EFF,            // Thai, Lao
             0x1000...0x109F, 0x1780...0x17FF:            // Myanmar, Khmer
            isWordScalar(scalar)
        default:
            false
        }
    }
}

private extension Unicode.GeneralCategory {
    var isMark: Bool { self == .nonspacingMark || self == .spacingMark || self == .enclosingMark }
}
