import Foundation
import RoloCore
import RoloEmulators
import Testing

/// The real binary syncing against the emulator is killed with SIGKILL at random moments, then
/// started again, cycle after cycle: whenever it dies, no accepted edit may be lost and no
/// contact created twice. `make test` runs 20 cycles; `make soak` runs 1,000
/// (ROLO_SOAK_CYCLES). The verdict does not depend on when the kill lands — only how much of a
/// sync each cycle covers does — and the seed makes the edits and delays repeatable.
@Suite("Sync survives SIGKILL at any moment", .serialized)
struct CrashTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["ROLO_SOAK_CYCLES"] ?? "") ?? 20 }

    @Test func killedAtRandomMomentsNothingIsLostAndNothingDuplicated() async throws {
        var random = SeededRandom(seed: 42)
        var seed: [EmulatorJSON] = []
        for index in 0..<40 { seed.append(["email": .string("c\(index)@example.com"), "first_name": .string("C\(index)")]) }
        let sandbox = try await NotifuseSandbox(contacts: seed)
        let rolo = sandbox.rolo
        #expect(try await sandbox.run("sync").status == 0)
        // Every request is slowed a little, so a kill lands inside a sync, not between them.
        var expected: [String: String] = [:]      // email → the job title last set here
        var created = 0

        for cycle in 0..<CrashTests.cycles {
            // Edits, accepted by rolo (exit 0) before any sync starts.
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                if Int.random(in: 0..<4, using: &random) == 0 {
                    created += 1
                    let email = "new\(created)@example.com"
                    let result = try await sandbox.run("add", "--account", "support", "--field", "email=\(email)", "--field", "job_title=T\(cycle)")
                    #expect(result.status == 0, "\(result.stderr)")
                    expected[email] = "T\(cycle)"
                } else {
                    let email = "c\(Int.random(in: 0..<40, using: &random))@example.com"
                    let title = "T\(cycle)-\(Int.random(in: 0..<1000, using: &random))"
                    let result = try await sandbox.run("set", email, "job_title=\(title)")
                    #expect(result.status == 0, "\(result.stderr)")
                    expected[email] = title
                }
            }
            sandbox.notifuse.inject(.latency(milliseconds: 3), count: 1000)
            sandbox.notifuse.inject(.dropAfterApplying, count: Int.random(in: 0...1, using: &random), path: "/api/contacts.upsert")
            let process = try rolo.start(["sync"])
            try await Task.sleep(nanoseconds: UInt64(Int.random(in: 5...120, using: &random)) * 1_000_000)
            kill(process.pid, SIGKILL)
            await Rolo.waitDetached(for: process)
            sandbox.notifuse.clearFaults()
        }

        // Started again with nothing in the way, it finishes what every killed run left.
        let settle = try await sandbox.run("sync")
        #expect(settle.status == 0, "\(settle.stdout)\(settle.stderr)")
        #expect(try await sandbox.run("outbox").stdout == "Nothing waits to be sent.\n")
        let remote = sandbox.notifuse.store.allContacts()
        let emails = remote.compactMap { $0["email"]?.stringValue }
        #expect(Set(emails).count == emails.count, "no contact twice")
        #expect(emails.count == 40 + created, "every contact once: \(emails.count) of \(40 + created)")
        for (email, title) in expected {
            #expect(sandbox.notifuse.store.contact(email: email)?["job_title"]?.stringValue == title, "\(email): the last edit arrived")
        }
        let local = try await sandbox.run("list", "--account", "support", "--tsv").stdout.split(separator: "\n")
        #expect(local.count == 40 + created, "and once here")
        await sandbox.stop()
    }
}

extension Rolo {
    /// Runs `rolo arguments…` and waits for it on a thread of its own, off Swift's concurrency
    /// threads (an emulator in this process needs them to answer).
    func runDetached(_ arguments: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try self.run(arguments) }) }
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

/// A small seeded random source (SplitMix64), so a run can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
