import RoloCore

/// How field changes are stored in the outbox and the audit log: a JSON array of
/// `{"field": "city", "before": "Dallas", "after": "Austin"}`, where custom values carry their
/// type (`{"type": "number", "value": "42"}`), so undo can put back exactly what was there.
enum DeltaCoding {
    /// Written directly rather than through `JSONValue` (this runs for every contact of an
    /// import); the output is the same canonical text, keys in sorted order.
    static func encode(_ deltas: [FieldDelta]) -> String {
        var out = "["
        for (index, delta) in deltas.enumerated() {
            if index > 0 { out += "," }
            out += "{\"after\":"
            write(delta.after, into: &out)
            out += ",\"before\":"
            write(delta.before, into: &out)
            out += ",\"field\":"
            JSONValue.writeQuoted(fieldName(delta.key), into: &out)
            out += "}"
        }
        return out + "]"
    }

    /// `encode(LocalCache.allFields(of: contact))` — every value of a new contact as a change
    /// from nothing — written without making the changes first (one per contact of an import
    /// or a pull).
    static func encodeCreation(of contact: Contact) -> String {
        var out = "["
        var first = true
        for field in contact.fields.keys.sorted() {
            if !first { out += "," }
            first = false
            out += "{\"after\":"
            JSONValue.writeQuoted(contact.fields[field]!, into: &out)
            out += ",\"before\":null,\"field\":"
            JSONValue.writeQuoted(field.key, into: &out)
            out += "}"
        }
        for key in contact.custom.keys.sorted() {
            if !first { out += "," }
            first = false
            out += "{\"after\":"
            write(.custom(contact.custom[key]!), into: &out)
            out += ",\"before\":null,\"field\":"
            JSONValue.writeQuoted(fieldName(.custom(key)), into: &out)
            out += "}"
        }
        return out + "]"
    }

    /// One value as JSON text (a conflict's base, local and remote sides).
    static func encodeValue(_ value: FieldValue?) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    /// One value written by `encodeValue`; anything else throws, naming `table` and `column`.
    static func decodeValue(_ text: String?, for key: FieldKey, table: String, column: String) throws -> FieldValue? {
        guard let text else { return nil }
        func unknown(_ value: String) -> StoredValueError { StoredValueError(table: table, column: column, value: value) }
        guard let json = try? JSONValue.parse(text) else { throw unknown(text) }
        return try decode(json, for: key, unknown: unknown)
    }

    private static func write(_ value: FieldValue?, into out: inout String) {
        switch value {
        case nil:
            out += "null"
        case .text(let text):
            JSONValue.writeQuoted(text, into: &out)
        case .custom(let custom):
            out += "{\"type\":"
            JSONValue.writeQuoted(custom.type.rawValue, into: &out)
            out += ",\"value\":"
            JSONValue.writeQuoted(custom.storedText, into: &out)
            out += "}"
        case .list(let values):
            out += JSONValue.array(values.map(\.json)).canonicalText
        }
    }

    /// Reads changes back. Anything this rolo did not write — text that is not such an array,
    /// a field name or a type it does not know — throws, naming the value and `table`.
    static func decode(_ text: String, table: String) throws -> [FieldDelta] {
        func unknown(_ value: String) -> StoredValueError { StoredValueError(table: table, column: "deltas", value: value) }
        guard case .array(let items)? = try? JSONValue.parse(text) else { throw unknown(text) }
        return try items.map { item in
            guard let name = item["field"]?.stringValue else { throw unknown(text) }
            guard let key = fieldKey(name) else { throw unknown(name) }
            return FieldDelta(key: key, before: try decode(item["before"], for: key, unknown: unknown),
                              after: try decode(item["after"], for: key, unknown: unknown))
        }
    }

    /// Standard fields by their key; custom fields always as `custom.<key>` so the two never mix.
    static func fieldName(_ key: FieldKey) -> String {
        switch key {
        case .standard(let field): field.key
        case .others(let kind): kind.listName
        case .custom(let name): "custom." + name
        }
    }

    /// The key `fieldName` wrote, or nil for a name it never writes.
    static func fieldKey(_ name: String) -> FieldKey? {
        if name.hasPrefix("custom.") { return .custom(String(name.dropFirst(7))) }
        if let kind = OtherValueKind(listName: name) { return .others(kind) }
        return StandardField(rawValue: name).map(FieldKey.standard)
    }

    private static func decode(_ json: JSONValue?, for key: FieldKey,
                               unknown: (String) -> StoredValueError) throws -> FieldValue? {
        switch json {
        case nil, .null?:
            return nil
        case .string(let text)?:
            if case .custom = key { return .custom(.text(text)) }
            return .text(text)
        case .object(let members)?:
            guard let typeName = members["type"]?.stringValue, let text = members["value"]?.stringValue else {
                throw unknown(json!.canonicalText)
            }
            guard let type = FieldType(rawValue: typeName) else { throw unknown(typeName) }
            guard let value = CustomValue(storedText: text, type: type) else { throw unknown(text) }
            return .custom(value)
        case .array(let items)? where key.isOthers:
            return .list(try items.map { item in
                guard let value = LabelledValue(json: item) else { throw unknown(json!.canonicalText) }
                return value
            })
        default:
            throw unknown(json!.canonicalText)
        }
    }
}
