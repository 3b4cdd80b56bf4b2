import RoloCore
import RoloViewModels

/// Draws the whole screen for the model's state. Pure: the same state always gives the same
/// canvas, which is what the screen tests compare.
public enum Screen {
    public static func render(_ model: AppModel) -> Canvas {
        let layout = model.layout
        var canvas = Canvas(width: layout.size.width, height: layout.size.height)
        if layout.isTooSmall {
            drawTooSmall(&canvas, size: layout.size)
            return canvas
        }
        TitleBar.draw(model, into: &canvas)
        switch (layout.isSideBySide, model.focus) {
        case (true, _):
            ListPane.draw(model, in: layout.listPane, into: &canvas)
            canvas.verticalLine(x: layout.listPane.maxX, y: layout.main.y, height: layout.main.height)
            if model.focus == .form, let form = model.form {
                FormPane.draw(form, model: model, in: layout.detailPane, into: &canvas)
            } else {
                DetailPane.draw(model, in: layout.detailPane, into: &canvas)
            }
        case (false, .list):
            ListPane.draw(model, in: layout.listPane, into: &canvas)
        case (false, .detail):
            DetailPane.draw(model, in: layout.detailPane, into: &canvas)
        case (false, .form):
            if let form = model.form { FormPane.draw(form, model: model, in: layout.detailPane, into: &canvas) }
        }
        if let view = model.syncView { SyncViewPane.draw(view, model: model, in: layout.main, into: &canvas) }
        StatusBar.draw(model, into: &canvas)
        Footer.draw(model, into: &canvas)
        if let overlay = model.overlay { OverlayBox.draw(overlay, model: model, into: &canvas) }
        return canvas
    }

    static func drawTooSmall(_ canvas: inout Canvas, size: Size) {
        let minimum = ScreenLayout.minimumSize
        // Wrapped at spaces to the width there is, so no size is cut in half ("40×").
        let sentences = ["Terminal too small", "\(size.width)×\(size.height); rolo needs \(minimum.width)×\(minimum.height)",
                         "Enlarge the window, or q to quit"]
        let lines = sentences.enumerated().flatMap { index, sentence in
            OverlayBox.wrap(sentence, width: size.width).map { (line: $0, isTitle: index == 0) }
        }.prefix(size.height)
        let top = max(0, (size.height - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let width = min(size.width, TerminalText.width(line.line))
            canvas.writeFitted(line.line, x: max(0, (size.width - width) / 2), y: top + offset, width: width,
                               role: line.isTitle ? .warning : .normal)
        }
    }
}

/// Row 0: where you are.
enum TitleBar {
    static func draw(_ model: AppModel, into canvas: inout Canvas) {
        let rect = model.layout.title
        canvas.fill(rect, role: .title)
        var left = " rolo · " + (model.currentAccount.map { account in
            account.isLocal ? account.name : "\(account.name) · \(account.profile.displayName)"
        } ?? "all accounts")
        if !model.list.filter.text.isEmpty, !model.list.isEditingFilter { left += " · filter: " + model.list.filter.text }
        if model.list.order != .name { left += " · " + model.list.order.label }
        let right = (model.isReadOnly ? "READ-ONLY  " : "") + "? help "
        let note = model.lastingNote.map { " \($0) " } ?? ""
        let rightWidth = TerminalText.width(right) + TerminalText.width(note) + (note.isEmpty ? 0 : 1)
        canvas.writeFitted(left, x: 0, y: rect.y, width: max(0, rect.width - rightWidth - 1), role: .title)
        if !note.isEmpty { canvas.write(note, x: max(0, rect.width - rightWidth), y: rect.y, role: .warning) }
        canvas.write(right, x: max(0, rect.width - TerminalText.width(right)), y: rect.y, role: .title)
    }
}

/// The second line from the bottom: counts, pending edits, conflicts, last sync, and messages.
enum StatusBar {
    static func draw(_ model: AppModel, into canvas: inout Canvas) {
        let rect = model.layout.status
        guard !rect.isEmpty else { return }
        canvas.fill(rect, role: .status)
        var parts: [String] = []
        let list = model.list
        if list.query != nil {
            if let matches = list.matches {
                parts.append("\(Format.count(matches)) of \(Format.count(list.total)) match")
            } else {
                parts.append("counting matches in \(Format.count(list.total))…")
            }
        } else {
            parts.append(Format.count(list.total) + (list.total == 1 ? " contact" : " contacts"))
        }
        if let index = list.selectedIndex, !list.rows.isEmpty {
            parts.append("row \(Format.count(index + 1))")
        }
        if !(model.currentAccount?.isLocal ?? false) {
            if let waiting = model.offlineWaiting {
                parts.append("offline — " + (waiting == 1 ? "1 edit waits" : "\(Format.count(waiting)) edits wait"))
            } else {
                parts.append(model.pendingEdits == 0 ? "nothing to send" : "\(model.pendingEdits) pending")
            }
            if model.conflicts > 0 { parts.append("\(model.conflicts) conflict\(model.conflicts == 1 ? "" : "s")") }
            if let account = model.currentAccount {
                parts.append(model.lastSync.map { "synced \($0.display)" } ?? "never synced (\(account.profile.displayName))")
            }
        }
        // A sync or a fetch under way comes first, in the bar's accent.
        let activity = model.syncActivity.running?.progress ?? model.syncActivity.fetching.map { "Fetching \($0)…" }
        if let activity { parts.insert(activity, at: 0) }
        let left = " " + parts.joined(separator: " · ")
        let accentWidth = activity.map { 1 + TerminalText.width($0) } ?? 0
        func drawLeft(width: Int) {
            guard width > 0 else { return }
            // While a sync runs, the counts after its progress give way whole, not cut mid-word.
            var shown = parts
            while activity != nil, shown.count > 1, TerminalText.width(" " + shown.joined(separator: " · ")) > width {
                shown.removeLast()
            }
            canvas.writeFitted(" " + shown.joined(separator: " · "), x: 0, y: rect.y, width: width, role: .status)
            if accentWidth > 0 { canvas.setRole(.statusAccent, in: Rect(x: 0, y: rect.y, width: min(width, accentWidth), height: 1)) }
        }
        if let message = model.message {
            let role = role(of: message.tone)
            // The message gets the room it needs; the counts keep a short start when the
            // message fits beside it, and give the whole line to a message that does not. One
            // too long for the whole line goes on into the key hints' line (see Footer).
            let text = " " + message.text + " "
            let beside = max(20, rect.width - min(TerminalText.width(left), 22) - 1)
            if let lines = messageLines(model) {
                canvas.writeFitted(lines[0], x: 0, y: rect.y, width: rect.width, role: role)
                return
            }
            let messageWidth = TerminalText.width(text) <= beside ? TerminalText.width(text) : rect.width
            let leftWidth = max(0, rect.width - messageWidth - 1)
            drawLeft(width: leftWidth)
            canvas.writeFitted(text, x: rect.width - messageWidth, y: rect.y, width: messageWidth, role: role)
        } else {
            drawLeft(width: rect.width)
        }
    }

    static func role(of tone: StatusMessage.Tone) -> Role {
        switch tone {
        case .info: .status
        case .success: .success
        case .warning: .warning
        case .error: .error
        }
    }

    /// A message too long for the status line, wrapped onto it and the line below (the key
    /// hints give way until the next key); nil when it fits on one line, or when the line
    /// below is taken by something being typed.
    static func messageLines(_ model: AppModel) -> [String]? {
        guard let message = model.message, model.commandLine == nil, !(model.focus == .list && model.list.isEditingFilter),
              !model.layout.footer.isEmpty else { return nil }
        let width = model.layout.status.width
        let text = " " + message.text + " "
        guard TerminalText.width(text) > width else { return nil }
        let lines = OverlayBox.wrap(message.text, width: width - 2)
        guard lines.count > 1 else { return nil }
        return [" " + lines[0], " " + lines.dropFirst().joined(separator: " ")]
    }
}

/// The bottom line: the keys of the focused pane, or the line being typed.
enum Footer {
    static func draw(_ model: AppModel, into canvas: inout Canvas) {
        let rect = model.layout.footer
        guard !rect.isEmpty else { return }
        canvas.fill(rect, role: .normal)
        if let line = model.commandLine {
            canvas.write(":", x: 0, y: rect.y, role: .input)
            let view = line.editor.viewport(width: rect.width - 2)
            canvas.write(view.visible, x: 1, y: rect.y, role: .input)
            canvas.cursor = (1 + view.cursorColumn, rect.y)
            if !line.completions.isEmpty {
                let shown = "  " + line.completions.joined(separator: "  ")
                let used = 1 + TerminalText.width(view.visible)
                canvas.writeFitted(shown, x: used, y: rect.y, width: max(0, rect.width - used), role: .hint)
            }
            return
        }
        if let lines = StatusBar.messageLines(model), let tone = model.message?.tone {
            canvas.writeFitted(lines[1], x: 0, y: rect.y, width: rect.width, role: StatusBar.role(of: tone))
            return
        }
        if model.focus == .list, model.list.isEditingFilter {
            canvas.write("/", x: 0, y: rect.y, role: .hintKey)
            let view = model.list.filter.viewport(width: rect.width - 2)
            canvas.write(view.visible, x: 1, y: rect.y, role: .input)
            canvas.cursor = (1 + view.cursorColumn, rect.y)
            return
        }
        var x = 0
        var hints = model.keyMap.hints(for: model.context, readOnly: model.isReadOnly)
        if model.context == .dialog, case .dialog(let dialog)? = model.overlay {
            // What Enter and Esc choose in this question ("Enter keep"), not a generic "accept".
            hints = hints.map { hint in
                switch hint.keys {
                case "Enter": (hint.keys, dialog.enterLabel ?? hint.label)
                case "Esc": (hint.keys, dialog.escapeLabel ?? hint.label)
                default: hint
                }
            }
        }
        for hint in hints {
            let keys = hint.keys.split(separator: "/").first.map(String.init) ?? hint.keys
            let width = TerminalText.width(keys) + 1 + TerminalText.width(hint.label)
            if x + width > rect.width { break }
            x += canvas.write(keys, x: x, y: rect.y, role: .hintKey)
            x += canvas.write(" " + hint.label, x: x, y: rect.y, role: .hint)
            x += canvas.write("  ", x: x, y: rect.y, role: .normal)
        }
    }
}

/// Numbers with thousands separators, the way people read them.
enum Format {
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}
