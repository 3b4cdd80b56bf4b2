import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// A value a provider takes for a field, different for each `n`.
func sample(_ field: StandardField, _ n: Int) -> String {
    switch field {
    case .phone, .mobilePhone: "+1555010\(1000 + n)"
    case .country: ["PT", "BR", "ES", "DE"][n % 4]
    default: "\(field.label) \(n)"
    }
}

/// An id no contact of the provider has.
func missingID(_ harness: any ProviderHarness) -> String {
    switch harness.profile.capabilities.identity {
    case .email: "nobody@example.com"
    case .providerID: harness.profile.kind == .ivvy ? "999999" : "ffffffffffffffffffffffffffffffff"
    }
}

/// Hands the harness's adapter to the sync service.
/// The adapter's timeout for the next runs: a test shortens it only for the run it wants to
/// see a timeout in, so that the other runs never depend on this machine's load.
final class AdapterTimeout: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double
    init(_ seconds: Double) { self.seconds = seconds }
    var value: Double {
        get { lock.withLock { seconds } }
        set { lock.withLock { seconds = newValue } }
    }
}

struct HarnessConnector: ProviderConnecting {
    let harness: any ProviderHarness
    var timeout = AdapterTimeout(60)
    func provider(for account: Account, definitions: [FieldDefinition]) throws(ProviderError) -> any ContactProvider {
        harness.provider(timeout: timeout.value)
    }
    func whyNotSyncable(_ account: Account) -> String? { nil }
}

/// A cache with one account of the harness's provider, and a sync service with no waits.
struct ConformanceCache {
    let services: RoloServices
    let account: Account
    let sync: SyncService
    /// The adapter's timeout, for the runs to come.
    let timeout: AdapterTimeout

    init(_ harness: any ProviderHarness, timeout: Double = 60, settings: [String: String] = [:]) throws {
        self.timeout = AdapterTimeout(timeout)
        let cache = try LocalCache(catalog: .standard)
        let author = Author(user: "tester", clientAddress: nil)
        services = RoloServices(cache: cache, author: author)
        account = try cache.createAccount(name: "acct", provider: harness.profile.kind, settings: settings, definitions: harness.definitions)
        sync = SyncService(cache: cache, accounts: services.accounts, connecting: HarnessConnector(harness: harness, timeout: self.timeout), author: author,
                           policy: .immediate)
    }

    @discardableResult
    func run(_ options: SyncOptions = SyncOptions()) async throws -> SyncReport {
        try await sync.sync([account], options: options).first!
    }

    func contact(_ email: String) throws -> Contact {
        try services.reader.contact(try services.reader.resolve(email, in: .account(account.id)))
    }
}

/// The suite every adapter passes against its emulator: the same questions for each provider,
/// asked through the `ContactProvider` protocol and through a whole sync.
@Suite("Provider conformance: each adapter against its emulator")
struct ConformanceTests {
    func person(_ harness: any ProviderHarness, _ email: String, _ extra: [StandardField: String] = [:]) -> [StandardField: String] {
        var fields = extra
        fields[.email] = email
        return harness.required(fields)
    }

    @Test(arguments: HarnessMaker.all)
    func aCreatedContactReadsBackAndIsFoundAgain(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let provider = harness.provider()
        let contact = Contact(accountID: 1, fields: person(harness, "kim@example.com", [harness.fieldB: sample(harness.fieldB, 1),
                                                                                       harness.fieldA: sample(harness.fieldA, 2)]))
        let outcomes = await provider.push([.create(contact, idempotencyKey: "key-1")])
        guard case .created(let remoteID, _)? = outcomes.first else {
            Issue.record("\(maker): not created: \(outcomes)")
            return await harness.stop()
        }
        #expect(harness.serverValue(remoteID, harness.fieldA) == sample(harness.fieldA, 2))
        let fetched = try await provider.fetch(remoteID: remoteID)
        #expect(fetched?.contact[harness.fieldB] == sample(harness.fieldB, 1))
        #expect(fetched?.contact.email == "kim@example.com")
        let found = try await provider.findExisting(contact, idempotencyKey: "key-1")
        #expect(found?.remoteID == remoteID, "\(maker): a retried create finds the first")
        #expect(try await provider.fetch(remoteID: missingID(harness)) == nil)
        await harness.stop()
    }

    @Test(arguments: HarnessMaker.all)
    func anUpdateSetsWhatChangedAndClearsWhatWasCleared(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let a = harness.fieldA, b = harness.fieldB
        let remoteID = try harness.serverCreate(person(harness, "lee@example.com", [a: sample(a, 1), b: sample(b, 1), .lastName: "Lee"]))
        let provider = harness.provider()
        var contact = Contact(accountID: 1, fields: person(harness, "lee@example.com", [b: sample(b, 2), .lastName: "Lee"]))
        contact[a] = nil
        let outcome = await provider.push([.update(remoteID: remoteID, contact: contact, changed: [.standard(a), .standard(b)])])
        if case .failed(let error)? = outcome.first { Issue.record("\(maker): \(error)") }
        #expect(harness.serverValue(remoteID, b) == sample(b, 2))
        #expect((harness.serverValue(remoteID, a) ?? "") == "", "\(maker): the clear reached the provider")
        #expect(harness.serverValue(remoteID, .lastName) == "Lee", "\(maker): fields not named are kept")
        await harness.stop()
    }

    @Test(arguments: HarnessMaker.all)
    func aListingHasEveryContactOnce(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        guard harness.profile.capabilities.listing != .none else { return await harness.stop() }
        for index in 0..<230 { _ = try harness.serverCreate(person(harness, "p\(index)@example.com", [harness.fieldB: sample(harness.fieldB, index)])) }
        let provider = harness.provider()
        var seen: [String] = []
        var page: String?
        repeat {
            let result = try await provider.listPage(page, modifiedSince: nil)
            seen += result.records.map(\.remoteID)
            page = result.next
        } while page != nil
        #expect(seen.count == 230)
        #expect(Set(seen).count == 230)
        await harness.stop()
    }

    @Test(arguments: HarnessMaker.all)
    func aDeleteIsDoneOrSaidImpossible(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let remoteID = try harness.serverCreate(person(harness, "gone@example.com", [:]))
        let provider = harness.provider()
        let outcome = await provider.push([.delete(remoteID: remoteID)])
        switch harness.profile.capabilities.delete {
        case .hard:
            #expect(outcome == [.deleted])
            #expect(try await provider.fetch(remoteID: remoteID) == nil)
        case .soft:
            #expect(outcome == [.deleted])
            #expect(try await provider.fetch(remoteID: remoteID)?.isDeleted == true)
        case .unsupported:
            guard case .failed(.unsupported)? = outcome.first else { Issue.record("\(maker): \(outcome)"); break }
        }
        await harness.stop()
    }

    @Test(arguments: HarnessMaker.all)
    func failuresComeBackTyped(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let remoteID = try harness.serverCreate(person(harness, "t@example.com", [:]))
        let provider = harness.provider()
        let impatient = harness.provider(timeout: shortTimeout)
        let contact = Contact(accountID: 1, fields: person(harness, "t@example.com", [harness.fieldA: sample(harness.fieldA, 3)]))
        let change = OutgoingChange.update(remoteID: remoteID, contact: contact, changed: [.standard(harness.fieldA)])
        func outcome(after fault: EmulatorFault, from client: (any ContactProvider)? = nil, count: Int = 1) async -> PushOutcome? {
            harness.inject(fault, count: count, call: .write)
            defer { harness.clearFaults() }
            return await (client ?? provider).push([change]).first
        }
        guard case .failed(.rateLimited(let after, _))? = await outcome(after: .status(429, retryAfter: 7)) else {
            Issue.record("\(maker): 429 is not rate limited"); return await harness.stop()
        }
        #expect(after == 7)
        guard case .failed(let error)? = await outcome(after: .status(503)), error.isRetryable else {
            Issue.record("\(maker): 503 is not worth a retry"); return await harness.stop()
        }
        guard case .failed(let dropped)? = await outcome(after: .dropConnection), dropped.isRetryable else {
            Issue.record("\(maker): a dropped connection is not worth a retry"); return await harness.stop()
        }
        // Twice: DailyStory's adapter tries Basic once when Bearer is refused, as its docs allow.
        let refused = await outcome(after: .status(401), count: 2)
        guard case .failed(.auth)? = refused else {
            Issue.record("\(maker): 401 is not a refusal of the credentials: \(String(describing: refused))"); return await harness.stop()
        }
        harness.inject(.malformedBody, count: 1, call: .read)
        await #expect(throws: ProviderError.self) { _ = try await provider.fetch(remoteID: remoteID) }
        // Last: the reply held back is still on its way when the test ends, and must not meet
        // another step's faults.
        guard case .failed(let slow)? = await outcome(after: longLatency, from: impatient), slow.isRetryable else {
            Issue.record("\(maker): a timeout is not worth a retry"); return await harness.stop()
        }
        await harness.stop()
    }

    @Test(arguments: HarnessMaker.all)
    func aWholeSyncGoesBothWays(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let a = harness.fieldA, b = harness.fieldB
        let original = person(harness, "ann@example.com", [b: sample(b, 1)])
        let ann = try harness.serverCreate(original)
        let cache = try ConformanceCache(harness)
        if harness.profile.capabilities.listing == .none {
            // Nothing can be discovered: the contact comes in through an import, linked.
            try cache.services.cache.insertContacts([Contact(accountID: cache.account.id, fields: original)],
                                                    remotes: [RemoteReference(id: ann, modifiedAt: nil)],
                                                    author: Author(user: "import", clientAddress: nil))
        }
        let first = try await cache.run()
        #expect(first.isClean, "\(maker): \(first.summary)")
        _ = try cache.services.editor.update(try cache.services.reader.resolve("ann@example.com"),
                                             assignments: [try FieldAssignment(parsing: "\(a.key)=\(sample(a, 5))")])
        try harness.serverEdit(ann, [b: sample(b, 6)])
        _ = try cache.services.editor.add(try person(harness, "new@example.com", [:]).map {
            try FieldAssignment(parsing: "\($0.key.key)=\($0.value)")
        }, to: cache.account)
        let second = try await cache.run()
        #expect(second.isClean, "\(maker): \(second.summary) \(second.failures)")
        #expect(harness.serverValue(ann, a) == sample(a, 5))
        #expect(try cache.contact("ann@example.com")[b] == sample(b, 6))
        #expect(harness.serverCount() == 2)
        #expect(try cache.services.reader.outbox(in: .all).isEmpty)
        await harness.stop()
    }
}
