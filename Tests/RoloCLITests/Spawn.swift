import Foundation

/// A child process started with `posix_spawn`, not Foundation's `Process`: on Linux
/// `Process.run()` copies whole 256-byte `d_name` fields while it reads `/proc/self/fd`, and
/// crashes now and then when a record sits at the end of a mapped page
/// (swift-corelibs-foundation#5472) — most often in a test process holding many sockets, as
/// the network tests' emulators do. Pipes are made close-on-exec, so a child started at the
/// same moment by another test never holds this one's pipe open.
struct Spawned {
    let pid: pid_t

    enum Stream {
        /// `/dev/null`.
        case null
        /// This descriptor (the child gets a copy).
        case descriptor(Int32)
    }

    static func start(_ path: String, _ arguments: [String], environment: [String: String],
                      stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            }
        }
        // Nothing else of this process reaches the child: an emulator's socket held open by a
        // rolo child would keep the emulator's close from ending a reply (Foundation's Process
        // closes them too).
        Spawned.closeFrom(3, &actions)
        // The test runner may block or ignore signals; the child starts with every one at its default.
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
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let failure = lock.withLock { posix_spawn(&pid, path, &actions, &attributes, argv, envp) }
        guard failure == 0 else { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO) }
        return Spawned(pid: pid)
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module
    /// does not declare.
    private static let addCloseFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0),
                                                        "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Adds "close every descriptor from `lowest` up" to the child's actions; without
    /// `addclosefrom`, each descriptor open now is named.
    private static func closeFrom(_ lowest: Int32, _ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, lowest) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor >= lowest {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// Whether the child has not ended yet (an ended child is reaped, and `wait` then returns
    /// at once with -1).
    func isRunning() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Waits for the child; its exit status, or 128 + the signal that ended it.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Held while a pipe is made and marked close-on-exec, and while a child is spawned, so
    /// no child of this target is started between the two (`pipe2` is not in Swift's Glibc).
    static let lock = NSLock()

    /// A pipe whose ends close on exec (the child gets its end through `dup2`).
    static func pipe() throws -> (read: Int32, write: Int32) {
        try lock.withLock {
            var ends: [Int32] = [-1, -1]
            guard Glibc.pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return (ends[0], ends[1])
        }
    }

    /// Runs a child to its end, feeding `input` and reading its stdout and stderr together
    /// (so neither can fill and block it).
    static func run(_ path: String, _ arguments: [String], environment: [String: String],
                    input: Data?) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let feed = try pipe(), output = try pipe(), errors = try pipe()
        let child: Spawned
        do {
            child = try start(path, arguments, environment: environment, stdin: .descriptor(feed.read),
                              stdout: .descriptor(output.write), stderr: .descriptor(errors.write))
        } catch {
            [feed.read, feed.write, output.read, output.write, errors.read, errors.write].forEach { close($0) }
            throw error
        }
        close(feed.read)
        close(output.write)
        close(errors.write)
        if let input {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(feed.write, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
        close(feed.write)
        var collected = [output.read: Data(), errors.read: Data()]
        var open = [output.read, errors.read]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            for entry in descriptors where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    open.removeAll { $0 == entry.fd }
                    close(entry.fd)
                } else {
                    collected[entry.fd]!.append(contentsOf: buffer[0..<count])
                }
            }
        }
        return (child.wait(), collected[output.read]!, collected[errors.read]!)
    }
}
