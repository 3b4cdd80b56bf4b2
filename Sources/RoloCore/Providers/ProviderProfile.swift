import Foundation

/// Which service an account's contacts belong to: only an identifier. What a provider is, can
/// do and requires comes from its `ProviderProfile`, which its adapter supplies; no code
/// outside an adapter asks which provider it is talking to.
public struct ProviderKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.lowercased() }
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }
    public var description: String { rawValue }

    /// Contacts that live only in rolo.
    public static let local = ProviderKind("local")
}

/// What a provider can do, as the sync engine needs to know it (PROVIDERS.md §4.7–4.8).
public struct ProviderCapabilities: Sendable, Equatable {
    /// How the provider's contacts can be listed.
    public enum Listing: Sendable, Equatable {
        /// No listing at all (DailyStory): rolo can only push and refresh contacts it knows.
        case none
        /// Every contact, page by page, with no filter on change time (Notifuse): a complete
        /// listing also tells which contacts were deleted.
        case fullScan
        /// Every contact, or only those modified since a stamp (iVvy); deletes are not seen.
        case modifiedSince
    }

    /// What deleting a contact does at the provider.
    public enum DeleteKind: Sendable, Equatable {
        case hard
        /// The contact stays, marked deleted (DailyStory's status "Deleted").
        case soft
        /// The API cannot delete (iVvy): rolo keeps a local mark and says so.
        case unsupported
    }

    /// What identifies a contact at the provider.
    public enum Identity: Sendable, Equatable {
        /// The provider's own id (a string or number), given on create.
        case providerID
        /// The email address is the key (Notifuse): two contacts of an account cannot share
        /// one, and changing it means deleting the contact and creating it anew.
        case email
    }

    /// How the provider stores an email address: two addresses it stores alike are the same
    /// address to a merge, so that its form coming back is not a change made there.
    public enum EmailForm: Sendable, Equatable {
        /// As written.
        case asWritten
        /// Lower-cased and trimmed of white space (no-break spaces and BOMs too) on every
        /// write and lookup (Notifuse, PROVIDERS.md §2.3).
        case lowercasedAndTrimmed

        /// The address as the provider stores it.
        public func normalized(_ email: String) -> String {
            switch self {
            case .asWritten:
                return email
            case .lowercasedAndTrimmed:
                // Printable ASCII at both ends: nothing to trim (every address of a listing, nearly).
                let ends = email.utf8.withContiguousStorageIfAvailable { bytes in bytes.isEmpty ? nil : (bytes[0], bytes[bytes.count - 1]) }
                if let (first, last) = ends ?? nil, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return email.lowercased() }
                return email.trimmingCharacters(in: EmailForm.trimmed).lowercased()
            }
        }

        private static let trimmed = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{00A0}\u{FEFF}"))
    }

    /// False only for local accounts.
    public var hasRemote: Bool
    public var listing: Listing
    /// Whether a complete listing shows deletes (contacts missing from it are gone).
    public var listingShowsDeletes: Bool
    public var delete: DeleteKind
    public var identity: Identity
    public var emailForm: EmailForm
    /// How many changes one push request may carry (1: one at a time).
    public var batchSize: Int
    /// Whether the provider's field definitions are read from it (iVvy) rather than configured.
    public var definesFields: Bool
    /// How many requests rolo may have open at once against one account of the provider: a
    /// refresh one contact at a time, or a push one change at a time, waits for the network
    /// that many times over less. An account's `requests_in_flight` overrides it.
    public var requestsInFlight: Int

    /// The most requests in flight an account's config may ask for.
    public static let requestsInFlightRange = 1...16

    public init(hasRemote: Bool = true, listing: Listing, listingShowsDeletes: Bool, delete: DeleteKind,
                identity: Identity, emailForm: EmailForm = .asWritten, batchSize: Int, definesFields: Bool, requestsInFlight: Int) {
        self.hasRemote = hasRemote
        self.listing = listing
        self.listingShowsDeletes = listingShowsDeletes
        self.delete = delete
        self.identity = identity
        self.emailForm = emailForm
        self.batchSize = batchSize
        self.definesFields = definesFields
        self.requestsInFlight = requestsInFlight
    }

    /// A local account: no provider.
    public static let localOnly = ProviderCapabilities(hasRemote: false, listing: .none, listingShowsDeletes: false,
                                                       delete: .hard, identity: .providerID, batchSize: 1, definesFields: false,
                                                       requestsInFlight: 1)
}

/// How an account's custom fields work.
public enum CustomFieldModel: Sendable, Equatable {
    /// Any key; the type is guessed from the value (local accounts).
    case anyKeyTypedByValue
    /// Any key; the provider stores every value as a string (DailyStory `extendedProperties`).
    case anyKeyAsText
    /// Typed slots without names; each key people use is mapped to one (Notifuse).
    case fixedSlots([FieldSlot])
    /// Only the fields the provider defines, with their types and options (iVvy).
    case definedByProvider

    /// True for `fixedSlots`, whatever the slots.
    public var usesSlots: Bool {
        if case .fixedSlots = self { return true }
        return false
    }
}

/// One typed slot of a provider that has unnamed custom fields (`custom_string_1`).
public struct FieldSlot: Sendable, Hashable {
    public let id: String
    public let type: FieldType
    /// The longest text the slot holds.
    public let maxLength: Int?

    public init(id: String, type: FieldType, maxLength: Int? = nil) {
        self.id = id
        self.type = type
        self.maxLength = maxLength
    }
}

/// The values a standard field takes at a provider that has a fixed set of them (iVvy's email
/// status), checked when a value is set rather than refused at the next sync.
public struct ValueChoices: Sendable, Equatable {
    /// What a value is, in messages: "an iVvy email status".
    public let what: String
    /// The values it can be set to, as the provider names them.
    public let settable: [String]
    /// Values the provider shows but does not let anyone set (iVvy's Registering).
    public let readOnly: [String]
    /// Other spellings of a value (the provider's numbers), by the name they stand for.
    public let aliases: [String: String]

    public init(what: String, settable: [String], readOnly: [String] = [], aliases: [String: String] = [:]) {
        self.what = what
        self.settable = settable
        self.readOnly = readOnly
        self.aliases = aliases
    }

    /// The value as the provider names it (any case; an alias as its name). A read-only value
    /// is refused when it is being set, and passes on a new contact (read from a file, say),
    /// where the provider decides.
    public func checked(_ text: String, isNew: Bool) throws(ValueError) -> String {
        let name = aliases[text] ?? text
        let hint = "write one of \(settable.joined(separator: ", "))"
        if let value = settable.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return value }
        if let value = readOnly.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
            if isNew { return value }
            throw ValueError("\(value) is \(what) that can be read but not set (\(hint))")
        }
        throw ValueError("“\(text)” is not \(what) (\(hint))")
    }
}

/// The rules of one provider, checked before anything is written.
public struct ProviderRules: Sendable, Equatable {
    /// The provider's name in messages ("Notifuse needs email").
    public let providerName: String
    /// Each inner list is satisfied by any one of its fields: `[[.email, .mobilePhone]]` means
    /// "an email or a mobile phone"; `[[.firstName], [.lastName], [.email]]` means all three.
    public let requiredForCreate: [[StandardField]]
    /// Standard fields the provider stores; others stay in rolo only.
    public let storedFields: Set<StandardField>
    public let customFields: CustomFieldModel
    /// The sentence shown when adding a custom field by hand.
    public let customKeyHint: String
    /// Standard fields whose values the provider takes from a fixed set.
    public let valueChoices: [StandardField: ValueChoices]

    public init(providerName: String, requiredForCreate: [[StandardField]], storedFields: Set<StandardField>,
                customFields: CustomFieldModel, customKeyHint: String, valueChoices: [StandardField: ValueChoices] = [:]) {
        self.providerName = providerName
        self.requiredForCreate = requiredForCreate
        self.storedFields = storedFields
        self.customFields = customFields
        self.customKeyHint = customKeyHint
        self.valueChoices = valueChoices
    }

    /// Describes the missing required fields in words, or nil when there are none.
    public func missingRequired(in fields: [StandardField: String]) -> String? {
        let missing = missingChoices(in: fields)
        return missing.isEmpty ? nil : needs(missing)
    }

    /// The required choices none of whose fields has a value.
    public func missingChoices(in fields: [StandardField: String]) -> [[StandardField]] {
        requiredForCreate.filter { choice in choice.allSatisfy { (fields[$0] ?? "").isEmpty } }
    }

    /// "iVvy needs last name, email": what the provider asks for, in words.
    public func needs(_ choices: [[StandardField]]) -> String {
        "\(providerName) needs " + choices.map { $0.map { $0.label.lowercased() }.joined(separator: " or ") }.joined(separator: ", ")
    }

    /// The first slot of `type` that no definition uses yet, for a slot-based provider.
    public func freeSlot(for type: FieldType, taken: [FieldDefinition]) -> FieldSlot? {
        guard case .fixedSlots(let slots) = customFields else { return nil }
        let used = Set(taken.compactMap(\.providerRef))
        return slots.first { $0.type == type && !used.contains($0.id) }
    }

    /// How many slots of `type` a slot-based provider has.
    public func slotCount(of type: FieldType) -> Int {
        guard case .fixedSlots(let slots) = customFields else { return 0 }
        return slots.filter { $0.type == type }.count
    }

    /// The slot types a slot-based provider has, in its order.
    public var slotTypes: [FieldType] {
        guard case .fixedSlots(let slots) = customFields else { return [] }
        var types: [FieldType] = []
        for slot in slots where !types.contains(slot.type) { types.append(slot.type) }
        return types
    }
}

/// Everything rolo knows about a provider without talking to it: its name, what it can do
/// and what it requires. Supplied by the provider's adapter (RoloProviders), except the local
/// profile, which has no provider.
public struct ProviderProfile: Sendable, Equatable {
    public let kind: ProviderKind
    public let displayName: String
    public let capabilities: ProviderCapabilities
    public let rules: ProviderRules
    /// What users must know about this provider before they trust a sync with it (shown by
    /// `sync --dry-run`, the README and the TUI's help), in plain sentences.
    public let limitations: [String]
    /// The account's secrets as its config names them, for "check the account's … in the
    /// config" when the provider refuses them: a token, or iVvy's API key and secret.
    public let credentials: String
    /// What an account of this provider names in the config beyond what every account has:
    /// its secrets (each given as `NAME_env` or `NAME_file`) and its own settings. A key
    /// outside them is a slip (`tokn_env`), said when the config is read.
    public let configSecrets: [String]
    public let configSettings: [String]

    public init(kind: ProviderKind, displayName: String, capabilities: ProviderCapabilities, rules: ProviderRules,
                limitations: [String] = [], credentials: String = "token", configSecrets: [String] = ["token"],
                configSettings: [String] = []) {
        self.configSecrets = configSecrets
        self.configSettings = configSettings
        self.kind = kind
        self.displayName = displayName
        self.capabilities = capabilities
        self.rules = rules
        self.limitations = limitations
        self.credentials = credentials
    }

    /// Contacts kept only in rolo.
    public static let local = ProviderProfile(
        kind: .local, displayName: "Local", capabilities: .localOnly,
        rules: ProviderRules(providerName: "Local", requiredForCreate: [[.email, .mobilePhone]],
                             storedFields: Set(StandardField.allCases), customFields: .anyKeyTypedByValue,
                             customKeyHint: "Any key; lowercase letters, digits and _ are safest. The type comes from the value."))
}

/// The providers this rolo knows, by their identifiers. The cache resolves the provider id it
/// stored through a catalog; an id no profile answers to is an error, never a guess.
public struct ProviderCatalog: Sendable {
    public let profiles: [ProviderProfile]

    public init(_ profiles: [ProviderProfile]) {
        self.profiles = [ProviderProfile.local] + profiles.filter { $0.kind != .local }
    }

    /// Only local accounts (tests of layers that never meet a provider).
    public static let localOnly = ProviderCatalog([])

    public func profile(for kind: ProviderKind) -> ProviderProfile? {
        profiles.first { $0.kind == kind }
    }

    /// The profile, or an error that lists the providers this rolo knows.
    public func require(_ kind: ProviderKind) throws(RoloError) -> ProviderProfile {
        if let profile = profile(for: kind) { return profile }
        throw RoloError.failed("“\(kind.rawValue)” is not a provider this rolo knows (\(knownNames))")
    }

    /// "local, dailystory, notifuse, ivvy".
    public var knownNames: String { profiles.map(\.kind.rawValue).joined(separator: ", ") }
}
