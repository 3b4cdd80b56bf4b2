/// A key press as rolo understands it, whatever the terminal sent. The curses backend turns
/// curses key codes into these; tests create them directly.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    /// A printable character (any script, wide characters and emoji included).
    case character(Character)
    /// Ctrl with a letter, as its lowercase letter: `.control("s")` is Ctrl-S.
    case control(Character)
    /// Alt (Meta) with a character, sent by terminals as ESC then the character.
    case alt(Character)
    case up, down, left, right
    case home, end, pageUp, pageDown
    case enter, escape, tab, backTab, backspace, delete, insert
    case function(Int)
    /// Text pasted while the terminal's bracketed-paste mode was on: inserted as text, never
    /// read as commands.
    case paste(String)

    /// How the key is written in hints and help: `Ctrl-S`, `PgDn`, `/`.
    public var description: String {
        switch self {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .control(let letter): "Ctrl-" + letter.uppercased()
        case .alt(let character): "Alt-" + String(character)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .backspace: "Backspace"
        case .delete: "Del"
        case .insert: "Ins"
        case .function(let number): "F\(number)"
        case .paste: "paste"
        }
    }
}
