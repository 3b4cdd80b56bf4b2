import Foundation
import Logging
import RoloCore
import RoloStore

/// The one door to contacts for the commands and the view models.
///
/// Reads go straight to the local cache. Every edit is validated against its account's rules
/// and written — contact, outbox entry and audit row — in one transaction before this returns,
/// so an edit the caller reports as saved is on disk. The network is never on this path:
/// edits reach providers later, from the outbox.
public final class ContactService: Sendable {
    let cache: LocalCache
    public let author: Author
    let logger: Logger

    public init(cache: LocalCache, author: Author, logger: Logger = Logger(label: "rolo.sync")) {
        self.cache = cache
        self.author = author
        self.logger = logger
    }

    /// Opens the cache file at `path` (creating it if needed).
    public convenience init(path: String, author: Author, logger: Logger = Logger(label: "rolo.sync")) throws {
        self.init(cache: try LocalCache(path: path), author: author, logger: logger)
    }

    /// Where the cache lives, for messages.
    public var cachePath: String? { cache.path }

    /// Why the cache is open for reading only (this user cannot write it), naming the path;
    /// nil when it can be written. Every edit then fails with this reason.
    public var readOnlyReason: String? { cache.readOnlyReason }

    // MARK: - Accounts

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

    /// Defines a custom field by hand. On Notifuse the field takes the first free slot of its
    /// type; iVvy defines its fields itself, so nothing can be added there.
    @discardableResult
    public func addCustomField(key: String, type: FieldType, label: String? = nil, options: [SelectOption] = [],
                               to account: Account) throws -> (definition: FieldDefinition, warnings: [ValidationIssue]) {
        let existing = try cache.fieldDefinitions(accountID: account.id)
        let (definition, warnings) = try ContactService.plan(key: key, type: type, label: label, options: options,
                                                             account: account, existing: existing)
        try cache.saveFieldDefinition(definition, accountID: account.id)
        return (definition, warnings)
    }

    /// Checks a new custom field against the account's rules and the fields it already has,
    /// and gives it its provider slot (Notifuse). Writes nothing.
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
        switch account.rules.customFields {
        case .definedByProvider:
            throw RoloError.invalid(field: "custom.\(key)", account.rules.customKeyHint)
        case .fixedSlots:
            guard let slotType = NotifuseSlots.all.first(where: { $0.type == type })?.type else {
                throw RoloError.invalid(field: "custom.\(key)", "Notifuse has no \(type.rawValue) slots; "
                    + "use text, number, datetime or json")
            }
            guard let slot = NotifuseSlots.freeSlot(for: slotType, taken: existing) else {
                throw RoloError.invalid(field: "custom.\(key)", "all five \(type.rawValue) slots of \(account.name) are taken")
            }
            definition.providerRef = slot
            if type == .text { definition.maxLength = 255 }
        case .anyKeyAsText:
            if type != .text {
                throw RoloError.invalid(field: "custom.\(key)", "DailyStory stores custom values as text")
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
    private func plan(_ added: [FieldDefinition], account: Account, existing: [FieldDefinition]) throws -> [FieldDefinition] {
        var planned: [FieldDefinition] = []
        for field in added {
            planned.append(try ContactService.plan(key: field.key, type: field.type, label: field.label, options: field.options,
                                                   account: account, existing: existing + planned).definition)
        }
        return planned
    }

    // MARK: - Reading

    public func window(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                       from anchor: WindowAnchor = .first, limit: Int, markers: Bool = true) throws -> ContactWindow {
        try cache.window(in: scope, matching: query, order: order, from: anchor, limit: limit, markers: markers)
    }

    /// How many contacts match; nil when cancelled. See `LocalCache.count`.
    public func count(in scope: AccountScope, matching query: ContactQuery?,
                      isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        try cache.count(in: scope, matching: query, isCancelled: isCancelled)
    }

    public func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery? = nil,
                         order: ListOrder = .name, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        try cache.position(of: cursor, in: scope, matching: query, order: order, isCancelled: isCancelled)
    }

    /// A contact's list row, if it is in the scope and matches the query.
    public func summary(of id: ContactID, in scope: AccountScope, matching query: ContactQuery? = nil,
                        order: ListOrder = .name) throws -> ContactSummary? {
        guard let cursor = try cache.cursor(of: id) else { return nil }
        let row = try cache.window(in: scope, matching: query, order: order, from: .startingAt(cursor), limit: 1).rows.first
        return row?.id == id ? row : nil
    }

    /// Every contact of the scope that matches, in list order, read a page at a time (so a
    /// million are never held): for `rolo list --json`.
    public func forEachContact(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                               _ body: (Contact) throws -> Void) throws {
        try cache.forEachContact(in: scope, matching: query, order: order) { contact, _ in try body(contact) }
    }

    public func contactCount(in scope: AccountScope) throws -> Int { try cache.contactCount(in: scope) }
    public func pendingEditCount(in scope: AccountScope) throws -> Int { try cache.pendingEditCount(in: scope) }
    public func conflictCount(in scope: AccountScope) throws -> Int { try cache.conflictCount(in: scope) }
    public func lastSync(accountID: Int64) throws -> Timestamp? { try cache.lastSync(accountID: accountID) }

    public func contact(_ id: ContactID) throws -> Contact {
        guard let contact = try cache.contact(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
        return contact
    }

    public func detail(_ id: ContactID) throws -> ContactDetail {
        guard let detail = try cache.detail(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
        return detail
    }

    public func outbox(for id: ContactID? = nil, in scope: AccountScope = .all) throws -> [OutboxEntry] {
        try cache.outbox(for: id, in: scope)
    }

    public func audit(for id: ContactID, limit: Int = 100) throws -> [AuditEntry] { try cache.audit(for: id, limit: limit) }

    /// Finds the contact a person means: a short id (`k3p9`), a uid, a provider's id, or an
    /// email address (which must name exactly one contact).
    public func resolve(_ reference: String, in scope: AccountScope = .all) throws -> ContactID {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw RoloError.invalid(field: "id", "is empty") }
        if text.contains("@") {
            let matches = try cache.contacts(withEmail: text, in: scope)
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 {
                throw RoloError.invalid(field: "id", "\(text) belongs to \(matches.count) contacts ("
                    + matches.map(\.shortID).joined(separator: ", ") + "); use one of their ids")
            }
        } else if let id = try cache.resolve(text) {
            return id
        }
        throw RoloError.notFound("no contact \(text)")
    }

    // MARK: - Editing

    /// Adds a contact from `key=value` assignments (the `rolo add` command).
    public func add(_ assignments: [FieldAssignment], to account: Account) throws -> EditOutcome {
        let input = FieldInput(account: account, definitions: try cache.fieldDefinitions(accountID: account.id))
        let (edit, warnings) = try input.edit(from: assignments, existing: nil)
        let contact = edit.applied(to: Contact(accountID: account.id, createdAt: cache.clock()))
        return try create(contact, clearing: nil, extraWarnings: warnings)
    }

    /// Stores a new, typed contact (the edit pane's "new contact" form).
    ///
    /// `adding` holds custom fields added by hand in the form: they become fields of the
    /// account in the same transaction as the contact, or not at all.
    public func create(_ contact: Contact, clearing draft: DraftSlot? = nil, adding added: [FieldDefinition] = []) throws -> EditOutcome {
        try create(contact, clearing: draft, adding: added, extraWarnings: [])
    }

    private func create(_ contact: Contact, clearing draft: DraftSlot?, adding added: [FieldDefinition] = [],
                        extraWarnings: [ValidationIssue]) throws -> EditOutcome {
        let account = try self.account(id: contact.accountID)
        let existing = try cache.fieldDefinitions(accountID: account.id)
        let planned = try plan(added, account: account, existing: existing)
        let (checked, issues) = Validator.check(contact, rules: account.rules, definitions: existing + planned, isNew: true)
        let errors = issues.filter { $0.severity == .error }
        if !errors.isEmpty { throw RoloError.invalid(errors) }
        try checkEmailIsFree(checked, account: account)
        let stored = try cache.insertContact(checked, author: author, clearing: draft, adding: planned)
        logger.info("contact created", metadata: ["contact": "\(stored.id!.shortID)", "account": "\(account.name)"])
        // The field input and the validator check the same keys: each warning is told once.
        var warnings = extraWarnings
        for issue in issues where issue.severity == .warning && !warnings.contains(issue) { warnings.append(issue) }
        return EditOutcome(contact: stored, deltas: stored.keysWithValues.map {
            FieldDelta(key: $0, before: nil, after: stored.value(of: $0))
        }, warnings: warnings)
    }

    /// Applies `key=value` assignments to a contact (the `rolo set` command).
    public func update(_ id: ContactID, assignments: [FieldAssignment]) throws -> EditOutcome {
        let current = try contact(id)
        let account = try self.account(id: current.accountID)
        let input = FieldInput(account: account, definitions: try cache.fieldDefinitions(accountID: account.id))
        let (edit, warnings) = try input.edit(from: assignments, existing: current)
        return try save(edit, to: id, extraWarnings: warnings)
    }

    /// Saves an edit that is already typed (the edit pane): validation, then one transaction
    /// for the contact, its outbox entry and audit row, and clearing its draft.
    /// `adding` as for `create`.
    public func save(_ edit: ContactEdit, to id: ContactID, adding added: [FieldDefinition] = []) throws -> EditOutcome {
        try save(edit, to: id, adding: added, extraWarnings: [])
    }

    private func save(_ edit: ContactEdit, to id: ContactID, adding added: [FieldDefinition] = [],
                      extraWarnings: [ValidationIssue]) throws -> EditOutcome {
        let current = try contact(id)
        let account = try self.account(id: current.accountID)
        let existing = try cache.fieldDefinitions(accountID: account.id)
        let planned = try plan(added, account: account, existing: existing)
        let definitions = existing + planned
        let proposed = edit.applied(to: current)
        // Only what the edit touches is judged: a value the provider sent in another form
        // must not block fixing a different field.
        let touched = Set(edit.keys)
        let (normalised, issues) = Validator.check(proposed, rules: account.rules, definitions: definitions, isNew: false)
        var errors = issues.filter { issue in
            issue.severity == .error && touched.contains(where: { issue.field == DeltaNames.name(of: $0) })
        }
        if let missing = account.rules.missingRequired(in: proposed.fields),
           account.rules.missingRequired(in: current.fields) == nil {
            errors.append(ValidationIssue(field: "fields", message: missing))
        }
        if !errors.isEmpty { throw RoloError.invalid(errors) }
        if touched.contains(.standard(.email)) { try checkEmailIsFree(proposed, account: account) }
        // Standard values are stored as the validator writes them (phones in E.164, flags as
        // true/false, no surrounding space), whoever typed them.
        var checkedEdit = edit
        for key in touched {
            guard case .standard(let field) = key, case .set = edit[key] else { continue }
            if let value = normalised[field] { checkedEdit.set(field, value) } else { checkedEdit.clear(key) }
        }
        let (stored, deltas) = try cache.updateContact(id, edit: checkedEdit, author: author, adding: planned)
        if !deltas.isEmpty {
            logger.info("contact edited", metadata: [
                "contact": "\(id.shortID)", "fields": "\(deltas.map { DeltaNames.name(of: $0.key) }.joined(separator: ","))",
            ])
        }
        return EditOutcome(contact: stored, deltas: deltas, warnings: extraWarnings)
    }

    /// Deletes a contact locally at once; the delete reaches the provider from the outbox.
    @discardableResult
    public func delete(_ id: ContactID) throws -> Contact {
        let current = try contact(id)
        try cache.deleteContact(id, author: author)
        logger.info("contact deleted", metadata: ["contact": "\(id.shortID)"])
        return current
    }

    /// Undoes the newest edit in the scope that has not been sent.
    @discardableResult
    public func undoLastEdit(in scope: AccountScope) throws -> UndoOutcome? {
        let outcome = try cache.undoLastEdit(in: scope, author: author)
        if let outcome {
            logger.info("edit undone", metadata: ["contact": "\(outcome.contactID.shortID)", "kind": "\(outcome.kind.rawValue)"])
        }
        return outcome
    }

    /// Notifuse identifies contacts by email, so two contacts there cannot share one.
    private func checkEmailIsFree(_ contact: Contact, account: Account) throws {
        guard account.provider == .notifuse, let email = contact.email else { return }
        let others = try cache.contacts(withEmail: email, in: .account(account.id)).filter { $0 != contact.id }
        if let other = others.first {
            throw RoloError.invalid(field: "email", "\(email) is already contact \(other.shortID); "
                + "Notifuse identifies contacts by email")
        }
    }

    // MARK: - Drafts

    public func saveDraft(_ payload: String, for slot: DraftSlot) throws { try cache.saveDraft(payload, for: slot) }
    public func draft(for slot: DraftSlot) throws -> Draft? { try cache.draft(for: slot) }
    public func drafts() throws -> [Draft] { try cache.drafts() }
    public func discardDraft(_ slot: DraftSlot) throws { try cache.discardDraft(slot) }
}

/// How fields are named in messages: `city`, `custom.plan`.
enum DeltaNames {
    static func name(of key: FieldKey) -> String {
        switch key {
        case .standard(let field): field.key
        case .custom(let name): "custom.\(name)"
        }
    }
}

extension Author {
    /// The person at the keyboard: the login name and, over SSH, the client's address.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Author {
        let user = environment["USER"] ?? environment["LOGNAME"]
            ?? getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "unknown"
        let ssh = environment["SSH_CLIENT"] ?? environment["SSH_CONNECTION"]
        let address = ssh?.split(separator: " ").first.map(String.init)
        return Author(user: user, clientAddress: address)
    }
}
