import RoloCore
import RoloSync

/// One line of the edit form.
public struct FormField: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case text(StandardField.Kind)
        case flag
        case custom(FieldType, options: [SelectOption])

        /// Text fields take the line editor; the others toggle, pick or open `$EDITOR`.
        public var isTyped: Bool {
            switch self {
            case .text: true
            case .flag: false
            case .custom(let type, _):
                switch type {
                case .text, .number, .date, .datetime: true
                case .bool, .select, .multiselect, .json: false
                }
            }
        }

        /// The custom type, when this is a custom field.
        public var customType: FieldType? {
            if case .custom(let type, _) = self { return type }
            return nil
        }
    }

    public let key: FieldKey
    /// The place of a further email or phone in its list (the line edits that one value).
    public var slot: OtherSlot? = nil
    public let label: String
    public let kind: Kind
    /// How a value is written (`yyyy-mm-dd`, `name@example.com`), shown while it is typed.
    public let hint: String?
    /// A sample value shown in the empty focused line (`2026-11-25`); nil where nothing is typed.
    public let example: String?
    public let isReadOnly: Bool
    /// Something to know about the field ("Notifuse does not store it").
    public let note: String?
    /// The field's value when the form opened, as text (nil: it had none).
    public let original: String?
    public internal(set) var input: String
    /// Set by `x`: the field will be sent as cleared.
    public internal(set) var isCleared = false
    public internal(set) var error: String?

    public var isChanged: Bool {
        isCleared ? original != nil : input != (original ?? "")
    }

    /// What the value column shows: option labels for selects, yes/no, compact JSON.
    public var shownText: String {
        if isCleared { return "" }
        switch kind {
        case .custom(.select, let options):
            return options.label(of: input)
        case .custom(.multiselect, let options):
            return FormField.values(of: input).map(options.label(of:)).joined(separator: ", ")
        default:
            return input
        }
    }

    static func values(of multiselect: String) -> [String] {
        multiselect.split(separator: ",").map { $0.trimmed }.filter { !$0.isEmpty }
    }
}

/// The edit pane's form for one contact (or a new one).
public struct EditForm: Sendable {
    public enum Mode: Hashable, Sendable {
        case edit(ContactID)
        case create
    }

    public let mode: Mode
    public let account: Account
    public let original: Contact
    public internal(set) var definitions: [FieldDefinition]
    /// Custom fields added by hand that need a definition first (Notifuse slots).
    public internal(set) var pendingDefinitions: [FieldDefinition] = []
    public internal(set) var fields: [FormField]
    /// The width of the longest label, in cells: the form's label column is sized by it. Set
    /// where fields are added, not measured on every frame and keystroke.
    public private(set) var longestLabel = 0
    public internal(set) var focus = 0
    public internal(set) var scroll = 0
    /// The line editor of the focused field while it is being typed in.
    public internal(set) var editor: LineEditor?
    /// The draft this rolo holds for the form: every change is written there, and nowhere
    /// else (another rolo's form of the same contact is never written into).
    var draft: DraftID?

    public var isDirty: Bool { fields.contains(where: \.isChanged) || !pendingDefinitions.isEmpty }
    public var focused: FormField? { fields.indices.contains(focus) ? fields[focus] : nil }
    public var errorCount: Int { fields.filter { $0.error != nil }.count }

    public var title: String {
        switch mode {
        case .edit: "Edit " + original.displayName
        case .create: "New contact in " + account.name
        }
    }

    var draftSlot: DraftSlot {
        switch mode {
        case .edit(let id): .contact(id, accountID: account.id)
        case .create: .newContact(accountID: account.id)
        }
    }

    init(mode: Mode, contact: Contact, account: Account, definitions: [FieldDefinition]) {
        self.mode = mode
        self.account = account
        self.original = contact
        self.definitions = definitions
        var fields: [FormField] = []
        let rules = account.rules
        /// A line for each further email or phone: its value typed like the standard one, `x`
        /// removes it.
        var listedKinds: Set<OtherValueKind> = []
        func addOthers(_ kind: OtherValueKind) {
            guard listedKinds.insert(kind).inserted else { return }
            let note = account.profile.capabilities.hasRemote ? "kept in rolo only" : nil
            for (index, other) in contact[others: kind].enumerated() {
                fields.append(FormField(key: .others(kind), slot: OtherSlot(index: index, isLabel: false),
                                        label: kind.screenLabel(of: other),
                                        kind: .text(kind.standardField.kind), hint: kind.standardField.formatHint,
                                        example: kind.standardField.formatHint, isReadOnly: false, note: note,
                                        original: other.value, input: other.value))
            }
        }
        let shown = StandardField.allCases.filter { rules.storedFields.contains($0) || contact[$0] != nil }
        for field in shown {
            let value = contact[field]
            let kind: FormField.Kind = field.kind == .flag ? .flag : .text(field.kind)
            let text = value.map { field.kind == .flag ? ($0 == "true" ? "yes" : "no") : $0 }
            let note = rules.storedFields.contains(field) ? nil : "\(account.profile.displayName) does not store it; kept in rolo"
            fields.append(FormField(key: .standard(field), label: field.label, kind: kind, hint: field.formatHint,
                                    example: field.kind == .flag ? nil : field.formatHint, isReadOnly: false, note: note, original: text, input: text ?? ""))
            // Further emails after the email, further phones after the last phone.
            if let kind = OtherValueKind.listed(after: field, shown: shown) { addOthers(kind) }
        }
        OtherValueKind.allCases.forEach(addOthers)
        let defined = Set(definitions.map(\.key))
        for definition in definitions {
            fields.append(EditForm.customField(definition.key, type: definition.type, options: definition.options,
                                               label: definition.label, readOnly: definition.isReadOnly, value: contact.custom[definition.key]))
        }
        for key in contact.custom.keys.sorted() where !defined.contains(key) {
            let value = contact.custom[key]!
            fields.append(EditForm.customField(key, type: value.type, options: [], label: key, readOnly: false, value: value))
        }
        self.fields = fields
        longestLabel = fields.map { TerminalText.width($0.label) }.max() ?? 0
    }

    static func customField(_ key: String, type: FieldType, options: [SelectOption], label: String, readOnly: Bool,
                            value: CustomValue?) -> FormField {
        let text = value.map(EditForm.inputText)
        return FormField(key: .custom(key), label: label, kind: .custom(type, options: options), hint: type.formatHint,
                         example: type.example, isReadOnly: readOnly, note: readOnly ? "read-only" : nil, original: text, input: text ?? "")
    }

    /// A custom value as the text the form holds: what `FieldInput` reads back.
    static func inputText(_ value: CustomValue) -> String {
        switch value {
        case .select(let chosen): chosen
        case .multiselect(let chosen): chosen.joined(separator: ", ")
        case .json(let document): document.canonicalText
        default: value.displayText
        }
    }

    // MARK: - Changing fields

    mutating func setInput(_ text: String, at index: Int) {
        fields[index].input = text
        fields[index].isCleared = false
        fields[index].error = nil
    }

    mutating func clear(at index: Int) {
        fields[index].input = ""
        fields[index].isCleared = true
        fields[index].error = nil
    }

    mutating func revert(at index: Int) {
        fields[index].input = fields[index].original ?? ""
        fields[index].isCleared = false
        fields[index].error = nil
    }

    mutating func move(to index: Int, visibleRows: Int) {
        guard !fields.isEmpty else { return }
        focus = max(0, min(index, fields.count - 1))
        // No blank rows below the last field while fields above are hidden (after a resize).
        scroll = min(scroll, max(0, fields.count - visibleRows))
        if focus < scroll { scroll = focus }
        if focus >= scroll + visibleRows { scroll = focus - visibleRows + 1 }
    }

    /// Adds a custom field typed by hand, by the account's rules (the service's, so the form
    /// and `rolo field add` agree). A Notifuse key holds its slot while the form is open, so a
    /// second field added by hand counts it as taken; it is written when the form is saved.
    mutating func addCustomField(key: String, type: FieldType, planner: any AccountDirectory) throws(RoloError) {
        if fields.contains(where: { $0.key == .custom(key) }) {
            throw RoloError.invalid(field: "custom.\(key)", "is already in the form")
        }
        let definition: FieldDefinition
        do {
            definition = try planner.planField(key: key, type: type, label: nil, options: [], account: account,
                                               existing: definitions + pendingDefinitions).definition
        } catch let error as RoloError {
            throw error
        } catch {
            throw RoloError.failed("\(error)")
        }
        if account.rules.customFields.usesSlots { pendingDefinitions.append(definition) }
        var field = EditForm.customField(key, type: type, options: [], label: key, readOnly: false, value: nil)
        field.error = nil
        fields.append(field)
        longestLabel = max(longestLabel, TerminalText.width(field.label))
        focus = fields.count - 1
    }

    // MARK: - Checking and building the edit

    /// The rules of the account, with the fields added by hand.
    var input: FieldInput { FieldInput(account: account, definitions: definitions + pendingDefinitions) }

    func assignment(for field: FormField) -> FieldAssignment {
        let change: FieldChange<String> = field.isCleared || field.input.trimmed.isEmpty ? .clear : .set(field.input)
        var text = change
        if case .set(let value) = change, field.kind == .flag { text = .set(value) }
        return FieldAssignment(key: field.key, type: field.kind.customType, change: text, slot: field.slot)
    }

    /// Checks one field; returns the error message (also stored on the field) or nil.
    @discardableResult
    mutating func validate(at index: Int) -> String? {
        let field = fields[index]
        guard field.isChanged else {
            fields[index].error = nil
            return nil
        }
        do {
            _ = try input.resolve(assignment(for: field), existing: original)
            fields[index].error = nil
        } catch {
            fields[index].error = EditForm.message(error)
        }
        return fields[index].error
    }

    /// Checks every changed field and builds the edit, or marks the fields that are wrong.
    mutating func buildEdit() -> (edit: ContactEdit, warnings: [ValidationIssue])? {
        var edit = ContactEdit()
        var warnings: [ValidationIssue] = []
        var failed = false
        // The lines of one list of further values make one change of the list.
        for kind in OtherValueKind.allCases {
            let lines = fields.indices.filter { fields[$0].key == .others(kind) && fields[$0].isChanged }
            guard !lines.isEmpty else { continue }
            do {
                // The save's message says they stay in rolo; no warning on top.
                edit[.others(kind)] = try input.othersChange(kind, lines.map { assignment(for: fields[$0]) }, existing: original)
            } catch {
                for index in lines {
                    do { _ = try input.resolve(assignment(for: fields[index]), existing: original) } catch {
                        fields[index].error = EditForm.message(error)
                    }
                }
                failed = true
            }
        }
        for index in fields.indices where fields[index].isChanged && !fields[index].key.isOthers {
            do {
                let (change, notes) = try input.resolve(assignment(for: fields[index]), existing: original)
                edit[fields[index].key] = change
                warnings += notes
                fields[index].error = nil
            } catch {
                fields[index].error = EditForm.message(error)
                failed = true
            }
        }
        if failed {
            if let first = fields.firstIndex(where: { $0.error != nil }) { focus = first }
            return nil
        }
        return (edit, warnings)
    }

    /// Puts the service's validation issues next to the fields they name.
    mutating func mark(_ issues: [ValidationIssue]) -> [ValidationIssue] {
        var unplaced: [ValidationIssue] = []
        for issue in issues where issue.severity == .error {
            let names = issue.field.split(separator: "/").map(String.init)
            if let index = fields.firstIndex(where: { names.contains(EditForm.name(of: $0)) }) {
                fields[index].error = issue.message
            } else {
                unplaced.append(issue)
            }
        }
        if mode == .create { markMissingRequired() }
        if let first = fields.firstIndex(where: { $0.error != nil }) { focus = first }
        return unplaced
    }

    /// The service names the first missing required field; a new contact's form marks every
    /// one, so that one save attempt shows all that is left to fill in.
    private mutating func markMissingRequired() {
        var typed: [StandardField: String] = [:]
        for field in fields { if case .standard(let standard) = field.key { typed[standard] = field.input.trimmed } }
        let rules = account.rules
        for choice in rules.missingChoices(in: typed) {
            guard let first = fields.firstIndex(where: { field in choice.contains { field.key == .standard($0) } }),
                  fields[first].error == nil else { continue }
            fields[first].error = rules.needs([choice])
        }
    }

    /// The name validation gives a line's value (`city`, `custom.plan`, `email_2`).
    static func name(of field: FormField) -> String {
        switch field.key {
        case .standard(let standard): standard.key
        case .others(let kind): field.slot.map { kind.name(at: $0.index) } ?? kind.listName
        case .custom(let name): "custom.\(name)"
        }
    }

    static func message(_ error: RoloError) -> String {
        if case .invalid(let issues) = error { return issues.map(\.message).joined(separator: "; ") }
        return error.description
    }
}
