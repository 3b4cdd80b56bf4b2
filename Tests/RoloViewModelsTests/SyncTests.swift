import Foundation
import RoloCore
import RoloStore
@testable import RoloSync
import RoloTestFixtures
import Testing
@testable import RoloViewModels

/// A clock the test moves by hand: automatic syncs fall due when it says, never when the
/// machine does.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp
    init(_ start: Timestamp = Fixture.clock()) { current = start }
    var now: Timestamp { lock.withLock { current } }
    func advance(seconds: Int) {
        lock.withLock { current = Timestamp(millisecondsSinceEpoch: current.millisecondsSinceEpoch + Int64(seconds) * 1000) }
    }
}

func syncModel(_ services: AppServices, account: String? = "notifuse", readOnly: Bool = false, clock: TestClock = TestClock(),
               autoSync: [AutoSyncSetting] = [], width: Int = 80, height: Int = 24) throws -> AppModel {
    try AppModel(services: services, size: Size(width: width, height: height),
                 options: AppOptions(readOnly: readOnly, account: account, now: { clock.now }, autoSync: autoSync))
}

extension Effect {
    var isSync: Bool {
        if case .sync = self { return true }
        return false
    }
}

extension RoloServices {
    func id(_ email: String) throws -> ContactID { try reader.resolve(email) }
    func set(_ email: String, _ assignments: String...) throws {
        _ = try editor.update(try id(email), assignments: try assignments.map { try FieldAssignment(parsing: $0) })
    }
}

@Suite("Sync from the TUI: s, automatic syncs, the outbox, conflicts, retry and fetch")
struct SyncTests {
    // MARK: - s

    @Test func sSyncsTheAccountInViewWhileKeysKeepWorkingThenSaysTheSummary() throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        let model = try syncModel(services)
        let notifuse = try #require(model.currentAccount)
        let effects = model.press(.character("s"))
        #expect(effects.contains(.sync(scope: .account(notifuse.id))))
        #expect(model.syncActivity.running?.progress == "Syncing notifuse…")
        #expect(sync.runs.isEmpty, "the model asks the runtime; it never waits for the network itself")

        model.handle(.syncProgress(.started(account: "notifuse")))
        model.handle(.syncProgress(.reading(account: "notifuse", records: 1200, total: 5000)))
        #expect(model.syncActivity.running?.progress == "Syncing notifuse: 1,200 of 5,000 read…")
        // Keys keep working meanwhile: the detail, the filter, moving.
        model.press(.enter)
        #expect(model.focus == .detail && model.detail?.contact.displayName == "Olga Smirnova")
        model.press(.escape, .character("/"))
        model.type("olg")
        #expect(model.names == ["Olga Smirnova"])
        model.press(.enter)

        let again = model.press(.character("s"))
        #expect(!again.contains { $0.isSync })
        #expect(model.message?.text == "A sync is already running — Syncing notifuse: 1,200 of 5,000 read…")

        model.handle(.syncProgress(.sending(account: "notifuse", done: 1, total: 3)))
        #expect(model.syncActivity.running?.progress == "Syncing notifuse: 1 of 3 sent…")
        let report = Fixture.report("notifuse", provider: "Notifuse", created: 2, sent: 1)
        model.handle(.syncProgress(.finished(report)))
        model.handle(.syncFinished(reports: [report], error: nil))
        #expect(model.syncActivity.running == nil)
        #expect(model.message?.text == "notifuse: 2 new here; 1 change sent")
        #expect(model.message?.tone == .success)
    }

    @Test func allAccountsSyncTogetherAndEachSaysWhatItDid() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        sync.onSync { _, progress in
            let reports = [Fixture.report("dailystory", provider: "DailyStory", updated: 1),
                           Fixture.report("notifuse", provider: "Notifuse")]
            reports.forEach { progress(.finished($0)) }
            return reports
        }
        let model = try syncModel(services, account: nil)
        await model.runSyncWork(model.press(.character("s")))
        #expect(sync.runs == [.all])
        let text = try #require(model.message?.text)
        #expect(text.hasPrefix("dailystory: 1 changed here · notifuse: nothing new from Notifuse"), "\(text)")
        // DailyStory cannot list: the message says what a sync does not bring and how to.
        #expect(text.hasSuffix(" — contacts made in DailyStory are not discovered: F fetches one by email or mobile"), "\(text)")
    }

    /// At 80 columns the accounts' lines would not fit the two lines a message has: their sum
    /// does, with in full the line of any account that stopped.
    @Test func manyAccountsAreSummedUpWhenTheirLinesWouldNotFit() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        let long = { @Sendable (name: String) -> SyncReport in
            var report = Fixture.report(name, provider: "Notifuse", created: 1, sent: 4)
            report.account = name + "-with-a-rather-long-account-name"
            return report
        }
        sync.onSync { _, _ in [long("dailystory"), long("notifuse"), long("support")] }
        let model = try syncModel(services, account: nil)
        await model.runSyncWork(model.press(.character("s")))
        #expect(model.message?.text == "Synced 3 accounts: 3 new here; 12 changes sent")
        let wide = try syncModel(services, account: nil, width: 400)
        await wide.runSyncWork(wide.press(.character("s")))
        #expect(wide.message?.text.hasPrefix("dailystory-with-a-rather-long-account-name: 1 new here; 4 changes sent · ") == true)

        var offline = Fixture.offlineReport("events", provider: "iVvy")
        offline.account = "events"
        #expect(SyncWords.combined([long("a"), long("b"), offline])
            == "Synced 2 accounts: 2 new here; 8 changes sent · events: offline — iVvy cannot be reached; edits wait in the outbox")
        // An edit the provider does not hold is said as rolo sync says it.
        var kept = long("c")
        kept.keptInRolo = 1
        #expect(SyncWords.combined([long("a"), kept]) == "Synced 2 accounts: 2 new here; 8 changes sent; 1 edit in rolo only")
        // Every account offline: no "Synced 0 accounts: nothing new", and every one named.
        var cut = Fixture.offlineReport("notifuse-demo", provider: "Notifuse")
        cut.stopped = "offline — Notifuse cannot be reached (Failed to connect to 127.0.0.1 port 41231 after 0 ms: Couldn't connect to server)"
        #expect(SyncWords.combined([Fixture.offlineReport("dailystory-demo", provider: "DailyStory"),
                                    Fixture.offlineReport("ivvy-demo", provider: "iVvy"), cut])
            == "dailystory-demo, ivvy-demo and notifuse-demo: offline — DailyStory, iVvy and Notifuse cannot be reached; "
            + "edits wait in the outbox")
    }

    @Test func conflictsAndFailuresAreSaidWithTheKeyThatOpensThem() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        sync.onSync { _, _ in
            var report = Fixture.report("notifuse", provider: "Notifuse", sent: 2)
            report.conflicts = [.init(contactID: nil, name: "Olga Smirnova", message: "changed on both sides: city")]
            report.failures = [.init(contactID: nil, name: "Ann", message: "Notifuse: invalid type for first_name")]
            return [report]
        }
        let model = try syncModel(services)
        await model.runSyncWork(model.press(.character("s")))
        #expect(model.message?.text == "notifuse: nothing new from Notifuse; 2 changes sent; 1 conflict; 1 failed"
            + " — C shows the conflicts; O shows what failed")
        #expect(model.message?.tone == .error)
    }

    @Test func aSecondRoloHoldingTheSyncLockIsNamed() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        sync.onSync { _, _ in
            throw RoloError.failed("a sync of this cache is already running (process 4242, bo, since 2026-11-25 09:58:00 UTC)")
        }
        let model = try syncModel(services)
        await model.runSyncWork(model.press(.character("s")))
        #expect(model.message?.text == "Sync did not run: a sync of this cache is already running (process 4242, bo, "
            + "since 2026-11-25 09:58:00 UTC)")
        #expect(model.message?.tone == .error)
        #expect(model.syncActivity.running == nil, "s works again")
    }

    @Test func theListAndDetailFollowTheSyncAndKeepTheSelectedContact() async throws {
        let (services, sync, service) = try Fixture.servicesWithSync()
        let model = try syncModel(services, account: nil, width: 120, height: 30)
        while model.selectedName != "Olga Smirnova" { model.press(.character("j")) }
        let olga = try #require(model.list.selected?.id)
        model.press(.tab)
        #expect(model.detail?.contact[.city] == nil)
        let cache = service.cache
        let editor = service.editor
        let notifuse = try service.accounts.account(named: "notifuse")
        sync.onSync { _, progress in
            // As a pull would: a new contact above Olga, and Olga changed at the provider.
            try cache.insertContacts([Contact(accountID: notifuse.id, fields: [.firstName: "Aaron", .lastName: "Aardvark",
                                                                               .email: "aaron@example.com"])],
                                     remotes: [RemoteReference(id: "aaron", modifiedAt: nil, syncedAt: nil)], author: Fixture.author)
            _ = try editor.update(olga, assignments: [try FieldAssignment(parsing: "city=Tallinn")])
            let report = Fixture.report("notifuse", provider: "Notifuse", created: 1, updated: 1)
            progress(.finished(report))
            return [report]
        }
        await model.runSyncWork(model.press(.character("s")))
        #expect(model.names.first == "Aaron Aardvark")
        #expect(model.selectedName == "Olga Smirnova", "the selection stays on the same contact")
        #expect(model.detail?.contact[.city] == "Tallinn", "the detail shows what the sync brought")
        #expect(model.list.total == 12)
    }

    // MARK: - Automatic syncs

    /// Offline, the automatic sync backs off — a minute, two, four, eight, then the interval —
    /// and the status bar says so with the edits that wait; once the provider answers, the
    /// interval is back. Time is the test's clock; nothing waits for the machine's.
    @Test func anAccountSyncsOnStartAndEveryIntervalBackingOffWhileOffline() async throws {
        let (services, sync, service) = try Fixture.servicesWithSync()
        try service.set("olga@example.com", "city=Tallinn")
        let reachable = Locked(false)
        sync.onSync { _, _ in
            [reachable.value ? Fixture.report("notifuse", provider: "Notifuse", sent: 1)
                : Fixture.offlineReport("notifuse", provider: "Notifuse")]
        }
        let clock = TestClock()
        let start = clock.now
        let model = try syncModel(services, clock: clock,
                                  autoSync: [AutoSyncSetting(account: "notifuse", onStart: true, interval: 15 * 60)])
        var attempts: [Int] = []
        func tick() async {
            let effects = model.handle(.tick)
            if effects.contains(where: { $0.isSync }) {
                attempts.append(Int((clock.now.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000))
            }
            await model.runSyncWork(effects)
        }
        await tick()
        #expect(attempts == [0], "on start")
        #expect(model.offlineWaiting == 1)
        #expect(model.message?.text == "notifuse: offline — Notifuse cannot be reached; edits wait in the outbox")
        #expect(model.message?.tone == .warning)
        for _ in 0..<(2400 / 10) {
            clock.advance(seconds: 10)
            await tick()
            // Keys between ticks start nothing early either.
            #expect(!model.press(.character("j")).contains { $0.isSync })
        }
        #expect(attempts == [0, 60, 180, 420, 900, 1800], "backing off: 1, 2, 4, 8 minutes, then the 15-minute interval")
        #expect(sync.runs.count == attempts.count)

        reachable.value = true
        for _ in 0..<(1200 / 10) {
            clock.advance(seconds: 10)
            await tick()
        }
        #expect(attempts == [0, 60, 180, 420, 900, 1800, 2700, 3600], "reachable again: every 15 minutes")
        #expect(model.offlineWaiting == nil)
    }

    @Test func anIntervalWithoutSyncOnStartWaitsOneIntervalAndAManualSyncRestartsIt() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        sync.onSync { _, _ in [Fixture.report("notifuse", provider: "Notifuse")] }
        let clock = TestClock()
        let model = try syncModel(services, clock: clock,
                                  autoSync: [AutoSyncSetting(account: "notifuse", onStart: false, interval: 600)])
        #expect(!model.handle(.tick).contains { $0.isSync })
        clock.advance(seconds: 300)
        await model.runSyncWork(model.press(.character("s")))
        #expect(sync.runs.count == 1)
        clock.advance(seconds: 300)
        #expect(!model.handle(.tick).contains { $0.isSync }, "the manual sync counts: the next is 10 minutes after it")
        clock.advance(seconds: 300)
        #expect(model.handle(.tick).contains(.sync(scope: .account(try #require(model.currentAccount).id))))
    }

    // MARK: - When sync cannot work

    @Test func readOnlyTurnsTheSyncKeysOffAndSaysWhy() throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        let model = try syncModel(services, readOnly: true,
                                  autoSync: [AutoSyncSetting(account: "notifuse", onStart: true, interval: 60)])
        #expect(!model.handle(.tick).contains { $0.isSync }, "no automatic sync either")
        for key in ["s", "R", "F"] {
            #expect(model.press(.character(Character(key))).isEmpty)
            #expect(model.message?.text == "rolo was started with --read-only: sync is off (it writes to the cache)", "\(key)")
        }
        #expect(sync.runs.isEmpty)
        #expect(!model.keyMap.hints(for: .list, readOnly: true).contains { $0.label == "sync" })
        #expect(model.keyMap.hints(for: .list).contains { $0.label == "sync" })
    }

    @Test func withoutSyncOrWithNothingThatCanSyncTheKeysSayWhy() throws {
        let plain = try syncModel(AppServices(try Fixture.service()))
        plain.press(.character("s"))
        #expect(plain.message?.text == "This rolo has no sync service: open it with a config (--config) to sync")

        let (services, sync, _) = try Fixture.servicesWithSync()
        let local = try syncModel(services, account: "local")
        local.press(.character("s"))
        #expect(local.message?.text == "Cannot sync: local is a local account: it has no provider")
        sync.cannotSync("notifuse", because: "notifuse has no [accounts.notifuse] in /tmp/config.toml")
        sync.cannotSync("dailystory", because: "dailystory has no [accounts.dailystory] in /tmp/config.toml")
        let all = try syncModel(services, account: nil)
        #expect(all.press(.character("s")).isEmpty)
        #expect(all.message?.text == "Nothing can sync: dailystory has no [accounts.dailystory] in /tmp/config.toml (and 1 more like it)")
        #expect(sync.runs.isEmpty)
    }

    // MARK: - R

    @Test func rRetriesAFailedDeliveryAndOtherwiseSaysWhyNot() throws {
        let (services, sync, service) = try Fixture.servicesWithSync()
        try service.set("olga@example.com", "city=Tallinn")
        let olga = try service.id("olga@example.com")
        try service.cache.failDelivery(of: olga, message: "Notifuse: invalid type for city")
        let model = try syncModel(services)
        #expect(model.list.selected?.marker == .failed)
        model.press(.character("R"))
        #expect(sync.retried == [olga])
        #expect(model.message?.text == "Olga Smirnova goes out again with the next sync (s sends it now)")
        #expect(model.list.selected?.marker == .pending, "the marker follows")
        model.press(.character("R"))
        #expect(model.message?.text == "Nothing to retry for Olga Smirnova: its change waits for the next sync already")
        let synced = try syncModel(services, account: "dailystory")
        synced.press(.character("R"))
        #expect(synced.message?.text == "Nothing to retry for Robert Dallaire: nothing of it waits to be sent")
    }

    // MARK: - The outbox

    @Test func theOutboxListsWhatWaitsRetriesAFailedOneAndGoesToItsContact() throws {
        let (services, sync, service) = try Fixture.servicesWithSync()
        try service.set("bob@corp.example.org", "city=Fort Worth")
        try service.set("olga@example.com", "city=Tallinn")
        let olga = try service.id("olga@example.com")
        try service.cache.failDelivery(of: olga, message: "Notifuse: invalid type for city")
        let model = try syncModel(services, account: nil)
        model.press(.character("O"))
        guard case .outbox(let view)? = model.syncView else { Issue.record("no outbox"); return }
        #expect(model.context == .outbox)
        #expect(view.lines.map(\.entry.displayName) == ["Robert Dallaire", "Olga Smirnova"])
        #expect(view.lines.map(\.entry.state) == [.pending, .failed])
        #expect(view.changes.map { $0.key } == [.standard(.city)], "what the selected one will send")

        model.press(.character("r"))
        #expect(model.message?.text == "Nothing to retry for Robert Dallaire: its change waits for the next sync already")
        model.press(.character("j"), .character("r"))
        #expect(sync.retried.last == olga)
        guard case .outbox(let after)? = model.syncView else { Issue.record("the outbox closed"); return }
        #expect(after.lines.map(\.entry.state) == [.pending, .pending])
        #expect(after.cursor == 1, "the cursor stays on Olga")

        model.press(.enter)
        #expect(model.syncView == nil)
        #expect(model.focus == .detail)
        #expect(model.list.selected?.id == olga)
        #expect(model.detail?.contact.id == olga)

        model.command("outbox")
        #expect(model.context == .outbox)
        model.press(.escape)
        #expect(model.syncView == nil && model.context == .detail)
    }

    // MARK: - Conflicts

    @Test func conflictsAreSettledFieldByFieldOrForTheWholeContact() throws {
        let (services, _, service) = try Fixture.servicesWithSync()
        try service.set("olga@example.com", "city=Moscow", "country=Russia")
        let olga = try service.id("olga@example.com")
        try service.cache.recordConflicts(of: olga, theirs: [.city: "Kazan", .country: "Russian Federation"])
        try service.set("bob@corp.example.org", "city=Fort Worth")
        let bob = try service.id("bob@corp.example.org")
        try service.cache.recordConflicts(of: bob, theirs: [.city: "El Paso"])
        let model = try syncModel(services, account: nil)
        #expect(model.conflicts == 2)
        model.press(.character("C"))
        guard case .conflicts(let view)? = model.syncView else { Issue.record("no conflicts view"); return }
        #expect(view.items.map(\.contact.displayName) == ["Robert Dallaire", "Olga Smirnova"])
        #expect(view.positions.count == 3)
        #expect(view.choices?.mine == "keep mine for City" && view.choices?.theirs == "take DailyStory's")

        model.press(.character("T"))
        #expect(model.message?.text == "Robert Dallaire: every value is now DailyStory's")
        #expect(try service.reader.contact(bob)[.city] == "El Paso")

        model.press(.character("m"))
        #expect(model.message?.text == "Olga Smirnova: kept mine for City; 1 more to settle")
        guard case .conflicts(let left)? = model.syncView else { Issue.record("the view closed"); return }
        #expect(left.positions.count == 1)
        #expect(left.selectedConflict?.key == .standard(.country))
        model.press(.character("t"))
        #expect(model.message?.text == "Olga Smirnova: took Notifuse's Country")
        let settled = try service.reader.contact(olga)
        #expect(settled[.city] == "Moscow" && settled[.country] == "Russian Federation")
        guard case .conflicts(let none)? = model.syncView else { Issue.record("the view closed"); return }
        #expect(none.items.isEmpty, "settled contacts leave the view")
        #expect(model.conflicts == 0)
        #expect(try service.reader.detail(olga).syncState == .pending(.update, attempts: 0, lastError: nil),
                "mine goes out with the next sync")
    }

    @Test func aContactDeletedThereWhileEditedHereOffersKeepingItOrLettingItGo() throws {
        let (services, _, service) = try Fixture.servicesWithSync()
        try service.set("roberta@example.com", "city=Houston")
        let roberta = try service.id("roberta@example.com")
        try service.cache.recordDeletedThere(roberta)
        let model = try syncModel(services, account: "dailystory")
        model.press(.character("C"))
        guard case .conflicts(let view)? = model.syncView else { Issue.record("no conflicts view"); return }
        #expect(view.choices?.mine == "keep Roberta Diaz: create it at DailyStory again")
        #expect(view.choices?.theirs == "let it go: delete it here too")
        model.press(.character("t"))
        #expect(model.message?.text == "Roberta Diaz is let go: deleted here too")
        #expect(model.names == ["Robert Dallaire"])
    }

    // MARK: - The detail

    @Test func theDetailShowsTheProvidersWordsForAFailureAndWhatAWaitingChangeSends() throws {
        let (services, _, service) = try Fixture.servicesWithSync()
        try service.set("olga@example.com", "city=Tallinn")
        try service.cache.failDelivery(of: try service.id("olga@example.com"), message: "Notifuse: invalid type for city")
        let model = try syncModel(services, width: 120, height: 40)
        let rows = try #require(model.detail?.rows).compactMap { row -> String? in
            if case .field(let label, let value, _, _) = row { return "\(label)|\(value)" }
            return nil
        }
        #expect(rows.contains("State|! sending the update failed; R sends it again"), "\(rows)")
        #expect(rows.contains("Notifuse said|Notifuse: invalid type for city"))
        #expect(rows.contains("Will send|City: Tallinn"))
    }

    // MARK: - Fetch

    @Test func fetchAsksForAnEmailOrMobileAndShowsTheContactItBrings() async throws {
        let (services, sync, service) = try Fixture.servicesWithSync()
        let cache = service.cache
        sync.onFetch { account, key in
            let id = try cache.insertContacts([Contact(accountID: account.id, fields: [.firstName: "Ana", .lastName: "Lima",
                                                                                     .mobilePhone: "\(key)"])],
                                              remotes: [RemoteReference(id: "ds-77", modifiedAt: nil, syncedAt: nil)],
                                              author: Fixture.author)[0]
            return FetchOutcome(contactID: id, displayName: "Ana Lima", account: account.name, provider: "DailyStory", change: .added)
        }
        let model = try syncModel(services, account: "dailystory")
        model.press(.character("F"))
        #expect(model.context == .fetchInput)
        model.type("ana@")
        #expect(model.press(.enter).isEmpty)
        guard case .fetch(let prompt)? = model.overlay else { Issue.record("the prompt closed"); return }
        #expect(prompt.error?.contains("is not an email address") == true, "\(prompt.error ?? "")")
        model.press(.control("u"))
        model.type("+1 555 714 0002")
        let effects = model.press(.enter)
        let dailystory = try #require(model.currentAccount)
        #expect(effects == [.fetch(accountID: dailystory.id, key: .mobile("+15557140002"))])
        #expect(model.syncActivity.fetching == "+15557140002 from dailystory")
        await model.runSyncWork(effects)
        #expect(model.message?.text == "Brought Ana Lima in from DailyStory (dailystory)")
        #expect(model.selectedName == "Ana Lima")
        #expect(model.focus == .detail)
        #expect(model.syncActivity.fetching == nil)
    }

    @Test func fetchGoesToTheOneAccountThatNeedsItAndSaysWhyElsewhere() async throws {
        let (services, sync, _) = try Fixture.servicesWithSync()
        let all = try syncModel(services, account: nil)
        let effects = all.command("fetch nobody@example.com")
        #expect(effects == [.fetch(accountID: try services.accounts.account(named: "dailystory").id, key: .email("nobody@example.com"))])
        await all.runSyncWork(effects)
        #expect(all.message?.text == "no contact with nobody@example.com")
        #expect(all.message?.tone == .error)
        #expect(sync.fetched == [.email("nobody@example.com")])

        let notifuse = try syncModel(services)
        notifuse.press(.character("F"))
        #expect(notifuse.message?.text == "Cannot fetch: notifuse lists its contacts")
        #expect(notifuse.overlay == nil)
    }
}

/// A value shared with a closure that runs elsewhere.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
