import Logging
import RoloCore
import RoloStore

/// Accounts, their custom fields and where their contacts stand with the provider.
public final class AccountService: AccountDirectory {
    let cache: LocalCache
    let logger: Logger

    public init(cache: LocalCache, logger: Logger = Logger(label: "rolo.accounts")) {
        self.cache = cache
        self.logger = logger
    }

    /// The providers this rolo knows.
    public var catalog: ProviderCatalog { cache.catalog }

    public func accounts() throws -> [Account] { try cache.accounts() }

    public func defaultAccount() throws -> Account { try cache.defaultAccount() }

    public func account(id: Int64) throws -> Account {
        guard let account = try cache.account(id: id) else { throw RoloError.notFound("no account with id \(id)") }
        return account
    }

    /// An account by name; the error lists the accounts there are.
    public func account(named name: String) throws -> Account {
        if let account = try cache.account(named: name) { return account }
        let names = try cache.accounts().map(\.name).joined(separator: ", ")
        throw RoloError.notFound("no account named \(name) (accounts: \(names))")
    }

    @discardableResult
    public func createAccount(name: String, provider: ProviderKind, settings: [String: String] = [:]) throws -> Account {
        let account = try cache.createAccount(name: name, provider: provider, settings: settings)
        logger.info("account created", metadata: ["account": "\(account.name)", "provider": "\(provider.rawValue)"])
        return account
    }

    public func fieldDefinitions(accountID: Int64) throws -> [FieldDefinition] {
        try cache.fieldDefinitions(accountID: accountID)
    }

    /// Defines a custom field by hand. Where the provider has typed slots the field takes the
    /// first free slot of its type; where the provider defines its fields, nothing can be added.
    @discardableResult
    public func addCustomField(key: String, type: FieldType, label: String? = nil, options: [SelectOption] = [],
                               to account: Account) throws -> (definition: FieldDefinition, warnings: [ValidationIssue]) {
        let existing = try cache.fieldDefinitions(accountID: account.id)
        let (definition, warnings) = try planField(key: key, type: type, label: label, options: options,
                                                   account: account, existing: existing)
        try cache.saveFieldDefinition(definition, accountID: account.id)
        return (definition, warnings)
    }

    public func planField(key: String, type: FieldType, label: String? = nil, options: [SelectOption] = [],
                          account: Account, existing: [FieldDefinition]) throws -> (definition: FieldDefinition, warnings: [ValidationIssue]) {
        try AccountService.plan(key: key, type: type, label: label, options: options, account: account, existing: existing)
    }

    /// Checks a new custom field against the account's rules and the fields it already has,
    /// and gives it its provider slot where the provider has slots. Writes nothing.
    public static func plan(key: String, type: FieldType, label: String? = nil, options: [SelectOption] = [],
                            account: Account, existing: [FieldDefinition]) throws -> (definition: FieldDefinition, warnings: [ValidationIssue]) {
        let issues = Validator.checkCustomKey(key)
        if issues.contains(where: { $0.severity == .error }) { throw RoloError.invalid(issues) }
        if existing.contains(where: { $0.key == key }) {
            throw RoloError.invalid(field: "custom.\(key)", "is already a field of \(account.name)")
        }
        if (type == .select || type == .multiselect) && options.isEmpty {
            throw RoloError.invalid(field: "custom.\(key)", "a \(type.rawValue) field needs at least one option")
        }
        try checkOptions(options, of: type, key: key)
        var definition = FieldDefinition(key: key, label: label, type: type, options: options)
        let rules = account.rules
        switch rules.customFields {
        case .definedByProvider:
            throw RoloError.invalid(field: "custom.\(key)", rules.customKeyHint)
        case .fixedSlots:
            guard rules.slotTypes.contains(type) else {
                throw RoloError.invalid(field: "custom.\(key)", "\(rules.providerName) has no \(type.rawValue) slots; "
                    + "use " + rules.slotTypes.map(\.rawValue).joined(separator: ", "))
            }
            guard let slot = rules.freeSlot(for: type, taken: existing) else {
                let count = rules.slotCount(of: type)
                throw RoloError.invalid(field: "custom.\(key)", "all \(count) \(type.rawValue) slots of \(account.name) are taken")
            }
            definition.providerRef = slot.id
            definition.maxLength = slot.maxLength
        case .anyKeyAsText:
            if type != .text {
                throw RoloError.invalid(field: "custom.\(key)", "\(rules.providerName) stores custom values as text")
            }
        case .anyKeyTypedByValue:
            break
        }
        return (definition, issues)
    }

    /// Options that can all be chosen: each has a value, no two share one, and a multiselect's
    /// values have no commas (a choice of several is written "a, b").
    static func checkOptions(_ options: [SelectOption], of type: FieldType, key: String) throws {
        var seen = Set<String>()
        for option in options {
            let value = option.value.trimmed
            if value.isEmpty {
                throw RoloError.invalid(field: "custom.\(key)", "an option needs a value (“\(option.label)” has none)")
            }
            if !seen.insert(value.lowercased()).inserted {
                throw RoloError.invalid(field: "custom.\(key)", "the option “\(value)” is given twice")
            }
            if type == .multiselect, value.contains(",") {
                throw RoloError.invalid(field: "custom.\(key)", "the option “\(value)” has a comma; a multiselect's options cannot "
                    + "(several are written a, b)")
            }
        }
    }

    /// The definitions of fields added while editing, planned one after another against the
    /// account's own: all of them, or an error naming the first that cannot be added.
    func plan(_ added: [FieldDefinition], account: Account, existing: [FieldDefinition]) throws -> [FieldDefinition] {
        var planned: [FieldDefinition] = []
        for field in added {
            planned.append(try AccountService.plan(key: field.key, type: field.type, label: field.label, options: field.options,
                                                   account: account, existing: existing + planned).definition)
        }
        return planned
    }

    public func deliveryStatus(in scope: AccountScope) throws -> DeliveryStatus {
        let counts = try cache.outboxCounts(in: scope)
        var lastSync: Timestamp?
        if case .account(let id) = scope { lastSync = try cache.lastSync(accountID: id) }
        return DeliveryStatus(contacts: try cache.contactCount(in: scope), pending: counts[.pending] ?? 0,
                              sending: counts[.sending] ?? 0, failed: counts[.failed] ?? 0,
                              conflicts: try cache.conflictCount(in: scope), lastSync: lastSync)
    }

    public func lastSync(accountID: Int64) throws -> Timestamp? { try cache.lastSync(accountID: accountID) }
}
