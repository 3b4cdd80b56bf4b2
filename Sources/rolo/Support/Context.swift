import ArgumentParser
import Foundation
import Logging
import RoloCore
import RoloProviders
import RoloSync

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The cache file (default: $ROLO_DB, else $XDG_DATA_HOME/rolo/rolo.sqlite).",
                                            valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("The config file (default: $ROLO_CONFIG, else $XDG_CONFIG_HOME/rolo/config.toml).",
                                            valueName: "path"))
    var config: String?

    func validate() throws {
        if let db, db.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--db needs a path to the cache file") }
    }
}

/// What a command works with: the paths, the config and the services of the opened cache.
struct Context {
    let paths: RoloPaths
    let services: RoloServices
    let config: RoloConfig?

    /// Opens the cache named by the options. Logging goes to the log file from here on.
    /// `loadConfig` false: the accounts of the config are left out (the sandbox writes one).
    static func open(_ options: GlobalOptions, loadConfig: Bool = true) throws -> Context {
        let paths = RoloPaths(database: options.db, config: options.config)
        FileLogHandler.bootstrapOnce(path: paths.log)
        let config = loadConfig ? try RoloConfig.load(path: paths.configFile, catalog: .standard) : nil
        // A config named by hand that is not there is a slip (a typo, the wrong folder), not
        // "no accounts": the default one may well not exist yet.
        if loadConfig, config == nil, let namedBy = paths.configNamedBy {
            throw RoloError.failed("config \(paths.configFile): no such file" + (namedBy == "--config" ? "" : " (named by \(namedBy))"))
        }
        let services = try RoloServices.open(path: paths.cache, catalog: .standard, author: .current(), logger: Logger(label: "rolo"))
        if let config { try ConfiguredAccounts.apply(config, to: services.cache) }
        return Context(paths: paths, services: services, config: config)
    }

    /// Sync over the config's accounts, with live HTTP.
    func syncService() -> SyncService {
        SyncService(cache: services.cache, accounts: services.accounts,
                    connecting: ProviderConnector(config: config, configPath: paths.configFile),
                    author: services.author, logger: Logger(label: "rolo.sync"))
    }

    /// The account named by `--account`, or nil for every account.
    func scope(_ name: String?) throws -> (AccountScope, Account?) {
        guard let name else { return (.all, nil) }
        let account = try services.accounts.account(named: name)
        return (.account(account.id), account)
    }

    /// Refuses a `field:term` whose field does not exist in the scope (exit 2, naming it): a
    /// misspelt field would otherwise answer "no contacts" as if the search had been made.
    func checkFields(of query: ContactQuery?, in scope: AccountScope) throws {
        guard let query, let key = try services.reader.unknownField(in: query, scope: scope) else { return }
        let term = query.text.split(separator: " ").first { $0.hasPrefix(key + ":") }.map(String.init) ?? key + ":…"
        throw RoloError.invalid(field: "query", "\(key) is not a field: neither a standard field nor a custom field of these "
            + "contacts (to search for the text itself, quote it: '\"\(term)\"')")
    }

    /// The account named by `--account`, or the default account.
    func target(_ name: String?) throws -> Account {
        try name.map(services.accounts.account(named:)) ?? services.accounts.defaultAccount()
    }
}

extension FileLogHandler {
    private static let started = NSLock()
    nonisolated(unsafe) private static var done = false

    /// Logging can be bootstrapped once per process.
    static func bootstrapOnce(path: String) {
        started.lock()
        defer { started.unlock() }
        guard !done else { return }
        done = true
        bootstrap(path: path)
    }
}

extension ListOrder: ExpressibleByArgument {}

/// The query of `list` and `export`, or nil for all contacts. A script must not get the
/// answer to a shorter query than it asked, so words beyond the limit are an error here
/// (the TUI's filter uses the first ones and says so).
func commandLineQuery(_ words: [String]) throws -> ContactQuery? {
    let parsed = ContactQuery(words.joined(separator: " "))
    if parsed.ignoredTerms > 0 {
        throw RoloError.invalid(field: "query", "it has \(parsed.terms.count + parsed.ignoredTerms) different terms; "
            + "at most \(ContactQuery.maxTerms) are allowed")
    }
    return parsed.isEmpty ? nil : parsed
}

/// How a field's value reads in human output.
func display(_ value: FieldValue?) -> String {
    value?.displayText ?? "—"
}

extension StandardField {
    /// Flags read as yes/no for people.
    func humanValue(_ value: String) -> String {
        kind == .flag ? (value == "true" ? "yes" : "no") : value
    }
}

extension FieldKey {
    var name: String {
        switch self {
        case .standard(let field): field.key
        case .others(let kind): kind.listName
        case .custom(let key): "custom.\(key)"
        }
    }
}
