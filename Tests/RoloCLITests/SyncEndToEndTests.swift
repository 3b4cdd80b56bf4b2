import Foundation
import Testing

/// `rolo sandbox` as a process of its own: the providers' emulators on loopback, seeded from
/// the demo cache, and the config that points rolo at them. Nothing serves HTTP inside the
/// test process, so this runs beside the other terminal tests.
final class SandboxProcess {
    let process: Spawned
    let folder: String
    var config: String { folder + "/config.toml" }
    let output: String

    init(_ rolo: Rolo, timeout: Double = 20) throws {
        folder = rolo.home.appendingPathComponent("sandbox").path
        output = rolo.home.appendingPathComponent("sandbox.out").path
        let log = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(log) }
        process = try Spawned.start(Rolo.binary, ["sandbox", "--write-config", folder + "/config.toml"],
                                    environment: rolo.environment, stdout: .descriptor(log), stderr: .descriptor(log))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process.isRunning(), !printed.contains("Serving until Ctrl-C.") { usleep(20_000) }
        if !printed.contains("Serving until Ctrl-C.") { Issue.record("the sandbox did not start:\n\(printed)") }
    }

    var printed: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    /// The secrets the sandbox wrote beside its config (tokens, keys), which must never show.
    var secrets: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { !$0.hasSuffix(".toml") }.compactMap {
            (try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
    }

    /// Ends the sandbox this test started (SIGTERM to its own process id) and waits for it.
    func stop() {
        guard process.isRunning() else { return }
        kill(process.pid, SIGTERM)
        _ = process.wait()
    }
}

@Suite("Sync from the terminal UI, end to end", .serialized)
struct SyncEndToEndTests {
    /// The real binary in tmux against the sandbox's emulators over HTTP: `s` syncs and says
    /// what it did; an edit made in the form goes out with the next `s`, after which nothing
    /// waits and the provider has nothing new (it holds what was sent). The DailyStory account
    /// says what its sync cannot discover. No secret is ever on the screen.
    @Test func sSyncsOverHTTPAndAnEditReachesTheProvider() throws {
        let rolo = try Rolo()
        #expect(try rolo("demo").status == 0)
        let sandbox = try SandboxProcess(rolo)
        defer { sandbox.stop() }
        let tui = try Tmux(rolo, arguments: ["--config", sandbox.config, "--account", "notifuse-demo"])
        var screens: [String] = []
        func wait(for text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            screens.append(tui.wait(for: text, timeout: 30, sourceLocation: sourceLocation))
        }

        wait(for: "notifuse-demo · Notifuse")
        // libcurl (and the thirty libraries it brings) is loaded by the first request, not by
        // the start: a TUI that never syncs never maps it.
        func mapsLibcurl() -> Bool {
            // Read to the end: a file of /proc has no size, and a read by its size stops short.
            let maps = FileHandle(forReadingAtPath: "/proc/\(tui.pid)/maps")?.readDataToEndOfFile() ?? Data()
            return String(decoding: maps, as: UTF8.self).contains("libcurl")
        }
        #expect(tui.pid > 0 && !mapsLibcurl(), "the TUI's start loaded libcurl")
        try tui.type("s")
        wait(for: "notifuse-demo: nothing new from Notifuse; 4 changes sent")
        #expect(mapsLibcurl(), "a sync loads libcurl")
        #expect(!tui.screen.contains("pending"), "what waited went out")

        // Edit the first contact's first name (the form's first line for Notifuse), save, and
        // sync again.
        try tui.type("e")
        wait(for: "Edit Adaeze Nwosu")
        wait(for: "1/")
        try tui.keys("Enter", "C-u")
        try tui.type("Ada")
        try tui.keys("Enter", "C-s")
        wait(for: "Saved Adaeze Nwosu")
        wait(for: "1 pending")
        try tui.type("s")
        wait(for: "notifuse-demo: nothing new from Notifuse; 1 change sent")

        // The account that cannot list says so, and how to bring its contacts in.
        try tui.type(":account dailystory-demo")
        try tui.keys("Enter")
        wait(for: "dailystory-demo · DailyStory")
        try tui.type("s")
        wait(for: "one by email or mobile")
        // A message longer than the status line goes on in the line below it.
        let said = screens.last!.split(separator: "\n").suffix(2).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(said.hasPrefix("dailystory-demo: nothing new from DailyStory"), "\(said)")
        #expect(said.hasSuffix("— contacts made in DailyStory are not discovered: F fetches one by email or mobile"), "\(said)")
        try tui.type("q")
        #expect(tui.exitStatus() == 0)

        let outbox = try rolo("outbox", "--config", sandbox.config, "--account", "notifuse-demo")
        #expect(outbox.stdout == "Nothing waits to be sent.\n")
        let dry = try rolo("sync", "--dry-run", "--config", sandbox.config, "--account", "notifuse-demo")
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("notifuse-demo: nothing new from Notifuse\n"), "Notifuse holds what was sent:\n\(dry.stdout)")
        #expect(!dry.stdout.contains("would send"))
        #expect(try rolo("show", "adaeze.n@mail.example.com", "--json").stdout.contains("\"first_name\": \"Ada\""))

        let secrets = sandbox.secrets
        #expect(secrets.count >= 4, "the sandbox wrote its tokens and keys")
        for secret in secrets {
            for screen in screens + [tui.screen] { #expect(!screen.contains(secret), "a secret was on the screen") }
        }
    }

    /// The sandbox's emulators run in a helper process (rolo-emulators), and end with rolo
    /// however rolo ends: killed with SIGKILL, it cannot stop them, and they stop by themselves
    /// (their ports close) rather than serve on as orphans.
    @Test func theEmulatorsStopWhenTheSandboxIsKilled() throws {
        let rolo = try Rolo()
        #expect(try rolo("demo").status == 0)
        let sandbox = try SandboxProcess(rolo)
        defer { sandbox.stop() }
        let config = try String(contentsOfFile: sandbox.config, encoding: .utf8)
        let ports = config.split(separator: "\n").compactMap { line -> UInt16? in
            guard line.hasPrefix("base_url = \"http://127.0.0.1:") else { return nil }
            return UInt16(line.split(separator: ":").last!.filter(\.isNumber))
        }
        #expect(ports.count == 3, "\(config)")
        #expect(ports.allSatisfy(acceptsConnections), "the emulators listen")

        kill(sandbox.process.pid, SIGKILL)
        _ = sandbox.process.wait()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, ports.contains(where: acceptsConnections) { usleep(50_000) }
        #expect(!ports.contains(where: acceptsConnections), "no emulator serves on after rolo sandbox was killed")
    }
}

/// Whether something accepts a TCP connection on 127.0.0.1 at this port.
private func acceptsConnections(_ port: UInt16) -> Bool {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
