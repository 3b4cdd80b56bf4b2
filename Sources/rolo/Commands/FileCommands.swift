import ArgumentParser
import Foundation
import RoloCore
import RoloInterchange
import RoloStore
import RoloSync

extension InterchangeFormat: ExpressibleByArgument {}
extension VCardVersion: ExpressibleByArgument {}
extension DuplicatePolicy: ExpressibleByArgument {}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import contacts from rolo JSON, CSV or vCard (2.1, 3.0 or 4.0).",
        discussion: """
            The format comes from --format, else from the file name (.json, .csv, .vcf or .vcard). \
            FILE may be - for stdin, or a pipe.

            Every record is checked first, custom values and provider data included (no control \
            characters but tabs and line breaks in text): a malformed or invalid record names its line \
            and nothing is imported, unless --skip-invalid imports the valid records and lists the others \
            (it exits 2 when it left out every record); where only one value of a contact is bad, \
            --skip-invalid leaves out that value, not the contact. A failed import into a new cache \
            (--db) removes it again.

            Importing a file twice is safe: a contact the cache already has (the same uid, else the same \
            email in the account, else, without an email, the same mobile phone) is skipped and counted, \
            or updated with the file's values with --on-duplicate update, or added anyway with \
            --on-duplicate add. A record that repeats an earlier one of the same file is counted apart.

            Phone numbers without a country code (214-555-0100), as address books hold them, are kept \
            as written with a warning naming their line, or stored in international form with \
            --default-region (US, GB, DE, …).

            rolo JSON keeps everything: typed custom values, and provider ids, which stay with the \
            account the file names (imported with --account into another account, the contacts are new \
            there). CSV has a column per standard field and custom.<key> columns, and the names other \
            tools give those fields (Email Address, Phone Number, Company Name, Zip, …) are read as them; \
            its cells are cut at commas, or at the semicolons or tabs its header row is cut at. A CSV \
            exported by Google Contacts or Outlook is recognised by its header row and mapped field by \
            field, the columns rolo has no field for kept as custom values. vCards from Apple Contacts, Google \
            Contacts, Outlook and phones are read, folded lines and escapes included.

            CSV and vCard are read as UTF-8, or as UTF-16 where the file starts with a byte-order mark. \
            rolo never guesses a charset: a file in another one is refused at its first byte that is not \
            UTF-8, and --charset names it (windows-1252 for Outlook's and Excel's CSV on Windows) — for a \
            CSV the whole file, for a vCard the lines that declare no CHARSET.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file.") var file: String
    @Option(help: "json, csv or vcard (default: from the file name).") var format: InterchangeFormat?
    @Option(help: "Put every contact in this account.") var account: String?
    @Flag(name: .customLong("skip-invalid"), help: "Import the valid records and values and list the others.") var skipInvalid = false
    @Option(name: .customLong("on-duplicate"),
            help: "skip, update or add a contact the cache already has (default: skip).") var onDuplicate: DuplicatePolicy = .skip
    @Option(help: "The charset of a file that is not UTF-8: windows-1252 (cp1252), latin1, … (rolo JSON is always UTF-8).")
    var charset: String?
    @Option(name: .customLong("default-region"),
            help: "Where numbers without a country code come from (a country code such as US or GB; default: the config's [import] default_region).") var defaultRegion: String?

    func run() throws {
        // A cache this import creates (a new --db path) goes again when the import fails: a
        // failed import leaves nothing behind, not even an empty cache and its folders.
        let cachePath = RoloPaths(database: global.db, config: global.config).cache
        let isNew = !FileManager.default.fileExists(atPath: cachePath)
        let newFolders = isNew ? Import.missingFolders(above: cachePath) : []
        do {
            try importFile()
        } catch {
            if isNew, LocalCache.removeIfUnused(path: cachePath) {
                for folder in newFolders { rmdir(folder) }   // the innermost first; only an empty one goes
            }
            throw error
        }
    }

    /// The folders on the way to `path` that do not exist, the innermost first.
    static func missingFolders(above path: String) -> [String] {
        var missing: [String] = []
        var folder = ((path as NSString).standardizingPath as NSString).deletingLastPathComponent
        while !folder.isEmpty, folder != "/", !FileManager.default.fileExists(atPath: folder) {
            missing.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        return missing
    }

    private func importFile() throws {
        let context = try Context.open(global)
        guard let format = format ?? InterchangeFormat(fileName: file) else {
            throw RoloError.invalid(field: "--format", "cannot tell the format of \(file); give --format json, csv or vcard")
        }
        var options = ImportOptions(skipInvalid: skipInvalid, onDuplicate: onDuplicate)
        if let charset {
            guard let named = Charset(named: charset) else {
                throw RoloError.invalid(field: "--charset", "“\(TerminalText.sanitize(charset))” is not a charset rolo reads; "
                    + "give one of \(Charset.supportedNames)")
            }
            if let refusal = format.refusal(of: named) { throw RoloError.invalid(field: "--charset", refusal) }
            options.charset = named
        }
        if let defaultRegion {
            guard let region = PhoneRegion(code: defaultRegion) else {
                throw RoloError.invalid(field: "--default-region", "“\(TerminalText.sanitize(defaultRegion))” is not a region rolo knows; "
                    + "give a country code: \(PhoneRegion.knownCodes.joined(separator: ", "))")
            }
            options.defaultRegion = region
        } else {
            options.defaultRegion = context.config?.defaultRegion
        }
        let target = try account.map(context.services.accounts.account(named:))
        let line = ProgressLine(enabled: Output.standardErrorIsTerminal,
                                interrupted: "rolo: import interrupted; nothing was imported (an import is all or nothing)")
        let shownFile = file == "-" ? "standard input" : file
        let report: ImportReport
        do {
            defer { line.finish() }
            report = try Import.withSource(file) { source in
                let size = Import.regularFileSize(source.descriptor)
                return try context.services.files.importFile(from: source, format: format, into: target, options: options) { stage in
                    if stage == .stage(.stored) { line.interrupted("rolo: interrupted after the import was stored; it is in the cache") }
                    line.show(text: Import.progressText(stage, file: shownFile, size: size))
                }
            }
        } catch RoloError.invalid(let issues) {
            // What was noticed about the file before the problem stopped it (a column that is
            // not a field of rolo) is said too: it may be why the line failed.
            for issue in issues where issue.severity == .warning { Output.error("rolo: warning: \(shownFile): \(issue)") }
            // The problem that stops the import names the file, as the warnings do: the
            // message alone ("line 8: …") does not say which file when a script imports several.
            throw RoloError.invalid(issues.filter { $0.severity == .error }.map { issue in
                guard issue.field.hasPrefix("line ") else { return issue }
                return ValidationIssue(field: "\(shownFile): \(issue.field)", message: issue.message, severity: issue.severity)
            })
        }
        let found = report.duplicates
        // Every contact record ends imported, matched or skipped: none of them means there were none.
        let heldNone = report.imported == 0 && found.count == 0 && report.skipped.isEmpty
        if heldNone { Output.error("rolo: warning: \(shownFile): the file holds no contacts") }
        for problem in report.warnings { Output.error("rolo: warning: \(shownFile): \(problem)") }
        for problem in report.leftOut { Output.error("rolo: left out: \(shownFile): \(problem)") }
        for problem in report.skipped { Output.error("rolo: skipped: \(shownFile): \(problem)") }
        for name in report.createdAccounts { Output.error("rolo: created account \(name)") }
        var summary = "imported \(report.imported) contact\(report.imported == 1 ? "" : "s")"
        if found.count > 0 {
            let how = [("uid", found.byUID), ("email", found.byEmail), ("mobile phone", found.byMobile)].filter { $0.1 > 0 }
                .map { "\($0.1) by \($0.0)" }.joined(separator: ", ")
            // Those the cache had before, and those an earlier record of the same file stored.
            let inCache = found.count - found.repeatedInFile
            let which = [inCache > 0 ? "\(inCache) already in the cache" : nil,
                         found.repeatedInFile > 0 ? "\(found.repeatedInFile) repeated in the file" : nil].compactMap { $0 }
                .joined(separator: ", ")
            summary += found.skipped > 0
                ? ", skipped \(which) (matched \(how); --on-duplicate update or add to change that)"
                : ", updated \(which) (matched \(how); \(found.changed) changed)"
        }
        if !report.leftOut.isEmpty { summary += ", left out \(report.leftOut.count) value\(report.leftOut.count == 1 ? "" : "s")" }
        if !report.skipped.isEmpty { summary += ", skipped \(report.skipped.count)" }
        Output.line(summary)
        // --skip-invalid that left out every record imported nothing: a script must not take that
        // for success.
        if report.imported == 0, found.count == 0, !report.skipped.isEmpty {
            let count = report.skipped.count
            throw RoloError.invalid(field: shownFile, count == 1 ? "its one record is invalid; nothing was imported"
                : "none of its \(count) records could be imported; nothing was imported")
        }
    }
}

extension Import {
    /// The line an import shows on a terminal while it runs: how far into the file it is (by
    /// its bytes when it streams, by its records when it was read whole), then the last steps.
    static func progressText(_ stage: ImportProgress, file: String, size: Int?) -> String {
        switch stage {
        case .storing(let records, let all, let bytesRead):
            let stored = "\(records) record\(records == 1 ? "" : "s")"
            if let all, all > 0 { return "importing \(file) \(ProgressLine.measure(records, of: all)), \(stored) of \(all)" }
            if let size, size > 0 { return "importing \(file) \(ProgressLine.measure(min(bytesRead, size), of: size)), \(stored)" }
            return "importing \(file), \(stored)"
        case .stage(.ordering(let done, let all)):
            return "ordering by name \(ProgressLine.measure(done, of: all)), \(done) of \(all) contacts"
        case .stage(.indexing(let done, let all)):
            return "indexing \(ProgressLine.measure(done, of: all)), \(done) of \(all) contacts"
        case .stage(.finishing):
            return "finishing: merging the search index and writing the cache"
        case .stage(.stored):
            return "stored; writing the cache file"
        }
    }

    /// The size of an open regular file; nil for a pipe, a device or a terminal.
    static func regularFileSize(_ descriptor: Int32) -> Int? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    /// A file, stdin (`-`), or a pipe or device (`<(command)`, /dev/stdin), open for reading as
    /// a stream: the importer reads it a piece at a time, so anything that can be read can be
    /// imported, and a file of a million contacts is never held whole.
    static func withSource<T>(_ file: String, _ body: (FileDescriptorSource) throws -> T) throws -> T {
        if file == "-" { return try body(FileDescriptorSource(descriptor: STDIN_FILENO, name: "standard input")) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else { throw RoloError.notFound("no file \(file)") }
        if isFolder.boolValue { throw RoloError.failed("cannot read \(file): it is a folder") }
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RoloError.failed("cannot read \(file): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        return try body(FileDescriptorSource(descriptor: descriptor, name: file))
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export contacts (all, or those matching a query) as rolo JSON, CSV or vCard.",
        discussion: """
            rolo JSON keeps everything, typed custom values included, and imports back losslessly. \
            --format google-csv and outlook-csv write the CSV those tools import (a column per custom \
            key after theirs).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Words to match, as in `rolo list`.") var query: [String] = []
    @Option(help: "json, csv, vcard, google-csv or outlook-csv (default: from the -o file name, else json).")
    var format: InterchangeFormat?
    @Option(name: .customLong("vcard-version"), help: "3.0 or 4.0.") var vCardVersion: VCardVersion = .v4
    @Option(help: "Only this account.") var account: String?
    @Option(name: [.short, .long], help: "Write to this file instead of stdout.") var output: String?

    func run() throws {
        let parsed = try commandLineQuery(query)
        let context = try Context.open(global)
        let (scope, _) = try context.scope(account)
        try context.checkFields(of: parsed, in: scope)
        // A line of progress on stderr when it is a terminal and the contacts go elsewhere (a
        // file, a pipe): a million contacts take half a minute.
        let onScreen = Output.standardOutputIsTerminal
        let line = ProgressLine(enabled: Output.standardErrorIsTerminal && (output != nil || !onScreen))
        defer { line.finish() }
        let shown = TerminalText.sanitize(output ?? "standard output")
        let progress = { (written: Int, all: Int?) in
            line.show(text: "exporting to \(shown) " + (all.map { "\(ProgressLine.measure(written, of: $0)), \(written) of \($0) contacts" }
                                                            ?? "\(written) contacts"))
        }
        if let output {
            let written = try context.services.files.exportFile(
                in: scope, matching: parsed, toPath: output, format: format, vCardVersion: vCardVersion,
                started: { partial in
                    line.interrupted("rolo: export interrupted; \(shown) was not written"
                                     + (partial == nil ? " whole" : " (it is as it was)"), removing: partial)
                }, progress: progress)
            line.finish()
            Output.error("exported \(written) contact\(written == 1 ? "" : "s") to \(output)")
        } else {
            // To a pipe or a file the export is data and keeps every byte; on a terminal it is
            // being read, so escape sequences in it are shown, not obeyed.
            line.interrupted("rolo: export interrupted; what was written is incomplete")
            try context.services.files.export(in: scope, matching: parsed, format: format ?? .json, vCardVersion: vCardVersion,
                                              progress: progress) { Output.raw(onScreen ? TerminalText.sanitizeKeepingLayout($0) : $0) }
        }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the demo contacts: three accounts, one per provider kind, with their custom fields.",
        discussion: "Reads assets/demo/*.json (or $ROLO_DEMO_DIR). Does nothing if the demo accounts are already there."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The folder with the demo files.") var from: String?

    func run() throws {
        let context = try Context.open(global)
        let loaded = try Demo.load(into: context, from: from)
        if loaded == 0 {
            Output.line("the demo data is already loaded in \(context.paths.cache)")
        } else {
            Output.line("loaded \(loaded) demo contacts into \(context.paths.cache)")
        }
    }

    /// Imports the demo files whose accounts the cache does not have yet; returns how many
    /// contacts came in. `pointer` says how the command loading them is told where they are,
    /// for when they cannot be found (`rolo sandbox` has no --from).
    static func load(into context: Context, from: String?,
                     pointer: String = "give --from DIR or set ROLO_DEMO_DIR") throws -> Int {
        guard let directory = from ?? RoloPaths.demoDirectory() else {
            throw RoloError.notFound("cannot find the demo data; \(pointer) (assets/demo in the source tree)")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) else {
            throw RoloError.notFound("no demo folder \(directory)")
        }
        guard isFolder.boolValue, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw RoloError.failed("cannot read the demo folder \(directory) (is it a folder?)")
        }
        let files = names.filter { $0.hasSuffix(".json") }.sorted()
        guard !files.isEmpty else { throw RoloError.notFound("no demo files in \(directory)") }
        var loaded = 0
        for file in files {
            let path = directory + "/" + file
            let accountName = (file as NSString).deletingPathExtension
            if try context.services.accounts.accounts().contains(where: { $0.name.caseInsensitiveCompare(accountName) == .orderedSame }) {
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw RoloError.failed("cannot read \(path)") }
            do {
                loaded += try context.services.files.importFile(data, format: .json).imported
            } catch let error as RoloError {
                // Name the file: the message alone ("line 1: …") does not say which.
                throw RoloError.failed("\(path): " + error.description.replacingOccurrences(of: "\n", with: "\n\(path): "))
            }
        }
        return loaded
    }
}
