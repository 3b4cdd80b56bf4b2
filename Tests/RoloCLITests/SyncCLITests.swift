import Foundation
import RoloConformance
import RoloCore
import RoloEmulators
import Testing

/// Any provider's emulator in this process, reached through its conformance harness, and the
/// real binary syncing with it over HTTP: one account, `support`, in a config written the way
/// `rolo sandbox` writes one (each secret in a 0600 file beside it).
final class ProviderSandbox {
    static let account = "support"
    let rolo: Rolo
    let harness: any ProviderHarness

    init(_ harness: any ProviderHarness) throws {
        self.harness = harness
        rolo = try Rolo()
        let folder = rolo.home.appendingPathComponent("config/rolo").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let connection = harness.connection
        var config = """
            [accounts.\(ProviderSandbox.account)]
            provider = "\(connection.provider)"
            base_url = "\(connection.baseURL.absoluteString)"
            allow_plain_http = true

            """
        for (role, secret) in connection.secrets.sorted(by: { $0.key < $1.key }) {
            let path = folder + "/\(ProviderSandbox.account).\(role)"
            try ProviderSandbox.writePrivately(secret + "\n", to: path)
            config += "\(role)_file = \"\(path)\"\n"
        }
        for (key, value) in connection.settings.sorted(by: { $0.key < $1.key }) { config += "\(key) = \"\(value)\"\n" }
        let named = harness.definitions.filter { $0.providerRef != nil }
        if !named.isEmpty {
            config += "\n[accounts.\(ProviderSandbox.account).fields]\n"
            for field in named {
                config += "\(field.key) = { slot = \"\(field.providerRef!)\", type = \"\(field.type.rawValue)\", label = \"\(field.label)\" }\n"
            }
        }
        try ProviderSandbox.writePrivately(config, to: folder + "/config.toml")
    }

    static func writePrivately(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
    }

    /// Runs `rolo arguments…` off Swift's concurrency threads (see `NotifuseSandbox.run`).
    func run(_ arguments: String...) async throws -> Rolo.Result { try await rolo.runDetached(arguments) }

    func stop() async {
        await harness.stop()
        try? FileManager.default.removeItem(at: rolo.home)
    }
}

/// A Notifuse emulator in this process and the real binary syncing with it over HTTP.
final class NotifuseSandbox {
    let rolo: Rolo
    let notifuse: NotifuseEmulator
    let configPath: String
    let tokenPath: String

    init(contacts: [EmulatorJSON] = [], configMode: Int = 0o600) async throws {
        rolo = try Rolo()
        notifuse = NotifuseEmulator()
        if !contacts.isEmpty { try notifuse.webUI.seed(contacts) }
        try await notifuse.start()
        let folder = rolo.home.appendingPathComponent("config/rolo").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        tokenPath = folder + "/support.token"
        try notifuse.apiToken.write(toFile: tokenPath, atomically: true, encoding: .utf8)
        chmod(tokenPath, 0o600)
        configPath = folder + "/config.toml"
        try """
            [accounts.support]
            provider = "notifuse"
            base_url = "\(notifuse.baseURL.absoluteString)"
            allow_plain_http = true
            workspace_id = "\(notifuse.workspaceID)"
            token_file = "\(tokenPath)"

            [accounts.support.fields]
            plan = { slot = "custom_string_1", type = "text", label = "Plan" }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, mode_t(configMode))
    }

    /// Runs `rolo arguments…` on a thread of its own: waiting for the process must not hold
    /// one of the few threads Swift's concurrency runs the emulator on (the machine may have
    /// two), or the emulator could not answer the rolo it waits for.
    func run(_ arguments: String...) async throws -> Rolo.Result { try await rolo.runDetached(arguments) }

    func stop() async {
        await notifuse.stop()
        try? FileManager.default.removeItem(at: rolo.home)
    }

    /// Every byte rolo wrote or printed where a secret must never be: the outputs given, the
    /// log, the cache and its WAL.
    func everythingWritten(_ outputs: [Rolo.Result]) -> String {
        var text = outputs.map { $0.stdout + $0.stderr }.joined()
        for path in [rolo.home.appendingPathComponent("state/rolo/rolo.log").path, rolo.cache, rolo.cache + "-wal"] {
            if let data = FileManager.default.contents(atPath: path) { text += String(decoding: data, as: UTF8.self) }
        }
        return text
    }
}

@Suite("Sync through the binary, against a Notifuse emulator", .serialized)
struct SyncCLITests {
    static func person(_ email: String, _ first: String, plan: String? = nil) -> EmulatorJSON {
        var object: [String: EmulatorJSON] = ["email": .string(email), "first_name": .string(first)]
        if let plan { object["custom_string_1"] = .string(plan) }
        return .object(object)
    }

    @Test func editsGoOutChangesComeBackConflictsWaitAndNoSecretIsEverShown() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [
            SyncCLITests.person("ann@example.com", "Ann", plan: "gold"), SyncCLITests.person("bob@example.com", "Bob"),
        ])
        let rolo = sandbox.rolo
        var outputs: [Rolo.Result] = []
        func run(_ arguments: String...) async throws -> Rolo.Result {
            let result = try await rolo.runDetached(arguments)
            outputs.append(result)
            return result
        }

        let first = try await run("sync")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "support: 2 new here\n")
        #expect(try await run("list", "--account", "support", "--tsv").stdout.components(separatedBy: "\n").count == 3)

        // A local edit reaches the provider.
        #expect(try await run("set", "ann@example.com", "plan=platinum", "last_name=Lee").status == 0)
        #expect(try await run("outbox").stdout.contains("update  pending"))
        let second = try await run("sync")
        #expect(second.stdout == "support: nothing new from Notifuse; 1 change sent\n", "\(second.stderr)")
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["custom_string_1"] == "platinum")
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["last_name"] == "Lee")
        #expect(try await run("outbox").stdout == "Nothing waits to be sent.\n")

        // A colleague's edit comes back; the same field changed on both sides waits for a decision.
        try sandbox.notifuse.webUI.upsert(["email": "bob@example.com", "first_name": "Roberto", "country": "BR"])
        try sandbox.notifuse.webUI.upsert(["email": "ann@example.com", "custom_string_1": "silver"])
        _ = try await run("set", "ann@example.com", "plan=bronze")
        let third = try await run("sync")
        #expect(third.status == 1, "a conflict is not a clean run")
        #expect(third.stdout.contains("1 conflict"))
        #expect(try await run("show", "bob@example.com", "--json").stdout.contains("\"Roberto\""))
        let conflicts = try await run("conflicts")
        #expect(conflicts.stdout.contains("plan"))
        #expect(conflicts.stdout.contains("bronze") && conflicts.stdout.contains("silver"))
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["custom_string_1"] == "silver", "not overwritten")

        #expect(try await run("resolve", "ann@example.com", "--field", "plan=mine").status == 0)
        #expect(try await run("sync").status == 0)
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["custom_string_1"] == "bronze")

        let accounts = try await run("accounts")
        #expect(accounts.stdout.contains("support"))
        #expect(!accounts.stdout.contains("never"))

        let written = sandbox.everythingWritten(outputs)
        #expect(!written.contains(sandbox.notifuse.apiToken), "the token never appears")
        #expect(!written.contains(String(sandbox.notifuse.apiToken.suffix(20))))
        await sandbox.stop()
    }

    @Test func failuresAreRetriedAndTheProvidersWordsShown() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        let rolo = sandbox.rolo
        #expect(try await sandbox.run("sync").status == 0)
        _ = try await sandbox.run("set", "ann@example.com", "first_name=Anna")
        // Two 503s, then it goes through (the retry waits are short: Retry-After 0).
        sandbox.notifuse.inject(.status(503, retryAfter: 0), count: 2, path: "/api/contacts.upsert")
        let retried = try await sandbox.run("sync")
        #expect(retried.status == 0, "\(retried.stdout)\(retried.stderr)")
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["first_name"] == "Anna")

        // A refusal is shown with Notifuse's own message and kept for a retry.
        _ = try await sandbox.run("set", "ann@example.com", "first_name=Annie")
        sandbox.notifuse.inject(.status(400, body: #"{"error":"invalid type for first_name"}"#), count: 1, path: "/api/contacts.upsert")
        let refused = try await sandbox.run("sync")
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("failed: Annie: Notifuse: invalid type for first_name"))
        #expect(try await sandbox.run("outbox").stdout.contains("failed"))
        // The next sync has nothing to do, but the edit has not reached Notifuse: it says so,
        // and a script sees it in the exit status and the JSON.
        let after = try await sandbox.run("sync")
        #expect(after.status == 1)
        #expect(after.stdout.hasPrefix("support: nothing new from Notifuse; 1 edit failed earlier and waits for you to retry it\n"
            + "  failed earlier: Annie: Notifuse: invalid type for first_name (waits for rolo retry)\n"), "\(after.stdout)")
        let json = try await sandbox.run("sync", "--json")
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"failed_earlier\": ["), "\(json.stdout)")
        #expect(json.stdout.contains("invalid type for first_name"))
        #expect(try await sandbox.run("retry", "--failed").stdout == "1 failed delivery goes out with the next sync.\n")
        #expect(try await sandbox.run("sync").status == 0)
        #expect(sandbox.notifuse.store.contact(email: "ann@example.com")?["first_name"] == "Annie")
        await sandbox.stop()
    }

    @Test func offlineTheEditsWaitAndTheRunSaysSo() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        let rolo = sandbox.rolo
        #expect(try await sandbox.run("sync").status == 0)
        _ = try await sandbox.run("set", "ann@example.com", "first_name=Anna")
        await sandbox.notifuse.stop()
        let offline = try await sandbox.run("sync")
        #expect(offline.status == 1)
        #expect(offline.stdout.hasPrefix("support: offline — Notifuse cannot be reached"), "\(offline.stdout)")
        #expect(try await sandbox.run("outbox").stdout.contains("pending"), "the edit still waits")
        await sandbox.stop()
    }

    @Test func aConfigOthersCanReadIsRefused() async throws {
        let sandbox = try await NotifuseSandbox(configMode: 0o644)
        let result = try await sandbox.run("sync")
        #expect(result.status == 1)
        #expect(result.stderr == "rolo: the config \(sandbox.configPath) can be read by other users; make it private with: "
            + "chmod 600 \(sandbox.configPath)\n")
        await sandbox.stop()
    }

    @Test func everyConfiguredAccountThatCannotSyncSaysWhyWithoutAccountToo() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        // A second account whose token variable nobody set.
        let config = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
        try ProviderSandbox.writePrivately(config + """

            [accounts.other]
            provider = "notifuse"
            base_url = "\(sandbox.notifuse.baseURL.absoluteString)"
            allow_plain_http = true
            workspace_id = "\(sandbox.notifuse.workspaceID)"
            token_env = "ROLO_TEST_TOKEN_NOBODY_SET"
            """, to: sandbox.configPath)
        chmod(sandbox.tokenPath, 0o644)
        let chmod600 = "the secret file \(sandbox.tokenPath) can be read by other users; make it private with: chmod 600 \(sandbox.tokenPath)"

        let named = try await sandbox.run("sync", "--account", "support")
        #expect(named.status == 1)
        #expect(named.stderr == "rolo: support: its token cannot be read: \(chmod600)\n")
        // Without --account, each account says why it cannot sync, not "add an account".
        let all = try await sandbox.run("sync")
        #expect(all.status == 1)
        #expect(!all.stderr.contains("add an account"), "\(all.stderr)")
        #expect(all.stdout.contains("support: its token cannot be read: \(chmod600)\n"), "\(all.stdout)")
        #expect(all.stdout.contains("other: its token cannot be read: ROLO_TEST_TOKEN_NOBODY_SET is not set"), "\(all.stdout)")

        // Once the file is private, that account syncs; the other still says why it cannot.
        chmod(sandbox.tokenPath, 0o600)
        let mended = try await sandbox.run("sync")
        #expect(mended.status == 1)
        #expect(mended.stdout.contains("support: 1 new here\n"), "\(mended.stdout)")
        #expect(mended.stdout.contains("other: its token cannot be read: ROLO_TEST_TOKEN_NOBODY_SET is not set"))
        await sandbox.stop()
    }

    @Test func notifuseUpdatesGoOneByOneUnlessTheConfigAsksForBatches() async throws {
        let emails = ["ann@example.com", "bob@example.com", "cy@example.com", "di@example.com"]
        let sandbox = try await NotifuseSandbox(contacts: emails.map { SyncCLITests.person($0, "P") })
        #expect(try await sandbox.run("sync").status == 0)
        func editAll(_ name: String) async throws {
            for email in emails { #expect(try await sandbox.run("set", email, "first_name=\(name)").status == 0) }
        }
        // The default (PROVIDERS.md §4.11): contacts.upsert each, which keeps created_at.
        try await editAll("One")
        sandbox.notifuse.clearRequests()
        #expect(try await sandbox.run("sync").status == 0)
        let paths = sandbox.notifuse.requests.map(\.path).filter { $0 != "/api/contacts.list" }
        #expect(paths == Array(repeating: "/api/contacts.upsert", count: emails.count), "\(paths)")

        // batch_updates = true: one import.
        let config = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
        try ProviderSandbox.writePrivately(config.replacingOccurrences(of: "token_file =", with: "batch_updates = true\ntoken_file ="),
                                           to: sandbox.configPath)
        try await editAll("Two")
        sandbox.notifuse.clearRequests()
        #expect(try await sandbox.run("sync").status == 0)
        #expect(sandbox.notifuse.requests.map(\.path).filter { $0 != "/api/contacts.list" } == ["/api/contacts.import"])
        #expect(emails.allSatisfy { sandbox.notifuse.store.contact(email: $0)?["first_name"] == "Two" })
        await sandbox.stop()
    }

    @Test func aChangeToNotifusesOwnDataAloneIsSaidAsSuch() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        #expect(try await sandbox.run("sync").status == 0)
        // A slot the config gives no name: rolo keeps it as Notifuse's data, no field changes.
        try sandbox.notifuse.webUI.upsert(["email": "ann@example.com", "custom_string_3": "from a colleague"])
        let run = try await sandbox.run("sync")
        #expect(run.status == 0)
        #expect(run.stdout == "support: 1 changed in Notifuse's own data only\n", "\(run.stdout)")
        await sandbox.stop()
    }

    /// `--verbose` says what a real run did, contact by contact; without it, one line.
    @Test func verboseListsWhatTheRunDid() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann"),
                                                           SyncCLITests.person("bob@example.com", "Bob")])
        let first = try await sandbox.run("sync", "--verbose")
        #expect(first.status == 0)
        #expect(first.stdout == "support: 2 new here\n  added here: Ann\n  added here: Bob\n", "\(first.stdout)")
        try sandbox.notifuse.webUI.upsert(["email": "bob@example.com", "first_name": "Roberto"])
        #expect(try await sandbox.run("set", "ann@example.com", "first_name=Anna").status == 0)
        let second = try await sandbox.run("sync", "-v")
        #expect(second.stdout == "support: 1 changed here; 1 change sent\n  updated here: Bob → Roberto\n  sent update: Anna\n",
                "\(second.stdout)")
        try sandbox.notifuse.webUI.upsert(["email": "ann@example.com", "first_name": "Ana"])
        #expect(try await sandbox.run("sync").stdout == "support: 1 changed here\n", "one line without it")
        await sandbox.stop()
    }

    /// An edit of a field Notifuse does not hold (city) is kept in rolo, as the edit said: the
    /// sync sends nothing for it and says so (it sent an upsert that changed nothing and
    /// counted "1 change sent").
    @Test func anEditNotifuseDoesNotHoldIsNotSent() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        #expect(try await sandbox.run("sync").status == 0)
        let set = try await sandbox.run("set", "ann@example.com", "city=Oslo")
        #expect(set.stderr.contains("Notifuse does not store it; it stays in rolo only"), "\(set.stderr)")
        let writes = sandbox.notifuse.requests.filter { $0.method == "POST" }.count
        let dry = try await sandbox.run("sync", "--dry-run")
        #expect(dry.stdout.hasPrefix("support: nothing new from Notifuse; would keep 1 edit in rolo only (Notifuse does not hold that field)\n"),
                "\(dry.stdout)")
        let run = try await sandbox.run("sync", "-v")
        #expect(run.status == 0)
        #expect(run.stdout == "support: nothing new from Notifuse; 1 edit in rolo only (Notifuse does not hold that field)\n"
                + "  kept in rolo only: Ann\n", "\(run.stdout)")
        #expect(sandbox.notifuse.requests.filter { $0.method == "POST" }.count == writes, "no request for it")
        #expect(try await sandbox.run("outbox").stdout.contains("Nothing waits"), "settled")
        #expect(try await sandbox.run("show", "ann@example.com").stdout.contains("Oslo"), "and kept here")
        #expect(try await sandbox.run("sync").stdout == "support: nothing new from Notifuse\n")
        await sandbox.stop()
    }

    @Test func aDryRunChangesNothingAnywhere() async throws {
        let sandbox = try await NotifuseSandbox(contacts: [SyncCLITests.person("ann@example.com", "Ann")])
        let rolo = sandbox.rolo
        let dry = try await sandbox.run("sync", "--dry-run")
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("would bring 1 new"))
        #expect(dry.stdout.contains("would add here: Ann"))
        #expect(try await sandbox.run("list", "--tsv").stdout.isEmpty)
        #expect(sandbox.notifuse.requests.allSatisfy { $0.method == "GET" })
        await sandbox.stop()
    }
}
