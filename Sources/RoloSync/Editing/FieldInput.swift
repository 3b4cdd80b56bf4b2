import RoloCore

/// One `key=value` (or `key:type=value`, or a clear) as a person wrote it on the command line
/// or in a form, before it is checked against the contact's account.
public struct FieldAssignment: Sendable, Hashable {
    public var key: FieldKey
    /// A type written out by hand (`score:number=42`), for custom keys without a definition.
    public var type: FieldType?
    public var change: FieldChange<String>

    public init(key: FieldKey, type: FieldType? = nil, change: FieldChange<String>) {
        self.key = key
        self.type = type
        self.change = change
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
        self.init(key: FieldKey(parsing: name), type: type, change: value.isEmpty ? .clear : .set(value))
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

    /// Checks a whole set of assignments; every problem is reported at once.
    public func edit(from assignments: [FieldAssignment], existing: Contact?) throws(RoloError)
        -> (edit: ContactEdit, warnings: [ValidationIssue]) {
        var edit = ContactEdit()
        var warnings: [ValidationIssue] = []
        var errors: [ValidationIssue] = []
        for assignment in assignments {
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
