import Foundation
import RoloCore
import RoloInterchange
import TOMLKit

/// A secret as rolo holds it in memory. Printing it, interpolating it or logging it shows
/// "(secret)", so a slip in a message cannot leak it; only `reveal()` gives the text, where a
/// request header is built.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func reveal() -> String { value }
    public var description: String { "(secret)" }
    public var debugDescription: String { "(secret)" }
}

/// Where a secret comes from: an environment variable, or a file only its owner can read.
/// The config names the source, never the secret itself.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    case environment(String)
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): "the environment variable \(name)"
        case .file(let path): "the file \(path)"
        }
    }

    /// Reads the secret. A missing variable or file, an empty one, or a file others can read
    /// is an error that says what to do.
    public func read(environment: [String: String]) throws(RoloError) -> Secret {
        switch self {
        case .environment(let name):
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw RoloError.failed("\(name) is not set; export it with the secret (for example in ~/.profile, not in the config)")
            }
            return Secret(value)
        case .file(let path):
            try RoloConfig.checkPrivate(path, what: "the secret file")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RoloError.failed("cannot read the secret file \(path)")
            }
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw RoloError.failed("the secret file \(path) is empty") }
            return Secret(value)
        }
    }
}

/// One `[accounts.NAME]` of the config.
public struct AccountConfig: Sendable, Hashable {
    public let name: String
    public let provider: ProviderKind
    public let baseURL: URL
    /// Plain settings the adapter needs (Notifuse's `workspace_id`); never secrets.
    public let settings: [String: String]
    /// Secrets by role (`token`, `key`, `secret`), each from its source.
    public let secrets: [String: SecretSource]
    /// Custom fields named for people (Notifuse's slots, typed DailyStory keys).
    public let fields: [FieldDefinition]
    /// Sync by itself this often while the TUI is open; nil: only when asked.
    public let syncInterval: TimeInterval?
    /// Sync once when the TUI opens.
    public let syncOnStart: Bool
}

/// `$XDG_CONFIG_HOME/rolo/config.toml`: the accounts rolo syncs, where their providers are,
/// and where their secrets come from.
public struct RoloConfig: Sendable {
    public let path: String
    public let accounts: [AccountConfig]
    /// `[import] default_region`: where phone numbers without a country code come from when
    /// `rolo import` is not told (`--default-region`).
    public let defaultRegion: PhoneRegion?

    public init(path: String, accounts: [AccountConfig], defaultRegion: PhoneRegion? = nil) {
        self.path = path
        self.accounts = accounts
        self.defaultRegion = defaultRegion
    }

    public func account(named name: String) -> AccountConfig? {
        accounts.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Reads the config at `path`; nil when there is no file there. Every problem names the
    /// file and the key.
    public static func load(path: String, catalog: ProviderCatalog) throws(RoloError) -> RoloConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try checkPrivate(path, what: "the config")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RoloError.failed("cannot read the config \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path, catalog: catalog)
    }

    /// A file that holds or leads to secrets must be readable by its owner only.
    static func checkPrivate(_ path: String, what: String) throws(RoloError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw RoloError.failed("\(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        if status.st_mode & 0o077 != 0 {
            throw RoloError.failed("\(what) \(path) can be read by other users; make it private with: chmod 600 \(path)")
        }
    }

    public static func parse(_ text: String, path: String, catalog: ProviderCatalog) throws(RoloError) -> RoloConfig {
        func problem(_ key: String, _ message: String) -> RoloError {
            .failed("config \(path): \(key): \(message)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RoloError.failed("config \(path): line \(error.source.begin.line), column \(error.source.begin.column): "
                + "\(error.description)")
        } catch {
            throw RoloError.failed("config \(path) is not TOML: \(error)")
        }
        for key in table.keys where key != "accounts" && key != "import" {
            throw problem(key, "is not a setting rolo knows (the config holds [accounts.NAME] tables and an [import] table)")
        }
        let defaultRegion = try importSettings(table["import"], problem: problem)
        guard let accountsValue = table["accounts"] else { return RoloConfig(path: path, accounts: [], defaultRegion: defaultRegion) }
        guard let accountsTable = accountsValue.table else { throw problem("accounts", "must be a table of [accounts.NAME]") }
        var accounts: [AccountConfig] = []
        for name in accountsTable.keys.sorted() {
            let prefix = "accounts.\(name)"
            guard let entry = accountsTable[name]?.table else { throw problem(prefix, "must be a table") }
            accounts.append(try account(name: name, entry: entry, prefix: prefix, catalog: catalog, problem: problem))
        }
        return RoloConfig(path: path, accounts: accounts, defaultRegion: defaultRegion)
    }

    /// The `[import]` table: `default_region` alone for now.
    private static func importSettings(_ value: TOMLValueConvertible?, problem: (String, String) -> RoloError) throws(RoloError) -> PhoneRegion? {
        guard let value else { return nil }
        guard let table = value.table else { throw problem("import", "must be a table: [import]") }
        for key in table.keys where key != "default_region" {
            throw problem("import.\(key)", "is not a setting rolo knows (the [import] table holds default_region)")
        }
        guard let entry = table["default_region"] else { return nil }
        guard let code = entry.string, let region = PhoneRegion(code: code) else {
            throw problem("import.default_region", "must be a country code rolo knows: \(PhoneRegion.knownCodes.joined(separator: ", "))")
        }
        return region
    }

    private static func account(name: String, entry: TOMLTable, prefix: String, catalog: ProviderCatalog,
                                problem: (String, String) -> RoloError) throws(RoloError) -> AccountConfig {
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isWhitespace }) else {
            throw problem(prefix, "an account name is 1 to 64 characters without spaces")
        }
        guard let providerName = entry["provider"]?.string else {
            throw problem("\(prefix).provider", "is missing (one of \(catalog.profiles.dropFirst().map(\.kind.rawValue).joined(separator: ", ")))")
        }
        let kind = ProviderKind(providerName)
        guard let profile = catalog.profile(for: kind), profile.capabilities.hasRemote else {
            throw problem("\(prefix).provider", "“\(providerName)” is not a provider rolo syncs with "
                + "(\(catalog.profiles.dropFirst().map(\.kind.rawValue).joined(separator: ", ")))")
        }
        guard let urlText = entry["base_url"]?.string else { throw problem("\(prefix).base_url", "is missing") }
        let allowPlain = entry["allow_plain_http"]?.bool ?? false
        let baseURL = try checkedURL(urlText, allowPlainHTTP: allowPlain, key: "\(prefix).base_url", problem: problem)

        var settings: [String: String] = [:]
        var secrets: [String: SecretSource] = [:]
        var fields: [FieldDefinition] = []
        var syncInterval: TimeInterval?
        var syncOnStart = false
        let known: Set<String> = ["provider", "base_url", "allow_plain_http", "fields", "sync_interval", "sync_on_start",
                                  "full_listing_every", "requests_in_flight"]
        let takes = (profile.configSecrets.map { "\($0)_env or \($0)_file" } + profile.configSettings).joined(separator: ", ")
        let article = "aeiouAEIOU".contains(profile.displayName.first ?? "x") ? "an" : "a"
        for key in entry.keys.sorted() where !known.contains(key) {
            let value = entry[key]
            if key.hasSuffix("_env") || key.hasSuffix("_file") {
                let role = String(key[..<key.lastIndex(of: "_")!])
                guard profile.configSecrets.contains(role) else {
                    throw problem("\(prefix).\(key)", "is not a setting of \(article) \(profile.displayName) account (it takes \(takes))")
                }
                guard let text = value?.string, !text.isEmpty else { throw problem("\(prefix).\(key)", "must be a string") }
                if secrets[role] != nil {
                    throw problem("\(prefix).\(key)", "\(role) is given twice (use \(role)_env or \(role)_file, not both)")
                }
                secrets[role] = key.hasSuffix("_env") ? .environment(text) : .file(expandingHome(text))
            } else if ["token", "key", "secret", "password", "api_key"].contains(key) {
                throw problem("\(prefix).\(key)", "secrets do not go in the config; name where it is: \(key)_env = \"VARIABLE\" "
                    + "or \(key)_file = \"path to a 0600 file\"")
            } else if !profile.configSettings.contains(key) {
                throw problem("\(prefix).\(key)", "is not a setting of \(article) \(profile.displayName) account (it takes \(takes))")
            } else if let text = value?.string {
                settings[key] = text
            } else if let number = value?.int {
                settings[key] = String(number)
            } else if let flag = value?.bool {
                settings[key] = flag ? "true" : "false"
            } else {
                throw problem("\(prefix).\(key)", "must be a string, a number or true/false")
            }
        }
        if let interval = entry["sync_interval"] {
            syncInterval = try duration(interval, key: "\(prefix).sync_interval", problem: problem)
        }
        if let every = entry["full_listing_every"] {
            let key = "\(prefix).full_listing_every"
            let capabilities = profile.capabilities
            guard capabilities.listing == .modifiedSince, !capabilities.listingShowsDeletes else {
                throw problem(key, capabilities.listing == .none
                    ? "\(profile.displayName) cannot list its contacts; there is no full listing to make"
                    : "\(profile.displayName) is read whole on every sync already")
            }
            // Stored with the account's plain settings, in seconds, for the sync engine.
            settings[SyncSettings.fullListingEvery] = String(Int(try duration(every, key: key, problem: problem)))
        }
        if let inFlight = entry["requests_in_flight"] {
            let range = ProviderCapabilities.requestsInFlightRange
            guard let count = inFlight.int, range.contains(count) else {
                throw problem("\(prefix).requests_in_flight", "must be a whole number from \(range.lowerBound) to \(range.upperBound) "
                    + "(\(profile.displayName)'s default is \(profile.capabilities.requestsInFlight))")
            }
            settings[SyncSettings.requestsInFlight] = String(count)
        }
        if let onStart = entry["sync_on_start"] {
            guard let flag = onStart.bool else { throw problem("\(prefix).sync_on_start", "must be true or false") }
            syncOnStart = flag
        }
        if let fieldsValue = entry["fields"] {
            guard let fieldsTable = fieldsValue.table else { throw problem("\(prefix).fields", "must be a table of fields") }
            fields = try fieldDefinitions(fieldsTable, profile: profile, prefix: "\(prefix).fields", problem: problem)
        }
        return AccountConfig(name: name, provider: kind, baseURL: baseURL, settings: settings, secrets: secrets,
                             fields: fields, syncInterval: syncInterval, syncOnStart: syncOnStart)
    }

    /// Credentials go over HTTPS only; plain HTTP only to this machine, and only when the
    /// config says so (a test server or `rolo sandbox`).
    static func checkedURL(_ text: String, allowPlainHTTP: Bool, key: String,
                           problem: (String, String) -> RoloError) throws(RoloError) -> URL {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            throw problem(key, "“\(text)” is not a URL like https://host")
        }
        switch scheme {
        case "https":
            return url
        case "http":
            let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased()) || host.hasPrefix("127.")
            guard loopback else {
                throw problem(key, "rolo sends credentials over HTTPS only; plain HTTP is for a test server on 127.0.0.1")
            }
            guard allowPlainHTTP else {
                throw problem(key, "plain HTTP to \(host) needs allow_plain_http = true (for a test server only)")
            }
            return url
        default:
            throw problem(key, "“\(scheme)” is not http or https")
        }
    }

    static func duration(_ value: TOMLValueConvertible, key: String, problem: (String, String) -> RoloError) throws(RoloError) -> TimeInterval {
        var seconds: Double?
        if let minutes = value.int {
            seconds = Double(minutes) * 60
        } else if let text = value.string?.trimmingCharacters(in: .whitespaces).lowercased(), let unit = text.last,
                  let number = Double(text.dropLast()) {
            switch unit {
            case "s": seconds = number
            case "m": seconds = number * 60
            case "h": seconds = number * 3600
            case "d": seconds = number * 86_400
            default: seconds = nil
            }
        }
        guard let seconds else { throw problem(key, "write minutes (15) or a duration (\"90s\", \"15m\", \"1h\", \"7d\")") }
        guard seconds >= 60 else { throw problem(key, "is shorter than a minute; rolo does not sync more often than that") }
        return seconds
    }

    static func fieldDefinitions(_ table: TOMLTable, profile: ProviderProfile, prefix: String,
                                 problem: (String, String) -> RoloError) throws(RoloError) -> [FieldDefinition] {
        let rules = profile.rules
        if case .definedByProvider = rules.customFields {
            throw problem(prefix, "\(profile.displayName) defines its custom fields itself; rolo reads them when it syncs")
        }
        var definitions: [FieldDefinition] = []
        var slotsTaken: [String: String] = [:]
        for key in table.keys.sorted() {
            let fieldKey = "\(prefix).\(key)"
            if let error = Validator.checkCustomKey(key).first(where: { $0.severity == .error }) {
                throw problem(fieldKey, error.message)
            }
            guard let spec = table[key]?.table else {
                throw problem(fieldKey, "write { type = \"text\" } (and slot = \"custom_string_1\" for \(profile.displayName))")
            }
            for name in spec.keys where !["slot", "type", "label", "options"].contains(name) {
                throw problem("\(fieldKey).\(name)", "is not a field setting (slot, type, label, options)")
            }
            guard let typeName = spec["type"]?.string, let type = FieldType(rawValue: typeName.lowercased()) else {
                throw problem("\(fieldKey).type", "is one of " + FieldType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            var definition = FieldDefinition(key: key, label: spec["label"]?.string, type: type)
            if let options = spec["options"]?.array {
                definition.options = options.compactMap { $0.string }.map { SelectOption(value: $0) }
            }
            switch rules.customFields {
            case .fixedSlots(let slots):
                guard let slotName = spec["slot"]?.string else {
                    throw problem("\(fieldKey).slot", "is missing: name the \(profile.displayName) slot it lives in "
                        + "(" + slots.filter { $0.type == type }.map(\.id).joined(separator: ", ") + ")")
                }
                guard let slot = slots.first(where: { $0.id == slotName }) else {
                    throw problem("\(fieldKey).slot", "“\(slotName)” is not a \(profile.displayName) slot")
                }
                guard slot.type == type else {
                    throw problem("\(fieldKey).type", "\(slotName) holds \(slot.type.rawValue), not \(type.rawValue)")
                }
                if let other = slotsTaken[slotName] {
                    throw problem("\(fieldKey).slot", "\(slotName) is already the slot of \(other)")
                }
                slotsTaken[slotName] = key
                definition.providerRef = slotName
                definition.maxLength = slot.maxLength
            case .anyKeyAsText, .anyKeyTypedByValue, .definedByProvider:
                if spec["slot"] != nil { throw problem("\(fieldKey).slot", "\(profile.displayName) has no slots; leave it out") }
            }
            definitions.append(definition)
        }
        return definitions
    }

    static func expandingHome(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard path.hasPrefix("~/") else { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}

/// Names of the plain account settings the sync engine reads (written by `ConfiguredAccounts`
/// from the config).
public enum SyncSettings {
    /// Seconds between full listings where the provider lists only changes (iVvy).
    public static let fullListingEvery = "full_listing_every"
    /// Requests open at once against the account, over the provider's own number.
    public static let requestsInFlight = "requests_in_flight"
}
