import Foundation
import Logging
import RoloCore
import RoloInterchange
import RoloStore

/// What an import did.
public struct ImportReport: Sendable {
    public let imported: Int
    /// Records left out because of `skipInvalid`, each naming its line.
    public let skipped: [ImportProblem]
    public let warnings: [ImportProblem]
    /// Values left out of contacts that were imported without them (`skipInvalid`).
    public let leftOut: [ImportProblem]
    /// Contacts the cache already had (`ImportOptions.onDuplicate`): left as they were
    /// (`skip`), or given the file's values (`update`; `changed` of them differed).
    public let duplicates: Duplicates
    public struct Duplicates: Sendable, Equatable {
        public var skipped = 0
        public var updated = 0
        public var changed = 0
        /// Of those, how many repeat a record earlier in the same file rather than a contact
        /// the cache had before the import.
        public var repeatedInFile = 0
        /// How they were found.
        public var byUID = 0, byEmail = 0, byMobile = 0
        public var count: Int { skipped + updated }
        public init() {}
    }
    /// Accounts the file described that did not exist yet and were created.
    public let createdAccounts: [String]
}

/// Where an import stands, for a progress bar.
public enum ImportProgress: Sendable, Equatable {
    /// Records read and stored (or skipped) so far; `of` is how many the file holds when it was
    /// read whole (CSV, vCard), nil while it streams (rolo JSON), where `bytesRead` — a little
    /// ahead of what is stored — tells how far into the file it is.
    case storing(records: Int, of: Int?, bytesRead: Int)
    /// Every record is stored: the import's last steps, as the cache reports them.
    case stage(ContactImport.Stage)
}

/// Moves contacts between the cache and files: imports (rolo JSON, CSV, vCard) and exports.
public final class FileTransfer: ContactExporting {
    let cache: LocalCache
    let accounts: AccountService
    public let author: Author
    let logger: Logger

    public init(cache: LocalCache, accounts: AccountService, author: Author, logger: Logger = Logger(label: "rolo.files")) {
        self.cache = cache
        self.accounts = accounts
        self.author = author
        self.logger = logger
    }

    /// Imports a file held in memory (the demo data, tests). See `importFile(from:…)`.
    public func importFile(_ data: Data, format: InterchangeFormat, into account: Account? = nil,
                           skipInvalid: Bool = false) throws -> ImportReport {
        try importFile(from: DataSource(data), format: format, into: account, options: ImportOptions(skipInvalid: skipInvalid))
    }

    public func importFile(_ data: Data, format: InterchangeFormat, into account: Account? = nil,
                           options: ImportOptions) throws -> ImportReport {
        try importFile(from: DataSource(data), format: format, into: account, options: options)
    }

    public func importFile(from source: some ByteSource, format: InterchangeFormat, into account: Account? = nil,
                           skipInvalid: Bool = false) throws -> ImportReport {
        try importFile(from: source, format: format, into: account, options: ImportOptions(skipInvalid: skipInvalid))
    }

    /// Imports a file as it is read: each record is checked against its account and stored,
    /// all in one transaction (see `ContactImport`) — so a bad record means nothing is imported
    /// (the error names its line), unless `skipInvalid` leaves bad records out. rolo JSON is
    /// read a record at a time, so memory stays flat however large the file; CSV and vCard
    /// are read whole first (their readers are not streaming yet).
    ///
    /// Contacts go to `account` when given; otherwise to the account a JSON record names
    /// (created from the file's account list when new), otherwise to the default account.
    /// Each record is checked value by value (see `ImportReview`): a bad value names its own
    /// line, and `options.skipInvalid` leaves out just that value where the rest can stay.
    ///
    /// `progress` is told where the import stands every `progressStep` records and at
    /// each of its last steps, on the thread that runs the import.
    public func importFile(from source: some ByteSource, format: InterchangeFormat, into account: Account? = nil,
                           options: ImportOptions, progress: ((ImportProgress) -> Void)? = nil) throws -> ImportReport {
        let skipInvalid = options.skipInvalid
        let counted = CountedSource(source)
        let preparation = ImportPreparation(options: options, oneAccount: account != nil)
        var (next, readWarnings) = try FileTransfer.items(from: counted, format: format, skipInvalid: skipInvalid, charset: options.charset,
                                                          preparation: preparation)
        defer { next.stop() }
        let recordsInAll = next.count
        var recordsDone = 0
        var skipped: [ImportProblem] = []
        var leftOut: [ImportProblem] = []
        var duplicates = ImportReport.Duplicates()
        var warnings = readWarnings
        var created: [String] = []
        var movedFromLinkedAccount = 0
        let imported = try cache.importContacts(author: author) { importer -> Int in
            if let progress { importer.progress = { progress(.stage($0)) } }
            let fallback = try account ?? importer.defaultAccount()
            var accountsByName: [String: Account] = [:]
            var described: [String: AccountSpec] = [:]
            var definitionsByAccount: [Int64: [FieldDefinition]] = [:]

            var lastSyncs: [Int64: Timestamp?] = [:]

            func create(_ spec: AccountSpec) throws -> Account {
                guard cache.catalog.profile(for: spec.provider) != nil else {
                    throw ImportProblem(line: max(spec.line, 1), message: "accounts: account \(spec.name) names the provider "
                        + "“\(spec.provider.rawValue)”, which rolo does not know (\(cache.catalog.knownNames))")
                }
                let made = try importer.createAccount(AccountSpecValues(
                    name: spec.name, provider: spec.provider, settings: spec.settings, definitions: spec.definitions,
                    lastSyncAt: spec.lastSyncAt))
                created.append(made.name)
                accountsByName[made.name.lowercased()] = made
                return made
            }

            func target(for incoming: IncomingContact) throws -> Account {
                if let account { return account }
                guard let name = incoming.accountName, !name.isEmpty else { return fallback }
                if let known = accountsByName[name.lowercased()] { return known }
                if let existing = try importer.account(named: name) {
                    accountsByName[name.lowercased()] = existing
                    return existing
                }
                guard let spec = described[name.lowercased()] else {
                    throw ImportProblem(line: incoming.line, message: "account \(name) does not exist and the file does not describe it")
                }
                return try create(spec)
            }

            func store(_ incoming: IncomingContact, prepared: ImportPreparation.Prepared?) throws {
                let account = try target(for: incoming)
                let definitions: [FieldDefinition]
                if let known = definitionsByAccount[account.id] {
                    definitions = known
                } else {
                    definitions = try importer.fieldDefinitions(accountID: account.id)
                    definitionsByAccount[account.id] = definitions
                }
                // From here on the reader checks this account's records itself.
                preparation.publish(.init(accountID: account.id, rules: account.rules, definitions: definitions), forName: incoming.accountName)
                let review: ImportReview.Outcome
                if let prepared, prepared.accountID == account.id {
                    review = try prepared.review.get()
                } else {
                    var contact = incoming.contact
                    contact.id = nil
                    contact.accountID = account.id
                    review = try ImportReview.check(incoming, as: contact, rules: account.rules, definitions: definitions, options: options)
                }
                var checked = review.contact
                if try handledAsDuplicate(&checked, line: incoming.line, account: account, review: review) { return }
                // Made from the checked contact; its sort key ends with the uid, which a
                // duplicate added anyway has just changed.
                let row = prepared?.accountID == account.id && checked.uid == review.contact.uid ? prepared?.row : nil
                var remote = incoming.remote
                if remote != nil, let named = incoming.accountName, named.caseInsensitiveCompare(account.name) != .orderedSame {
                    // The id belongs to the account the file names; in another account it
                    // means nothing, so the contact is created there like any new one.
                    remote = nil
                    movedFromLinkedAccount += 1
                }
                if remote != nil, account.isLocal {
                    throw ImportProblem(line: incoming.line, message: "remote: a local account has no provider ids")
                }
                // The file holds the account as of its last sync, and so this contact: its
                // "Last synced" is the account's, not the time of this import.
                if remote != nil, lastSyncs[account.id] == nil { lastSyncs[account.id] = try importer.lastSync(accountID: account.id) }
                let linked = remote.map { $0.synced(at: lastSyncs[account.id] ?? nil) }
                switch try importer.add(checked, remote: linked, emailIsKey: account.profile.capabilities.identity == .email, prepared: row) {
                case nil:
                    warnings += review.warnings
                    leftOut += review.leftOut
                case .uidTaken:
                    throw ImportProblem(line: incoming.line, message: "uid \(checked.uid) is already in the cache or earlier in the file")
                case .emailTaken:
                    throw ImportProblem(line: incoming.line, message: "email: \(checked.email ?? "") is already used in \(account.name); "
                        + "\(account.profile.displayName) identifies contacts by email")
                case .remoteTaken:
                    throw ImportProblem(line: incoming.line, message: "remote: \(account.name) already has a contact with id \(remote?.id ?? "")")
                }
            }

            /// A contact the cache already has: skipped or updated as the options say (true), or
            /// left to be added (false) — with a new uid when its uid was the match.
            func handledAsDuplicate(_ contact: inout Contact, line: Int, account: Account, review: ImportReview.Outcome) throws -> Bool {
                guard let found = try importer.existing(matching: contact) else { return false }
                switch options.onDuplicate {
                case .add:
                    if found.match == .uid { contact.uid = Contact.newUID() }
                    return false
                case .skip:
                    duplicates.skipped += 1
                case .update:
                    guard found.accountID == account.id else {
                        throw ImportProblem(line: line, message: "uid \(contact.uid) is a contact of another account; "
                            + "it is not updated from here (--on-duplicate add imports it as a new contact)")
                    }
                    if try importer.update(found.id, with: contact) { duplicates.changed += 1 }
                    duplicates.updated += 1
                    warnings += review.warnings
                    leftOut += review.leftOut
                }
                if importer.isStoredByThisImport(found.id) { duplicates.repeatedInFile += 1 }
                switch found.match {
                case .uid: duplicates.byUID += 1
                case .email: duplicates.byEmail += 1
                case .mobile: duplicates.byMobile += 1
                }
                return true
            }

            while let (item, prepared) = try FileTransfer.nextItem(&next) {
                recordsDone += 1
                if let progress, recordsDone % FileTransfer.progressStep == 0 {
                    progress(.storing(records: recordsDone, of: recordsInAll, bytesRead: counted.counter.count))
                }
                do {
                    switch item {
                    case .account(let spec):
                        described[spec.name.lowercased()] = spec
                        // Accounts the file describes are made as they come, in the file's order.
                        if account == nil, accountsByName[spec.name.lowercased()] == nil, try importer.account(named: spec.name) == nil {
                            _ = try create(spec)
                        }
                    case .contact(let incoming, let warning):
                        try store(incoming, prepared: prepared)
                        if let warning { warnings.append(warning) }
                    case .invalid(let problem):
                        throw problem
                    }
                } catch let problem as ImportProblem {
                    // What the reader noticed about the file (a column it did not recognise) is
                    // said even though nothing is imported.
                    if !skipInvalid {
                        throw RoloError.invalid([ValidationIssue(field: "line \(problem.line)", message: problem.message)]
                            + FileTransfer.warningIssues(readWarnings))
                    }
                    skipped.append(problem)
                }
            }
            return importer.count
        }
        if movedFromLinkedAccount > 0 {
            warnings.append(ImportProblem(line: 1, message: "\(movedFromLinkedAccount) contact\(movedFromLinkedAccount == 1 ? "" : "s") "
                + "had provider ids of another account; they are new in \(account?.name ?? "their account") and will be created there"))
        }
        logger.info("import finished", metadata: ["imported": "\(imported)", "skipped": "\(skipped.count)",
                                                  "format": "\(format.rawValue)"])
        return ImportReport(imported: imported, skipped: skipped, warnings: warnings, leftOut: leftOut, duplicates: duplicates,
                            createdAccounts: created)
    }

    /// Records or contacts between two reports of an import's or an export's progress.
    public static let progressStep = 1000

    /// The records of a file, one at a time: rolo JSON streamed, the other formats read whole.
    enum Items {
        /// How many records there are, when they were read whole.
        var count: Int? {
            if case .read(let all, _) = self { return all.count }
            return nil
        }

        case streaming(() throws(ImportProblem) -> ImportItem?)
        /// Read on a thread of their own, and checked there as far as they can be (see
        /// `ReadAhead`, `ImportPreparation`).
        case readAhead(ReadAhead<(ImportItem, ImportPreparation.Prepared?)>)
        case read([ImportItem], position: Int)

        /// The import is done with the records: a reader thread ends before the source closes.
        func stop() {
            if case .readAhead(let items) = self { items.stop() }
        }
    }

    /// The records, and what the reader noticed about the whole file (an unknown CSV column).
    /// `charset` is the one the import names for a file that is not UTF-8 (see `ContactFileReader.read`).
    static func items(from source: some ByteSource, format: InterchangeFormat, skipInvalid: Bool, charset: Charset? = nil,
                      preparation: ImportPreparation? = nil) throws -> (Items, warnings: [ImportProblem]) {
        if let charset, let refusal = format.refusal(of: charset) { throw RoloError.invalid(field: "--charset", refusal) }
        if format == .json {
            var reader = RoloJSONReader(source)
            guard FileTransfer.neverWaits(source) else {
                return (.streaming { () throws(ImportProblem) -> ImportItem? in try reader.next() }, [])
            }
            return (.readAhead(ReadAhead { () throws(ImportProblem) -> (ImportItem, ImportPreparation.Prepared?)? in
                guard let item = try reader.next() else { return nil }
                return (item, preparation?.prepare(item))
            }), [])
        }
        var source = source
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count: Int
            do { count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) } } catch {
                throw RoloError.failed("\(error)")
            }
            if count == 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        let result: ReadResult
        do {
            result = try ContactFileReader.read(data, format: format, skipInvalid: skipInvalid, charset: charset)
        } catch {
            throw RoloError.invalid([ValidationIssue(field: "line \(error.line)", message: error.message)] + warningIssues(error.warnings))
        }
        var items = result.accounts.map(ImportItem.account)
        items += result.skipped.map(ImportItem.invalid)
        items += result.contacts.map { ImportItem.contact($0, warning: nil) }
        return (.read(items, position: 0), result.warnings)
    }

    /// Warnings about a file, carried beside the problem that stopped its import.
    static func warningIssues(_ warnings: [ImportProblem]) -> [ValidationIssue] {
        warnings.map { ValidationIssue(field: "line \($0.line)", message: $0.message, severity: .warning) }
    }

    /// Whether reading `source` never waits for a writer: bytes in memory or a regular file.
    /// Only such a source is read ahead on a thread of its own — an import that stops early
    /// waits for that thread, and a pipe or a terminal could keep it waiting for input.
    static func neverWaits(_ source: some ByteSource) -> Bool {
        if source is DataSource { return true }
        if let wrapper = source as? any WrappingByteSource { return neverWaits(wrapper.wrapped) }
        guard let file = source as? FileDescriptorSource else { return false }
        var status = stat()
        return fstat(file.descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// The next record, with what its reader prepared of it (see `ImportPreparation`).
    static func nextItem(_ items: inout Items) throws -> (ImportItem, ImportPreparation.Prepared?)? {
        switch items {
        case .streaming(let next):
            do { return try next().map { ($0, nil) } } catch { throw RoloError.invalid(field: "line \(error.line)", error.message) }
        case .readAhead(let items):
            do { return try items.next() } catch { throw RoloError.invalid(field: "line \(error.line)", error.message) }
        case .read(let all, let position):
            guard position < all.count else { return nil }
            items = .read(all, position: position + 1)
            return (all[position], nil)
        }
    }

    /// Writes the contacts of a scope (matching a query, if given) in a file format, in list
    /// order, a page at a time. Returns how many were written.
    ///
    /// `progress` is told how many contacts are written, and of how many (known when there is
    /// no query), at the start and every `progressStep` contacts.
    @discardableResult
    public func export(in scope: AccountScope, matching query: ContactQuery? = nil, format: InterchangeFormat,
                       vCardVersion: VCardVersion = .v4, progress: ((_ written: Int, _ of: Int?) -> Void)? = nil,
                       to sink: @escaping (String) throws -> Void) throws -> Int {
        let accounts = try cache.accounts().filter { account in
            if case .account(let id) = scope { return account.id == id }
            return true
        }
        let names = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0.name) })
        let specs = try accounts.map { account in
            AccountSpec(name: account.name, provider: account.provider, settings: account.settings,
                        definitions: try cache.fieldDefinitions(accountID: account.id),
                        lastSyncAt: try cache.lastSync(accountID: account.id))
        }
        let counts = try cache.otherValueCounts(in: scope)
        var writer = ContactFileWriters.make(format, version: vCardVersion, customKeys: try cache.customKeys(in: scope),
                                             others: OtherValueCounts(emails: counts.emails, phones: counts.phones), sink: sink)
        try writer.begin(accounts: specs)
        var written = 0
        // Counted only when it costs nothing (the accounts keep their counts); a query's
        // matches would be counted by reading them all once more.
        let total = progress == nil || query?.isEmpty == false ? nil : try cache.contactCount(in: scope)
        progress?(0, total)
        try cache.forEachContact(in: scope, matching: query) { contact, remote in
            try writer.write(contact, accountName: names[contact.accountID] ?? Account.defaultName, remote: remote)
            written += 1
            if written % FileTransfer.progressStep == 0 { progress?(written, total) }
        }
        try writer.finish()
        logger.info("export finished", metadata: ["written": "\(written)", "format": "\(format.rawValue)"])
        return written
    }
}

extension FileTransfer {
    /// Exports to a file, in the format its name says (.json, .csv, .vcf or .vcard), written
    /// beside it first and moved into place when complete — an interrupted export never leaves
    /// half a file. The file is readable by its owner only: it holds personal data.
    @discardableResult
    public func exportFile(in scope: AccountScope, matching query: ContactQuery?, toPath path: String) throws -> Int {
        try exportFile(in: scope, matching: query, toPath: path, format: nil)
    }

    ///
    /// `started` is told, before that file is made, the file to be written beside the target
    /// (nil for a device or pipe, written to directly): an interrupted process may remove it.
    /// `progress` is not told anything when the file is a terminal (`-o /dev/tty`): the
    /// contacts are shown there, and a progress line would break into them.
    @discardableResult
    public func exportFile(in scope: AccountScope, matching query: ContactQuery? = nil, toPath path: String,
                           format explicit: InterchangeFormat?, vCardVersion: VCardVersion = .v4,
                           started: ((_ partial: String?) -> Void)? = nil,
                           progress: ((_ written: Int, _ of: Int?) -> Void)? = nil) throws -> Int {
        guard let format = explicit ?? InterchangeFormat(fileName: path) else {
            throw RoloError.invalid(field: "file", "name it .json, .csv or .vcf so rolo knows the format (\(path))")
        }
        let target = ExportTarget(path)
        if let cachePath = cache.path, target.isPart(ofDatabase: cachePath) {
            throw RoloError.invalid(field: "file", "\(path) is rolo's cache; export to another file")
        }
        // A device, a FIFO or a socket (/dev/stdout, a pipe) is written to, never replaced; a
        // file is written beside itself and moved into place.
        let destination = target.isSpecial ? target.path : target.path + ".rolo-partial"
        func failure(_ reason: String) -> RoloError { .failed("cannot write \(path): \(reason)") }
        // Told before the partial file exists, so that no moment is left when an interrupted
        // process would not know to remove it.
        started?(target.isSpecial ? nil : destination)
        let descriptor: Int32
        if target.isSpecial {
            descriptor = open(destination, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        } else {
            // 0600 whatever the umask, even when a partial file of an earlier export was left.
            do { descriptor = try PrivateFiles.openForWriting(destination) } catch { throw failure(error.reason) }
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        // A file keeps every byte; a terminal (-o /dev/tty, or /dev/stdout on one) is being
        // read, so escape sequences in the data are shown there, as in the TUI, never obeyed.
        let onScreen = isatty(descriptor) == 1
        do {
            let written = try export(in: scope, matching: query, format: format, vCardVersion: vCardVersion,
                                     progress: onScreen ? nil : progress) {
                try handle.write(contentsOf: Data((onScreen ? TerminalText.sanitizeKeepingLayout($0) : $0).utf8))
            }
            try handle.close()
            // rename(2) replaces an existing file in one step: a reader sees the old or the new.
            if !target.isSpecial, rename(destination, target.path) != 0 { throw failure(String(cString: strerror(errno))) }
            return written
        } catch {
            try? handle.close()
            if !target.isSpecial { try? FileManager.default.removeItem(atPath: destination) }
            if let error = error as? RoloError { throw error }
            throw failure(error.localizedDescription)
        }
    }
}

/// Where an export goes, as the file system sees it: through symbolic links (the link stays
/// and its target gets the contacts), and whether it is a device or pipe rather than a file.
struct ExportTarget {
    /// The path to write: a symbolic link's target, followed to the end.
    let path: String
    let isSpecial: Bool

    init(_ given: String) {
        // Asked of the path as given: stat follows every link, /proc's too, where /dev/stdout
        // leads to /proc/self/fd/1 and then to "pipe:[N]", which is no path to follow by name.
        var status = stat()
        if stat(given, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG, (status.st_mode & S_IFMT) != S_IFDIR {
            path = given
            isSpecial = true
            return
        }
        var resolved = given
        var hops = 0
        while hops < 40, let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: resolved) {
            resolved = destination.hasPrefix("/") ? destination
                : ((resolved as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            hops += 1
        }
        path = resolved
        isSpecial = false
    }

    /// True when writing here would replace the database file at `database` or one of the
    /// files SQLite keeps beside it.
    func isPart(ofDatabase database: String) -> Bool {
        var mine = stat(), theirs = stat()
        for suffix in ["", "-wal", "-shm", "-journal"] where stat(database + suffix, &theirs) == 0 {
            if stat(path, &mine) == 0, mine.st_dev == theirs.st_dev, mine.st_ino == theirs.st_ino { return true }
        }
        return false
    }
}
