/// What an edit does to one field. "Clear" is not "unchanged": providers need the difference
/// (Notifuse sends `null` to clear, DailyStory `""`; leaving a field out keeps it).
public enum FieldChange<Value: Sendable & Hashable>: Sendable, Hashable {
    case unchanged
    case clear
    case set(Value)
}

/// A set of field changes to one contact.
public struct ContactEdit: Sendable, Hashable {
    public private(set) var changes: [FieldKey: FieldChange<FieldValue>] = [:]

    public init() {}

    public subscript(key: FieldKey) -> FieldChange<FieldValue> {
        get { changes[key] ?? .unchanged }
        set {
            if case .unchanged = newValue { changes[key] = nil } else { changes[key] = newValue }
        }
    }

    public mutating func set(_ field: StandardField, _ text: String) { self[.standard(field)] = .set(.text(text)) }
    public mutating func set(custom key: String, _ value: CustomValue) { self[.custom(key)] = .set(.custom(value)) }
    public mutating func clear(_ key: FieldKey) { self[key] = .clear }

    public var isEmpty: Bool { changes.isEmpty }
    public var keys: [FieldKey] { changes.keys.sorted() }

    /// The contact with the edit applied. Setting a standard field to "" clears it.
    public func applied(to contact: Contact) -> Contact {
        var result = contact
        for (key, change) in changes {
            switch (key, change) {
            case (_, .unchanged): break
            case (.standard(let field), .clear): result[field] = nil
            case (.standard(let field), .set(let value)): result[field] = value.displayText
            case (.custom(let name), .clear): result.custom[name] = nil
            case (.custom(let name), .set(.custom(let value))): result.custom[name] = value
            case (.custom(let name), .set(.text(let text))): result.custom[name] = .text(text)
            case (.custom, .set(.list)): break
            case (.others(let kind), .clear): result[others: kind] = []
            case (.others(let kind), .set(.list(let values))): result[others: kind] = values
            case (.others, .set): break
            }
        }
        return result
    }

    /// The edit that turns `old` into `new`.
    public static func between(_ old: Contact, _ new: Contact) -> ContactEdit {
        var edit = ContactEdit()
        for field in Set(old.fields.keys).union(new.fields.keys) where old.fields[field] != new.fields[field] {
            edit[.standard(field)] = new.fields[field].map { .set(.text($0)) } ?? .clear
        }
        for kind in OtherValueKind.allCases where old[others: kind] != new[others: kind] {
            edit[.others(kind)] = new[others: kind].isEmpty ? .clear : .set(.list(new[others: kind]))
        }
        for key in Set(old.custom.keys).union(new.custom.keys) where old.custom[key] != new.custom[key] {
            edit[.custom(key)] = new.custom[key].map { .set(.custom($0)) } ?? .clear
        }
        return edit
    }

    /// The changes this edit really makes to `contact`, as before/after pairs (no-ops dropped).
    public func deltas(against contact: Contact) -> [FieldDelta] {
        let after = applied(to: contact)
        return keys.compactMap { key in
            let before = contact.value(of: key)
            let now = after.value(of: key)
            return before == now ? nil : FieldDelta(key: key, before: before, after: now)
        }
    }
}

/// One field's value before and after a change: what the audit log and the outbox record,
/// and what undo puts back.
public struct FieldDelta: Sendable, Hashable {
    public var key: FieldKey
    public var before: FieldValue?
    public var after: FieldValue?

    public init(key: FieldKey, before: FieldValue?, after: FieldValue?) {
        self.key = key
        self.before = before
        self.after = after
    }

    /// The edit that undoes this change.
    public var reverted: FieldDelta { FieldDelta(key: key, before: after, after: before) }
}

extension ContactEdit {
    /// The edit that applies `deltas` (each field set to its `after`).
    public init(deltas: [FieldDelta]) {
        self.init()
        for delta in deltas {
            self[delta.key] = delta.after.map { .set($0) } ?? .clear
        }
    }
}
