import Foundation
import RoloCore
import RoloInterchange
import RoloStore

/// What an import did.
public struct ImportReport: Sendable {
    public let imported: Int
    /// Records left out because of `skipInvalid`, each naming its line.
    public let skipped: [ImportProblem]
    public let warnings: [ImportProblem]
    /// Accounts the file described that did not exist yet and were created.
    public let createdAccounts: [String]
}

extension ContactService {
    /// Imports a file: every record is checked against its account first, and then all are
    /// stored in one transaction — so a bad record means nothing is imported (the error names
    /// its line), unless `skipInvalid` leaves bad records out.
    ///
    /// Contacts go to `account` when given; otherwise to the account a JSON record names
    /// (created from the file's account list when new), otherwise to the default account.
    public func importFile(_ data: Data, format: InterchangeFormat, into account: Account? = nil,
                           skipInvalid: Bool = false) throws -> ImportReport {
        let result: ReadResult
        do {
            result = try ContactFileReader.read(data, format: format, skipInvalid: skipInvalid)
        } catch {
            throw RoloError.invalid(field: "line \(error.line)", error.message)
        }
        var skipped = result.skipped
        var warnings = result.warnings
        var created: [String] = []
        var createdIDs: [Int64] = []
        let fallback = try account ?? defaultAccount()
        var accountsByName: [String: Account] = [:]
        var definitionsByAccount: [Int64: [FieldDefinition]] = [:]

        func target(for incoming: IncomingContact) throws -> Account {
            if let account { return account }
            guard let name = incoming.accountName, !name.isEmpty else { return fallback }
            if let known = accountsByName[name.lowercased()] { return known }
            if let existing = try cache.account(named: name) {
                accountsByName[name.lowercased()] = existing
                return existing
            }
            guard let spec = result.accounts.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw ImportProblem(line: incoming.line, message: "account \(name) does not exist and the file does not describe it")
            }
            let made = try cache.createAccount(name: spec.name, provider: spec.provider, settings: spec.settings,
                                               definitions: spec.definitions)
            if let synced = spec.lastSyncAt { try cache.setLastSync(accountID: made.id, at: synced) }
            created.append(made.name)
            createdIDs.append(made.id)
            accountsByName[name.lowercased()] = made
            return made
        }

        do {
            return try importChecked()
        } catch {
            // Nothing of a refused import stays, not even the accounts it described.
            for id in createdIDs { try? cache.removeEmptyAccount(id: id) }
            throw error
        }

        /// Checks every record, then stores them all in one transaction.
        func importChecked() throws -> ImportReport {
            // Accounts the file describes are made first, in the file's order.
            if account == nil {
                for spec in result.accounts where try cache.account(named: spec.name) == nil {
                    _ = try target(for: IncomingContact(contact: Contact(accountID: 0), accountName: spec.name, line: 1))
                }
            }
            var accepted: [Contact] = []
            var remotes: [RemoteReference?] = []
            var seenRemote = Set<String>()
            var movedFromLinkedAccount = 0
            var seenUIDs = Set<String>()
            var seenKeys = Set<String>()
            let existingUIDs = try cache.existingUIDs(result.contacts.map(\.contact.uid))
            for incoming in result.contacts {
                do {
                    let account = try target(for: incoming)
                    let definitions = try definitionsByAccount[account.id] ?? cache.fieldDefinitions(accountID: account.id)
                    definitionsByAccount[account.id] = definitions
                    var contact = incoming.contact
                    contact.id = nil
                    contact.accountID = account.id
                    contact.custom = try retype(contact.custom, account: account, definitions: definitions, line: incoming.line)
                    let (checked, issues) = Validator.check(contact, rules: account.rules, definitions: definitions, isNew: true)
                    if let error = issues.first(where: { $0.severity == .error }) {
                        throw ImportProblem(line: incoming.line, message: error.description)
                    }
                    warnings += issues.filter { $0.severity == .warning }
                        .map { ImportProblem(line: incoming.line, message: $0.description) }
                    if existingUIDs.contains(checked.uid) || !seenUIDs.insert(checked.uid).inserted {
                        throw ImportProblem(line: incoming.line, message: "uid \(checked.uid) is already in the cache or earlier in the file")
                    }
                    if account.provider == .notifuse, let email = checked.email {
                        let key = "\(account.id)/\(email.lowercased())"
                        let taken = try !cache.contacts(withEmail: email, in: .account(account.id)).isEmpty
                        if !seenKeys.insert(key).inserted || taken {
                            throw ImportProblem(line: incoming.line, message: "email: \(email) is already used in \(account.name); "
                                + "Notifuse identifies contacts by email")
                        }
                    }
                    var remote = incoming.remote
                    if remote != nil, let named = incoming.accountName, named.caseInsensitiveCompare(account.name) != .orderedSame {
                        // The id belongs to the account the file names; in another account it
                        // means nothing, so the contact is created there like any new one.
                        remote = nil
                        movedFromLinkedAccount += 1
                    }
                    if let remote {
                        if account.provider == .local {
                            throw ImportProblem(line: incoming.line, message: "remote: a local account has no provider ids")
                        }
                        let linked = try cache.linkedRemoteIDs([remote.id], accountID: account.id)
                        if !linked.isEmpty || !seenRemote.insert("\(account.id)/\(remote.id)").inserted {
                            throw ImportProblem(line: incoming.line, message: "remote: \(account.name) already has a contact with id \(remote.id)")
                        }
                    }
                    accepted.append(checked)
                    remotes.append(remote)
                } catch let problem as ImportProblem {
                    if !skipInvalid { throw RoloError.invalid(field: "line \(problem.line)", problem.message) }
                    skipped.append(problem)
                }
            }
            if movedFromLinkedAccount > 0 {
                warnings.append(ImportProblem(line: 1, message: "\(movedFromLinkedAccount) contact\(movedFromLinkedAccount == 1 ? "" : "s") "
                    + "had provider ids of another account; they are new in \(account?.name ?? "their account") and will be created there"))
            }
            try cache.insertContacts(accepted, remotes: remotes, author: author)
            logger.info("import finished", metadata: ["imported": "\(accepted.count)", "skipped": "\(skipped.count)",
                                                      "format": "\(format.rawValue)"])
            return ImportReport(imported: accepted.count, skipped: skipped, warnings: warnings, createdAccounts: created)
        }
    }

    /// Gives custom values read from a file the types their account defines: CSV and vCard
    /// carry text, so `2024-01-01` becomes a date where the field is a date.
    private func retype(_ values: [String: CustomValue], account: Account, definitions: [FieldDefinition],
                        line: Int) throws -> [String: CustomValue] {
        var typed: [String: CustomValue] = [:]
        for (key, value) in values {
            if let definition = definitions.first(where: { $0.key == key }) {
                if value.type == definition.type {
                    typed[key] = value
                } else {
                    do { typed[key] = try definition.parse(value.displayText) } catch {
                        throw ImportProblem(line: line, message: "custom.\(key): \(error.message)")
                    }
                }
            } else if account.rules.customFields == .anyKeyAsText, value.type != .text {
                typed[key] = .text(value.storedText)
            } else {
                typed[key] = value
            }
        }
        return typed
    }

    /// Writes the contacts of a scope (matching a query, if given) in a file format, in list
    /// order, a page at a time. Returns how many were written.
    @discardableResult
    public func export(in scope: AccountScope, matching query: ContactQuery? = nil, format: InterchangeFormat,
                       vCardVersion: VCardVersion = .v4, to sink: @escaping (String) throws -> Void) throws -> Int {
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
        var writer = ContactFileWriters.make(format, version: vCardVersion, customKeys: try cache.customKeys(in: scope), sink: sink)
        try writer.begin(accounts: specs)
        var written = 0
        try cache.forEachContact(in: scope, matching: query) { contact, remote in
            try writer.write(contact, accountName: names[contact.accountID] ?? Account.defaultName, remote: remote)
            written += 1
        }
        try writer.finish()
        logger.info("export finished", metadata: ["written": "\(written)", "format": "\(format.rawValue)"])
        return written
    }
}

extension ContactService {
    /// Exports to a file, in the format its name says (.json, .csv, .vcf or .vcard), written
    /// beside it first and moved into place when complete — an interrupted export never leaves
    /// half a file. The file is readable by its owner only: it holds personal data.
    @discardableResult
    public func exportFile(in scope: AccountScope, matching query: ContactQuery? = nil, toPath path: String,
                           format explicit: InterchangeFormat? = nil, vCardVersion: VCardVersion = .v4) throws -> Int {
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
        let descriptor: Int32
        if target.isSpecial {
            descriptor = open(destination, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        } else {
            // 0600 whatever the umask, even when a partial file of an earlier export was left.
            do { descriptor = try PrivateFiles.openForWriting(destination) } catch { throw failure(error.reason) }
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            let written = try export(in: scope, matching: query, format: format, vCardVersion: vCardVersion) {
                try handle.write(contentsOf: Data($0.utf8))
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
        var resolved = given
        var hops = 0
        while hops < 40, let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: resolved) {
            resolved = destination.hasPrefix("/") ? destination
                : ((resolved as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            hops += 1
        }
        path = resolved
        var status = stat()
        isSpecial = stat(resolved, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG && (status.st_mode & S_IFMT) != S_IFDIR
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
