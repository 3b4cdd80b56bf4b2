import Testing
@testable import RoloCore

@Suite("Short ids")
struct ShortIDTests {
    static let largestShuffled: Int64 = (1 << 20) - 1

    /// Every row of a cache of 100 000 contacts, the top of the shuffled range, and a sample between.
    static let rowsToCheck = Array(0...100_000) + Array(stride(from: Int64(100_001), to: largestShuffled - 10_000, by: 61))
        + Array((largestShuffled - 10_000)...largestShuffled)

    @Test func everyRowIDOfTheShuffledRangeHasItsOwnFourCharacterID() {
        var wrong: [Int64] = []
        for row in Self.rowsToCheck {
            let id = ShortID.encode(row)
            if id.utf8.count != 4 || ShortID.decode(id) != row { wrong.append(row) }
        }
        // decode ∘ encode is the identity, so no two rows share an id.
        #expect(wrong.isEmpty, "first: \(wrong.first ?? -1)")
    }

    @Test func idsUseOnlyCrockfordsLowercaseAlphabet() {
        let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz")
        for row in stride(from: Int64(0), through: 5_000_000, by: 997) {
            #expect(ShortID.encode(row).allSatisfy(alphabet.contains), "\(row)")
        }
    }

    @Test func neighbouringRowsDifferInAtLeastTwoCharacters() {
        var close: [Int64] = []
        for row in Int64(1)...20_000 {
            let here = ShortID.encode(row), next = ShortID.encode(row + 1)
            if zip(here, next).filter({ $0 != $1 }).count < 2 { close.append(row) }
        }
        #expect(close.isEmpty, "\(close.prefix(5))")
    }

    @Test func idsNeverChangeFromOneReleaseToTheNext() {
        // Printed ids are in scripts and notes; these are the ids of the first rows for good.
        #expect(ShortID.encode(0) == "0000")
        #expect(ShortID.encode(1) == "bf3j")
        #expect(ShortID.encode(1 << 20) == "10000")
    }

    static let largeRows: [Int64] = [1 << 20, (1 << 20) + 1, 123_456_789, Int64(Int32.max), 1 << 40, (1 << 60) - 1]

    @Test(arguments: largeRows)
    func largerRowIDsAreWrittenPlainlyWithFiveOrMoreCharacters(_ row: Int64) {
        let id = ShortID.encode(row)
        #expect(id.count >= 5 && id.count <= 12)
        #expect(ShortID.decode(id) == row)
    }

    @Test func theLongFormOfASmallRowIDIsNotAnID() {
        // Only four characters name a row below 2²⁰, so each row has exactly one id.
        #expect(ShortID.decode("00001") == nil)
        #expect(ShortID.decode("0zzzz") == nil)
        #expect(ShortID.decode("10000") == 1 << 20)
    }

    @Test func typingIsForgivingAboutCaseAndLookalikeLetters() throws {
        for row: Int64 in [1, 1234, 99_999, 1_048_575, 5_000_000] {
            let id = ShortID.encode(row)
            #expect(ShortID.decode(id.uppercased()) == row)
            let misread = id.replacingOccurrences(of: "0", with: "O").replacingOccurrences(of: "1", with: "l")
            #expect(ShortID.decode(misread) == row, "\(misread)")
            #expect(ShortID.decode(id.replacingOccurrences(of: "1", with: "I")) == row)
        }
    }

    @Test(arguments: ["", "abc", "ab!d", "uuuu", "abcu", "k3p9k3p9k3p9k", "rob@example.com", " k3p9", "k3p9 ", "k3-p9",
                      "ｋ３ｐ９", "k3p\u{0}", "k3pé", "\u{1B}[2J"])
    func textThatIsNotAnIDDecodesToNothing(_ text: String) {
        #expect(ShortID.decode(text) == nil)
    }

    @Test func aContactIDIsShownAsItsShortID() {
        let id = ContactID(42)
        #expect(id.shortID == ShortID.encode(42))
        #expect(id.description == id.shortID)
        #expect(ContactID(3) < ContactID(40))
    }
}
