import RoloCore

/// One `key=value` (or `key:type=value`, or a clear) as a person wrote it on the command line
/// or in a form, before it is checked against the contact's account.
public struct FieldAssignment: Sendable, Hashable {
    public var key: FieldKey
    /// A type written out by hand (`score:number=42`), for custom keys without a definition.
    public var type: FieldType?
    public var change: FieldChange<String>
    /// Which further email or phone the assignment is about (`email_2`, `phone_3_label`),
    /// when `key` is one of those lists.
    public var slot: OtherSlot?
    /// A bare custom key typed on the command line (`emial=…`, not `custom.emial=…`): one a
    /// letter or two from a standard field is taken for a slip, not made a new custom field.
    public var mayBeMisspelt = false

    public init(key: FieldKey, type: FieldType? = nil, change: FieldChange<String>, slot: OtherSlot? = nil) {
        self.key = key
        self.type = type
        self.change = change
        self.slot = slot
    }

    /// A clear as `--clear NAME` says it: a field, a custom key, or a further value (`email_2`).
    public init(clearing name: String) {
        if let (key, slot) = FieldAssignment.otherSlot(named: name) {
            self.init(key: key, change: .clear, slot: slot)
        } else {
            self.init(key: FieldKey(parsing: name), change: .clear)
        }
    }

    /// `email_2`, `phone_3_label`: the list and the place in it, as CSV columns name them.
    static func otherSlot(named name: String) -> (FieldKey, OtherSlot)? {
        let lowered = name.lowercased()
        let isLabel = lowered.hasSuffix("_label")
        guard let (kind, index) = OtherValueKind.parse(name: isLabel ? String(lowered.dropLast("_label".count)) : lowered) else { return nil }
        return (.others(kind), OtherSlot(index: index, isLabel: isLabel))
    }

    /// Reads `key=value` or `key:type=value`. An empty value clears the field.
    public init(parsing text: String) throws(RoloError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw RoloError.invalid(field: text, "write key=value (for example city=Dallas or plan=gold)")
        }
        var name = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: equals)...])
        var type: FieldType?
        if let colon = name.lastIndex(of: ":") {
            let typeName = String(name[name.index(after: colon)...]).lowercased()
            guard let parsed = FieldType(rawValue: typeName) else {
                throw RoloError.invalid(field: name, "“\(typeName)” is not a type; use one of "
                    + FieldType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            type = parsed
            name = String(name[..<colon])
        }
        guard !name.isEmpty else { throw RoloError.invalid(field: text, "the key before = is empty") }
        if let (key, slot) = FieldAssignment.otherSlot(named: name) {
            self.init(key: key, type: type, change: value.isEmpty ? .clear : .set(value), slot: slot)
            return
        }
        self.init(key: FieldKey(parsing: name), type: type, change: value.isEmpty ? .clear : .set(value))
        mayBeMisspelt = !name.lowercased().hasPrefix("custom.")
    }
}

/// A place in a contact's further emails or phones: `email_2` is index 0; `isLabel` for
/// `email_2_label`.
public struct OtherSlot: Sendable, Hashable {
    public var index: Int
    public var isLabel: Bool

    public init(index: Int, isLabel: Bool) {
        self.index = index
        self.isLabel = isLabel
    }
}

/// What an edit did, and what the person should know about it.
public struct EditOutcome: Sendable {
    public let contact: Contact
    public let deltas: [FieldDelta]
    public let warnings: [ValidationIssue]
}

/// Turns typed text into checked field values for one account.
public struct FieldInput: Sendable {
    public let account: Account
    public let definitions: [FieldDefinition]

    public init(account: Account, definitions: [FieldDefinition]) {
        self.account = account
        self.definitions = definitions
    }

    public func definition(for key: String) -> FieldDefinition? {
        definitions.first { $0.key == key }
    }

    /// Checks one assignment. Throws `RoloError.invalid` naming the field; returns the change
    /// and any warnings (a field the provider does not store, an unusual key).
    public func resolve(_ assignment: FieldAssignment, existing: Contact?) throws(RoloError)
        -> (change: FieldChange<FieldValue>, warnings: [ValidationIssue]) {
        let (change, warnings) = try resolveUnchecked(assignment, existing: existing)
        // Typed custom values follow the standard fields' control-character rules.
        if case .set(.custom(let value)) = change, case .custom(let key) = assignment.key {
            do throws(ValueError) { try Validator.checkControlCharacters(in: value) } catch {
                throw RoloError.invalid(field: "custom.\(key)", error.message)
            }
        }
        return (change, warnings)
    }

    private func resolveUnchecked(_ assignment: FieldAssignment, existing: Contact?) throws(RoloError)
        -> (change: FieldChange<FieldValue>, warnings: [ValidationIssue]) {
        let rules = account.rules
        switch assignment.key {
        case .others(let kind):
            return (try othersChange(kind, [assignment], existing: existing), othersWarnings(kind))
        case .standard(let field):
            if assignment.type != nil {
                throw RoloError.invalid(field: field.key, "is a standard field; its type cannot be chosen")
            }
            var warnings: [ValidationIssue] = []
            if !rules.storedFields.contains(field) {
                warnings.append(ValidationIssue(
                    field: field.key, message: "\(rules.providerName) does not store it; it stays in rolo only",
                    severity: .warning))
            }
            guard case .set(let text) = assignment.change else { return (.clear, warnings) }
            do {
                guard let normal = try Validator.normalise(text, for: field) else { return (.clear, warnings) }
                return (.set(.text(normal)), warnings)
            } catch {
                throw RoloError.invalid(field: field.key, error.message)
            }
        case .custom(let key):
            let name = "custom.\(key)"
            if let definition = definition(for: key) {
                if definition.isReadOnly {
                    throw RoloError.invalid(field: name, "is read-only in \(account.name)")
                }
                if let type = assignment.type, type != definition.type {
                    throw RoloError.invalid(field: name, "is a \(definition.type.rawValue) field, not \(type.rawValue)")
                }
                guard case .set(let text) = assignment.change else { return (.clear, []) }
                do { return (.set(.custom(try definition.parse(text))), []) } catch {
                    throw RoloError.invalid(field: name, error.message)
                }
            }
            switch rules.customFields {
            case .fixedSlots:
                throw RoloError.invalid(field: name, "is not a field of this \(rules.providerName) account; add it first "
                    + "(rolo field add \(key) --type TYPE --account \(account.name)) so it takes a free slot")
            case .definedByProvider:
                let known = definitions.map(\.key).joined(separator: ", ")
                throw RoloError.invalid(field: name, "is not one of the custom fields \(rules.providerName) defines for \(account.name)"
                    + (known.isEmpty ? "" : " (\(known))"))
            case .anyKeyTypedByValue, .anyKeyAsText:
                let keyIssues = Validator.checkCustomKey(key)
                if keyIssues.contains(where: { $0.severity == .error }) { throw RoloError.invalid(keyIssues) }
                // `emial=x@y.com` would make a custom field and send it to the provider.
                if assignment.mayBeMisspelt, case .set = assignment.change, existing?.custom[key] == nil,
                   let meant = StandardField.closest(to: key) {
                    throw RoloError.invalid(field: key, "is not a field; did you mean \(meant.key)? "
                        + "(custom.\(key)=… adds a custom field of that name)")
                }
                guard case .set(let text) = assignment.change else {
                    // Clearing a field the contact does not have is a misspelt name, not a no-op.
                    if let existing, existing.custom[key] == nil {
                        let known = existing.custom.keys.sorted().joined(separator: ", ")
                        throw RoloError.invalid(field: key, "is neither a standard field nor a custom field of this contact"
                            + (known.isEmpty ? "" : " (its custom fields: \(known))"))
                    }
                    return (.clear, keyIssues)
                }
                // A key that holds a value of one type is not turned into another by `key:type=`.
                if rules.customFields == .anyKeyTypedByValue, let type = assignment.type, let held = existing?.custom[key], held.type != type {
                    throw RoloError.invalid(field: name, "holds a \(held.type.rawValue); to store a \(type.rawValue) instead, clear "
                        + "it first (--clear \(key)), then set it")
                }
                if rules.customFields == .anyKeyAsText {
                    if let type = assignment.type, type != .text {
                        throw RoloError.invalid(field: name, "\(rules.providerName) stores custom values as text")
                    }
                    return (.set(.custom(.text(text))), keyIssues)
                }
                let type = assignment.type ?? existing?.custom[key]?.type
                guard let type else { return (.set(.custom(CustomValue.inferred(from: text))), keyIssues) }
                do {
                    return (.set(.custom(try CustomValue.parse(text, as: type))), keyIssues)
                } catch {
                    throw RoloError.invalid(field: name, error.message)
                }
            }
        }
    }

    /// The change to the further emails or phones of `existing` that `assignments` make, applied in order: a value
    /// set at the next place (`email_4` after `email_3`) is added, a cleared one removed once
    /// all are applied (places name the list as it was). Values are checked as the standard
    /// field of their kind, labels spelled as `ValueLabel` keeps them.
    public func othersChange(_ kind: OtherValueKind, _ assignments: [FieldAssignment], existing: Contact?) throws(RoloError)
        -> FieldChange<FieldValue> {
        let original = existing?[others: kind] ?? []
        var list = original
        var removed = Set<Int>()
        for assignment in assignments {
            guard let slot = assignment.slot else {
                throw RoloError.invalid(field: kind.listName, "is set one value at a time: \(kind.name(at: 0))=…, "
                    + "\(kind.name(at: 0))_label=…, --clear \(kind.name(at: 0))")
            }
            let name = kind.name(at: slot.index) + (slot.isLabel ? "_label" : "")
            if assignment.type != nil { throw RoloError.invalid(field: name, "is an \(kind.rawValue); its type cannot be chosen") }
            let what = kind == .email ? "further email" : "further phone"
            let has = list.count == 1 ? "1 \(what)" : "\(list.count) \(what)s"
            switch (assignment.change, slot.isLabel) {
            case (.unchanged, _):
                continue
            case (.set(let text), false):
                let value: String?
                do { value = try Validator.normalise(text, for: kind.standardField) } catch {
                    throw RoloError.invalid(field: name, error.message)
                }
                guard let value else {
                    if slot.index < list.count { removed.insert(slot.index) }
                    continue
                }
                if slot.index < list.count {
                    list[slot.index].value = value
                } else if slot.index == list.count {
                    list.append(LabelledValue(value: value))
                } else {
                    throw RoloError.invalid(field: name, "the contact has \(has); the next one is \(kind.name(at: list.count))")
                }
            case (.set(let text), true):
                guard slot.index < list.count else {
                    throw RoloError.invalid(field: name, "the contact has \(has); set \(kind.name(at: slot.index)) first")
                }
                let (checked, issues) = Validator.normaliseOthers([LabelledValue(label: text, value: list[slot.index].value)], kind: kind)
                if let issue = issues.first(where: { $0.field.hasSuffix("_label") }) { throw RoloError.invalid(field: name, issue.message) }
                list[slot.index].label = checked.first?.label ?? ""
            case (.clear, let isLabel):
                guard slot.index < list.count else {
                    throw RoloError.invalid(field: name, "the contact has \(has), no \(kind.name(at: slot.index))")
                }
                if isLabel { list[slot.index].label = "" } else { removed.insert(slot.index) }
            }
        }
        let values = list.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return values.isEmpty ? .clear : .set(.list(values))
    }

    /// What to know when further values of an account with a provider change.
    public func othersWarnings(_ kind: OtherValueKind) -> [ValidationIssue] {
        guard account.profile.capabilities.hasRemote else { return [] }
        return [ValidationIssue(field: kind.listName, message: "\(account.rules.providerName) holds one \(kind.rawValue) field; "
            + "further \(kind.rawValue)s stay in rolo only", severity: .warning)]
    }

    /// Checks a whole set of assignments; every problem is reported at once.
    public func edit(from assignments: [FieldAssignment], existing: Contact?) throws(RoloError)
        -> (edit: ContactEdit, warnings: [ValidationIssue]) {
        var edit = ContactEdit()
        var warnings: [ValidationIssue] = []
        var errors: [ValidationIssue] = []
        // Assignments to one list of further values make one change of that list.
        for kind in OtherValueKind.allCases {
            let toList = assignments.filter { $0.key == .others(kind) }
            guard !toList.isEmpty else { continue }
            do {
                edit[.others(kind)] = try othersChange(kind, toList, existing: existing)
                warnings += othersWarnings(kind)
            } catch {
                if case .invalid(let issues) = error { errors += issues } else { throw error }
            }
        }
        for assignment in assignments where !assignment.key.isOthers {
            do {
                let (change, notes) = try resolve(assignment, existing: existing)
                edit[assignment.key] = change
                warnings += notes
            } catch {
                if case .invalid(let issues) = error { errors += issues } else { throw error }
            }
        }
        if !errors.isEmpty { throw RoloError.invalid(errors) }
        return (edit, warnings)
    }
}
