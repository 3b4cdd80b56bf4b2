import Foundation
import GRDB
import RoloCore
import RoloProviders
import RoloStore
import RoloSync

/// A small cache whose every id, name and time is fixed, so screens render the same every
/// run: a local account, a DailyStory and a Notifuse account, and people whose names test
/// widths and scripts — and one hostile name full of escape sequences.
public enum Fixture {
    public static let author = Author(user: "tester", clientAddress: "192.0.2.7")
    public static let created = Timestamp(parsing: "2025-03-01T09:00:00Z")!
    public static let changed = Timestamp(parsing: "2025-09-23T20:50:49Z")!

    /// A frozen clock for status messages.
    public static let clock: @Sendable () -> Timestamp = { Timestamp(parsing: "2026-11-25T10:00:00Z")! }

    public static func uid(_ number: Int) -> String {
        String(format: "00000000-0000-4000-8000-%012d", number)
    }

    /// The fixture's services, over a cache in memory or, given `path`, in a file.
    public static func service(people: [Person] = Fixture.people, withProviders: Bool = true,
                               path: String? = nil) throws -> RoloServices {
        rolo(on: try cache(people: people, withProviders: withProviders, path: path), pid: 1)
    }

    /// The pretend rolo process `pid` (all on one machine, in one boot), as `user`.
    public static func session(pid: Int32, user: String = "tester") -> EditorSession {
        EditorSession(user: user, clientAddress: "192.0.2.\(pid)", host: "jump", pid: pid, processStart: 4200 + UInt64(pid),
                      bootID: "boot-1")
    }

    /// A rolo on `cache`: process `pid`, running as long as `processes` says.
    public static func rolo(on cache: LocalCache, pid: Int32, user: String = "tester",
                            processes: Processes = Processes()) -> RoloServices {
        RoloServices(cache: cache, author: Author(user: user, clientAddress: author.clientAddress),
                       session: session(pid: pid, user: user), isRunning: { processes.isRunning($0) })
    }

    /// Which pretend rolo processes run: every one until a test ends it.
    public final class Processes: @unchecked Sendable {
        private let lock = NSLock()
        private var ended = Set<Int32>()

        public init() {}

        /// The process ends, as by a crash, `kill -9` or a hang-up: its forms are left behind.
        public func end(_ pid: Int32) { _ = lock.withLock { ended.insert(pid) } }

        public func isRunning(_ session: EditorSession) -> Bool { lock.withLock { !ended.contains(session.pid) } }
    }

    /// The fixture's cache alone, for tests that put several rolos on it.
    public static func cache(people: [Person] = Fixture.people, withProviders: Bool = true,
                             path: String? = nil) throws -> LocalCache {
        let cache = try path.map { try LocalCache(path: $0, catalog: .standard, clock: clock) }
            ?? LocalCache(catalog: .standard, clock: clock)
        let local = try cache.defaultAccount()
        var accounts = [local.id]
        if withProviders {
            accounts.append(try cache.createAccount(name: "dailystory", provider: .dailystory, settings: ["data_center": "us-1"]).id)
            // DailyStory was synced when its contacts last changed; Notifuse never was.
            try cache.setLastSync(accountID: accounts[1], at: changed)
            accounts.append(try cache.createAccount(name: "notifuse", provider: .notifuse, definitions: [
                FieldDefinition(key: "plan", label: "Plan", type: .text, maxLength: 255, providerRef: "custom_string_1"),
                FieldDefinition(key: "lifetime_value", label: "Lifetime value", type: .number, providerRef: "custom_number_1"),
                FieldDefinition(key: "preferences", label: "Preferences", type: .json, providerRef: "custom_json_1"),
            ]).id)
        }
        // One at a time, in order, so row ids (and short ids) are the same every run. Contacts of
        // provider accounts arrive linked, as from a pull; local ones are created here.
        for (index, person) in people.enumerated() where person.account < accounts.count {
            let contact = Contact(uid: uid(index + 1), accountID: accounts[person.account], fields: person.fields,
                                  custom: person.custom, otherEmails: person.otherEmails, otherPhones: person.otherPhones,
                                  createdAt: created, updatedAt: changed)
            let remote = person.account == 0 ? nil
                : RemoteReference(id: "remote-\(index + 1)", modifiedAt: nil, syncedAt: person.account == 1 ? changed : nil)
            try cache.insertContacts([contact], remotes: [remote], author: author)
        }
        return cache
    }

    public struct Person: Sendable {
        public var account: Int
        public var fields: [StandardField: String]
        public var custom: [String: CustomValue]
        public var otherEmails: [LabelledValue]
        public var otherPhones: [LabelledValue]

        public init(_ account: Int, _ fields: [StandardField: String], custom: [String: CustomValue] = [:],
                    otherEmails: [LabelledValue] = [], otherPhones: [LabelledValue] = []) {
            self.account = account
            self.fields = fields
            self.custom = custom
            self.otherEmails = otherEmails
            self.otherPhones = otherPhones
        }
    }

    public static let people: [Person] = [
        Person(0, [.firstName: "Rob", .lastName: "Howard", .email: "rob@example.com", .mobilePhone: "+15557140059",
                   .jobTitle: "Founder, CEO", .company: "Acme Logistics", .city: "Dallas", .region: "Texas",
                   .postcode: "75270", .country: "United States"],
               custom: ["plan": .text("gold"), "renewal": .date(LocalDate(year: 2026, month: 1, day: 31)!),
                        "seats": .number(12), "vip": .bool(true)],
               otherEmails: [LabelledValue(label: "home", value: "rob.howard@home.example")],
               otherPhones: [LabelledValue(label: "work fax", value: "+15557140060")]),
        Person(0, [.firstName: "Zoë", .lastName: "Müller", .email: "zoe.mueller@example.org", .city: "Zürich", .country: "Switzerland"]),
        Person(0, [.fullName: "山田太郎", .firstName: "太郎", .lastName: "山田", .email: "taro@example.jp", .city: "東京"]),
        Person(0, [.firstName: "Иван", .lastName: "Петров", .email: "ivan@example.ru", .company: "ООО Ромашка"]),
        Person(0, [.fullName: "محمد العلي", .email: "m.alali@example.com", .city: "Dubai"]),
        Person(0, [.fullName: "Sam 🚀 Rivera", .email: "sam@example.net", .company: "Rocket Shop"]),
        Person(0, [.fullName: "Evil\u{1B}[2J\u{1B}]0;pwned\u{07}Name", .email: "evil@example.com",
                   .company: "\u{1B}]52;c;ZXZpbA==\u{07}Clip \u{202E}reversed"]),
        Person(0, [.firstName: "Ann", .lastName: "Lee", .email: "ann.lee@example.com",
                   .company: "A company with a very long name that will never fit in any column of the list"]),
        Person(1, [.firstName: "Robert", .lastName: "Dallaire", .email: "bob@corp.example.org", .mobilePhone: "+15557140001",
                   .city: "Austin", .status: "Active"], custom: ["stripe_customer_id": .text("cus_DRvE6c5V9jp")],
               otherPhones: [LabelledValue(label: "home", value: "+15557140002")]),
        Person(1, [.firstName: "Roberta", .lastName: "Diaz", .email: "roberta@example.com", .city: "Dallas"]),
        Person(2, [.firstName: "Olga", .lastName: "Smirnova", .email: "olga@example.com", .country: "RU"],
               custom: ["plan": .text("pro"), "lifetime_value": .number(1250.5)]),
    ]
}

extension Fixture {
    /// Holds the cache file at `path` for writing from another connection, as another rolo's
    /// import does, until `release()`.
    public static func holdWriteLock(at path: String) throws -> WriteLock {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true   // the transaction outlives the access, on purpose
        let other = try DatabaseQueue(path: path, configuration: configuration)
        try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        return WriteLock(queue: other)
    }

    public final class WriteLock {
        let queue: DatabaseQueue
        init(queue: DatabaseQueue) { self.queue = queue }
        public func release() throws {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            try queue.close()
        }
    }

    /// Makes every later write of drafts to the cache file at `path` fail as writes fail on a
    /// cache that can no longer be written (a full disk, a folder made read-only), while reads
    /// still work: triggers, added from another connection, refuse them.
    public static func breakDraftWrites(at path: String) throws {
        let other = try DatabaseQueue(path: path)
        try other.write { db in
            for event in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER refuse_draft_\(event.lowercased()) BEFORE \(event) ON draft
                    BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END
                    """)
            }
        }
        try other.close()
    }
}
