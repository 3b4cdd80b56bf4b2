import Foundation
import RoloCore
import RoloInterchange
import RoloStore

/// The benchmark as a user meets rolo: a rolo JSON file imported with the release `rolo
/// import`, then fresh processes of the release binary on the cache it made. Every figure
/// here is a whole process — start, open, read, print, exit — as a shell would time it.
struct UserPath {
    let rolo: String
    let directory: String
    let size: Int
    let seed: UInt64
    /// How many times each command runs; the report gives the median and the spread.
    let repetitions = 7

    var file: String { "\(directory)/contacts-\(size).json" }
    var cache: String { "\(directory)/rolo-\(size).sqlite" }

    /// Writes `size` synthetic contacts as a rolo JSON document, in the order they are made (not
    /// in name order: a file from a CRM is not sorted), streamed to a 0600 file.
    func writeFile() throws {
        let generator = SyntheticContacts(seed: seed)
        let descriptor = try PrivateFiles.openForWriting(file)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var writer = ContactFileWriters.make(.json, customKeys: []) { text in try handle.write(contentsOf: Data(text.utf8)) }
        try writer.begin(accounts: [AccountSpec(name: Account.defaultName, provider: .local)])
        for index in 0..<size {
            try writer.write(generator.contact(index, accountID: 1), accountName: Account.defaultName)
        }
        try writer.finish()
        try handle.close()
    }

    func run() throws {
        let generated = Date()
        try writeFile()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        print(String(format: "file              %@ (%.0f MiB rolo JSON, written in %.1f s)", file as NSString,
                     Double(bytes) / 1_048_576, Date().timeIntervalSince(generated)))
        try importFile()

        // A query as someone looking a customer up would type it, against the naive way: grep
        // through the file the contacts came from.
        for query in ["rob dal", "email:example.org smi", "mül"] {
            let listed = try repeated { try Child.run([rolo, "list", "--db", cache, query], output: .pipe) }
            print("rolo list " + "\"\(query)\"".padding(toLength: 24, withPad: " ", startingAt: 0) + listed.summary(target: "≤ 40 ms at 1M"))
        }
        let naive = try repeated { try Child.run(["/bin/grep", "-c", "-i", "rob", file], output: .pipe) }
        print("grep -ci rob FILE              " + naive.summary(target: "the naive way, for comparison"))

        let everything = try repeated { try Child.run([rolo, "list", "--db", cache, "--limit", "0", "--tsv"], output: .pipe) }
        print("rolo list --limit 0 --tsv | …  " + everything.summary(target: "≤ 0.25 s at 100k, flat RSS"))
        let json = try repeated(3) { try Child.run([rolo, "list", "--db", cache, "--limit", "0", "--json"], output: .pipe) }
        print("rolo list --limit 0 --json | … " + json.summary(target: "streams, flat RSS"))
        let cat = try repeated { try Child.run(["/bin/cat", file], output: .pipe) }
        print("cat FILE | …                   " + cat.summary(target: "reading the file alone, for comparison"))
    }

    /// `rolo import` of the file into a new cache, timed.
    func importFile() throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cache + suffix) }
        let imported = try Child.run([rolo, "import", "--db", cache, file])
        guard imported.status == 0 else { throw BenchFailure("rolo import failed: \(imported.errors)") }
        let cacheBytes = (try? FileManager.default.attributesOfItem(atPath: cache)[.size] as? Int) ?? 0
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: cache + "-wal")[.size] as? Int) ?? 0
        print(String(format: "rolo import       %7.1f s  (%.0f contacts/s; CPU %.1f s user + %.1f s sys)  peak RSS %5.1f MiB  "
                     + "(targets: ≤ 4 s at 100k, ≤ 45 s at 1M, ≤ 80 MB)",
                     imported.seconds, Double(size) / imported.seconds, imported.user, imported.system, imported.peakMiB))
        print(String(format: "                  cache %.0f MiB, WAL left %d bytes", Double(cacheBytes) / 1_048_576, walBytes))
    }

    /// The import row alone: the file is written once and kept, so that runs compare the
    /// import and nothing else.
    func importOnly() throws {
        if !FileManager.default.fileExists(atPath: file) { try writeFile() }
        try importFile()
    }

    func repeated(_ count: Int? = nil, _ body: () throws -> Child.Outcome) throws -> Runs {
        var runs: [Child.Outcome] = []
        for _ in 0..<(count ?? repetitions) {
            let outcome = try body()
            guard outcome.status == 0 || outcome.status == 1 else { throw BenchFailure("a command failed: \(outcome.errors)") }
            runs.append(outcome)
        }
        return Runs(runs: runs)
    }
}

/// Repeated runs of one command: the median and the spread, of time and of peak memory.
struct Runs {
    let runs: [Child.Outcome]

    func summary(target: String) -> String {
        let times = Stats(runs.map { $0.seconds * 1000 })
        let cpu = Stats(runs.map { ($0.user + $0.system) * 1000 })
        let memory = runs.map(\.peakMiB).max() ?? .nan
        return String(format: "p50 %7.1f ms  (%.1f–%.1f over %d runs; CPU p50 %.1f ms)  peak RSS %@  (%@)",
                      times.p50, times.percentile(0), times.percentile(1), runs.count, cpu.p50,
                      memory.isNaN ? "    —    " : String(format: "%5.1f MiB", memory) as NSString, target as NSString)
    }
}

/// A child process, timed from start to exit, with its peak resident memory from wait4.
enum Child {
    enum Output { case discard, pipe }

    struct Outcome {
        let status: Int32
        let seconds: Double
        let user: Double
        let system: Double
        let peakMiB: Double
        let errors: String

        /// CPU time as "U s user + S s sys": on a machine shared with other work, wall time
        /// alone says little.
        var cpu: String { String(format: "%.1f s user + %.1f s sys", user, system) }
    }

    static func run(_ arguments: [String], output: Output = .discard) throws -> Outcome {
        var outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw BenchFailure("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if output == .pipe {
            posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for descriptor in outputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let memoryFile = NSTemporaryDirectory() + "/rolo-bench-peak-\(getpid())"
        try? FileManager.default.removeItem(atPath: memoryFile)
        let environment = ["LANG=C.UTF-8", "HOME=\(NSTemporaryDirectory())", "ROLO_LOG=/dev/null", "PATH=/usr/bin:/bin",
                           "ROLO_PEAK_RSS_FILE=\(memoryFile)"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        defer { close(outputPipe[0]); close(errorPipe[0]) }
        guard spawned == 0 else { throw BenchFailure("cannot start \(arguments[0]): error \(spawned)") }
        // Drain both pipes as a reader at the other end of a shell pipe would.
        var errors = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var open: [Int32] = output == .pipe ? [outputPipe[0], errorPipe[0]] : [errorPipe[0]]
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            for entry in descriptors where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 { open.removeAll { $0 == entry.fd }; continue }
                if entry.fd == errorPipe[0] { errors.append(contentsOf: buffer[0..<count]) }
            }
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000_000
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        // rolo says its own peak; wait4's would count the memory of this process too (spawning
        // shares it until the exec), so other programs' peaks are not shown.
        let reported = (try? String(contentsOfFile: memoryFile, encoding: .utf8)).flatMap { Double($0.trimmed) }
        return Outcome(status: (status >> 8) & 0xFF, seconds: elapsed, user: seconds(usage.ru_utime), system: seconds(usage.ru_stime),
                       peakMiB: (reported ?? .nan) / 1024, errors: String(decoding: errors, as: UTF8.self))
    }
}
