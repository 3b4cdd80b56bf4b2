/// Which service an account's contacts belong to. `local` accounts live only in rolo.
public enum ProviderKind: String, CaseIterable, Codable, Sendable {
    case local, dailystory, notifuse, ivvy

    public var displayName: String {
        switch self {
        case .local: "Local"
        case .dailystory: "DailyStory"
        case .notifuse: "Notifuse"
        case .ivvy: "iVvy"
        }
    }

    /// What the provider requires and stores (PROVIDERS.md §4.3, §4.5).
    public var rules: ProviderRules {
        switch self {
        case .local:
            ProviderRules(provider: self, requiredForCreate: [[.email, .mobilePhone]],
                          storedFields: Set(StandardField.allCases), customFields: .anyKeyTypedByValue)
        case .dailystory:
            ProviderRules(provider: self, requiredForCreate: [[.email, .mobilePhone]],
                          storedFields: [.salutation, .firstName, .lastName, .jobTitle, .company, .email, .phone,
                                         .mobilePhone, .addressLine1, .city, .region, .postcode, .country, .timezone,
                                         .website, .status, .emailOptOut, .smsOptOut, .phoneOptOut],
                          customFields: .anyKeyAsText)
        case .notifuse:
            ProviderRules(provider: self, requiredForCreate: [[.email]],
                          storedFields: [.firstName, .lastName, .fullName, .jobTitle, .email, .phone, .addressLine1,
                                         .addressLine2, .region, .postcode, .country, .timezone, .language],
                          customFields: .fixedSlots)
        case .ivvy:
            ProviderRules(provider: self, requiredForCreate: [[.firstName], [.lastName], [.email]],
                          storedFields: [.firstName, .lastName, .email, .phone, .status, .emailOptOut, .smsOptOut],
                          customFields: .definedByProvider)
        }
    }
}

/// How an account's custom fields work.
public enum CustomFieldModel: Sendable, Equatable {
    /// Any key; the type is guessed from the value (local accounts).
    case anyKeyTypedByValue
    /// Any key; the provider stores every value as a string (DailyStory `extendedProperties`).
    case anyKeyAsText
    /// Twenty typed slots without names; each key people use is mapped to one (Notifuse).
    case fixedSlots
    /// Only the fields the provider defines, with their types and options (iVvy).
    case definedByProvider
}

/// The rules of one provider, checked before anything is written.
public struct ProviderRules: Sendable, Equatable {
    public let provider: ProviderKind
    /// Each inner list is satisfied by any one of its fields: `[[.email, .mobilePhone]]` means
    /// "an email or a mobile phone"; `[[.firstName], [.lastName], [.email]]` means all three.
    public let requiredForCreate: [[StandardField]]
    /// Standard fields the provider stores; others stay in rolo only.
    public let storedFields: Set<StandardField>
    public let customFields: CustomFieldModel

    /// The sentence shown when adding a custom field by hand.
    public var customKeyHint: String {
        switch customFields {
        case .anyKeyTypedByValue:
            "Any key; lowercase letters, digits and _ are safest. The type comes from the value."
        case .anyKeyAsText:
            "Any key; DailyStory stores values as text. Use lowercase letters, digits and _ so {{profile.key}} works."
        case .fixedSlots:
            "Notifuse has 5 text, 5 number, 5 date-time and 5 JSON slots; the new field takes a free slot of its type."
        case .definedByProvider:
            "iVvy defines its custom fields itself; only those can be filled in."
        }
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
        "\(provider.displayName) needs " + choices.map { $0.map { $0.label.lowercased() }.joined(separator: " or ") }.joined(separator: ", ")
    }
}

/// The twenty typed slots of a Notifuse contact (PROVIDERS.md §2.7).
public enum NotifuseSlots {
    public static let all: [(slot: String, type: FieldType)] =
        [("string", FieldType.text), ("number", .number), ("datetime", .datetime), ("json", .json)]
            .flatMap { kind, type in (1...5).map { ("custom_\(kind)_\($0)", type) } }

    /// The first slot of `type` that no definition uses yet.
    public static func freeSlot(for type: FieldType, taken: [FieldDefinition]) -> String? {
        let used = Set(taken.compactMap(\.providerRef))
        return all.first { $0.type == type && !used.contains($0.slot) }?.slot
    }
}

/// An account in the cache: a name people choose and the provider behind it.
///
/// Credentials are never stored here; they belong in the config file.
public struct Account: Sendable, Hashable, Identifiable {
    public let id: Int64
    public var name: String
    public var provider: ProviderKind
    /// Non-secret connection settings (data centre, instance URL, workspace id).
    public var settings: [String: String]

    public init(id: Int64, name: String, provider: ProviderKind, settings: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.provider = provider
        self.settings = settings
    }

    public var rules: ProviderRules { provider.rules }

    /// The local account every cache starts with; contacts go there without `--account`.
    public static let defaultName = "local"
}
