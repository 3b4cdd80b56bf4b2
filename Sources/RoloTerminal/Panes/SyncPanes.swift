import RoloCore
import RoloViewModels

/// The outbox and conflicts views, drawn over the whole main area.
enum SyncViewPane {
    static func draw(_ view: SyncView, model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        guard rect.height >= 3 else { return }
        canvas.fill(rect, role: .normal)
        switch view {
        case .outbox(let outbox): OutboxPane.draw(outbox, model: model, in: rect, into: &canvas)
        case .conflicts(let conflicts): ConflictsPane.draw(conflicts, model: model, in: rect, into: &canvas)
        }
    }

    /// The view's first line: what it is and for which accounts.
    static func title(_ text: String, model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        let scope = model.currentAccount.map { "\($0.name) (\($0.profile.displayName))" } ?? "all accounts"
        canvas.writeFitted(" \(text) · \(scope)", x: rect.x, y: rect.y, width: rect.width, role: .dialogTitle)
    }

    /// Writes labelled lines (`label` then `text`, wrapped) from `y` in at most `rows` rows.
    static func labelled(_ entries: [(label: String, text: String, role: Role)], x: Int, y: Int, width: Int, rows: Int,
                         into canvas: inout Canvas) {
        let longest = entries.map { TerminalText.width($0.label) }.max() ?? 0
        let labelWidth = max(4, min(16, longest, width / 2))
        var row = 0
        for entry in entries {
            // An entry without a label takes the whole width.
            let indent = entry.label.isEmpty ? 0 : labelWidth + 2
            let lines = OverlayBox.wrap(entry.text, width: max(4, width - indent))
            for (index, line) in lines.enumerated() {
                guard row < rows else { return }
                let last = row == rows - 1 && index < lines.count - 1
                if index == 0, !entry.label.isEmpty { canvas.writeFitted(entry.label, x: x, y: y + row, width: labelWidth, role: .label) }
                canvas.writeFitted(last ? line + " …" : line, x: x + indent, y: y + row, width: width - indent, role: entry.role)
                row += 1
            }
        }
    }

    static func role(of state: DeliveryState) -> Role {
        switch state {
        case .pending, .sending: .pending
        case .failed: .error
        case .conflict: .conflict
        }
    }

    static func marker(of state: DeliveryState) -> SyncMarker {
        switch state {
        case .pending: .pending
        case .sending: .sending
        case .failed: .failed
        case .conflict: .conflict
        }
    }
}

/// The outbox: a line per contact waiting to reach its provider, the selected one's error and
/// changes below.
enum OutboxPane {
    struct Columns {
        let name: Int
        let account: Int
        let state: Int
        let tries: Int
        let next: Int
        let error: Int

        /// Name, state and error always; account (all accounts in view), tries and next try
        /// as the width allows.
        init(width: Int, showsAccount: Bool) {
            let usable = max(0, width - 2)
            state = 9
            if usable >= 70 {
                tries = 5
                next = 10
                // Room for an account name as the demo and most configs write them (dailystory-demo).
                account = showsAccount ? min(16, usable / 6) : 0
            } else {
                tries = 0
                next = 0
                account = 0
            }
            let gaps = 2 * ([account, tries, next].filter { $0 > 0 }.count + 2)
            let rest = max(0, usable - state - tries - next - account - gaps)
            name = max(6, min(32, rest * 45 / 100))
            error = max(0, rest - name)
        }
    }

    static func draw(_ view: OutboxView, model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        let count = view.lines.count
        SyncViewPane.title("Outbox — \(count) contact\(count == 1 ? "" : "s") waiting to be sent", model: model, in: rect, into: &canvas)
        guard count > 0 else {
            canvas.writeFitted("  Nothing waits to be sent: every edit here has reached its provider.", x: rect.x, y: rect.y + 2,
                               width: rect.width, role: .normal)
            canvas.writeFitted("  Edits wait here until a sync (s) sends them.", x: rect.x, y: rect.y + 3, width: rect.width, role: .muted)
            return
        }
        let columns = Columns(width: rect.width, showsAccount: model.currentAccount == nil)
        let header = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1)
        canvas.fill(header, role: .header)
        var x = rect.x + 2
        func column(_ title: String, _ width: Int, _ y: Int, _ role: Role) {
            guard width > 0 else { return }
            canvas.writeFitted(title, x: x, y: y, width: width, role: role)
            x += width + 2
        }
        column("NAME", columns.name, header.y, .header)
        column("ACCOUNT", columns.account, header.y, .header)
        column("STATE", columns.state, header.y, .header)
        column("TRIES", columns.tries, header.y, .header)
        column("NEXT TRY", columns.next, header.y, .header)
        column("LAST ERROR", columns.error, header.y, .header)

        let rows = OutboxGeometry.visibleRows(mainHeight: rect.height)
        let now = model.options.now()
        for (offset, index) in (view.scroll..<min(count, view.scroll + rows)).enumerated() {
            let line = view.lines[index]
            let entry = line.entry
            let y = rect.y + 2 + offset
            let selected = index == view.cursor
            let base: Role = selected ? .selected : .normal
            if selected { canvas.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: base) }
            canvas.write(SyncViewPane.marker(of: entry.state).symbol, x: rect.x, y: y,
                         role: selected ? base : SyncViewPane.role(of: entry.state), maxWidth: 1)
            x = rect.x + 2
            column(entry.displayName, columns.name, y, base)
            column(line.account, columns.account, y, selected ? base : .muted)
            column(entry.state.rawValue, columns.state, y, selected ? base : SyncViewPane.role(of: entry.state))
            column(entry.attempts == 0 ? "" : String(entry.attempts), columns.tries, y, selected ? base : .muted)
            let next = entry.state == .failed ? (entry.nextAttemptAt.map { until($0, from: now) } ?? "r retries")
                : entry.nextAttemptAt.map { until($0, from: now) } ?? "next sync"
            column(next, columns.next, y, selected ? base : .muted)
            column(entry.lastError ?? "", columns.error, y, selected ? base : entry.lastError == nil ? .normal : .error)
        }

        // The selected contact in full: what it is, the provider's words, what will be sent.
        let detailRows = OutboxGeometry.detailRows(mainHeight: rect.height)
        let top = rect.maxY - detailRows
        guard let line = view.selected else { return }
        canvas.horizontalLine(x: rect.x, y: top - 1, width: rect.width)
        let entry = line.entry
        var entries: [(label: String, text: String, role: Role)] = []
        // Where there are rows to spare, a line that says it all in words; else the line above does.
        if detailRows > 3 {
            entries.append(("", "\(entry.displayName): \(entry.kind.waitingPhrase) for \(line.provider) (\(line.account)), "
                + entry.state.rawValue + (entry.attempts > 0 ? ", tried \(entry.attempts) time\(entry.attempts == 1 ? "" : "s")" : ""),
                .normal))
        }
        if let error = entry.lastError { entries.append(("\(line.provider) said", error, .error)) }
        if entry.kind == .delete {
            entries.append(("Will send", "the delete", .pending))
        } else if !view.changes.isEmpty {
            let changes = view.changes.map { delta in
                "\(delta.key.screenLabel): " + (delta.after.map { $0.displayText.isEmpty ? "(empty)" : $0.displayText } ?? "(cleared)")
            }
            entries.append(("Will send", changes.joined(separator: " · "), .pending))
        }
        SyncViewPane.labelled(entries, x: rect.x + 1, y: top, width: rect.width - 2, rows: detailRows, into: &canvas)
    }

    /// "in 5 min": the next try, from now.
    static func until(_ time: Timestamp, from now: Timestamp) -> String {
        let seconds = (time.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 1000
        if seconds <= 0 { return "next sync" }
        if seconds < 60 { return "in \(seconds) s" }
        if seconds < 3600 { return "in \((seconds + 59) / 60) min" }
        if seconds < 48 * 3600 { return "in \((seconds + 1799) / 3600) h" }
        return "in \((seconds + 43199) / 86400) d"
    }
}

/// The conflicts: per contact, each conflicting field with mine and theirs side by side.
enum ConflictsPane {
    static func draw(_ view: ConflictsView, model: AppModel, in rect: Rect, into canvas: inout Canvas) {
        let count = view.items.count
        SyncViewPane.title("Conflicts — \(count) contact\(count == 1 ? "" : "s") changed here and at the provider", model: model,
                           in: rect, into: &canvas)
        guard count > 0 else {
            canvas.writeFitted("  No conflicts.", x: rect.x, y: rect.y + 2, width: rect.width, role: .normal)
            canvas.writeFitted("  A field changed here and at the provider to different values waits here for you to choose.",
                               x: rect.x, y: rect.y + 3, width: rect.width, role: .muted)
            return
        }
        let columns = ConflictsGeometry.columns(width: rect.width)
        let header = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1)
        canvas.fill(header, role: .header)
        canvas.writeFitted("FIELD", x: rect.x + columns.fieldX, y: header.y, width: columns.field, role: .header)
        if columns.base > 0 { canvas.writeFitted("BEFORE", x: rect.x + columns.baseX, y: header.y, width: columns.base, role: .header) }
        canvas.writeFitted("MINE (here)", x: rect.x + columns.mineX, y: header.y, width: columns.mine, role: .header)
        canvas.writeFitted("THEIRS", x: rect.x + columns.theirsX, y: header.y, width: columns.theirs, role: .header)

        let rows = ConflictsGeometry.bodyRows(mainHeight: rect.height)
        let lines = ConflictsGeometry.lines(of: view, width: rect.width, bodyRows: rows)
        for (offset, line) in lines.dropFirst(view.scroll).prefix(rows).enumerated() {
            let y = rect.y + 2 + offset
            switch line.kind {
            case .contact(let title):
                canvas.writeFitted(" " + title, x: rect.x, y: y, width: rect.width, role: .label)
            case .conflict(let label, let base, let mine, let theirs, let continued, let wholeContact):
                let role: Role = line.isSelected ? .selected : .normal
                if line.isSelected { canvas.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: role) }
                if !continued {
                    canvas.write(SyncMarker.conflict.symbol, x: rect.x, y: y, role: line.isSelected ? role : .conflict, maxWidth: 1)
                }
                canvas.writeFitted(label, x: rect.x + columns.fieldX, y: y, width: columns.field, role: line.isSelected ? role : .label)
                if columns.base > 0 {
                    canvas.writeFitted(base, x: rect.x + columns.baseX, y: y, width: columns.base, role: line.isSelected ? role : .muted)
                }
                canvas.writeFitted(mine, x: rect.x + columns.mineX, y: y, width: columns.mine, role: role)
                canvas.writeFitted(theirs, x: rect.x + columns.theirsX, y: y, width: columns.theirs,
                                   role: line.isSelected ? role : wholeContact ? .conflict : .normal)
            }
        }
        // What m and t do to the selected conflict, in words.
        let y = rect.maxY - 2
        canvas.horizontalLine(x: rect.x, y: y, width: rect.width)
        if view.scroll + rows < lines.count {
            let more = " ↓ \(lines.count - view.scroll - rows) more "
            canvas.write(more, x: rect.maxX - TerminalText.width(more), y: y, role: .hint)
        }
        guard let choices = view.choices else { return }
        var x = rect.x + 1
        let wholeField = view.selectedConflict?.kind == .field
        let hints: [(String, String)] = [("m", choices.mine), ("t", choices.theirs)] + (wholeField ? [("M/T", "the whole contact")] : [])
        for (index, hint) in hints.enumerated() {
            let text = hint.0 + " " + hint.1
            guard x + TerminalText.width(text) <= rect.maxX || index == 0 else { break }
            if index > 0 { x += canvas.write(" · ", x: x, y: y + 1, role: .hint, maxWidth: rect.maxX - x) }
            x += canvas.write(hint.0, x: x, y: y + 1, role: .hintKey, maxWidth: rect.maxX - x)
            let label = " " + hint.1
            canvas.writeFitted(label, x: x, y: y + 1, width: min(TerminalText.width(label), rect.maxX - x), role: .hint)
            x += min(TerminalText.width(label), rect.maxX - x)
        }
    }
}
