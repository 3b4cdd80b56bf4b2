import Testing
@testable import RoloCore

/// Untrusted text on its way to a terminal: nothing in it may act, and its width must be exact.
@Suite("Terminal text")
struct TerminalTextTests {
    // MARK: - Sanitizing

    @Test(arguments: [
        ("Evil\u{1B}[2JName", "Evil␛[2JName"),                                       // clear screen
        ("\u{1B}[31mred\u{1B}[0m", "␛[31mred␛[0m"),                                  // colours
        ("\u{1B}]52;c;cm0gLXJmIH4=\u{07}", "␛]52;c;cm0gLXJmIH4=␇"),                  // clipboard write (OSC 52)
        ("\u{1B}]8;;https://phish.example/\u{1B}\\click\u{1B}]8;;\u{1B}\\",
         "␛]8;;https://phish.example/␛\\click␛]8;;␛\\"),                              // hyperlink (OSC 8)
        ("\u{1B}]0;pwned\u{07}", "␛]0;pwned␇"),                                      // window title
        ("a\u{9B}31mb", "a\u{FFFD}31mb"),                                            // 8-bit CSI
        ("\u{9D}52;c;eA==\u{9C}", "\u{FFFD}52;c;eA==\u{FFFD}"),                      // 8-bit OSC and ST
        ("next\u{85}line", "next\u{FFFD}line"),                                      // C1 NEL
        ("del\u{7F}", "del␡"),
        ("null\u{0}byte", "null␀byte"),
        ("bell\u{07}", "bell␇"),
        ("back\u{08}space", "back␈space"),
        ("unit\u{1F}sep", "unit␟sep"),
        ("tab\tand\nline\rfeed", "tab␉and␊line␍feed"),
        ("crlf\r\n", "crlf␍␊"),
        ("abc\u{202E}txt.exe", "abc\u{FFFD}txt.exe"),                                // right-to-left override
        ("\u{202A}\u{202B}\u{202C}\u{202D}", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),    // embeddings and pop
        ("\u{2066}isolate\u{2069}", "\u{FFFD}isolate\u{FFFD}"),
        ("\u{2067}\u{2068}", "\u{FFFD}\u{FFFD}"),
        ("lrm\u{200E}rlm\u{200F}alm\u{061C}", "lrm\u{FFFD}rlm\u{FFFD}alm\u{FFFD}"),
        ("line\u{2028}para\u{2029}", "line␤para␤"),
    ])
    func unsafeCharactersBecomeVisiblePlaceholders(_ hostile: String, _ shown: String) {
        let safe = TerminalText.sanitize(hostile)
        #expect(safe == shown)
        #expect(!TerminalText.isSafe(hostile))
        #expect(TerminalText.isSafe(safe))
        #expect(TerminalText.sanitize(safe) == safe)
    }

    @Test(arguments: ["Zoë Ærøskøbing", "山田 太郎", "김민수", "Иван Петров", "Ωμέγα", "שלום", "محمد الأحمد", "e\u{301}",
                      "Alex 😀 Okoro 🇯🇵", "tab-free plain ASCII ~!@#$%^&*()", "カタカナ ｶﾀｶﾅ", ""])
    func ordinaryTextOfEveryScriptIsLeftAlone(_ text: String) {
        #expect(TerminalText.sanitize(text) == text)
        #expect(TerminalText.isSafe(text))
    }

    @Test(arguments: [
        ("Alex 👩‍💻 Okoro", "Alex 👩 Okoro"),         // ZWJ sequence
        ("👨‍👩‍👧", "👨"),
        ("👍🏽", "👍"),                                 // skin tone
        ("❤\u{FE0F}", "❤"),                            // VS16 form
        ("1\u{FE0F}\u{20E3}", "1"),                     // keycap
    ])
    func emojiSequencesTerminalsDisagreeAboutShowTheirFirstCodePoint(_ text: String, _ shown: String) {
        #expect(TerminalText.sanitize(text) == shown)
    }

    @Test func formatCharactersRidingInACharacterAreDropped() {
        #expect(TerminalText.sanitize("a\u{200D}b") == "ab")
        #expect(TerminalText.sanitize("e\u{301}\u{200D}") == "e\u{301}")
    }

    @Test func theLayoutKeepingSanitizerKeepsTabsAndLineBreaksOnly() {
        #expect(TerminalText.sanitizeKeepingLayout("a\tb\r\nc\u{1B}[0m") == "a\tb\nc␛[0m")
        #expect(TerminalText.sanitizeKeepingLayout("one\ntwo") == "one\ntwo")
        #expect(TerminalText.sanitizeKeepingLayout("lone\rreturn") == "lone␍return")
        #expect(TerminalText.sanitizeKeepingLayout("sep\u{2028}\u{0B}\u{0C}") == "sep␤␋␌")
    }

    // MARK: - Width

    @Test(arguments: [
        ("abc", 3), ("山田", 4), ("Ａ", 2), ("ｱ", 1), ("한국", 4), ("😀", 2), ("✅", 2), ("👩‍💻", 2), ("🇯🇵", 2),
        ("e\u{301}", 1), ("\u{301}", 0), ("Zoë", 3), ("", 0), ("\u{1B}", 1), ("\r\n", 2), ("a\u{200B}b", 2),
        ("\u{FEFF}", 0), ("❤\u{FE0F}", 1), ("©", 1), ("Alex 👩‍💻 Okoro", 13),
    ])
    func widthIsCountedPerGraphemeInTerminalCells(_ text: String, _ cells: Int) {
        #expect(TerminalText.width(text) == cells)
        #expect(TerminalText.width(text) == TerminalText.width(TerminalText.sanitize(text)))
    }

    @Test(arguments: [
        (Unicode.Scalar("A"), 1), ("\u{301}", 0), ("\u{20DD}", 0), ("\u{4E00}", 2), ("\u{AC00}", 2), ("\u{1160}", 0),
        ("\u{200B}", 0), ("\u{2060}", 0), ("\u{1F600}", 2), ("\u{FF21}", 2), ("\u{FF71}", 1), ("\u{3000}", 2), ("\u{20000}", 2),
    ])
    func eachCodePointHasAFixedWidth(_ scalar: Unicode.Scalar, _ cells: Int) {
        #expect(TerminalText.width(of: scalar) == cells)
    }

    @Test func aCellCarriesItsSafeTextAndWidth() {
        #expect(TerminalText.cell(for: "\r\n") == TerminalText.Cell(text: "␍␊", width: 2))
        #expect(TerminalText.cell(for: "\u{1B}") == TerminalText.Cell(text: "␛", width: 1))
        #expect(TerminalText.cell(for: "山") == TerminalText.Cell(text: "山", width: 2))
        #expect(TerminalText.cell(for: "👩‍💻") == TerminalText.Cell(text: "👩", width: 2))
        #expect(TerminalText.cell(for: "🇯🇵") == TerminalText.Cell(text: "🇯🇵", width: 2))
    }

    // MARK: - Truncating

    @Test(arguments: [
        ("Rob Howard", 20, "Rob Howard"),
        ("Rob Howard", 10, "Rob Howard"),
        ("Rob Howard", 9, "Rob Howa…"),
        ("Rob Howard", 6, "Rob H…"),
        ("Rob Howard", 1, "…"),
        ("Rob Howard", 0, ""),
        ("Rob Howard", -3, ""),
        ("山田太郎", 8, "山田太郎"),
        ("山田太郎", 7, "山田太…"),
        ("山田太郎", 6, "山田…"),
        ("山田太郎", 5, "山田…"),
        ("山田太郎", 4, "山…"),              // a wide character never half-fits: a cell stays empty
        ("山田太郎", 2, "…"),
        ("🇯🇵🇯🇵🇯🇵", 5, "🇯🇵🇯🇵…"),
        ("e\u{301}e\u{301}e\u{301}", 2, "e\u{301}…"),
        ("\u{1B}[2Jabc", 3, "␛[…"),          // what is cut is already safe
        ("\u{1B}[2J", 4, "␛[2J"),
    ])
    func truncationEndsInAnEllipsis(_ text: String, _ width: Int, _ cut: String) {
        #expect(TerminalText.truncate(text, to: width) == cut)
    }

    static let assortedTexts = ["Rob Howard", "山田太郎", "Zoe\u{301} Ærø", "👩‍💻👍🏽🇯🇵x", "a\u{1B}[31mb\r\nc", "e\u{301}e\u{301}e\u{301}e\u{301}",
                                "한국어 이름", "ab山cd田", ""]

    @Test(arguments: assortedTexts)
    func truncationNeverOverflowsNorSplitsACharacter(_ text: String) {
        let safe = TerminalText.sanitize(text)
        for width in 0...14 {
            let cut = TerminalText.truncate(text, to: width)
            #expect(TerminalText.width(cut) <= width, "\(width)")
            if TerminalText.width(text) <= width {
                #expect(cut == safe)
            } else if width > 0 {
                #expect(cut.hasSuffix("…"))
                // Prefix compares whole characters, so a split grapheme would not match.
                #expect(safe.hasPrefix(String(cut.dropLast())), "\(width): \(cut)")
                #expect(TerminalText.width(cut) >= width - 1, "left more than one cell empty at \(width)")
            }
        }
    }

    @Test(arguments: assortedTexts)
    func fitPadsOrCutsToExactlyTheWidth(_ text: String) {
        for width in 0...14 {
            #expect(TerminalText.width(TerminalText.fit(text, to: width)) == width, "\(width)")
        }
    }

    @Test func fitPadsWithSpacesAfterTheText() {
        #expect(TerminalText.fit("ab", to: 4) == "ab  ")
        #expect(TerminalText.fit("山田太郎", to: 4) == "山… ")
        #expect(TerminalText.fit("\u{1B}x", to: 3) == "␛x ")
        #expect(TerminalText.fit("abc", to: 0) == "")
    }
}

/// Scripts whose graphemes hold several spacing letters: nothing may be dropped, and each
/// letter takes the cells a terminal gives it.
@Suite("Terminal text: letters inside one grapheme")
struct ClusterTests {
    @Test(arguments: [
        ("คำ", 2),                               // Thai: SARA AM is a letter of its own
        ("लक्ष्मी", 5),                            // Devanagari: four letters and a spacing vowel sign, as wcwidth counts
        ("\u{1100}\u{1161}\u{11A8}", 2),          // Hangul as jamo (macOS file names): one wide syllable
        ("e\u{301}", 1),
    ])
    func everyLetterIsKept(_ text: String, _ cells: Int) {
        #expect(TerminalText.sanitize(text) == text)
        #expect(TerminalText.width(text) == cells)
        #expect(TerminalText.cells(for: text.first!).allSatisfy { (1...2).contains($0.width) })
    }

    @Test func formatAndBidiCharactersInsideAClusterStillGo() {
        #expect(TerminalText.sanitize("क\u{200D}\u{094D}") == "क\u{094D}")
        #expect(!TerminalText.sanitize("a\u{301}\u{202E}").unicodeScalars.contains("\u{202E}"))
    }

    @Test func truncationCutsBetweenLettersOfALongCluster() {
        #expect(TerminalText.truncate("लक्ष्मी", to: 2) == "ल…")
        #expect(TerminalText.width(TerminalText.truncate("คำคำ", to: 3)) <= 3)
    }
}

@Suite("Strictness found and fixed")
struct StrictnessTests {
    @Test func aUnicodeEscapeTakesFourHexDigitsAndNoSign() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"["\u+041"]"#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"["\u-000"]"#) }
        #expect(try JSONValue.parse(#"["\u0041"]"#) == .array([.string("A")]))
    }

    @Test func anInstantRFC3339CannotWriteIsRefused() {
        #expect(Timestamp(parsing: "9999-12-31T23:30:00-01:00") == nil)
        #expect(Timestamp(parsing: "0001-01-01T00:30:00+01:00") == nil)
        #expect(Timestamp(parsing: "9999-12-31T23:59:59Z")?.rfc3339 == "9999-12-31T23:59:59Z")
    }

    @Test func aMultiselectArrayHoldsOnlyText() throws {
        #expect(throws: ValueError.self) { try CustomValue.parse(#"["gold", 42]"#, as: .multiselect) }
        #expect(try CustomValue.parse(#"["gold"]"#, as: .multiselect) == .multiselect(["gold"]))
    }

    @Test func noValueCanImitateTheSeparatorsOfTheHash() {
        let forged = Contact(accountID: 1, custom: ["a": .text("x\u{1E}c\u{1F}b\u{1F}text\u{1F}y")])
        let honest = Contact(accountID: 1, custom: ["a": .text("x"), "b": .text("y")])
        #expect(ContentHash.of(forged) != ContentHash.of(honest))
    }
}
