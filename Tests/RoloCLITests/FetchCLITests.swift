import Foundation
import RoloCore
import RoloEmulators
import Testing

/// `rolo fetch` against a DailyStory emulator in this process: DailyStory cannot list its
/// contacts, so one created there is brought in by its email or mobile number.
@Suite("Fetching one contact from DailyStory through the binary", .serialized)
struct FetchCLITests {
    @Test func aContactCreatedInDailyStoryIsBroughtInByEmailOrMobileAndAMissingOneIsNotFound() async throws {
        let rolo = try Rolo()
        let dailystory = DailyStoryEmulator()
        let made = try dailystory.webUI.create(["email": "ana.lima@example.com", "firstName": "Ana", "lastName": "Lima",
                                                "mobilePhone": "+15550104040", "city": "Lisbon"])
        try dailystory.webUI.create(["email": "gone@example.com", "firstName": "Gone"])
        try await dailystory.start()
        let folder = rolo.home.appendingPathComponent("config/rolo").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let token = folder + "/marketing.token"
        try dailystory.token.write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        let config = folder + "/config.toml"
        try """
            [accounts.marketing]
            provider = "dailystory"
            base_url = "\(dailystory.baseURL.absoluteString)"
            allow_plain_http = true
            token_file = "\(token)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        func run(_ arguments: String...) async throws -> Rolo.Result { try await rolo.runDetached(arguments) }

        // A sync cannot discover her: DailyStory lists nothing.
        #expect(try await run("sync").status == 0)
        #expect(try await run("show", "ana.lima@example.com").status == 3)

        let fetched = try await run("fetch", "--account", "marketing", "--email", "ana.lima@example.com")
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.contains("Brought Ana Lima in from DailyStory (marketing)"), "\(fetched.stdout)")
        let shown = try await run("show", "ana.lima@example.com", "--json")
        #expect(shown.stdout.contains("\"Lisbon\""))
        #expect(shown.stdout.contains(made), "linked to her dsId")

        // Again, by her mobile: the same contact, nothing new.
        let again = try await run("fetch", "--account", "marketing", "--mobile", "+1 555 010 4040")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("is here already, the same as at DailyStory"), "\(again.stdout)")
        #expect(try await run("list", "--account", "marketing", "--tsv").stdout.split(separator: "\n").count == 1)

        // A contact in DailyStory's trash, or none at all, is not found (exit 3).
        _ = dailystory.webUI.delete(dsId: try #require(dailystory.store.allContacts()
            .first { $0["email"]?.stringValue == "gone@example.com" }?["dsId"]?.stringValue))
        let trashed = try await run("fetch", "--account", "marketing", "--email", "gone@example.com")
        #expect(trashed.status == 3)
        #expect(trashed.stderr.contains("DailyStory (marketing) has no contact with the email gone@example.com"), "\(trashed.stderr)")
        #expect(try await run("fetch", "--account", "marketing", "--email", "nobody@example.com").status == 3)
        let typo = try await run("fetch", "--account", "marketing", "--mobile", "555")
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("country code"))
        #expect(!(fetched.stdout + fetched.stderr + again.stdout + trashed.stderr).contains(dailystory.token))
        await dailystory.stop()
        try? FileManager.default.removeItem(at: rolo.home)
    }
}
