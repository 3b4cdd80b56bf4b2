import RoloCore

/// What floats over the panes and takes the keyboard.
public enum Overlay: Sendable {
    case help(KeyContext, scroll: Int)
    case dialog(Dialog)
    case picker(Picker)
    case addField(AddFieldPrompt)
    case fetch(FetchPrompt)

    var context: KeyContext {
        switch self {
        case .help: .help
        case .dialog: .dialog
        case .picker: .picker
        case .addField: .prompt
        case .fetch: .fetchInput
        }
    }
}

/// A question with a few answers, each on its own key.
public struct Dialog: Sendable {
    public struct Choice: Sendable {
        public let key: Character
        public let label: String
        let action: Action
    }

    enum Action: Sendable, Equatable {
        case deleteContact(ContactID)
        case saveForm, saveFormAndQuit, discardForm, keepEditing
        /// Save although the new email makes the provider delete the contact and create it anew.
        case saveFormChangingIdentity(thenQuit: Bool)
        /// Save although fields the form changes were changed elsewhere since it was opened.
        case saveFormOverwriting(thenQuit: Bool)
        case restoreDraft(Draft), discardDraft(Draft), later
        case quitDiscardingForm
        /// A contact another running rolo is editing: show it without editing, or take its form over.
        case viewReadOnly(ContactID), takeOver(ContactID)
    }

    public let title: String
    public let message: String
    public let choices: [Choice]
    /// What Enter does (the first choice unless said otherwise) and what Esc does.
    let enterAction: Action
    let escapeAction: Action
    /// The labels of the choices Enter and Esc make ("keep" in "Delete?"), for the key bar,
    /// which otherwise said "Enter accept" where Enter keeps the contact.
    public var enterLabel: String? { label(of: enterAction) }
    public var escapeLabel: String? { label(of: escapeAction) }

    private func label(of action: Action) -> String? {
        choices.first { $0.action == action }?.label
    }
}

/// A list of options to choose one or several from (select fields, accounts).
public struct Picker: Sendable {
    enum Purpose: Sendable {
        case field(FieldKey)
        case account
        case newContactAccount
        /// The account to fetch a contact into; `text` is what was typed already, if anything.
        case fetchAccount(text: String)
    }

    public let title: String
    public let options: [SelectOption]
    public internal(set) var chosen: Set<String>
    public internal(set) var cursor: Int
    public let allowsMany: Bool
    let purpose: Purpose
}

/// Adding a custom field by hand: a key and a type.
public struct AddFieldPrompt: Sendable {
    public internal(set) var key = LineEditor()
    public internal(set) var typeIndex = 0
    public let types: [FieldType]
    public let hint: String
    public internal(set) var error: String?

    public var type: FieldType { types[typeIndex] }
}

/// Asking for the email or mobile number of a contact to bring in from an account whose
/// provider cannot list its contacts.
public struct FetchPrompt: Sendable {
    public let accountID: Int64
    public let title: String
    public let hint: String
    public internal(set) var text = LineEditor()
    public internal(set) var error: String?
}

/// The `:` command line.
public struct CommandLineModel: Sendable {
    public internal(set) var editor = LineEditor()
    var historyIndex: Int?
    /// What was being typed before Up went into the history; Down past the newest entry
    /// brings it back, as in a shell.
    var unfinished = ""
    /// Completions offered by the last Tab, shown until the text changes.
    public internal(set) var completions: [String] = []
}

/// A message in the status bar.
public struct StatusMessage: Sendable, Hashable {
    public enum Tone: Sendable, Hashable { case info, success, warning, error }
    public let text: String
    public let tone: Tone
    let shownAt: Timestamp
}
