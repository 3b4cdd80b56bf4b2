import ArgumentParser
import Foundation
import RoloCore
import RoloProviders
import RoloSandboxWire
import RoloStore
import RoloSync

/// `rolo sandbox`: the providers' emulators on this machine, holding the demo accounts'
/// contacts, and a config that points rolo at them — a real sync over HTTP with no account.
struct Sandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Serve local copies of the providers on 127.0.0.1, seeded with the demo accounts, to try sync.",
        discussion: """
            Starts emulators of Notifuse, DailyStory and iVvy on 127.0.0.1, each holding the contacts of \
            the cache's demo account of that provider as they were last synced (the demo data is loaded \
            first if the cache has none), writes a config that points rolo at them — with the secrets in 0600 files beside it — and serves until Ctrl-C or \
            SIGTERM. In another terminal: rolo --config FILE, then press s; or rolo sync --config FILE.

            --colleague N changes a contact on the server every N seconds, as a colleague in the \
            provider's web UI would, so a sync also brings changes back (and, now and then, a conflict).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("write-config"), help: ArgumentHelp("Where to write the config (default: sandbox/config.toml in rolo's state folder).", valueName: "file"))
    var writeConfig: String?
    @Option(help: "The first port (the emulators take it and the next ones); 0 lets the system choose.") var port: UInt16 = 0
    @Option(help: ArgumentHelp("Change a contact on the server every N seconds.", valueName: "seconds")) var colleague: Int?

    func validate() throws {
        if let colleague, colleague < 1 { throw ValidationError("--colleague takes a number of seconds, 1 or more") }
    }

    func run() throws {
        let context = try Context.open(global, loadConfig: false)
        _ = try Demo.load(into: context, from: nil, pointer: "set ROLO_DEMO_DIR to its folder")
        let configPath = writeConfig ?? (URL(fileURLWithPath: context.paths.log).deletingLastPathComponent().path + "/sandbox/config.toml")
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let (request, accounts) = try SandboxSeed.request(from: context.services.cache, firstPort: port, colleagueSeconds: colleague)
        let helper = try EmulatorHelper.start(request)
        var config = "# Written by rolo sandbox: the providers' emulators on this machine.\n"
        for server in helper.ready.servers {
            guard let account = accounts[server.provider] else { continue }
            config += """

                [accounts.\(account.name)]
                provider = "\(server.provider)"
                base_url = "\(server.baseURL)"
                allow_plain_http = true

                """
            for (role, secret) in server.secrets.sorted(by: { $0.key < $1.key }) {
                let path = folder + "/\(account.name).\(role)"
                try SandboxSeed.writePrivately(secret + "\n", to: path)
                config += "\(role)_file = \"\(path)\"\n"
            }
            for (key, value) in server.settings.sorted(by: { $0.key < $1.key }) { config += "\(key) = \"\(value)\"\n" }
        }
        try SandboxSeed.writePrivately(config, to: configPath)
        for server in helper.ready.servers {
            let name = accounts[server.provider]?.name ?? server.provider
            Output.line(TerminalText.sanitize("\(name): \(SandboxSeed.providerName(server.provider)) on \(server.baseURL), \(server.count) contacts"))
        }
        Output.line(TerminalText.sanitize("config: \(configPath)"))
        let db = global.db.map { " --db \($0)" } ?? ""
        Output.line(TerminalText.sanitize("try:    rolo\(db) --config \(configPath)    (then press s)"))
        Output.line(TerminalText.sanitize("   or:  rolo sync\(db) --config \(configPath)"))
        Output.line("Serving until Ctrl-C.")
        helper.serveUntilSignalled()
    }
}

/// What the sandbox serves: the demo account of each provider, seeded with what the cache last
/// agreed with that provider, in the provider's wire form.
enum SandboxSeed {
    static func request(from cache: LocalCache, firstPort: UInt16, colleagueSeconds: Int?) throws
        -> (SandboxWire.Request, accounts: [String: Account]) {
        let all = try cache.accounts()
        var request = SandboxWire.Request(firstPort: firstPort, colleagueSeconds: colleagueSeconds, notifuse: nil, dailyStory: nil, ivvy: nil)
        var accounts: [String: Account] = [:]
        if let account = demoAccount(of: .notifuse, in: all) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let contacts = try cache.agreedRecords(accountID: account.id).map { _, record in
                NotifuseClient.wireContact(record, definitions: definitions).canonicalText
            }
            request.notifuse = .init(workspaceID: account.settings["workspace_id"] ?? "ws_sandbox", contacts: contacts)
            accounts[ProviderKind.notifuse.rawValue] = account
        }
        if let account = demoAccount(of: .dailystory, in: all) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let contacts = try cache.agreedRecords(accountID: account.id).compactMap { remoteID, record in
                DailyStoryClient.wireContact(record, dsID: remoteID, definitions: definitions)?.canonicalText
            }
            request.dailyStory = .init(contacts: contacts)
            accounts[ProviderKind.dailystory.rawValue] = account
        }
        if let account = demoAccount(of: .ivvy, in: all) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let fields = definitions.compactMap { definition -> SandboxWire.IvvyField? in
                guard let id = definition.providerRef.flatMap(Int.init) else { return nil }
                let values = definition.options.isEmpty ? nil
                    : Dictionary(definition.options.map { ($0.value, $0.label) }, uniquingKeysWith: { first, _ in first })
                return .init(fieldID: id, typeCode: IvvyClient.fieldTypeCode(definition), displayName: definition.label,
                             isRequired: definition.isRequired, selectValues: values)
            }
            let contacts = try cache.agreedRecords(accountID: account.id).compactMap { remoteID, record -> String? in
                guard let id = Int(remoteID) else { return nil }
                return IvvyClient.wireContact(record, id: id, definitions: definitions)?.canonicalText
            }
            request.ivvy = .init(customFields: fields, contacts: contacts)
            accounts[ProviderKind.ivvy.rawValue] = account
        }
        guard !accounts.isEmpty else {
            throw RoloError.failed("the cache has no account the sandbox can serve (load the demo data with rolo demo)")
        }
        return (request, accounts)
    }

    /// The demo account of a provider (named `<provider>-demo`), else the first of that provider.
    static func demoAccount(of kind: ProviderKind, in accounts: [Account]) -> Account? {
        accounts.first { $0.provider == kind && $0.name.lowercased() == "\(kind.rawValue)-demo" }
            ?? accounts.first { $0.provider == kind }
    }

    static func providerName(_ provider: String) -> String {
        ProviderCatalog.standard.profile(for: ProviderKind(provider))?.displayName ?? provider
    }

    /// Writes a file only its owner can read, replacing what was there in one step.
    static func writePrivately(_ text: String, to path: String) throws {
        do { try PrivateFiles.write(text, to: path) } catch {
            throw RoloError.failed("cannot write \(path): \(error.reason)")
        }
    }
}
