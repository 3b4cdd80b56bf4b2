/// A running rolo that can hold edit forms: the person at it, and its process, told apart
/// precisely enough that another rolo can see whether it still runs. A pid alone is not
/// enough (pids are reused, and a reboot starts them again), so the process's start time
/// and the machine's boot are part of it.
public struct EditorSession: Sendable, Hashable {
    public let user: String
    /// Over SSH, the address the person came from.
    public let clientAddress: String?
    public let host: String
    public let pid: Int32
    /// When the process started, in clock ticks after boot (Linux: field 22 of
    /// `/proc/PID/stat`); nil where that cannot be read.
    public let processStart: UInt64?
    /// The kernel's id of this boot (`/proc/sys/kernel/random/boot_id`); nil where unknown.
    public let bootID: String?

    public init(user: String, clientAddress: String?, host: String, pid: Int32, processStart: UInt64?, bootID: String?) {
        self.user = user
        self.clientAddress = clientAddress
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.bootID = bootID
    }

    /// Names exactly one process on one machine in one boot: equal keys, same rolo.
    public var processKey: String {
        "\(host)|\(bootID ?? "-")|\(pid)|\(processStart.map(String.init) ?? "-")"
    }

    /// The person and the process, for a sentence: `ana from 203.0.113.9 (rolo pid 4242 on jump1)`.
    public func describe(seenFrom here: EditorSession?) -> String {
        var text = user
        if let clientAddress { text += " from \(clientAddress)" }
        text += " (rolo pid \(pid)"
        if let here, here.host != host { text += " on \(host)" }
        return text + ")"
    }
}

/// The rolo that holds a draft's form open, and since when.
public struct DraftHolder: Sendable, Hashable {
    public let session: EditorSession
    public let since: Timestamp

    public init(session: EditorSession, since: Timestamp) {
        self.session = session
        self.since = since
    }
}

/// A draft's row in the cache: the one a rolo holding the form writes to.
public struct DraftID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// What asking for an edit form gave.
public enum DraftClaim: Sendable, Hashable {
    /// The form is this rolo's now, written to `id`. `left` is text already in it: this
    /// rolo's own, text a rolo left when it ended without saving, or the text of the rolo it
    /// was taken over from. `from` is the rolo that held it before, when another one did.
    case claimed(id: DraftID, left: Draft?, from: DraftHolder?)
    /// Another running rolo is editing it; nothing was written.
    case held(by: DraftHolder)
}

/// A save refused because this rolo no longer holds the form: another one took it over, or
/// it is gone (the contact was deleted). Nothing was written.
public struct DraftNotHeld: Error, Sendable, CustomStringConvertible {
    /// Who holds it now; nil when nobody does.
    public let holder: DraftHolder?

    public init(holder: DraftHolder?) { self.holder = holder }

    public var description: String {
        guard let holder else { return "this edit is no longer open here (the contact was deleted or saved elsewhere)" }
        return "\(holder.session.user) took this edit over at \(holder.since.display)"
    }
}
