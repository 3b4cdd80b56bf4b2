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

    /// A rolo that ended but whose parent has not collected it yet (a zombie, as under a
    /// slow pid 1 in a container) still has its pid and start time: it holds nothing.
    @Test func anEndedProcessNotYetCollectedIsNotRunning() throws {
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { arguments.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, arguments, nil) == 0)
        defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
        // Ended, not collected: wait until the kernel says so.
        var stat = ""
        for _ in 0..<500 {
            stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if ProcessTable.hasEnded(stat: stat) { break }
            usleep(2000)
        }
        #expect(ProcessTable.hasEnded(stat: stat), "\(stat)")
        let start = ProcessTable.startTicks(inStat: stat)
        #expect(start != nil, "a zombie keeps its start time")
        #expect(!ProcessTable.isRunning(variant(pid: pid, start: .some(start)), seenFrom: here))
        #expect(ProcessTable.hasEnded(stat: "4242 (a (b) Z) S 1") == false, "the state is read after the name")
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
