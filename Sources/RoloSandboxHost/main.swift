import Foundation
import RoloEmulators
import RoloSandboxWire

// rolo-emulators: the providers' emulators for `rolo sandbox`, in a process of their own.
//
// Reads one SandboxWire.Request line on stdin, starts the emulators it asks for on 127.0.0.1,
// answers one SandboxWire.Ready line on stdout, and serves until stdin closes (rolo ended, in
// whatever way) or SIGINT / SIGTERM. Errors go to stderr, with exit status 1.

/// A running emulator, and how a colleague changes one of its contacts.
struct Served {
    let emulator: any LoopbackEmulator
    let server: SandboxWire.Server
    let colleagueEdit: @Sendable (Int) -> Void
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("rolo-emulators: \(message)\n".utf8))
    exit(1)
}

/// The first line of stdin; the rest of stdin stays open as rolo's lifeline.
func readRequestLine() -> Data {
    var line = Data()
    var byte: UInt8 = 0
    while read(STDIN_FILENO, &byte, 1) == 1 {
        if byte == UInt8(ascii: "\n") { return line }
        line.append(byte)
    }
    fail("no request on stdin (this program is started by rolo sandbox)")
}

func seeds(_ texts: [String], of provider: String) -> [EmulatorJSON] {
    texts.enumerated().map { index, text in
        do { return try EmulatorJSON(parsing: Data(text.utf8)) } catch {
            fail("contact \(index + 1) for the \(provider) emulator is not JSON: \(error)")
        }
    }
}

/// Starts a seeded emulator and says how to reach it.
func serve(_ emulator: any LoopbackEmulator, provider: String, count: Int, secrets: [String: String],
           settings: [String: String] = [:], colleagueEdit: @escaping @Sendable (Int) -> Void) async throws -> Served {
    try await emulator.start()
    return Served(emulator: emulator,
                  server: .init(provider: provider, baseURL: emulator.baseURL.absoluteString, count: count, secrets: secrets,
                                settings: settings),
                  colleagueEdit: colleagueEdit)
}

func start(_ request: SandboxWire.Request) async throws -> [Served] {
    var served: [Served] = []
    let port = { (offset: UInt16) -> UInt16 in request.firstPort == 0 ? 0 : request.firstPort + offset }
    if let notifuse = request.notifuse {
        let emulator = NotifuseEmulator(options: .init(port: port(0), workspaceID: notifuse.workspaceID))
        try emulator.webUI.seed(seeds(notifuse.contacts, of: "Notifuse"))
        served.append(try await serve(emulator, provider: "notifuse", count: emulator.store.count,
                                      secrets: ["token": emulator.apiToken], settings: ["workspace_id": notifuse.workspaceID]) { turn in
            let contacts = emulator.store.allContacts()
            guard !contacts.isEmpty, let email = contacts[(turn * 7919) % contacts.count]["email"]?.stringValue else { return }
            let titles = ["Account Manager", "Head of Support", "Operations Lead", "Founder", "Customer Success"]
            try? emulator.webUI.upsert(["email": .string(email), "job_title": .string(titles[turn % titles.count])])
        })
    }
    if let dailyStory = request.dailyStory {
        let emulator = DailyStoryEmulator(options: .init(port: port(1)))
        try emulator.webUI.seed(seeds(dailyStory.contacts, of: "DailyStory"))
        served.append(try await serve(emulator, provider: "dailystory", count: emulator.store.count,
                                      secrets: ["token": emulator.token]) { turn in
            let contacts = emulator.store.allContacts()
            guard !contacts.isEmpty, let id = contacts[(turn * 7919) % contacts.count]["dsId"]?.stringValue else { return }
            let cities = ["Austin", "Denver", "Boston", "Seattle", "Chicago"]
            try? emulator.webUI.update(dsId: id, ["city": .string(cities[turn % cities.count])])
        })
    }
    if let ivvy = request.ivvy {
        let fields = ivvy.customFields.compactMap { field -> IVVYCustomFieldDefinition? in
            guard let type = IVVYCustomFieldDefinition.FieldType(rawValue: field.typeCode) else { return nil }
            return IVVYCustomFieldDefinition(fieldId: field.fieldID, fieldType: type, displayName: field.displayName,
                                             isRequired: field.isRequired, sortOrder: field.fieldID, selectValues: field.selectValues)
        }
        let contacts = seeds(ivvy.contacts, of: "iVvy")
        // The companies and subscription groups the contacts belong to exist in the account.
        var companies: [Int: String] = [:]
        var groups: Set<Int> = []
        for contact in contacts {
            for company in contact["companies"]?.arrayValue ?? [] { if let id = company.wholeNumber { companies[id] = "Company \(id)" } }
            for group in contact["groups"]?.arrayValue ?? [] { if let id = group["groupId"]?.wholeNumber { groups.insert(id) } }
        }
        let emulator = IVVYEmulator(options: .init(port: port(2), customFields: fields,
                                                   subscriptionGroups: groups.sorted().map { IVVYSubscriptionGroup(id: $0, groupName: "Group \($0)") },
                                                   companies: companies))
        try emulator.webUI.seed(contacts)
        served.append(try await serve(emulator, provider: "ivvy", count: emulator.store.count,
                                      secrets: ["key": emulator.apiKey, "secret": emulator.apiSecret]) { turn in
            let contacts = emulator.store.allContacts()
            guard !contacts.isEmpty, let id = contacts[(turn * 7919) % contacts.count]["id"]?.wholeNumber else { return }
            let phones = ["+61491570110", "+61491570111", "+61491570112", "+61491570113"]
            try? emulator.webUI.update(id: id, ["phone": .string(phones[turn % phones.count])])
        })
    }
    return served
}

/// Stops the emulators and ends the process.
func stopAndExit(_ served: [Served]) -> Never {
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        for item in served { await item.emulator.stop() }
        done.signal()
    }
    _ = done.wait(timeout: .now() + 5)
    exit(0)
}

let request: SandboxWire.Request
do { request = try SandboxWire.read(SandboxWire.Request.self, from: readRequestLine()) } catch {
    fail("the request is not understood: \(error)")
}
let started = DispatchSemaphore(value: 0)
nonisolated(unsafe) var outcome: Result<[Served], any Error> = .success([])
Task.detached {
    do { outcome = .success(try await start(request)) } catch { outcome = .failure(error) }
    started.signal()
}
started.wait()
let served: [Served]
switch outcome {
case .success(let running): served = running
case .failure(let error): fail("cannot start the emulators: \(error)")
}
do { FileHandle.standardOutput.write(try SandboxWire.line(SandboxWire.Ready(servers: served.map(\.server)))) } catch {
    fail("cannot answer: \(error)")
}

if let seconds = request.colleagueSeconds {
    Task.detached {
        var turn = 0
        while true {
            try? await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000)
            turn += 1
            for item in served { item.colleagueEdit(turn) }
        }
    }
}

// rolo holds stdin open for as long as it runs: its end, however it came, ends the servers.
let lifeline = Thread {
    var byte: UInt8 = 0
    while read(STDIN_FILENO, &byte, 1) == 1 {}
    stopAndExit(served)
}
lifeline.start()

signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
let signalQueue = DispatchQueue(label: "rolo-emulators.signals")
let signalSources = [SIGINT, SIGTERM].map { number in
    let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
    source.setEventHandler { stopAndExit(served) }
    source.resume()
    return source
}
withExtendedLifetime(signalSources) { dispatchMain() }
