import Foundation

/// Measures the real `rolo` binary on a pseudo-terminal at 80×24, as a user would feel it:
/// start to first full screen, a keystroke of the live filter to its finished frame, the bytes
/// sent to the terminal to move the selection one row, and rolo's peak resident memory.
///
/// Timings come from rolo's frame log (`ROLO_FRAME_LOG`): rolo stamps its first finished frame
/// on CLOCK_MONOTONIC, which this process also reads just before starting it, and the time
/// from each key to its frame. Bytes are what the terminal side of the pty receives.
struct TerminalProbe {
    let rolo: String
    let cachePath: String
    let directory: String

    func run() throws {
        var starts: [Double] = []
        for _ in 0..<5 {
            let session = try Session(rolo: rolo, cachePath: cachePath, frameLog: "\(directory)/frames.log")
            starts.append(try session.waitForFirstFrame())
            try session.quit()
        }
        let start = Stats(starts)
        print(String(format: "tui first screen  p50 %6.1f ms  (5 starts: %@)  (target ≤ 30 ms at 1M)",
                     start.p50, starts.map { String(format: "%.1f", $0) }.joined(separator: ", ") as NSString))

        let session = try Session(rolo: rolo, cachePath: cachePath, frameLog: "\(directory)/frames.log")
        _ = try session.waitForFirstFrame()
        session.drain()

        // Moving the selection: one row down, 60 times, then back up.
        var moveBytes: [Double] = []
        var moveTimes: [Double] = []
        for key in Array(repeating: "j", count: 60) + Array(repeating: "k", count: 60) {
            let (micros, bytes) = try session.press(key)
            moveTimes.append(micros / 1000)
            moveBytes.append(Double(bytes))
        }
        let bytes = Stats(moveBytes), moves = Stats(moveTimes)
        print(String(format: "tui move one row  p50 %4.0f bytes  max %4.0f bytes  (target ≤ 250)  |  key to frame p50 %.2f ms  p99 %.2f ms",
                     bytes.p50, bytes.percentile(1), moves.p50, moves.p99))

        // The live filter: `/`, then words typed a key at a time; Esc clears between words.
        var filterTimes: [Double] = []
        for word in ["robert", "dallas", "example", "smi", "müller", "山田", "city:par", "ivan mos"] {
            _ = try session.press("/")
            for character in word {
                filterTimes.append(try session.press(String(character)).micros / 1000)
            }
            _ = try session.press("\u{1B}")
            _ = try session.press("\u{1B}")
        }
        let filter = Stats(filterTimes)
        print(String(format: "tui filter key    p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%d keys; target p99 ≤ 16 ms)",
                     filter.p50, filter.p99, filter.percentile(1), filterTimes.count))

        // Scrolling to the end and back: G and g read windows at either end of the list.
        let jumps = try ["G", "g", "G", "g", "G", "g"].map { try session.press($0).micros / 1000 }
        print(String(format: "tui G / g         max %6.2f ms", jumps.max() ?? 0))

        print(String(format: "tui peak RSS      %8.1f MiB (rolo, after the keys above)  (target ≤ 60 MB at 1M)", session.peakResidentMiB()))
        try session.quit()
    }
}

/// rolo running on a pseudo-terminal of its own.
final class Session {
    let master: Int32
    let pid: pid_t
    let started: UInt64
    let frameLog: String
    private var logOffset = 0
    private var keyLines: [Double] = []

    init(rolo: String, cachePath: String, frameLog: String) throws {
        self.frameLog = frameLog
        try? FileManager.default.removeItem(atPath: frameLog)
        master = PseudoTerminalCalls.open(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0, PseudoTerminalCalls.grant(master) == 0, PseudoTerminalCalls.unlock(master) == 0 else {
            throw BenchFailure("cannot open a pseudo-terminal (errno \(errno))")
        }
        var name = [CChar](repeating: 0, count: 128)
        guard PseudoTerminalCalls.name(master, &name, name.count) == 0 else { throw BenchFailure("ptsname_r failed") }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)

        // A session of its own, with the pty as its controlling terminal, like a login.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t(), noSignal = sigset_t()
        sigfillset(&everySignal)
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        let environment = ["TERM=xterm-256color", "LANG=C.UTF-8", "HOME=\(NSTemporaryDirectory())",
                           "ROLO_FRAME_LOG=\(frameLog)", "ROLO_LOG=/dev/null", "PATH=/usr/bin:/bin"]
        let words: [String] = [rolo, "--db", cachePath]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        started = Session.monotonicNanoseconds()
        let status = posix_spawn(&child, rolo, &actions, &attributes, argv, envp)
        guard status == 0 else { throw BenchFailure("cannot start \(rolo): error \(status)") }
        pid = child
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Milliseconds from starting rolo to its first finished frame.
    func waitForFirstFrame() throws -> Double {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            _ = drain(waitingMilliseconds: 5)
            for line in newLogLines() where line.hasPrefix("first ") {
                guard let stamp = UInt64(line.dropFirst(6)) else { continue }
                return Double(stamp - started) / 1_000_000
            }
        }
        throw BenchFailure("rolo drew no screen within 30 s")
    }

    /// Types `key`, waits for its frame; returns rolo's key-to-frame time (µs) and the bytes
    /// the terminal received for it.
    func press(_ key: String) throws -> (micros: Double, bytes: Int) {
        let bytes = Array(key.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
        var received = 0
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            received += drain(waitingMilliseconds: 2)
            if let micros = keyLines.first {
                keyLines.removeFirst()
                // The frame is written before rolo logs it; take what is still in flight.
                received += drain(waitingMilliseconds: 15)
                return (micros, received)
            }
            for line in newLogLines() where line.hasPrefix("key ") {
                keyLines.append(Double(line.dropFirst(4)) ?? 0)
            }
        }
        throw BenchFailure("no frame for the key \(key.debugDescription) within 10 s")
    }

    /// Reads what the terminal was sent, until nothing arrives for `waitingMilliseconds`.
    @discardableResult
    func drain(waitingMilliseconds: Int32 = 50) -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, waitingMilliseconds) > 0 else { return total }
            let count = read(master, &buffer, buffer.count)
            guard count > 0 else { return total }
            total += count
        }
    }

    private func newLogLines() -> [String] {
        guard let data = FileManager.default.contents(atPath: frameLog), data.count > logOffset else { return [] }
        let fresh = data[logOffset...]
        guard let lastNewline = fresh.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        logOffset = lastNewline + 1
        return String(decoding: data[fresh.startIndex..<lastNewline], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// rolo's high-water mark of resident memory (VmHWM), in MiB.
    func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
        }
        return 0
    }

    /// Quits with `q` and waits for rolo to end.
    func quit() throws {
        _ = Array("q".utf8).withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
        let deadline = Date().addingTimeInterval(10)
        var status: Int32 = 0
        while Date() < deadline {
            drain(waitingMilliseconds: 10)
            if waitpid(pid, &status, WNOHANG) == pid { return }
        }
        throw BenchFailure("rolo did not quit within 10 s")
    }
}

/// glibc's POSIX_SPAWN_SETSID (spawn.h), which Swift's Glibc module does not bring in.
private let spawnSetSID: Int32 = 0x80

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The C library's pseudo-terminal calls, which Swift's Glibc module leaves out (glibc declares
/// them only for _XOPEN_SOURCE): found by name at run time.
enum PseudoTerminalCalls {
    static let open = lookup("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grant = lookup("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlock = lookup("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let name = lookup("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)

    private static func lookup<T>(_ symbol: String, as type: T.Type) -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol) else {
            fatalError("the C library has no \(symbol)")
        }
        return unsafeBitCast(address, to: type)
    }
}
