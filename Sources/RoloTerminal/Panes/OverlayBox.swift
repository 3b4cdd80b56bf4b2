import RoloCore
import RoloViewModels

/// Boxes drawn over the panes: help, questions, pickers, the new-field prompt.
enum OverlayBox {
    static func draw(_ overlay: Overlay, model: AppModel, into canvas: inout Canvas) {
        let screen = model.layout.main
        switch overlay {
        case .help(let context, let scroll):
            let entries = model.keyMap.help(for: context)
            let keyWidth = HelpGeometry.keyWidth(entries)
            let lines = HelpGeometry.lines(entries, mainWidth: screen.width)
            let height = HelpGeometry.boxHeight(mainHeight: screen.height, lines: lines.count)
            let box = frame(title: "Keys · \(context.title)", width: HelpGeometry.boxWidth(mainWidth: screen.width), height: height,
                            in: screen, into: &canvas)
            let visible = lines.dropFirst(scroll).prefix(box.height - 1)
            for (offset, line) in visible.enumerated() {
                canvas.writeFitted(line.keys, x: box.x, y: box.y + offset, width: keyWidth, role: .hintKey)
                canvas.writeFitted(line.text, x: box.x + keyWidth + 2, y: box.y + offset, width: box.width - keyWidth - 2, role: .dialog)
            }
            let more = scroll + visible.count < lines.count ? "j/k scroll · " : ""
            canvas.writeFitted(more + "any other key closes", x: box.x, y: box.maxY - 1, width: box.width, role: .hint)
        case .dialog(let dialog):
            let width = min(screen.width - 2, 64)
            let textWidth = width - 4
            let lines = wrap(dialog.message, width: textWidth)
            let rows = choiceRows(dialog.choices, width: textWidth)
            let box = frame(title: dialog.title, width: width, height: lines.count + 3 + rows.count, in: screen, into: &canvas)
            for (offset, line) in lines.enumerated() {
                canvas.writeFitted(line, x: box.x, y: box.y + offset, width: box.width, role: .dialog)
            }
            for (row, choices) in rows.enumerated() {
                let y = box.maxY - rows.count + row
                var x = box.x
                for (index, choice) in choices.enumerated() {
                    if index > 0 { x += canvas.write("   ", x: x, y: y, role: .dialog, maxWidth: box.maxX - x) }
                    x += canvas.write("[\(choice.key)]", x: x, y: y, role: .hintKey, maxWidth: box.maxX - x)
                    let label = " " + choice.label
                    canvas.writeFitted(label, x: x, y: y, width: min(TerminalText.width(label), box.maxX - x), role: .dialog)
                    x += min(TerminalText.width(label), box.maxX - x)
                }
            }
        case .picker(let picker):
            let help = picker.allowsMany ? "Space ticks · Enter accepts · Esc cancels" : "Enter chooses · Esc cancels"
            // As wide as its title, its options and its own help line (which was cut: "Enter accepts…").
            let widest = max(TerminalText.width(picker.title) + 6, (picker.options.map { TerminalText.width($0.label) }.max() ?? 10) + 10,
                             TerminalText.width(help) + 4)
            let width = min(screen.width - 2, max(32, widest))
            let height = min(screen.height, picker.options.count + 4)
            let box = frame(title: picker.title, width: width, height: height, in: screen, into: &canvas)
            let rows = box.height - 1
            let top = max(0, min(picker.cursor - rows + 1, picker.options.count - rows))
            for (offset, option) in picker.options.dropFirst(max(0, top)).prefix(rows).enumerated() {
                let index = max(0, top) + offset
                let selected = index == picker.cursor
                let tick = picker.allowsMany ? (picker.chosen.contains(option.value) ? "[x] " : "[ ] ") : (selected ? "› " : "  ")
                let role: Role = selected ? .selected : .dialog
                canvas.writeFitted(tick + option.label, x: box.x, y: box.y + offset, width: box.width, role: role)
            }
            canvas.writeFitted(help, x: box.x, y: box.maxY - 1, width: box.width, role: .hint)
        case .addField(let prompt):
            let width = AddFieldGeometry.boxWidth(mainWidth: screen.width)
            let hint = wrap(prompt.hint, width: width - 4)
            let box = frame(title: "Add a custom field", width: width, height: 6 + hint.count, in: screen, into: &canvas)
            canvas.write("Key:  ", x: box.x, y: box.y, role: .label)
            let fieldX = box.x + AddFieldGeometry.labelWidth
            let fieldWidth = AddFieldGeometry.keyWidth(mainWidth: screen.width)
            canvas.fill(Rect(x: fieldX, y: box.y, width: fieldWidth, height: 1), role: .input)
            let view = prompt.key.viewport(width: fieldWidth)
            canvas.write(view.visible, x: fieldX, y: box.y, role: .input)
            canvas.cursor = (fieldX + view.cursorColumn, box.y)
            canvas.write("Type: ", x: box.x, y: box.y + 1, role: .label)
            var x = fieldX
            for (index, type) in prompt.types.enumerated() {
                let chosen = index == prompt.typeIndex
                x += canvas.write(chosen ? "[\(type.rawValue)]" : " \(type.rawValue) ", x: x, y: box.y + 1, role: chosen ? .selected : .dialog)
            }
            for (offset, line) in hint.enumerated() {
                canvas.writeFitted(line, x: box.x, y: box.y + 2 + offset, width: box.width, role: .hint)
            }
            if let error = prompt.error {
                canvas.writeFitted("✗ " + error, x: box.x, y: box.maxY - 2, width: box.width, role: .error)
            }
            canvas.writeFitted("Tab changes the type · Enter adds · Esc cancels", x: box.x, y: box.maxY - 1, width: box.width, role: .hint)
        case .fetch(let prompt):
            // The line being typed comes first, so that it shows however small the terminal;
            // then the problem with it, the explanation as far as there is room, and the keys.
            let width = AddFieldGeometry.boxWidth(mainWidth: screen.width)
            let error = prompt.error.map { wrap("✗ " + $0, width: width - 4) } ?? []
            let room = max(0, screen.height - 4 - min(2, error.count))
            let hint = Array(wrap(prompt.hint, width: width - 4).prefix(max(0, room - 1)))
            let box = frame(title: prompt.title, width: width, height: 4 + min(2, error.count) + hint.count, in: screen, into: &canvas)
            canvas.write("Find: ", x: box.x, y: box.y, role: .label)
            let fieldX = box.x + AddFieldGeometry.labelWidth
            let fieldWidth = AddFieldGeometry.keyWidth(mainWidth: screen.width)
            canvas.fill(Rect(x: fieldX, y: box.y, width: fieldWidth, height: 1), role: .input)
            let view = prompt.text.viewport(width: fieldWidth)
            canvas.write(view.visible, x: fieldX, y: box.y, role: .input)
            canvas.cursor = (fieldX + view.cursorColumn, box.y)
            var y = box.y + 1
            for (index, line) in error.prefix(2).enumerated() where y < box.maxY - 1 {
                let cut = index == 1 && error.count > 2
                canvas.writeFitted(cut ? line + " …" : line, x: box.x, y: y, width: box.width, role: .error)
                y += 1
            }
            for line in hint where y < box.maxY - 1 {
                canvas.writeFitted(line, x: box.x, y: y, width: box.width, role: .hint)
                y += 1
            }
            canvas.writeFitted("Enter fetches · Esc cancels", x: box.x, y: box.maxY - 1, width: box.width, role: .hint)
        }
    }

    /// Draws a framed box centred in `screen` and returns its inside.
    static func frame(title: String, width: Int, height: Int, in screen: Rect, into canvas: inout Canvas) -> Rect {
        let width = max(12, min(width, screen.width))
        let height = max(3, min(height, screen.height))
        let x = screen.x + (screen.width - width) / 2
        let y = screen.y + (screen.height - height) / 2
        let outer = Rect(x: x, y: y, width: width, height: height)
        canvas.fill(outer, role: .dialog)
        canvas.write("╭" + String(repeating: "─", count: width - 2) + "╮", x: x, y: y, role: .border)
        for row in (y + 1)..<(y + height - 1) {
            canvas.write("│", x: x, y: row, role: .border)
            canvas.write("│", x: x + width - 1, y: row, role: .border)
        }
        canvas.write("╰" + String(repeating: "─", count: width - 2) + "╯", x: x, y: y + height - 1, role: .border)
        canvas.write(" " + TerminalText.truncate(title, to: width - 6) + " ", x: x + 2, y: y, role: .dialogTitle)
        return Rect(x: x + 2, y: y + 1, width: width - 4, height: height - 2)
    }

    /// A dialog's answers, as many to a row as fit in `width` (three spaces apart).
    static func choiceRows(_ choices: [Dialog.Choice], width: Int) -> [[Dialog.Choice]] {
        var rows: [[Dialog.Choice]] = []
        var used = 0
        for choice in choices {
            let needed = 4 + TerminalText.width(choice.label)
            if let last = rows.indices.last, used + 3 + needed <= width {
                rows[last].append(choice)
                used += 3 + needed
            } else {
                rows.append([choice])
                used = needed
            }
        }
        return rows
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if TerminalText.width(candidate) > width, !line.isEmpty {
                lines.append(line)
                line = String(word)
            } else {
                line = candidate
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.isEmpty ? [""] : lines
    }
}
