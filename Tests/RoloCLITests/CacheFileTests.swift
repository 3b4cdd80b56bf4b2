import Foundation
import Testing

/// The cache file as a user's commands leave it: after a big write the next process opens it
/// without replaying anything, reading never writes it, and nobody else can read it.
@Suite("The cache file through the binary", .serialized)
struct CacheFileTests {
    /// A rolo JSON document of `count` generated contacts.
    static func contacts(_ count: Int) -> String {
        let cities = ["Dallas", "Paris", "Tokyo", "Oslo"]
        let records = (0..<count).map { index in
            "{\"first_name\": \"Person\(index)\", \"last_name\": \"Lastname\(index % 97)\", "
                + "\"email\": \"p\(index)@example.com\", \"city\": \"\(cities[index % cities.count])\"}"
        }
        return "[\n" + records.joined(separator: ",\n") + "\n]\n"
    }

    /// What a write would change: every byte, and the modification time.
    struct FileState: Equatable {
        let bytes: Data
        let modified: timespec

        init(_ path: String) throws {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            var status = stat()
            #expect(stat(path, &status) == 0)
            modified = status.st_mtim
        }

        static func == (left: FileState, right: FileState) -> Bool {
            left.bytes == right.bytes && left.modified.tv_sec == right.modified.tv_sec
                && left.modified.tv_nsec == right.modified.tv_nsec
        }
    }

    @Test func afterAnImportReadingTheCacheNeitherReplaysNorWritesIt() throws {
        let rolo = try Rolo()
        let file = try rolo.file("people.json", CacheFileTests.contacts(1500))
        let imported = try rolo("import", file)
        #expect(imported.status == 0, "\(imported.stderr)")
        // Settled: the WAL holds no frames for the next process to read and copy again.
        let wal = rolo.cache + "-wal"
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int)
        #expect(walSize <= 32, "the WAL still holds \(walSize) bytes after the import")

        let main = try FileState(rolo.cache), log = try FileState(wal)
        let listed = try rolo("list", "--limit", "0", "--tsv")
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").count == 1500)
        #expect(try FileState(rolo.cache) == main, "rolo list wrote the database file")
        #expect(try FileState(wal) == log, "rolo list wrote the WAL")

        let tui = try Tmux(rolo)
        tui.wait(for: "1,500 contacts")
        try tui.type("q")
        #expect(tui.exitStatus() == 0)
        #expect(try FileState(rolo.cache) == main, "opening and quitting the TUI wrote the database file")
        #expect(try FileState(wal) == log, "opening and quitting the TUI wrote the WAL")
    }

    /// Runs rolo with a umask, as a shell of that user would.
    func run(_ rolo: Rolo, umask mask: String, _ arguments: [String]) throws -> Rolo.Result {
        let outcome = try Spawned.run("/bin/sh", ["-c", "umask \(mask); exec \"$0\" \"$@\"", Rolo.binary] + arguments,
                                      environment: rolo.environment, input: Data())
        return Rolo.Result(status: outcome.status, stdout: String(decoding: outcome.stdout, as: UTF8.self),
                           stderr: String(decoding: outcome.stderr, as: UTF8.self))
    }

    func mode(_ path: String) -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else { return -1 }
        return Int(status.st_mode & 0o7777)
    }

    @Test(arguments: ["000", "022"])
    func everyFileRoloMakesIsItsOwnersOnly(umask mask: String) throws {
        let rolo = try Rolo()
        let home = rolo.home.path
        #expect(try run(rolo, umask: mask, ["demo"]).status == 0)
        let file = try rolo.file("one.json", CacheFileTests.contacts(3))
        #expect(try run(rolo, umask: mask, ["import", file]).status == 0)
        #expect(try run(rolo, umask: mask, ["export", "-o", home + "/all.json"]).status == 0)
        #expect(try run(rolo, umask: mask, ["set", "p0@example.com", "city=Austin"]).status == 0)
        for folder in ["data", "data/rolo", "state", "state/rolo"] {
            #expect(String(mode(home + "/" + folder), radix: 8) == "700", "\(folder) under umask \(mask)")
        }
        for path in ["data/rolo/rolo.sqlite", "data/rolo/rolo.sqlite-wal", "data/rolo/rolo.sqlite-shm",
                     "state/rolo/rolo.log", "all.json"] {
            #expect(String(mode(home + "/" + path), radix: 8) == "600", "\(path) under umask \(mask)")
        }
    }

    /// Makes the cache of `rolo` one this test's rolo cannot write, as another user's cache
    /// is: root-owned 0644 files in 0755 folders, opened by a user who is not root. Returns
    /// what to put in front of rolo. As root (CI), chmod alone would not stop rolo, so rolo
    /// runs as `nobody` (setpriv) on the root-owned files, which is the case of the jump host
    /// itself; as another user, the files and folder are made read-only for their owner.
    func makeCacheUnwritable(_ rolo: Rolo) throws -> (prefix: [String], binary: String) {
        let data = rolo.home.appendingPathComponent("data").path
        for folder in [rolo.home.path, data, data + "/rolo"] { chmod(folder, 0o755) }
        for suffix in ["", "-wal", "-shm"] { chmod(rolo.cache + suffix, 0o644) }
        if geteuid() == 0 {
            let prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            // The build folder may sit where nobody cannot reach (root's home): then nobody runs a copy.
            let reachable = try runProcess(prefix + ["/usr/bin/test", "-x", Rolo.binary], environment: [:]).status == 0
            guard !reachable else { return (prefix, Rolo.binary) }
            let copy = rolo.home.appendingPathComponent("rolo").path
            try FileManager.default.copyItem(atPath: Rolo.binary, toPath: copy)
            chmod(copy, 0o755)
            return (prefix, copy)
        }
        for suffix in ["", "-wal", "-shm"] { chmod(rolo.cache + suffix, 0o444) }
        chmod(data + "/rolo", 0o555)
        return ([], Rolo.binary)
    }

    func runProcess(_ command: [String], environment: [String: String]) throws -> Rolo.Result {
        let outcome = try Spawned.run(command[0], Array(command.dropFirst()), environment: environment, input: Data())
        return Rolo.Result(status: outcome.status, stdout: String(decoding: outcome.stdout, as: UTF8.self),
                           stderr: String(decoding: outcome.stderr, as: UTF8.self))
    }

    func runAs(_ runner: (prefix: [String], binary: String), _ rolo: Rolo, _ arguments: [String]) throws -> Rolo.Result {
        // No log: the state folder is the owner's.
        try runProcess(runner.prefix + [runner.binary] + arguments,
                       environment: rolo.environment.merging(["ROLO_LOG": "/dev/null"]) { _, new in new })
    }

    @Test func aCacheThisUserCannotWriteIsBrowsedReadOnlyAndSaysWhy() throws {
        let rolo = try Rolo()
        let file = try rolo.file("people.json", CacheFileTests.contacts(30))
        #expect(try rolo("import", file).status == 0)
        let runner = try makeCacheUnwritable(rolo)
        defer { _ = try? makeCacheWritableAgain(rolo) }
        let main = try FileState(rolo.cache)

        let listed = try runAs(runner, rolo, ["list", "--tsv"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").count == 30)
        let edit = try runAs(runner, rolo, ["set", "p1@example.com", "city=Oslo"])
        #expect(edit.status == 1)
        #expect(edit.stderr.contains("the cache \(rolo.cache) is read-only for you"), "\(edit.stderr)")

        let tui = try Tmux(rolo, width: 200, height: 24, environment: ["ROLO_LOG": "/dev/null"], runAs: runner.prefix,
                           binary: runner.binary)
        tui.wait(for: "is read-only for you")
        #expect(tui.screen.contains(rolo.cache))
        try tui.type("e")
        tui.wait(for: "editing is off")
        try tui.type("q")
        #expect(tui.exitStatus() == 0)
        #expect(try FileState(rolo.cache) == main)
    }

    /// A copy of a cache (no -wal, no -shm beside it) in a folder everyone can write, read by
    /// another user: SQLite would make the two files to read it — the reader's, 0644 — and the
    /// owner, unable to open them, could no longer save. rolo reads it as it is and makes
    /// nothing. Whoever cannot read the -wal of a cache is told so, not "unable to open".
    @Test func anotherUsersCopyIsReadWithoutMakingFilesBesideIt() throws {
        let rolo = try Rolo()
        let file = try rolo.file("people.json", CacheFileTests.contacts(12))
        #expect(try rolo("import", file).status == 0)
        let runner = try makeCacheUnwritable(rolo)
        defer { _ = try? makeCacheWritableAgain(rolo) }
        let shared = rolo.home.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        chmod(shared.path, 0o1777)   // as /tmp is
        let copy = shared.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: rolo.cache, toPath: copy)
        chmod(copy, geteuid() == 0 ? 0o644 : 0o444)

        let listed = try runAs(runner, rolo, ["list", "--tsv", "--db", copy])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").count == 12)
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared.path) == ["copy.sqlite"], "nothing made beside it")
        #expect(try rolo("set", "p1@example.com", "city=Oslo", "--db", copy).status == 0, "its owner still saves to it")

        // The owner's -wal, unreadable to the other user (the owner's rolo made the cache 0600 too).
        chmod(copy, 0o644)
        chmod(copy + "-wal", 0o600)
        chmod(copy + "-shm", 0o600)
        if !runner.prefix.isEmpty {
            let refused = try runAs(runner, rolo, ["list", "--db", copy])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("cannot read \(copy)-wal"), "\(refused.stderr)")
        }
        let folder = try runAs(runner, rolo, ["list", "--db", shared.path])
        #expect(folder.stderr.contains("\(shared.path) is a folder"), "\(folder.stderr)")
        if !runner.prefix.isEmpty {
            // A cache in a folder closed to this user.
            let closed = rolo.home.appendingPathComponent("closed")
            try FileManager.default.createDirectory(at: closed.appendingPathComponent("rolo"), withIntermediateDirectories: true)
            chmod(closed.path, 0o700)
            let unreachable = try runAs(runner, rolo, ["list", "--db", closed.path + "/rolo/rolo.sqlite"])
            #expect(unreachable.stderr.contains("cannot reach the folder"), "\(unreachable.stderr)")
        }
    }

    func makeCacheWritableAgain(_ rolo: Rolo) throws {
        chmod(rolo.home.appendingPathComponent("data/rolo").path, 0o700)
        for suffix in ["", "-wal", "-shm"] { chmod(rolo.cache + suffix, 0o600) }
    }

    @Test func aKillInTheMiddleOfAnImportLeavesNothing() throws {
        let rolo = try Rolo()
        #expect(try rolo("accounts").status == 0)
        let feed = try Spawned.pipe()
        let process = try Spawned.start(Rolo.binary, ["import", "-", "--format", "json"], environment: rolo.environment,
                                        stdin: .descriptor(feed.read))
        close(feed.read)
        defer { close(feed.write) }
        // Half a document: rolo reads and stores these records, then waits for the rest.
        let document = CacheFileTests.contacts(3000)
        let half = Data(document.utf8.prefix(document.utf8.count / 2))
        half.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(feed.write, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        let deadline = Date().addingTimeInterval(20)
        func bytesRead() -> Int {
            let io = (try? String(contentsOfFile: "/proc/\(process.pid)/io", encoding: .utf8)) ?? ""
            return io.split(separator: "\n").first { $0.hasPrefix("rchar:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? 0
        }
        while bytesRead() < half.count, Date() < deadline { usleep(10_000) }
        #expect(bytesRead() >= half.count, "rolo did not read its input")
        kill(process.pid, SIGKILL)
        _ = process.wait()
        let listed = try rolo("list", "--tsv")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.isEmpty, "a killed import left contacts")
    }
}
