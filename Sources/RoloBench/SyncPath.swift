import Foundation
import RoloCore
import RoloInterchange
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// Sync as a user meets it: the release `rolo sync`, a fresh process each time, over HTTP to
/// an emulator of the provider on 127.0.0.1 (served by this process), with a config and a
/// secret file as `rolo sandbox` writes them. Rows:
/// - the first sync pulls every contact into an empty cache (time and peak RSS);
/// - a second sync with nothing changed;
/// - a push of edits to many contacts, batched (Notifuse's `contacts.import`,
///   `batch_updates = true`), against the same number sent one request at a time (the
///   default, `batch_updates = false`);
/// - where every contact is a request of its own (DailyStory's refresh, iVvy's push), the same
///   work with 4 requests in flight and with 1, each request held `latency` milliseconds by
///   the emulator as a network would (loopback answers at once, which would hide the point).
struct SyncPath {
    let rolo: String
    let directory: String
    let size: Int
    let seed: UInt64
    /// Milliseconds every request waits at the emulator in the requests-in-flight rows.
    var latency = 20
    /// Contacts edited for the push rows.
    var edits: Int { min(10_000, size) }
    /// Contacts edited for iVvy's push rows, one request each.
    var ivvyEdits: Int { min(1_000, size) }
    /// Known DailyStory contacts its refresh rows read, one request each.
    var refreshed: Int { min(10_000, size) }

    /// The custom fields of the synthetic contacts, in Notifuse's named slots.
    static let notifuseFields = """
        [accounts.bench.fields]
        plan = { slot = "custom_string_1", type = "text", label = "Plan" }
        customer_ref = { slot = "custom_string_2", type = "text", label = "Customer ref" }
        score = { slot = "custom_number_1", type = "number", label = "Score" }
        """

    func run() throws {
        try notifuse()
        try ivvy()
        try dailystory()
    }

    // MARK: - Notifuse

    func notifuse() throws {
        let (emulator, batchedConfig, singleConfig) = try serveNotifuse()
        defer { blocking { await emulator.stop() } }
        let cache = "\(directory)/sync-notifuse-\(size).sqlite"
        for suffix in ["", "-wal", "-shm", ".sync-lock"] { try? FileManager.default.removeItem(atPath: cache + suffix) }

        let pull = try sync(cache, batchedConfig)
        print(String(format: "rolo sync, first (pull %@ into an empty cache)  %6.1f s  CPU %@  peak RSS %5.1f MiB  (targets: ≤ 8 s, ≤ 60 MB at 100k)",
                     size.formatted() as NSString, pull.seconds, pull.cpu as NSString, pull.peakMiB))
        let again = try sync(cache, batchedConfig)
        print(String(format: "rolo sync, again with nothing changed           %6.1f s  CPU %@  peak RSS %5.1f MiB  (target: ≤ 2 s at 100k)",
                     again.seconds, again.cpu as NSString, again.peakMiB))

        // Edits as `rolo set` makes them, made here in one process so that setting up 10k of
        // them does not take 10k processes: the push is what is measured.
        try edit(cache: cache, round: 1)
        let batched = try sync(cache, batchedConfig)
        let edited = try edit(cache: cache, round: 2)
        let single = try sync(cache, singleConfig)
        print(String(format: "rolo sync, push %@ edits, batched               %6.1f s  CPU %@  peak RSS %5.1f MiB  (target: ≤ 10 s)",
                     edits.formatted() as NSString, batched.seconds, batched.cpu as NSString, batched.peakMiB))
        print(String(format: "rolo sync, push %@ edits, one request each      %6.1f s  CPU %@  (the naive way: batched is %.1f× faster; target ≥ 8×)",
                     edits.formatted() as NSString, single.seconds, single.cpu as NSString, single.seconds / batched.seconds))
        let title = edited.flatMap { emulator.store.contact(email: $0)?["job_title"]?.stringValue } ?? "—"
        print("  check: \(edited ?? "—"), the first contact edited, has the job title “\(title)” at the emulator (expected “Edited 2-0”)")

        // The same two pushes as a network answers them: every write held 5 ms (a data centre
        // nearby). On loopback a request costs about a millisecond, which flatters the
        // one-request-each way. The listing each sync starts with is left as it is: it is the
        // same in both rows.
        for write in ["/api/contacts.import", "/api/contacts.upsert"] {
            emulator.inject(.latency(milliseconds: 5), count: Int.max, path: write)
        }
        defer { emulator.clearFaults() }
        try edit(cache: cache, round: 3)
        let batchedFar = try sync(cache, batchedConfig)
        try edit(cache: cache, round: 4)
        let singleFar = try sync(cache, singleConfig)
        print(String(format: "rolo sync, push %@ edits, batched, 5 ms a write              %6.1f s  CPU %@  (target: ≤ 10 s)",
                     edits.formatted() as NSString, batchedFar.seconds, batchedFar.cpu as NSString))
        print(String(format: "rolo sync, push %@ edits, one request each, 5 ms a write   %6.1f s  CPU %@  (batched is %.1f× faster; target ≥ 8×)",
                     edits.formatted() as NSString, singleFar.seconds, singleFar.cpu as NSString, singleFar.seconds / batchedFar.seconds))
    }

    /// A Notifuse emulator holding `size` synthetic contacts, and two configs for it (updates
    /// batched, and one request each). `rolo-bench serve` keeps it up for a profiler.
    func serveNotifuse() throws -> (NotifuseEmulator, batched: String, single: String) {
        let emulator = NotifuseEmulator(options: .init(workspaceID: "ws_bench"))
        let generator = SyntheticContacts(seed: seed)
        let definitions = [
            FieldDefinition(key: "plan", label: "Plan", type: .text, providerRef: "custom_string_1"),
            FieldDefinition(key: "customer_ref", label: "Customer ref", type: .text, providerRef: "custom_string_2"),
            FieldDefinition(key: "score", label: "Score", type: .number, providerRef: "custom_number_1"),
        ]
        let seeded = Date()
        var batch: [EmulatorJSON] = []
        batch.reserveCapacity(10_000)
        for index in 0..<size {
            var contact = generator.contact(index, accountID: 1)
            if let plan = contact.custom["plan"] { contact.custom["plan"] = .text(plan.storedText) }
            batch.append(try EmulatorJSON(parsing: Data(NotifuseClient.wireContact(contact, definitions: definitions).canonicalText.utf8)))
            if batch.count == 10_000 {
                try emulator.webUI.seed(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try emulator.webUI.seed(batch)
        try blocking { try await emulator.start() }
        print(String(format: "Notifuse emulator on %@ with %d contacts (seeded in %.1f s)",
                     emulator.baseURL.absoluteString as NSString, emulator.store.count, Date().timeIntervalSince(seeded)))

        let tokenFile = "\(directory)/notifuse-bench.token"
        try PrivateFiles.write(emulator.apiToken + "\n", to: tokenFile)
        func config(batched: Bool) -> String {
            """
            [accounts.bench]
            provider = "notifuse"
            base_url = "\(emulator.baseURL.absoluteString)"
            allow_plain_http = true
            workspace_id = "ws_bench"
            token_file = "\(tokenFile)"
            batch_updates = \(batched)

            \(SyncPath.notifuseFields)

            """
        }
        let batchedConfig = "\(directory)/sync-batched.toml", singleConfig = "\(directory)/sync-single.toml"
        try PrivateFiles.write(config(batched: true), to: batchedConfig)
        try PrivateFiles.write(config(batched: false), to: singleConfig)
        return (emulator, batchedConfig, singleConfig)
    }

    /// Changes the job title (a field Notifuse stores) of the first `edits` contacts in list
    /// order, one edit each; or, given, another assignment of the first `count`.
    /// Edits the first `count` contacts of an account in list order; returns the first one's email.
    @discardableResult
    func edit(cache path: String, round: Int, account name: String = "bench", count: Int? = nil,
              assignment: (Int) -> String = { "job_title=Edited \($0)" }) throws -> String? {
        let cache = try LocalCache(path: path, catalog: .standard)
        let services = RoloServices(cache: cache, author: Author(user: "bench", clientAddress: nil))
        let account = try require(try services.accounts.account(named: name), "the \(name) account")
        let edits = count ?? self.edits
        var anchor = WindowAnchor.first
        var done = 0
        var first: String?
        while done < edits {
            let page = try services.reader.window(in: .account(account.id), from: anchor, limit: 500)
            for row in page.rows where done < edits {
                if done == 0 { first = row.email }
                let text = count == nil ? "job_title=Edited \(round)-\(done)" : assignment(round * 100_000 + done)
                _ = try services.editor.update(row.id, assignments: [try FieldAssignment(parsing: text)])
                done += 1
            }
            guard let last = page.rows.last, !page.reachedEnd else { break }
            anchor = .after(last.cursor)
        }
        return first
    }

    // MARK: - iVvy

    func ivvy() throws {
        // Pages of 50: the server's cap on `perPage` is not documented, and rolo pages by what
        // each page holds, so the bench takes a cap below the 100 rolo asks for.
        let perPage = 50
        let emulator = IVVYEmulator(options: .init(perPageCap: perPage, customFields: []))
        let generator = SyntheticContacts(seed: seed)
        let seeded = Date()
        var batch: [EmulatorJSON] = []
        for index in 0..<size {
            var contact = generator.contact(index, accountID: 1)
            contact.custom = [:]
            guard let wire = IvvyClient.wireContact(contact, id: 100 + index, definitions: []) else { continue }
            batch.append(try EmulatorJSON(parsing: Data(wire.canonicalText.utf8)))
            if batch.count == 10_000 {
                try emulator.webUI.seed(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try emulator.webUI.seed(batch)
        try blocking { try await emulator.start() }
        defer { blocking { await emulator.stop() } }
        print(String(format: "iVvy emulator on %@ with %d contacts, %d a page (seeded in %.1f s)",
                     emulator.baseURL.absoluteString as NSString, emulator.store.count, perPage, Date().timeIntervalSince(seeded)))
        try PrivateFiles.write(emulator.apiKey + "\n", to: "\(directory)/ivvy-bench.key")
        try PrivateFiles.write(emulator.apiSecret + "\n", to: "\(directory)/ivvy-bench.secret")
        let config = "\(directory)/sync-ivvy.toml"
        try PrivateFiles.write("""
            [accounts.events]
            provider = "ivvy"
            base_url = "\(emulator.baseURL.absoluteString)"
            allow_plain_http = true
            key_file = "\(directory)/ivvy-bench.key"
            secret_file = "\(directory)/ivvy-bench.secret"

            """, to: config)
        let cache = "\(directory)/sync-ivvy-\(size).sqlite"
        for suffix in ["", "-wal", "-shm", ".sync-lock"] { try? FileManager.default.removeItem(atPath: cache + suffix) }
        let pull = try sync(cache, config)
        print(String(format: "rolo sync, first iVvy (pull %@, signed pages)    %6.1f s  CPU %@  peak RSS %5.1f MiB",
                     size.formatted() as NSString, pull.seconds, pull.cpu as NSString, pull.peakMiB))
        let again = try sync(cache, config)
        print(String(format: "rolo sync, iVvy again (modified since the last)  %6.1f s  CPU %@  peak RSS %5.1f MiB",
                     again.seconds, again.cpu as NSString, again.peakMiB))

        // A push of phone numbers (a field iVvy stores), one request per contact, as a
        // network would answer it.
        let configs = try [4, 1].map { inFlight in
            let path = "\(directory)/sync-ivvy-\(inFlight)-in-flight.toml"
            try PrivateFiles.write(String(decoding: try Data(contentsOf: URL(fileURLWithPath: config)), as: UTF8.self)
                + "requests_in_flight = \(inFlight)\n", to: path)
            return path
        }
        // The writes wait, not the listing the sync makes first: that one is the pull rows'
        // business, and at 100k its pages alone would take the latency 2,000 times.
        emulator.inject(.latency(milliseconds: latency), count: Int.max, path: "/api/1.0/contact?action=addOrUpdateContact")
        defer { emulator.clearFaults() }
        var seconds: [Double] = []
        for (round, path) in configs.enumerated() {
            try edit(cache: cache, round: round + 1, account: "events", count: ivvyEdits) { String(format: "phone=+1555%07d", $0) }
            let push = try sync(cache, path)
            seconds.append(push.seconds)
            print(String(format: "rolo sync, iVvy push of %@ edits, %d in flight (%d ms a request)  %6.1f s  CPU %@",
                         ivvyEdits.formatted() as NSString, round == 0 ? 4 : 1, latency, push.seconds, push.cpu as NSString))
        }
        print(String(format: "  4 requests in flight push %.1f× faster than 1", seconds[1] / seconds[0]))
    }

    // MARK: - DailyStory

    /// DailyStory cannot list: a sync refreshes the contacts rolo knows, a GET each, up to the
    /// refresh limit (2,000) a run, least recently synced first. The rows time the runs that
    /// read all `refreshed` of them once, with 4 requests in flight and with 1.
    func dailystory() throws {
        let emulator = DailyStoryEmulator(options: .init())
        let generator = SyntheticContacts(seed: seed)
        let cache = "\(directory)/sync-dailystory-\(refreshed).sqlite"
        for suffix in ["", "-wal", "-shm", ".sync-lock"] { try? FileManager.default.removeItem(atPath: cache + suffix) }
        // The contacts as a cache that synced them before holds them, linked by their dsIds:
        // filled the way a user fills one, by `rolo import` of a rolo JSON file that carries the
        // account and each contact's provider id (DailyStory cannot list, so no pull can).
        do {
            var seeds: [EmulatorJSON] = []
            let file = "\(directory)/sync-dailystory-\(refreshed).json"
            let handle = FileHandle(fileDescriptor: try PrivateFiles.openForWriting(file), closeOnDealloc: true)
            var writer = ContactFileWriters.make(.json, customKeys: []) { text in try handle.write(contentsOf: Data(text.utf8)) }
            try writer.begin(accounts: [AccountSpec(name: "marketing", provider: .dailystory)])
            for index in 0..<refreshed {
                var contact = generator.contact(index, accountID: 0)
                contact.custom = [:]
                let dsID = String(format: "%032x", 0xD5_0000 + index)
                guard let wire = DailyStoryClient.wireContact(contact, dsID: dsID, definitions: []) else { continue }
                seeds.append(try EmulatorJSON(parsing: Data(wire.canonicalText.utf8)))
                try writer.write(contact, accountName: "marketing", remote: RemoteReference(id: dsID, modifiedAt: nil))
            }
            try writer.finish()
            try handle.close()
            try emulator.webUI.seed(seeds)
            let imported = try Child.run([rolo, "import", "--db", cache, file])
            guard imported.status == 0 else { throw BenchFailure("rolo import failed: \(imported.errors.suffix(2000))") }
        }
        try blocking { try await emulator.start() }
        defer { blocking { await emulator.stop() } }
        print(String(format: "DailyStory emulator on %@ with %d contacts, all known to the cache",
                     emulator.baseURL.absoluteString as NSString, emulator.store.count))
        try PrivateFiles.write(emulator.token + "\n", to: "\(directory)/dailystory-bench.token")
        let configs = try [4, 1].map { inFlight in
            let path = "\(directory)/sync-dailystory-\(inFlight)-in-flight.toml"
            try PrivateFiles.write("""
                [accounts.marketing]
                provider = "dailystory"
                base_url = "\(emulator.baseURL.absoluteString)"
                allow_plain_http = true
                token_file = "\(directory)/dailystory-bench.token"
                requests_in_flight = \(inFlight)

                """, to: path)
            return path
        }
        // One round without latency, so the cache holds what the emulator serves (the values
        // DailyStory fills in itself) and the timed rounds only read.
        let runs = (refreshed + 1999) / 2000
        for _ in 0..<runs { _ = try sync(cache, configs[0]) }
        emulator.inject(.latency(milliseconds: latency), count: Int.max)
        defer { emulator.clearFaults() }
        var seconds: [Double] = []
        for (round, path) in configs.enumerated() {
            var total = 0.0, user = 0.0, system = 0.0
            for _ in 0..<runs {
                let outcome = try sync(cache, path)
                total += outcome.seconds
                user += outcome.user
                system += outcome.system
            }
            seconds.append(total)
            print(String(format: "rolo sync, DailyStory refresh of %@ known contacts (%d runs), %d in flight (%d ms a request)  %6.1f s  CPU %.1f s user + %.1f s sys",
                         refreshed.formatted() as NSString, runs, round == 0 ? 4 : 1, latency, total, user, system))
        }
        print(String(format: "  4 requests in flight refresh %.1f× faster than 1", seconds[1] / seconds[0]))
    }

    // MARK: - Running rolo

    func sync(_ cache: String, _ config: String) throws -> Child.Outcome {
        let outcome = try Child.run([rolo, "sync", "--db", cache, "--config", config])
        guard outcome.status == 0 else {
            throw BenchFailure("rolo sync failed (exit \(outcome.status)): \(outcome.errors.suffix(2000))")
        }
        return outcome
    }
}

/// Runs async work (the emulators' start and stop) from this synchronous program, whose main
/// thread then waits in `poll` for rolo while the emulators answer on Swift's own threads.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// `try #require` for a program, not a test.
func require<T>(_ value: T?, _ what: String = "a value") throws -> T {
    guard let value else { throw BenchFailure("missing \(what)") }
    return value
}
