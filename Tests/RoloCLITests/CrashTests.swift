import Foundation
import RoloConformance
import RoloCore
import RoloEmulators
import Testing

/// The real binary syncing against each provider's emulator is killed with SIGKILL at random
/// moments, then started again, cycle after cycle: whenever it dies, no accepted edit may be
/// lost and no contact created twice. `make test` runs 20 cycles per provider; `make soak`
/// runs 1,000 (ROLO_SOAK_CYCLES). Each kill is aimed at a request of the sync (the emulator
/// has just received it), not at a time, so neither the verdict nor what a cycle covers
/// depends on this machine's speed; the seed makes the edits and the aims repeatable.
@Suite("Sync survives SIGKILL at any moment", .serialized)
struct CrashTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["ROLO_SOAK_CYCLES"] ?? "") ?? 20 }
    static let contacts = 40

    @Test(arguments: HarnessMaker.all)
    func killedAtRandomMomentsNothingIsLostAndNothingDuplicated(_ maker: HarnessMaker) async throws {
        let harness = try await maker.start()
        let sandbox = try ProviderSandbox(harness)
        let rolo = sandbox.rolo
        let account = ProviderSandbox.account
        // The field edited: one every provider stores (job title for Notifuse and DailyStory,
        // the phone for iVvy).
        let field = harness.fieldA
        var random = SeededRandom(seed: 42)

        var people: [[StandardField: String]] = []
        for index in 0..<CrashTests.contacts {
            var person = harness.required([:])
            person[.email] = "c\(index)@example.com"
            people.append(person)
        }
        let ids = try people.map { try harness.serverCreate($0) }
        if harness.profile.capabilities.listing == .none {
            // A provider that cannot list: its contacts come in as a file with their ids.
            let file = try rolo.file("known.json", CrashTests.roloJSON(people, remoteIDs: ids))
            let imported = try await sandbox.run("import", file, "--account", account)
            #expect(imported.status == 0, "\(maker): \(imported.stderr)")
        }
        // How many requests a sync makes: each cycle's kill lands as the emulator receives
        // one of them, or a few more (a sync with edits to send makes more), chosen at random —
        // every step of a sync is reached, however fast this machine is (a provider that
        // cannot list reads each contact it knows before it sends anything).
        harness.clearRequests()
        let first = try await sandbox.run("sync")
        #expect(first.status == 0, "\(maker): \(first.stdout)\(first.stderr)")
        let reach = harness.requestsReceived * 3 / 2 + 4

        var expected: [String: String] = [:]      // email → the value last set here
        var created = 0
        for cycle in 0..<CrashTests.cycles {
            // Edits, accepted by rolo (exit 0) before any sync starts.
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let value = CrashTests.value(of: field, cycle: cycle, Int.random(in: 0..<1000, using: &random))
                if Int.random(in: 0..<3, using: &random) == 0 {
                    created += 1
                    let email = "new\(created)@example.com"
                    var person = harness.required([field: value])
                    person[.email] = email
                    let assignments = person.sorted { $0.key.key < $1.key.key }.flatMap { ["--field", "\($0.key.key)=\($0.value)"] }
                    let result = try await rolo.runDetached(["add", "--account", account] + assignments)
                    #expect(result.status == 0, "\(maker): \(result.stderr)")
                    expected[email] = value
                } else {
                    let email = "c\(Int.random(in: 0..<CrashTests.contacts, using: &random))@example.com"
                    let result = try await sandbox.run("set", email, "\(field.key)=\(value)")
                    #expect(result.status == 0, "\(maker): \(result.stderr)")
                    expected[email] = value
                }
            }
            // A write that lands but whose reply is lost, now and then; and every reply held a
            // little, so the kill lands while rolo waits for the request it was aimed at. (The
            // first fault injected that matches a request is the one it meets.)
            harness.inject(.dropAfterApplying, count: Int.random(in: 0...2, using: &random), call: .write)
            harness.inject(.latency(milliseconds: 3), count: 1000, call: nil)
            harness.clearRequests()
            let aim = Int.random(in: 0...reach, using: &random)
            let process = try rolo.start(["sync"])
            let deadline = ContinuousClock.now + .seconds(60)
            while harness.requestsReceived < aim, process.isRunning(), ContinuousClock.now < deadline {
                try await Task.sleep(nanoseconds: 200_000)
            }
            kill(process.pid, SIGKILL)
            await Rolo.waitDetached(for: process)
            harness.clearFaults()
        }

        // Started again with nothing in the way, it finishes what every killed run left.
        let settle = try await sandbox.run("sync")
        #expect(settle.status == 0, "\(maker): \(settle.stdout)\(settle.stderr)")
        #expect(try await sandbox.run("outbox").stdout == "Nothing waits to be sent.\n", "\(maker)")
        let remote = harness.serverContacts()
        let emails = remote.compactMap(\.email)
        #expect(Set(emails).count == emails.count, "\(maker): no contact twice")
        #expect(remote.count == CrashTests.contacts + created, "\(maker): every contact once: \(remote.count) of \(CrashTests.contacts + created)")
        let byEmail = Dictionary(remote.compactMap { contact in contact.email.map { ($0.lowercased(), contact.remoteID) } },
                                 uniquingKeysWith: { first, _ in first })
        for (email, value) in expected.sorted(by: { $0.key < $1.key }) {
            let there = byEmail[email].flatMap { harness.serverValue($0, field) }
            #expect(there == value, "\(maker): \(email): the last edit arrived (\(there ?? "nothing") instead of \(value))")
        }
        let local = try await sandbox.run("list", "--account", account, "--tsv").stdout.split(separator: "\n")
        #expect(local.count == CrashTests.contacts + created, "\(maker): and once here")
        await sandbox.stop()
    }

    /// The binary is started with every descriptor of this test process closed in it, however
    /// many this process holds (its emulators and HTTP sessions hold hundreds).
    @Test func aChildStartedAmongManyDescriptorsInheritsNone() throws {
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<1_500 { held.append(open("/dev/null", O_RDONLY)) }
        let listed = try Spawned.run("/bin/sh", ["-c", "ls /proc/self/fd"], environment: ["PATH": "/usr/bin:/bin"], input: nil)
        #expect(listed.status == 0, "\(String(decoding: listed.stderr, as: UTF8.self))")
        // ls holds stdin, stdout, stderr and the folder it lists.
        #expect(String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").count == 4, "\(listed.stdout)")
    }

    /// A value of `field` no earlier edit gave: a phone number where the field is one.
    static func value(of field: StandardField, cycle: Int, _ n: Int) -> String {
        switch field {
        case .phone, .mobilePhone: String(format: "+1555%03d%04d", cycle % 1000, n)
        default: "T\(cycle)-\(n)"
        }
    }

    /// A rolo JSON file of contacts linked to the provider's ids, as an export would hold them.
    static func roloJSON(_ people: [[StandardField: String]], remoteIDs: [String]) -> String {
        let contacts = zip(people, remoteIDs).map { person, id -> JSONValue in
            var members: [String: JSONValue] = ["remote": .object(["id": .string(id)])]
            for (field, value) in person { members[field.key] = .string(value) }
            return .object(members)
        }
        return JSONValue.array(contacts).canonicalText
    }
}

extension Rolo {
    /// Runs `rolo arguments…` and waits for it on a thread of its own, off Swift's concurrency
    /// threads (an emulator in this process needs them to answer).
    func runDetached(_ arguments: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try self.run(arguments) })
            }
        }
    }

    /// Waits for a process to end, off Swift's concurrency threads.
    static func waitDetached(for process: Spawned) async {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                _ = process.wait()
                continuation.resume()
            }
        }
    }

    /// Starts `rolo arguments…` without waiting for it; its output goes nowhere.
    func start(_ arguments: [String]) throws -> Spawned {
        try Spawned.start(Rolo.binary, arguments, environment: environment)
    }
}
