import Foundation
import RoloCore
import RoloSync

/// The `:` commands: each with its words and what it does.
struct LineCommand: Sendable {
    let names: [String]
    let usage: String
    let help: String
}

extension AppModel {
    static let lineCommands: [LineCommand] = [
        LineCommand(names: ["w", "write"], usage: ":w", help: "Save the contact being edited."),
        LineCommand(names: ["wq", "x"], usage: ":wq", help: "Save the contact being edited and quit."),
        LineCommand(names: ["q", "quit"], usage: ":q", help: "Quit (asks when an edit is not saved)."),
        LineCommand(names: ["q!", "quit!"], usage: ":q!", help: "Quit now; an unsaved edit stays as a draft."),
        LineCommand(names: ["account"], usage: ":account NAME|all", help: "Show one account, or all of them."),
        LineCommand(names: ["export"], usage: ":export FILE", help: "Write the contacts in view (account and filter) to FILE: .json, .csv or .vcf."),
        LineCommand(names: ["sort"], usage: ":sort name|name-desc|recent", help: "Order the list."),
        LineCommand(names: ["filter"], usage: ":filter QUERY", help: "Filter the list (as /)."),
        LineCommand(names: ["undo"], usage: ":undo", help: "Undo the last edit that has not been sent."),
        LineCommand(names: ["new"], usage: ":new", help: "Add a contact."),
        LineCommand(names: ["edit"], usage: ":edit", help: "Edit the selected contact."),
        LineCommand(names: ["sync"], usage: ":sync", help: "Sync the account in view (or all of them) in the background."),
        LineCommand(names: ["outbox"], usage: ":outbox", help: "Show what waits to be sent."),
        LineCommand(names: ["conflicts"], usage: ":conflicts", help: "Show the conflicts and settle them."),
        LineCommand(names: ["retry"], usage: ":retry", help: "Send the selected contact's failed change again with the next sync."),
        LineCommand(names: ["fetch"], usage: ":fetch EMAIL|MOBILE",
                    help: "Bring one contact in from a provider that cannot list its contacts."),
        LineCommand(names: ["help", "h"], usage: ":help", help: "Show the keys of this pane."),
    ]

    func execute(_ text: String, _ effects: inout [Effect]) throws {
        let line = text.trimmed
        guard !line.isEmpty else { return }
        if history.last != line { history.append(line) }
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts[0]
        let argument = parts.count > 1 ? parts[1].trimmed : ""
        switch name {
        case "w", "write":
            guard form != nil else { return show("Nothing to save: no contact is being edited", .warning) }
            try saveForm(&effects, thenQuit: false)
        case "wq", "x":
            if form != nil { try saveForm(&effects, thenQuit: true) } else { effects.append(.quit) }
        case "q", "quit":
            try perform(.quit, in: context, key: .character("q"), &effects)
        case "q!", "quit!":
            effects.append(.quit)
        case "account":
            guard !argument.isEmpty else { return openAccountPicker(purpose: .account) }
            if argument.lowercased() == "all" { return try switchScope(to: .all, &effects) }
            try switchScope(to: .account(try services.accounts.account(named: argument).id), &effects)
        case "export":
            try export(to: argument)
        case "sort":
            guard let order = ListOrder(rawValue: argument.lowercased()) else {
                return show("Sort by one of: " + ListOrder.allCases.map(\.rawValue).joined(separator: ", "), .error)
            }
            list.order = order
            try list.moveFirst(scope: scope, reader: reader)
            detail = nil
            try loadDetailIfVisible()
            show("Sorted by \(order.label)")
        case "filter":
            focus = .list
            list.filter.setText(argument)
            try filterChanged(&effects)
        case "undo":
            try perform(.undo, in: .list, key: .character("u"), &effects)
        case "new":
            try perform(.new, in: .list, key: .character("n"), &effects)
        case "edit":
            try perform(.edit, in: .list, key: .character("e"), &effects)
        case "sync":
            try perform(.sync, in: .list, key: .character("s"), &effects)
        case "outbox":
            try openOutbox()
        case "conflicts":
            try openConflicts()
        case "retry":
            try perform(.retry, in: syncView?.context ?? .list, key: .character("R"), &effects)
        case "fetch":
            try startFetch(text: argument.isEmpty ? nil : argument, &effects)
        case "help", "h":
            overlay = .help(syncView?.context ?? (focus == .form ? .form : focus == .detail ? .detail : .list), scroll: 0)
        default:
            show("Unknown command :\(name) — try :help", .error)
        }
    }

    private func export(to path: String) throws {
        guard !path.isEmpty else { return show("Give a file: :export contacts.csv (.json, .csv or .vcf)", .error) }
        let expanded = (path as NSString).expandingTildeInPath
        let written = try services.files.exportFile(in: scope, matching: list.query, toPath: expanded)
        show("Exported \(written) contact\(written == 1 ? "" : "s") to \(path)", .success)
    }

    /// Tab on the command line: completes a command name, or an account or order after one.
    func completeCommandLine() {
        guard var line = commandLine else { return }
        let text = line.editor.text
        let candidates: [String]
        let prefix: String
        let lead: String
        if let space = text.firstIndex(of: " ") {
            let name = String(text[..<space])
            lead = String(text[...space])
            prefix = String(text[text.index(after: space)...])
            switch name {
            case "account": candidates = ["all"] + accounts.map(\.name)
            case "sort": candidates = ListOrder.allCases.map(\.rawValue)
            default: candidates = []
            }
        } else {
            lead = ""
            prefix = text
            candidates = AppModel.lineCommands.flatMap(\.names)
        }
        let matches = candidates.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }
        if matches.count == 1 {
            line.editor.setText(lead + matches[0] + (lead.isEmpty && ["account", "export", "sort", "filter", "fetch"].contains(matches[0]) ? " " : ""))
            line.completions = []
        } else if !matches.isEmpty {
            let common = matches.dropFirst().reduce(matches[0]) { shared, next in
                String(zip(shared, next).prefix { $0.0 == $0.1 }.map(\.0))
            }
            if common.count > prefix.count { line.editor.setText(lead + common) }
            line.completions = matches
        }
        commandLine = line
    }

    func browseHistory(up: Bool) {
        guard var line = commandLine, !history.isEmpty else { return }
        if line.historyIndex == nil {
            guard up else { return }
            line.unfinished = line.editor.text
        }
        var index = line.historyIndex ?? history.count
        index = up ? max(0, index - 1) : index + 1
        if index >= history.count {
            line.historyIndex = nil
            line.editor.setText(line.unfinished)
        } else {
            line.historyIndex = index
            line.editor.setText(history[index])
        }
        commandLine = line
    }
}
