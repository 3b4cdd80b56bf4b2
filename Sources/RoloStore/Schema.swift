import GRDB

/// The cache's schema, as ordered, named migrations. A migration, once released, never
/// changes: a new need is a new migration appended at the end. The SQL is written out in
/// full (not generated from `StandardField`), so that adding a field later is a visible step.
///
/// A migration runs SQL only, never rolo's own code: code moves on, and a migration that called
/// it would write rows of a later shape into the tables of its day (a test reads this file and
/// refuses anything but `db.execute(sql:)` inside a migration). What needs code — indexing the
/// contacts again — is asked for by a migration and done by `finishMigrations`, after the last
/// migration, with the code that matches the schema as it then is.
enum Schema {
    /// The SQL a migration runs when the full-text index must be built again: the index is
    /// emptied, and `finishMigrations` fills it from the contacts once every migration has run.
    /// A later migration that changes what the index holds ends with the same statement.
    static let requestIndexRebuild = """
        DELETE FROM contact_fts;
        DELETE FROM search_term;
        CREATE TABLE IF NOT EXISTS search_index_rebuild (requested INTEGER NOT NULL);
        INSERT INTO search_index_rebuild (requested) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM search_index_rebuild);
        """

    /// True when no migration left work for `finishMigrations`.
    static func isSettled(_ db: Database) throws -> Bool {
        guard try db.tableExists("search_index_rebuild") else { return true }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM search_index_rebuild") == 0
    }

    /// Does what the migrations asked for, with today's code, in the transaction of the caller
    /// (so a rebuild that is interrupted is asked for again on the next open).
    static func finishMigrations(_ db: Database) throws {
        guard try !isSettled(db) else { return }
        try SearchIndex.rebuild(db)
        try db.execute(sql: "DELETE FROM search_index_rebuild")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-25 accounts, contacts, custom values, field definitions") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    provider TEXT NOT NULL,
                    settings TEXT NOT NULL DEFAULT '{}',
                    createdAt INTEGER NOT NULL,
                    lastSyncAt INTEGER,
                    -- live (not deleted) contacts, kept by triggers so the status bar never counts a million rows
                    contactCount INTEGER NOT NULL DEFAULT 0
                );

                -- One row per contact. `rank` orders the list by name: it is the contact's place in
                -- name order across all accounts, with gaps (see RankAllocator). The full-text index
                -- uses it as its rowid, so a filtered list comes out in name order.
                CREATE TABLE contact (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    uid TEXT NOT NULL UNIQUE,
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    rank INTEGER NOT NULL UNIQUE,
                    sortKey TEXT NOT NULL,
                    displayName TEXT NOT NULL,
                    salutation TEXT, first_name TEXT, last_name TEXT, full_name TEXT, job_title TEXT,
                    company TEXT, email TEXT, phone TEXT, mobile_phone TEXT,
                    address_line_1 TEXT, address_line_2 TEXT, city TEXT, region TEXT, postcode TEXT, country TEXT,
                    timezone TEXT, language TEXT, website TEXT, status TEXT,
                    email_opt_out TEXT, sms_opt_out TEXT, phone_opt_out TEXT, notes TEXT,
                    extensions TEXT,
                    contentHash TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    updatedAt INTEGER NOT NULL,
                    -- set when deleted locally and the delete has not reached the provider yet
                    deletedAt INTEGER
                );
                CREATE INDEX contact_by_sort_key ON contact(sortKey);
                CREATE INDEX contact_by_account_rank ON contact(accountId, rank);
                CREATE INDEX contact_by_change ON contact(accountId, updatedAt, id);
                CREATE INDEX contact_by_change_all ON contact(updatedAt, id);
                CREATE INDEX contact_by_email ON contact(accountId, email COLLATE NOCASE);

                CREATE TABLE custom_value (
                    contactId INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    type TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (contactId, key)
                ) WITHOUT ROWID;

                CREATE TABLE field_definition (
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    label TEXT NOT NULL,
                    type TEXT NOT NULL,
                    options TEXT NOT NULL DEFAULT '[]',
                    isRequired INTEGER NOT NULL DEFAULT 0,
                    isReadOnly INTEGER NOT NULL DEFAULT 0,
                    wholeNumbersOnly INTEGER NOT NULL DEFAULT 0,
                    maxLength INTEGER,
                    providerRef TEXT,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (accountId, key)
                ) WITHOUT ROWID;

                CREATE TRIGGER contact_count_insert AFTER INSERT ON contact WHEN new.deletedAt IS NULL BEGIN
                    UPDATE account SET contactCount = contactCount + 1 WHERE id = new.accountId;
                END;
                CREATE TRIGGER contact_count_delete AFTER DELETE ON contact WHEN old.deletedAt IS NULL BEGIN
                    UPDATE account SET contactCount = contactCount - 1 WHERE id = old.accountId;
                END;
                CREATE TRIGGER contact_count_tombstone AFTER UPDATE OF deletedAt ON contact
                WHEN (old.deletedAt IS NULL) != (new.deletedAt IS NULL) BEGIN
                    UPDATE account SET contactCount = contactCount + (CASE WHEN new.deletedAt IS NULL THEN 1 ELSE -1 END)
                    WHERE id = new.accountId;
                END;
                """)
        }
        migrator.registerMigration("2026-11-25 remote links, outbox, drafts, conflicts, audit log") { db in
            try db.execute(sql: """
                -- The provider's id for a contact and the last record both sides agreed on:
                -- the base of the three-way merge.
                CREATE TABLE remote_link (
                    contactId INTEGER PRIMARY KEY REFERENCES contact(id) ON DELETE CASCADE,
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    remoteId TEXT NOT NULL,
                    remoteModifiedAt TEXT,
                    baseRecord TEXT,
                    baseHash TEXT,
                    syncedAt INTEGER,
                    UNIQUE (accountId, remoteId)
                );

                -- Edits waiting for the provider. An entry leaves only once the provider confirmed it.
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    contactId INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    operation TEXT NOT NULL,
                    deltas TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    lastError TEXT,
                    nextAttemptAt INTEGER
                );
                CREATE INDEX outbox_by_contact ON outbox(contactId);
                CREATE INDEX outbox_by_account ON outbox(accountId, id);

                -- Unfinished edit forms; at most one per contact (or per account for a new contact).
                CREATE TABLE draft (
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    contactId INTEGER NOT NULL,   -- 0 for a contact being created
                    payload TEXT NOT NULL,
                    savedAt INTEGER NOT NULL,
                    PRIMARY KEY (accountId, contactId)
                ) WITHOUT ROWID;

                CREATE TABLE conflict (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    contactId INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    baseValue TEXT,
                    localValue TEXT,
                    remoteValue TEXT,
                    detectedAt INTEGER NOT NULL
                );
                CREATE INDEX conflict_by_contact ON conflict(contactId);

                -- Who changed what, and when. No foreign key: the log outlives the contacts.
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    clientAddress TEXT,
                    contactId INTEGER NOT NULL,
                    contactUid TEXT NOT NULL,
                    action TEXT NOT NULL,
                    deltas TEXT NOT NULL
                );
                CREATE INDEX audit_by_contact ON audit(contactId, id);
                """)
        }
        migrator.registerMigration("2026-11-25 full-text index for the live filter") { db in
            // Columns: the searchable standard fields, then custom values keyed by field
            // (`custom`) and as plain words (`custom_text`), then the account as one exact
            // token (`a12`), so a filter within an account is one more term. Prefixes of 1 to 3 characters are
            // indexed, so typing a short prefix reads one list instead of merging thousands;
            // longer prefixes go through `search_term` (see SearchIndex).
            try db.execute(sql: """
                CREATE VIRTUAL TABLE contact_fts USING fts5(
                    salutation, first_name, last_name, full_name, job_title, company, email, phone, mobile_phone,
                    address_line_1, address_line_2, city, region, postcode, country, timezone, language, website,
                    status, notes, custom, custom_text, account,
                    tokenize = 'unicode61 remove_diacritics 2',
                    prefix = '1 2 3'
                );

                -- Every word of 4 or more characters the index holds (except digit runs), exactly
                -- as the tokenizer stored it. A prefix like `exampl` is looked up here and searched
                -- as the few words it can be, which FTS5 walks lazily in rank order, instead of
                -- merging the postings of every matching word first. Words are never removed: one
                -- that no contact holds any more costs nothing to search for.
                CREATE TABLE search_term (term TEXT PRIMARY KEY) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("2026-11-25 kept count of waiting edits") { db in
            // The status bar shows the edits waiting per account on every start and every
            // change; counting outbox rows there would cost milliseconds per 100k entries.
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN pendingCount INTEGER NOT NULL DEFAULT 0;
                UPDATE account SET pendingCount = (SELECT count(*) FROM outbox WHERE outbox.accountId = account.id);
                CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
                    UPDATE account SET pendingCount = pendingCount + 1 WHERE id = new.accountId;
                END;
                CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
                    UPDATE account SET pendingCount = pendingCount - 1 WHERE id = old.accountId;
                END;
                """)
        }
        migrator.registerMigration("2026-11-25 letters and digits as separate words in the index") { db in
            // SearchText now cuts `adams70358` into `adams 70358`; rows indexed before must be
            // cut the same way, or a search would miss them. The index is rebuilt after the
            // last migration (see `requestIndexRebuild`).
            try db.execute(sql: requestIndexRebuild)
        }
        migrator.registerMigration("2026-11-25 shown names and unreachable account tokens in the index") { db in
            // The full-name column now holds the name as shown (first and last when there is no
            // full name), and the account token moved from `a12` (which the prefix `a` matched
            // in every row) to a private-use character and the id.
            try db.execute(sql: requestIndexRebuild)
        }
        migrator.registerMigration("2026-12-06 delivery outbox, edit history, sync state") { db in
            // The outbox was one row per edit and also served as the undo stack. It becomes a
            // delivery queue: one entry per contact saying what must reach the provider, its
            // state and retry schedule. Undo moves to the audit log (`undo` column), which
            // already held every edit with its before and after.
            try db.execute(sql: """
                ALTER TABLE audit ADD COLUMN accountId INTEGER;
                UPDATE audit SET accountId = (SELECT accountId FROM contact WHERE contact.id = audit.contactId);
                -- open: an edit that can still be undone; sent: it reached the provider; undone;
                -- no: not an edit of the user's (an import, a change from the provider, an undo).
                ALTER TABLE audit ADD COLUMN undo TEXT NOT NULL DEFAULT 'no';
                -- user: typed in rolo (or imported); provider: applied from a sync.
                ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT 'user';

                -- The edits still waiting in the old outbox are the ones undo could reach: the
                -- newest edits of each contact, as many as it had waiting.
                UPDATE audit SET undo = 'open' WHERE id IN (
                    SELECT a.id FROM audit a
                    WHERE a.action IN ('create', 'update', 'delete')
                      AND (SELECT count(*) FROM audit b WHERE b.contactId = a.contactId AND b.id > a.id
                                                        AND b.action IN ('create', 'update', 'delete'))
                          < (SELECT count(*) FROM outbox o WHERE o.contactId = a.contactId));
                CREATE INDEX audit_open_edits ON audit(accountId, id) WHERE undo = 'open';

                DROP TRIGGER outbox_count_insert;
                DROP TRIGGER outbox_count_delete;
                DROP INDEX outbox_by_contact;
                DROP INDEX outbox_by_account;
                ALTER TABLE outbox RENAME TO outbox_v1;

                CREATE TABLE outbox (
                    contactId INTEGER PRIMARY KEY REFERENCES contact(id) ON DELETE CASCADE,
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'delete')),
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'failed', 'conflict')),
                    -- bumped by every local change; a push confirms only the revision it sent
                    revision INTEGER NOT NULL DEFAULT 1,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt INTEGER,
                    lastError TEXT,
                    -- stable across retries of one create, so a retried create finds the first
                    idempotencyKey TEXT NOT NULL,
                    -- while sending: the sync run, the revision it sent and the newest edit it carries
                    claimedBy TEXT,
                    claimedRevision INTEGER,
                    claimedHistory INTEGER,
                    -- the record last sent and not yet confirmed: a run killed after the provider
                    -- applied it, but before the answer was stored, knows that change as its own
                    sentRecord TEXT,
                    createdAt INTEGER NOT NULL,
                    updatedAt INTEGER NOT NULL
                );
                CREATE INDEX outbox_due ON outbox(accountId, state, nextAttemptAt);

                INSERT INTO outbox (contactId, accountId, kind, state, idempotencyKey, createdAt, updatedAt)
                SELECT c.id, c.accountId,
                       CASE WHEN c.deletedAt IS NOT NULL THEN 'delete' WHEN l.contactId IS NULL THEN 'create' ELSE 'update' END,
                       'pending', lower(hex(randomblob(16))), o.firstAt, o.lastAt
                FROM (SELECT contactId, min(createdAt) AS firstAt, max(createdAt) AS lastAt FROM outbox_v1 GROUP BY contactId) o
                JOIN contact c ON c.id = o.contactId
                JOIN account a ON a.id = c.accountId AND a.provider != 'local'
                LEFT JOIN remote_link l ON l.contactId = c.id
                WHERE NOT (c.deletedAt IS NOT NULL AND l.contactId IS NULL)
                  AND NOT (c.deletedAt IS NULL AND l.contactId IS NOT NULL AND c.contentHash = l.baseHash);
                DROP TABLE outbox_v1;

                -- What a local account's contacts never had to wait for, they do not wait for now.
                UPDATE account SET pendingCount = (SELECT count(*) FROM outbox WHERE outbox.accountId = account.id);
                CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
                    UPDATE account SET pendingCount = pendingCount + 1 WHERE id = new.accountId;
                END;
                CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
                    UPDATE account SET pendingCount = pendingCount - 1 WHERE id = old.accountId;
                END;

                -- field: the same field changed on both sides; remoteDeleted: deleted at the
                -- provider while edited here; localDeleted: deleted here while edited there.
                ALTER TABLE conflict ADD COLUMN kind TEXT NOT NULL DEFAULT 'field';

                -- Per account: where sync stands.
                CREATE TABLE sync_state (
                    accountId INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
                    -- the provider stamp the next modified-since listing starts from
                    highWaterMark TEXT,
                    lastFullListingAt INTEGER,
                    lastRunAt INTEGER,
                    lastOutcome TEXT,
                    lastError TEXT
                );
                """)
        }
        migrator.registerMigration("2026-12-06 drafts belong to the rolo that holds the form") { db in
            // Two people on one cache: a draft is held by the rolo process typing it (who, which
            // process, since when), so a second rolo can tell "being edited elsewhere" from "left
            // behind by a rolo that ended". A contact has at most one form open; new contacts
            // have one per rolo, so they get their own row id. Drafts of before keep their text
            // and have no holder: they are offered back, as before.
            try db.execute(sql: """
                CREATE TABLE draft_held (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    contactId INTEGER NOT NULL,   -- 0 for a contact being created
                    payload TEXT,                 -- NULL while the form is open and nothing changed
                    savedAt INTEGER NOT NULL,
                    holderKey TEXT,               -- EditorSession.processKey; NULL: no rolo holds it
                    holderUser TEXT,
                    holderAddress TEXT,
                    holderHost TEXT,
                    holderPid INTEGER,
                    holderStart INTEGER,
                    holderBoot TEXT,
                    heldSince INTEGER
                );
                INSERT INTO draft_held (accountId, contactId, payload, savedAt)
                    SELECT accountId, contactId, payload, savedAt FROM draft;
                DROP TABLE draft;
                ALTER TABLE draft_held RENAME TO draft;
                CREATE UNIQUE INDEX draft_by_contact ON draft(accountId, contactId) WHERE contactId != 0;
                CREATE INDEX draft_by_account ON draft(accountId, contactId);
                """)
        }
        migrator.registerMigration("2026-12-06 search index rebuilt: rows written under a moved contact's old rank") { db in
            // Before this, an import that moved contacts to make room in the list order could
            // write their queued index rows under their old ranks, so a search counted contacts
            // it then did not list. Built again once with the code of the day.
            try db.execute(sql: requestIndexRebuild)
        }
        migrator.registerMigration("2026-12-06 list rows read from one index") { db in
            // Every column a list row shows, in list order: `rolo list --tsv` of 100k contacts
            // reads ~10 MB of index instead of each contact's whole row (0.35 → 0.18 s), and the
            // TUI's windows touch fewer pages.
            try db.execute(sql: """
                CREATE INDEX contact_list_rows ON contact(rank, accountId, deletedAt, displayName, email, company,
                                                          mobile_phone, phone, updatedAt)
                """)
        }
        migrator.registerMigration("2026-12-06 link keeps the digest of its base") { db in
            // The sync's digest of what the provider held when both sides last agreed: a
            // listing that brings a contact again unchanged is decided from the link row, and
            // a change made within the stamp's resolution is still seen. Unknown (NULL) until a
            // pull writes or finds a base agreed.
            try db.execute(sql: """
                ALTER TABLE remote_link ADD COLUMN baseDigest TEXT
                """)
        }
        migrator.registerMigration("2026-12-06 further emails and phones with their labels") { db in
            // Emails beyond the first and phones beyond phone and mobile phone, as address
            // books hold them: a JSON array of {"label", "value"} objects, NULL when none. Kept
            // in rolo only (no provider holds them), searched under email: and phone:. Contacts
            // imported before keep such values as preserved vCard lines until imported again.
            try db.execute(sql: """
                ALTER TABLE contact ADD COLUMN other_emails TEXT;
                ALTER TABLE contact ADD COLUMN other_phones TEXT
                """)
        }
        return migrator
    }

    /// The standard-field columns of `contact`, in `StandardField` order.
    static let fieldColumns: [StandardField] = StandardField.allCases

    /// The columns of `contact_fts`, in order.
    static let searchColumns: [String] = StandardField.searchable.map(\.key) + ["custom", "custom_text", "account"]
}

import RoloCore
