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
///                "extensions": {…}, "created_at": "…", "updated_at": "…"}]}
/// ```
public enum RoloJSON {
    public static let formatName = "rolo-contacts"
    public static let version = 1

    /// Members of a contact object that are not standard fields.
    static let bookkeeping: Set<String> = ["id", "uid", "account", "custom", "extensions", "created_at", "updated_at", "sync", "remote"]

    // MARK: - One contact

    public static func object(for contact: Contact, accountName: String, remote: RemoteReference? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "uid": .string(contact.uid), "account": .string(accountName),
            "created_at": .string(contact.createdAt.rfc3339), "updated_at": .string(contact.updatedAt.rfc3339),
        ]
        if let id = contact.id { members["id"] = .string(id.shortID) }
        for (field, value) in contact.fields {
            members[field.key] = field.kind == .flag ? .bool(value == "true") : .string(value)
        }
        if !contact.custom.isEmpty {
            members["custom"] = .object(contact.custom.mapValues { value in
                .object(["type": .string(value.type.rawValue), "value": value.jsonValue])
            })
        }
        if !contact.extensions.isEmpty { members["extensions"] = .object(contact.extensions) }
        if let remote {
            var link: [String: JSONValue] = ["id": .string(remote.id)]
            if let modified = remote.modifiedAt { link["modified_at"] = .string(modified) }
            members["remote"] = .object(link)
        }
        return .object(members)
    }

    /// Reads one contact object. Unknown members are kept under `extensions["import"]` and
    /// reported as warnings through `warn`.
    public static func contact(from object: JSONValue, line: Int) throws(ImportProblem) -> IncomingContact {
        var ignored: [String] = []
        return try contact(from: object, line: line, unknown: &ignored)
    }

    static func contact(from object: JSONValue, line: Int, unknown: inout [String]) throws(ImportProblem) -> IncomingContact {
        guard case .object(let members) = object else {
            throw ImportProblem(line: line, message: "a contact must be a JSON object")
        }
        func fail(_ member: String, _ message: String) -> ImportProblem {
            ImportProblem(line: line, message: "\(member): \(message)")
        }
        var contact = Contact(accountID: 0)
        if let uid = members["uid"] {
            guard let text = uid.stringValue, !text.trimmed.isEmpty, text.count <= 128,
                  TerminalText.isSafe(text) else { throw fail("uid", "must be a non-empty string of at most 128 characters") }
            contact.uid = text.trimmed.lowercased()
        }
        var accountName: String?
        if let account = members["account"] {
            guard let text = account.stringValue else { throw fail("account", "must be a string") }
            accountName = text.isEmpty ? nil : text
        }
        for field in StandardField.allCases {
            guard let value = members[field.key] else { continue }
            switch (field.kind, value) {
            case (_, .null):
                continue
            case (.flag, .bool(let flag)):
                contact[field] = flag ? "true" : "false"
            case (.flag, .string(let text)):
                guard let flag = ["yes": true, "true": true, "no": false, "false": false][text.lowercased()] else {
                    throw fail(field.key, "must be true or false")
                }
                contact[field] = flag ? "true" : "false"
            case (.flag, _):
                throw fail(field.key, "must be true or false")
            case (_, .string(let text)):
                contact[field] = text
            default:
                throw fail(field.key, "must be a string")
            }
        }
        if let custom = members["custom"] {
            guard case .object(let values) = custom else { throw fail("custom", "must be an object of key: value") }
            for key in values.keys.sorted() {
                contact.custom[key] = try customValue(values[key]!, key: key, line: line)
            }
        }
        if let extensions = members["extensions"] {
            guard case .object(let values) = extensions else { throw fail("extensions", "must be an object") }
            contact.extensions = values
        }
        for (member, keyPath) in [("created_at", \Contact.createdAt), ("updated_at", \Contact.updatedAt)] {
            guard let value = members[member] else { continue }
            guard let text = value.stringValue, let instant = Timestamp(parsing: text) else {
                throw fail(member, "must be an RFC 3339 date and time like 2023-06-01T09:00:00Z")
            }
            contact[keyPath: keyPath] = instant
        }
        if members["updated_at"] == nil { contact.updatedAt = contact.createdAt }
        var remote: RemoteReference?
        if let link = members["remote"] {
            guard let id = link["id"]?.stringValue, !id.trimmed.isEmpty, TerminalText.isSafe(id) else {
                throw fail("remote", "must be an object with the provider's \"id\"")
            }
            remote = RemoteReference(id: id.trimmed, modifiedAt: link["modified_at"]?.stringValue)
        }
        let strays = members.keys.filter { !bookkeeping.contains($0) && StandardField(rawValue: $0) == nil }.sorted()
        if !strays.isEmpty {
            unknown += strays
            var kept: [String: JSONValue] = [:]
            for key in strays { kept[key] = members[key] }
            contact.extensions["import"] = .object(kept)
        }
        return IncomingContact(contact: contact, accountName: accountName, line: line, remote: remote)
    }

    /// A custom value: `{"type": T, "value": V}`, or a bare value typed by what it is.
    static func customValue(_ json: JSONValue, key: String, line: Int) throws(ImportProblem) -> CustomValue {
        func fail(_ message: String) -> ImportProblem { ImportProblem(line: line, message: "custom.\(key): \(message)") }
        guard case .object(let members) = json, let typeName = members["type"]?.stringValue, members["value"] != nil,
              members.count == 2 else {
            switch json {
            case .string(let text): return CustomValue.inferred(from: text)
            case .number(let number): return .number(number)
            case .bool(let flag): return .bool(flag)
            case .array, .object: return .json(json)
            case .null: throw fail("is null; leave the key out for no value")
            }
        }
        guard let type = FieldType(rawValue: typeName) else {
            throw fail("“\(typeName)” is not a type (" + FieldType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let value = members["value"]!
        switch (type, value) {
        case (.text, .string(let text)): return .text(text)
        case (.select, .string(let text)): return .select(text)
        case (.number, .number(let number)): return .number(number)
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.json, .object), (.json, .array): return .json(value)
        case (.multiselect, .array(let items)):
            let values = items.compactMap(\.stringValue)
            guard values.count == items.count else { throw fail("a multiselect value is an array of strings") }
            return .multiselect(values)
        case (_, .string(let text)):
            do { return try CustomValue.parse(text, as: type) } catch { throw fail(error.message) }
        default:
            throw fail("the value does not fit the type \(type.rawValue)")
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
        var members: [String: JSONValue] = [
            "key": .string(definition.key), "label": .string(definition.label), "type": .string(definition.type.rawValue),
            "required": .bool(definition.isRequired), "read_only": .bool(definition.isReadOnly),
            "whole_numbers_only": .bool(definition.wholeNumbersOnly),
            "max_length": definition.maxLength.map { .number(Double($0)) } ?? .null,
            "provider_ref": definition.providerRef.map(JSONValue.string) ?? .null,
        ]
        if !definition.options.isEmpty {
            members["options"] = .array(definition.options.map { .object(["value": .string($0.value), "label": .string($0.label)]) })
        }
        return .object(members)
    }

    static func account(from json: JSONValue, line: Int) throws(ImportProblem) -> AccountSpec {
        func fail(_ message: String) -> ImportProblem { ImportProblem(line: line, message: "accounts: \(message)") }
        guard let name = json["name"]?.stringValue, !name.isEmpty else { throw fail("an account needs a name") }
        guard let providerName = json["provider"]?.stringValue, let provider = ProviderKind(rawValue: providerName) else {
            throw fail("account \(name) needs a provider: " + ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var settings: [String: String] = [:]
        if case .object(let members)? = json["settings"] {
            for (key, value) in members { if let text = value.stringValue { settings[key] = text } }
        }
        var definitions: [FieldDefinition] = []
        if case .array(let fields)? = json["fields"] {
            for field in fields {
                guard let key = field["key"]?.stringValue, let type = field["type"]?.stringValue.flatMap(FieldType.init) else {
                    throw fail("a field of \(name) needs a key and a type")
                }
                var options: [SelectOption] = []
                if case .array(let items)? = field["options"] {
                    options = items.compactMap { item in item["value"]?.stringValue.map { SelectOption(value: $0, label: item["label"]?.stringValue) } }
                }
                func flag(_ member: String) -> Bool { if case .bool(true)? = field[member] { true } else { false } }
                var maxLength: Int?
                if case .number(let number)? = field["max_length"] { maxLength = Int(number) }
                definitions.append(FieldDefinition(
                    key: key, label: field["label"]?.stringValue, type: type, options: options, isRequired: flag("required"),
                    isReadOnly: flag("read_only"), wholeNumbersOnly: flag("whole_numbers_only"), maxLength: maxLength,
                    providerRef: field["provider_ref"]?.stringValue))
            }
        }
        var lastSync: Timestamp?
        if let text = json["last_sync_at"]?.stringValue {
            guard let instant = Timestamp(parsing: text) else { throw fail("last_sync_at of \(name) is not an RFC 3339 time") }
            lastSync = instant
        }
        return AccountSpec(name: name, provider: provider, settings: settings, definitions: definitions, lastSyncAt: lastSync)
    }

    // MARK: - Whole documents

    static func read(_ text: String, skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        let document: JSONValue
        do {
            document = try JSONValue.parse(text)
        } catch {
            // "line 3, column 14: …" becomes line 3 of the problem and "column 14: …" of its message.
            var message = error.message
            if message.hasPrefix("line "), let comma = message.firstIndex(of: ",") {
                message = message[message.index(after: comma)...].trimmed
            }
            throw ImportProblem(line: lineOf(error.message) ?? 1, message: "not valid JSON: " + message)
        }
        let starts = ElementLines(text)
        var result = ReadResult()
        let contacts: [JSONValue]
        switch document {
        case .array(let items):
            contacts = items
        case .object(let members):
            if let format = members["format"]?.stringValue, format != formatName {
                throw ImportProblem(line: 1, message: "this is a “\(format)” document, not rolo contacts")
            }
            if case .number(let version)? = members["version"], Int(version) > RoloJSON.version {
                throw ImportProblem(line: 1, message: "written by a newer rolo (version \(Int(version))); upgrade rolo to read it")
            }
            if case .array(let accounts)? = members["accounts"] {
                for (index, account) in accounts.enumerated() {
                    result.accounts.append(try RoloJSON.account(from: account, line: starts.accountLines[safe: index] ?? 1))
                }
            }
            guard case .array(let items)? = members["contacts"] else {
                throw ImportProblem(line: 1, message: "a rolo JSON file is an array of contacts or an object with \"contacts\"")
            }
            contacts = items
        default:
            throw ImportProblem(line: 1, message: "a rolo JSON file is an array of contacts or an object with \"contacts\"")
        }
        let lines = document.isArrayDocument ? starts.topLevelLines : starts.contactLines
        for (index, item) in contacts.enumerated() {
            let line = lines[safe: index] ?? 1
            do throws(ImportProblem) {
                var unknown: [String] = []
                result.contacts.append(try contact(from: item, line: line, unknown: &unknown))
                if !unknown.isEmpty {
                    result.warnings.append(ImportProblem(line: line, message: "kept unknown members under extensions.import: "
                        + unknown.joined(separator: ", ")))
                }
            } catch {
                if !skipInvalid { throw error }
                result.skipped.append(error)
            }
        }
        return result
    }

    /// The line number in a JSON parser's message ("… around line 3, column 5").
    static func lineOf(_ message: String) -> Int? {
        guard let range = message.range(of: "line ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }
}

private extension JSONValue {
    var isArrayDocument: Bool { if case .array = self { true } else { false } }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// Where each record of a JSON document starts, found by one scan of the text (JSON values do
/// not remember their lines): the elements of a top-level array, and of the `contacts` and
/// `accounts` arrays of a document object.
struct ElementLines {
    var topLevelLines: [Int] = []
    var contactLines: [Int] = []
    var accountLines: [Int] = []

    init(_ text: String) {
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var lastString = ""
        var currentString = ""
        var keyAtDepthOne: String?
        var arrayKey: String?          // the key of the array open at depth 2
        var expectingValueAfterColon = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" { line += 1 }
            if inString {
                if escaped { escaped = false; currentString.unicodeScalars.append(scalar); continue }
                if scalar == "\\" { escaped = true; continue }
                if scalar == "\"" { inString = false; lastString = currentString; continue }
                currentString.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\"":
                inString = true
                currentString = ""
            case ":":
                if depth == 1 { keyAtDepthOne = lastString }
                expectingValueAfterColon = true
            case "{", "[":
                if depth == 1, scalar == "{", topLevelIsArray { topLevelLines.append(line) }
                if depth == 1, scalar == "[", expectingValueAfterColon { arrayKey = keyAtDepthOne }
                if depth == 2, scalar == "{", let arrayKey {
                    if arrayKey == "contacts" { contactLines.append(line) }
                    if arrayKey == "accounts" { accountLines.append(line) }
                }
                if depth == 0 { topLevelIsArray = scalar == "[" }
                depth += 1
                expectingValueAfterColon = false
            case "}", "]":
                depth -= 1
                if depth == 1 { arrayKey = nil }
            case ",":
                expectingValueAfterColon = false
            default:
                break
            }
        }
    }

    private var topLevelIsArray = false
}

/// Writes a rolo JSON document a contact at a time.
struct RoloJSONWriter: ContactFileWriter {
    let sink: (String) throws -> Void
    private var written = 0

    init(sink: @escaping (String) throws -> Void) { self.sink = sink }

    mutating func begin(accounts: [AccountSpec]) throws {
        let header = JSONValue.array(accounts.map(RoloJSON.object(for:))).prettyText
        try sink("{\n  \"format\": \"\(RoloJSON.formatName)\",\n  \"version\": \(RoloJSON.version),\n  \"accounts\": "
            + indent(header, by: 2) + ",\n  \"contacts\": [")
    }

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        let text = RoloJSON.object(for: contact, accountName: accountName, remote: remote).prettyText
        try sink((written == 0 ? "\n    " : ",\n    ") + indent(text, by: 4))
        written += 1
    }

    mutating func finish() throws {
        try sink(written == 0 ? "]\n}\n" : "\n  ]\n}\n")
    }

    private func indent(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : pad + $0.element }.joined(separator: "\n")
    }
}
