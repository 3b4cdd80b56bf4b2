import Foundation
import RoloCore
import Testing
@testable import RoloSync

/// Whether the rolo holding a form still runs is asked of the process table, never guessed
/// from the time: a pid with another start time, another boot, or no process at all has ended.
@Suite("Which rolo processes run")
struct ProcessTableTests {
    let here = EditorSession.current(author: Author(user: "tester", clientAddress: nil))

    func variant(pid: Int32? = nil, start: UInt64?? = .none, boot: String?? = .none, host: String? = nil) -> EditorSession {
        EditorSession(user: here.user, clientAddress: nil, host: host ?? here.host, pid: pid ?? here.pid,
                      processStart: start ?? here.processStart, bootID: boot ?? here.bootID)
    }

    @Test func thisProcessRunsAsSeenFromAnother() throws {
        #expect(here.processStart != nil, "Linux shows the start time in /proc")
        #expect(here.bootID?.isEmpty == false)
        let other = variant(pid: here.pid + 1)
        #expect(ProcessTable.isRunning(here, seenFrom: other))
    }

    @Test func aReusedPidARebootAndAnEndedProcessAreNotRunning() throws {
        let other = variant(pid: here.pid + 1)
        #expect(!ProcessTable.isRunning(variant(start: .some((here.processStart ?? 0) + 1)), seenFrom: other), "the pid now belongs to another process")
        #expect(!ProcessTable.isRunning(variant(boot: .some("another boot")), seenFrom: other), "a reboot ended it")

        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        #expect(!ProcessTable.isRunning(variant(pid: ended.processIdentifier, start: .some(1)), seenFrom: here))
        #expect(!ProcessTable.isRunning(variant(pid: ended.processIdentifier, start: .some(nil)), seenFrom: here),
                "without a start time, a pid with no process has ended")
    }

    @Test func aRoloOnAnotherMachineCannotBeSeenAndCountsAsRunning() {
        #expect(ProcessTable.isRunning(variant(pid: 1, start: .some(1), host: here.host + "-elsewhere"), seenFrom: here))
    }

    @Test func theStartTimeIsReadPastACommandNameWithSpacesAndBrackets() {
        let line = "4242 (ro) lo (x)) S 1 4242 4242 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100"
        #expect(ProcessTable.startTicks(inStat: line) == 987654)
        #expect(ProcessTable.startTicks(inStat: "4242 (rolo) S 1") == nil)
    }
}
