import RoloCore
import RoloViewModels

/// The contact list: a header and one row per contact, with columns that fit the width.
enum ListPane {
    struct Columns: Equatable {
        let name: Int
        let email: Int
        let company: Int

        /// Splits the width between name, email and company (dropped below 60 columns). Two
        /// cells go to the sync marker, two to each gap.
        init(width: Int) {
            let available = max(0, width - 2)
            if available >= 58 {
                let usable = available - 4
                name = usable * 36 / 100
                email = usable * 38 / 100
                company = usable - name - email
            } else {
                let usable = max(0, available - 2)
                name = usable * 48 / 100
                email = usable - name
                company = 0
            }
        }
    }

    static func draw(_ model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        guard rect.height > 0 else { return }
        let columns = Columns(width: rect.width)
        let list = model.list
        canvas.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .header)
        var x = rect.x + 2
        canvas.writeFitted("NAME", x: x, y: rect.y, width: columns.name, role: .header)
        x += columns.name + 2
        canvas.writeFitted("EMAIL", x: x, y: rect.y, width: columns.email, role: .header)
        if columns.company > 0 {
            x += columns.email + 2
            canvas.writeFitted("COMPANY", x: x, y: rect.y, width: columns.company, role: .header)
        }
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        if list.rows.isEmpty {
            drawEmpty(model, in: body, into: &canvas)
            return
        }
        let active = model.focus == .list && model.overlay == nil
        for (index, row) in list.rows.prefix(body.height).enumerated() {
            let y = body.y + index
            let selected = index == list.selection
            let base: Role = selected ? (active ? .selected : .selectedInactive) : .normal
            if selected { canvas.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: base) }
            let markerRole: Role = switch row.marker {
            case .none: base
            case .pending, .sending: selected ? base : .pending
            case .failed: selected ? base : .error
            case .conflict: selected ? base : .conflict
            }
            canvas.write(row.marker.symbol, x: rect.x, y: y, role: markerRole, maxWidth: 1)
            var column = rect.x + 2
            canvas.writeFitted(row.displayName, x: column, y: y, width: columns.name, role: base)
            column += columns.name + 2
            canvas.writeFitted(row.email ?? "", x: column, y: y, width: columns.email, role: selected ? base : .muted)
            if columns.company > 0 {
                column += columns.email + 2
                canvas.writeFitted(row.company ?? "", x: column, y: y, width: columns.company, role: selected ? base : .muted)
            }
        }
    }

    static func drawEmpty(_ model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        let lines: [String]
        if let query = model.list.query, let field = model.list.unknownFilterField {
            lines = ["No contact matches “\(query.text)”: \(field) is not a field of these contacts.",
                     "To look for the text itself, quote it: \"\(field):…\". Esc clears the filter."]
        } else if let query = model.list.query {
            lines = ["No contact matches “\(query.text)”.", "Esc clears the filter."]
        } else if model.isReadOnly {
            lines = ["No contacts here."]
        } else {
            lines = ["No contacts here yet.", "n adds one; `rolo import FILE` or `rolo demo` brings many."]
        }
        for (offset, line) in lines.enumerated() where offset < rect.height {
            canvas.writeFitted("  " + line, x: rect.x, y: rect.y + 1 + offset, width: rect.width, role: offset == 0 ? .normal : .muted)
        }
    }
}

/// Every field of the selected contact.
enum DetailPane {
    static func draw(_ model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        guard rect.height > 0 else { return }
        guard let detail = model.detail else {
            canvas.writeFitted("  Select a contact to see it here.", x: rect.x, y: rect.y + 1, width: rect.width, role: .muted)
            return
        }
        let active = model.focus == .detail
        // When rows are left below, the last line says how many, on a line of its own, so it
        // never covers a value (the model scrolls by the rows above it).
        let hasMore = detail.scroll + rect.height < detail.rows.count
        let visible = detail.rows.dropFirst(detail.scroll).prefix(hasMore ? max(1, rect.height - 1) : rect.height)
        for (offset, row) in visible.enumerated() {
            let y = rect.y + offset
            switch row {
            case .heading(let text):
                canvas.writeFitted(" " + text, x: rect.x, y: y, width: rect.width, role: offset == 0 && detail.scroll == 0 && active ? .selected : .header)
            case .field(let label, let value, let tone, _):
                canvas.writeFitted(" " + label, x: rect.x, y: y, width: detail.labelWidth + 1, role: .label)
                let role: Role = switch tone {
                case .normal: .normal
                case .muted: .muted
                case .warning: .pending
                case .error: .error
                case .success: .success
                }
                let start = rect.x + detail.labelWidth + 3
                canvas.writeFitted(value, x: start, y: y, width: max(0, rect.maxX - start), role: role)
            case .blank:
                break
            }
        }
        if hasMore {
            let more = " ↓ \(detail.rows.count - detail.scroll - visible.count) more "
            let width = TerminalText.width(more)
            canvas.write(more, x: rect.maxX - width, y: rect.maxY - 1, role: .hint)
        }
    }
}
