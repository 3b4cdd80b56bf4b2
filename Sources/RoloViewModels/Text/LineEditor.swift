import RoloCore

/// A single-line text editor with readline keys, for the live filter, the command line and
/// every text field of the edit form.
///
/// It works in graphemes (Swift `Character`s): a CJK character, an emoji with its skin tone,
/// or a letter with combining accents is one step of the cursor and one Backspace. The text
/// is kept exactly as typed; only `viewport` makes it safe and measures it for the screen.
public struct LineEditor: Hashable, Sendable {
    public private(set) var text: String
    /// The cursor, in graphemes from the start (0...text.count).
    public private(set) var cursor: Int
    /// The first grapheme shown by `viewport`; it moves only when the cursor would leave the view.
    private var scroll = 0
    /// What the last kill removed, for Ctrl-Y.
    private var killed = ""

    public init(text: String = "") {
        self.text = text
        cursor = text.count
    }

    public mutating func setText(_ text: String) {
        self.text = text
        cursor = text.count
        scroll = 0
    }

    /// Applies an editing key; false when the key is not an editing key (the caller's).
    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .character(let character):
            insert(String(character))
        case .paste(let pasted):
            insert(pasted)
        case .left, .control("b"):
            cursor = max(0, cursor - 1)
        case .right, .control("f"):
            cursor = min(text.count, cursor + 1)
        case .alt("b"):
            cursor = wordStart(before: cursor)
        case .alt("f"):
            cursor = wordEnd(after: cursor)
        case .home, .control("a"):
            cursor = 0
        case .end, .control("e"):
            cursor = text.count
        case .backspace, .control("h"):
            guard cursor > 0 else { return true }
            remove(cursor - 1..<cursor)
            cursor -= 1
        case .delete:
            guard cursor < text.count else { return true }
            remove(cursor..<cursor + 1)
        case .control("d"):
            guard !text.isEmpty else { return false }
            if cursor < text.count { remove(cursor..<cursor + 1) }
        case .control("k"):
            kill(cursor..<text.count)
        case .control("u"):
            kill(0..<cursor)
            cursor = 0
        case .control("w"):
            let start = wordStart(before: cursor)
            kill(start..<cursor)
            cursor = start
        case .control("y"):
            insert(killed, keepKill: true)
        case .control("t"):
            transpose()
        default:
            return false
        }
        return true
    }

    /// Inserts text at the cursor. Newlines and tabs become spaces; other control characters
    /// are dropped (a single line cannot hold them, and pasted text must not smuggle them in).
    public mutating func insert(_ typed: String) {
        insert(typed, keepKill: false)
    }

    private mutating func insert(_ typed: String, keepKill: Bool) {
        var clean = ""
        for scalar in typed.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: clean.unicodeScalars.append(" ")
            case 0x00...0x1F, 0x7F...0x9F: continue
            default: clean.unicodeScalars.append(scalar)
            }
        }
        guard !clean.isEmpty else { return }
        let before = text.count
        let index = text.index(text.startIndex, offsetBy: cursor)
        text.insert(contentsOf: clean, at: index)
        // A combining mark joins the grapheme before it, so count what really grew.
        cursor += text.count - before
        cursor = min(cursor, text.count)
    }

    private mutating func remove(_ range: Range<Int>) {
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(text.startIndex, offsetBy: range.upperBound)
        text.removeSubrange(lower..<upper)
    }

    private mutating func kill(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(text.startIndex, offsetBy: range.upperBound)
        killed = String(text[lower..<upper])
        text.removeSubrange(lower..<upper)
    }

    private mutating func transpose() {
        guard text.count >= 2, cursor > 0 else { return }
        let second = min(cursor, text.count - 1)
        let first = second - 1
        var characters = Array(text)
        characters.swapAt(first, second)
        text = String(characters)
        cursor = min(text.count, second + 1)
    }

    private func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }

    /// Where the word before `position` starts (spaces and punctuation, then the word).
    private func wordStart(before position: Int) -> Int {
        let characters = Array(text)
        var index = position
        while index > 0, !isWordCharacter(characters[index - 1]) { index -= 1 }
        while index > 0, isWordCharacter(characters[index - 1]) { index -= 1 }
        return index
    }

    private func wordEnd(after position: Int) -> Int {
        let characters = Array(text)
        var index = position
        while index < characters.count, !isWordCharacter(characters[index]) { index += 1 }
        while index < characters.count, isWordCharacter(characters[index]) { index += 1 }
        return index
    }

    /// Moves the view so the cursor is inside a field `width` cells wide. The model calls it
    /// after every key, so the view scrolls only when the cursor would leave it — it does not
    /// jump around while typing.
    public mutating func scrollToCursor(width: Int) {
        scroll = firstVisible(width: width)
    }

    /// What a field `width` cells wide shows: the part of the text around the cursor (made
    /// safe), and the cursor's column in it. A wide character is never split at the edge.
    public func viewport(width: Int) -> (visible: String, cursorColumn: Int) {
        guard width > 0 else { return ("", 0) }
        let cells = text.map(TerminalText.cell(for:))
        let start = firstVisible(width: width)
        var visible = ""
        var used = 0
        var index = start
        while index < cells.count, used + cells[index].width <= width {
            visible += cells[index].text
            used += cells[index].width
            index += 1
        }
        return (visible, cells[start..<cursor].reduce(0) { $0 + $1.width })
    }

    /// The first grapheme shown: the stored scroll, moved just enough to show the cursor and
    /// one cell after it.
    private func firstVisible(width: Int) -> Int {
        let cells = text.map(TerminalText.cell(for:))
        var start = min(scroll, cursor)
        func span(_ from: Int, _ to: Int) -> Int { cells[from..<to].reduce(0) { $0 + $1.width } }
        while start < cursor, span(start, cursor) + 1 > width { start += 1 }
        return start
    }
}
