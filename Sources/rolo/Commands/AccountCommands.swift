import ArgumentParser
import Foundation
import RoloCore
import RoloSync

struct Accounts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List the accounts: provider, contacts, what waits to be sent, failures, conflicts, last sync.",
        discussion: """
            --tsv prints one account per line: name, provider, contacts, pending, failed, conflicts, last sync \
            (RFC 3339 in UTC, empty when never). No secret is ever printed.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print tab-separated values.") var tsv = false

    func validate() throws {
        if json && tsv { throw ValidationError("choose one of --json and --tsv") }
    }

    func run() throws {
        let context = try Context.open(global)
        let rows = try context.services.accounts.accounts().map { account in
            (account, try context.services.accounts.deliveryStatus(in: .account(account.id)))
        }
        if json {
            let array = JSONValue.array(rows.map { account, status in
                .object(["name": .string(account.name), "provider": .string(account.provider.rawValue),
                         "contacts": .number(Double(status.contacts)),
                         "pending": .number(Double(status.pending + status.sending)), "failed": .number(Double(status.failed)),
                         "conflicts": .number(Double(status.conflicts)),
                         "last_sync": status.lastSync.map { .string($0.rfc3339) } ?? .null])
            })
            Output.raw(array.prettyText + "\n")
        } else if tsv {
            for (account, status) in rows {
                Output.line(Output.tsvLine([account.name, account.provider.rawValue, String(status.contacts),
                                            String(status.pending + status.sending), String(status.failed), String(status.conflicts),
                                            status.lastSync?.rfc3339 ?? ""]))
            }
        } else {
            let table = Output.table(header: ["ACCOUNT", "PROVIDER", "CONTACTS", "PENDING", "FAILED", "CONFLICTS", "LAST SYNC"],
                                     rows: rows.map { account, status in
                let synced = account.isLocal ? "—" : (status.lastSync?.display ?? "never")
                return [account.name, account.profile.displayName, String(status.contacts), String(status.pending + status.sending),
                        String(status.failed), String(status.conflicts), synced]
            }, flexible: 0)
            table.forEach(Output.line)
        }
    }
}

struct Fields: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "field",
        abstract: "List or add an account's custom fields.",
        subcommands: [FieldList.self, FieldAdd.self],
        defaultSubcommand: FieldList.self
    )
}

struct FieldList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an account's custom fields.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The account (default: local).") var account: String?

    func run() throws {
        let context = try Context.open(global)
        let target = try context.target(account)
        let definitions = try context.services.accounts.fieldDefinitions(accountID: target.id)
        Output.line(TerminalText.sanitize("\(target.name) (\(target.profile.displayName)): \(target.rules.customKeyHint)"))
        guard !definitions.isEmpty else { return }
        let rows = definitions.map { definition -> [String] in
            var notes: [String] = []
            if definition.isRequired { notes.append("required") }
            if definition.isReadOnly { notes.append("read-only") }
            if definition.wholeNumbersOnly { notes.append("whole numbers") }
            if let max = definition.maxLength { notes.append("≤ \(max) characters") }
            if !definition.options.isEmpty { notes.append("options: " + definition.options.map(\.label).joined(separator: ", ")) }
            return [definition.key, definition.label, definition.type.rawValue, definition.providerRef ?? "", notes.joined(separator: "; ")]
        }
        Output.table(header: ["KEY", "LABEL", "TYPE", "PROVIDER FIELD", "NOTES"], rows: rows, flexible: 4).forEach(Output.line)
    }
}

struct FieldAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Define a custom field (on Notifuse it takes a free slot of its type).",
        discussion: "iVvy defines its own custom fields; they cannot be added from rolo."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The key (lowercase letters, digits and _ work best).") var key: String
    @Option(help: "text, number, datetime, date, bool, json, select or multiselect.") var type: FieldType
    @Option(help: "The label shown in the panes.") var label: String?
    @Option(name: .customLong("option"), help: ArgumentHelp("An option of a select field: value or value=Label.", valueName: "value"))
    var options: [String] = []
    @Option(help: "The account (default: local).") var account: String?

    func run() throws {
        let context = try Context.open(global)
        let target = try context.target(account)
        let parsedOptions = options.map { text -> SelectOption in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            return SelectOption(value: parts[0], label: parts.count > 1 ? parts[1] : nil)
        }
        let (definition, warnings) = try context.services.accounts.addCustomField(key: key, type: type, label: label,
                                                                        options: parsedOptions, to: target)
        for warning in warnings { Output.error("rolo: warning: \(warning)") }
        Output.line(TerminalText.sanitize("added \(definition.key) (\(definition.type.rawValue))"
            + (definition.providerRef.map { " in \($0)" } ?? "") + " to \(target.name)"))
    }
}

extension FieldType: ExpressibleByArgument {}

struct Paths: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paths", abstract: "Print where rolo keeps its config, cache and log.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        // The config file rolo reads (--config, $ROLO_CONFIG), not only the folder it would be in.
        let paths = RoloPaths(database: global.db, config: global.config)
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) ? "" : "  (not created yet)" }
        Output.line(TerminalText.sanitize("config  \(paths.configFile)\(exists(paths.configFile))"))
        Output.line(TerminalText.sanitize("cache   \(paths.cache)\(exists(paths.cache))"))
        Output.line(TerminalText.sanitize("log     \(paths.log)\(exists(paths.log))"))
        if let demo = RoloPaths.demoDirectory() { Output.line(TerminalText.sanitize("demo    \(demo)")) }
    }
}
