import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloStore
@testable import RoloSync

/// Stands between the sync engine and the fake provider: counts the requests open at once and
/// shapes when they finish. Every wait it makes is bounded by a number of yields, never by the
/// clock, so an engine that behaves wrongly makes a test fail instead of hang.
final class RequestProbe: ContactProvider, @unchecked Sendable {
    let remote: FakeProvider
    var profile: ProviderProfile { remote.profile }
    private let lock = NSLock()
    private var open = 0
    private var mostOpenSoFar = 0
    private var startedSoFar = 0
    private var startedByKind: [Kind: Int] = [:]
    private var finished = Set<Int>()
    private var answered: [String] = []
    /// Each request waits until this many are open: requests the engine lets overlap do.
    var overlap = 1
    /// Each request waits until the one started after it has finished, so the results come
    /// back in reverse.
    var finishInReverse = false
    /// Contacts whose every fetch fails so.
    var failing: [String: ProviderError] = [:]
    /// What a request asks for.
    enum Kind: Hashable, Sendable { case list, fetch, find, push }
    /// Runs as the `n`th request (from 1) of its kind starts; an error it returns is that
    /// request's answer.
    var onStart: (@Sendable (Kind, Int) async -> ProviderError?)?

    /// Yields a waiting request makes before it gives up waiting.
    static let patience = 2000

    init(remote: FakeProvider) {
        self.remote = remote
    }

    var mostOpen: Int { lock.withLock { mostOpenSoFar } }
    var openNow: Int { lock.withLock { open } }
    var started: Int { lock.withLock { startedSoFar } }
    func started(_ kind: Kind) -> Int { lock.withLock { startedByKind[kind] ?? 0 } }
    /// The provider ids fetches answered with a record, in the order they answered.
    var answeredIDs: [String] { lock.withLock { answered } }

    func resetCounts() {
        lock.withLock {
            open = 0
            mostOpenSoFar = 0
            startedSoFar = 0
            startedByKind = [:]
            finished = []
            answered = []
        }
    }

    /// Waits, a bounded number of yields, until `condition` holds.
    static func waitUntil(_ condition: () -> Bool) async {
        var tries = 0
        while !condition(), tries < patience {
            await Task.yield()
            tries += 1
        }
    }

    private func request<T>(_ kind: Kind, _ body: () async throws(ProviderError) -> T) async throws(ProviderError) -> T {
        let (number, ofKind) = lock.withLock {
            open += 1
            mostOpenSoFar = max(mostOpenSoFar, open)
            startedSoFar += 1
            startedByKind[kind, default: 0] += 1
            return (startedSoFar, startedByKind[kind]!)
        }
        defer { lock.withLock { open -= 1 } }
        let injected = await onStart?(kind, ofKind)
        await RequestProbe.waitUntil { lock.withLock { open >= overlap } }
        if finishInReverse { await RequestProbe.waitUntil { lock.withLock { finished.contains(number + 1) } } }
        defer { lock.withLock { _ = finished.insert(number) } }
        if let injected { throw injected }
        return try await body()
    }

    func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]? { nil }

    func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage {
        try await request(.list) { () async throws(ProviderError) -> RemotePage in try await remote.listPage(page, modifiedSince: modifiedSince) }
    }

    func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        let record = try await request(.fetch) { () async throws(ProviderError) -> RemoteRecord? in
            if let error = failing[remoteID] { throw error }
            return try await remote.fetch(remoteID: remoteID)
        }
        if record != nil { lock.withLock { answered.append(remoteID) } }
        return record
    }

    func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord? {
        try await request(.find) { () async throws(ProviderError) -> RemoteRecord? in
            try await remote.findExisting(contact, idempotencyKey: idempotencyKey)
        }
    }

    func push(_ changes: [OutgoingChange]) async -> [PushOutcome] {
        do {
            return try await request(.push) { () async throws(ProviderError) -> [PushOutcome] in await remote.push(changes) }
        } catch {
            return changes.map { _ in .failed(error) }
        }
    }
}

/// A cache with one account of a provider that sends one change per request, its requests
/// going through a probe; each run's engine is made here, so a test can reach its gate.
struct ConcurrencyBench {
    let services: RoloServices
    let account: Account
    let remote: FakeProvider
    let probe: RequestProbe
    var cache: LocalCache { services.cache }

    init(profile: ProviderProfile = DailyStoryProfile.profile, requestsInFlight: Int? = nil,
         clock: @escaping @Sendable () -> Timestamp = { frozenNow }) throws {
        let cache = try LocalCache(catalog: .standard, clock: clock)
        services = RoloServices(cache: cache, author: editor)
        account = try cache.createAccount(name: "crm", provider: profile.kind,
                                          settings: requestsInFlight.map { [SyncSettings.requestsInFlight: String($0)] } ?? [:],
                                          definitions: [])
        remote = FakeProvider(profile: profile)
        probe = RequestProbe(remote: remote)
    }

    func engine(_ options: SyncOptions = SyncOptions(), requestsInFlight: Int? = nil,
                sleep: @escaping @Sendable (Double) async -> Void = { _ in }) -> SyncEngine {
        var account = account
        if let requestsInFlight { account.settings[SyncSettings.requestsInFlight] = String(requestsInFlight) }
        return SyncEngine(cache: cache, account: account, provider: probe, options: options,
                          policy: RetryPolicy(sleep: sleep, random: { 0.5 }))
    }

    func run(_ options: SyncOptions = SyncOptions(), requestsInFlight: Int? = nil) async -> SyncReport {
        await engine(options, requestsInFlight: requestsInFlight).run()
    }

    /// `count` contacts added here and created at the provider one request at a time, so two
    /// benches seeded alike have the same provider ids.
    @discardableResult
    func seed(_ count: Int) async throws -> [ContactID] {
        for index in 0..<count {
            _ = try services.editor.add(try assignments("email=p\(index)@example.com", "first_name=P\(index)", "last_name=Lee"),
                                        to: account)
        }
        let report = await run(requestsInFlight: 1)
        #expect(report.sentCreates == count && report.isClean, "\(report.summary)")
        probe.resetCounts()
        return try (0..<count).map { try services.reader.resolve("p\($0)@example.com", in: .account(account.id)) }
    }

    func remoteID(_ id: ContactID) throws -> String { try #require(try cache.syncState(of: id)?.remoteID) }

    /// Everything the sync keeps about every contact, deleted ones included, without what
    /// differs between two caches by chance (uids, idempotency keys, the claiming run).
    func snapshot() throws -> [String] {
        let ids = try cache.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM contact ORDER BY id") }
        return try ids.map { id in
            guard let state = try cache.syncState(of: ContactID(id)) else { return "\(id): gone" }
            let outbox = state.outbox.map { "\($0.kind) \($0.state) attempts \($0.attempts)" } ?? "-"
            return "\(id): \(ConcurrencyBench.describe(state.contact)) deleted \(state.isDeleted) remote \(state.remoteID ?? "-") "
                + "base \(state.base.map(ConcurrencyBench.describe) ?? "-") outbox \(outbox) conflicts \(state.conflicts)"
        }
    }

    /// A contact's values in a fixed order.
    static func describe(_ contact: Contact) -> String {
        (contact.fields.map { "\($0.key.rawValue)=\($0.value)" } + contact.custom.map { "\($0.key)=\($0.value)" }).sorted()
            .joined(separator: " ")
    }

    /// Which contact each audit row the provider's changes wrote is about, in the order written.
    func providerAuditOrder() throws -> [Int64] {
        try cache.read { db in
            try Int64.fetchAll(db, sql: "SELECT contactId FROM audit WHERE user LIKE '%(crm)' ORDER BY id")
        }
    }
}

/// Flags a test's sleep and probe share.
final class HoldWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var holdingNow = false
    private var startedDuringHold = 0
    private var holds: [Double] = []
    var gate: RequestGate?

    var holding: Bool { lock.withLock { holdingNow } }
    var violations: Int { lock.withLock { startedDuringHold } }
    var waits: [Double] { lock.withLock { holds } }
    func begin(_ seconds: Double) { lock.withLock { holdingNow = true; holds.append(seconds) } }
    func end() { lock.withLock { holdingNow = false } }
    func requestStarted() { lock.withLock { if holdingNow { startedDuringHold += 1 } } }
}

@Suite("Sync: requests in flight")
struct RequestsInFlightTests {
    @Test(arguments: [(nil, 4), (1, 1), (3, 3)] as [(Int?, Int)])
    func aRefreshKeepsAsManyRequestsOpenAsAllowedAndNoMore(configured: Int?, expected: Int) async throws {
        let bench = try ConcurrencyBench(requestsInFlight: configured)
        let ids = try await bench.seed(20)
        for id in ids { bench.remote.edit(try bench.remoteID(id)) { $0[.city] = "Porto" } }
        // Every request waits for three more: an engine that let more overlap would show it.
        bench.probe.overlap = 4
        let report = await bench.run()
        #expect(report.updated == 20 && report.isClean, "\(report.summary)")
        #expect(bench.probe.started == 20)
        #expect(bench.probe.mostOpen == expected)
        #expect(try ids.allSatisfy { try bench.services.reader.contact($0)[.city] == "Porto" })
    }

    @Test(arguments: [(nil, 4), (1, 1)] as [(Int?, Int)])
    func aPushOfOneChangePerRequestKeepsAsManyOpenAsAllowedAndNoMore(configured: Int?, expected: Int) async throws {
        let bench = try ConcurrencyBench(profile: IvvyProfile.profile, requestsInFlight: configured)
        let ids = try await bench.seed(12)
        for id in ids { _ = try bench.services.editor.update(id, assignments: try assignments("phone=+15557140099")) }
        bench.probe.overlap = 4
        let report = await bench.run()
        #expect(report.sentUpdates == 12 && report.isClean, "\(report.summary)")
        #expect(bench.probe.mostOpen == expected)
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(try ids.allSatisfy { bench.remote.contact(try bench.remoteID($0))?[.phone] == "+15557140099" })

        // New contacts too, each created once.
        for index in 0..<8 {
            _ = try bench.services.editor.add(try assignments("email=n\(index)@example.com", "first_name=N\(index)", "last_name=Ng"),
                                              to: bench.account)
        }
        bench.probe.resetCounts()
        let creates = await bench.run()
        #expect(creates.sentCreates == 8 && creates.isClean, "\(creates.summary)")
        #expect(bench.probe.mostOpen == expected)
        #expect(bench.remote.count == 20)
    }

    /// The same cache and provider refreshed four requests at a time (answers arriving in
    /// reverse) and one at a time end the same: same decisions, counts, failures, conflicts
    /// and deletions, written in the same order.
    @Test func aConcurrentRefreshEndsExactlyAsOneRequestAtATime() async throws {
        func scenario(_ requestsInFlight: Int) async throws -> (report: SyncReport, snapshot: [String], order: [Int64], remote: [String],
                                                                 expectedOrder: [Int64]) {
            let bench = try ConcurrencyBench(requestsInFlight: requestsInFlight)
            let ids = try await bench.seed(30)
            for (index, id) in ids.enumerated() {
                let remoteID = try bench.remoteID(id)
                if index % 3 == 0 { bench.remote.edit(remoteID) { $0[.city] = "Porto \(index)" } }
                if index == 7 || index == 8 {
                    bench.remote.edit(remoteID) { $0[.company] = "Theirs" }
                    _ = try bench.services.editor.update(id, assignments: try assignments("company=Mine"))
                }
                if index == 10 { _ = try bench.services.editor.update(id, assignments: try assignments("last_name=Lee-Park")) }
                if index == 11 { bench.remote.remove(remoteID) }
                if index == 13 {
                    bench.remote.remove(remoteID)
                    _ = try bench.services.editor.update(id, assignments: try assignments("first_name=Edited"))
                }
                if index == 17 { bench.probe.failing[remoteID] = .transient("503 Service Unavailable") }
                if index == 20 { bench.remote.edit(remoteID) { $0[.country] = "PT" } }
            }
            bench.probe.finishInReverse = requestsInFlight > 1
            let report = await bench.run()
            // The provider's changes in the order the contacts were asked for (least recently
            // synced: here by id), then the one it no longer has.
            let changed = ids.enumerated().filter { $0.offset % 3 == 0 || $0.offset == 20 }.map { $0.element.rawValue }
            let expectedOrder = changed + [ids[11].rawValue]
            let remote = bench.remote.ids.map { "\($0): \(ConcurrencyBench.describe(bench.remote.contact($0)!))" }
            return (report, try bench.snapshot(), try bench.providerAuditOrder(), remote, expectedOrder)
        }
        let concurrent = try await scenario(4)
        let sequential = try await scenario(1)
        #expect(sequential.report.updated == 11 && sequential.report.deleted == 1 && sequential.report.conflicts.count == 3
                && sequential.report.failures.count == 1 && sequential.report.sentUpdates == 1, "\(sequential.report.summary)")
        #expect(concurrent.report == sequential.report)
        #expect(concurrent.snapshot == sequential.snapshot)
        #expect(concurrent.order == concurrent.expectedOrder, "applied in the order asked")
        #expect(sequential.order == sequential.expectedOrder)
        #expect(concurrent.remote == sequential.remote)
    }

    /// A 429 to one request holds every request not yet started until the wait it asked for
    /// has passed; the ones in flight finish. In a refresh (DailyStory) and in a push (iVvy).
    @Test(arguments: [RequestProbe.Kind.fetch, .push])
    func aRateLimitOnOneRequestHoldsTheWholeAccount(_ refused: RequestProbe.Kind) async throws {
        let bench = try ConcurrencyBench(profile: refused == .fetch ? DailyStoryProfile.profile : IvvyProfile.profile)
        let ids = try await bench.seed(12)
        for id in ids {
            if refused == .fetch {
                bench.remote.edit(try bench.remoteID(id)) { $0[.city] = "Porto" }
            } else {
                _ = try bench.services.editor.update(id, assignments: try assignments("phone=+15557140099"))
            }
        }
        let watch = HoldWatch()
        let probe = bench.probe
        probe.onStart = { kind, number in
            watch.requestStarted()
            guard kind == refused else { return nil }
            // The second request is refused once all four are at the provider; the others
            // answer only once the hold has begun, so every request after them would start
            // during the hold if the engine let it.
            if number == 2 {
                await RequestProbe.waitUntil { probe.openNow >= 4 }
                return .rateLimited(retryAfter: 30, "429 Too Many Requests")
            }
            if number <= 4 { await RequestProbe.waitUntil { watch.holding } }
            return nil
        }
        let engine = bench.engine(sleep: { seconds in
            watch.begin(seconds)
            // The hold lasts until a request waits for it, or one starts regardless.
            var tries = 0
            while watch.violations == 0, tries < 100 * RequestProbe.patience, let gate = watch.gate, await gate.waitingCount == 0 {
                await Task.yield()
                tries += 1
            }
            watch.end()
        })
        watch.gate = engine.gate
        let report = await engine.run()
        #expect(watch.waits == [30])
        #expect(watch.violations == 0, "no request started while the account was held")
        #expect((refused == .fetch ? report.updated : report.sentUpdates) == 12 && report.isClean, "\(report.summary)")
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
        #expect(bench.probe.started(refused) == 13, "the refused request went again after the hold")
    }

    /// A run cancelled mid-refresh starts nothing more, and what the requests already sent
    /// brought back is applied before it ends.
    @Test func aCancelledRefreshKeepsEveryAnswerItReceived() async throws {
        let bench = try ConcurrencyBench()
        let ids = try await bench.seed(40)
        for id in ids { bench.remote.edit(try bench.remoteID(id)) { $0[.city] = "Porto" } }
        let run = RunBox()
        bench.probe.onStart = { _, number in
            if number == 10 {
                await RequestProbe.waitUntil { run.task != nil }
                run.task?.cancel()
            }
            return nil
        }
        bench.probe.finishInReverse = true
        let engine = bench.engine()
        let task = Task { await engine.run() }
        run.task = task
        let report = await task.value
        #expect(report.stopped?.hasPrefix("stopped before the end") == true, "\(report.summary)")
        let answered = Set(bench.probe.answeredIDs)
        #expect(answered.count >= 10 && answered.count < 40, "cancelled mid-refresh: \(answered.count) answered")
        for id in ids {
            let city = try bench.services.reader.contact(id)[.city]
            #expect(city == (answered.contains(try bench.remoteID(id)) ? "Porto" : nil))
        }
        // Nothing was sent while the provider's side of the rest was unread.
        #expect(try bench.services.reader.outbox(in: .all).isEmpty)
    }

    /// A provider that cannot list is refreshed a slice at a time, least recently synced first:
    /// a contact found unchanged counts as synced, so successive runs go round them all.
    @Test func successiveRefreshesGoRoundEveryKnownContact() async throws {
        let ticks = Ticks()
        let bench = try ConcurrencyBench(clock: { Timestamp(millisecondsSinceEpoch: frozenNow.millisecondsSinceEpoch + ticks.next() * 1000) })
        let ids = try await bench.seed(5)
        let remoteIDs = try ids.map(bench.remoteID)
        // Every contact read once, so each has the provider's stamp of the version it agrees with.
        #expect(await bench.run(SyncOptions(refreshLimit: 5)).unchanged == 5)
        var asked: [[String]] = []
        for _ in 0..<3 {
            bench.probe.resetCounts()
            let report = await bench.run(SyncOptions(refreshLimit: 2))
            #expect(report.unchanged == 2 && report.isClean, "\(report.summary)")
            asked.append(bench.probe.answeredIDs.sorted())
        }
        #expect(asked == [[remoteIDs[0], remoteIDs[1]], [remoteIDs[2], remoteIDs[3]], [remoteIDs[0], remoteIDs[4]].sorted()])
    }

    @Test func theConfigSetsRequestsInFlightWithinItsRange() throws {
        func parse(_ value: String) throws -> RoloConfig {
            try RoloConfig.parse("""
                [accounts.marketing]
                provider = "dailystory"
                base_url = "https://us-1.dailystory.com"
                token_env = "T"
                requests_in_flight = \(value)
                """, path: "c.toml", catalog: .standard)
        }
        #expect(try parse("8").account(named: "marketing")?.settings[SyncSettings.requestsInFlight] == "8")
        #expect(try parse("1").account(named: "marketing")?.settings[SyncSettings.requestsInFlight] == "1")
        #expect(try parse("16").account(named: "marketing")?.settings[SyncSettings.requestsInFlight] == "16")
        for bad in ["0", "17", "-1", "\"4\"", "2.5", "true"] {
            var message: String?
            do { _ = try parse(bad) } catch { message = "\(error)" }
            #expect(message == "config c.toml: accounts.marketing.requests_in_flight: must be a whole number from 1 to 16 "
                + "(DailyStory's default is 4)", "\(bad)")
        }
    }

    @Test func eachProviderSaysHowManyRequestsItTakesAtOnce() {
        #expect(DailyStoryProfile.profile.capabilities.requestsInFlight == 4)
        #expect(IvvyProfile.profile.capabilities.requestsInFlight == 4)
        #expect(ProviderCapabilities.requestsInFlightRange.contains(NotifuseProfile.profile.capabilities.requestsInFlight))
    }
}

/// A clock that moves a tick each time it is read.
final class Ticks: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int64 = 0
    func next() -> Int64 { lock.withLock { count += 1; return count } }
}

/// The task of a run, for a provider that cancels it midway.
final class RunBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Task<SyncReport, Never>?
    var task: Task<SyncReport, Never>? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
