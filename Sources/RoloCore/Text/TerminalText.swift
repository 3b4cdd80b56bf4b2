/// Text on its way to a terminal. Everything that came from a provider or a file goes
/// through here (the canvas and the CLI's table output call it), so escape sequences,
/// control characters and bidi overrides are shown as visible placeholders and never act.
public enum TerminalText {
    /// One grapheme made safe to draw, with the number of cells it takes (0, 1 or 2).
    public struct Cell: Sendable, Hashable {
        public let text: String
        public let width: Int
    }

    /// True when every byte is printable ASCII: one cell per byte and nothing to replace, so
    /// the grapheme-by-grapheme path (most of a frame's cost) can be skipped.
    @inlinable
    public static func isPlainASCII(_ text: String) -> Bool {
        // Over the bytes themselves when the string has them in one piece (almost always).
        text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
            ?? text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// True for a code point that is printable ASCII, a Latin-1 or Latin Extended letter or sign
    /// (U+00A0–U+02FF), or a Greek or Cyrillic letter (U+0370–U+04FF but the Cyrillic combining
    /// marks U+0483–U+0489): one cell, never joined to the next into one grapheme, nothing to
    /// replace.
    @inlinable
    public static func isSimpleAlphabetic(_ value: UInt32) -> Bool {
        (value >= 0x20 && value < 0x7F) || (value >= 0xA0 && value < 0x300)
            || (value >= 0x370 && value < 0x483) || (value >= 0x48A && value < 0x500)
    }

    /// True when every code point is simple alphabetic (see above). Most names and emails
    /// outside English (`Müller`, `Łukasz`, `Dvořák`, `Ольга`, `Νίκος`) are, and take the same
    /// shortcut as ASCII: code points, not graphemes.
    @inlinable
    public static func isSimpleAlphabetic(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { isSimpleAlphabetic($0.value) }
    }

    /// The cells of a string that `isSimpleAlphabetic` accepts, found in one pass over its UTF-8
    /// bytes; nil for any other string. Every such code point is one byte (ASCII) or two.
    @inlinable
    public static func simpleAlphabeticWidth(_ text: String) -> Int? {
        let measured = text.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
            var width = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 0x20 && byte < 0x7F {
                    index += 1
                } else {
                    guard byte >= 0xC2, byte < 0xE0, index + 1 < bytes.count else { return nil }
                    let next = bytes[index + 1]
                    guard next & 0xC0 == 0x80, isSimpleAlphabetic(UInt32(byte & 0x1F) << 6 | UInt32(next & 0x3F)) else { return nil }
                    index += 2
                }
                width += 1
            }
            return width
        }
        if let measured { return measured }
        return isSimpleAlphabetic(text) ? text.unicodeScalars.count : nil
    }

    /// The safe form of a string: every unsafe character replaced by a visible placeholder.
    public static func sanitize(_ text: String) -> String {
        if simpleAlphabeticWidth(text) != nil { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text { out += cell(for: character).text }
        return out
    }

    /// `sanitize(text)` and the cells it takes, in one pass: for output that measures every
    /// cell it writes (`rolo list`'s table of every match).
    public static func sanitizedWithWidth(_ text: String) -> (text: String, width: Int) {
        if let width = simpleAlphabeticWidth(text) { return (text, width) }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var total = 0
        for character in text {
            let cell = cell(for: character)
            out += cell.text
            total += cell.width
        }
        return (out, total)
    }

    /// Like `sanitize`, but keeps tabs and line breaks (CR LF becomes LF), for output that
    /// lays text out itself and escapes them (TSV, multi-line notes).
    public static func sanitizeKeepingLayout(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "\n", "\r\n": out += "\n"
            case "\t": out += "\t"
            default: out += cell(for: character).text
            }
        }
        return out
    }

    /// True when the text can be written as it is.
    public static func isSafe(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { placeholder(for: $0) == nil }
    }

    /// The cells a string takes once made safe.
    public static func width(_ text: String) -> Int {
        if let width = simpleAlphabeticWidth(text) { return width }
        var total = 0
        for character in text { total += cell(for: character).width }
        return total
    }

    /// Makes one grapheme safe and measures it: its text and all the cells it takes.
    public static func cell(for character: Character) -> Cell {
        let parts = cells(for: character)
        if parts.count == 1 { return parts[0] }
        return Cell(text: parts.map(\.text).joined(), width: parts.reduce(0) { $0 + $1.width })
    }

    /// One grapheme as the cells a terminal gives it, each at most two wide.
    ///
    /// Terminals (and tmux, with glibc's tables) place text code point by code point, so a
    /// grapheme of several spacing letters — Thai `คำ`, a Devanagari conjunct, Hangul written
    /// as jamo — is one cell per spacing letter, with the marks that follow it. Nothing is
    /// dropped but what is unsafe or invisible.
    ///
    /// Emoji built from several code points (ZWJ families, skin tones, VS16 forms) are the
    /// exception: terminals disagree about their width, so they are reduced to their first
    /// code point, whose width every terminal agrees on.
    public static func cells(for character: Character) -> [Cell] {
        let scalars = character.unicodeScalars
        let first = scalars.first!
        if let shown = placeholder(for: first) {
            // A control character is its own grapheme, except CR LF, which is one.
            let rest = scalars.dropFirst().map { placeholder(for: $0) ?? String($0) }.joined()
            return [Cell(text: shown + rest, width: 1 + rest.count)]
        }
        if scalars.count == 1 {
            return [Cell(text: String(character), width: width(of: first))]
        }
        let isEmoji = first.properties.isEmojiPresentation || first.properties.isEmoji && scalars.contains("\u{FE0F}")
        let isFlag = (0x1F1E6...0x1F1FF).contains(first.value)
        if isFlag, scalars.count == 2 {
            return [Cell(text: String(character), width: 2)]
        }
        if isEmoji {
            return [Cell(text: String(first), width: width(of: first))]
        }
        // Letters with the marks that follow them; bidi controls and other format characters
        // that ride along in the cluster are left out.
        var units: [(text: String.UnicodeScalarView, width: Int)] = []
        for scalar in scalars where placeholder(for: scalar) == nil && scalar.properties.generalCategory != .format {
            let cells = width(of: scalar)
            if cells > 0 || units.isEmpty {
                units.append((String.UnicodeScalarView([scalar]), cells))
            } else {
                units[units.count - 1].text.append(scalar)
            }
        }
        let drawn = units.filter { $0.width > 0 }.map { Cell(text: String($0.text), width: $0.width) }
        return drawn.isEmpty ? [Cell(text: "", width: 0)] : drawn
    }

    /// Cuts text to at most `maxWidth` cells, ending in `…` when something was cut.
    /// Never splits a grapheme, and never leaves half of a wide character.
    public static func truncate(_ text: String, to maxWidth: Int) -> String {
        guard maxWidth > 0 else { return "" }
        if isPlainASCII(text) {
            return text.utf8.count <= maxWidth ? text : String(text.utf8.prefix(maxWidth - 1))! + "…"
        }
        if isSimpleAlphabetic(text) {
            let scalars = text.unicodeScalars
            return scalars.count <= maxWidth ? text : String(String.UnicodeScalarView(scalars.prefix(maxWidth - 1))) + "…"
        }
        var cells: [Cell] = []
        var used = 0
        for character in text {
            for cell in TerminalText.cells(for: character) {
                cells.append(cell)
                used += cell.width
            }
        }
        if used <= maxWidth { return cells.map(\.text).joined() }
        var out = ""
        var width = 0
        for cell in cells {
            if width + cell.width > maxWidth - 1 { break }
            out += cell.text
            width += cell.width
        }
        return out + "…"
    }

    /// Pads with spaces (after truncating) to exactly `width` cells.
    public static func fit(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        return cut + String(repeating: " ", count: max(0, width - self.width(cut)))
    }

    /// The visible stand-in for a code point that must not reach a terminal as it is (a
    /// control character, a bidi override), or nil for one that may.
    public static func placeholder(for scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x00...0x1F: String(Unicode.Scalar(0x2400 + scalar.value)!)   // ␀ … ␟ (ESC shows as ␛)
        case 0x7F: "\u{2421}"                                             // ␡
        case 0x80...0x9F: "\u{FFFD}"                                      // C1 controls (CSI, OSC as 8-bit)
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: "\u{FFFD}"  // bidi marks and overrides
        case 0x2028, 0x2029: "\u{2424}"                                   // line and paragraph separators
        default: nil
        }
    }

    /// Cells for one code point: 2 for East Asian wide and full-width characters and emoji
    /// shown as pictures, 0 for combining marks and invisible format characters, else 1.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value == 0x200B || (0x1160...0x11FF).contains(value) { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        for range in wideRanges where range.contains(value) { return 2 }
        return 1
    }

    /// East Asian Wide (W) and Fullwidth (F) blocks from Unicode's EastAsianWidth.txt,
    /// apart from emoji, which `isEmojiPresentation` covers.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
        0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x17000...0x18AFF, 0x1B000...0x1B2FF, 0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
