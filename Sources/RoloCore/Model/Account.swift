/// An account in the cache: a name people choose and the provider behind it.
///
/// Credentials are never stored here; they belong in the config file.
public struct Account: Sendable, Hashable, Identifiable {
    public let id: Int64
    public var name: String
    /// What the provider is and what it needs, resolved from the cache's provider id through
    /// the `ProviderCatalog` the cache was opened with.
    public var profile: ProviderProfile
    /// Non-secret connection settings (data centre, instance URL, workspace id).
    public var settings: [String: String]

    public init(id: Int64, name: String, profile: ProviderProfile, settings: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.profile = profile
        self.settings = settings
    }

    public var provider: ProviderKind { profile.kind }
    public var rules: ProviderRules { profile.rules }
    /// A local account lives only in rolo: nothing is sent anywhere.
    public var isLocal: Bool { !profile.capabilities.hasRemote }

    /// "support (Notifuse)", or just the name of a local account.
    public var titled: String { isLocal ? name : "\(name) (\(profile.displayName))" }

    /// The local account every cache starts with; contacts go there without `--account`.
    public static let defaultName = "local"

    public static func == (lhs: Account, rhs: Account) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.profile.kind == rhs.profile.kind && lhs.settings == rhs.settings
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
    }
}
