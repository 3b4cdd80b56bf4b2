import Foundation
import GRDB
import RoloCore

/// Unfinished edit forms, and which rolo holds each one.
///
/// The edit pane writes its draft on every change, so a dropped SSH session loses at most the
/// keystroke in flight. A draft belongs to the rolo process that holds its form: a second
/// rolo on the same cache cannot take over text someone is still typing by opening the same
/// contact, and a form whose rolo ended (crash, hang-up, `kill -9`, reboot) is offered to the
/// next one. Whether a holder still runs is the caller's question (`isRunning`), answered from
/// the process table, never from how long ago the draft was written.
///
/// Every write here names the row and the holder: a rolo that lost its form cannot write into
/// or discard the form another rolo holds now.
extension LocalCache {
    /// Asks for the form of `slot` for `session`, in one transaction.
    ///
    /// A contact's form is this session's when nobody holds it, when this session already
    /// does, when its holder is not running any more, or with `takingOver`; otherwise it is
    /// `.held` by the running rolo that has it. A new contact's form is never held by another:
    /// each rolo has its own, and takes over one left behind by a rolo that ended.
    public func claimDraft(_ slot: DraftSlot, for session: EditorSession, takingOver: Bool = false,
                           isRunning: (EditorSession) -> Bool) throws -> DraftClaim {
        let (accountID, contactID) = slot.keys
        let now = clock()
        return try write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM draft WHERE accountId = ? AND contactId = ? ORDER BY id",
                                        arguments: [accountID, contactID])
            let drafts = rows.map(LocalCache.heldDraft)
            if let mine = drafts.first(where: { $0.holder?.session.processKey == session.processKey }) {
                return .claimed(id: mine.id, left: mine.text, from: nil)
            }
            if contactID != 0, let other = drafts.first {
                if let holder = other.holder, !takingOver, isRunning(holder.session) { return .held(by: holder) }
                try LocalCache.hold(other.id, for: session, at: now, db: db)
                return .claimed(id: other.id, left: other.text, from: other.holder)
            }
            // A new contact: a form a rolo left behind is picked up, text first (and an empty
            // one reused rather than left lying about); otherwise a form of its own.
            let behind = drafts.filter { $0.holder.map { !isRunning($0.session) } ?? true }
            if let left = behind.first(where: { $0.text != nil }) ?? behind.first {
                try LocalCache.hold(left.id, for: session, at: now, db: db)
                return .claimed(id: left.id, left: left.text, from: left.holder)
            }
            try db.execute(sql: "INSERT INTO draft (accountId, contactId, payload, savedAt) VALUES (?, ?, NULL, ?)",
                           arguments: [accountID, contactID, now.millisecondsSinceEpoch])
            let id = DraftID(db.lastInsertedRowID)
            try LocalCache.hold(id, for: session, at: now, db: db)
            return .claimed(id: id, left: nil, from: nil)
        }
    }

    /// Takes one particular draft a rolo left behind (the start-up offer), unless a running
    /// rolo holds it by now.
    public func adoptDraft(_ id: DraftID, for session: EditorSession, isRunning: (EditorSession) -> Bool) throws -> DraftClaim? {
        let now = clock()
        return try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM draft WHERE id = ?", arguments: [id.rawValue]) else { return nil }
            let draft = LocalCache.heldDraft(row)
            if let holder = draft.holder, holder.session.processKey != session.processKey, isRunning(holder.session) {
                return .held(by: holder)
            }
            try LocalCache.hold(id, for: session, at: now, db: db)
            return .claimed(id: id, left: draft.text, from: draft.holder)
        }
    }

    /// Writes the form's text (nil: the form is open with nothing changed). Returns false, and
    /// writes nothing, when `session` does not hold the draft any more.
    public func saveDraft(_ payload: String?, in id: DraftID, by session: EditorSession) throws -> Bool {
        // Written on every key of a form: it never holds the screen while another rolo's import
        // holds the cache. A busy cache throws `RoloError.busy`, and the form tries again.
        try write(waitingAtMost: LocalCache.draftWait) { db in
            try db.execute(sql: "UPDATE draft SET payload = ?, savedAt = ? WHERE id = ? AND holderKey = ?",
                           arguments: [payload, clock().millisecondsSinceEpoch, id.rawValue, session.processKey])
            return db.changesCount == 1
        }
    }

    /// Ends `session`'s hold on a form and throws its draft away (closed, discarded). Does
    /// nothing to a draft another rolo holds now.
    public func releaseDraft(_ id: DraftID, by session: EditorSession) throws {
        try write { db in try LocalCache.release(id, by: session, db: db, required: false) }
    }

    /// Throws a left-behind draft away, unless a rolo took it meanwhile. Returns whether it
    /// was thrown away.
    public func discardDraft(_ draft: Draft) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM draft WHERE id = ? AND holderKey IS ?",
                           arguments: [draft.id.rawValue, draft.holder?.session.processKey])
            return db.changesCount == 1
        }
    }

    /// Who holds a draft now; nil when nobody does or it is gone.
    public func draftHolder(_ id: DraftID) throws -> DraftHolder? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM draft WHERE id = ?", arguments: [id.rawValue]).flatMap { LocalCache.heldDraft($0).holder }
        }
    }

    /// Every draft with text in it, newest first, whoever holds it.
    public func drafts() throws -> [Draft] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM draft WHERE payload IS NOT NULL ORDER BY savedAt DESC, id DESC")
                .compactMap { LocalCache.heldDraft($0).text }
        }
    }

    /// Drafts with text whose rolo is not running (or that have no holder): what the next
    /// rolo offers back. Reads only.
    public func draftsLeftBehind(isRunning: (EditorSession) -> Bool) throws -> [Draft] {
        try drafts().filter { draft in draft.holder.map { !isRunning($0.session) } ?? true }
    }

    // MARK: - Inside a write

    /// Removes the draft `id` on a save, in the save's transaction. Throws `DraftNotHeld` (and
    /// the save is rolled back) when `session` does not hold it any more.
    static func release(_ id: DraftID, by session: EditorSession, db: Database, required: Bool) throws {
        try db.execute(sql: "DELETE FROM draft WHERE id = ? AND holderKey = ?", arguments: [id.rawValue, session.processKey])
        guard required, db.changesCount == 0 else { return }
        let holder = try Row.fetchOne(db, sql: "SELECT * FROM draft WHERE id = ?", arguments: [id.rawValue])
            .flatMap { heldDraft($0).holder }
        throw DraftNotHeld(holder: holder)
    }

    private static func hold(_ id: DraftID, for session: EditorSession, at time: Timestamp, db: Database) throws {
        try db.execute(sql: """
            UPDATE draft SET holderKey = ?, holderUser = ?, holderAddress = ?, holderHost = ?, holderPid = ?,
                             holderStart = ?, holderBoot = ?, heldSince = ?
            WHERE id = ?
            """, arguments: [session.processKey, session.user, session.clientAddress, session.host, Int64(session.pid),
                             session.processStart.map { Int64(bitPattern: $0) }, session.bootID,
                             time.millisecondsSinceEpoch, id.rawValue])
    }

    /// A draft row: its id, its holder, and its text when it has some.
    private struct HeldDraft {
        let id: DraftID
        let holder: DraftHolder?
        let text: Draft?
    }

    private static func heldDraft(_ row: Row) -> HeldDraft {
        let id = DraftID(row["id"])
        var holder: DraftHolder?
        if let key: String = row["holderKey"], !key.isEmpty {
            let start: Int64? = row["holderStart"]
            let pid: Int64 = row["holderPid"] ?? 0
            holder = DraftHolder(
                session: EditorSession(user: row["holderUser"] ?? "someone", clientAddress: row["holderAddress"],
                                       host: row["holderHost"] ?? "", pid: Int32(truncatingIfNeeded: pid),
                                       processStart: start.map { UInt64(bitPattern: $0) }, bootID: row["holderBoot"]),
                since: Timestamp(millisecondsSinceEpoch: row["heldSince"] ?? row["savedAt"]))
        }
        let contactID: Int64 = row["contactId"]
        let text = (row["payload"] as String?).map { payload in
            Draft(id: id, accountID: row["accountId"], contactID: contactID == 0 ? nil : ContactID(contactID),
                  payload: payload, savedAt: Timestamp(millisecondsSinceEpoch: row["savedAt"]), holder: holder)
        }
        return HeldDraft(id: id, holder: holder, text: text)
    }
}

extension LocalCache {
    /// How long a draft's write waits for another rolo's write: less than a key's repeat.
    static let draftWait: TimeInterval = 0.05
}
