import Foundation

/// Case- and accent-insensitive text, for sort keys and comparisons: `Zoë` and `zoe` fold alike.
public enum TextFolding {
    /// Lowercases and removes diacritics. Letters that carry their accent without decomposing
    /// (ø, ł, đ, ħ, ı) are mapped by hand, as SQLite's unicode61 tokenizer does.
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var scalars = String.UnicodeScalarView()
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark: continue
            default: break
            }
            if let plain = unaccented[scalar] { scalars.append(plain) } else { scalars.append(scalar) }
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }

    private static let unaccented: [Unicode.Scalar: Unicode.Scalar] = [
        "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ƀ": "b", "ɨ": "i",
    ]
}
