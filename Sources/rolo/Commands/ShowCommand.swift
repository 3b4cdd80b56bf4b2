import ArgumentParser
import Foundation
import RoloCore
import RoloInterchange
import RoloSync

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one contact: every field, its custom fields, consent and sync state.",
        discussion: "ID is a short id (k3p9), a uid, a provider's id, or an email address that names one contact."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The contact.") var id: String
    @Flag(help: "Print rolo's JSON, with a \"sync\" member.") var json = false
    @Flag(help: "Also print the contact's change history.") var history = false

    func validate() throws {
        if json && history { throw ValidationError("--history prints a table; use it without --json") }
    }

    func run() throws {
        let context = try Context.open(global)
        let detail = try context.services.reader.detail(context.services.reader.resolve(id))
        let contact = detail.contact
        if json {
            var object = RoloJSON.object(for: contact, accountName: detail.account.name)
            if case .object(var members) = object {
                var sync: [String: JSONValue] = ["state": .string(detail.syncState.summary)]
                if let link = detail.remoteLink { sync["remote_id"] = .string(link.remoteID) }
                if let entry = try context.services.reader.outbox(for: contact.id).first {
                    sync["outbox"] = .object(["kind": .string(entry.kind.rawValue), "state": .string(entry.state.rawValue),
                                              "attempts": .number(Double(entry.attempts)),
                                              "last_error": entry.lastError.map(JSONValue.string) ?? .null])
                }
                members["sync"] = .object(sync)
                object = .object(members)
            }
            Output.raw(object.prettyText + "\n")
            return
        }
        var lines: [(String, String)] = []
        func further(_ kind: OtherValueKind) -> [(String, String)] { contact[others: kind].map { (kind.screenLabel(of: $0), $0.value) } }
        let shown = StandardField.allCases.filter { contact[$0] != nil }
        for field in shown {
            lines.append((field.label, field.humanValue(contact[field]!)))
            // Further emails after the email, further phones after the last phone, as in the detail pane.
            if let kind = OtherValueKind.listed(after: field, shown: shown) { lines += further(kind) }
        }
        for kind in OtherValueKind.allCases where !kind.standardFields.contains(where: shown.contains) { lines += further(kind) }
        Output.line(TerminalText.sanitize("\(contact.displayName)  (\(contact.id!.shortID) · \(detail.account.name) · "
            + "\(detail.account.profile.displayName))"))
        printSection(nil, lines)
        if !contact.custom.isEmpty {
            let labels = Dictionary(detail.definitions.map { ($0.key, $0.label) }, uniquingKeysWith: { first, _ in first })
            printSection("Custom fields", contact.custom.keys.sorted().map { key in
                let value = contact.custom[key]!
                return ("\(labels[key] ?? key) (\(value.type.rawValue))", value.displayText)
            })
        }
        var sync = [("State", detail.syncState.summary)]
        if let link = detail.remoteLink { sync.append(("Remote id", link.remoteID)) }
        sync.append(("Created", contact.createdAt.display))
        sync.append(("Changed", contact.updatedAt.display))
        sync.append(("uid", contact.uid))
        printSection("Sync", sync)
        if !contact.extensions.isEmpty {
            // A photo kept from a vCard is named and sized, not printed as base64.
            printSection("Provider data", contact.extensions.keys.sorted().map { key in
                (key, ShownProviderData.value(contact.extensions[key]!, key: key).canonicalText)
            })
        }
        if history {
            let entries = try context.services.reader.audit(for: contact.id!)
            printSection("History", entries.map { entry in
                let changes = entry.deltas.map { "\($0.key.name): \(display($0.before)) → \(display($0.after))" }
                return ("\(entry.at.display) \(entry.action)", "\(entry.author.description)  " + changes.joined(separator: "; "))
            }, labelLimit: 40)   // a time stamp and the longest action ("undo update") in full
        }
    }

    private func printSection(_ title: String?, _ lines: [(String, String)], labelLimit: Int = 28) {
        guard !lines.isEmpty else { return }
        if let title { Output.line("\n" + title) }
        let width = min(labelLimit, lines.map { TerminalText.width(TerminalText.sanitize($0.0)) }.max() ?? 0)
        for (label, value) in lines {
            let valueLines = TerminalText.sanitizeKeepingLayout(value).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, part) in valueLines.enumerated() {
                let shownLabel = index == 0 ? TerminalText.fit(TerminalText.sanitize(label), to: width) : String(repeating: " ", count: width)
                Output.line("  " + shownLabel + "  " + String(part).replacingOccurrences(of: "\t", with: " "))
            }
        }
    }
}
