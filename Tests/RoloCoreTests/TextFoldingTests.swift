import Foundation
import Testing
@testable import RoloCore

@Suite("Folding, words and trimming")
struct TextFoldingTests {
    // MARK: - Folding

    @Test(arguments: [
        ("Zoë", "zoe"),
        ("AMÉLIE Müller", "amelie muller"),
        ("Çà", "ca"),
        ("Nguyễn", "nguyen"),
        ("Zoe\u{301}", "zoe"),                 // decomposed input folds like precomposed
        ("Ærøskøbing", "æroskobing"),            // ø is mapped by hand, æ is a letter of its own
        ("Łódź", "lodz"),
        ("Đorđe", "dorde"),
        ("Ħamrun", "hamrun"),
        ("İstanbul", "istanbul"),
        ("ŦEST", "test"),
        ("Ωμέγα", "ωμεγα"),
        ("Straße", "straße"),
        ("ASCII Only 123!", "ascii only 123!"),
        ("山田太郎", "山田太郎"),
        ("한국", "한국"),                        // Hangul syllables survive decomposition and come back whole
        ("", ""),
    ])
    func foldingIgnoresCaseAndAccents(_ text: String, _ folded: String) {
        #expect(TextFolding.fold(text) == folded)
    }

    @Test func foldedTextIsPrecomposed() {
        let folded = TextFolding.fold("ÅNGSTRÖM 한국")
        #expect(folded == "angstrom 한국")
        #expect(folded.unicodeScalars.count == folded.precomposedStringWithCanonicalMapping.unicodeScalars.count)
    }

    @Test func namesThatDifferOnlyByCaseOrAccentsFoldAlike() {
        let spellings = ["Zoë Saldaña", "ZOE SALDANA", "zoe\u{308} saldan\u{303}a", "Zoe Saldana"]
        #expect(Set(spellings.map(TextFolding.fold)).count == 1)
        #expect(TextFolding.fold("Zoë") != TextFolding.fold("Zoey"))
    }

    // MARK: - Words

    @Test(arguments: [
        ("Rob Howard", ["Rob", "Howard"]),
        ("dallaire100041@example.com", ["dallaire", "100041", "example", "com"]),
        ("SW1A 1AA", ["SW", "1", "A", "1", "AA"]),
        ("first_name", ["first", "name"]),
        ("a😀b", ["a", "b"]),
        ("Zoe\u{301}2", ["Zoe\u{301}", "2"]),      // a mark stays with the letter before it
        ("٣٤abc", ["٣٤", "abc"]),                   // any script's decimal digits are digits
        ("山田 太郎", ["山", "田", "太", "郎"]),
        ("ABC山", ["ABC", "山"]),
        ("ひらがな", ["ひ", "ら", "が", "な"]),
        ("", []),
        ("--- @@@ ...", []),
    ])
    func textIsCutIntoRunsOfLettersAndRunsOfDigits(_ text: String, _ words: [String]) {
        #expect(SearchText.words(text) == words)
    }

    @Test func thaiIsCutIntoSingleCodePointsAndLosesNothing() {
        let words = SearchText.words("สวัสดี")
        #expect(words.count == 6)
        #expect(words.joined() == "สวัสดี")
    }

    @Test(arguments: [
        ("+1 (555) 714-0059", ["15557140059", "5557140059", "7140059", "0059"]),
        ("+44 20 7946 0958", ["442079460958", "2079460958", "9460958", "0958"]),
        ("1234567", ["1234567", "4567"]),
        ("12345", ["12345", "2345"]),
        ("0059", ["0059"]),
        ("no digits", ["no", "digits"]),
        ("٣٤", ["٣٤"]),
        ("", []),
    ])
    func aPhoneIsIndexedWholeAndByItsLastTenSevenAndFourDigits(_ text: String, _ words: [String]) {
        #expect(SearchText.phoneWords(text) == words)
    }

    // MARK: - Custom key codes

    @Test func keyCodesAreFNV1aMappedIntoThePrivateUseArea() {
        // FNV-1a of "a" is 0xe40c292c and of "foobar" 0xbf9cf968 (the published test vectors).
        #expect(SearchText.keyCode("a") == "\u{F52C}\u{EA34}")
        #expect(SearchText.keyCode("foobar") == "\u{EB68}\u{EC1E}")
    }

    @Test func keyCodesIgnoreCaseAccentsUnderscoresAndDashes() {
        let code = SearchText.keyCode("plan_tier")
        #expect(SearchText.keyCode("Plan-Tier") == code)
        #expect(SearchText.keyCode("PLANTIER") == code)
        #expect(SearchText.keyCode("prénom") == SearchText.keyCode("prenom"))
        #expect(SearchText.keyCode("plan") != SearchText.keyCode("tier"))
    }

    @Test func keyCodesAreTwoPrivateUseCharacters() {
        for key in ["", "a", "plan", "birth_date", "名前", String(repeating: "k", count: 64)] {
            let scalars = Array(SearchText.keyCode(key).unicodeScalars)
            #expect(scalars.count == 2)
            #expect(scalars.allSatisfy { (0xE000...0xF8FF).contains($0.value) }, "\(key)")
        }
    }

    @Test func aCustomWordStaysOneWordWhenCutAgain() {
        let word = SearchText.customWord(key: "plan", word: "gold")
        #expect(word == SearchText.keyCode("plan") + "gold")
        #expect(SearchText.words(word) == [word])
    }

    // MARK: - Trimming

    @Test(arguments: ["  a  ", "\n\ta b\r\n", "", "   ", "\u{00A0}x\u{3000}", "\u{2028}x\u{2029}", "x\u{85}",
                      "é ", " 山田 ", "\r\n\r\n", "a\u{2003}\u{2003}b", "\u{FEFF}x"])
    func trimmingMatchesFoundation(_ text: String) {
        #expect(text.trimmed == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(text[...].trimmed == text.trimmed)
    }
}
