import Foundation
import RoloTerminal
import Testing

/// Whole-screen snapshots: a canvas rendered to text and compared with a file in
/// `Tests/RoloTerminalTests/Snapshots/`. `ROLO_RECORD_SNAPSHOTS=1 make test` rewrites them;
/// a missing snapshot fails the test and is written next to it as `.new` to look at.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static var isRecording: Bool { ProcessInfo.processInfo.environment["ROLO_RECORD_SNAPSHOTS"] == "1" }

    /// The text form of a screen: its size and cursor, then every row in full, framed so that
    /// the width is visible (a wide character takes two columns between the bars), then the
    /// same grid again with each cell's role as one letter (`style`), so that a lost
    /// highlight or an error drawn in the wrong colour changes the snapshot too.
    static func text(of canvas: Canvas) -> String {
        let border = "+" + String(repeating: "-", count: canvas.width) + "+"
        var lines = ["\(canvas.width)x\(canvas.height)" + (canvas.cursor.map { " cursor \($0.x),\($0.y)" } ?? ""), border]
        for y in 0..<canvas.height {
            var row = ""
            for x in 0..<canvas.width where !canvas[x, y].isContinuation { row += canvas[x, y].text }
            lines.append("|" + row + "|")
        }
        lines.append(border)
        lines.append("style (" + legend + ")")
        lines.append(border)
        for y in 0..<canvas.height {
            // One letter per cell, the right half of a wide character included, so the
            // columns line up with the cells rather than with the characters above.
            lines.append("|" + String((0..<canvas.width).map { letter(for: canvas[$0, y].role) }) + "|")
        }
        lines.append(border)
        return lines.joined(separator: "\n") + "\n"
    }

    /// One letter per role; a blank for plain text, so that styled areas stand out.
    static func letter(for role: Role) -> Character {
        switch role {
        case .normal: " "
        case .title: "T"
        case .header: "H"
        case .selected: "S"
        case .selectedInactive: "s"
        case .label: "l"
        case .muted: "m"
        case .border: "b"
        case .hint: "h"
        case .hintKey: "k"
        case .input: "i"
        case .error: "E"
        case .warning: "W"
        case .success: "G"
        case .pending: "p"
        case .conflict: "C"
        case .status: "="
        case .statusAccent: "a"
        case .dialog: "d"
        case .dialogTitle: "D"
        }
    }

    static let legend = Role.allCases.map { "\(letter(for: $0)) \($0)" }.joined(separator: ", ")

    static func check(_ canvas: Canvas, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let file = directory.appendingPathComponent("\(name).\(canvas.width)x\(canvas.height).txt")
        let actual = text(of: canvas)
        if isRecording {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            try? actual.write(to: file.appendingPathExtension("new"), atomically: true, encoding: .utf8)
            Issue.record("no snapshot \(file.lastPathComponent); wrote \(file.lastPathComponent).new — check it, then record with ROLO_RECORD_SNAPSHOTS=1",
                         sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            try? actual.write(to: file.appendingPathExtension("new"), atomically: true, encoding: .utf8)
            Issue.record("screen \(file.lastPathComponent) changed:\n--- expected\n\(expected)--- actual\n\(actual)",
                         sourceLocation: sourceLocation)
        } else {
            try? FileManager.default.removeItem(at: file.appendingPathExtension("new"))
        }
    }
}
