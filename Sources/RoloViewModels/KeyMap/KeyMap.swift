/// Where keys are read: each pane or input has its own bindings.
public enum KeyContext: String, CaseIterable, Sendable {
    case list, detail, form, formInput, filterInput, commandLine, picker, dialog, prompt, help
    /// The outbox and conflicts views.
    case outbox, conflicts
    /// Typing the email or mobile number of a contact to fetch.
    case fetchInput

    /// Contexts where letters are typed as text, so only control and special keys are commands.
    public var isTextInput: Bool {
        switch self {
        case .formInput, .filterInput, .commandLine, .prompt, .fetchInput: true
        default: false
        }
    }

    /// The name shown at the top of the `?` overlay.
    public var title: String {
        switch self {
        case .list: "Contact list"
        case .detail: "Contact detail"
        case .form: "Edit form"
        case .formInput: "Editing a field"
        case .filterInput: "Live filter"
        case .commandLine: "Command line"
        case .picker: "Choosing"
        case .dialog: "Question"
        case .prompt: "New custom field"
        case .help: "Help"
        case .outbox: "Outbox"
        case .conflicts: "Conflicts"
        case .fetchInput: "Fetch a contact"
        }
    }
}

/// Everything a key can ask rolo to do.
public enum Command: String, CaseIterable, Sendable {
    case moveDown, moveUp, pageDown, pageUp, moveFirst, moveLast
    case open, back, switchPane
    case filter, sort, switchAccount
    case edit, new, delete, undo
    case help, commandLine, quit, redraw, suspend
    case editField, toggleField, clearField, revertField, addField, save
    case nextField, previousField
    case accept, cancel, complete, historyUp, historyDown
    case sync, showOutbox, showConflicts, retry, fetch
    case takeMine, takeTheirs, takeAllMine, takeAllTheirs
}

extension Command {
    /// Commands that write to the cache, off with `--read-only`.
    public var changesContacts: Bool {
        switch self {
        case .edit, .new, .delete, .undo, .save, .addField: true
        // A sync, a retry, a settled conflict and a fetch all write to the cache.
        case .sync, .retry, .fetch, .takeMine, .takeTheirs, .takeAllMine, .takeAllTheirs: true
        default: false
        }
    }
}

/// One binding: a key, what it does where, and the words that explain it.
public struct KeyBinding: Sendable, Hashable {
    public let key: Key
    public let command: Command
    public let contexts: Set<KeyContext>
    /// One or two words for the footer hints (empty: not shown there).
    public let label: String
    /// A sentence for the `?` overlay.
    public let help: String

    public init(_ key: Key, _ command: Command, in contexts: Set<KeyContext>, label: String = "", help: String) {
        self.key = key
        self.command = command
        self.contexts = contexts
        self.label = label
        self.help = help
    }
}

/// The key map as data (after tig): the dispatcher, the footer hints and the `?` overlay are
/// all generated from this one table, so they cannot disagree.
public struct KeyMap: Sendable {
    public let bindings: [KeyBinding]

    public init(bindings: [KeyBinding]) { self.bindings = bindings }

    /// The command a key runs in a context, if any.
    public func command(for key: Key, in context: KeyContext) -> Command? {
        bindings.first { $0.key == key && $0.contexts.contains(context) }?.command
    }

    /// The hints for the footer: the labelled bindings of the context, one per command,
    /// written with every key that does it (`j/↓ down`).
    ///
    /// With `readOnly`, the commands that change contacts are left out: the footer offers only
    /// what works. (Pressed anyway, they say that editing is off.)
    public func hints(for context: KeyContext, readOnly: Bool = false) -> [(keys: String, label: String)] {
        grouped(for: context).filter { !$0.label.isEmpty && !(readOnly && $0.command.changesContacts) }.map { ($0.keys, $0.label) }
    }

    /// Every binding of the context for the `?` overlay, keys grouped by command.
    public func help(for context: KeyContext) -> [(keys: String, help: String)] {
        grouped(for: context).map { ($0.keys, $0.help) }
    }

    private func grouped(for context: KeyContext) -> [(command: Command, keys: String, label: String, help: String)] {
        var order: [Command] = []
        var keys: [Command: [String]] = [:]
        var first: [Command: KeyBinding] = [:]
        for binding in bindings where binding.contexts.contains(context) {
            if first[binding.command] == nil {
                order.append(binding.command)
                first[binding.command] = binding
            }
            keys[binding.command, default: []].append(binding.key.description)
        }
        return order.map { command in
            let binding = first[command]!
            return (command, keys[command]!.joined(separator: "/"), binding.label, binding.help)
        }
    }

    /// Keys bound to more than one command in the same context: a mistake in the table.
    public func conflicts() -> [(context: KeyContext, key: Key, commands: [Command])] {
        var found: [(KeyContext, Key, [Command])] = []
        for context in KeyContext.allCases {
            var seen: [Key: [Command]] = [:]
            for binding in bindings where binding.contexts.contains(context) {
                seen[binding.key, default: []].append(binding.command)
            }
            for (key, commands) in seen where Set(commands).count > 1 {
                found.append((context, key, commands))
            }
        }
        return found
    }

    /// Bindings that put a printable key where text is typed (it could never be typed).
    public func bindingsShadowingText() -> [KeyBinding] {
        bindings.filter { binding in
            guard case .character = binding.key else { return false }
            return binding.contexts.contains(where: \.isTextInput)
        }
    }
}

extension KeyMap {
    /// rolo's keys: arrows and hjkl, g/G, PgUp/PgDn, `/` filter, Enter, `e` edit, `n` new,
    /// `d` delete, `u` undo, `s` sync, `?` help, `:` command line, Esc back, `q` quit; the
    /// capitals open what sync leaves to settle: `O` outbox, `C` conflicts, `R` retry, `F` fetch.
    public static let standard: KeyMap = {
        let browse: Set<KeyContext> = [.list, .detail]
        let views: Set<KeyContext> = [.outbox, .conflicts]
        let navigable: Set<KeyContext> = [.list, .detail, .form, .picker, .help, .outbox, .conflicts]
        let anywhere: Set<KeyContext> = [.list, .detail, .form, .outbox, .conflicts]
        var bindings: [KeyBinding] = []
        func bind(_ keys: [Key], _ command: Command, _ contexts: Set<KeyContext>, label: String = "", help: String) {
            for key in keys { bindings.append(KeyBinding(key, command, in: contexts, label: label, help: help)) }
        }
        bind([.character("j"), .down], .moveDown, navigable, help: "Move down one row.")
        bind([.character("k"), .up], .moveUp, navigable, help: "Move up one row.")
        bind([.pageDown, .control("f")], .pageDown, navigable, help: "Move down one page.")
        bind([.pageUp, .control("b")], .pageUp, navigable, help: "Move up one page.")
        bind([.character("g"), .home], .moveFirst, navigable, help: "Go to the first row.")
        bind([.character("G"), .end], .moveLast, navigable, help: "Go to the last row.")

        bind([.enter, .character("l"), .right], .open, [.list], label: "open", help: "Open the selected contact.")
        bind([.escape, .character("h"), .left], .back, [.detail], label: "back", help: "Back to the list.")
        bind([.escape], .back, [.list], help: "Clear the filter.")
        bind([.tab], .switchPane, browse, help: "Switch between the list and the detail (side by side).")
        bind([.character("/")], .filter, browse, label: "filter",
             help: "Filter as you type: words match word starts (rob dal), field:term (city:dallas), \"exact phrase\".")
        bind([.character("s")], .sync, browse.union(views), label: "sync",
             help: "Sync now: send the edits waiting here and bring the providers' changes (the account in view, or all of them). Keys keep working while it runs.")
        bind([.character("o")], .sort, [.list], label: "sort", help: "Change the order: name A–Z, Z–A, recently changed.")
        bind([.character("a")], .switchAccount, browse, label: "account", help: "Switch to another account, or all of them.")
        bind([.character("e")], .edit, browse, label: "edit", help: "Edit the selected contact.")
        bind([.character("n")], .new, browse, label: "new", help: "Add a contact to the current account.")
        bind([.character("d")], .delete, browse, label: "delete", help: "Delete the selected contact (asks first).")
        bind([.character("u")], .undo, browse, label: "undo", help: "Undo the last edit that has not been sent.")
        bind([.character("O")], .showOutbox, browse, help: "The outbox: what waits to be sent, its state, and the provider's last error.")
        bind([.character("C")], .showConflicts, browse,
             help: "The conflicts: fields changed both here and at the provider; choose mine or theirs.")
        bind([.character("R")], .retry, browse, help: "Send the selected contact's failed change again with the next sync.")
        bind([.character("F")], .fetch, browse,
             help: "Fetch one contact by email or mobile from a provider that cannot list its contacts (a sync never discovers those).")

        bind([.enter], .open, views, label: "go to", help: "Show the contact in the list.")
        bind([.character("r")], .retry, [.outbox], label: "retry", help: "Send the selected failed change again with the next sync.")
        bind([.character("m")], .takeMine, [.conflicts], label: "mine", help: "Keep the value typed here for the selected field.")
        bind([.character("t")], .takeTheirs, [.conflicts], label: "theirs", help: "Take the provider's value for the selected field.")
        bind([.character("M")], .takeAllMine, [.conflicts], help: "Keep every value typed here, for the whole contact.")
        bind([.character("T")], .takeAllTheirs, [.conflicts], help: "Take every value the provider has, for the whole contact.")
        bind([.escape, .character("q")], .back, views, label: "close", help: "Close and go back to the list.")

        bind([.enter, .character("i")], .editField, [.form], label: "change", help: "Change the field: type, pick an option, or open JSON in $EDITOR.")
        bind([.character(" ")], .toggleField, [.form], help: "Toggle yes/no, or pick options.")
        bind([.character("x"), .delete], .clearField, [.form], label: "clear", help: "Clear the field (it is sent as cleared, not left unchanged).")
        bind([.character("r")], .revertField, [.form], help: "Put the field back as it was.")
        bind([.character("a")], .addField, [.form], label: "add field", help: "Add a custom field (key and type).")
        bind([.tab], .nextField, [.form, .formInput], label: "next", help: "Next field.")
        bind([.backTab], .previousField, [.form, .formInput], help: "Previous field.")
        bind([.control("s")], .save, [.form, .formInput], label: "save", help: "Save the contact (also :w).")
        bind([.escape], .back, [.form], label: "close", help: "Close the form; asks when something changed.")

        bind([.enter], .accept, [.formInput], label: "accept",
             help: "Keep the text; in a new contact's form, go on typing in the next field.")
        bind([.enter], .accept, [.filterInput, .commandLine, .picker, .dialog, .prompt, .fetchInput], label: "accept",
             help: "Accept.")
        bind([.tab], .nextField, [.prompt], help: "Next type.")
        bind([.backTab], .previousField, [.prompt], help: "Previous type.")
        bind([.escape], .cancel, [.prompt], help: "Do not add the field.")
        bind([.escape], .cancel, [.formInput], label: "stop typing", help: "Stop editing the field (the text stays).")
        bind([.escape], .cancel, [.filterInput], help: "Clear the filter.")
        bind([.escape], .cancel, [.commandLine, .picker, .dialog, .help, .fetchInput], label: "cancel", help: "Close.")
        bind([.down], .moveDown, [.filterInput, .formInput], help: "Move down (the text stays).")
        bind([.up], .moveUp, [.filterInput, .formInput], help: "Move up (the text stays).")
        bind([.tab], .complete, [.commandLine], help: "Complete the command or account name.")
        bind([.up], .historyUp, [.commandLine], help: "Earlier command.")
        bind([.down], .historyDown, [.commandLine], help: "Later command.")
        bind([.character(" ")], .toggleField, [.picker], help: "Tick or untick an option (several can be chosen).")

        bind([.character("?"), .function(1)], .help, anywhere, label: "help", help: "Show the keys of this pane.")
        bind([.character(":")], .commandLine, anywhere, label: "command",
             help: "Command line: :w save, :q quit, :account NAME, :export FILE, :sort ORDER, :sync, :outbox, :conflicts, :fetch EMAIL, :help.")
        bind([.character("q")], .quit, browse, label: "quit", help: "Quit rolo.")
        bind([.control("c")], .quit, Set(KeyContext.allCases),
             help: "Quit now (an unsaved edit stays as a draft).")
        // Like Ctrl-C, these work whatever is open: a question or a picker stays as it was.
        bind([.control("l")], .redraw, Set(KeyContext.allCases), help: "Redraw the screen.")
        bind([.control("z")], .suspend, Set(KeyContext.allCases), help: "Suspend rolo (fg to come back).")
        return KeyMap(bindings: bindings)
    }()
}
