import Foundation
import Testing

/// The real binary in a private tmux server at a fixed size: keys go in with `send-keys`,
/// screens come out with `capture-pane`. Every wait polls for what should appear, so tests
/// are as fast as rolo and do not depend on sleeps.
final class Tmux {
    let socket = "rolo-e2e-\(UUID().uuidString.prefix(8))"
    let rolo: Rolo
    /// Where the pane's shell writes rolo's exit status (tmux 3.3 does not report it reliably).
    let statusFile: String

    /// `runAs` goes in front of the command (a `setpriv` that runs rolo as another user), and
    /// `binary` replaces the built rolo (a copy that user can run).
    init(_ rolo: Rolo, width: Int = 80, height: Int = 24, arguments: [String] = [], environment: [String: String] = [:],
         runAs: [String] = [], binary: String = Rolo.binary) throws {
        self.rolo = rolo
        let variables = rolo.environment.merging(["TERM": "xterm-256color", "LANG": "C.UTF-8"]) { _, new in new }
            .merging(environment) { _, new in new }
        let assignments = variables.map { "\($0.key)=\(Tmux.quote($0.value))" }.joined(separator: " ")
        statusFile = rolo.home.appendingPathComponent("exit-\(UUID().uuidString.prefix(8))").path
        let run = runAs.map { Tmux.quote($0) + " " }.joined() + "env -i \(assignments) \(Tmux.quote(binary)) "
            + arguments.map(Tmux.quote).joined(separator: " ")
        let command = "\(run); echo $? > \(Tmux.quote(statusFile)); sleep 60"
        // The server this starts keeps whatever stdout it inherits open, so it gets none.
        try tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", "e2e", command], capture: false)
    }

    deinit {
        _ = try? tmux(["kill-server"], capture: false)
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs tmux and returns what it printed. Not through Foundation's `Process`: on Linux it
    /// notices a child's end through a pipe the child holds, and the server a tmux client forks
    /// inherits that pipe, so the end would never be seen.
    @discardableResult
    func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { return "" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capture {
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        } else {
            // The server this may start keeps its stdout open for good: give it none.
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, output[0])
        posix_spawn_file_actions_addclose(&actions, output[1])
        // The test runner may ignore or block signals, and a spawned child inherits both: the
        // tmux server (and so rolo) starts with every signal at its default instead.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = (["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ)
        close(output[1])
        defer { close(output[0]) }
        guard spawned == 0 else { return "" }
        var data = Data()
        if capture {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(output[0], &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return String(decoding: data, as: UTF8.self)
    }

    /// Named keys (`Down`, `Enter`, `C-s`, `Escape`).
    func keys(_ names: String...) throws {
        try tmux(["send-keys", "-t", "e2e"] + names)
    }

    /// Literal text, typed.
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", "e2e", "-l", text])
    }

    var screen: String { (try? tmux(["capture-pane", "-p", "-t", "e2e"])) ?? "" }

    /// Waits until the screen contains `text`; returns the screen (a test failure on timeout).
    @discardableResult
    func wait(for text: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen
            if last.contains(text) { return last }
            usleep(20_000)
        }
        Issue.record("“\(text)” did not appear; the screen was:\n\(last)", sourceLocation: sourceLocation)
        return last
    }

    /// Waits while the screen contains `text`.
    func wait(whileShowing text: String, timeout: Double = 10) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, screen.contains(text) { usleep(20_000) }
    }

    /// rolo's process id: the child of the pane's shell.
    var pid: Int32 {
        let shell = ((try? tmux(["display", "-p", "-t", "e2e", "#{pane_pid}"])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) } ?? 0
    }

    /// rolo's exit status once it has ended, waiting up to `timeout` seconds.
    func exitStatus(timeout: Double = 5) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: statusFile, encoding: .utf8),
               let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return status
            }
            usleep(10_000)
        }
        return nil
    }

    func title() -> String {
        ((try? tmux(["display", "-p", "-t", "e2e", "#{pane_title}"])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", "e2e", "-x", "\(width)", "-y", "\(height)"])
    }
}
