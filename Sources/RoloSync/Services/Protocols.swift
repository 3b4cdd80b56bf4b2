import RoloCore

// What the view models need of the services, one protocol per concern, so their tests can
// stand a fake in for any one of them. The commands use the concrete services.

/// Reading contacts: windows of the list, counts, one contact, its history.
public protocol ContactReading: AnyObject, Sendable {
    func window(in scope: AccountScope, matching query: ContactQuery?, order: ListOrder, from anchor: WindowAnchor,
                limit: Int) throws -> ContactWindow
    func count(in scope: AccountScope, matching query: ContactQuery?, isCancelled: @escaping @Sendable () -> Bool) throws -> Int?
    func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery?, order: ListOrder,
                  isCancelled: @escaping @Sendable () -> Bool) throws -> Int?
    func summary(of id: ContactID, in scope: AccountScope, matching query: ContactQuery?, order: ListOrder) throws -> ContactSummary?
    func contactCount(in scope: AccountScope) throws -> Int
    func contact(_ id: ContactID) throws -> Contact
    func detail(_ id: ContactID) throws -> ContactDetail
    func resolve(_ reference: String, in scope: AccountScope) throws -> ContactID
    func audit(for id: ContactID, limit: Int) throws -> [AuditEntry]
    /// The first `field:term` of a query whose field is no field here; nil when all are.
    func unknownField(in query: ContactQuery, scope: AccountScope) throws -> String?
    /// Whether another process wrote to the cache since the last time this was asked (another
    /// rolo's save, `rolo set`, an import, a sync): what is on screen may be out of date.
    func changedElsewhere() throws -> Bool
}

extension ContactReading {
    public func changedElsewhere() throws -> Bool { false }
}

/// Changing contacts: every change validated and written in one transaction.
public protocol ContactEditing: AnyObject, Sendable {
    func create(_ contact: Contact, releasing draft: DraftID?, adding added: [FieldDefinition]) throws -> EditOutcome
    func save(_ edit: ContactEdit, to id: ContactID, releasing draft: DraftID?, adding added: [FieldDefinition]) throws -> EditOutcome
    /// Why a new email for the contact needs the user's yes (the provider keys contacts by it),
    /// or nil.
    func identityChangeNotice(_ id: ContactID, email: String?) throws -> String?
    @discardableResult func delete(_ id: ContactID) throws -> Contact
    @discardableResult func undoLastEdit(in scope: AccountScope) throws -> UndoOutcome?
}

/// Accounts and their custom fields.
public protocol AccountDirectory: AnyObject, Sendable {
    func accounts() throws -> [Account]
    func account(id: Int64) throws -> Account
    func account(named name: String) throws -> Account
    func fieldDefinitions(accountID: Int64) throws -> [FieldDefinition]
    func planField(key: String, type: FieldType, label: String?, options: [SelectOption], account: Account,
                   existing: [FieldDefinition]) throws -> (definition: FieldDefinition, warnings: [ValidationIssue])
    /// Where an account's contacts stand with its provider: what waits, what failed, what
    /// conflicts, and when it last synced.
    func deliveryStatus(in scope: AccountScope) throws -> DeliveryStatus
}

/// Unfinished edit forms, and which rolo holds each.
public protocol DraftKeeping: AnyObject, Sendable {
    /// This rolo, as the holder of the forms it opens.
    var session: EditorSession { get }
    func claimDraft(_ slot: DraftSlot, takingOver: Bool) throws -> DraftClaim
    func adoptDraft(_ draft: Draft) throws -> DraftClaim?
    func saveDraft(_ payload: String?, in draft: DraftID) throws -> Bool
    func releaseDraft(_ draft: DraftID) throws
    func discardDraft(_ draft: Draft) throws -> Bool
    func draftHolder(_ draft: DraftID) throws -> DraftHolder?
    func drafts() throws -> [Draft]
    func draftsLeftBehind() throws -> [Draft]
    func holderIsRunning(_ holder: DraftHolder) -> Bool
}

/// Writing contacts to files (the `:export` command; the format comes from the file's name).
public protocol ContactExporting: AnyObject, Sendable {
    @discardableResult
    func exportFile(in scope: AccountScope, matching query: ContactQuery?, toPath path: String) throws -> Int
}

/// The counts the status bar and `rolo accounts` show for a scope.
public struct DeliveryStatus: Sendable, Hashable {
    public var contacts: Int
    public var pending: Int
    public var sending: Int
    public var failed: Int
    public var conflicts: Int
    /// When the one account in scope last finished a sync; nil for all accounts or never.
    public var lastSync: Timestamp?

    public init(contacts: Int = 0, pending: Int = 0, sending: Int = 0, failed: Int = 0, conflicts: Int = 0, lastSync: Timestamp? = nil) {
        self.contacts = contacts
        self.pending = pending
        self.sending = sending
        self.failed = failed
        self.conflicts = conflicts
        self.lastSync = lastSync
    }

    /// Everything still in the outbox, whatever its state.
    public var waiting: Int { pending + sending + failed }
}

extension ContactReading {
    public func window(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                       from anchor: WindowAnchor = .first, limit: Int) throws -> ContactWindow {
        try window(in: scope, matching: query, order: order, from: anchor, limit: limit)
    }

    public func count(in scope: AccountScope, matching query: ContactQuery?) throws -> Int? {
        try count(in: scope, matching: query, isCancelled: { false })
    }

    public func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery? = nil,
                         order: ListOrder = .name) throws -> Int? {
        try position(of: cursor, in: scope, matching: query, order: order, isCancelled: { false })
    }

    public func summary(of id: ContactID, in scope: AccountScope) throws -> ContactSummary? {
        try summary(of: id, in: scope, matching: nil, order: .name)
    }

    public func resolve(_ reference: String) throws -> ContactID { try resolve(reference, in: .all) }
}

/// Sync, for the TUI: run it, and show and settle what it leaves (outbox, conflicts, failures).
public protocol SyncControlling: AnyObject, Sendable {
    /// Why an account cannot sync (local, no config, a missing secret), or nil when it can.
    func whyNotSyncable(_ account: Account) -> String?
    func sync(scope: AccountScope, options: SyncOptions,
              progress: @escaping @Sendable (SyncEvent) -> Void) async throws -> [SyncReport]
    func outbox(in scope: AccountScope) throws -> [OutboxEntry]
    func pendingChanges(for id: ContactID) throws -> [FieldDelta]
    func conflicts(in scope: AccountScope) throws -> [ConflictedContact]
    @discardableResult
    func resolve(_ id: ContactID, fields: [FieldKey: ConflictSide], all: ConflictSide?) throws -> [FieldConflict]
    @discardableResult
    func retry(_ id: ContactID) throws -> Bool
}
