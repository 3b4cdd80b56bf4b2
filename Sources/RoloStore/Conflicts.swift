import GRDB
import RoloCore

extension LocalCache {
    /// Every contact in conflict in the scope, oldest conflict first.
    public func conflictedContacts(in scope: AccountScope) throws -> [ConflictedContact] {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            return try Row.fetchAll(db, sql: """
                SELECT c.id, c.accountId, c.displayName, min(f.detectedAt) AS detectedAt
                FROM conflict f JOIN contact c ON c.id = f.contactId
                WHERE c.accountId BETWEEN ? AND ? GROUP BY c.id ORDER BY detectedAt, c.id
                """, arguments: [low, high]).map { row in
                ConflictedContact(contactID: ContactID(row["id"]), accountID: row["accountId"], displayName: row["displayName"],
                                  conflicts: try LocalCache.conflicts(contactID: row["id"], db: db),
                                  detectedAt: Timestamp(millisecondsSinceEpoch: row["detectedAt"]))
            }
        }
    }

    /// Settles a contact's conflicts: `fields` names a side per field, `all` the side of every
    /// other one (and of a conflict over a deleted contact). Conflicts no side is given for
    /// stay. Taking theirs writes the provider's value here; keeping mine leaves the local
    /// value to be sent. Returns the conflicts that remain.
    @discardableResult
    public func resolveConflicts(of id: ContactID, fields: [FieldKey: ConflictSide], all: ConflictSide?,
                                 author: Author) throws -> [FieldConflict] {
        try write { db in
            guard let state = try LocalCache.syncState(contactID: id.rawValue, db: db) else {
                throw RoloError.notFound("no contact \(id.shortID)")
            }
            guard !state.conflicts.isEmpty else {
                throw RoloError.invalid(field: "id", "\(state.contact.displayName) has no conflict to resolve")
            }
            for key in fields.keys where !state.conflicts.contains(where: { $0.key == key }) {
                throw RoloError.invalid(field: DeltaCoding.fieldName(key), "is not in conflict for \(state.contact.displayName) "
                    + "(in conflict: \(state.conflicts.compactMap { $0.key.map(DeltaCoding.fieldName) }.joined(separator: ", ")))")
            }
            let now = clock().millisecondsSinceEpoch
            var remaining: [FieldConflict] = []
            var edit = ContactEdit()
            for conflict in state.conflicts {
                let side = conflict.key.flatMap { fields[$0] } ?? all
                guard let side else {
                    remaining.append(conflict)
                    continue
                }
                switch (conflict.kind, side) {
                case (.field, .mine):
                    break
                case (.field, .theirs):
                    if let key = conflict.key { edit[key] = conflict.remote.map { .set($0) } ?? .clear }
                case (.remoteDeleted, .mine):
                    // Keep it and create it anew at the provider.
                    try db.execute(sql: "DELETE FROM remote_link WHERE contactId = ?", arguments: [id.rawValue])
                    try db.execute(sql: "UPDATE outbox SET idempotencyKey = ? WHERE contactId = ?",
                                   arguments: [LocalCache.newIdempotencyKey(), id.rawValue])
                case (.remoteDeleted, .theirs):
                    try recordAudit("let go (deleted at provider)", contact: state.contact,
                                    deltas: LocalCache.allFields(of: state.contact).map(\.reverted), author: author, db: db)
                    try LocalCache.purge(contactID: id.rawValue, db: db)
                    return []
                case (.localDeleted, .mine):
                    break
                case (.localDeleted, .theirs):
                    // Bring it back as the provider has it.
                    var restored = state.base ?? state.contact
                    restored.id = id
                    restored.updatedAt = clock()
                    try db.execute(sql: "UPDATE contact SET deletedAt = NULL WHERE id = ?", arguments: [id.rawValue])
                    let index = try SearchIndex.Batch(db)
                    try ContactRows.update(restored, index: index, db: db)
                    try index.flush()
                    try recordAudit("restored (changed at provider)", contact: restored,
                                    deltas: LocalCache.allFields(of: restored), author: author, db: db)
                }
            }
            if !edit.isEmpty {
                var contact = edit.applied(to: state.contact)
                contact.updatedAt = clock()
                let deltas = edit.deltas(against: state.contact)
                let index = try SearchIndex.Batch(db)
                try ContactRows.update(contact, index: index, db: db)
                try index.flush()
                try recordAudit("resolved (theirs)", contact: contact, deltas: deltas, author: author, db: db)
            }
            try LocalCache.replaceConflicts(remaining, contactID: id.rawValue, now: now, db: db)
            try settleOutbox(contactID: id.rawValue, accountID: state.contact.accountID, inConflict: !remaining.isEmpty, db: db)
            return remaining
        }
    }
}
