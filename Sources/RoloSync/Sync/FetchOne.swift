import Foundation
import RoloCore
import RoloStore

// Bringing in one contact by email or mobile, for a provider that cannot list its contacts
// (DailyStory): a sync there only refreshes the contacts rolo already knows, so one created
// in the provider's own web pages is never discovered. The user names it, rolo asks the
// provider for it, and it is stored and linked exactly as a pulled contact is.

/// What to look a contact up by.
public enum ContactLookupKey: Sendable, Hashable, CustomStringConvertible {
    case email(String)
    /// A mobile number in international (E.164) form.
    case mobile(String)

    /// Reads what a person typed: an email address (it has an @), else a mobile number in
    /// international form. A typing mistake is an error naming what was wrong.
    public init(parsing input: String) throws(RoloError) {
        let text = input.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            throw RoloError.invalid(field: "email or mobile", "give an email address or a mobile number (+15557140059)")
        }
        do {
            if text.contains("@") {
                try Validator.checkEmail(text)
                self = .email(text)
            } else {
                self = .mobile(try Validator.normalisePhone(text))
            }
        } catch {
            throw RoloError.invalid(field: text.contains("@") ? "email" : "mobile", error.message)
        }
    }

    public var description: String {
        switch self {
        case .email(let text), .mobile(let text): text
        }
    }

    /// "email", "mobile": for messages.
    public var kindName: String {
        switch self {
        case .email: "email"
        case .mobile: "mobile"
        }
    }

    /// A contact holding only this key: what the provider's lookup of an existing contact is
    /// asked with (it tries the email, else the mobile number).
    func probe(accountID: Int64) -> Contact {
        switch self {
        case .email(let email): Contact(accountID: accountID, fields: [.email: email])
        case .mobile(let mobile): Contact(accountID: accountID, fields: [.mobilePhone: mobile])
        }
    }
}

/// What fetching one contact did here.
public struct FetchOutcome: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        /// New here.
        case added
        /// Known here; the provider's changes were merged in.
        case updated
        /// Known here and already the same.
        case unchanged
        /// Known here, and changed on both sides: it waits in the conflicts.
        case conflict
    }

    public let contactID: ContactID
    public let displayName: String
    public let account: String
    public let provider: String
    public let change: Change

    public init(contactID: ContactID, displayName: String, account: String, provider: String, change: Change) {
        self.contactID = contactID
        self.displayName = displayName
        self.account = account
        self.provider = provider
        self.change = change
    }

    /// One line: "Brought Ana Lima in from DailyStory (marketing)".
    public var summary: String {
        switch change {
        case .added: "Brought \(displayName) in from \(provider) (\(account))"
        case .updated: "\(displayName) was here already; \(provider)'s changes were merged in"
        case .unchanged: "\(displayName) is here already, the same as at \(provider)"
        case .conflict: "\(displayName) is here already and changed on both sides: see the conflicts"
        }
    }
}

/// Fetching one contact by email or mobile from a provider that cannot list.
public protocol ContactFetching: AnyObject, Sendable {
    /// Why a contact cannot be fetched into `account` (it is local, cannot sync, or its
    /// provider lists every contact anyway), or nil when it can.
    func whyNotFetchable(_ account: Account) -> String?
    func fetchOne(account: Account, by key: ContactLookupKey) async throws -> FetchOutcome
}

extension SyncService: ContactFetching {
    public func whyNotFetchable(_ account: Account) -> String? {
        if let why = whyNotSyncable(account) { return why }
        if account.profile.capabilities.listing != .none {
            return "\(account.name) needs no fetch: \(account.profile.displayName) lists its contacts, so a sync brings every one"
        }
        return nil
    }

    /// `rolo fetch --email`: the address is checked first.
    public func fetchOne(account: Account, email: String) async throws -> FetchOutcome {
        // Checked as an email whatever it looks like: `--email notanemail` was read as a
        // number and refused for having no country code.
        let text = email.trimmingCharacters(in: .whitespaces)
        do { try Validator.checkEmail(text) } catch { throw RoloError.invalid(field: "email", error.message) }
        return try await fetchOne(account: account, by: .email(text))
    }

    /// `rolo fetch --mobile`: the number is checked and written in international form first.
    public func fetchOne(account: Account, mobile: String) async throws -> FetchOutcome {
        let key = try ContactLookupKey(parsing: mobile)
        guard case .mobile = key else { throw RoloError.invalid(field: "mobile", "“\(mobile)” is not a mobile number") }
        return try await fetchOne(account: account, by: key)
    }

    /// Asks the account's provider for the contact with this email or mobile number and stores
    /// it through the cache as a pull would: linked to its provider id, merged field by field
    /// with what is here when rolo knows it already (a conflict is kept for the user), written
    /// in one transaction, with the audit log naming the provider. Throws `notFound` when the
    /// provider has no such contact (one in its trash included).
    public func fetchOne(account: Account, by key: ContactLookupKey) async throws -> FetchOutcome {
        if let why = whyNotFetchable(account) { throw RoloError.failed(why) }
        let definitions = try cache.fieldDefinitions(accountID: account.id)
        let provider: any ContactProvider
        do { provider = try connecting.provider(for: account, definitions: definitions) } catch {
            throw RoloError.failed("\(account.name): \(error.message)")
        }
        let name = provider.profile.displayName
        var attempt = 1
        var found: RemoteRecord?
        while true {
            do {
                // The provider's own lookup of an existing contact: by email, else by mobile.
                found = try await provider.findExisting(key.probe(accountID: account.id), idempotencyKey: "")
                break
            } catch {
                guard let delay = policy.delay(after: attempt, error: error) else {
                    throw RoloError.failed("\(account.name): fetching \(key) from \(name) failed: \(error.message)")
                }
                await policy.sleep(delay)
                attempt += 1
            }
        }
        guard let record = found, !record.isDeleted else {
            throw RoloError.notFound("\(name) (\(account.name)) has no contact with the \(key.kindName) \(key)")
        }
        let scope = MergeScope(profile: provider.profile, definitions: definitions)
        let source = Author(user: "\(name) (\(account.name))", clientAddress: nil)
        // A contact waiting here to be created with the same email is the same person.
        let outcome = try cache.applyPulledPage(accountID: account.id, records: [record], source: source, matchEmail: true,
                                                dryRun: false, digest: scope.digest) { record, local in
            SyncPlanner.decide(record, local, scope: scope)
        }.first!
        guard let id = try cache.linkedContact(remoteID: record.remoteID, accountID: account.id) else {
            throw RoloError.failed("\(account.name): \(name)'s contact could not be linked here")
        }
        let change: FetchOutcome.Change
        switch outcome.decision {
        case .create: change = .added
        case .apply(_, _, let conflicts) where !conflicts.isEmpty: change = .conflict
        case .conflictOnDelete: change = .conflict
        case .apply: change = outcome.changesFields ? .updated : .unchanged
        default: change = .unchanged
        }
        logger.info("fetched one contact", metadata: ["account": "\(account.name)", "contact": "\(id.shortID)", "change": "\(change)"])
        return FetchOutcome(contactID: id, displayName: (try? cache.contact(id))?.displayName ?? outcome.name,
                            account: account.name, provider: name, change: change)
    }
}
