import Testing
@testable import RoloCore

/// The live filter's language: words, `field:term` and `"phrases"`.
@Suite("Query syntax")
struct QueryTests {
    typealias Term = ContactQuery.Term

    static func anywhere(_ words: String..., prefix: Bool = true) -> Term {
        Term(scope: .anyField, words: words, lastWordIsPrefix: prefix)
    }

    // MARK: - Words

    @Test func everyWordIsATermOfItsOwnAndEachIsAPrefix() {
        #expect(ContactQuery("rob dal").terms == [Self.anywhere("rob"), Self.anywhere("dal")])
        #expect(ContactQuery("  rob \t\n dal  ").terms == [Self.anywhere("rob"), Self.anywhere("dal")])
    }

    @Test func aTermGivenTwiceCountsOnce() {
        let query = ContactQuery("rob rob dal rob city:rob city:rob")
        #expect(query.terms == [Self.anywhere("rob"), Self.anywhere("dal"),
                                Term(scope: .fields([.city]), words: ["rob"], lastWordIsPrefix: true)])
        #expect(query.ignoredTerms == 0)
        #expect(ContactQuery(Array(repeating: "a", count: 2000).joined(separator: " ")).terms == [Self.anywhere("a")])
    }

    @Test func atMostSixteenTermsAreUsedAndTheRestAreCounted() {
        let words = (0..<20).map { "w" + String(UnicodeScalar(UInt8(97 + $0))) }   // wa … wt
        let query = ContactQuery(words.joined(separator: " "))
        #expect(ContactQuery.maxTerms == 16)
        #expect(query.terms == words.prefix(16).map { Self.anywhere($0) })
        #expect(query.ignoredTerms == 4)
        let sixteen = ContactQuery(words.prefix(16).joined(separator: " "))
        #expect(sixteen.ignoredTerms == 0)
    }

    @Test func wordsKeepTheCaseAndAccentsTheyWereTypedWith() {
        // Folding happens in the index's tokenizer, for the stored text and the query alike.
        #expect(ContactQuery("AMÉLIE Müller").terms == [Self.anywhere("AMÉLIE"), Self.anywhere("Müller")])
    }

    @Test func punctuationInsideAWordSplitsItIntoAPhrase() {
        #expect(ContactQuery("rob@example.com").terms == [Self.anywhere("rob", "example", "com")])
        #expect(ContactQuery("O'Brien").terms == [Self.anywhere("O", "Brien")])
        #expect(ContactQuery("adams703").terms == [Self.anywhere("adams", "703")])
    }

    @Test(arguments: ["", "   ", "\t\n", "\"\"", "\" \"", "@ - !", "👩‍💻", "city:", "city:\"", "name:\"\""])
    func aQueryWithoutWordsMatchesEverything(_ text: String) {
        let query = ContactQuery(text)
        #expect(query.isEmpty)
        #expect(query.terms == [])
        #expect(query.description == text)
    }

    // MARK: - Fields

    @Test(arguments: [
        ("city:dallas", ContactQuery.Scope.fields([.city])),
        ("CITY:Dal", .fields([.city])),
        ("email:example.com", .fields([.email])),
        ("zip:75201", .fields([.postcode])),
        ("first-name:rob", .fields([.firstName])),
        ("Last_Name:howard", .fields([.lastName])),
        ("org:acme", .fields([.company])),
        ("notes:vip", .fields([.notes])),
        ("name:rob", .fields([.salutation, .firstName, .lastName, .fullName])),
        ("NAME:rob", .fields([.salutation, .firstName, .lastName, .fullName])),
        ("address:main", .fields([.addressLine1, .addressLine2])),
        ("plan:gold", .custom("plan")),
        ("Plan:gold", .custom("Plan")),
        ("custom.plan:gold", .custom("plan")),
        ("custom.city:gold", .custom("city")),
        ("CUSTOM.Tier:gold", .custom("Tier")),
        ("loyalty-tier:gold", .custom("loyalty-tier")),
        ("prénom:zoé", .custom("prénom")),
    ])
    func aNameBeforeAColonChoosesWhereTheTermLooks(_ text: String, _ scope: ContactQuery.Scope) {
        #expect(ContactQuery(text).terms.map(\.scope) == [scope])
    }

    @Test func theTermAfterAFieldIsSplitIntoWordsLikeAnyOther() {
        #expect(ContactQuery("email:rob@example.com").terms == [Term(scope: .fields([.email]), words: ["rob", "example", "com"], lastWordIsPrefix: true)])
        #expect(ContactQuery("a:b:c").terms == [Term(scope: .custom("a"), words: ["b", "c"], lastWordIsPrefix: true)])
    }

    @Test(arguments: [
        ("https://example.com", ["https", "example", "com"]),
        ("email_opt_out:yes", ["email", "opt", "out", "yes"]),   // flags are not searchable fields
        ("sms-opt-out:no", ["sms", "opt", "out", "no"]),
        ("a/b:c", ["a", "b", "c"]),
        ("key@x:y", ["key", "x", "y"]),
    ])
    func aColonAfterSomethingThatIsNotAFieldNameIsJustText(_ text: String, _ words: [String]) {
        #expect(ContactQuery(text).terms == [Term(scope: .anyField, words: words, lastWordIsPrefix: true)])
    }

    @Test func aFieldAppliesOnlyToTheTermRightAfterIt() {
        #expect(ContactQuery("rob city:dal tx").terms == [
            Self.anywhere("rob"),
            Term(scope: .fields([.city]), words: ["dal"], lastWordIsPrefix: true),
            Self.anywhere("tx"),
        ])
        // A space after the colon leaves the field with nothing to search.
        #expect(ContactQuery("city: dallas").terms == [Self.anywhere("dallas")])
    }

    // MARK: - Phrases

    @Test func aClosedQuoteIsAPhraseWhoseLastWordIsComplete() {
        #expect(ContactQuery("\"Lone Star\" dental").terms == [Self.anywhere("Lone", "Star", prefix: false), Self.anywhere("dental")])
        #expect(ContactQuery("company:\"acme logistics\"").terms
            == [Term(scope: .fields([.company]), words: ["acme", "logistics"], lastWordIsPrefix: false)])
        #expect(ContactQuery("\"x:y\"").terms == [Self.anywhere("x", "y", prefix: false)])
    }

    @Test func anUnbalancedQuoteIsAPhraseStillBeingTyped() {
        #expect(ContactQuery("\"lone st").terms == [Self.anywhere("lone", "st")])
        #expect(ContactQuery("rob \"lone st").terms == [Self.anywhere("rob"), Self.anywhere("lone", "st")])
        #expect(ContactQuery("name:\"rob how").terms
            == [Term(scope: .fields([.salutation, .firstName, .lastName, .fullName]), words: ["rob", "how"], lastWordIsPrefix: true)])
    }

    @Test func aQuoteInsideAWordDoesNotOpenAPhrase() {
        #expect(ContactQuery("foo\"bar baz").terms == [Self.anywhere("foo", "bar"), Self.anywhere("baz")])
    }

    @Test func textRightAfterAClosingQuoteStartsTheNextTerm() {
        #expect(ContactQuery("\"a b\"c").terms == [Self.anywhere("a", "b", prefix: false), Self.anywhere("c")])
    }

    @Test func aMixedQueryKeepsItsTermsInOrder() {
        let query = ContactQuery("city:dallas \"lone star\" plan:gold rob tel:0059")
        #expect(query.terms == [
            Term(scope: .fields([.city]), words: ["dallas"], lastWordIsPrefix: true),
            Self.anywhere("lone", "star", prefix: false),
            Term(scope: .custom("plan"), words: ["gold"], lastWordIsPrefix: true),
            Self.anywhere("rob"),
            Term(scope: .fields([.phone, .mobilePhone]), words: ["0059"], lastWordIsPrefix: true),
        ])
        #expect(query.description == "city:dallas \"lone star\" plan:gold rob tel:0059")
    }

    // MARK: - Phones

    @Test func aPhoneTermIsOneRunOfDigits() {
        let tel = ContactQuery.Scope.fields([.phone, .mobilePhone])
        #expect(ContactQuery("tel:\"+1 (555) 714-0059\"").terms == [Term(scope: tel, words: ["15557140059"], lastWordIsPrefix: false)])
        #expect(ContactQuery("mobile:555.714").terms == [Term(scope: .fields([.mobilePhone]), words: ["555714"], lastWordIsPrefix: true)])
        #expect(ContactQuery("phone:abc").terms == [Term(scope: .fields([.phone]), words: ["abc"], lastWordIsPrefix: true)])
    }

    // MARK: - Other scripts

    @Test func scriptsWrittenWithoutSpacesBecomeOneWordPerCharacter() {
        #expect(ContactQuery("山田太郎").terms == [Self.anywhere("山", "田", "太", "郎")])
        #expect(ContactQuery("김민수").terms == [Self.anywhere("김", "민", "수")])
        #expect(ContactQuery("カタカナ").terms == [Self.anywhere("カ", "タ", "カ", "ナ")])
        #expect(ContactQuery("Tanaka山田").terms == [Self.anywhere("Tanaka", "山", "田")])
        #expect(ContactQuery("name:\"太郎\"").terms
            == [Term(scope: .fields([.salutation, .firstName, .lastName, .fullName]), words: ["太", "郎"], lastWordIsPrefix: false)])
    }

    @Test func scriptsWithSpacesKeepWholeWords() {
        #expect(ContactQuery("Иван Петров").terms == [Self.anywhere("Иван"), Self.anywhere("Петров")])
        #expect(ContactQuery("محمد").terms == [Self.anywhere("محمد")])
        #expect(ContactQuery("Zoe\u{301}").terms == [Self.anywhere("Zoe\u{301}")])
    }
}
