import Foundation
import RoloCore

extension EditorSession {
    /// This rolo: the person (as `Author` names them) and this process.
    public static func current(author: Author) -> EditorSession {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let pid = getpid()
        return EditorSession(user: author.user, clientAddress: author.clientAddress, host: host, pid: pid,
                             processStart: ProcessTable.startTicks(of: pid), bootID: ProcessTable.bootID())
    }
}

/// Whether the rolo holding a form still runs, asked of the kernel: never guessed from how
/// long ago it last wrote (someone may think for an hour before typing the next word).
public enum ProcessTable {
    /// True while `holder` runs, as far as this machine can tell.
    ///
    /// - another machine (a cache on a shared disk): cannot be seen from here, so it counts
    ///   as running; the person can still take the form over.
    /// - another boot of this machine: ended (a reboot ends every process).
    /// - the same pid with another start time: ended, and the pid was given to a new process.
    /// - a pid `/proc` does not show: ended, unless the kernel says it exists but belongs to
    ///   someone else (`/proc` mounted with `hidepid`).
    public static func isRunning(_ holder: EditorSession, seenFrom here: EditorSession) -> Bool {
        guard holder.host == here.host else { return true }
        if let theirs = holder.bootID, let ours = here.bootID, theirs != ours { return false }
        if holder.processKey == here.processKey { return true }
        let stat = try? String(contentsOfFile: "/proc/\(holder.pid)/stat", encoding: .utf8)
        // Ended, but not yet collected by its parent (a zombie): it holds nothing any more.
        if let stat, hasEnded(stat: stat) { return false }
        if let recorded = holder.processStart, let actual = stat.flatMap(startTicks(inStat:)) { return actual == recorded }
        // No start time to compare: the pid's existence is all there is to go by.
        guard holder.pid > 0 else { return false }
        return kill(holder.pid, 0) == 0 || errno == EPERM
    }

    /// When process `pid` started, in clock ticks after boot: field 22 of `/proc/PID/stat`.
    /// The command name (field 2) is in brackets and may hold spaces and brackets itself, so
    /// fields are counted from the last `)`.
    public static func startTicks(of pid: Int32) -> UInt64? {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap(startTicks(inStat:))
    }

    /// Whether a `/proc/PID/stat` line is of a process that has ended (state Z, zombie, or X,
    /// dead): field 3, the first after the name.
    static func hasEnded(stat: String) -> Bool {
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }

    /// Field 22 of a `/proc/PID/stat` line.
    static func startTicks(inStat stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name come field 3 (state) onwards: field 22 is the 20th.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The kernel's id of the current boot.
    public static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
