import RoloCore
import RoloViewModels

/// The edit form: a title, one line per field (label, value, hint or error), and a line
/// about the focused field at the bottom.
enum FormPane {
    static func draw(_ form: EditForm, model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        guard rect.height >= 3 else { return }
        let title = " " + form.title + (form.isDirty ? " ●" : "")
        // The position ("12/27") shows when the fields do not all fit; the title leaves it room.
        let position = form.fields.count > rect.height - 3 ? " \(form.focus + 1)/\(form.fields.count) " : ""
        canvas.writeFitted(title, x: rect.x, y: rect.y, width: max(0, rect.width - TerminalText.width(position)), role: .header)
        let labelWidth = FormGeometry.labelWidth(paneWidth: rect.width, longestLabel: form.longestLabel)
        let valueX = rect.x + labelWidth + 4
        let valueWidth = FormGeometry.valueWidth(paneWidth: rect.width, longestLabel: form.longestLabel)
        let rows = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 3)
        let active = model.overlay == nil && model.commandLine == nil
        for (offset, index) in (form.scroll..<min(form.fields.count, form.scroll + rows.height)).enumerated() {
            let field = form.fields[index]
            let y = rows.y + offset
            let focused = index == form.focus
            let editing = focused && form.editor != nil
            let rowRole: Role = focused && !editing ? (active ? .selected : .selectedInactive) : .normal
            if focused && !editing { canvas.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: rowRole) }
            let mark = field.error != nil ? "✗" : field.isChanged ? "•" : " "
            let markRole: Role = field.error != nil ? .error : field.isChanged ? .pending : rowRole
            canvas.write(mark, x: rect.x + 1, y: y, role: focused && !editing ? rowRole : markRole, maxWidth: 1)
            canvas.writeFitted(field.label, x: rect.x + 3, y: y, width: labelWidth, role: focused ? rowRole : .label)
            if editing, let editor = form.editor {
                canvas.fill(Rect(x: valueX - 1, y: y, width: valueWidth + 1, height: 1), role: .input)
                let view = editor.viewport(width: valueWidth)
                canvas.write(view.visible, x: valueX, y: y, role: .input, maxWidth: valueWidth)
                canvas.cursor = (valueX + view.cursorColumn, y)
                continue
            }
            if field.isCleared {
                canvas.writeFitted("(cleared)", x: valueX, y: y, width: valueWidth, role: focused ? rowRole : .warning)
            } else if field.input.isEmpty {
                // The format shows on the focused line only, marked as an example, so that an
                // empty field never looks filled in.
                if focused, let example = field.example {
                    canvas.writeFitted("e.g. " + example, x: valueX, y: y, width: valueWidth, role: rowRole)
                }
            } else {
                var shown = field.shownText
                if case .flag = field.kind { shown = shown.isEmpty ? "" : shown }
                canvas.writeFitted(shown, x: valueX, y: y, width: valueWidth, role: focused ? rowRole : field.isReadOnly ? .muted : .normal)
            }
        }
        if !position.isEmpty {
            canvas.write(position, x: rect.maxX - TerminalText.width(position), y: rect.y, role: .hint)
        }
        // The focused field, explained: its error, else its note and how to change it.
        guard let field = form.focused else { return }
        let y = rect.maxY - 2
        canvas.horizontalLine(x: rect.x, y: y, width: rect.width)
        let line: String
        let role: Role
        if let error = field.error {
            line = " ✗ \(field.label): \(error)"
            role = .error
        } else {
            var parts: [String] = []
            if let note = field.note { parts.append(note) }
            parts.append(how(field, editing: form.editor != nil, isNew: form.mode == .create))
            line = " " + parts.joined(separator: " · ")
            role = .hint
        }
        canvas.writeFitted(line, x: rect.x, y: y + 1, width: rect.width, role: role)
    }

    /// What the keys do on this field.
    static func how(_ field: FormField, editing: Bool, isNew: Bool) -> String {
        if field.isReadOnly { return "read-only" }
        if editing {
            return (field.hint.map { "\($0) · " } ?? "")
                + (isNew ? "Enter next field, Esc stops typing, Ctrl-S saves" : "Enter keeps it, Esc stops typing, Ctrl-S saves")
        }
        switch field.kind {
        case .flag, .custom(.bool, _): return "Space toggles yes/no · x clears"
        case .custom(.select, _): return "Enter picks one option · x clears"
        case .custom(.multiselect, _): return "Enter picks options · x clears"
        case .custom(.json, _): return "Enter opens the JSON in $EDITOR · x clears"
        default: return "Enter to type · x clears · r reverts"
        }
    }
}
