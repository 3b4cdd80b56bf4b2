import RoloCore
import Testing
@testable import RoloViewModels

/// The line editor behind the filter, the command line and the form's text fields.
///
/// Editor states are written with a caret: "ab‸cd" is the text "abcd" with the cursor after
/// "ab" (two graphemes in). The caret is U+2038, which none of the texts below contain.
@Suite("LineEditor: keys, graphemes, paste, viewport")
struct LineEditorTests {
    static let caret: Character = "‸"

    /// An editor in the state `notation` describes.
    static func editor(_ notation: String) -> LineEditor {
        let parts = notation.split(separator: caret, maxSplits: 1, omittingEmptySubsequences: false)
        precondition(parts.count == 2, "a state needs exactly one caret: \(notation)")
        var editor = LineEditor(text: String(parts[0]) + String(parts[1]))
        _ = editor.handle(.home)
        for _ in 0..<parts[0].count { _ = editor.handle(.right) }
        precondition(editor.cursor == parts[0].count, "the halves merged: \(notation)")
        return editor
    }

    /// The state of an editor, in caret notation.
    static func notation(_ editor: LineEditor) -> String {
        let split = editor.text.index(editor.text.startIndex, offsetBy: editor.cursor)
        return String(editor.text[..<split]) + String(caret) + String(editor.text[split...])
    }

    /// A key sequence applied to a state: the state it leads to and what the last key returned.
    struct Case: Sendable, CustomTestStringConvertible {
        let start: String
        let keys: [Key]
        let end: String
        var consumed = true

        init(_ start: String, _ keys: Key..., to end: String, consumed: Bool = true) {
            self.start = start
            self.keys = keys
            self.end = end
            self.consumed = consumed
        }

        var testDescription: String {
            "\"\(start)\" " + keys.map(\.description).joined(separator: " ") + " → \"\(end)\""
        }
    }

    static func run(_ testCase: Case) {
        var editor = editor(testCase.start)
        var consumed = true
        for key in testCase.keys { consumed = editor.handle(key) }
        #expect(notation(editor) == testCase.end)
        #expect(consumed == testCase.consumed)
        #expect((0...editor.text.count).contains(editor.cursor))
    }

    // MARK: - Construction

    @Test func initAndSetTextPutTheCursorAtTheEnd() {
        #expect(Self.notation(LineEditor()) == "‸")
        #expect(Self.notation(LineEditor(text: "山田太郎")) == "山田太郎‸")
        var editor = Self.editor("ab‸c")
        editor.setText("Иван 👍🏽")
        #expect(Self.notation(editor) == "Иван 👍🏽‸")
        #expect(editor.cursor == 6)
        editor.setText("")
        #expect(Self.notation(editor) == "‸")
    }

    @Test func storedTextIsNeverSanitized() {
        var editor = LineEditor(text: "a\u{1B}[2Jb\u{202E}")
        #expect(editor.text == "a\u{1B}[2Jb\u{202E}")
        _ = editor.handle(.character("\u{1B}"))
        #expect(editor.text == "a\u{1B}[2Jb\u{202E}\u{1B}")
        editor.insert("\u{7}")
        #expect(editor.text.hasSuffix("\u{1B}\u{7}"))
    }

    // MARK: - Typing

    static let typingCases: [Case] = [
        Case("‸", .character("a"), to: "a‸"),
        Case("ac‸", .left, .character("b"), to: "ab‸c"),
        Case("‸bc", .character("a"), to: "a‸bc"),
        Case("‸", .character("山"), .character("田"), to: "山田‸"),
        Case("山‸太郎", .character("田"), to: "山田‸太郎"),
        Case("a‸b", .character("👍🏽"), to: "a👍🏽‸b"),
        Case("Ива‸", .character("н"), to: "Иван‸"),
        Case("مرحب‸", .character("ا"), to: "مرحبا‸"),
        Case("‸", .character(" "), to: " ‸"),
    ]

    @Test(arguments: typingCases) func typing(_ testCase: Case) { Self.run(testCase) }

    @Test func aCombiningMarkJoinsTheCharacterBeforeTheCursor() {
        var editor = LineEditor(text: "caf")
        _ = editor.handle(.character("e"))
        let consumed = editor.handle(.character("\u{301}"))
        #expect(consumed)
        #expect(editor.text == "cafe\u{301}")
        #expect(editor.text.count == 4)
        #expect(editor.cursor == 4)
        #expect(editor.text.last == "é")

        // In the middle of a line too: the cursor stays after the accented letter.
        var middle = Self.editor("e‸x")
        _ = middle.handle(.character("\u{301}"))
        #expect(middle.text.count == 2)
        #expect(middle.cursor == 1)
        _ = middle.handle(.backspace)
        #expect(Self.notation(middle) == "‸x")
    }

    @Test func graphemesBuiltKeyByKeyAreOneStep() {
        // A skin tone after a thumb, and the two halves of a flag, each end up one grapheme.
        var editor = LineEditor()
        for scalar in ["👍", "\u{1F3FD}", "🇯", "🇵"] { _ = editor.handle(.character(Character(scalar))) }
        #expect(editor.text == "👍🏽🇯🇵")
        #expect(editor.text.count == 2)
        #expect(editor.cursor == 2)
        _ = editor.handle(.left)
        #expect(Self.notation(editor) == "👍🏽‸🇯🇵")
    }

    @Test func insertingABaseBeforeALoneMarkLeavesTheCursorAfterTheWholeGrapheme() {
        var editor = LineEditor(text: "\u{301}x")
        _ = editor.handle(.home)
        editor.insert("e")
        #expect(editor.text == "e\u{301}x")
        #expect(editor.cursor == 1)
    }

    // MARK: - Moving

    static let movingCases: [Case] = [
        Case("ab‸c", .left, to: "a‸bc"),
        Case("ab‸c", .control("b"), to: "a‸bc"),
        Case("ab‸c", .right, to: "abc‸"),
        Case("ab‸c", .control("f"), to: "abc‸"),
        Case("‸abc", .left, to: "‸abc"),
        Case("abc‸", .right, to: "abc‸"),
        Case("‸", .left, to: "‸"),
        Case("‸", .right, to: "‸"),
        Case("ab‸c", .home, to: "‸abc"),
        Case("ab‸c", .control("a"), to: "‸abc"),
        Case("ab‸c", .end, to: "abc‸"),
        Case("ab‸c", .control("e"), to: "abc‸"),
        Case("‸", .home, to: "‸"),
        Case("‸", .control("e"), to: "‸"),
        // Wide characters, emoji, accents and right-to-left text are one step each.
        Case("山田‸太郎", .left, to: "山‸田太郎"),
        Case("山田‸太郎", .right, .right, to: "山田太郎‸"),
        Case("a👍🏽‸b", .left, to: "a‸👍🏽b"),
        Case("a‸👍🏽b", .right, to: "a👍🏽‸b"),
        Case("‸👨‍👩‍👧🇯🇵", .right, to: "👨‍👩‍👧‸🇯🇵"),
        Case("cafe\u{301}‸", .left, to: "caf‸e\u{301}"),
        Case("مرحبا‸", .left, .left, to: "مرح‸با"),
        Case("Иван Петров‸", .home, .right, to: "И‸ван Петров"),
        // Words: runs of letters and digits, in any script.
        Case("foo bar‸", .alt("b"), to: "foo ‸bar"),
        Case("foo ‸bar", .alt("b"), to: "‸foo bar"),
        Case("foo ba‸r", .alt("b"), to: "foo ‸bar"),
        Case("foo, bar!  ‸", .alt("b"), to: "foo, ‸bar!  "),
        Case("  ‸", .alt("b"), to: "‸  "),
        Case("‸foo", .alt("b"), to: "‸foo"),
        Case("‸foo, bar", .alt("f"), to: "foo‸, bar"),
        Case("foo‸, bar", .alt("f"), to: "foo, bar‸"),
        Case("f‸oo bar", .alt("f"), to: "foo‸ bar"),
        Case("foo‸", .alt("f"), to: "foo‸"),
        Case("‸", .alt("f"), to: "‸"),
        Case("‸", .alt("b"), to: "‸"),
        Case("‸ann@example.com", .alt("f"), .alt("f"), to: "ann@example‸.com"),
        Case("call 555 0100‸", .alt("b"), .alt("b"), to: "call ‸555 0100"),
        Case("Иван Петров‸", .alt("b"), to: "Иван ‸Петров"),
        Case("‸Иван Петров", .alt("f"), to: "Иван‸ Петров"),
        Case("محمد علي‸", .alt("b"), to: "محمد ‸علي"),
        Case("山田 太郎‸", .alt("b"), to: "山田 ‸太郎"),
        Case("cafe\u{301} au lait‸", .alt("b"), .alt("b"), .alt("b"), to: "‸cafe\u{301} au lait"),
        Case("‸😀 abc", .alt("f"), to: "😀 abc‸"),
    ]

    @Test(arguments: movingCases) func moving(_ testCase: Case) { Self.run(testCase) }

    // MARK: - Deleting

    static let deletingCases: [Case] = [
        Case("ab‸c", .backspace, to: "a‸c"),
        Case("ab‸c", .control("h"), to: "a‸c"),
        Case("‸abc", .backspace, to: "‸abc"),
        Case("‸", .backspace, to: "‸"),
        Case("abc‸", .backspace, .backspace, .backspace, .backspace, to: "‸"),
        Case("a‸bc", .delete, to: "a‸c"),
        Case("abc‸", .delete, to: "abc‸"),
        Case("‸", .delete, to: "‸"),
        Case("‸abc", .delete, .delete, .delete, to: "‸"),
        Case("a‸bc", .control("d"), to: "a‸c"),
        Case("abc‸", .control("d"), to: "abc‸"),
        Case("‸", .control("d"), to: "‸", consumed: false),
        Case("a‸", .backspace, .control("d"), to: "‸", consumed: false),
        // Whole graphemes, however many code points or cells they take.
        Case("山田‸太郎", .backspace, to: "山‸太郎"),
        Case("山田‸太郎", .delete, to: "山田‸郎"),
        Case("山田‸太郎", .control("d"), to: "山田‸郎"),
        Case("a👍🏽‸", .backspace, to: "a‸"),
        Case("‸👍🏽a", .delete, to: "‸a"),
        Case("👨‍👩‍👧‸", .backspace, to: "‸"),
        Case("🇯🇵‸🇫🇷", .backspace, to: "‸🇫🇷"),
        Case("cafe\u{301}‸", .backspace, to: "caf‸"),
        Case("caf‸e\u{301}", .delete, to: "caf‸"),
        Case("مرحبا‸", .backspace, to: "مرحب‸"),
        Case("Иван‸", .backspace, to: "Ива‸"),
    ]

    @Test(arguments: deletingCases) func deleting(_ testCase: Case) { Self.run(testCase) }

    @Test func deletingBetweenTwoFlagHalvesLandsOnABoundary() {
        // Removing the "x" lets the regional indicators join into one flag; the cursor must
        // stay on a grapheme boundary.
        var editor = Self.editor("🇯x‸🇵")
        _ = editor.handle(.backspace)
        #expect(editor.text == "🇯🇵")
        #expect(editor.text.count == 1)
        #expect((0...1).contains(editor.cursor))
    }

    // MARK: - Kill and yank

    /// A kill key from a state, the state after it, and the state after Ctrl-Y right away.
    struct KillCase: Sendable, CustomTestStringConvertible {
        let start: String
        let key: Key
        let killed: String
        let yanked: String
        init(_ start: String, _ key: Key, to killed: String, yank yanked: String) {
            self.start = start
            self.key = key
            self.killed = killed
            self.yanked = yanked
        }
        var testDescription: String { "\"\(start)\" \(key) → \"\(killed)\", Ctrl-Y → \"\(yanked)\"" }
    }

    static let killCases: [KillCase] = [
        KillCase("ab‸cd", .control("k"), to: "ab‸", yank: "abcd‸"),
        KillCase("‸abcd", .control("k"), to: "‸", yank: "abcd‸"),
        KillCase("ab‸cd", .control("u"), to: "‸cd", yank: "ab‸cd"),
        KillCase("abcd‸", .control("u"), to: "‸", yank: "abcd‸"),
        KillCase("foo bar‸", .control("w"), to: "foo ‸", yank: "foo bar‸"),
        KillCase("foo bar  ‸", .control("w"), to: "foo ‸", yank: "foo bar  ‸"),
        KillCase("foo ba‸r", .control("w"), to: "foo ‸r", yank: "foo ba‸r"),
        KillCase("bar‸", .control("w"), to: "‸", yank: "bar‸"),
        // unix-word-rubout: only blanks end a word, so paths and addresses go whole.
        KillCase("cd ~/src/rolo‸", .control("w"), to: "cd ‸", yank: "cd ~/src/rolo‸"),
        KillCase("to ann@example.com‸", .control("w"), to: "to ‸", yank: "to ann@example.com‸"),
        KillCase("山田 太郎‸", .control("w"), to: "山田 ‸", yank: "山田 太郎‸"),
        KillCase("Иван Петров‸", .control("w"), to: "Иван ‸", yank: "Иван Петров‸"),
        KillCase("hi 👍🏽👍🏽‸", .control("w"), to: "hi ‸", yank: "hi 👍🏽👍🏽‸"),
        KillCase("a 山田‸太郎", .control("k"), to: "a 山田‸", yank: "a 山田太郎‸"),
        KillCase("a 山田‸太郎", .control("u"), to: "‸太郎", yank: "a 山田‸太郎"),
    ]

    @Test(arguments: killCases) func killThenYank(_ testCase: KillCase) {
        var editor = Self.editor(testCase.start)
        let killConsumed = editor.handle(testCase.key)
        #expect(killConsumed)
        #expect(Self.notation(editor) == testCase.killed)
        let yankConsumed = editor.handle(.control("y"))
        #expect(yankConsumed)
        #expect(Self.notation(editor) == testCase.yanked)
    }

    @Test func yankPutsTheKillAtTheCursorAndCanRepeat() {
        var editor = Self.editor("one two‸")
        _ = editor.handle(.control("w"))
        _ = editor.handle(.home)
        _ = editor.handle(.control("y"))
        #expect(Self.notation(editor) == "two‸one ")
        _ = editor.handle(.control("y"))
        #expect(Self.notation(editor) == "twotwo‸one ")
    }

    @Test func theLastKillWinsAndAnEmptyKillKeepsThePreviousOne() {
        var editor = Self.editor("alpha beta‸")
        _ = editor.handle(.control("w"))          // kills "beta"
        _ = editor.handle(.control("u"))          // kills "alpha "
        _ = editor.handle(.control("k"))          // at the end: kills nothing
        _ = editor.handle(.control("w"))          // at the start: kills nothing
        #expect(Self.notation(editor) == "‸")
        _ = editor.handle(.control("y"))
        #expect(Self.notation(editor) == "alpha ‸")
    }

    @Test func yankWithNothingKilledDoesNothing() {
        Self.run(Case("ab‸", .control("y"), to: "ab‸"))
        Self.run(Case("‸", .control("y"), to: "‸"))
    }

    @Test func theKillSurvivesSetText() {
        var editor = Self.editor("keep me‸")
        _ = editor.handle(.control("u"))
        editor.setText("x")
        _ = editor.handle(.control("y"))
        #expect(Self.notation(editor) == "xkeep me‸")
    }

    // MARK: - Transpose

    static let transposeCases: [Case] = [
        Case("ab‸c", .control("t"), to: "acb‸"),
        Case("a‸bc", .control("t"), to: "ba‸c"),
        Case("abc‸", .control("t"), to: "acb‸"),
        Case("abc‸", .control("t"), .control("t"), to: "abc‸"),
        Case("‸abc", .control("t"), to: "‸abc"),
        Case("a‸", .control("t"), to: "a‸"),
        Case("‸", .control("t"), to: "‸"),
        Case("a‸b", .control("t"), to: "ba‸"),
        Case("山‸田", .control("t"), to: "田山‸"),
        Case("a👍🏽‸", .control("t"), to: "👍🏽a‸"),
        Case("x‸cafe\u{301}", .control("t"), .end, .control("t"), to: "cxae\u{301}f‸"),
        Case("Ви‸", .control("t"), to: "иВ‸"),
    ]

    @Test(arguments: transposeCases) func transpose(_ testCase: Case) { Self.run(testCase) }

    // MARK: - Paste

    struct PasteCase: Sendable, CustomTestStringConvertible {
        let start: String
        let pasted: String
        let end: String
        var testDescription: String { "\"\(start)\" paste \(pasted.debugDescription) → \"\(end)\"" }
    }

    static let pasteCases: [PasteCase] = [
        PasteCase(start: "‸", pasted: "Ann Lee", end: "Ann Lee‸"),
        PasteCase(start: "a‸z", pasted: "bcd", end: "abcd‸z"),
        PasteCase(start: "‸", pasted: "one\ntwo", end: "one two‸"),
        PasteCase(start: "‸", pasted: "one\r\ntwo\r\n", end: "one two ‸"),
        PasteCase(start: "‸", pasted: "one\rtwo", end: "one two‸"),
        PasteCase(start: "‸", pasted: "one\n\ntwo", end: "one  two‸"),
        PasteCase(start: "‸", pasted: "name\tcity", end: "name city‸"),
        PasteCase(start: "‸", pasted: "a\u{2028}b\u{2029}c\u{85}d", end: "a b c d‸"),
        PasteCase(start: "‸", pasted: "red\u{1B}[31mtext\u{1B}[0m", end: "red[31mtext[0m‸"),
        PasteCase(start: "‸", pasted: "a\u{0}b\u{7}c\u{7F}d", end: "abcd‸"),
        PasteCase(start: "‸", pasted: "a\u{9B}2Jb\u{90}c", end: "a2Jbc‸"),
        PasteCase(start: "‸", pasted: "\u{1B}\u{0}\u{7F}", end: "‸"),
        PasteCase(start: "x‸", pasted: "", end: "x‸"),
        PasteCase(start: "‸", pasted: "山田太郎 👍🏽", end: "山田太郎 👍🏽‸"),
        PasteCase(start: "‸", pasted: "Иван\nمحمد", end: "Иван محمد‸"),
        PasteCase(start: "cafe‸", pasted: "\u{301} au lait", end: "cafe\u{301} au lait‸"),
        // Bidi controls are not C0/C1: they stay in the text and show as placeholders.
        PasteCase(start: "‸", pasted: "a\u{202E}b", end: "a\u{202E}b‸"),
    ]

    @Test(arguments: pasteCases) func paste(_ testCase: PasteCase) {
        var editor = Self.editor(testCase.start)
        let consumed = editor.handle(.paste(testCase.pasted))
        #expect(consumed)
        #expect(Self.notation(editor) == testCase.end)
    }

    @Test func pastedCombiningMarkJoinsTheCharacterBefore() {
        var editor = Self.editor("cafe‸")
        _ = editor.handle(.paste("\u{301}"))
        #expect(editor.text.count == 4)
        #expect(editor.cursor == 4)
    }

    // MARK: - Keys left to the caller

    static let callerKeys: [Key] = [
        .enter, .escape, .tab, .backTab, .up, .down, .pageUp, .pageDown, .insert,
        .function(1), .function(2), .function(10),
        .control("s"), .control("c"), .control("g"), .control("l"), .control("n"), .control("p"),
        .control("o"), .control("r"), .control("x"), .control("z"),
        .alt("x"), .alt("d"), .alt("1"),
    ]

    @Test(arguments: callerKeys) func nonEditingKeysAreNotConsumedAndChangeNothing(_ key: Key) {
        for state in ["‸", "ab‸c", "山田‸太郎"] {
            var editor = Self.editor(state)
            let before = editor
            let consumed = editor.handle(key)
            #expect(consumed == false)
            #expect(editor == before)
        }
    }

    @Test func ctrlDIsTheCallersOnlyOnAnEmptyLine() {
        var empty = LineEditor()
        let onEmpty = empty.handle(.control("d"))
        #expect(onEmpty == false)
        var line = Self.editor("a‸")
        let onText = line.handle(.control("d"))
        #expect(onText)
        #expect(Self.notation(line) == "a‸")
    }

    // MARK: - Viewport

    @Test func shortTextIsShownWholeWithTheCursorColumnInCells() {
        #expect(LineEditor(text: "hello").viewport(width: 10) == ("hello", 5))
        #expect(Self.editor("he‸llo").viewport(width: 10) == ("hello", 2))
        #expect(LineEditor().viewport(width: 10) == ("", 0))
        #expect(LineEditor(text: "山田太郎").viewport(width: 10) == ("山田太郎", 8))
        #expect(Self.editor("山‸田").viewport(width: 10) == ("山田", 2))
        #expect(LineEditor(text: "Иван").viewport(width: 10) == ("Иван", 4))
        #expect(LineEditor(text: "مرحبا").viewport(width: 10) == ("مرحبا", 5))
        #expect(LineEditor(text: "cafe\u{301}").viewport(width: 10) == ("cafe\u{301}", 4))
    }

    @Test func aZeroOrNegativeWidthShowsNothing() {
        #expect(LineEditor(text: "abc").viewport(width: 0) == ("", 0))
        #expect(LineEditor(text: "abc").viewport(width: -3) == ("", 0))
        var editor = LineEditor(text: "abc")
        let zero = editor.scrollToCursor(width: 0)
        #expect(zero == ("", 0))
        #expect(editor.viewport(width: 10) == ("abc", 3))
    }

    @Test func theViewportShowsTextThroughTheSanitizer() {
        // Escapes and controls typed or set arrive as placeholders; emoji sequences are
        // reduced the way TerminalText measures them.
        #expect(LineEditor(text: "a\u{1B}[2Jb").viewport(width: 20) == ("a␛[2Jb", 6))
        var typed = LineEditor(text: "x")
        _ = typed.handle(.character("\u{1B}"))
        #expect(typed.viewport(width: 20) == ("x␛", 2))
        #expect(LineEditor(text: "a\u{0}b").viewport(width: 20) == ("a␀b", 3))
        #expect(LineEditor(text: "a\u{202E}b").viewport(width: 20) == ("a\u{FFFD}b", 3))
        #expect(LineEditor(text: "ok👍🏽").viewport(width: 20) == ("ok" + TerminalText.cell(for: "👍🏽").text, 4))
    }

    /// Types `text` one grapheme at a time into a field `width` cells wide, scrolling after
    /// each key as the model does.
    static func typed(_ text: String, width: Int) -> LineEditor {
        var editor = LineEditor()
        for character in text {
            _ = editor.handle(.character(character))
            editor.scrollToCursor(width: width)
        }
        return editor
    }

    static func press(_ keys: Key..., on editor: inout LineEditor, width: Int) {
        for key in keys {
            _ = editor.handle(key)
            editor.scrollToCursor(width: width)
        }
    }

    @Test func typingPastTheEdgeScrollsOneGraphemeAtATime() {
        var editor = LineEditor()
        var seen: [String] = []
        for character in "abcdefgh" {
            _ = editor.handle(.character(character))
            let view = editor.scrollToCursor(width: 5)
            #expect(view.cursorColumn == min(editor.cursor, 4))
            seen.append(view.visible)
        }
        #expect(seen == ["a", "ab", "abc", "abcd", "bcde", "cdef", "defg", "efgh"])
    }

    @Test func theViewStaysPutWhileMovingBackAndForth() {
        var editor = Self.typed("abcdefghijklmnop", width: 5)
        #expect(editor.viewport(width: 5) == ("mnop", 4))
        Self.press(.left, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("mnop", 3))
        Self.press(.left, .left, .left, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("mnop", 0))
        // Only leaving the visible part scrolls, and then by one grapheme.
        Self.press(.left, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("lmnop", 0))
        Self.press(.left, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("klmno", 0))
        // Back to the right: no jump until the cursor reaches the right edge.
        Self.press(.right, .right, .right, .right, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("klmno", 4))
        Self.press(.right, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("lmnop", 4))
        // Typing in the middle keeps the left edge while the cursor has room.
        Self.press(.left, .left, .left, .character("X"), on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("lXmno", 2))
        Self.press(.home, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("abcde", 0))
        Self.press(.end, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("mnop", 4))
    }

    @Test func theStoredScrollIsWhatViewportStartsFrom() {
        var editor = Self.typed("abcdefghij", width: 5)
        Self.press(.left, .left, .left, on: &editor, width: 5)
        // viewport alone (as a view draws it) agrees with the last scroll and does not move it.
        let view = editor.viewport(width: 5)
        #expect(view == ("ghij", 1))
        #expect(editor.viewport(width: 5) == view)
        let rescrolled = editor.scrollToCursor(width: 5)
        #expect(rescrolled == view)
        // Without the stored scroll, the same cursor would be shown elsewhere.
        var fresh = LineEditor(text: "abcdefghij")
        for _ in 0..<3 { _ = fresh.handle(.left) }
        #expect(fresh.viewport(width: 5) == ("defgh", 4))
    }

    @Test func setTextResetsTheScroll() {
        var editor = Self.typed("abcdefghij", width: 5)
        editor.setText("xy")
        #expect(editor.viewport(width: 5) == ("xy", 2))
        editor.setText("0123456789")
        #expect(editor.viewport(width: 5) == ("6789", 4))
    }

    @Test func deletingAtTheEndRefillsTheFieldFromTheLeft() {
        var editor = Self.typed("abcdefgh", width: 5)
        #expect(editor.viewport(width: 5) == ("efgh", 4))
        Self.press(.backspace, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("defg", 4))
        Self.press(.control("u"), on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("", 0))
        Self.press(.control("y"), on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("defg", 4))
    }

    @Test func wideCharactersScrollWholeAndAreNeverSplit() {
        // At the end, the cursor needs one free cell: two ideographs (4 cells) fit in 5.
        var editor = Self.typed("山田太郎", width: 5)
        #expect(editor.viewport(width: 5) == ("太郎", 4))
        // At the start, a third ideograph would end on cell 6, so it is left out, not halved.
        Self.press(.home, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("山田", 0))
        Self.press(.right, .right, on: &editor, width: 5)
        // The cursor is on 太: the view scrolls so all of 太 is visible.
        #expect(editor.viewport(width: 5) == ("田太", 2))

        let mixed = Self.editor("‸ab山田")
        #expect(mixed.viewport(width: 5) == ("ab山", 0))
        #expect(mixed.viewport(width: 4) == ("ab山", 0))
        #expect(mixed.viewport(width: 3) == ("ab", 0))
    }

    @Test func movingOntoAWideCharacterAtTheEdgeBringsAllOfItIntoView() {
        var editor = Self.editor("‸abcd山")
        let first = editor.scrollToCursor(width: 5)
        #expect(first == ("abcd", 0))
        Self.press(.right, .right, .right, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("abcd", 3))
        Self.press(.right, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("bcd山", 3))
        Self.press(.right, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == ("cd山", 4))
    }

    @Test func emojiTakeTwoCellsInTheViewport() {
        var editor = Self.typed("👍🏽👍🏽👍🏽", width: 5)
        let thumb = TerminalText.cell(for: "👍🏽").text
        #expect(editor.viewport(width: 5) == (thumb + thumb, 4))
        Self.press(.left, .left, .left, on: &editor, width: 5)
        #expect(editor.viewport(width: 5) == (thumb + thumb, 0))
    }

    @Test func aFieldNarrowerThanAWideCharacterStillShowsTheCursor() {
        var editor = Self.editor("‸山田")
        let first = editor.scrollToCursor(width: 1)
        #expect(first == ("", 0))
        Self.press(.right, on: &editor, width: 1)
        #expect(editor.viewport(width: 1) == ("", 0))
        Self.press(.end, on: &editor, width: 1)
        #expect(editor.viewport(width: 1) == ("", 0))
        var latin = Self.typed("abc", width: 1)
        #expect(latin.viewport(width: 1) == ("", 0))
        Self.press(.left, on: &latin, width: 1)
        #expect(latin.viewport(width: 1) == ("c", 0))
    }

    /// A fixed pseudo-random walk over every kind of key and text, checking after each key
    /// that the cursor is in the field, the field's width is respected, nothing is split, and
    /// the grapheme under the cursor is fully shown.
    @Test(arguments: [1, 2, 3, 5, 8, 13])
    func theCursorIsAlwaysVisible(width: Int) {
        let keys: [Key] = [
            .character("a"), .character("山"), .character("👍🏽"), .character("é"), .character("ж"),
            .character("ب"), .character(" "), .character("\u{1B}"), .paste("x\ny\tz"), .paste("太郎 🇯🇵"),
            .left, .left, .right, .home, .end, .alt("b"), .alt("f"), .backspace, .delete,
            .control("k"), .control("u"), .control("w"), .control("y"), .control("t"),
        ]
        var editor = LineEditor()
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<400 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            _ = editor.handle(keys[Int(state >> 33) % keys.count])
            let view = editor.scrollToCursor(width: width)
            #expect(view == editor.viewport(width: width))
            #expect((0..<width).contains(view.cursorColumn))
            #expect(TerminalText.width(view.visible) <= width)
            // The visible part is a run of whole cells of the sanitized text.
            let cells = editor.text.map(TerminalText.cell(for:))
            #expect(TerminalText.sanitize(editor.text).utf8.firstRange(of: view.visible.utf8) != nil)
            if editor.cursor < cells.count, cells[editor.cursor].width <= width {
                #expect(view.cursorColumn + cells[editor.cursor].width <= TerminalText.width(view.visible))
            }
        }
    }
}
