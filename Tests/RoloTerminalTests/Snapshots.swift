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
    /// the width is visible (a wide character takes two columns between the bars).
    static func text(of canvas: Canvas) -> String {
        let border = "+" + String(repeating: "-", count: canvas.width) + "+"
        var lines = ["\(canvas.width)x\(canvas.height)" + (canvas.cursor.map { " cursor \($0.x),\($0.y)" } ?? ""), border]
        for y in 0..<canvas.height {
            var row = ""
            for x in 0..<canvas.width where !canvas[x, y].isContinuation { row += canvas[x, y].text }
            lines.append("|" + row + "|")
        }
        lines.append(border)
        return lines.joined(separator: "\n") + "\n"
    }

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
