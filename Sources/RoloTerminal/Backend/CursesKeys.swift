import CNcursesw
import RoloViewModels

/// What curses reads, as rolo's keys. Pure functions: the backend feeds them what `wget_wch`
/// returned, tests feed them numbers.
enum CursesKeys {
    /// The highest function key curses can name (`KEY_F(63)`).
    static let lastFunctionKey = 63

    /// A curses function-key code (`wget_wch` returned `KEY_CODE_YES`), or nil for codes rolo
    /// does not use (mouse, shifted arrows, keys of other keyboards).
    static func key(forKeyCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        // The keypad's corners (A1, A3, C1, C3) are Home, PgUp, End, PgDn on a PC keyboard.
        case KEY_HOME, KEY_A1: return .home
        case KEY_END, KEY_C1: return .end
        case KEY_PPAGE, KEY_A3: return .pageUp
        case KEY_NPAGE, KEY_C3: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_IC: return .insert
        case KEY_BTAB: return .backTab
        default:
            let number = Int(code - KEY_F0)
            if (1...lastFunctionKey).contains(number) { return .function(number) }
            return nil
        }
    }

    /// A character (`wget_wch` returned `OK`): control characters become their keys, printable
    /// ones `.character`. Nil for what has no key (NUL, the other C0 controls, C1 controls,
    /// values that are not Unicode scalars).
    static func key(forCharacter value: UInt32) -> Key? {
        switch value {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x1B: return .escape
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(UInt8(value) + 0x60)))
        case 0x00, 0x1C...0x1F, 0x80...0x9F: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// The key for ESC followed at once by `value` (what terminals send for Alt-key): `.alt`
    /// for a printable character, and for DEL (Alt-Backspace), which terminals send the same
    /// way; nil when the two are separate keys.
    static func altKey(forCharacter value: UInt32) -> Key? {
        if value == 0x7F { return .alt("\u{7F}") }
        guard case .character(let character)? = key(forCharacter: value) else { return nil }
        return .alt(character)
    }
}
