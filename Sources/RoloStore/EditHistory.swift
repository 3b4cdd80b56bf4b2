import GRDB
import RoloCore

/// The edit history: the user's edits in the audit log, each with its before and after. Undo
/// walks it from the newest edit back; an edit leaves its reach once it is being sent to the
/// provider, and for good once the provider confirmed it.
extension LocalCache {
    /// Undoes the newest edit in the scope that has not reached a provider: puts the fields
    /// back, brings a deleted contact back, or removes a contact that was only created here.
    /// Returns nil when there is nothing to undo; throws when the newest edit is being sent.
    @discardableResult
    public func undoLastEdit(in scope: AccountScope, author: Author) throws -> UndoOutcome? {
        try write { db in
            let (lower, upper) = LocalCache.accountIDRange(scope)
            guard let entry = try Row.fetchOne(db, sql: """
                SELECT a.id, a.contactId, a.action, a.deltas, o.state, o.claimedHistory
                FROM audit a LEFT JOIN outbox o ON o.contactId = a.contactId
                WHERE a.undo = 'open' AND a.accountId BETWEEN ? AND ? ORDER BY a.id DESC LIMIT 1
                """, arguments: [lower, upper]) else { return nil }
            let entryID: Int64 = entry["id"]
            let contactID = ContactID(entry["contactId"])
            let action: String = entry["action"]
            guard var contact = try ContactRows.load(id: contactID.rawValue, db: db, includeDeleted: true) else {
                // The contact is gone (an earlier undo of its create): nothing to put back.
                try db.execute(sql: "UPDATE audit SET undo = 'undone' WHERE id = ?", arguments: [entryID])
                return nil
            }
            if entry["state"] as String? == DeliveryState.sending.rawValue,
               let claimed = entry["claimedHistory"] as Int64?, entryID <= claimed {
                throw RoloError.invalid(field: "undo", "the last edit of \(contact.displayName) is being sent to its provider now; "
                    + "it can no longer be undone — edit the contact instead")
            }
            try db.execute(sql: "UPDATE audit SET undo = 'undone' WHERE id = ?", arguments: [entryID])
            let deltas = try DeltaCoding.decode(entry["deltas"], table: "audit")
            let index = try SearchIndex.Batch(db)
            let outcome: UndoOutcome
            switch action {
            case "update":
                // Only fields still as the edit left them go back: a value that changed since
                // (a later edit was undone first, or a sync brought the provider's) stays.
                let reverted = deltas.filter { contact.value(of: $0.key) == $0.after }.map(\.reverted)
                contact = ContactEdit(deltas: reverted).applied(to: contact)
                contact.updatedAt = clock()
                try ContactRows.update(contact, index: index, db: db)
                try index.flush()
                try recordAudit("undo update", contact: contact, deltas: reverted, author: author, db: db)
                outcome = UndoOutcome(kind: .update, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            case "create":
                let reverted = LocalCache.allFields(of: contact).map(\.reverted)
                try recordAudit("undo create", contact: contact, deltas: reverted, author: author, db: db)
                if contact.id != nil, (try Int64.fetchOne(db, sql: "SELECT deletedAt FROM contact WHERE id = ?",
                                                           arguments: [contactID.rawValue])) == nil,
                   let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [contactID.rawValue]) {
                    try SearchIndex.remove(rank: rank, db: db)
                }
                if try Row.fetchOne(db, sql: "SELECT 1 FROM remote_link WHERE contactId = ?", arguments: [contactID.rawValue]) == nil {
                    // Never sent: the contact was only ever here.
                    try db.execute(sql: "DELETE FROM contact WHERE id = ?", arguments: [contactID.rawValue])
                    return UndoOutcome(kind: .create, contactID: contactID, displayName: contact.displayName, deltas: reverted)
                }
                // The provider has it (a pull linked it meanwhile): undoing the create deletes it there too.
                let now = clock().millisecondsSinceEpoch
                try db.execute(sql: "UPDATE contact SET deletedAt = ?, updatedAt = ? WHERE id = ?", arguments: [now, now, contactID.rawValue])
                outcome = UndoOutcome(kind: .create, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            case "delete":
                let reverted = LocalCache.allFields(of: contact)
                let now = clock().millisecondsSinceEpoch
                try db.execute(sql: "UPDATE contact SET deletedAt = NULL, updatedAt = ? WHERE id = ?", arguments: [now, contactID.rawValue])
                let rank = try Int64.fetchOne(db, sql: "SELECT rank FROM contact WHERE id = ?", arguments: [contactID.rawValue])!
                index.add(contact, rank: rank)
                try index.flush()
                try recordAudit("undo delete", contact: contact, deltas: reverted, author: author, db: db)
                outcome = UndoOutcome(kind: .delete, contactID: contactID, displayName: contact.displayName, deltas: reverted)
            default:
                throw RoloError.cache("the cache's edit history holds “\(action)”, which this rolo cannot undo")
            }
            try queueForProvider(contactID: contactID.rawValue, accountID: contact.accountID, db: db)
            return outcome
        }
    }

    /// How many edits in the scope undo can still reach.
    public func undoableEditCount(in scope: AccountScope) throws -> Int {
        try read { db in
            let (lower, upper) = LocalCache.accountIDRange(scope)
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE undo = 'open' AND accountId BETWEEN ? AND ?",
                                    arguments: [lower, upper]) ?? 0
        }
    }
}
