/// Values the cache returns to the layers above: what the list, the detail pane and the
/// commands show. Plain data, so the view models need nothing from SQLite.

/// Which contacts a read covers.
public enum AccountScope: Sendable, Hashable {
    case all
    case account(Int64)
}

/// The orders the list offers.
public enum ListOrder: String, Sendable, Hashable, CaseIterable {
    case name
    case nameDescending = "name-desc"
    case recentlyChanged = "recent"

    public var label: String {
        switch self {
        case .name: "name A–Z"
        case .nameDescending: "name Z–A"
        case .recentlyChanged: "recently changed"
        }
    }

    /// The next order for the sort toggle.
    public var next: ListOrder {
        let all = ListOrder.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// A position in the list that survives inserts and deletes around it (keyset pagination).
public struct ListCursor: Sendable, Hashable {
    public let contactID: ContactID
    /// The contact's place in name order (account in the high bits).
    public let rank: Int64
    public let updatedAt: Int64

    public init(contactID: ContactID, rank: Int64, updatedAt: Int64) {
        self.contactID = contactID
        self.rank = rank
        self.updatedAt = updatedAt
    }
}

/// Where a window of rows starts.
public enum WindowAnchor: Sendable, Hashable {
    case first
    case last
    /// Rows after the cursor, not including it.
    case after(ListCursor)
    /// Rows before the cursor, not including it (returned in list order).
    case before(ListCursor)
    /// Rows from the cursor on, including it.
    case startingAt(ListCursor)
}

/// What the list shows about a contact's way to its provider.
public enum SyncMarker: Sendable, Hashable {
    case none
    case pending
    case sending
    case failed
    case conflict

    /// The one-character marker drawn in the list.
    public var symbol: String {
        switch self {
        case .none: " "
        case .pending: "•"
        case .sending: "↑"
        case .failed: "!"
        case .conflict: "≠"
        }
    }
}

/// One row of the list.
public struct ContactSummary: Sendable, Hashable, Identifiable {
    public let id: ContactID
    public let accountID: Int64
    public let displayName: String
    public let email: String?
    public let company: String?
    public let phone: String?
    public let marker: SyncMarker
    public let cursor: ListCursor

    public init(id: ContactID, accountID: Int64, displayName: String, email: String?, company: String?,
                phone: String?, marker: SyncMarker, cursor: ListCursor) {
        self.id = id
        self.accountID = accountID
        self.displayName = displayName
        self.email = email
        self.company = company
        self.phone = phone
        self.marker = marker
        self.cursor = cursor
    }
}

/// A slice of the list, and whether it touches either end.
public struct ContactWindow: Sendable, Hashable {
    public let rows: [ContactSummary]
    public let reachedStart: Bool
    public let reachedEnd: Bool

    public init(rows: [ContactSummary], reachedStart: Bool, reachedEnd: Bool) {
        self.rows = rows
        self.reachedStart = reachedStart
        self.reachedEnd = reachedEnd
    }
}

/// A contact's way to its provider, for the detail pane and `rolo show`.
public enum SyncState: Sendable, Hashable {
    /// In a local account: nothing to send anywhere.
    case localOnly
    /// The provider has the same version.
    case synced
    /// Changes wait in the outbox (a create, an update or a delete).
    case pending(OutboxKind, attempts: Int, lastError: String?)
    /// A sync is sending them now.
    case sending(OutboxKind)
    /// The provider refused them or they kept failing; still in the outbox.
    case failed(OutboxKind, message: String)
    /// The provider changed the same fields (or deleted the contact); the user must choose.
    case conflict(fields: [String])

    public var summary: String {
        switch self {
        case .localOnly: "local only"
        case .synced: "synced"
        case .pending(let kind, let attempts, let error):
            "\(kind.waitingPhrase) waiting to be sent"
                + (attempts > 0 ? " (tried \(attempts) time\(attempts == 1 ? "" : "s")\(error.map { ": \($0)" } ?? ""))" : "")
        case .sending(let kind): "\(kind.waitingPhrase) being sent"
        case .failed(let kind, let message): "sending the \(kind.rawValue) failed: \(message)"
        case .conflict(let fields): "conflict in " + fields.joined(separator: ", ")
        }
    }
}

/// The provider's id for a contact, and what rolo last saw there (the base of a three-way merge).
public struct RemoteLink: Sendable, Hashable {
    public let accountID: Int64
    public let remoteID: String
    public let remoteModifiedAt: String?
    public let syncedAt: Timestamp?

    public init(accountID: Int64, remoteID: String, remoteModifiedAt: String?, syncedAt: Timestamp?) {
        self.accountID = accountID
        self.remoteID = remoteID
        self.remoteModifiedAt = remoteModifiedAt
        self.syncedAt = syncedAt
    }
}

/// Everything the detail pane shows about one contact.
public struct ContactDetail: Sendable, Hashable {
    public let contact: Contact
    public let account: Account
    public let definitions: [FieldDefinition]
    public let remoteLink: RemoteLink?
    public let syncState: SyncState

    public init(contact: Contact, account: Account, definitions: [FieldDefinition], remoteLink: RemoteLink?, syncState: SyncState) {
        self.contact = contact
        self.account = account
        self.definitions = definitions
        self.remoteLink = remoteLink
        self.syncState = syncState
    }
}

/// What an outbox entry must do at the provider.
public enum OutboxKind: String, Sendable, Hashable, Codable {
    case create, update, delete
}

extension OutboxKind {
    /// "changes", "a new contact", "a delete": what waits, in words.
    public var waitingPhrase: String {
        switch self {
        case .create: "new contact"
        case .update: "changes"
        case .delete: "delete"
        }
    }
}

/// Where an outbox entry is on its way to the provider.
public enum DeliveryState: String, Sendable, Hashable, Codable {
    /// Waiting for the next sync (or for its retry time).
    case pending
    /// A sync is sending it now.
    case sending
    /// The provider refused it, or it kept failing; `lastError` says why.
    case failed
    /// The provider changed the same fields; it waits for the user to decide.
    case conflict
}

/// A contact waiting to reach its provider: one entry per contact, whatever number of edits
/// it carries (a create and later updates are one create).
public struct OutboxEntry: Sendable, Hashable {
    public let contactID: ContactID
    public let accountID: Int64
    public let displayName: String
    public let kind: OutboxKind
    public let state: DeliveryState
    public let attempts: Int
    public let nextAttemptAt: Timestamp?
    public let lastError: String?
    public let idempotencyKey: String
    public let createdAt: Timestamp
    public let updatedAt: Timestamp

    public init(contactID: ContactID, accountID: Int64, displayName: String, kind: OutboxKind, state: DeliveryState,
                attempts: Int, nextAttemptAt: Timestamp?, lastError: String?, idempotencyKey: String,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.contactID = contactID
        self.accountID = accountID
        self.displayName = displayName
        self.kind = kind
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Who made a change: the local user and, over SSH, the address they came from.
public struct Author: Sendable, Hashable {
    public let user: String
    public let clientAddress: String?

    public init(user: String, clientAddress: String?) {
        self.user = user
        self.clientAddress = clientAddress
    }

    public var description: String { clientAddress.map { "\(user) from \($0)" } ?? user }
}

/// One line of the audit log.
public struct AuditEntry: Sendable, Hashable {
    public let id: Int64
    public let at: Timestamp
    public let author: Author
    public let contactID: ContactID
    public let action: String
    public let deltas: [FieldDelta]

    public init(id: Int64, at: Timestamp, author: Author, contactID: ContactID, action: String, deltas: [FieldDelta]) {
        self.id = id
        self.at = at
        self.author = author
        self.contactID = contactID
        self.action = action
        self.deltas = deltas
    }
}

/// An unfinished edit form, saved as it is typed so that nothing is lost on a hang-up.
public struct Draft: Sendable, Hashable {
    /// The draft's row: what a rolo holding the form writes to.
    public let id: DraftID
    public let accountID: Int64
    /// Nil for a contact that is being created.
    public let contactID: ContactID?
    /// The form's state, serialised by the edit model that owns it.
    public let payload: String
    public let savedAt: Timestamp
    /// The rolo that held the form when this was read; nil for a draft saved before drafts
    /// had holders.
    public let holder: DraftHolder?

    public init(id: DraftID, accountID: Int64, contactID: ContactID?, payload: String, savedAt: Timestamp,
                holder: DraftHolder? = nil) {
        self.id = id
        self.accountID = accountID
        self.contactID = contactID
        self.payload = payload
        self.savedAt = savedAt
        self.holder = holder
    }
}

/// What `undoLastEdit` did.
public struct UndoOutcome: Sendable, Hashable {
    public enum Kind: String, Sendable { case update, create, delete }
    public let kind: Kind
    public let contactID: ContactID
    public let displayName: String
    public let deltas: [FieldDelta]

    public init(kind: Kind, contactID: ContactID, displayName: String, deltas: [FieldDelta]) {
        self.kind = kind
        self.contactID = contactID
        self.displayName = displayName
        self.deltas = deltas
    }
}

/// Which draft a save replaces.
public enum DraftSlot: Sendable, Hashable {
    case newContact(accountID: Int64)
    case contact(ContactID, accountID: Int64)

    /// The draft table's key: the account, and the contact's row id (0 for a new contact).
    public var keys: (accountID: Int64, contactID: Int64) {
        switch self {
        case .newContact(let account): (account, 0)
        case .contact(let id, let account): (account, id.rawValue)
        }
    }
}


/// A contact's identity at its provider, as a file or a pull states it.
public struct RemoteReference: Sendable, Hashable {
    public let id: String
    /// The provider's own "last modified" stamp, as it wrote it.
    public let modifiedAt: String?
    /// The record last agreed with the provider (`BaseRecord` text), when it differs from the
    /// contact: the contact has edits not yet sent. nil means the contact is the base.
    public let base: String?
    /// When the contact was last synced: a pull's time; for a file, its account's last sync
    /// (the file's state is that sync's). nil when unknown — never the time of an import, so
    /// that a contact's "Last synced" agrees with its account's.
    public let syncedAt: Timestamp?

    public init(id: String, modifiedAt: String?, base: String? = nil, syncedAt: Timestamp? = nil) {
        self.id = id
        self.modifiedAt = modifiedAt
        self.base = base
        self.syncedAt = syncedAt
    }

    /// The same reference, synced at `time`.
    public func synced(at time: Timestamp?) -> RemoteReference {
        RemoteReference(id: id, modifiedAt: modifiedAt, base: base, syncedAt: time)
    }
}

/// The record a contact had when it last agreed with its provider: the base of the three-way
/// merge. Canonical JSON (sorted keys), so equal records have equal text.
public enum BaseRecord {
    /// The record as canonical JSON: `{"custom":{key:{"type":…,"value":…}},"extensions":{…},
    /// "fields":{key:text}}`, keys sorted. Written directly rather than through `JSONValue`
    /// (this runs for every contact a pull stores); `canonicalText` of the same document
    /// gives the same text.
    public static func encode(_ contact: Contact) -> String {
        var out = "{\"custom\":{"
        for (index, key) in contact.custom.keys.sorted().enumerated() {
            let value = contact.custom[key]!
            if index > 0 { out += "," }
            JSONValue.writeQuoted(key, into: &out)
            out += ":{\"type\":"
            JSONValue.writeQuoted(value.type.rawValue, into: &out)
            out += ",\"value\":"
            JSONValue.writeQuoted(value.storedText, into: &out)
            out += "}"
        }
        out += "},\"extensions\":"
        out += JSONValue.object(contact.extensions).canonicalText
        out += ",\"fields\":{"
        for (index, field) in contact.fields.keys.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            JSONValue.writeQuoted(field.key, into: &out)
            out += ":"
            JSONValue.writeQuoted(contact.fields[field]!, into: &out)
        }
        out += "}}"
        return out
    }

    /// Reads a base record back into `contact`'s identity (uid, account, times); nil when the
    /// text is not a base record.
    public static func decode(_ text: String, into contact: Contact) -> Contact? {
        guard case .object(let members)? = try? JSONValue.parse(text),
              case .object(let fields)? = members["fields"], case .object(let custom)? = members["custom"] else { return nil }
        var base = contact
        base.fields = [:]
        base.custom = [:]
        for (key, value) in fields {
            guard let field = StandardField(rawValue: key), let text = value.stringValue else { return nil }
            base.fields[field] = text
        }
        for (key, value) in custom {
            guard case .object(let typed) = value, let typeName = typed["type"]?.stringValue,
                  let type = FieldType(rawValue: typeName), let stored = typed["value"]?.stringValue,
                  let decoded = CustomValue(storedText: stored, type: type) else { return nil }
            base.custom[key] = decoded
        }
        if case .object(let extensions)? = members["extensions"] { base.extensions = extensions } else { base.extensions = [:] }
        return base
    }

    /// The changes from `base` to `contact`, field by field: what an update must send.
    public static func changes(from base: Contact, to contact: Contact) -> [FieldDelta] {
        Set(base.keysWithValues + contact.keysWithValues).sorted().compactMap { key in
            let before = base.value(of: key), after = contact.value(of: key)
            return before == after ? nil : FieldDelta(key: key, before: before, after: after)
        }
    }
}
