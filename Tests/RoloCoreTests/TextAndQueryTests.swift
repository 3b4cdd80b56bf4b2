import Testing
@testable import RoloCore

/// Text on its way to a terminal, and the live filter's query language.
@Suite("Terminal text")
struct TerminalTextTests {
    @Test(arguments: [
        ("Evil\u{1B}[2JName", "Evil␛[2JName"),                                   // clear screen
        ("\u{1B}]52;c;cm0gLXJmIH4=\u{07}", "␛]52;c;cm0gLXJmIH4=␇"),              // clipboard write (OSC 52)
        ("\u{1B}]8;;https://phish.example/\u{07}click", "␛]8;;https://phish.example/␇click"),  // a link (OSC 8)
        ("\u{1B}]0;pwned\u{1B}\\", "␛]0;pwned␛\\"),                             // window title, ST-terminated
        ("a\u{9B}31mb", "a\u{FFFD}31mb"),                                       // 8-bit CSI
        ("del\u{7F}", "del␡"),
        ("null\u{0}byte", "null␀byte"),
        ("tab\tand\nline", "tab␉and␊line"),
        ("abc\u{202E}txt.exe", "abc\u{FFFD}txt.exe"),                            // right-to-left override
        ("\u{2066}isolate\u{2069}", "\u{FFFD}isolate\u{FFFD}"),
        ("para\u{2029}graph", "para␤graph"),
    ])
    func unsafeCharactersBecomeVisiblePlaceholders(_ hostile: String, _ shown: String) {
        #expect(TerminalText.sanitize(hostile) == shown)
        #expect(TerminalText.isSafe(TerminalText.sanitize(hostile)))
        #expect(!TerminalText.isSafe(hostile))
    }

    @Test func ordinaryTextOfEveryScriptIsLeftAlone() {
        for text in ["Zoë Ærøskøbing", "山田 太郎", "Иван Петров", "محمد الأحمد", "Alex 👩 Okoro 🇯🇵", "e\u{301}"] {
            #expect(TerminalText.sanitize(text) == text)
            #expect(TerminalText.isSafe(text))
        }
    }

    @Test func emojiSequencesTerminalsDisagreeAboutShowTheirFirstEmoji() {
        // Terminals give a ZWJ sequence one, two or four cells; its first emoji is two everywhere.
        #expect(TerminalText.sanitize("Alex 👩‍💻 Okoro") == "Alex 👩 Okoro")
        #expect(TerminalText.width("👩‍💻") == 2)
        #expect(TerminalText.sanitize("👍🏽") == "👍")
    }

    @Test func layoutKeepingSanitizerKeepsTabsAndLineBreaksOnly() {
        #expect(TerminalText.sanitizeKeepingLayout("a\tb\r\nc\u{1B}[0m") == "a\tb\nc␛[0m")
    }

    @Test(arguments: [("abc", 3), ("山田", 4), ("👩‍💻", 2), ("🇯🇵", 2), ("e\u{301}", 1), ("Zoë", 3), ("", 0), ("\u{1B}", 1)])
    func widthIsCountedPerGrapheme(_ text: String, _ cells: Int) {
        #expect(TerminalText.width(text) == cells)
    }

    @Test func truncationEndsWithAnEllipsisAndNeverSplitsACharacter() {
        #expect(TerminalText.truncate("Rob Howard", to: 20) == "Rob Howard")
        #expect(TerminalText.truncate("Rob Howard", to: 6) == "Rob H…")
        #expect(TerminalText.truncate("山田太郎", to: 6) == "山田…")
        #expect(TerminalText.truncate("山田太郎", to: 4) == "山…")         // 山 is 2 cells, … is 1: a cell stays empty
        #expect(TerminalText.width(TerminalText.truncate("山田太郎", to: 4)) <= 4)
        #expect(TerminalText.truncate("🇯🇵🇯🇵🇯🇵", to: 5) == "🇯🇵🇯🇵…")
        #expect(TerminalText.truncate("e\u{301}e\u{301}e\u{301}", to: 2) == "e\u{301}…")
    }

    @Test func fitPadsToTheExactWidth() {
        #expect(TerminalText.fit("ab", to: 4) == "ab  ")
        #expect(TerminalText.width(TerminalText.fit("山田太郎", to: 5)) == 5)
        #expect(TerminalText.fit("\u{1B}x", to: 3) == "␛x ")
    }
}

@Suite("Query syntax")
struct QueryTests {
    @Test func wordsAreAllRequiredAndTheLastIsAPrefix() {
        let query = ContactQuery("rob dal")
        #expect(query.terms == [ContactQuery.Term(scope: .anyField, words: ["rob"], lastWordIsPrefix: true),
                                ContactQuery.Term(scope: .anyField, words: ["dal"], lastWordIsPrefix: true)])
    }

    @Test func fieldTermsNameAStandardFieldAGroupOrACustomKey() {
        #expect(ContactQuery("city:dallas").terms.first?.scope == .fields([.city]))
        #expect(ContactQuery("email:example.com").terms.first?.scope == .fields([.email]))
        #expect(ContactQuery("email:example.com").terms.first?.words == ["example", "com"])
        #expect(ContactQuery("name:rob").terms.first?.scope == .fields([.salutation, .firstName, .lastName, .fullName]))
        #expect(ContactQuery("plan:gold").terms.first?.scope == .custom("plan"))
        #expect(ContactQuery("custom.city:x").terms.first?.scope == .custom("city"))
        #expect(ContactQuery("CITY:Dal").terms.first?.scope == .fields([.city]))
    }

    @Test func aColonThatIsNotAFieldIsText() {
        #expect(ContactQuery("https://example.com").terms.first?.scope == .anyField)
        #expect(ContactQuery("a b:c").terms.map(\.scope) == [.anyField, .custom("b")])
        #expect(ContactQuery("\"x:y\"").terms.first?.scope == .anyField)
    }

    @Test func quotesMakeAPhraseWhoseLastWordIsWhole() {
        let query = ContactQuery("\"Lone Star\" dental")
        #expect(query.terms == [ContactQuery.Term(scope: .anyField, words: ["Lone", "Star"], lastWordIsPrefix: false),
                                ContactQuery.Term(scope: .anyField, words: ["dental"], lastWordIsPrefix: true)])
        // Still typing the phrase: the open quote's last word is a prefix.
        #expect(ContactQuery("\"lone st").terms == [ContactQuery.Term(scope: .anyField, words: ["lone", "st"], lastWordIsPrefix: true)])
        #expect(ContactQuery("company:\"acme log\"").terms.first?.scope == .fields([.company]))
    }

    @Test func wordsKeepWhatWasTypedAndFoldingMakesCaseAndAccentsEqual() {
        // The index's tokenizer folds both sides alike; the query keeps the typed text.
        #expect(ContactQuery("AMÉLIE Müller").terms.flatMap(\.words) == ["AMÉLIE", "Müller"])
        #expect(TextFolding.fold("AMÉLIE Müller") == TextFolding.fold("amelie muller"))
        #expect(TextFolding.fold("Çà") == "ca")
    }

    @Test func otherScriptsStayWords() {
        #expect(ContactQuery("Иван").terms.first?.words == ["Иван"])
        #expect(ContactQuery("山田太郎").terms.first?.words == ["山", "田", "太", "郎"])   // one word per character
        #expect(ContactQuery("محمد").terms.first?.words.isEmpty == false)
        #expect(ContactQuery("山田").terms.isEmpty == false)
    }

    @Test func emptyAndPunctuationOnlyQueriesMatchEverything() {
        #expect(ContactQuery("").isEmpty)
        #expect(ContactQuery("   ").isEmpty)
        #expect(ContactQuery("\"\"").isEmpty)
        #expect(ContactQuery("city:").terms.isEmpty)
    }

    @Test func lettersAndDigitsAreSeparateWords() {
        #expect(SearchText.words("dallaire100041@example.com") == ["dallaire", "100041", "example", "com"])
        #expect(SearchText.words("SW1A 1AA") == ["SW", "1", "A", "1", "AA"])
        #expect(SearchText.words("Zoe\u{301}2") == ["Zoe\u{301}", "2"])            // a mark stays with its letter
        #expect(SearchText.words("٣٤abc") == ["٣٤", "abc"])                       // any script's digits
        #expect(ContactQuery("adams703").terms.first?.words == ["adams", "703"])   // searched as a phrase
    }

    @Test func phoneScopesKeepDigitsTogether() {
        let term = ContactQuery("tel:+1 555").terms.first
        #expect(term?.scope == .fields([.phone, .mobilePhone]))
        #expect(term?.words.count == 1)
    }
}

@Suite("Short ids")
struct ShortIDTests {
    @Test func everySmallRowIDHasItsOwnFourCharacterID() {
        var seen = Set<String>()
        for row in Int64(1)...5000 {
            let id = ShortID.encode(row)
            #expect(id.count == 4)
            #expect(ShortID.decode(id) == row)
            seen.insert(id)
        }
        #expect(seen.count == 5000)
    }

    @Test func neighboursGetUnrelatedIDs() {
        let a = ShortID.encode(41), b = ShortID.encode(42)
        #expect(zip(a, b).filter { $0 != $1 }.count >= 2)
    }

    @Test func theEdgesOfTheShuffledRangeAndBeyond() {
        for row: Int64 in [0, (1 << 20) - 1, 1 << 20, 123_456_789, Int64(Int32.max)] {
            #expect(ShortID.decode(ShortID.encode(row)) == row, "\(row)")
        }
        #expect(ShortID.encode(1 << 20).count >= 5)
    }

    @Test func typingIsForgiving() {
        let id = ShortID.encode(1234)
        #expect(ShortID.decode(id.uppercased()) == 1234)
        let withLookalikes = id.replacingOccurrences(of: "0", with: "o").replacingOccurrences(of: "1", with: "l")
        #expect(ShortID.decode(withLookalikes) == 1234)
    }

    @Test(arguments: ["", "abc", "ab!d", "uuuu", "k3p9k3p9k3p9k", "rob@example.com"])
    func garbageIsNotAnID(_ text: String) {
        #expect(ShortID.decode(text) == nil)
    }
}
