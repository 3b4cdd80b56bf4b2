import RoloCore
import RoloViewModels

/// What a cell means, not how it looks: the backend turns roles into colours and attributes
/// for the terminal at hand (256 colours, 8 colours, or none), so panes never pick colours.
public enum Role: UInt8, Hashable, Sendable, CaseIterable {
    case normal
    case title
    case header
    case selected
    /// The selection in a pane that does not have the focus.
    case selectedInactive
    case label
    case muted
    case border
    case hint
    case hintKey
    case input
    case error
    case warning
    case success
    case pending
    case conflict
    case status
    case statusAccent
    case dialog
    case dialogTitle
}

/// One cell of the grid: a grapheme already made safe, and its role. A wide grapheme takes
/// two cells; the second is a continuation with no text.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var role: Role
    public var isContinuation: Bool

    public static let blank = Cell(text: " ", role: .normal, isContinuation: false)
}

/// A grid of cells that panes draw into (after ratatui's buffer): drawing never touches the
/// terminal, so every screen can be tested as text, and the backend sends only what changed.
///
/// Every string is made safe here, on its way in: escape sequences, control characters and
/// bidi overrides become visible placeholders (`TerminalText`). Nothing drawn can reach the
/// terminal raw.
public struct Canvas: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal's cursor is shown (an active text field), or nil to hide it.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set {
            cursorX = newValue?.x
            cursorY = newValue?.y ?? 0
        }
    }
    private var cursorX: Int?
    private var cursorY = 0

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes `text` from (x, y) within `maxWidth` cells (default: to the right edge), and
    /// returns the number of cells used. Never splits a grapheme; a wide grapheme that does
    /// not fit is left out (the cell stays as it was filled).
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, role: Role, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var column = x
        if TerminalText.isPlainASCII(text) {
            for byte in text.utf8 {
                if column >= limit { break }
                if column >= 0 {
                    put(Cell(text: String(Character(Unicode.Scalar(byte))), role: role, isContinuation: false), at: column, y)
                }
                column += 1
            }
            return max(0, column - x)
        }
        characters: for character in text {
            for cell in TerminalText.cells(for: character) {
                // A lone combining mark or invisible format character: nothing to draw.
                if cell.width == 0 { continue }
                if column + cell.width > limit { break characters }
                if column >= 0 {
                    put(Cell(text: cell.text, role: role, isContinuation: false), at: column, y)
                    if cell.width == 2 { put(Cell(text: "", role: role, isContinuation: true), at: column + 1, y) }
                }
                column += cell.width
            }
        }
        return max(0, column - x)
    }

    /// Writes `text` cut to `width` cells with `…` when it does not fit, padded with spaces.
    public mutating func writeFitted(_ text: String, x: Int, y: Int, width: Int, role: Role) {
        write(TerminalText.fit(text, to: width), x: x, y: y, role: role, maxWidth: width)
    }

    /// Fills a rectangle with spaces in a role (clearing what was there).
    public mutating func fill(_ rect: Rect, role: Role) {
        for row in max(0, rect.y)..<min(height, rect.maxY) {
            for column in max(0, rect.x)..<min(width, rect.maxX) {
                put(Cell(text: " ", role: role, isContinuation: false), at: column, row)
            }
        }
    }

    public mutating func horizontalLine(x: Int, y: Int, width: Int, role: Role = .border) {
        write(String(repeating: "─", count: max(0, width)), x: x, y: y, role: role, maxWidth: width)
    }

    public mutating func verticalLine(x: Int, y: Int, height: Int, role: Role = .border) {
        for row in y..<(y + max(0, height)) { write("│", x: x, y: row, role: role, maxWidth: 1) }
    }

    /// Changes the role of cells without changing their text (highlighting a row).
    public mutating func setRole(_ role: Role, in rect: Rect) {
        for row in max(0, rect.y)..<min(height, rect.maxY) {
            for column in max(0, rect.x)..<min(width, rect.maxX) {
                cells[row * width + column].role = role
            }
        }
    }

    /// The screen as text, one string per row, without trailing spaces: what screen tests compare.
    public func lines() -> [String] {
        (0..<height).map { row in
            var line = ""
            for column in 0..<width {
                let cell = self[column, row]
                if !cell.isContinuation { line += cell.text }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// Puts a cell, repairing wide graphemes it overlaps so that no half of one remains.
    private mutating func put(_ cell: Cell, at x: Int, _ y: Int) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let index = y * width + x
        let old = cells[index]
        if old.isContinuation, !cell.isContinuation, x > 0 {
            // The right half of a wide grapheme is overwritten: its left half becomes a space.
            cells[index - 1] = Cell(text: " ", role: cells[index - 1].role, isContinuation: false)
        }
        if !old.isContinuation, x + 1 < width, cells[index + 1].isContinuation {
            // The left half of a wide grapheme is overwritten: its right half becomes a space.
            cells[index + 1] = Cell(text: " ", role: cells[index + 1].role, isContinuation: false)
        }
        cells[index] = cell
    }

    public static func == (lhs: Canvas, rhs: Canvas) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.cells == rhs.cells
            && lhs.cursorX == rhs.cursorX && lhs.cursorY == rhs.cursorY
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(width)
        hasher.combine(height)
        hasher.combine(cells)
    }
}
