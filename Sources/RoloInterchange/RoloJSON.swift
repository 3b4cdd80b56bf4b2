import Foundation
import RoloCore

/// rolo's own JSON: a lossless record of everything, typed custom values included. The same
/// shape for one contact serves `rolo show --json`, `rolo list --json` and export files.
///
/// ```json
/// {"format": "rolo-contacts", "version": 1,
///  "accounts": [{"name": "local", "provider": "local", "settings": {}, "fields": [...]}],
///  "contacts": [{"id": "k3p9", "uid": "…", "account": "local", "first_name": "Rob",
///                "email_opt_out": false, "custom": {"plan": {"type": "select", "value": "gold"}},
///                "other_emails": [{"label": "home", "value": "rob@example.net"}],
///                "other_phones": [{"label": "fax", "value": "+15557140060"}],
///                "extensions": {…}, "created_at": "…", "updated_at": "…"}]}
/// ```
///
/// Reading also takes a bare array of contact objects.
public enum RoloJSON {
    public static let formatName = "rolo-contacts"
    public static let version = 1

    /// Members of a contact object that are not standard fields. `id` is written for people
    /// and ignored on reading; `sync` is what `rolo show --json` adds, also ignored.
    static let bookkeeping: Set<String> = ["id", "uid", "account", "custom", "extensions", "created_at", "updated_at", "sync", "remote",
                                           "other_emails", "other_phones"]

    /// The member holding a contact's further values of one kind.
    static func member(for kind: OtherValueKind) -> String { "other_\(kind.rawValue)s" }

    // MARK: - One contact

    /// The JSON object of one contact. Flag fields are booleans; custom values carry their type.
    public static func object(for contact: Contact, accountName: String, remote: RemoteReference? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "uid": .string(contact.uid), "account": .string(accountName),
            "created_at": .string(contact.createdAt.rfc3339), "updated_at": .string(contact.updatedAt.rfc3339),
        ]
        if let id = contact.id { members["id"] = .string(id.shortID) }
        for (field, value) in contact.fields {
            // A flag the validator has not normalised yet stays text, so nothing is lost.
            if field.kind == .flag, value == "true" || value == "false" {
                members[field.key] = .bool(value == "true")
            } else {
                members[field.key] = .string(value)
            }
        }
        if !contact.custom.isEmpty {
            members["custom"] = .object(contact.custom.mapValues { value in
                .object(["type": .string(value.type.rawValue), "value": value.jsonValue])
            })
        }
        for kind in OtherValueKind.allCases where !contact[others: kind].isEmpty {
            members[member(for: kind)] = .array(contact[others: kind].map(\.json))
        }
        if !contact.extensions.isEmpty { members["extensions"] = .object(contact.extensions) }
        if let remote {
            var link: [String: JSONValue] = ["id": .string(remote.id)]
            if let modified = remote.modifiedAt { link["modified_at"] = .string(modified) }
            // Edits not yet sent travel as the record last agreed with the provider: imported
            // elsewhere, the difference is queued again instead of being taken as sent.
            if let base = remote.base, base != BaseRecord.encode(contact), let record = try? JSONValue.parse(base) {
                link["base"] = record
            }
            members["remote"] = .object(link)
        }
        return .object(members)
    }

    /// Reads one contact object. Members rolo does not know are kept under
    /// `extensions["import"]`, so that nothing in the file is lost.
    public static func contact(from object: JSONValue, line: Int) throws(ImportProblem) -> IncomingContact {
        var ignored: [String] = []
        return try contact(from: object, line: line, unknown: &ignored)
    }

    /// As `contact(from:line:)`, also listing the unknown members (for the warning).
    static func contact(from object: JSONValue, line: Int, unknown: inout [String]) throws(ImportProblem) -> IncomingContact {
        guard case .object(let members) = object else {
            throw ImportProblem(line: line, message: "a contact must be a JSON object, not \(describe(object))")
        }
        func problem(_ member: String, _ message: String) -> ImportProblem {
            ImportProblem(line: line, message: "\(member): \(message)")
        }
        var contact = Contact(accountID: 0)
        if let uid = members["uid"] {
            guard let text = uid.stringValue, !text.trimmed.isEmpty, text.count <= 128, TerminalText.isSafe(text) else {
                throw problem("uid", "must be a non-empty string of at most 128 characters, without control characters")
            }
            contact.uid = ContactFileReader.normalisedUID(text)
        }
        var accountName: String?
        if let account = members["account"] {
            switch account {
            case .null: break
            case .string(let text): accountName = text.isEmpty ? nil : text
            default: throw problem("account", "must be the name of an account, as a string")
            }
        }
        for field in StandardField.allCases {
            guard let value = members[field.key] else { continue }
            switch (field.kind, value) {
            case (_, .null):
                continue
            case (.flag, .bool(let flag)):
                contact[field] = flag ? "true" : "false"
            case (_, .string(let text)):
                // Text in a flag field is checked (and normalised) with the rest of the contact.
                contact[field] = text
            case (.flag, _):
                throw problem(field.key, "must be true or false, not \(describe(value))")
            default:
                throw problem(field.key, "must be a string, not \(describe(value))")
            }
        }
        if let custom = members["custom"] {
            guard case .object(let values) = custom else {
                throw problem("custom", "must be an object of key: {\"type\": …, \"value\": …}")
            }
            for key in values.keys.sorted() {
                contact.custom[key] = try customValue(values[key]!, key: key, line: line)
            }
        }
        for kind in OtherValueKind.allCases {
            guard let list = members[member(for: kind)], list != .null else { continue }
            let shape = "must be an array of {\"label\": …, \"value\": …} (or of strings)"
            guard case .array(let items) = list else { throw problem(member(for: kind), shape) }
            contact[others: kind] = try items.map { item throws(ImportProblem) in
                switch item {
                case .string(let value): return LabelledValue(value: value)
                case .object(let parts):
                    if let value = LabelledValue(json: item) { return value }
                    guard parts["value"]?.stringValue != nil else { throw problem(member(for: kind), shape) }
                    throw problem(member(for: kind), "a label must be a string")
                default:
                    throw problem(member(for: kind), shape)
                }
            }
        }
        if let extensions = members["extensions"] {
            guard case .object(let values) = extensions else { throw problem("extensions", "must be an object") }
            contact.extensions = values
        }
        for (member, keyPath) in [("created_at", \Contact.createdAt), ("updated_at", \Contact.updatedAt)] {
            guard let value = members[member] else { continue }
            guard let text = value.stringValue, let instant = Timestamp(parsing: text) else {
                throw problem(member, "must be an RFC 3339 date and time like 2023-06-01T09:00:00Z")
            }
            contact[keyPath: keyPath] = instant
        }
        if members["updated_at"] == nil { contact.updatedAt = contact.createdAt }
        var remote: RemoteReference?
        if let link = members["remote"] {
            guard let id = link["id"]?.stringValue, !id.trimmed.isEmpty, TerminalText.isSafe(id) else {
                throw problem("remote", "must be an object with the provider's \"id\"")
            }
            var base: String?
            if let record = link["base"] {
                guard BaseRecord.decode(record.canonicalText, into: contact) != nil else {
                    throw problem("remote", "\"base\" must be the record last agreed with the provider, as rolo writes it")
                }
                base = record.canonicalText
            }
            remote = RemoteReference(id: id.trimmed, modifiedAt: link["modified_at"]?.stringValue, base: base)
        }
        let strays = members.keys.filter { !bookkeeping.contains($0) && StandardField(rawValue: $0) == nil }.sorted()
        if !strays.isEmpty {
            unknown += strays
            var kept: [String: JSONValue] = [:]
            if case .object(let earlier)? = contact.extensions["import"] { kept = earlier }
            for key in strays { kept[key] = members[key] }
            contact.extensions["import"] = .object(kept)
        }
        return IncomingContact(contact: contact, accountName: accountName, line: line, remote: remote)
    }

    /// A custom value: `{"type": T, "value": V}`, or a bare value typed by what it is.
    static func customValue(_ json: JSONValue, key: String, line: Int) throws(ImportProblem) -> CustomValue {
        func problem(_ message: String) -> ImportProblem { ImportProblem(line: line, message: "custom.\(key): \(message)") }
        guard case .object(let members) = json, members.count == 2, let typeMember = members["type"],
              let value = members["value"] else {
            switch json {
            case .string(let text): return CustomValue.inferred(from: text)
            case .number(let number): return .number(number)
            case .bool(let flag): return .bool(flag)
            case .array, .object: return .json(json)
            case .null: throw problem("is null; leave the key out for no value")
            }
        }
        guard let typeName = typeMember.stringValue, let type = FieldType(rawValue: typeName) else {
            throw problem("\(describe(typeMember)) is not a type (" + FieldType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        switch (type, value) {
        case (.text, .string(let text)): return .text(text)
        case (.select, .string(let text)): return .select(text)
        case (.number, .number(let number)): return .number(number)
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.json, .object), (.json, .array): return .json(value)
        case (.multiselect, .array(let items)):
            let values = items.compactMap(\.stringValue)
            guard values.count == items.count else { throw problem("a multiselect value is an array of strings") }
            return .multiselect(values)
        case (.text, _), (.select, _):
            throw problem("a \(type.rawValue) value must be a string, not \(describe(value))")
        case (_, .string(let text)):
            // "42" for a number, "2024-01-01" for a date: read as a person would type it.
            do { return try CustomValue.parse(text, as: type) } catch { throw problem(error.message) }
        default:
            throw problem("\(describe(value)) is not a \(type.rawValue) value")
        }
    }

    /// A JSON value named for a message: `5`, `“gold”`, `an array`, `an object`.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): JSONValue.format(number)
        case .string(let text): "“" + (text.count > 30 ? text.prefix(30) + "…" : text) + "”"
        case .array: "an array"
        case .object: "an object"
        }
    }

    // MARK: - Accounts

    static func object(for spec: AccountSpec) -> JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(spec.name), "provider": .string(spec.provider.rawValue),
            "settings": .object(spec.settings.mapValues(JSONValue.string)),
            "fields": .array(spec.definitions.map(object(for:))),
        ]
        if let synced = spec.lastSyncAt { members["last_sync_at"] = .string(synced.rfc3339) }
        return .object(members)
    }

    static func object(for definition: FieldDefinition) -> JSONValue {
        .object([
            "key": .string(definition.key), "label": .string(definition.label), "type": .string(definition.type.rawValue),
            "options": .array(definition.options.map { .object(["value": .string($0.value), "label": .string($0.label)]) }),
            "required": .bool(definition.isRequired), "read_only": .bool(definition.isReadOnly),
            "whole_numbers_only": .bool(definition.wholeNumbersOnly),
            "max_length": definition.maxLength.map { .number(Double($0)) } ?? .null,
            "provider_ref": definition.providerRef.map(JSONValue.string) ?? .null,
        ])
    }

    static func account(from json: JSONValue, line: Int) throws(ImportProblem) -> AccountSpec {
        func problem(_ message: String) -> ImportProblem { ImportProblem(line: line, message: "accounts: \(message)") }
        guard case .object = json else { throw problem("an account must be an object, not \(describe(json))") }
        guard let name = json["name"]?.stringValue, !name.trimmed.isEmpty else { throw problem("an account needs a \"name\"") }
        // Whether rolo knows the provider is for the importer to say: it holds the catalog.
        guard let providerName = json["provider"]?.stringValue, !providerName.trimmed.isEmpty else {
            throw problem("account \(name) needs a \"provider\"")
        }
        let provider = ProviderKind(rawValue: providerName.trimmed)
        var settings: [String: String] = [:]
        switch json["settings"] {
        case nil, .null?: break
        case .object(let members)?:
            for (key, value) in members {
                guard let text = value.stringValue else { throw problem("setting \(key) of \(name) must be a string") }
                settings[key] = text
            }
        default: throw problem("the settings of \(name) must be an object of strings")
        }
        var definitions: [FieldDefinition] = []
        switch json["fields"] {
        case nil, .null?: break
        case .array(let fields)?:
            for field in fields { definitions.append(try definition(from: field, account: name, line: line)) }
        default: throw problem("the fields of \(name) must be an array")
        }
        var lastSync: Timestamp?
        if let value = json["last_sync_at"], value != .null {
            guard let text = value.stringValue, let instant = Timestamp(parsing: text) else {
                throw problem("last_sync_at of \(name) is not an RFC 3339 time")
            }
            lastSync = instant
        }
        return AccountSpec(name: name, provider: provider, settings: settings, definitions: definitions, lastSyncAt: lastSync,
                           line: line)
    }

    static func definition(from field: JSONValue, account: String, line: Int) throws(ImportProblem) -> FieldDefinition {
        guard let key = field["key"]?.stringValue, !key.isEmpty else {
            throw ImportProblem(line: line, message: "accounts: a field of \(account) needs a \"key\"")
        }
        func problem(_ message: String) -> ImportProblem {
            ImportProblem(line: line, message: "accounts: field \(key) of \(account): \(message)")
        }
        guard let typeName = field["type"]?.stringValue, let type = FieldType(rawValue: typeName) else {
            throw problem("needs a \"type\": " + FieldType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var options: [SelectOption] = []
        switch field["options"] {
        case nil, .null?: break
        case .array(let items)?:
            for item in items {
                guard let value = item["value"]?.stringValue else { throw problem("every option needs a \"value\" string") }
                options.append(SelectOption(value: value, label: item["label"]?.stringValue))
            }
        default: throw problem("\"options\" must be an array")
        }
        func flag(_ member: String) throws(ImportProblem) -> Bool {
            switch field[member] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw problem("\"\(member)\" must be true or false")
            }
        }
        var maxLength: Int?
        switch field["max_length"] {
        case nil, .null?: break
        case .number(let number)? where number >= 0 && number == number.rounded() && number < 1e9: maxLength = Int(number)
        default: throw problem("\"max_length\" must be a whole number")
        }
        var providerRef: String?
        switch field["provider_ref"] {
        case nil, .null?: break
        case .string(let text)?: providerRef = text
        default: throw problem("\"provider_ref\" must be a string")
        }
        return FieldDefinition(key: key, label: field["label"]?.stringValue, type: type, options: options,
                               isRequired: try flag("required"), isReadOnly: try flag("read_only"),
                               wholeNumbersOnly: try flag("whole_numbers_only"), maxLength: maxLength,
                               providerRef: providerRef)
    }

    // MARK: - Whole documents

    /// Reads a whole document into memory: for small files and tests. `rolo import` streams
    /// with `RoloJSONReader` instead.
    static func read(_ source: some ByteSource, skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        var reader = RoloJSONReader(source)
        var result = ReadResult()
        while let item = try reader.next() {
            switch item {
            case .account(let spec): result.accounts.append(spec)
            case .contact(let incoming, let warning):
                result.contacts.append(incoming)
                if let warning { result.warnings.append(warning) }
            case .invalid(let problem):
                if !skipInvalid { throw problem }
                result.skipped.append(problem)
            }
        }
        return result
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// Writes a rolo JSON document a contact at a time: nothing but the current contact is held.
struct RoloJSONWriter: ContactFileWriter {
    let sink: (String) throws -> Void
    private var written = 0

    init(sink: @escaping (String) throws -> Void) { self.sink = sink }

    mutating func begin(accounts: [AccountSpec]) throws {
        // At its depth, less the indent of its first line, which continues `"accounts": `.
        let list = JSONValue.array(accounts.map(RoloJSON.object(for:))).prettyText(depth: 1).dropFirst(2)
        try sink("{\n  \"format\": \"\(RoloJSON.formatName)\",\n  \"version\": \(RoloJSON.version),\n  \"accounts\": "
            + list + ",\n  \"contacts\": [")
    }

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        // Rendered at its depth (inside "contacts" inside the document), not indented after.
        let text = RoloJSON.object(for: contact, accountName: accountName, remote: remote).prettyText(depth: 2)
        try sink((written == 0 ? "\n" : ",\n") + text)
        written += 1
    }

    mutating func finish() throws {
        try sink(written == 0 ? "]\n}\n" : "\n  ]\n}\n")
    }
}
