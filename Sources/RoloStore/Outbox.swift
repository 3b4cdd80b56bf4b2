import Foundation
import GRDB
import RoloCore

/// The outbox: a delivery queue with one entry per contact that must reach its provider.
///
/// An entry does not record the edits themselves: what must be sent is what differs between
/// the contact and the record last agreed with the provider (the base in `remote_link`), so a
/// create followed by updates is one create, and an edit undone before it was sent leaves
/// nothing to send. Every local write calls `queueForProvider` inside its transaction; the
/// entry then says what kind of change waits and where its delivery stands.
extension LocalCache {
    /// Brings a contact's outbox entry in line with the contact after a local write: a create
    /// while the provider does not have it, an update while it differs from the base, a delete
    /// while it is deleted here but not there, and no entry otherwise. Local accounts have none.
    ///
    /// An entry being sent stays (its push will be confirmed or retried), with its revision
    /// bumped so the confirmation knows the contact changed meanwhile. A failed entry goes back
    /// to pending: the user changed the contact, which may be the fix.
    /// `accountIsLocal`, when the caller knows it, saves asking the account (an import asks
    /// once per account, not once per contact).
    func queueForProvider(contactID: Int64, accountID: Int64, accountIsLocal: Bool? = nil, db: Database) throws {
        let now = clock().millisecondsSinceEpoch
        guard try !(accountIsLocal ?? LocalCache.isLocalAccount(accountID, db: db)) else { return }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT c.deletedAt, c.contentHash, l.contactId AS linked, l.baseHash,
                   o.kind, o.state
            FROM contact c
            LEFT JOIN remote_link l ON l.contactId = c.id
            LEFT JOIN outbox o ON o.contactId = c.id
            WHERE c.id = ?
            """), arguments: [contactID]) else {
            return
        }
        let isDeleted = (row["deletedAt"] as Int64?) != nil
        let isLinked = (row["linked"] as Int64?) != nil
        let wanted: OutboxKind?
        if isDeleted {
            wanted = isLinked ? .delete : nil
        } else if !isLinked {
            wanted = .create
        } else {
            wanted = (row["contentHash"] as String) == (row["baseHash"] as String?) ? nil : .update
        }
        let existingState = try (row["state"] as String?).map { try LocalCache.decode(DeliveryState.self, $0, in: "outbox.state") }
        switch (wanted, existingState) {
        case (nil, nil):
            return
        case (nil, .sending?):
            // Nothing differs from the base any more, but a push is under way; its confirmation
            // moves the base and queues again what then differs.
            try db.cachedStatement(sql: "UPDATE outbox SET revision = revision + 1, updatedAt = ? WHERE contactId = ?")
                .execute(arguments: [now, contactID])
        case (nil, _?):
            try db.cachedStatement(sql: "DELETE FROM outbox WHERE contactId = ?").execute(arguments: [contactID])
        case (let kind?, nil):
            try db.cachedStatement(sql: """
                INSERT INTO outbox (contactId, accountId, kind, state, idempotencyKey, createdAt, updatedAt)
                VALUES (?, ?, ?, 'pending', ?, ?, ?)
                """).execute(arguments: [contactID, accountID, kind.rawValue, LocalCache.newIdempotencyKey(), now, now])
        case (let kind?, .sending?), (let kind?, .conflict?):
            try db.cachedStatement(sql: "UPDATE outbox SET kind = ?, revision = revision + 1, updatedAt = ? WHERE contactId = ?")
                .execute(arguments: [kind.rawValue, now, contactID])
        case (let kind?, _?):
            try db.cachedStatement(sql: """
                UPDATE outbox SET kind = ?, state = 'pending', revision = revision + 1, attempts = 0, nextAttemptAt = NULL,
                    lastError = NULL, updatedAt = ? WHERE contactId = ?
                """).execute(arguments: [kind.rawValue, now, contactID])
        }
    }

    /// A key that stays with one entry across its retries.
    static func newIdempotencyKey() -> String { Contact.newUID() }

    static func isLocalAccount(_ accountID: Int64, db: Database) throws -> Bool {
        try String.fetchOne(db.cachedStatement(sql: "SELECT provider FROM account WHERE id = ?"),
                            arguments: [accountID]) == ProviderKind.local.rawValue
    }

    /// A value stored by rolo read back: one this rolo does not know is damage or a newer
    /// rolo's, and is said as such instead of being taken for something else.
    static func decode<T: RawRepresentable>(_ type: T.Type, _ raw: String, in column: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            throw RoloError.cache("the cache holds “\(raw)” in \(column), which this rolo does not know; was it written by a newer rolo?")
        }
        return value
    }

    // MARK: - Reading the outbox

    /// Outbox entries, oldest first.
    public func outbox(for contact: ContactID? = nil, in scope: AccountScope = .all) throws -> [OutboxEntry] {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            return try Row.fetchAll(db, sql: """
                SELECT o.*, c.displayName FROM outbox o JOIN contact c ON c.id = o.contactId
                WHERE o.accountId BETWEEN ? AND ? AND (? IS NULL OR o.contactId = ?) ORDER BY o.createdAt, o.contactId
                """, arguments: [low, high, contact?.rawValue, contact?.rawValue]).map(LocalCache.outboxEntry)
        }
    }

    static func outboxEntry(_ row: Row) throws -> OutboxEntry {
        OutboxEntry(contactID: ContactID(row["contactId"]), accountID: row["accountId"], displayName: row["displayName"],
                    kind: try decode(OutboxKind.self, row["kind"], in: "outbox.kind"),
                    state: try decode(DeliveryState.self, row["state"], in: "outbox.state"),
                    attempts: row["attempts"], nextAttemptAt: (row["nextAttemptAt"] as Int64?).map(Timestamp.init),
                    lastError: row["lastError"], idempotencyKey: row["idempotencyKey"],
                    createdAt: Timestamp(millisecondsSinceEpoch: row["createdAt"]),
                    updatedAt: Timestamp(millisecondsSinceEpoch: row["updatedAt"]))
    }

    /// How many entries of the scope are in each state.
    public func outboxCounts(in scope: AccountScope) throws -> [DeliveryState: Int] {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            var counts: [DeliveryState: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT state, count(*) AS n FROM outbox WHERE accountId BETWEEN ? AND ? GROUP BY state
                """, arguments: [low, high]) {
                counts[try LocalCache.decode(DeliveryState.self, row["state"], in: "outbox.state")] = row["n"]
            }
            return counts
        }
    }
}

extension LocalCache {
    /// What a contact's outbox entry would send now, field by field: the difference between
    /// the record last agreed with the provider and the contact (every field for a contact
    /// the provider does not have yet). Empty when nothing waits.
    public func pendingChanges(for id: ContactID) throws -> [FieldDelta] {
        try read { db in
            guard let contact = try ContactRows.load(id: id.rawValue, db: db, includeDeleted: true) else { return [] }
            guard let text = try String.fetchOne(db, sql: "SELECT baseRecord FROM remote_link WHERE contactId = ?",
                                                 arguments: [id.rawValue]) else {
                return LocalCache.allFields(of: contact)
            }
            guard let base = BaseRecord.decode(text, into: contact) else {
                throw RoloError.cache("the record last agreed with the provider for \(id.shortID) cannot be read")
            }
            return BaseRecord.changes(from: base, to: contact)
        }
    }
}
