/// The values the sync engine and the cache exchange: what one side holds of a contact, what
/// the planner decided to do with it, and the conflicts it found. Plain data, so the planner
/// stays pure and a store other than SQLite could implement the same exchange.

/// A contact as this side holds it, for comparing with what the provider has.
public struct LocalSyncState: Sendable, Hashable {
    public let contactID: ContactID
    /// The contact as it is here (deleted here when `isDeleted`).
    public let contact: Contact
    public let isDeleted: Bool
    /// The provider's id, once the contact is linked to it.
    public let remoteID: String?
    /// The provider's stamp of the version last seen.
    public let remoteModifiedAt: String?
    /// The record both sides last agreed on: the base of the three-way merge. Nil when the
    /// provider has never had the contact.
    public let base: Contact?
    /// What waits to be sent, if anything.
    public let outbox: OutboxState?
    /// Conflicts already recorded and not yet resolved.
    public let conflicts: [FieldConflict]
    /// The record a push sent and saw no answer to (the run was killed, the connection
    /// dropped): where the provider now holds these values, they are rolo's own change.
    public let inFlight: Contact?
    /// Whether `base` is a record the provider listed, not one rolo wrote itself (what a push
    /// sent, or what a file said the provider had).
    public let baseWasListed: Bool

    public init(contactID: ContactID, contact: Contact, isDeleted: Bool, remoteID: String?, remoteModifiedAt: String?,
                base: Contact?, outbox: OutboxState?, conflicts: [FieldConflict], inFlight: Contact? = nil,
                baseWasListed: Bool = false) {
        self.inFlight = inFlight
        self.baseWasListed = baseWasListed
        self.contactID = contactID
        self.contact = contact
        self.isDeleted = isDeleted
        self.remoteID = remoteID
        self.remoteModifiedAt = remoteModifiedAt
        self.base = base
        self.outbox = outbox
        self.conflicts = conflicts
    }
}

/// What the link row of a contact says, read without loading the contact or its base record:
/// enough for the planner to see that a record is the very version last seen (most of a
/// listing, on a provider that can only list everything).
public struct LinkSnapshot: Sendable, Hashable {
    public let contactID: ContactID
    /// The provider's id the contact is linked to.
    public let remoteID: String
    /// The provider's stamp of the version last seen.
    public let remoteModifiedAt: String?
    /// Whether a base record is stored (it always is once a contact was synced).
    public let hasBase: Bool
    /// Deleted here (the delete waits to be sent).
    public let isDeleted: Bool
    /// The sync's digest of the base record (what the provider held when both sides last
    /// agreed), nil when not known since the base last changed.
    public let baseDigest: String?

    public init(contactID: ContactID, remoteID: String, remoteModifiedAt: String?, hasBase: Bool, isDeleted: Bool,
                baseDigest: String? = nil) {
        self.contactID = contactID
        self.remoteID = remoteID
        self.remoteModifiedAt = remoteModifiedAt
        self.hasBase = hasBase
        self.isDeleted = isDeleted
        self.baseDigest = baseDigest
    }
}

/// A contact's outbox entry as the sync engine needs it.
public struct OutboxState: Sendable, Hashable {
    public let kind: OutboxKind
    public let state: DeliveryState
    /// Bumped by every local change; a push confirms only the revision it sent.
    public let revision: Int64
    public let attempts: Int
    public let idempotencyKey: String

    public init(kind: OutboxKind, state: DeliveryState, revision: Int64, attempts: Int, idempotencyKey: String) {
        self.kind = kind
        self.state = state
        self.revision = revision
        self.attempts = attempts
        self.idempotencyKey = idempotencyKey
    }
}

/// One field changed on both sides to different values. `kind` says when it is not one field
/// but the contact itself (deleted on one side while changed on the other).
public struct FieldConflict: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case field
        /// Deleted at the provider while edited here.
        case remoteDeleted
        /// Deleted here while changed at the provider.
        case localDeleted
    }

    public let kind: Kind
    /// The field; for a deleted contact, nil.
    public let key: FieldKey?
    public let base: FieldValue?
    public let local: FieldValue?
    public let remote: FieldValue?

    public init(kind: Kind = .field, key: FieldKey?, base: FieldValue?, local: FieldValue?, remote: FieldValue?) {
        self.kind = kind
        self.key = key
        self.base = base
        self.local = local
        self.remote = remote
    }

    public static func contactDeleted(_ kind: Kind) -> FieldConflict {
        FieldConflict(kind: kind, key: nil, base: nil, local: nil, remote: nil)
    }
}

/// What to do with one contact after comparing this side with the provider's.
public enum PullDecision: Sendable, Hashable {
    /// Nothing to write: the provider has what rolo last saw, or only local changes wait
    /// (they go out with the push).
    case keep
    /// The provider's record equals the base; only its stamp moved.
    case stamp
    /// Write the merged contact here and take the provider's record as the new base. With
    /// conflicts, those fields keep the local value until the user decides.
    case apply(merged: Contact, base: Contact, conflicts: [FieldConflict])
    /// A contact new to rolo.
    case create(Contact)
    /// The provider no longer has it and nothing waits here: delete it here too.
    case deleteLocal
    /// The provider no longer has it (or it was deleted here too): forget the tombstone.
    case forget
    /// The provider deleted it while it was edited here, or changed it while it was deleted
    /// here: the user decides.
    case conflictOnDelete(FieldConflict.Kind, remote: Contact?)

    /// Whether the decision changes what people see of `contact` (its fields), not only what
    /// rolo keeps of the provider's own data: a report counts only those as news.
    public func changesFields(of contact: Contact) -> Bool {
        guard case .apply(let merged, _, _) = self else { return true }
        return merged.fields != contact.fields || merged.custom != contact.custom
    }

    /// Whether the decision changes only what rolo keeps of the provider's own data for a
    /// contact (Notifuse's unnamed slots, iVvy's groups), none of its fields: not news, but not
    /// nothing either. Only a change from what the provider itself listed last time counts:
    /// against a base rolo wrote (what a push sent, or a file's provider data) the provider's
    /// bookkeeping arrives for the first time — Notifuse's `created_at`, iVvy's join dates —
    /// which is nothing a person would want to hear about.
    public func changesOnlyProviderData(of state: LocalSyncState) -> Bool {
        guard case .apply(let merged, _, _) = self, !changesFields(of: state.contact), let lastSeen = state.base,
              state.baseWasListed else { return false }
        return merged.extensions != lastSeen.extensions
    }

    /// True when the decision deletes a contact here.
    public var deletesHere: Bool {
        if case .deleteLocal = self { return true }
        return false
    }
}

/// A contact in conflict, for the conflicts view and `rolo conflicts`.
public struct ConflictedContact: Sendable, Hashable {
    public let contactID: ContactID
    public let accountID: Int64
    public let displayName: String
    public let conflicts: [FieldConflict]
    public let detectedAt: Timestamp

    public init(contactID: ContactID, accountID: Int64, displayName: String, conflicts: [FieldConflict], detectedAt: Timestamp) {
        self.contactID = contactID
        self.accountID = accountID
        self.displayName = displayName
        self.conflicts = conflicts
        self.detectedAt = detectedAt
    }
}

/// Which side a conflict is settled for.
public enum ConflictSide: String, Sendable, Hashable, CaseIterable {
    /// What was typed here.
    case mine
    /// What the provider has.
    case theirs
}
