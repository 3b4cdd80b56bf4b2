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
        try tui.type("s")
        wait(for: "notifuse-demo: nothing new from Notifuse; send ")
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
        wait(for: "notifuse-demo: nothing new from Notifuse; send 1 change")

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
}
