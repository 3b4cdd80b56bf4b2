import ArgumentParser
import Foundation
import RoloCore
import RoloEmulators
import RoloProviders
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
        _ = try Demo.load(into: context, from: nil)
        let configPath = writeConfig ?? (URL(fileURLWithPath: context.paths.log).deletingLastPathComponent().path + "/sandbox/config.toml")
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let servers = try waitFor { try await SandboxServers.start(cache: context.services.cache, firstPort: port) }
        var config = "# Written by rolo sandbox: the providers' emulators on this machine.\n"
        for server in servers {
            config += """

                [accounts.\(server.account)]
                provider = "\(server.provider)"
                base_url = "\(server.baseURL)"
                allow_plain_http = true

                """
            for (role, secret) in server.secrets.sorted(by: { $0.key < $1.key }) {
                let path = folder + "/\(server.account).\(role)"
                try SandboxServers.writePrivately(secret + "\n", to: path)
                config += "\(role)_file = \"\(path)\"\n"
            }
            for (key, value) in server.settings.sorted(by: { $0.key < $1.key }) { config += "\(key) = \"\(value)\"\n" }
        }
        try SandboxServers.writePrivately(config, to: configPath)
        for server in servers {
            Output.line(TerminalText.sanitize("\(server.account): \(server.providerName) on \(server.baseURL), \(server.count) contacts"))
        }
        Output.line(TerminalText.sanitize("config: \(configPath)"))
        let db = global.db.map { " --db \($0)" } ?? ""
        Output.line(TerminalText.sanitize("try:    rolo\(db) --config \(configPath)    (then press s)"))
        Output.line(TerminalText.sanitize("   or:  rolo sync\(db) --config \(configPath)"))
        Output.line("Serving until Ctrl-C.")
        if let colleague { SandboxServers.startColleague(servers, every: colleague) }
        SandboxServers.serveUntilSignalled(servers)
    }
}

/// The running emulators of a sandbox.
struct SandboxServer: Sendable {
    let account: String
    let provider: String
    let providerName: String
    let baseURL: String
    let settings: [String: String]
    let count: Int
    let emulator: any LoopbackEmulator
    /// Secrets by role; a provider with one token has `["token": …]`.
    var secrets: [String: String] = [:]
    /// Changes one contact on the server, as a colleague would.
    let colleagueEdit: @Sendable (Int) -> Void
}

enum SandboxServers {
    /// Starts an emulator for each provider the cache has a demo account of, seeded with what
    /// the cache last agreed with that provider.
    static func start(cache: LocalCache, firstPort: UInt16) async throws -> [SandboxServer] {
        var servers: [SandboxServer] = []
        let accounts = try cache.accounts()
        let port = { (offset: UInt16) -> UInt16 in firstPort == 0 ? 0 : firstPort + offset }
        if let account = demoAccount(of: .notifuse, in: accounts) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let workspace = account.settings["workspace_id"] ?? "ws_sandbox"
            let emulator = NotifuseEmulator(options: .init(port: port(0), workspaceID: workspace))
            let seed = try cache.agreedRecords(accountID: account.id).map { _, record in
                try EmulatorJSON(parsing: Data(NotifuseClient.wireContact(record, definitions: definitions).canonicalText.utf8))
            }
            do { try emulator.webUI.seed(seed) } catch { throw RoloError.failed("seeding the Notifuse emulator: \(error)") }
            try await emulator.start()
            servers.append(SandboxServer(
                account: account.name, provider: "notifuse", providerName: "Notifuse", baseURL: emulator.baseURL.absoluteString,
                settings: ["workspace_id": workspace], count: emulator.store.count, emulator: emulator,
                secrets: ["token": emulator.apiToken],
                colleagueEdit: { turn in
                    let contacts = emulator.store.allContacts()
                    guard !contacts.isEmpty, let email = contacts[(turn * 7919) % contacts.count]["email"]?.stringValue else { return }
                    let titles = ["Account Manager", "Head of Support", "Operations Lead", "Founder", "Customer Success"]
                    try? emulator.webUI.upsert(["email": .string(email), "job_title": .string(titles[turn % titles.count])])
                }))
        }
        if let account = demoAccount(of: .dailystory, in: accounts) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let emulator = DailyStoryEmulator(options: .init(port: port(1)))
            let seed = try cache.agreedRecords(accountID: account.id).compactMap { remoteID, record in
                try DailyStoryClient.wireContact(record, dsID: remoteID, definitions: definitions)
                    .map { try EmulatorJSON(parsing: Data($0.canonicalText.utf8)) }
            }
            do { try emulator.webUI.seed(seed) } catch { throw RoloError.failed("seeding the DailyStory emulator: \(error)") }
            try await emulator.start()
            servers.append(SandboxServer(
                account: account.name, provider: "dailystory", providerName: "DailyStory", baseURL: emulator.baseURL.absoluteString,
                settings: [:], count: emulator.store.count, emulator: emulator,
                secrets: ["token": emulator.token],
                colleagueEdit: { turn in
                    let contacts = emulator.store.allContacts()
                    guard !contacts.isEmpty, let id = contacts[(turn * 7919) % contacts.count]["dsId"]?.stringValue else { return }
                    let cities = ["Austin", "Denver", "Boston", "Seattle", "Chicago"]
                    try? emulator.webUI.update(dsId: id, ["city": .string(cities[turn % cities.count])])
                }))
        }
        if let account = demoAccount(of: .ivvy, in: accounts) {
            let definitions = try cache.fieldDefinitions(accountID: account.id)
            let fields = definitions.compactMap { definition -> IVVYCustomFieldDefinition? in
                guard let id = definition.providerRef.flatMap(Int.init),
                      let type = IVVYCustomFieldDefinition.FieldType(rawValue: IvvyClient.fieldTypeCode(definition)) else { return nil }
                let values = definition.options.isEmpty ? nil
                    : Dictionary(definition.options.map { ($0.value, $0.label) }, uniquingKeysWith: { first, _ in first })
                return IVVYCustomFieldDefinition(fieldId: id, fieldType: type, displayName: definition.label,
                                                 isRequired: definition.isRequired, sortOrder: id, selectValues: values)
            }
            let seed = try cache.agreedRecords(accountID: account.id).compactMap { remoteID, record -> EmulatorJSON? in
                guard let id = Int(remoteID) else { return nil }
                return try IvvyClient.wireContact(record, id: id, definitions: definitions)
                    .map { try EmulatorJSON(parsing: Data($0.canonicalText.utf8)) }
            }
            // The companies and subscription groups the contacts belong to exist in the account.
            var companies: [Int: String] = [:]
            var groups: Set<Int> = []
            for contact in seed {
                for company in contact["companies"]?.arrayValue ?? [] { if let id = company.wholeNumber { companies[id] = "Company \(id)" } }
                for group in contact["groups"]?.arrayValue ?? [] { if let id = group["groupId"]?.wholeNumber { groups.insert(id) } }
            }
            let emulator = IVVYEmulator(options: .init(port: port(2), customFields: fields,
                                                       subscriptionGroups: groups.sorted().map { IVVYSubscriptionGroup(id: $0, groupName: "Group \($0)") },
                                                       companies: companies))
            do { try emulator.webUI.seed(seed) } catch { throw RoloError.failed("seeding the iVvy emulator: \(error)") }
            try await emulator.start()
            servers.append(SandboxServer(
                account: account.name, provider: "ivvy", providerName: "iVvy", baseURL: emulator.baseURL.absoluteString,
                settings: [:], count: emulator.store.count, emulator: emulator,
                secrets: ["key": emulator.apiKey, "secret": emulator.apiSecret],
                colleagueEdit: { turn in
                    let contacts = emulator.store.allContacts()
                    guard !contacts.isEmpty, let id = contacts[(turn * 7919) % contacts.count]["id"]?.wholeNumber else { return }
                    let phones = ["+61491570110", "+61491570111", "+61491570112", "+61491570113"]
                    try? emulator.webUI.update(id: id, ["phone": .string(phones[turn % phones.count])])
                }))
        }
        guard !servers.isEmpty else {
            throw RoloError.failed("the cache has no account the sandbox can serve (load the demo data with rolo demo)")
        }
        return servers
    }

    /// The demo account of a provider (named `<provider>-demo`), else the first of that provider.
    static func demoAccount(of kind: ProviderKind, in accounts: [Account]) -> Account? {
        accounts.first { $0.provider == kind && $0.name.lowercased() == "\(kind.rawValue)-demo" }
            ?? accounts.first { $0.provider == kind }
    }

    /// Writes a file only its owner can read, replacing what was there in one step.
    static func writePrivately(_ text: String, to path: String) throws {
        do { try PrivateFiles.write(text, to: path) } catch {
            throw RoloError.failed("cannot write \(path): \(error.reason)")
        }
    }

    static func startColleague(_ servers: [SandboxServer], every seconds: Int) {
        Task.detached {
            var turn = 0
            while true {
                try? await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000)
                turn += 1
                for server in servers { server.colleagueEdit(turn) }
            }
        }
    }

    /// Blocks until SIGINT or SIGTERM, then stops the emulators and ends the process.
    static func serveUntilSignalled(_ servers: [SandboxServer]) -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "rolo.sandbox.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let done = DispatchSemaphore(value: 0)
                Task.detached {
                    for server in servers { await server.emulator.stop() }
                    done.signal()
                }
                _ = done.wait(timeout: .now() + 5)
                exit(0)
            }
            source.resume()
            sources.append(source)
        }
        withExtendedLifetime(sources) { dispatchMain() }
    }
}
