import Foundation
import RoloCore
import RoloStore
import RoloSync
import RoloTerminal
import RoloTestFixtures
import RoloViewModels
import Testing

/// The screens of sync at the three sizes: progress in the status bar, offline, the markers,
/// the detail of a failed and of a waiting contact, the outbox, the conflicts, the fetch prompt.
@Suite("Screens of sync")
struct SyncScreenTests {
    /// One more DailyStory contact, so every marker has a contact to show it.
    static let people = Fixture.people + [
        Fixture.Person(1, [.firstName: "Rosa", .lastName: "Delgado", .email: "rosa@example.com", .city: "El Paso"]),
    ]
    /// What a provider may answer: escape sequences included, shown and never obeyed.
    static let hostileError = "DailyStory: \u{1B}[2J\u{1B}]0;pwned\u{07}email is not valid for this list"

    /// Builds the fixture with a fake sync at each size, prepares its cache, runs `steps` and
    /// compares the screen.
    func screens(_ name: String, account: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                 _ steps: (AppModel) -> Void) throws {
        try screens(name, account: account, sourceLocation: sourceLocation, prepare: { _ in }, steps)
    }

    func screens(_ name: String, account: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                 prepare: (RoloServices) throws -> Void, _ steps: (AppModel) -> Void) throws {
        for size in ScreenTests.sizes {
            let (services, _, service) = try Fixture.servicesWithSync(people: Self.people)
            try prepare(service)
            let model = try AppModel(services: services, size: size, options: AppOptions(account: account, now: Fixture.clock))
            steps(model)
            Snapshot.check(Screen.render(model), name, sourceLocation: sourceLocation)
        }
    }

    /// Robert's change failed with a hostile message, Roberta's waits, Rosa's is being sent and
    /// Olga's is in conflict.
    static func everyState(_ service: RoloServices) throws {
        func id(_ email: String) throws -> ContactID { try service.reader.resolve(email) }
        func set(_ email: String, _ text: String) throws {
            _ = try service.editor.update(try id(email), assignments: [try FieldAssignment(parsing: text)])
        }
        try set("bob@corp.example.org", "city=Fort Worth")
        try service.cache.failDelivery(of: try id("bob@corp.example.org"), message: hostileError)
        try set("rosa@example.com", "city=Las Cruces")
        let dailystory = try service.accounts.account(named: "dailystory")
        _ = try service.cache.claimDueDeliveries(accountID: dailystory.id, limit: 10, run: "screen")
        try set("roberta@example.com", "website=https://roberta.example.com")
        try set("olga@example.com", "city=Moscow")
        try set("olga@example.com", "country=Russia")
        try service.cache.recordConflicts(of: try id("olga@example.com"), theirs: [
            .city: "Kazan, on the left bank of the Volga where it meets the Kazanka, a long way from Moscow",
            .country: "Russian Federation",
        ])
    }

    @Test func progressInTheStatusBarWhileKeysWork() throws {
        try screens("sync-progress", account: "notifuse") { model in
            model.press(.character("s"))
            model.handle(.syncProgress(.started(account: "notifuse")))
            model.handle(.syncProgress(.reading(account: "notifuse", records: 1200, total: 5000)))
            model.press(.character("j"))
        }
    }

    @Test func offlineTheStatusBarSaysHowManyEditsWait() throws {
        try screens("sync-offline", account: "notifuse", prepare: { service in
            _ = try service.editor.update(try service.reader.resolve("olga@example.com"), assignments: [try FieldAssignment(parsing: "city=Tallinn")])
        }) { model in
            model.press(.character("s"))
            let report = Fixture.offlineReport("notifuse", provider: "Notifuse")
            model.handle(.syncProgress(.finished(report)))
            model.handle(.syncFinished(reports: [report], error: nil))
            // The message passes with the next key; the status bar keeps saying it.
            model.press(.character("j"))
        }
    }

    @Test func aDailyStorySyncSaysWhatItCannotDiscover() throws {
        try screens("sync-dailystory", account: "dailystory") { model in
            model.press(.character("s"))
            let report = Fixture.report("dailystory", provider: "DailyStory", updated: 1)
            model.handle(.syncFinished(reports: [report], error: nil))
        }
    }

    @Test func theMarkersOfEveryStateInTheList() throws {
        try screens("sync-markers", prepare: Self.everyState) { model in
            // The contacts just changed come first: one in each state.
            model.command("sort recent")
        }
    }

    @Test func theDetailOfAFailedContactShowsTheProvidersWordsSafely() throws {
        try screens("sync-failed-detail", account: "dailystory", prepare: Self.everyState) { model in
            model.press(.enter, .character("G"))
        }
    }

    @Test func theDetailOfAWaitingContactShowsWhatWillBeSent() throws {
        try screens("sync-pending-detail", account: "dailystory", prepare: Self.everyState) { model in
            model.press(.character("j"), .enter, .character("G"))
        }
    }

    @Test func theOutbox() throws {
        try screens("sync-outbox", prepare: Self.everyState) { model in
            model.press(.character("O"))
        }
    }

    @Test func theConflictsWithTheSelectedValuesInFull() throws {
        try screens("sync-conflicts", prepare: { service in
            try Self.everyState(service)
            let roberta = try service.reader.resolve("roberta@example.com")
            try service.cache.recordDeletedThere(roberta)
        }) { model in
            model.press(.character("C"))
            model.press(.character("j"))
        }
    }

    @Test func theFetchPromptWithAMistake() throws {
        try screens("sync-fetch", account: "dailystory") { model in
            model.press(.character("F"))
            model.type("ana@")
            model.press(.enter)
        }
    }

    /// A provider's message never reaches the terminal raw, wherever it is shown.
    @Test func noEscapeSequenceFromAProviderReachesTheScreen() throws {
        let (services, _, service) = try Fixture.servicesWithSync(people: Self.people)
        try Self.everyState(service)
        for size in ScreenTests.sizes {
            let model = try AppModel(services: services, size: size, options: AppOptions(account: "dailystory", now: Fixture.clock))
            for steps in [[Key.enter, .character("G")], [.escape, .character("O")]] {
                model.press(steps)
                let cells = Screen.render(model).cells.map(\.text).joined()
                #expect(!cells.contains("\u{1B}") && !cells.contains("\u{07}"), "\(size) \(steps)")
                #expect(cells.contains("␛"), "\(size) \(steps): the escape is shown as a placeholder")
            }
        }
    }
}

extension AppModel {
    func press(_ keys: [Key]) { for key in keys { runBackgroundWork(handle(.key(key))) } }
}
