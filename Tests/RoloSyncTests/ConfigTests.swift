import Foundation
import Testing
import RoloCore
import RoloProviders
@testable import RoloStore
@testable import RoloSync

@Suite("Config: accounts and secrets")
struct ConfigTests {
    let folder: ScratchFolder

    init() throws { folder = try ScratchFolder() }

    /// Writes a file with the given mode.
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = folder.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
        return path
    }

    func failure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let support = """
        [accounts.support]
        provider = "notifuse"
        base_url = "https://notifuse.example.com"
        workspace_id = "ws_1234567890"
        token_env = "ROLO_SUPPORT_TOKEN"
        sync_interval = "15m"

        [accounts.support.fields]
        plan  = { slot = "custom_string_1", type = "text", label = "Plan" }
        seats = { slot = "custom_number_1", type = "number" }
        """

    @Test func theImportTableGivesTheDefaultRegion() throws {
        defer { folder.remove() }
        let config = try RoloConfig.parse("[import]\ndefault_region = \"gb\"\n" + ConfigTests.support, path: "c.toml", catalog: .standard)
        #expect(config.defaultRegion?.code == "GB")
        #expect(config.accounts.count == 1)
        #expect(try RoloConfig.parse(ConfigTests.support, path: "c.toml", catalog: .standard).defaultRegion == nil)
        #expect(failure { _ = try RoloConfig.parse("[import]\nregion = \"US\"\n", path: "c.toml", catalog: .standard) }
            == "config c.toml: import.region: is not a setting rolo knows (the [import] table holds default_region)")
        #expect(failure { _ = try RoloConfig.parse("import = 3\n", path: "c.toml", catalog: .standard) }
            == "config c.toml: import: must be a table: [import]")
    }

    @Test func theDocumentedShapeReads() throws {
        defer { folder.remove() }
        let path = try write("config.toml", ConfigTests.support)
        let config = try #require(try RoloConfig.load(path: path, catalog: .standard))
        let support = try #require(config.account(named: "support"))
        #expect(support.provider == .notifuse)
        #expect(support.baseURL.absoluteString == "https://notifuse.example.com")
        #expect(support.settings == ["workspace_id": "ws_1234567890"])
        #expect(support.secrets == ["token": .environment("ROLO_SUPPORT_TOKEN")])
        #expect(support.syncInterval == 900)
        #expect(support.fields == [
            FieldDefinition(key: "plan", label: "Plan", type: .text, maxLength: 255, providerRef: "custom_string_1"),
            FieldDefinition(key: "seats", type: .number, providerRef: "custom_number_1"),
        ])
        #expect(try RoloConfig.load(path: folder.file("missing.toml"), catalog: .standard) == nil)
    }

    @Test func aPeriodicFullListingIsForProvidersThatListOnlyChanges() throws {
        defer { folder.remove() }
        let events = try RoloConfig.parse("""
            [accounts.events]
            provider = "ivvy"
            base_url = "https://api.ap-southeast-2.ivvy.com"
            key_env = "K"
            secret_env = "S"
            full_listing_every = "7d"
            """, path: "c.toml", catalog: .standard)
        #expect(events.account(named: "events")?.settings[SyncSettings.fullListingEvery] == String(7 * 86_400))
        let notifuse = failure {
            _ = try RoloConfig.parse(ConfigTests.support.replacingOccurrences(of: "sync_interval = \"15m\"", with: "full_listing_every = \"1d\""),
                                     path: "c.toml", catalog: .standard)
        }
        #expect(notifuse == "config c.toml: accounts.support.full_listing_every: Notifuse is read whole on every sync already")
        let dailystory = failure {
            _ = try RoloConfig.parse("""
                [accounts.m]
                provider = "dailystory"
                base_url = "https://us-1.dailystory.com"
                token_env = "T"
                full_listing_every = 60
                """, path: "c.toml", catalog: .standard)
        }
        #expect(dailystory?.contains("DailyStory cannot list its contacts") == true)
    }

    @Test func aConfigOthersCanReadIsRefusedWithTheChmodThatFixesIt() throws {
        defer { folder.remove() }
        let path = try write("config.toml", ConfigTests.support, mode: 0o644)
        #expect(failure { _ = try RoloConfig.load(path: path, catalog: .standard) }
            == "the config \(path) can be read by other users; make it private with: chmod 600 \(path)")
    }

    @Test func secretsComeFromTheEnvironmentOrAPrivateFileNeverFromTheConfig() throws {
        defer { folder.remove() }
        #expect(try SecretSource.environment("T").read(environment: ["T": " s3cret \n"]).reveal() == "s3cret")
        #expect(failure { _ = try SecretSource.environment("T").read(environment: [:]) }?
            .hasPrefix("T is not set") == true)
        let open = try write("open.token", "s3cret\n", mode: 0o640)
        #expect(failure { _ = try SecretSource.file(open).read(environment: [:]) }
            == "the secret file \(open) can be read by other users; make it private with: chmod 600 \(open)")
        let closed = try write("closed.token", "s3cret\n")
        #expect(try SecretSource.file(closed).read(environment: [:]).reveal() == "s3cret")
        let secret = Secret("s3cret")
        #expect("\(secret)" == "(secret)" && String(describing: [secret]) == "[(secret)]")

        let inline = try write("inline.toml", """
            [accounts.a]
            provider = "notifuse"
            base_url = "https://n.example.com"
            token = "s3cret"
            """)
        let message = try #require(failure { _ = try RoloConfig.load(path: inline, catalog: .standard) })
        #expect(message.contains("accounts.a.token: secrets do not go in the config"))
        #expect(!message.contains("s3cret"), "the error never repeats the secret")
    }

    @Test(arguments: [
        ("http://notifuse.example.com", true, "rolo sends credentials over HTTPS only"),
        ("http://127.0.0.1:8080", false, "plain HTTP to 127.0.0.1 needs allow_plain_http = true"),
        ("ftp://example.com", false, "“ftp” is not http or https"),
        ("not a url", false, "is not a URL like https://host"),
    ])
    func plainHTTPOnlyToThisMachineAndOnlyWhenAllowed(_ url: String, _ allow: Bool, _ expected: String) throws {
        defer { folder.remove() }
        let path = try write("config.toml", """
            [accounts.a]
            provider = "notifuse"
            base_url = "\(url)"
            allow_plain_http = \(allow)
            """)
        #expect(failure { _ = try RoloConfig.load(path: path, catalog: .standard) }?.contains(expected) == true)
    }

    @Test func loopbackHTTPIsAllowedWhenSaid() throws {
        defer { folder.remove() }
        let path = try write("config.toml", """
            [accounts.a]
            provider = "notifuse"
            base_url = "http://127.0.0.1:8080"
            allow_plain_http = true
            """)
        #expect(try RoloConfig.load(path: path, catalog: .standard)?.accounts.first?.baseURL.port == 8080)
    }

    @Test(arguments: [
        ("provider = \"salesforce\"", "accounts.a.provider: “salesforce” is not a provider rolo syncs with"),
        ("provider = \"local\"", "accounts.a.provider: “local” is not a provider rolo syncs with"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\n[accounts.a.fields]\nplan = { type = \"text\" }",
         "accounts.a.fields.plan.slot: is missing"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\n[accounts.a.fields]\nplan = { slot = \"custom_number_1\", type = \"text\" }",
         "accounts.a.fields.plan.type: custom_number_1 holds number, not text"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\n[accounts.a.fields]\np = { slot = \"custom_string_1\", type = \"text\" }\nq = { slot = \"custom_string_1\", type = \"text\" }",
         "accounts.a.fields.q.slot: custom_string_1 is already the slot of p"),
        ("provider = \"ivvy\"\nbase_url = \"https://x.example.com\"\n[accounts.a.fields]\np = { type = \"text\" }",
         "iVvy defines its custom fields itself"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\nsync_interval = \"10s\"", "shorter than a minute"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\ntoken_env = \"A\"\ntoken_file = \"b\"", "token is given twice"),
        // A slip in a key is said, not kept as a setting nobody reads.
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\ntokn_env = \"A\"",
         "accounts.a.tokn_env: is not a setting of a Notifuse account (it takes token_env or token_file, workspace_id, batch_updates)"),
        ("provider = \"notifuse\"\nbase_url = \"https://x.example.com\"\nworkspace = \"ws_1\"",
         "accounts.a.workspace: is not a setting of a Notifuse account"),
        ("provider = \"dailystory\"\nbase_url = \"https://x.example.com\"\nworkspace_id = \"ws_1\"",
         "accounts.a.workspace_id: is not a setting of a DailyStory account (it takes token_env or token_file)"),
        ("provider = \"ivvy\"\nbase_url = \"https://x.example.com\"\ntoken_env = \"A\"",
         "accounts.a.token_env: is not a setting of an iVvy account (it takes key_env or key_file, secret_env or secret_file)"),
    ])
    func problemsNameTheFileAndTheKey(_ body: String, _ expected: String) throws {
        defer { folder.remove() }
        let path = try write("config.toml", "[accounts.a]\n" + body + "\n")
        let message = try #require(failure { _ = try RoloConfig.load(path: path, catalog: .standard) })
        #expect(message.hasPrefix("config \(path): "), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func badTOMLNamesItsLine() throws {
        defer { folder.remove() }
        let path = try write("config.toml", "[accounts.a]\nprovider = \"notifuse\n")
        #expect(failure { _ = try RoloConfig.load(path: path, catalog: .standard) }?.hasPrefix("config \(path): line 2") == true)
    }

    @Test func theConfigsAccountsAndFieldsReachTheCacheOnceAndOnlyWhenChanged() throws {
        defer { folder.remove() }
        let path = try write("config.toml", ConfigTests.support)
        let config = try #require(try RoloConfig.load(path: path, catalog: .standard))
        let cache = try LocalCache(catalog: .standard)
        try ConfiguredAccounts.apply(config, to: cache)
        let support = try #require(try cache.account(named: "support"))
        #expect(support.settings == ["workspace_id": "ws_1234567890", "base_url": "https://notifuse.example.com"])
        #expect(try cache.fieldDefinitions(accountID: support.id).map(\.key) == ["plan", "seats"])
        // A field added by hand stays; one the config names follows the config.
        try cache.saveFieldDefinition(FieldDefinition(key: "ltv", type: .number, providerRef: "custom_number_2"), accountID: support.id)
        try cache.saveFieldDefinition(FieldDefinition(key: "plan", label: "Old", type: .text, providerRef: "custom_string_1"),
                                      accountID: support.id)
        try ConfiguredAccounts.apply(config, to: cache)
        let fields = try cache.fieldDefinitions(accountID: support.id)
        #expect(fields.map(\.key) == ["plan", "seats", "ltv"])
        #expect(fields.first?.label == "Plan")

        // An account of the same name but another provider is a mistake said plainly.
        let other = try LocalCache(catalog: .standard)
        try other.createAccount(name: "support", provider: .dailystory)
        #expect(failure { try ConfiguredAccounts.apply(config, to: other) }?.contains("rename one of them") == true)
    }
}
