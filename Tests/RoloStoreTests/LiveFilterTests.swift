import Testing
@testable import RoloStore
import RoloCore

@Suite("The live filter")
struct LiveFilterTests {
    let cache: LocalCache
    let account: Account

    init() throws {
        (cache, account) = try makeCache()
        let id = account.id
        let people: [Contact] = [
            person("Rob", "Howard", email: "rob@example.com", account: id, city: "Dallas",
                   custom: ["plan": .select("gold"), "stripe_customer_id": .text("cus_DRvE6c5V9jp")],
                   fields: [.jobTitle: "Founder, CEO", .mobilePhone: "+15557140059", .company: "Acme Logistics"]),
            person("Robert", "Dallaire", email: "bob@corp.example.org", account: id, city: "Austin",
                   custom: ["plan": .select("silver")]),
            person("Roberta", "Diaz", account: id, city: "Dallas", custom: ["plan": .select("gold premium")]),
            person("Zoë", "Müller", account: id, city: "Zürich"),
            Contact(accountID: id, fields: [.firstName: "太郎", .lastName: "山田", .fullName: "山田太郎", .email: "taro@example.jp"]),
            Contact(accountID: id, fields: [.fullName: "田中花子", .email: "hanako@example.jp"]),
            Contact(accountID: id, fields: [.firstName: "Иван", .lastName: "Петров", .email: "ivan@example.ru"]),
            Contact(accountID: id, fields: [.fullName: "محمد العلي", .email: "m.alali@example.com"]),
            person("Dallas", "Green", account: id, city: "Paris", fields: [.notes: "met at the Dallas fair"]),
            person("Ann", "Lee", account: id, custom: ["prefs": .json(.object(["theme": .string("dark")]))]),
        ]
        try cache.insertContacts(people, author: tester)
    }

    func matches(_ query: String) throws -> [String] {
        try cache.names(in: .account(account.id), query: query).sorted()
    }

    /// `field:term` with a field nobody has is told apart from a search with no match.
    @Test func customKeysAreKnownByTheirValuesOrTheirDefinitions() throws {
        #expect(try cache.knowsCustomKey("plan", in: .all))
        #expect(try cache.knowsCustomKey("stripe_customer_id", in: .account(account.id)))
        #expect(try cache.knowsCustomKey("prefs", in: .all), "a JSON value's words carry its key too")
        #expect(try !cache.knowsCustomKey("no_such_field", in: .all))
        #expect(try !cache.knowsCustomKey("pla", in: .all), "a key is not a prefix of another")
        let other = try cache.createAccount(name: "nf", provider: .notifuse, definitions: [
            FieldDefinition(key: "seats", type: .number, providerRef: "custom_number_1"),
        ])
        #expect(try !cache.knowsCustomKey("plan", in: .account(other.id)), "no contact of that account has it")
        #expect(try cache.knowsCustomKey("seats", in: .account(other.id)), "defined, though no contact has a value yet")
        #expect(try !cache.knowsCustomKey("seats", in: .account(account.id)))
    }

    @Test func addressesWithNumbersAreFoundByTheirLettersTheirDigitsOrBoth() throws {
        let id = account.id
        // Many addresses of the shape name1234@: each number would be a word of its own.
        try cache.insertContacts((1...120).map { number in
            person("Guest", "N\(number)", email: "dallaire\(1000 + number)@example.com", account: id)
        }, author: tester)
        #expect(try cache.count(in: .account(id), matching: ContactQuery("dall")) == 124)      // + Dallas ×3, Dallaire
        #expect(try cache.count(in: .account(id), matching: ContactQuery("dallaire")) == 121)
        #expect(try matches("dallaire1005") == ["Guest N5"])
        #expect(try cache.count(in: .account(id), matching: ContactQuery("dallaire11")) == 21)   // 1100…1120
        #expect(try matches("email:1007") == ["Guest N7"])
    }

    @Test(arguments: [
        ("rob", ["Rob Howard", "Robert Dallaire", "Roberta Diaz"]),
        ("rob dal", ["Rob Howard", "Robert Dallaire", "Roberta Diaz"]),      // Rob Howard lives in Dallas
        ("rob aus", ["Robert Dallaire"]),                                      // every word must match
        ("ROB   howard", ["Rob Howard"]),                                      // case and spacing
        ("dal", ["Dallas Green", "Rob Howard", "Robert Dallaire", "Roberta Diaz"]),
        ("city:dallas", ["Rob Howard", "Roberta Diaz"]),                       // field:term only looks there
        ("city:dal rob", ["Rob Howard", "Roberta Diaz"]),
        ("email:example.com", ["Ann Lee", "Dallas Green", "Rob Howard", "Roberta Diaz", "Zoë Müller", "محمد العلي"]),
        ("email:corp.example", ["Robert Dallaire"]),
        ("\"founder ceo\"", ["Rob Howard"]),
        ("\"ceo founder\"", []),                                               // a phrase keeps its order
        ("\"rob\"", ["Rob Howard"]),                                           // a closed phrase is exact, not a prefix
        ("zoe muller", ["Zoë Müller"]),                                        // accents ignored
        ("ZÜRICH", ["Zoë Müller"]),
        ("plan:gold", ["Rob Howard", "Roberta Diaz"]),                         // custom key
        ("plan:prem", ["Roberta Diaz"]),
        ("plan:silver rob", ["Robert Dallaire"]),
        ("custom.plan:gol", ["Rob Howard", "Roberta Diaz"]),
        ("gold", ["Rob Howard", "Roberta Diaz"]),                              // custom values are plain words too
        ("cus_drve", ["Rob Howard"]),
        ("theme:dark", []),                                                    // json keys are not custom keys
        ("prefs:dark", ["Ann Lee"]),
        ("0059", ["Rob Howard"]),                                              // the tail of a phone number
        ("7140059", ["Rob Howard"]),
        ("tel:+1 555 714", ["Rob Howard"]),
        ("mobile:5557", ["Rob Howard"]),
        ("山田", ["山田太郎"]),
        ("太郎", ["山田太郎"]),                                                  // two CJK characters inside a name
        ("田", ["山田太郎", "田中花子"]),
        ("花子", ["田中花子"]),
        ("иван", ["Иван Петров"]),
        ("ПЕТ", ["Иван Петров"]),
        ("العلي", ["محمد العلي"]),
        ("name:dallas", ["Dallas Green"]),
        ("notes:fair", ["Dallas Green"]),
        ("title:founder", ["Rob Howard"]),
        ("org:acme", ["Rob Howard"]),
        ("nobody", []),
        ("rob zzz", []),
    ])
    func query(_ text: String, _ expected: [String]) throws {
        #expect(try matches(text) == expected.sorted())
    }

    @Test func queriesWithoutWordsShowEverything() throws {
        for text in ["", "   ", "@", "-", "city:", "\"\""] {
            #expect(try cache.names(in: .all, query: text).count == 10, "query \(text)")
        }
    }

    @Test func hostileQueriesAreJustText() throws {
        for text in ["rob\" OR \"a", "NEAR(rob dal)", "rob*", "{email}:rob", "^rob", "rob AND NOT x", "\u{1B}[2J", "a:b:c", "''", "rob)"] {
            _ = try cache.names(in: .all, query: text)   // must not throw an FTS syntax error
        }
        #expect(try matches("rob*") == ["Rob Howard", "Robert Dallaire", "Roberta Diaz"])
    }

    @Test func countsMatchTheList() throws {
        for text in ["rob", "dal", "city:dallas", "田", "nobody"] {
            let count = try cache.count(in: .account(account.id), matching: ContactQuery(text))
            #expect(count == (try matches(text)).count, "query \(text)")
        }
        #expect(try cache.count(in: .all, matching: nil) == 10)
    }

    @Test func aCancelledCountStops() throws {
        #expect(try cache.count(in: .all, matching: ContactQuery("e"), isCancelled: { true }) == nil)
        // Cancelled while running: the flag turns true after SQLite has asked a few times.
        let many = (0..<2000).map { person("Eve", "N\($0)", account: account.id) }
        try cache.insertContacts(many, author: tester)
        let asked = Counter()
        let count = try cache.count(in: .all, matching: ContactQuery("e"), isCancelled: { asked.increment() > 3 })
        #expect(count == nil)
        #expect(asked.value > 3)
        #expect(try cache.count(in: .all, matching: ContactQuery("eve")) == 2000)
    }

    @Test func editsAndDeletesReachTheIndexAtOnce() throws {
        let rob = try #require(try cache.window(in: .all, matching: ContactQuery("howard"), limit: 5).rows.first)
        var edit = ContactEdit()
        edit.set(.city, "Austin")
        try cache.updateContact(rob.id, edit: edit, author: tester)
        #expect(try matches("city:dallas") == ["Roberta Diaz"])
        #expect(try matches("city:austin") == ["Rob Howard", "Robert Dallaire"])
        try cache.deleteContact(rob.id, author: tester)
        #expect(try matches("howard") == [])
        #expect(try cache.contactCount(in: .all) == 9)
        try cache.undoLastEdit(in: .all, author: tester)
        #expect(try matches("howard") == ["Rob Howard"])
        #expect(try cache.contactCount(in: .all) == 10)
    }

    @Test func aSingleLetterMatchesWordsNeverTheAccount() throws {
        let phoneOnly = Contact(accountID: account.id, fields: [.mobilePhone: "+15550001111"])
        try cache.insertContact(phoneOnly, author: tester)
        let expected = ["Ann Lee", "Dallas Green", "Rob Howard", "Robert Dallaire", "محمد العلي"]  // Ann, at, Acme, Austin, alali@
        #expect(try matches("a") == expected)
        #expect(try cache.names(in: .all, query: "a").sorted() == expected)
        #expect(try cache.count(in: .all, matching: ContactQuery("a")) == expected.count)
        // The account's id typed after the letter, as a phrase, or with a field: still only words.
        for text in ["a\(account.id)", "\"a\(account.id)\"", "a \(account.id)", "account:a", "a*"] {
            #expect(!(try cache.names(in: .all, query: text)).contains("+15550001111"), "query \(text)")
        }
        #expect(try matches("5550001111") == ["+15550001111"])
    }

    @Test func aPhraseFindsTheNameAsShownWithoutAStoredFullName() throws {
        // No emails: `aaliyah.nguyen@` would hold the phrase too.
        try cache.insertContacts([
            Contact(accountID: account.id, fields: [.firstName: "Aaliyah", .lastName: "Nguyen"]),
            Contact(accountID: account.id, fields: [.firstName: "An", .lastName: "Nguyen"]),
            Contact(accountID: account.id, fields: [.firstName: "Adaeze", .lastName: "Nwosu", .fullName: "Adaeze Nwosu"]),
            Contact(accountID: account.id, fields: [.firstName: "一郎", .lastName: "鈴木"]),
        ], author: tester)
        #expect(try matches("\"aaliyah nguyen\"") == ["Aaliyah Nguyen"])
        #expect(try matches("name:\"an nguyen\"") == ["An Nguyen"])
        #expect(try matches("\"an nguyen\"") == ["An Nguyen"])
        #expect(try matches("\"adaeze nwosu\"") == ["Adaeze Nwosu"])
        #expect(try matches("\"aaliyah ngu") == ["Aaliyah Nguyen"])           // a phrase still being typed
        #expect(try matches("\"nguyen aaliyah\"") == [])                     // in the order shown
        // First and last names alone, and their fields, work as before.
        #expect(try matches("aal") == ["Aaliyah Nguyen"])
        #expect(try matches("nguy") == ["Aaliyah Nguyen", "An Nguyen"])
        #expect(try matches("first_name:aal") == ["Aaliyah Nguyen"])
        #expect(try matches("first_name:nguyen") == [])
        #expect(try matches("last_name:aaliyah") == [])
        #expect(try matches("last_name:nwo") == ["Adaeze Nwosu"])
        #expect(try matches("一郎") == ["一郎 鈴木"])
        #expect(try matches("鈴木") == ["一郎 鈴木"])
    }

    @Test func otherAccountsStayOutOfAnAccountsFilter() throws {
        let other = try cache.createAccount(name: "notifuse-demo", provider: .notifuse)
        try cache.insertContact(person("Rob", "Other", account: other.id), author: tester)
        #expect(try matches("rob") == ["Rob Howard", "Robert Dallaire", "Roberta Diaz"])
        #expect(try cache.names(in: .account(other.id), query: "rob") == ["Rob Other"])
        #expect(try cache.names(in: .all, query: "rob").count == 4)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() -> Int { lock.withLock { count += 1; return count } }
}

import Foundation
