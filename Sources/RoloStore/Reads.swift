import GRDB
import GRDBSQLite
import RoloCore

extension LocalCache {
    /// A live contact by row id.
    public func contact(_ id: ContactID) throws -> Contact? {
        try read { db in try ContactRows.load(id: id.rawValue, db: db) }
    }

    /// Live contacts with this email in an account (or in every account), ignoring case.
    public func contacts(withEmail email: String, in scope: AccountScope) throws -> [ContactID] {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            return try Int64.fetchAll(db, sql: """
                SELECT id FROM contact WHERE accountId BETWEEN ? AND ? AND email = ? COLLATE NOCASE AND deletedAt IS NULL
                ORDER BY id
                """, arguments: [low, high, email.trimmingCharacters(in: .whitespaces)]).map(ContactID.init)
        }
    }

    /// Where a live contact is in the list orders, or nil when it is not live.
    public func cursor(of id: ContactID) throws -> ListCursor? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT rank, updatedAt FROM contact WHERE id = ? AND deletedAt IS NULL",
                             arguments: [id.rawValue]).map { ListCursor(contactID: id, rank: $0["rank"], updatedAt: $0["updatedAt"]) }
        }
    }

    /// A contact's link to its provider, if it has one.
    public func remoteReference(of id: ContactID) throws -> RemoteReference? {
        try read { db in try LocalCache.remoteReference(of: id.rawValue, db: db) }
    }

    static func remoteReference(of id: Int64, db: Database) throws -> RemoteReference? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(remoteReferenceColumns) FROM remote_link l WHERE l.contactId = ?"),
                         arguments: [id]).map(remoteReference(from:))
    }

    /// `remoteReference(of:)` for many contacts in one query, by contact id.
    static func remoteReferences(of ids: [Int64], db: Database) throws -> [Int64: RemoteReference] {
        guard !ids.isEmpty else { return [:] }
        var found: [Int64: RemoteReference] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT \(remoteReferenceColumns) FROM remote_link l WHERE l.contactId IN (\(ids.map(String.init).joined(separator: ",")))
            """)
        while let row = try rows.next() { found[row[3]] = remoteReference(from: row) }
        return found
    }

    /// A link as `remoteReference` reads it, and its contact's id last. The base record only
    /// while edits wait to be sent: otherwise the contact is its own base, and an export of many
    /// linked contacts need not read every base.
    private static let remoteReferenceColumns = """
        l.remoteId, l.remoteModifiedAt,
        CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.contactId = l.contactId) THEN l.baseRecord END, l.contactId
        """

    private static func remoteReference(from row: Row) -> RemoteReference {
        RemoteReference(id: row[0], modifiedAt: row[1], base: row[2])
    }

    /// Which provider ids of an account are already linked to a contact.
    public func linkedRemoteIDs(_ ids: [String], accountID: Int64) throws -> Set<String> {
        try read { db in
            var found = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                found.formUnion(try String.fetchAll(db, sql: "SELECT remoteId FROM remote_link WHERE accountId = ? AND remoteId IN (\(marks))",
                                                    arguments: StatementArguments([accountID] + chunk)))
            }
            return found
        }
    }

    /// Which of these uids the cache already holds (deleted contacts included).
    public func existingUIDs(_ uids: [String]) throws -> Set<String> {
        try read { db in try LocalCache.existingUIDs(uids, db: db) }
    }

    static func existingUIDs(_ uids: [String], db: Database) throws -> Set<String> {
        var found = Set<String>()
        for chunk in stride(from: 0, to: uids.count, by: 500).map({ Array(uids[$0..<min($0 + 500, uids.count)]) }) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            found.formUnion(try String.fetchAll(db, sql: "SELECT uid FROM contact WHERE uid IN (\(marks))",
                                                arguments: StatementArguments(chunk)))
        }
        return found
    }

    /// Finds a contact by what a person typed: a short id, a uid, or a provider's remote id.
    public func resolve(_ reference: String) throws -> ContactID? {
        let text = reference.trimmingCharacters(in: .whitespaces)
        return try read { db in
            if let rowID = ShortID.decode(text),
               try Int64.fetchOne(db, sql: "SELECT id FROM contact WHERE id = ? AND deletedAt IS NULL", arguments: [rowID]) != nil {
                return ContactID(rowID)
            }
            // A uid as written (imported ones keep their case), then as rolo writes UUIDs.
            for candidate in Set([text, text.lowercased()]) {
                if let rowID = try Int64.fetchOne(db, sql: "SELECT id FROM contact WHERE uid = ? AND deletedAt IS NULL",
                                                  arguments: [candidate]) {
                    return ContactID(rowID)
                }
            }
            return try Int64.fetchOne(db, sql: """
                SELECT l.contactId FROM remote_link l JOIN contact c ON c.id = l.contactId
                WHERE l.remoteId = ? AND c.deletedAt IS NULL LIMIT 1
                """, arguments: [text]).map(ContactID.init)
        }
    }

    /// Everything the detail pane shows about a contact.
    public func detail(_ id: ContactID) throws -> ContactDetail? {
        try read { db in
            guard let contact = try ContactRows.load(id: id.rawValue, db: db),
                  let accountRow = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [contact.accountID])
            else { return nil }
            let account = try self.account(accountRow)
            let link = try Row.fetchOne(db, sql: "SELECT * FROM remote_link WHERE contactId = ?", arguments: [id.rawValue]).map { row in
                RemoteLink(accountID: row["accountId"], remoteID: row["remoteId"], remoteModifiedAt: row["remoteModifiedAt"],
                           syncedAt: (row["syncedAt"] as Int64?).map(Timestamp.init))
            }
            return ContactDetail(contact: contact, account: account,
                                 definitions: try LocalCache.definitions(accountID: account.id, db: db),
                                 remoteLink: link, syncState: try LocalCache.syncState(of: id, account: account, db: db))
        }
    }

    static func syncState(of id: ContactID, account: Account, db: Database) throws -> SyncState {
        if account.isLocal { return .localOnly }
        let conflicts = try String.fetchAll(db, sql: "SELECT DISTINCT field FROM conflict WHERE contactId = ? ORDER BY field",
                                            arguments: [id.rawValue])
        if !conflicts.isEmpty { return .conflict(fields: conflicts) }
        guard let entry = try Row.fetchOne(db, sql: "SELECT kind, state, attempts, lastError FROM outbox WHERE contactId = ?",
                                           arguments: [id.rawValue]) else { return .synced }
        let kind = try decode(OutboxKind.self, entry["kind"], in: "outbox.kind")
        switch try decode(DeliveryState.self, entry["state"], in: "outbox.state") {
        case .pending: return .pending(kind, attempts: entry["attempts"], lastError: entry["lastError"])
        case .sending: return .sending(kind)
        case .failed: return .failed(kind, message: entry["lastError"] ?? "the provider refused it")
        case .conflict: return .conflict(fields: [])
        }
    }

    /// Live contacts in the scope (kept by triggers, so this never counts rows).
    public func contactCount(in scope: AccountScope) throws -> Int {
        try read { db in
            switch scope {
            case .all: try Int.fetchOne(db, sql: "SELECT total(contactCount) FROM account") ?? 0
            case .account(let id): try Int.fetchOne(db, sql: "SELECT contactCount FROM account WHERE id = ?", arguments: [id]) ?? 0
            }
        }
    }

    /// Contacts waiting for their provider (local accounts have none). Kept by triggers, so
    /// this never counts outbox rows.
    public func pendingEditCount(in scope: AccountScope) throws -> Int {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            return try Int.fetchOne(db, sql: """
                SELECT total(pendingCount) FROM account WHERE id BETWEEN ? AND ?
                """, arguments: [low, high]) ?? 0
        }
    }

    /// Contacts with an unresolved conflict. Driven from the conflict table, which holds a
    /// handful of rows, never from the contacts of the scope.
    public func conflictCount(in scope: AccountScope) throws -> Int {
        try read { db in
            let (low, high) = LocalCache.accountIDRange(scope)
            return try Int.fetchOne(db, sql: """
                SELECT count(DISTINCT f.contactId) FROM conflict f CROSS JOIN contact c ON c.id = f.contactId
                WHERE c.accountId BETWEEN ? AND ?
                """, arguments: [low, high]) ?? 0
        }
    }

    /// The audit log of one contact, newest first.
    public func audit(for contact: ContactID, limit: Int = 100) throws -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE contactId = ? ORDER BY id DESC LIMIT ?",
                             arguments: [contact.rawValue, limit]).map { row in
                AuditEntry(id: row["id"], at: Timestamp(millisecondsSinceEpoch: row["at"]),
                           author: Author(user: row["user"], clientAddress: row["clientAddress"]),
                           contactID: ContactID(row["contactId"]), action: row["action"], deltas: try DeltaCoding.decode(row["deltas"], table: "audit"))
            }
        }
    }

    /// Calls `body` with every live contact in the scope that matches, and its provider link,
    /// in list order, a page at a time (each page one read), so that an export of a million
    /// contacts never holds them all.
    public func forEachContact(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                               _ body: (Contact, RemoteReference?) throws -> Void) throws {
        var anchor = WindowAnchor.first
        while true {
            let page = try window(in: scope, matching: query, order: order, from: anchor, limit: 500)
            let contacts = try read { db in
                let ids = page.rows.map(\.id.rawValue)
                let links = try LocalCache.remoteReferences(of: ids, db: db)
                return try ContactRows.load(ids: ids, db: db).map { ($0, links[$0.id!.rawValue]) }
            }
            for (contact, remote) in contacts { try body(contact, remote) }
            guard let last = page.rows.last, !page.reachedEnd else { return }
            anchor = .after(last.cursor)
        }
    }

    static func accountIDRange(_ scope: AccountScope) -> (Int64, Int64) {
        switch scope {
        case .all: (Int64.min, Int64.max)
        case .account(let id): (id, id)
        }
    }
}
