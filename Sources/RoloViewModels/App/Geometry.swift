import RoloCore

/// A terminal size in cells.
public struct Size: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The rectangle without `count` cells on every side.
    public func inset(by count: Int) -> Rect {
        Rect(x: x + count, y: y + count, width: width - 2 * count, height: height - 2 * count)
    }

    /// The top `rows` rows, and what is left below them.
    public func splitTop(_ rows: Int) -> (top: Rect, rest: Rect) {
        let taken = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: taken), Rect(x: x, y: y + taken, width: width, height: height - taken))
    }

    /// The bottom `rows` rows, and what is left above them.
    public func splitBottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let taken = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: height - taken), Rect(x: x, y: maxY - taken, width: width, height: taken))
    }
}

/// The add-field box, shared by the pane that draws it and the model that scrolls its key
/// editor: at most 70 columns, a border and padding of two on each side, a 6-column label.
public enum AddFieldGeometry {
    public static let labelWidth = 6

    public static func boxWidth(mainWidth: Int) -> Int { max(12, min(mainWidth - 2, 70)) }

    public static func keyWidth(mainWidth: Int) -> Int { max(1, boxWidth(mainWidth: mainWidth) - 4 - labelWidth) }
}

/// The help box, shared by the pane that draws it and the model that scrolls it: a key
/// column, each key's sentence wrapped at spaces to the width left beside it (nothing is cut
/// off), a border above and below and the line that says how to scroll or close.
public enum HelpGeometry {
    public static func boxWidth(mainWidth: Int) -> Int { max(12, min(mainWidth - 2, 84)) }

    public static func keyWidth(_ entries: [(keys: String, help: String)]) -> Int {
        min(16, entries.map { TerminalText.width($0.keys) }.max() ?? 8)
    }

    /// The help's lines: a key with the first line of its sentence, then the rest of the
    /// sentence on lines without a key.
    public static func lines(_ entries: [(keys: String, help: String)], mainWidth: Int) -> [(keys: String, text: String)] {
        let textWidth = max(8, boxWidth(mainWidth: mainWidth) - 4 - keyWidth(entries) - 2)
        return entries.flatMap { entry in
            DetailModel.wrap(entry.help, width: textWidth).enumerated().map { index, line in
                (index == 0 ? entry.keys : "", line)
            }
        }
    }

    public static func boxHeight(mainHeight: Int, lines: Int) -> Int { max(3, min(mainHeight, lines + 4)) }

    /// Lines that show at once.
    public static func visibleRows(mainHeight: Int, lines: Int) -> Int {
        max(1, boxHeight(mainHeight: mainHeight, lines: lines) - 3)
    }

    /// The furthest the help scrolls: its last line on the last row, never past it.
    public static func maxScroll(mainHeight: Int, lines: Int) -> Int {
        max(0, lines - visibleRows(mainHeight: mainHeight, lines: lines))
    }
}
