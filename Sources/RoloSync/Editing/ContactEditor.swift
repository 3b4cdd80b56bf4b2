import Logging
import RoloCore
import RoloStore

/// Changes contacts. Every change is validated against its account's rules and written —
/// contact, history row and outbox entry — in one transaction, with the checks that depend on
/// other contacts (an email another contact of a Notifuse account holds) made inside it, so an
/// edit the caller reports as saved is on disk and no other rolo could have slipped in between.
/// The network is never on this path: edits reach providers later, from the outbox.
public final class ContactEditor: ContactEditing {
    let cache: LocalCache
    let accounts: AccountService
    public let author: Author
    /// This rolo, as the holder of the forms whose drafts a save releases.
    let session: EditorSession
    let logger: Logger

    public init(cache: LocalCache, accounts: AccountService, author: Author, session: EditorSession,
                logger: Logger = Logger(label: "rolo.edit")) {
        self.cache = cache
        self.accounts = accounts
        self.author = author
        self.session = session
        self.logger = logger
    }

    /// Adds a contact from `key=value` assignments (the `rolo add` command).
    public func add(_ assignments: [FieldAssignment], to account: Account) throws -> EditOutcome {
        let input = FieldInput(account: account, definitions: try cache.fieldDefinitions(accountID: account.id))
        let (edit, warnings) = try input.edit(from: assignments, existing: nil)
        let contact = edit.applied(to: Contact(accountID: account.id, createdAt: cache.clock()))
        return try create(contact, releasing: nil, adding: [], extraWarnings: warnings)
    }

    /// Stores a new, typed contact (the edit pane's "new contact" form).
    ///
    /// `adding` holds custom fields added by hand in the form: they become fields of the
    /// account in the same transaction as the contact, or not at all. `releasing` is the draft
    /// of the form being saved: it is cleared in the same transaction, and the save is refused
    /// (`DraftNotHeld`) when this rolo no longer holds it.
    public func create(_ contact: Contact, releasing draft: DraftID? = nil, adding added: [FieldDefinition] = []) throws -> EditOutcome {
        try create(contact, releasing: draft, adding: added, extraWarnings: [])
    }

    private func create(_ contact: Contact, releasing draft: DraftID?, adding added: [FieldDefinition],
                        extraWarnings: [ValidationIssue]) throws -> EditOutcome {
        let (stored, issues, account) = try cache.transaction { tx in
            let account = try tx.account(id: contact.accountID)
            let existing = try tx.fieldDefinitions(accountID: account.id)
            let planned = try accounts.plan(added, account: account, existing: existing)
            let (checked, issues) = Validator.check(contact, rules: account.rules, definitions: existing + planned, isNew: true)
            let errors = issues.filter { $0.severity == .error }
            if !errors.isEmpty { throw RoloError.invalid(errors) }
            try ContactEditor.checkIdentityIsFree(checked, account: account, tx: tx)
            return (try tx.insert(checked, author: author, adding: planned, releasing: draft.map { ($0, session) }), issues, account)
        }
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
        guard let current = try cache.contact(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
        let account = try accounts.account(id: current.accountID)
        let input = FieldInput(account: account, definitions: try cache.fieldDefinitions(accountID: account.id))
        let (edit, warnings) = try input.edit(from: assignments, existing: current)
        return try save(edit, to: id, releasing: nil, adding: [], extraWarnings: warnings)
    }

    /// Saves an edit that is already typed (the edit pane): validation and the write in one
    /// transaction, which also releases the form's draft. `adding` and `releasing` as for
    /// `create`.
    public func save(_ edit: ContactEdit, to id: ContactID, releasing draft: DraftID? = nil,
                     adding added: [FieldDefinition] = []) throws -> EditOutcome {
        try save(edit, to: id, releasing: draft, adding: added, extraWarnings: [])
    }

    private func save(_ edit: ContactEdit, to id: ContactID, releasing draft: DraftID?, adding added: [FieldDefinition],
                      extraWarnings: [ValidationIssue]) throws -> EditOutcome {
        let (stored, deltas) = try cache.transaction { tx in
            guard let current = try tx.contact(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
            let account = try tx.account(id: current.accountID)
            let existing = try tx.fieldDefinitions(accountID: account.id)
            let planned = try accounts.plan(added, account: account, existing: existing)
            let proposed = edit.applied(to: current)
            // Only what the edit touches is judged: a value the provider sent in another form
            // must not block fixing a different field.
            let touched = Set(edit.keys)
            let (normalised, issues) = Validator.check(proposed, rules: account.rules, definitions: existing + planned, isNew: false)
            var errors = issues.filter { issue in
                issue.severity == .error && touched.contains(where: { issue.field == DeltaNames.name(of: $0) })
            }
            if let missing = account.rules.missingRequired(in: proposed.fields),
               account.rules.missingRequired(in: current.fields) == nil {
                errors.append(ValidationIssue(field: "fields", message: missing))
            }
            if !errors.isEmpty { throw RoloError.invalid(errors) }
            if touched.contains(.standard(.email)) { try ContactEditor.checkIdentityIsFree(proposed, account: account, tx: tx) }
            // Standard values are stored as the validator writes them (phones in E.164, flags as
            // true/false, no surrounding space), whoever typed them.
            var checkedEdit = edit
            for key in touched {
                guard case .standard(let field) = key, case .set = edit[key] else { continue }
                if let value = normalised[field] { checkedEdit.set(field, value) } else { checkedEdit.clear(key) }
            }
            return try tx.update(id, edit: checkedEdit, author: author, releasing: draft.map { ($0, session) }, adding: planned)
        }
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
        let current = try cache.transaction { tx in
            guard let current = try tx.contact(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
            try tx.delete(id, author: author)
            return current
        }
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

    /// Why a new email for a contact needs the user's yes, or nil when it is a plain edit:
    /// where the provider identifies contacts by their email and the contact is already
    /// there, a new email is a delete there and a create anew (PROVIDERS.md §2).
    public func identityChangeNotice(_ id: ContactID, email newEmail: String?) throws -> String? {
        guard let state = try cache.syncState(of: id), state.remoteID != nil else { return nil }
        let account = try accounts.account(id: state.contact.accountID)
        guard account.profile.capabilities.identity == .email else { return nil }
        let old = state.contact.email?.trimmingCharacters(in: .whitespaces) ?? ""
        let new = newEmail?.trimmingCharacters(in: .whitespaces) ?? ""
        guard old.caseInsensitiveCompare(new) != .orderedSame else { return nil }
        let provider = account.profile.displayName
        return "\(provider) identifies contacts by email: the next sync deletes \(old) in \(provider) and creates "
            + "\(new.isEmpty ? "the contact" : new) anew there (its history and list memberships stay with the old one)"
    }

    /// Where the provider identifies contacts by email, two contacts of an account cannot share
    /// one. Checked inside the write's transaction.
    static func checkIdentityIsFree(_ contact: Contact, account: Account, tx: CacheTransaction) throws {
        guard account.profile.capabilities.identity == .email, let email = contact.email else { return }
        let others = try tx.contacts(withEmail: email, accountID: account.id).filter { $0 != contact.id }
        if let other = others.first {
            throw RoloError.invalid(field: "email", "\(email) is already contact \(other.shortID); "
                + "\(account.profile.displayName) identifies contacts by email")
        }
    }
}
