import ArgumentParser
import Foundation
import RoloCore
import RoloInterchange
import RoloStore
import RoloSync

/// Where a background task leaves its result for the thread waiting on it.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// Runs async work from a synchronous command (ArgumentParser's `run()`), waiting for it.
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send waiting edits to the providers and bring their changes back.",
        discussion: """
            Syncs every account of the config (or --account A): first the provider's changes are read \
            and merged field by field with the edits waiting here, then the edits are sent. A field \
            changed on both sides to different values is a conflict, kept for you to decide \
            (rolo conflicts, rolo resolve). Nothing is lost: an edit leaves the outbox only once the \
            provider confirmed it, and a run stopped at any moment goes on where it was next time.

            A run that would delete more than 50 contacts here, or more than 10 % of an account, \
            deletes none and asks for --allow-deletes. --dry-run says what a run would do and \
            changes nothing, here or at the provider.

            Accounts are configured in $XDG_CONFIG_HOME/rolo/config.toml (or --config), for example:

              [accounts.support]
              provider = "notifuse"
              base_url = "https://notifuse.example.com"
              workspace_id = "ws_1234567890"
              token_env = "ROLO_SUPPORT_TOKEN"     # or token_file = "~/.config/rolo/support.token" (mode 0600)

              [accounts.support.fields]
              plan = { slot = "custom_string_1", type = "text", label = "Plan" }

            Exit status: 0 when everything went through, 1 when anything failed, conflicts, was held \
            back or could not be reached — also an edit that failed or conflicted in an earlier run \
            and still waits (its next try later, or rolo retry / rolo resolve), as it has not reached \
            the provider.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this account.") var account: String?
    @Flag(name: .customLong("dry-run"), help: "Say what a sync would do; change nothing.") var dryRun = false
    @Flag(name: .customLong("allow-deletes"), help: "Apply deletions past the mass-delete guard.") var allowDeletes = false
    @Flag(name: .customLong("full"), help: "Read every contact, also where the provider lists only changes (finds deletes).")
    var full = false
    @Flag(name: [.short, .long], help: "List what the run did, contact by contact (a dry run always does).") var verbose = false
    @Flag(help: "Print the reports as JSON.") var json = false

    /// What earlier runs left is listed up to this many of each kind; `rolo outbox` and
    /// `rolo conflicts` show the rest.
    static let shownEarlier = 20

    func run() throws {
        let context = try Context.open(global)
        let sync = context.syncService()
        let targets: [Account]
        if let account {
            let named = try context.services.accounts.account(named: account)
            if let why = sync.whyNotSyncable(named) { throw RoloError.failed(why) }
            targets = [named]
        } else {
            targets = try sync.accountsToSync()
            if targets.isEmpty {
                throw RoloError.failed("no account can sync: add an account to \(context.paths.configFile) "
                    + "(rolo help sync shows how), or start rolo sandbox to try it")
            }
        }
        let options = SyncOptions(dryRun: dryRun, allowDeletes: allowDeletes, fullListing: full)
        let bar = ProgressLine(enabled: Output.standardErrorIsTerminal && !json,
                               interrupted: "rolo: sync interrupted; what it did is kept, and the next sync goes on from there")
        let reports = try waitFor { try await sync.sync(targets, options: options, progress: { bar.show($0) }) }
        bar.finish()
        if json {
            Output.raw(JSONValue.array(reports.map(\.json)).prettyText + "\n")
        } else {
            for report in reports {
                Output.line(TerminalText.sanitize(report.summary))
                if dryRun || verbose {
                    for line in report.plan.prefix(200) { Output.line("  " + TerminalText.sanitize(line)) }
                    if report.plan.count > 200 { Output.line("  … and \(report.plan.count - 200) more (--json lists them all)") }
                }
                if dryRun {
                    for note in report.notes { Output.line("  note: " + note) }
                }
                for conflict in report.conflicts {
                    Output.line("  conflict: " + TerminalText.sanitize("\(conflict.name): \(conflict.message)"))
                }
                for failure in report.failures {
                    Output.line("  failed: " + TerminalText.sanitize("\(failure.name): \(failure.message)"))
                }
                let shown = SyncCommand.shownEarlier
                for failure in report.failedEarlier.prefix(shown) {
                    let next = failure.retryAt.map { "next try \($0.display)" } ?? "waits for rolo retry"
                    Output.line("  failed earlier: " + TerminalText.sanitize("\(failure.name): \(failure.message) (\(next))"))
                }
                for conflict in report.conflictsEarlier.prefix(shown) {
                    Output.line("  conflict from earlier: " + TerminalText.sanitize("\(conflict.name): \(conflict.message)"))
                }
                let more = max(0, report.failedEarlier.count - shown) + max(0, report.conflictsEarlier.count - shown)
                if more > 0 { Output.line("  … and \(more) more from earlier") }
            }
            if reports.contains(where: { !$0.conflicts.isEmpty || !$0.conflictsEarlier.isEmpty }) {
                Output.line("See them with rolo conflicts; settle them with rolo resolve ID --mine|--theirs.")
            }
            if reports.contains(where: { !$0.failures.isEmpty || !$0.failedEarlier.isEmpty }) {
                Output.line("rolo outbox shows what failed; rolo retry ID (or --failed) sends it with the next sync.")
            }
        }
        if reports.contains(where: { !$0.isClean }) { throw ExitCode(1) }
    }
}

extension SyncReport {
    var json: JSONValue {
        func problems(_ list: [Problem]) -> JSONValue {
            .array(list.map { .object(["id": $0.contactID.map { .string($0.shortID) } ?? .null, "name": .string($0.name),
                                       "message": .string($0.message)]) })
        }
        return .object([
            "account": .string(account), "provider": .string(provider), "dry_run": .bool(dryRun),
            "here": .object(["created": .number(Double(created)), "updated": .number(Double(updated)),
                             "deleted": .number(Double(deleted)), "unchanged": .number(Double(unchanged)),
                             "provider_data_only": .number(Double(providerDataOnly))]),
            "sent": .object(["created": .number(Double(sentCreates)), "updated": .number(Double(sentUpdates)),
                             "deleted": .number(Double(sentDeletes)), "kept_at_provider": .number(Double(keptAtProvider)),
                             "kept_in_rolo": .number(Double(keptInRolo))]),
            "conflicts": problems(conflicts), "failures": problems(failures),
            "conflicts_earlier": problems(conflictsEarlier),
            "failed_earlier": .array(failedEarlier.map { failure in
                .object(["id": failure.contactID.map { .string($0.shortID) } ?? .null, "name": .string(failure.name),
                         "message": .string(failure.message), "next_try": failure.retryAt.map { .string($0.rfc3339) } ?? .null])
            }),
            "held_deletions": .number(Double(heldDeletions)), "stopped": stopped.map(JSONValue.string) ?? .null,
            "offline": .bool(offline), "listing_complete": .bool(listingComplete),
            "plan": .array(plan.map(JSONValue.string)), "summary": .string(summary),
        ])
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "What waits to be sent: one line per contact, with its state and the provider's last error.",
        discussion: """
            States: pending (waits for the next sync), sending (a sync is sending it), failed (the \
            provider refused it or it kept failing; rolo retry ID puts it back), conflict (rolo conflicts). \
            --changes also lists the fields each would send. --tsv: id, name, account, kind, state, \
            attempts, next try, error.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this account.") var account: String?
    @Flag(help: "List the fields each would send.") var changes = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print tab-separated values.") var tsv = false

    func validate() throws {
        if json && tsv { throw ValidationError("choose one of --json and --tsv") }
    }

    func run() throws {
        let context = try Context.open(global)
        let (scope, _) = try context.scope(account)
        let entries = try context.services.reader.outbox(in: scope)
        let names = Dictionary(uniqueKeysWithValues: try context.services.accounts.accounts().map { ($0.id, $0.name) })
        if json {
            Output.raw(JSONValue.array(try entries.map { entry in
                var object: [String: JSONValue] = [
                    "id": .string(entry.contactID.shortID), "name": .string(entry.displayName),
                    "account": .string(names[entry.accountID] ?? ""), "kind": .string(entry.kind.rawValue),
                    "state": .string(entry.state.rawValue), "attempts": .number(Double(entry.attempts)),
                    "next_attempt": entry.nextAttemptAt.map { .string($0.rfc3339) } ?? .null,
                    "error": entry.lastError.map(JSONValue.string) ?? .null,
                ]
                if changes {
                    object["changes"] = .array(try context.services.cache.pendingChanges(for: entry.contactID).map { delta in
                        .object(["field": .string(delta.key.name), "value": delta.after.map { .string($0.displayText) } ?? .null])
                    })
                }
                return .object(object)
            }).prettyText + "\n")
            return
        }
        if tsv {
            for entry in entries {
                Output.line(Output.tsvLine([entry.contactID.shortID, entry.displayName, names[entry.accountID], entry.kind.rawValue,
                                            entry.state.rawValue, String(entry.attempts), entry.nextAttemptAt?.rfc3339 ?? "",
                                            entry.lastError ?? ""]))
            }
            return
        }
        guard !entries.isEmpty else {
            Output.line("Nothing waits to be sent.")
            return
        }
        let rows = entries.map { entry in
            [entry.contactID.shortID, entry.displayName, names[entry.accountID] ?? "", entry.kind.rawValue, entry.state.rawValue,
             entry.attempts == 0 ? "" : String(entry.attempts), entry.nextAttemptAt?.display ?? "", entry.lastError ?? ""]
        }
        Output.table(header: ["ID", "NAME", "ACCOUNT", "KIND", "STATE", "TRIES", "NEXT TRY", "LAST ERROR"], rows: rows, flexible: 7)
            .forEach(Output.line)
        if changes {
            for entry in entries {
                let deltas = try context.services.cache.pendingChanges(for: entry.contactID)
                guard !deltas.isEmpty else { continue }
                Output.line(TerminalText.sanitize("\(entry.contactID.shortID) \(entry.displayName):"))
                for delta in deltas {
                    Output.line(TerminalText.sanitize("  \(delta.key.name) = \(delta.after.map(\.displayText) ?? "(cleared)")"))
                }
            }
        }
    }
}

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "Contacts changed on both sides: each field with the value here (mine) and the provider's (theirs).",
        discussion: "Settle them with rolo resolve ID --mine, --theirs, or --field key=mine|theirs for one field."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this account.") var account: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let context = try Context.open(global)
        let (scope, _) = try context.scope(account)
        let conflicted = try context.services.cache.conflictedContacts(in: scope)
        if json {
            Output.raw(JSONValue.array(conflicted.map { contact in
                .object(["id": .string(contact.contactID.shortID), "name": .string(contact.displayName),
                         "detected_at": .string(contact.detectedAt.rfc3339),
                         "conflicts": .array(contact.conflicts.map { conflict in
                             .object(["kind": .string(conflict.kind.rawValue),
                                      "field": conflict.key.map { .string($0.name) } ?? .null,
                                      "base": conflict.base.map { .string($0.displayText) } ?? .null,
                                      "mine": conflict.local.map { .string($0.displayText) } ?? .null,
                                      "theirs": conflict.remote.map { .string($0.displayText) } ?? .null])
                         })])
            }).prettyText + "\n")
            return
        }
        guard !conflicted.isEmpty else {
            Output.line("No conflicts.")
            return
        }
        for contact in conflicted {
            Output.line(TerminalText.sanitize("\(contact.contactID.shortID)  \(contact.displayName)  (since \(contact.detectedAt.display))"))
            var rows: [[String]] = []
            for conflict in contact.conflicts {
                switch conflict.kind {
                case .field:
                    rows.append(["  " + (conflict.key?.name ?? ""), display(conflict.base), display(conflict.local), display(conflict.remote)])
                case .remoteDeleted:
                    rows.append(["  (the contact)", "", "edited here", "deleted there"])
                case .localDeleted:
                    rows.append(["  (the contact)", "", "deleted here", "changed there"])
                }
            }
            Output.table(header: ["  FIELD", "BEFORE", "MINE", "THEIRS"], rows: rows, flexible: 3).forEach(Output.line)
        }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a contact's conflict: keep mine, take theirs, or choose per field.",
        discussion: """
            --mine keeps the values typed here (they are sent with the next sync); --theirs takes the \
            provider's. For a contact deleted on one side: --mine keeps your side (re-creates it at the \
            provider, or sends the delete), --theirs lets it go (or brings back the provider's version).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The contact: short id, uid, provider id or email.") var id: String
    @Flag(help: "Keep every value typed here.") var mine = false
    @Flag(help: "Take every value the provider has.") var theirs = false
    @Option(name: .customLong("field"), help: ArgumentHelp("One field: key=mine or key=theirs.", valueName: "key=side"))
    var fields: [String] = []

    func validate() throws {
        if mine && theirs { throw ValidationError("choose one of --mine and --theirs") }
        if !mine && !theirs && fields.isEmpty { throw ValidationError("say which side: --mine, --theirs or --field key=mine|theirs") }
    }

    func run() throws {
        let context = try Context.open(global)
        var choices: [FieldKey: ConflictSide] = [:]
        for text in fields {
            guard let equals = text.firstIndex(of: "="), let side = ConflictSide(rawValue: String(text[text.index(after: equals)...])) else {
                throw RoloError.invalid(field: text, "write key=mine or key=theirs")
            }
            choices[FieldKey(parsing: String(text[..<equals]))] = side
        }
        let contact = try context.services.reader.resolve(id)
        let remaining = try context.syncService().resolve(contact, fields: choices, all: mine ? .mine : theirs ? .theirs : nil)
        if remaining.isEmpty {
            Output.line("Resolved; what differs from the provider goes out with the next sync.")
        } else {
            Output.line("Still in conflict: " + remaining.compactMap { $0.key?.name }.joined(separator: ", "))
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Put failed deliveries back in line for the next sync.",
        discussion: "rolo retry ID for one contact, rolo retry --failed for every failed one (of --account A)."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The contact.") var id: String?
    @Flag(help: "Every failed delivery.") var failed = false
    @Option(help: "With --failed: only this account.") var account: String?

    func validate() throws {
        if (id == nil) == !failed { throw ValidationError("give a contact id or --failed") }
    }

    func run() throws {
        let context = try Context.open(global)
        let sync = context.syncService()
        if let id {
            let contact = try context.services.reader.resolve(id)
            guard try sync.retry(contact) else {
                throw RoloError.invalid(field: "id", "\(contact.shortID) has no failed delivery")
            }
            Output.line("\(contact.shortID) goes out with the next sync.")
            return
        }
        let (scope, _) = try context.scope(account)
        var count = 0
        for entry in try context.services.reader.outbox(in: scope) where entry.state == .failed {
            if try sync.retry(entry.contactID) { count += 1 }
        }
        Output.line(count == 0 ? "No failed deliveries." : "\(count) failed deliver\(count == 1 ? "y goes" : "ies go") out with the next sync.")
    }
}

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Bring one contact in from a provider that cannot list its contacts (DailyStory), by email or mobile.",
        discussion: """
            A DailyStory sync sends rolo's edits and refreshes the contacts rolo knows, but cannot \
            discover contacts created in DailyStory. rolo fetch asks DailyStory for one by its email \
            or mobile number and stores it as a sync would: linked, merged field by field with a \
            contact rolo has already, a conflict kept for you. Exit 3 when DailyStory has no such \
            contact (or only in its trash). To bring many in, import a CSV export from DailyStory.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The account to fetch into.") var account: String
    @Option(help: "The contact's email address.") var email: String?
    @Option(help: ArgumentHelp("The contact's mobile number, in international form (+15557140059).", valueName: "number"))
    var mobile: String?
    @Flag(help: "Print the contact as rolo JSON.") var json = false

    func validate() throws {
        if (email == nil) == (mobile == nil) { throw ValidationError("give --email or --mobile (one of them)") }
    }

    func run() throws {
        let context = try Context.open(global)
        let target = try context.services.accounts.account(named: account)
        let sync = context.syncService()
        let (email, mobile) = (self.email, self.mobile)
        let outcome = try waitFor {
            if let email { return try await sync.fetchOne(account: target, email: email) }
            return try await sync.fetchOne(account: target, mobile: mobile!)
        }
        if json {
            let contact = try context.services.reader.contact(outcome.contactID)
            Output.raw(RoloJSON.object(for: contact, accountName: target.name).prettyText + "\n")
            return
        }
        Output.line(TerminalText.sanitize("\(outcome.contactID.shortID)  \(outcome.summary)"))
        if outcome.change == .conflict { throw ExitCode(1) }
    }
}
