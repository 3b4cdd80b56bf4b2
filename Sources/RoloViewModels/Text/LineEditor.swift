import RoloCore

/// A one-line text editor with the readline keys people know from shells. It backs the live
/// filter, the `:` command line and every text field of the edit form.
///
/// Everything is counted in graphemes (Swift `Character`s): a CJK ideograph, an emoji with its
/// skin tone, a flag, or a letter carrying combining accents is a single cursor step and a
/// single Backspace. The stored text is exactly what was typed or set; only pasted text is
/// flattened onto one line. Making it safe to draw is `viewport`'s job, through `TerminalText`.
///
/// The value is pure: no I/O, no clock, so it can be copied, compared and tested freely.
public struct LineEditor: Hashable, Sendable {
    public private(set) var text: String
    /// Cursor position in graphemes (Characters), 0...text.count.
    public private(set) var cursor: Int
    /// The first grapheme drawn by `viewport`. It is only moved when the cursor would leave the
    /// visible part (or when text after it shrinks enough to leave room on the left), so the
    /// field does not jump about while typing or moving back.
    private var scroll = 0
    /// The text the last kill (Ctrl-K, Ctrl-U, Ctrl-W) removed, put back by Ctrl-Y.
    private var killBuffer = ""

    /// An editor holding `text`, with the cursor at its end.
    public init(text: String = "") {
        self.text = text
        cursor = text.count
    }

    /// Replaces the whole text (completion, history) and puts the cursor at its end.
    public mutating func setText(_ text: String) {
        self.text = text
        cursor = text.count
        scroll = 0
    }

    /// Inserts `text` at the cursor, exactly as given, and leaves the cursor after it. A
    /// combining mark joins the grapheme before the cursor ("e" then U+0301 is one "é").
    public mutating func insert(_ text: String) {
        replace(cursor..<cursor, with: text)
    }

    // MARK: - Keys

    /// Applies an editing key; returns true if the key was an editing key (consumed), false if
    /// the caller should handle it (Enter, Esc, Tab, Up/Down, PgUp/PgDn, Ctrl-S, function keys,
    /// and any other control or Alt key that is not an editing key). Ctrl-D on an empty line
    /// is also left to the caller.
    public mutating func handle(_ key: Key) -> Bool {
        let count = text.count
        switch key {
        case .character(let character):
            insert(String(character))
        case .paste(let pasted):
            insert(Self.flattened(pasted))

        case .left, .control("b"):
            cursor = max(0, cursor - 1)
        case .right, .control("f"):
            cursor = min(count, cursor + 1)
        case .alt("b"):
            cursor = backwardWord(from: cursor, isWord: Self.isWordCharacter)
        case .alt("f"):
            cursor = forwardWord(from: cursor)
        case .home, .control("a"):
            cursor = 0
        case .end, .control("e"):
            cursor = count

        case .backspace, .control("h"):
            if cursor > 0 { replace(cursor - 1..<cursor, with: "") }
        case .delete:
            if cursor < count { replace(cursor..<cursor + 1, with: "") }
        case .control("d"):
            guard count > 0 else { return false }
            if cursor < count { replace(cursor..<cursor + 1, with: "") }

        case .control("k"):
            kill(cursor..<count)
        case .control("u"):
            kill(0..<cursor)
        case .control("w"):
            // unix-word-rubout: the blanks before the cursor, then the non-blanks before those.
            kill(backwardWord(from: cursor, isWord: { !$0.isWhitespace })..<cursor)
        case .control("y"):
            insert(killBuffer)
        case .control("t"):
            transpose()

        default:
            return false
        }
        return true
    }

    // MARK: - Drawing

    /// What to draw in a field `width` cells wide: the visible part of the text, made safe by
    /// `TerminalText.cell(for:)`, and the cursor's column in it (always `0..<width`).
    ///
    /// The view starts at the stored scroll position, moved only as far as needed to keep the
    /// cursor (and the whole grapheme under it) in view. A wide character that does not fit at
    /// the right edge is left out, never cut in half. This does not store the new position;
    /// `scrollToCursor(width:)` does, and the model calls it after every key so the view stays
    /// put while typing.
    public func viewport(width: Int) -> (visible: String, cursorColumn: Int) {
        guard width > 0 else { return ("", 0) }
        let cells = text.map(TerminalText.cell(for:))
        let start = firstVisible(widths: cells.map(\.width), width: width)
        var visible = ""
        var used = 0
        for cell in cells[start...] {
            if used + cell.width > width { break }
            visible += cell.text
            used += cell.width
        }
        let column = cells[start..<cursor].reduce(0) { $0 + $1.width }
        return (visible, column)
    }

    /// Stores the scroll position `viewport(width:)` uses, so the next draw starts from it, and
    /// returns that viewport. Call it after every change with the field's width.
    @discardableResult
    public mutating func scrollToCursor(width: Int) -> (visible: String, cursorColumn: Int) {
        if width > 0 {
            scroll = firstVisible(widths: text.map { TerminalText.cell(for: $0).width }, width: width)
        }
        return viewport(width: width)
    }

    /// The index of the first grapheme to draw in a field `width` (> 0) cells wide.
    private func firstVisible(widths: [Int], width: Int) -> Int {
        func span(_ range: Range<Int>) -> Int { widths[range].reduce(0, +) }
        // Room the cursor needs: the grapheme under it, or one cell for the cursor at the end.
        var needed = cursor < widths.count ? max(1, widths[cursor]) : 1
        if needed > width { needed = 1 }
        var start = min(scroll, cursor)
        // Scroll right until the cursor fits.
        while start < cursor, span(start..<cursor) + needed > width { start += 1 }
        // Scroll back left while everything from there to the end (plus the end-of-line cursor
        // cell) still fits: after deleting at the end, the field refills from the left instead
        // of showing blank space on the right. Typing at the end never triggers this.
        while start > 0, span(start - 1..<widths.count) + 1 <= width { start -= 1 }
        return start
    }

    // MARK: - Editing primitives

    /// Replaces the graphemes in `range` with `new` and puts the cursor just after `new`.
    /// Inserting or removing can make graphemes merge (a combining mark, a ZWJ, the halves of
    /// a flag); the cursor then lands on the next grapheme boundary.
    private mutating func replace(_ range: Range<Int>, with new: String) {
        guard !range.isEmpty || !new.isEmpty else { return }
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(lower, offsetBy: range.count)
        let end = text.utf8.distance(from: text.startIndex, to: lower) + new.utf8.count
        text.replaceSubrange(lower..<upper, with: new)
        cursor = graphemes(beforeUTF8Offset: end)
    }

    /// How many graphemes start before the byte offset `offset`: the cursor position at, or
    /// just after, that point in the text.
    private func graphemes(beforeUTF8Offset offset: Int) -> Int {
        let target = text.utf8.index(text.startIndex, offsetBy: offset)
        var index = text.startIndex
        var count = 0
        while index < target {
            text.formIndex(after: &index)
            count += 1
        }
        return count
    }

    /// Removes the graphemes in `range` and keeps them for Ctrl-Y. Killing nothing keeps what
    /// was killed before.
    private mutating func kill(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(lower, offsetBy: range.count)
        killBuffer = String(text[lower..<upper])
        replace(range, with: "")
    }

    /// Ctrl-T: swaps the grapheme before the cursor with the one under it and steps forward;
    /// at the end of the line, swaps the last two. Nothing happens at the start of the line.
    private mutating func transpose() {
        let characters = Array(text)
        guard characters.count >= 2, cursor > 0 else { return }
        let right = min(cursor, characters.count - 1)
        let left = right - 1
        replace(left..<right + 1, with: String(characters[right]) + String(characters[left]))
    }

    // MARK: - Words

    /// Words for Alt-b and Alt-f are runs of letters and digits, in any script.
    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }

    /// Back over non-word graphemes, then over word graphemes: the start of the word before
    /// `position`.
    private func backwardWord(from position: Int, isWord: (Character) -> Bool) -> Int {
        let characters = Array(text)
        var index = position
        while index > 0, !isWord(characters[index - 1]) { index -= 1 }
        while index > 0, isWord(characters[index - 1]) { index -= 1 }
        return index
    }

    /// Forward over non-word graphemes, then over word graphemes: the end of the next word.
    private func forwardWord(from position: Int) -> Int {
        let characters = Array(text)
        var index = position
        while index < characters.count, !Self.isWordCharacter(characters[index]) { index += 1 }
        while index < characters.count, Self.isWordCharacter(characters[index]) { index += 1 }
        return index
    }

    // MARK: - Paste

    /// Pasted text laid onto one line: every line break (LF, CR, CR LF, VT, FF, NEL, U+2028,
    /// U+2029) and every tab becomes one space; other control characters (C0, DEL, C1) are
    /// dropped, so a paste can never carry an escape sequence into a field.
    static func flattened(_ pasted: String) -> String {
        var out = String.UnicodeScalarView()
        for character in pasted {
            if character.isNewline || character == "\t" {
                out.append(" ")
                continue
            }
            for scalar in character.unicodeScalars where !isControl(scalar) {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
