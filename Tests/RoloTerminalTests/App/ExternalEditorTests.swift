import Foundation
import Testing
@testable import RoloTerminal

@Suite("The editor for JSON fields")
struct ExternalEditorTests {
    /// The reopened file has comment lines above the JSON; the parser's line number is moved
    /// down by as many, so it points at the line the editor shows.
    @Test(arguments: [
        ("line 2, column 7: expected a key in double quotes, found “[”", 3, "line 5, column 7: expected a key in double quotes, found “[”"),
        ("line 10, column 1: trailing comma", 4, "line 14, column 1: trailing comma"),
        ("must be a JSON object or array, not a single value", 3, "must be a JSON object or array, not a single value"),
        ("line x: odd", 3, "line x: odd"),
    ])
    func theParsersLineIsTheFilesLine(_ message: String, _ lines: Int, _ expected: String) {
        #expect(ExternalEditor.shiftLineNumber(in: message, by: lines) == expected)
    }
}

/// In the serialized backend suite: the runner sets SIGINT and SIGQUIT aside while its child
/// runs, which must not overlap the tests that send those signals to this process.
extension CursesBackendTests {
    @Test func theEditorRunsInTheForegroundAndItsStatusIsReturned() {
        // In rolo's own process group (field 5 of /proc/PID/stat): the terminal's foreground
        // job. Foundation's Process would give it a group of its own.
        let sameGroup = #"[ "$(cut -d' ' -f5 /proc/$$/stat)" = "$1" ]"#
        #expect(ForegroundChild.run(["/bin/sh", "-c", sameGroup, "sh", String(getpgrp())]) == .success(0))
        #expect(ForegroundChild.run(["/bin/sh", "-c", "exit 3"]) == .success(3))
        #expect(ForegroundChild.run(["/bin/sh", "-c", "kill -TERM $$"]) == .success(128 + 15))
        guard case .failure = ForegroundChild.run(["/nonexistent/editor"]) else {
            Issue.record("a missing program is a failure"); return
        }
    }
}
