import RoloCore
import RoloSync

/// The edit form as a draft: what was typed, field by field, saved on every change so that a
/// hang-up or a crash loses at most the keystroke in flight.
enum FormDraft {
    static let version = 1

    static func payload(of form: EditForm) -> String {
        var fields: [JSONValue] = []
        for field in form.fields where field.isChanged {
            fields.append(.object(["key": .string(EditForm.name(of: field)), "input": .string(field.input),
                                   "cleared": .bool(field.isCleared)]))
        }
        let added = form.fields.filter { field in
            if case .custom(let key) = field.key { return form.original.custom[key] == nil && !form.definitions.contains { $0.key == key } }
            return false
        }.map { field -> JSONValue in
            .object(["key": .string(EditForm.name(of: field)), "type": .string(field.kind.customType?.rawValue ?? "text")])
        }
        var object: [String: JSONValue] = [
            "version": .number(Double(version)), "account": .number(Double(form.account.id)),
            "fields": .array(fields), "added": .array(added), "focus": .number(Double(form.focus)),
        ]
        if case .edit(let id) = form.mode { object["contact"] = .number(Double(id.rawValue)) }
        if let editor = form.editor {
            object["editing"] = .bool(true)
            object["cursor"] = .number(Double(editor.cursor))
        }
        return JSONValue.object(object).canonicalText
    }

    /// Puts a draft's changes into a freshly opened form. Returns false when the payload is not
    /// a draft this version wrote.
    ///
    /// `resumeTyping`: go on typing where the draft stopped (a draft left behind by a rolo that
    /// ended). A form taken over from a rolo still running opens with its values but not typing,
    /// so that keys meant for the list do not land in a field someone else was typing in.
    static func restore(_ payload: String, into form: inout EditForm, visibleRows: Int, planner: any AccountDirectory,
                        resumeTyping: Bool = true) -> Bool {
        guard case .object(let object)? = try? JSONValue.parse(payload),
              case .number(let version)? = object["version"], Int(version) == FormDraft.version else { return false }
        if case .array(let added)? = object["added"] {
            for item in added {
                guard let name = item["key"]?.stringValue, name.hasPrefix("custom."),
                      let type = item["type"]?.stringValue.flatMap(FieldType.init(rawValue:)) else { continue }
                try? form.addCustomField(key: String(name.dropFirst(7)), type: type, planner: planner)
            }
        }
        if case .array(let fields)? = object["fields"] {
            for item in fields {
                guard let name = item["key"]?.stringValue,
                      let index = form.fields.firstIndex(where: { EditForm.name(of: $0) == name }) else { continue }
                if case .bool(true)? = item["cleared"] {
                    form.clear(at: index)
                } else if let input = item["input"]?.stringValue {
                    form.setInput(input, at: index)
                }
            }
        }
        if case .number(let focus)? = object["focus"] { form.move(to: Int(focus), visibleRows: visibleRows) }
        if resumeTyping, case .bool(true)? = object["editing"], let field = form.focused, field.kind.isTyped, !field.isReadOnly {
            var editor = LineEditor(text: field.input)
            if case .number(let cursor)? = object["cursor"] {
                for _ in 0..<max(0, field.input.count - Int(cursor)) { _ = editor.handle(.left) }
            }
            form.editor = editor
        }
        return true
    }
}
