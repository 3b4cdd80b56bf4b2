import Foundation
import RoloCore
import RoloViewModels

/// Opens text in the user's editor (`$VISUAL`, `$EDITOR`, else `vi`) and returns what they
/// saved. Used for JSON fields: lines starting with `#` are instructions and are dropped by
/// the model, as `kubectl edit` does.
enum ExternalEditor {
    static func edit(_ text: String, field: FieldKey, error: String?) -> (text: String?, problem: String?) {
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.trimmed.isEmpty } ?? "vi"
        let name = switch field {
        case .standard(let standard): standard.key
        case .custom(let key): key
        }
        var header = "# Editing the JSON of \(name). Save and quit to keep it; lines starting with # are ignored.\n"
        header += "# Leave the file empty to change nothing.\n"
        if let error { header += "# It did not parse: \(error.replacingOccurrences(of: "\n", with: " "))\n" }
        let directory = FileManager.default.temporaryDirectory.path
        var template = Array("\(directory)/rolo-json-XXXXXX.json".utf8CString)
        let descriptor = mkstemps(&template, 5)
        guard descriptor >= 0 else { return (nil, "cannot create a temporary file in \(directory)") }
        let path = String(cString: template)
        defer { unlink(path) }
        let contents = Array((header + text + "\n").utf8)
        _ = contents.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        // The editor command may carry arguments ("code --wait"); the file name is passed as $1,
        // never pasted into the command.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", editor + " \"$1\"", "rolo-editor", path]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return (nil, "cannot start the editor \(editor): \(error.localizedDescription)")
        }
        guard process.terminationStatus == 0 else {
            return (nil, "the editor \(editor) exited with status \(process.terminationStatus); nothing changed")
        }
        guard let edited = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, "cannot read back the edited file")
        }
        return (edited, nil)
    }
}
