import GRDB
import RoloCore

/// Unfinished edit forms. The edit pane saves one on every change, so a dropped SSH session
/// loses at most the keystroke in flight; the next start offers it back.
extension LocalCache {
    public func saveDraft(_ payload: String, for slot: DraftSlot) throws {
        let (accountID, contactID) = slot.keys
        try write { db in
            try db.execute(sql: """
                INSERT INTO draft (accountId, contactId, payload, savedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (accountId, contactId) DO UPDATE SET payload = excluded.payload, savedAt = excluded.savedAt
                """, arguments: [accountID, contactID, payload, clock().millisecondsSinceEpoch])
        }
    }

    public func draft(for slot: DraftSlot) throws -> Draft? {
        let (accountID, contactID) = slot.keys
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM draft WHERE accountId = ? AND contactId = ?",
                             arguments: [accountID, contactID]).map(LocalCache.draft)
        }
    }

    /// Every saved draft, newest first.
    public func drafts() throws -> [Draft] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM draft ORDER BY savedAt DESC").map(LocalCache.draft) }
    }

    public func discardDraft(_ slot: DraftSlot) throws {
        try write { db in try LocalCache.deleteDraft(slot, db: db) }
    }

    static func deleteDraft(_ slot: DraftSlot, db: Database) throws {
        let (accountID, contactID) = slot.keys
        try db.execute(sql: "DELETE FROM draft WHERE accountId = ? AND contactId = ?", arguments: [accountID, contactID])
    }

    static func draft(_ row: Row) -> Draft {
        let contactID: Int64 = row["contactId"]
        return Draft(accountID: row["accountId"], contactID: contactID == 0 ? nil : ContactID(contactID),
                     payload: row["payload"], savedAt: Timestamp(millisecondsSinceEpoch: row["savedAt"]))
    }
}
