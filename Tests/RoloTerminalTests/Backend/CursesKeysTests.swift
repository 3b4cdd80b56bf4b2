@testable import RoloTerminal
import RoloViewModels
import Testing

/// Curses key codes and characters as rolo's keys. The codes are ncurses' documented values
/// (octal in <curses.h>), written out so the test does not lean on the code it checks.
@Suite("Curses keys")
struct CursesKeysTests {
    static let codeTable: [(code: Int32, key: Key?, name: String)] = [
        (0o403, .up, "KEY_UP"),
        (0o402, .down, "KEY_DOWN"),
        (0o404, .left, "KEY_LEFT"),
        (0o405, .right, "KEY_RIGHT"),
        (0o406, .home, "KEY_HOME"),
        (0o550, .end, "KEY_END"),
        (0o523, .pageUp, "KEY_PPAGE"),
        (0o522, .pageDown, "KEY_NPAGE"),
        (0o534, .home, "KEY_A1"),
        (0o535, .pageUp, "KEY_A3"),
        (0o537, .end, "KEY_C1"),
        (0o540, .pageDown, "KEY_C3"),
        (0o527, .enter, "KEY_ENTER"),
        (0o407, .backspace, "KEY_BACKSPACE"),
        (0o512, .delete, "KEY_DC"),
        (0o513, .insert, "KEY_IC"),
        (0o541, .backTab, "KEY_BTAB"),
        (0o410 + 1, .function(1), "KEY_F(1)"),
        (0o410 + 10, .function(10), "KEY_F(10)"),
        (0o410 + 12, .function(12), "KEY_F(12)"),
        (0o410 + 63, .function(63), "KEY_F(63)"),
        (0o410, nil, "KEY_F0"),
        (0o631, nil, "KEY_MOUSE"),
        (0o632, nil, "KEY_RESIZE (handled by the backend, not a key)"),
        (0o536, nil, "KEY_B2 (keypad centre)"),
        (0o1000, nil, "a user-defined code"),
    ]

    @Test(arguments: codeTable.indices)
    func keyCodes(_ index: Int) {
        let entry = Self.codeTable[index]
        #expect(CursesKeys.key(forKeyCode: entry.code) == entry.key, "\(entry.name)")
    }

    static let characterTable: [(value: UInt32, key: Key?)] = [
        (0x0D, .enter), (0x0A, .enter), (0x09, .tab),
        (0x7F, .backspace), (0x08, .backspace), (0x1B, .escape),
        (0x01, .control("a")), (0x03, .control("c")), (0x13, .control("s")),
        (0x11, .control("q")), (0x1A, .control("z")), (0x04, .control("d")),
        (0x00, nil), (0x1C, nil), (0x1F, nil),
        (0x80, nil), (0x9B, nil), (0x9F, nil),          // C1 controls never become characters
        (0x20, .character(" ")), (0x61, .character("a")), (0x7E, .character("~")),
        (0xE9, .character("é")), (0x5C71, .character("山")), (0x0628, .character("ب")),
        (0x1F680, .character("🚀")), (0x301, .character("\u{301}")),
        (0xD800, nil), (0x110000, nil),                 // not Unicode scalars
    ]

    @Test(arguments: characterTable.indices)
    func characters(_ index: Int) {
        let entry = Self.characterTable[index]
        #expect(CursesKeys.key(forCharacter: entry.value) == entry.key, "U+\(String(entry.value, radix: 16))")
    }

    @Test func escapeFollowedByACharacterIsAlt() {
        #expect(CursesKeys.altKey(forCharacter: 0x62) == .alt("b"))
        #expect(CursesKeys.altKey(forCharacter: 0x46) == .alt("F"))
        #expect(CursesKeys.altKey(forCharacter: 0xE9) == .alt("é"))
        #expect(CursesKeys.altKey(forCharacter: 0x7F) == .alt("\u{7F}"))   // Alt-Backspace
        // Control characters after ESC are two keys, not an Alt combination.
        #expect(CursesKeys.altKey(forCharacter: 0x0D) == nil)
        #expect(CursesKeys.altKey(forCharacter: 0x1B) == nil)
        #expect(CursesKeys.altKey(forCharacter: 0x01) == nil)
    }
}
