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

    /// One value as JSON text (a conflict's base, local and remote sides).
    static func encodeValue(_ value: FieldValue?) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func decodeValue(_ text: String?, for key: FieldKey) -> FieldValue? {
        guard let text, let json = try? JSONValue.parse(text) else { return nil }
        return decode(json, for: key)
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
        }
    }

    static func decode(_ text: String) -> [FieldDelta] {
        guard case .array(let items)? = try? JSONValue.parse(text) else { return [] }
        return items.compactMap { item in
            guard let name = item["field"]?.stringValue else { return nil }
            let key = fieldKey(name)
            return FieldDelta(key: key, before: decode(item["before"], for: key), after: decode(item["after"], for: key))
        }
    }

    /// Standard fields by their key; custom fields always as `custom.<key>` so the two never mix.
    static func fieldName(_ key: FieldKey) -> String {
        switch key {
        case .standard(let field): field.key
        case .custom(let name): "custom." + name
        }
    }

    static func fieldKey(_ name: String) -> FieldKey {
        if name.hasPrefix("custom.") { return .custom(String(name.dropFirst(7))) }
        return StandardField(rawValue: name).map(FieldKey.standard) ?? .custom(name)
    }

    private static func decode(_ json: JSONValue?, for key: FieldKey) -> FieldValue? {
        switch json {
        case .string(let text)?:
            if case .custom = key { return .custom(.text(text)) }
            return .text(text)
        case .object(let members)?:
            guard let typeName = members["type"]?.stringValue, let type = FieldType(rawValue: typeName),
                  let text = members["value"]?.stringValue else { return nil }
            return .custom(CustomValue(storedText: text, type: type) ?? .text(text))
        default:
            return nil
        }
    }
}
