import GRDB
import RoloCore

/// Stores the contacts of a file as they are read, in one transaction.
///
/// **One transaction, not validated batches.** An import is all or nothing: a bad record (the
/// error names its line), a refused uid, or a kill half-way leaves the cache as it was, and no
/// contact is ever half written. Checking the whole file first and then writing it in several
/// transactions would need the file twice — impossible for a pipe (`rolo import <(cmd)`)
/// without copying it to disk — and a kill between batches would leave part of the file
/// imported. The price is a WAL as large as what the import writes (about 2.3 KB a contact:
/// 230 MB for 100k), which is copied into the database file and emptied when the transaction
/// ends (see LocalCache+Settling.swift), so the next rolo opens the cache at full speed.
///
/// Uniqueness (uids, Notifuse emails, provider ids) is checked against the cache inside the
/// transaction, so contacts earlier in the same file count too, without holding a set of a
/// million uids in memory (a first import skips the lookups that a 2 MiB filter of what it
/// stored rules out: `StoredKeyFilter`). Full-text rows are written in batches (see
/// `SearchIndex.Batch`).
public final class ContactImport {
    let cache: LocalCache
    let db: Database
    let author: Author
    let index: SearchIndex.Batch
    /// Contacts stored so far.
    public private(set) var count = 0

    /// Told where the import's last steps stand, once every contact is stored: they take
    /// nearly half of a large import (110 of 213 s at 1M), with nothing else to show for it.
    public var progress: ((Stage) -> Void)?

    /// A step of an import after its contacts are stored.
    public enum Stage: Sendable, Equatable {
        /// The contacts held until the end (an import into a cache without contacts) are
        /// given their places in name order, `done` of them so far; the list's indexes are
        /// made after the last.
        case ordering(done: Int, of: Int)
        /// Then they are indexed for search: `done` of them so far.
        case indexing(done: Int, of: Int)
        /// Merging the search index and writing everything into the cache.
        case finishing
        /// Committed: the import is in the cache, which is being settled (its WAL copied into
        /// the file). Nothing can undo the import from here.
        case stored
    }

    /// Live contacts before the import: a large import into a small cache merges its index
    /// segments once at the end instead of as it goes.
    let contactsBefore: Int

    /// True while contacts are stored without their place in the list order or their index
    /// row: into a cache without contacts (a new cache, a first import), every contact is one
    /// of this import's, so all of them are placed at the end in one pass, in name order, and
    /// indexed in that order (see `placeHeldContacts`). Placing each as it came cost a query of
    /// its neighbours and, every few dozen contacts, a relabelled stretch, and writing index
    /// rows in file order made FTS5 segments that each spanned the whole list. Ends before
    /// anything edits a stored contact (a duplicate updated), which then finds it placed.
    private(set) var holdsPlaces: Bool
    /// Contacts stored while `holdsPlaces`: each has a negative stand-in rank until placed.
    private var held = 0
    /// Takes the index rows of held contacts and writes nothing: they are indexed when placed.
    private let heldIndex: SearchIndex.Batch
    /// The keys this import stored, when it began on a cache without a single contact (live or
    /// deleted): then every contact is this import's, and a key the filter has certainly not
    /// seen is not in the cache. Nil otherwise.
    private var storedKeys: StoredKeyFilter?
    /// The highest contact id before the import: ids only grow (AUTOINCREMENT), so a contact
    /// with a higher one was stored by this import, from a record earlier in the same file.
    private let lastIDBefore: Int64

    init(cache: LocalCache, db: Database, author: Author) throws {
        self.cache = cache
        self.db = db
        self.author = author
        self.index = try SearchIndex.Batch(db)
        self.heldIndex = try SearchIndex.Batch(db, discarding: true)
        contactsBefore = try Int.fetchOne(db, sql: "SELECT total(contactCount) FROM account") ?? 0
        lastIDBefore = try Int64.fetchOne(db, sql: "SELECT max(id) FROM contact") ?? 0
        // Deleted contacts waiting for their provider count too: they hold ranks.
        holdsPlaces = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM contact LIMIT 1)") == 0
        if holdsPlaces {
            storedKeys = StoredKeyFilter()
            try setIndexesAside()
            // The indexes left are the uid and email ones (written at random places) and those
            // written in order: half the import's usual page cache holds them.
            try db.execute(sql: "PRAGMA cache_size = -\(ContactImport.holdingCacheKiB)")
        }
        // FTS5 merges its segments as they are written (automerge), and every batch of an
        // import is a segment that spans the whole list (contacts come in file order, ranks in
        // name order): at 100k contacts those merges were most of SQLite's time, growing faster
        // than the import. They wait until the end (see `finish`).
        try SearchIndex.setMerging(automerge: 0, crisisMerge: 64, db: db)
    }

    /// Why a contact was not stored. Nothing of it was written.
    public enum Refusal: Sendable, Equatable {
        /// Its uid is already in the cache (an earlier record of the file included).
        case uidTaken
        /// Another live contact of the account has this email (Notifuse's key).
        case emailTaken
        /// The account already has a contact linked to this provider id.
        case remoteTaken
    }

    public func account(named name: String) throws -> Account? {
        try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ? COLLATE NOCASE", arguments: [name]).map(cache.account)
    }

    public func defaultAccount() throws -> Account {
        if let local = try account(named: Account.defaultName) { return local }
        guard let first = try Row.fetchOne(db, sql: "SELECT * FROM account ORDER BY id LIMIT 1") else {
            throw RoloError.cache("the cache has no accounts")
        }
        return try cache.account(first)
    }

    /// Creates an account the file describes, inside the import: a refused import takes it back.
    public func createAccount(_ spec: AccountSpecValues) throws -> Account {
        let name = try LocalCache.checkedAccountName(spec.name)
        let profile = try cache.catalog.require(spec.provider)
        try LocalCache.checkAccountNameIsFree(name, db: db)
        try db.execute(sql: "INSERT INTO account (name, provider, settings, createdAt, lastSyncAt) VALUES (?, ?, ?, ?, ?)",
                       arguments: [name, spec.provider.rawValue, LocalCache.encodeSettings(spec.settings),
                                   cache.clock().millisecondsSinceEpoch, spec.lastSyncAt?.millisecondsSinceEpoch])
        let id = db.lastInsertedRowID
        try LocalCache.replaceDefinitions(spec.definitions, accountID: id, db: db)
        return Account(id: id, name: name, profile: profile, settings: spec.settings)
    }

    /// When the account last finished a sync (an account the file described included).
    public func lastSync(accountID: Int64) throws -> Timestamp? {
        try Int64.fetchOne(db, sql: "SELECT lastSyncAt FROM account WHERE id = ?", arguments: [accountID]).map(Timestamp.init)
    }

    public func fieldDefinitions(accountID: Int64) throws -> [FieldDefinition] {
        try LocalCache.definitions(accountID: accountID, db: db)
    }

    /// Stores a validated contact, linked to its provider id when `remote` is given, unless
    /// its uid, its email (when `emailIsKey`) or its provider id is taken.
    ///
    /// `prepared`, when given, was made from this contact's values (its uid aside).
    public func add(_ contact: Contact, remote: RemoteReference?, emailIsKey: Bool, prepared: PreparedRow? = nil) throws -> Refusal? {
        // `existing(matching:)` just found no contact with this uid, nor a live one of the
        // account with this email: the same two lookups again would find nothing either.
        let lookedUp = lastUnmatched.map { $0 == (contact.uid, contact.accountID, contact.email) } ?? false
        lastUnmatched = nil
        if !lookedUp, mayBeStored(StoredKeyFilter.uid(contact.uid)),
           try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM contact WHERE uid = ?"), arguments: [contact.uid]) != nil {
            return .uidTaken
        }
        if !lookedUp, emailIsKey, let email = contact.email, mayBeStored(StoredKeyFilter.email(email, accountID: contact.accountID)),
           try Row.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM contact WHERE accountId = ? AND email = ? COLLATE NOCASE AND deletedAt IS NULL
            """), arguments: [contact.accountID, email.trimmingSpaces]) != nil {
            return .emailTaken
        }
        if let remote, mayBeStored(StoredKeyFilter.remote(remote.id, accountID: contact.accountID)),
           try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM remote_link WHERE accountId = ? AND remoteId = ?"),
                            arguments: [contact.accountID, remote.id]) != nil {
            return .remoteTaken
        }
        let stored: Contact
        if holdsPlaces {
            held += 1
            if held > mostHeldWithoutIndexes {
                try restoreIndexes()
                try db.execute(sql: "PRAGMA cache_size = -\(LocalCache.importCacheKiB)")
            }
            stored = try cache.insert(contact, rank: -Int64(held), remote: remote, author: author, index: heldIndex,
                                      accountIsLocal: isLocal(contact.accountID), prepared: prepared, db: db)
        } else {
            stored = try cache.insert(contact, remote: remote, author: author, index: index, accountIsLocal: isLocal(contact.accountID),
                                      prepared: prepared, db: db)
        }
        count += 1
        remember(stored)
        if let remote { storedKeys?.insert(StoredKeyFilter.remote(remote.id, accountID: stored.accountID)) }
        if let mobile = stored[.mobilePhone], mobilesByAccount[stored.accountID]?[mobile] == nil {
            mobilesByAccount[stored.accountID]?[mobile] = stored.id?.rawValue
        }
        // Queued rows can wait: placing a contact reads neighbours' ranks, and flushes the queue itself before it moves any.
        if index.count >= SearchIndex.batchSize { try index.flush() }
        return nil
    }

    /// Whether an account is local (nothing to queue for a provider), asked once per account.
    private func isLocal(_ accountID: Int64) throws -> Bool {
        if let known = localAccounts[accountID] { return known }
        let local = try LocalCache.isLocalAccount(accountID, db: db)
        localAccounts[accountID] = local
        return local
    }

    private var localAccounts: [Int64: Bool] = [:]

    // MARK: Finding what a file brings again

    /// How a contact of a file was found already in the cache.
    public enum Match: String, Sendable, Equatable, CaseIterable {
        case uid, email, mobile
    }

    /// A live or deleted contact with this uid anywhere, else a live contact of the account with
    /// the email, else — for a contact without an email — one with the mobile phone: the contact
    /// a second import of the same file would duplicate.
    public func existing(matching contact: Contact) throws -> (id: ContactID, accountID: Int64, match: Match)? {
        lastUnmatched = nil
        guard let found = try lookUp(contact) else {
            lastUnmatched = (contact.uid, contact.accountID, contact.email)
            return nil
        }
        return found
    }

    /// Whether a contact was stored by this import (a record earlier in the same file), not
    /// one the cache held before it: a file that repeats a contact is not told it was "already
    /// in the cache".
    public func isStoredByThisImport(_ id: ContactID) -> Bool {
        id.rawValue > lastIDBefore
    }

    /// The uid, account and email of the contact `existing(matching:)` last found nothing for,
    /// until the next `add`.
    private var lastUnmatched: (uid: String, accountID: Int64, email: String?)?

    /// False when the key is certainly not in the cache (see `storedKeys`).
    private func mayBeStored(_ key: String) -> Bool {
        storedKeys?.mayContain(key) ?? true
    }

    /// Adds a stored contact's uid and email to `storedKeys`.
    private func remember(_ contact: Contact) {
        guard storedKeys != nil else { return }
        storedKeys!.insert(StoredKeyFilter.uid(contact.uid))
        if let email = contact.email { storedKeys!.insert(StoredKeyFilter.email(email, accountID: contact.accountID)) }
    }

    private func lookUp(_ contact: Contact) throws -> (id: ContactID, accountID: Int64, match: Match)? {
        if mayBeStored(StoredKeyFilter.uid(contact.uid)),
           let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, accountId FROM contact WHERE uid = ?"), arguments: [contact.uid]) {
            return (ContactID(row["id"]), row["accountId"], .uid)
        }
        if let email = contact.email?.trimmingSpaces, !email.isEmpty {
            guard mayBeStored(StoredKeyFilter.email(email, accountID: contact.accountID)) else { return nil }
            return try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT id FROM contact WHERE accountId = ? AND email = ? COLLATE NOCASE AND deletedAt IS NULL ORDER BY id LIMIT 1
                """), arguments: [contact.accountID, email]).map { (ContactID($0), contact.accountID, .email) }
        }
        if let mobile = contact[.mobilePhone], let id = try mobiles(of: contact.accountID)[mobile] {
            return (ContactID(id), contact.accountID, .mobile)
        }
        return nil
    }

    /// Gives an existing contact the values a file has for it (what the file leaves empty stays),
    /// as an edit: history, outbox and index as any edit. Returns whether anything changed.
    public func update(_ id: ContactID, with contact: Contact) throws -> Bool {
        var edit = ContactEdit()
        for (field, value) in contact.fields { edit.set(field, value) }
        for (key, value) in contact.custom { edit.set(custom: key, value) }
        // The edit places the contact by its name; the contacts held so far must be placed, and
        // the rows queued so far written, first.
        try placeHeldContacts()
        try index.flush()
        // Further emails and phones: the file's new ones join the contact's own (none is
        // dropped), as part of the same edit — one line of history, which `u` takes back whole.
        let (stored, deltas) = try cache.update(id, editing: { current in
            var whole = edit
            let joined = edit.applied(to: current).addingOtherValues(of: contact)
            for kind in OtherValueKind.allCases where joined[others: kind] != current[others: kind] {
                whole[.others(kind)] = .set(.list(joined[others: kind]))
            }
            return whole
        }, author: author, releasing: nil, adding: [], db: db)
        remember(stored)
        if let mobile = stored[.mobilePhone] { mobilesByAccount[stored.accountID]?[mobile] = id.rawValue }
        return !deltas.isEmpty
    }

    /// Mobile numbers of an account's live contacts, read in one pass the first time a contact
    /// without an email needs them: there is no index on mobile phones, and a query per contact
    /// would read the whole account each time.
    private var mobilesByAccount: [Int64: [String: Int64]] = [:]

    private func mobiles(of accountID: Int64) throws -> [String: Int64] {
        if let known = mobilesByAccount[accountID] { return known }
        var found: [String: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, mobile_phone FROM contact WHERE accountId = ? AND mobile_phone IS NOT NULL AND deletedAt IS NULL ORDER BY id
            """, arguments: [accountID])
        while let row = try rows.next() {
            let mobile: String = row["mobile_phone"]
            if found[mobile] == nil { found[mobile] = row["id"] }
        }
        mobilesByAccount[accountID] = found
        return found
    }

    /// Gives the contacts stored while `holdsPlaces` their ranks — `heldSpacing` apart in name
    /// order, as they are the only contacts of the cache — and writes their index rows in rank
    /// order. Later contacts of the import are placed one by one.
    func placeHeldContacts() throws {
        guard holdsPlaces else { return }
        holdsPlaces = false
        if held > 0 { progress?(.ordering(done: 0, of: held)) }
        // The name order is read from its index, made again first; those keyed by rank are
        // made once the ranks are final.
        try restoreIndexes { $0 == "contact_by_sort_key" }
        try db.execute(sql: "PRAGMA cache_size = -\(ContactImport.holdingCacheKiB)")
        if held > 0 {
            // Every contact of the cache is one of this import's (see `holdsPlaces`), read in
            // name order a slice at a time (a million ids at once were 8 MB more at the peak).
            // Each slice is written in id order, the order of the table: written in name order,
            // every update read a page of the table at random, and with a million contacts
            // that was most of the time placing them took.
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM contact") ?? 0
            let spacing = min(ContactImport.heldSpacing, (RankSpace.upper - RankSpace.lower) / Int64(count + 1))
            var rank = RankSpace.lower + (RankSpace.upper - RankSpace.lower - spacing * Int64(count - 1)) / 2
            let setRank = try db.cachedStatement(sql: "UPDATE contact SET rank = ? WHERE id = ?")
            let slice = try db.cachedStatement(sql: """
                SELECT id, sortKey FROM contact WHERE (sortKey, id) > (?, ?) ORDER BY sortKey, id LIMIT \(ContactImport.placingSlice)
                """)
            var after: (key: String, id: Int64) = ("", 0)
            var placed = 0
            var ranks: [(id: Int64, rank: Int64)] = []
            ranks.reserveCapacity(ContactImport.placingSlice)
            while true {
                ranks.removeAll(keepingCapacity: true)
                let rows = try Row.fetchCursor(slice, arguments: [after.key, after.id])
                while let row = try rows.next() {
                    ranks.append((row[0], rank))
                    rank += spacing
                    after = (row[1], row[0])
                }
                guard !ranks.isEmpty else { break }
                ranks.sort { $0.id < $1.id }
                for entry in ranks { try setRank.execute(arguments: [entry.rank, entry.id]) }
                placed += ranks.count
                progress?(.ordering(done: placed, of: held))
            }
        }
        try restoreIndexes()
        defer { try? db.execute(sql: "PRAGMA cache_size = -\(LocalCache.importCacheKiB)") }
        guard held > 0 else { return }
        progress?(.indexing(done: 0, of: held))
        // Rows in rank order build the index as one run: FTS5 keeps more of it in memory
        // before it writes a segment, and the page cache gives up that much and more (the peak
        // of a large import was here).
        try db.execute(sql: "PRAGMA cache_size = -\(ContactImport.indexingCacheKiB)")
        try SearchIndex.setHashSize(ContactImport.indexingHashBytes, db: db)
        let whole = try SearchIndex.Batch(db, collectsVocabulary: false)
        try SearchIndex.indexLiveContacts(db, into: whole) { [held, progress] in progress?(.indexing(done: $0, of: held)) }
        wordsToRemember = true
        try SearchIndex.setHashSize(SearchIndex.defaultHashSize, db: db)
    }

    static let indexingCacheKiB = 8192
    /// Contacts placed per slice: 16 bytes each in memory, and each page of the table read
    /// once per slice at most.
    static let placingSlice = 65_536
    static let holdingCacheKiB = 16384
    static let indexingHashBytes = 4 << 20

    /// How far apart held contacts are placed, in the middle of the rank space: room for
    /// millions of later contacts between any two before a stretch is relabelled, and no
    /// further — the index stores each row's distance from the one before, and spreading a
    /// hundred thousand contacts over the whole space made those distances 7 bytes each
    /// instead of 4 (an index a third larger than the one placing them one by one made).
    static let heldSpacing: Int64 = 1 << 24

    /// Indexes of `contact` that nothing reads while contacts are held: they are dropped then,
    /// inside the import's transaction, and made again from their own SQL when the contacts
    /// are placed — one sort each, instead of an insert at a random place per contact (and
    /// for those keyed by rank, a second one when the contact gets its rank). The uid and email
    /// indexes stay: every record of the file is checked against them.
    static let indexesUnreadWhileHolding: Set<String> = [
        "contact_by_sort_key", "contact_by_account_rank", "contact_by_change", "contact_by_change_all", "contact_list_rows",
    ]
    /// Past this many contacts held, the indexes are made again at once, and kept up as the
    /// rest come. Making one sorts every row, which SQLite does within the page cache's size,
    /// spilling to a temporary file — except where temporary storage had to stay in memory
    /// (see `LocalCache.statementJournalsInMemory`): then the sort holds every row, and no more
    /// than 100k are held. Keeping the indexes up from there made a million-contact import a
    /// fifth slower and its peak 6 MB higher.
    var mostHeldWithoutIndexes = LocalCache.statementJournalsInMemory ? Int.max : 100_000
    /// The indexes dropped, with the SQL that made them, in the schema's order.
    private var setAside: [(name: String, sql: String)] = []

    private func setIndexesAside() throws {
        for row in try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact' AND sql IS NOT NULL ORDER BY rowid
            """) where ContactImport.indexesUnreadWhileHolding.contains(row["name"]) {
            setAside.append((row["name"], row["sql"]))
        }
        for index in setAside { try db.execute(sql: "DROP INDEX \(index.name)") }
    }

    private func restoreIndexes(where wanted: (String) -> Bool = { _ in true }) throws {
        guard setAside.contains(where: { wanted($0.name) }) else { return }
        // SQLite's sorter may take as much memory as the page cache: the cache is kept small
        // while the indexes are made (the caller sets it again), so that the import's peak
        // stays where it was.
        try db.execute(sql: "PRAGMA cache_size = -\(ContactImport.sortingCacheKiB)")
        for index in setAside where wanted(index.name) { try db.execute(sql: index.sql) }
        setAside.removeAll { wanted($0.name) }
    }

    static let sortingCacheKiB = 8192

    func finish() throws {
        try placeHeldContacts()
        try index.flush()
        progress?(.finishing)
        try SearchIndex.setMerging(automerge: SearchIndex.defaultAutomerge, crisisMerge: SearchIndex.defaultCrisisMerge, db: db)
        // An import at least as large as what the cache held is merged into one segment in one
        // pass (a short prefix then reads one list); a smaller one is left to the automatic
        // merges of later writes, so that ten contacts never rewrite the index of a million.
        if count >= max(1, contactsBefore) {
            // The merge reads each segment once in order: a large page cache only adds to the
            // import's peak, which was here.
            try db.execute(sql: "PRAGMA cache_size = -\(ContactImport.indexingCacheKiB)")
            try SearchIndex.optimize(db)
        }
        // Read once the index is one segment: over the many a large import leaves, reading
        // every term in order meant merging all of them.
        if wordsToRemember { try SearchIndex.rememberEveryIndexedWord(db) }
    }

    /// The held contacts were indexed without their words (`placeHeldContacts`): the
    /// vocabulary takes them from the index at the end.
    private var wordsToRemember = false
}

/// What an import needs to create an account (RoloInterchange's `AccountSpec`, which this
/// target does not see).
public struct AccountSpecValues: Sendable {
    public var name: String
    public var provider: ProviderKind
    public var settings: [String: String]
    public var definitions: [FieldDefinition]
    public var lastSyncAt: Timestamp?

    public init(name: String, provider: ProviderKind, settings: [String: String], definitions: [FieldDefinition], lastSyncAt: Timestamp?) {
        self.name = name
        self.provider = provider
        self.settings = settings
        self.definitions = definitions
        self.lastSyncAt = lastSyncAt
    }
}

extension LocalCache {
    /// Runs an import: `body` adds contacts through the `ContactImport` it is given, all in one
    /// transaction (see `ContactImport` for why). Throwing from `body` leaves the cache as it was.
    public func importContacts<T>(author: Author, _ body: (ContactImport) throws -> T) throws -> T {
        var progress: ((ContactImport.Stage) -> Void)?
        let value = try write(settling: false) { db in
            try LocalCache.withImportCache(db) {
                let importer = try ContactImport(cache: self, db: db, author: author)
                let value = try body(importer)
                try importer.finish()
                progress = importer.progress
                return value
            }
        }
        progress?(.stored)
        settleIfLarge()
        return value
    }

    /// An import touches the uid, email and change indexes in random order, which thrashes
    /// SQLite's default 2 MB page cache; 32 MB keeps the hot pages of a million-contact import
    /// without letting the process grow past what a jump host can spare.
    static let importCacheKiB = 32768

    static func withImportCache<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA cache_size = -\(importCacheKiB)")
        defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
        return try body()
    }
}
