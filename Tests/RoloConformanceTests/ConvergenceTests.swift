import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// The seeded randomised convergence test of the sync issue, through each real adapter over
/// HTTP against its emulator (the planner alone is covered faster against `FakeProvider` in
/// RoloSyncTests). Random edits here (rolo's editor), random edits there (as a colleague in the
/// provider's web UI), random faults of the emulator before random runs; then the sync settles
/// and both sides must agree, with no edit lost, no contact twice, and no conflict that both
/// sides did not make. One case at a time: the network tests share one process, and two dozen
/// emulators with their HTTP sessions at once would only crowd the others.
@Suite("Sync through each adapter: random edits on both sides and faults converge", .serialized)
struct ProviderConvergenceTests {
    static let seeds: [UInt64] = Array(1...8)
    static let rounds = 10
    /// Every fault that answers at once (a latency fault needs a short timeout, and the fault
    /// matrix covers it).
    static let faults: [EmulatorFault] = [
        .status(429, retryAfter: 0), .status(500), .status(503), .dropConnection, .dropAfterApplying, .malformedBody,
    ]

    @Test(arguments: HarnessMaker.all, seeds)
    func randomEditsAndFaultsSettleWithBothSidesEqual(_ maker: HarnessMaker, seed: UInt64) async throws {
        let harness = try await maker.start()
        let world = try ConvergenceWorld(harness, label: "\(maker) seed \(seed)")
        var random = SeededRandom(seed: seed)
        try await world.seed(count: 8)

        for _ in 0..<ProviderConvergenceTests.rounds {
            for _ in 0..<Int.random(in: 1...4, using: &random) { try world.editHere(&random) }
            for _ in 0..<Int.random(in: 0...3, using: &random) { try world.editThere(&random) }
            if Bool.random(using: &random) {
                // Writes half the time: a lost reply to a create or an update is where a
                // sync most easily makes a contact twice or loses an edit.
                let call = Bool.random(using: &random) ? .write : HarnessCall.allCases.randomElement(using: &random)!
                let fault = ProviderConvergenceTests.faults.randomElement(using: &random)!
                harness.inject(fault, count: Int.random(in: 1...6, using: &random), call: call)
            }
            try await world.run()
            harness.clearFaults()
        }

        try await world.settle(&random)
        try world.checkBothSidesAgree()
        await harness.stop()
    }
}

/// One account of a provider synced through its adapter, the edits made on both sides, and
/// the oracle: the value each field must end with unless both sides touched it.
final class ConvergenceWorld {
    let harness: any ProviderHarness
    let cache: ConformanceCache
    let label: String
    var fields: [StandardField] { [harness.fieldA, harness.fieldB] }
    /// By email (never changed: Notifuse keys contacts by it): the last value each field was
    /// given, on either side (nil: cleared).
    var expected: [String: [StandardField: String?]] = [:]
    /// Fields found in conflict ("email field"): either side may win, by the user's choice.
    var contestedFields: Set<String> = []
    /// Contacts found in conflict over a delete, or deleted on a side: either side may win.
    var contested: Set<String> = []
    /// The conflicts after the last run: only a new one is weighed.
    var conflicts: Set<String> = []
    /// Contacts deleted here (a provider that cannot delete keeps them) and there.
    var deletedHere: Set<String> = []
    var deletedThere: Set<String> = []
    /// What changed on each side since the two sides last agreed on the contact: fields as
    /// "email field", and contacts by email. Only a change on both sides can be a conflict.
    var changedHere: Set<String> = []
    var changedThere: Set<String> = []
    var created = 0

    init(_ harness: any ProviderHarness, label: String) throws {
        self.harness = harness
        self.label = label
        // Now and then a POST that follows refused or dropped ones waits out the adapter's whole
        // timeout instead of being answered (FoundationNetworking against the emulators: 2-4
        // times a run of this suite, 60 s each with the default). 10 s bounds that and is still
        // far above any answer here; a request that times out is retried like any other.
        cache = try ConformanceCache(harness, timeout: 10)
    }

    var services: RoloServices { cache.services }

    func person(_ email: String, _ extra: [StandardField: String]) -> [StandardField: String] {
        var fields = extra
        fields[.email] = email
        return harness.required(fields)
    }

    func value(_ field: StandardField, _ random: inout SeededRandom) -> String {
        sample(field, Int.random(in: 0..<6, using: &random))
    }

    /// Contacts at the provider, with rolo's contacts linked from the start (DailyStory cannot
    /// list them: they come in as an import of a CSV export would bring them, with their ids).
    func seed(count: Int) async throws {
        for index in 0..<count {
            let email = "c\(index)@example.com"
            let fields = person(email, [harness.fieldB: sample(harness.fieldB, index)])
            let remoteID = try harness.serverCreate(fields)
            expected[email] = [harness.fieldB: sample(harness.fieldB, index)]
            if harness.profile.capabilities.listing == .none {
                try services.cache.insertContacts([Contact(accountID: cache.account.id, fields: fields)],
                                                  remotes: [RemoteReference(id: remoteID, modifiedAt: nil)],
                                                  author: Author(user: "import", clientAddress: nil))
            }
        }
        let first = try await cache.run()
        #expect(first.isClean, "\(label): \(first.summary)")
    }

    /// The live contacts here.
    func localContacts() throws -> [(id: ContactID, contact: Contact)] {
        try services.reader.window(in: .account(cache.account.id), limit: 10_000).rows.map { row in
            (row.id, try services.reader.contact(row.id))
        }
    }

    func email(of id: ContactID) throws -> String {
        guard let state = try services.cache.syncState(of: id), let email = state.contact.email else {
            throw RoloError.notFound("\(label): \(id.shortID) is gone")
        }
        return email.lowercased()
    }

    /// One edit as a person makes it in rolo: set or clear a field, add a contact, delete one.
    /// An edit the editor refuses (clearing a field the provider requires) is not made.
    func editHere(_ random: inout SeededRandom) throws {
        let local = try localContacts()
        switch Int.random(in: 0..<10, using: &random) {
        case 0...5 where !local.isEmpty:
            let (id, contact) = local.randomElement(using: &random)!
            let field = fields.randomElement(using: &random)!
            let text = Int.random(in: 0..<5, using: &random) == 0 ? "" : value(field, &random)
            guard let outcome = try? services.editor.update(id, assignments: [try FieldAssignment(parsing: "\(field.key)=\(text)")])
            else { return }
            let key = contact.email!.lowercased()
            for delta in outcome.deltas {
                guard case .standard(let changed) = delta.key else { continue }
                expected[key, default: [:]][changed] = .some(delta.after?.displayText)
                changedHere.formUnion([key, "\(key) \(changed.key)"])
            }
        case 6...7:
            created += 1
            let email = "n\(created)@example.com"
            var values: [StandardField: String] = [:]
            for field in fields where Bool.random(using: &random) { values[field] = value(field, &random) }
            let assignments = try person(email, values).map { try FieldAssignment(parsing: "\($0.key.key)=\($0.value)") }
            _ = try services.editor.add(assignments, to: cache.account)
            expected[email] = values.mapValues { .some($0) }
        case 8 where !local.isEmpty:
            let (id, contact) = local.randomElement(using: &random)!
            let key = contact.email!.lowercased()
            try services.editor.delete(id)
            contested.insert(key)
            deletedHere.insert(key)
            changedHere.insert(key)
        default:
            break
        }
    }

    /// One change at the provider, as a colleague makes it in its web UI: edit a field, delete a
    /// contact, add one (not where rolo could never discover it).
    func editThere(_ random: inout SeededRandom) throws {
        let remote = harness.serverContacts().filter { $0.email != nil }
        switch Int.random(in: 0..<6, using: &random) {
        case 0...3 where !remote.isEmpty:
            let contact = remote.randomElement(using: &random)!
            let field = fields.randomElement(using: &random)!
            let text = value(field, &random)
            // Setting the value a field already has changes nothing a sync could see.
            guard harness.serverValue(contact.remoteID, field) != text else { return }
            try harness.serverEdit(contact.remoteID, [field: text])
            let key = contact.email!.lowercased()
            expected[key, default: [:]][field] = .some(text)
            changedThere.formUnion([key, "\(key) \(field.key)"])
        case 4 where harness.profile.capabilities.listing != .none:
            created += 1
            let email = "r\(created)@example.com"
            let text = value(harness.fieldA, &random)
            _ = try harness.serverCreate(person(email, [harness.fieldA: text]))
            expected[email] = [harness.fieldA: text]
        case 5 where !remote.isEmpty:
            let contact = remote.randomElement(using: &random)!
            let key = contact.email!.lowercased()
            try harness.serverDelete(contact.remoteID)
            contested.insert(key)
            deletedThere.insert(key)
            changedThere.insert(key)
        default:
            break
        }
    }

    /// A sync run. A conflict it finds must be one both sides made since they last agreed;
    /// it is the user's to decide, so the oracle lets that field (or contact) go.
    func run(_ options: SyncOptions = SyncOptions()) async throws {
        let report = try await cache.run(options)
        var now: Set<String> = []
        for conflicted in try cache.sync.conflicts(in: .all) {
            let key = try email(of: conflicted.contactID)
            for conflict in conflicted.conflicts {
                let name: String
                let madeByBoth: Bool
                switch conflict.kind {
                case .field:
                    guard case .standard(let field)? = conflict.key else { continue }
                    name = "\(key) \(field.key)"
                    contestedFields.insert(name)
                    madeByBoth = changedHere.contains(name) && changedThere.contains(name)
                case .remoteDeleted:
                    name = "\(key) deleted there"
                    contested.insert(key)
                    madeByBoth = deletedThere.contains(key) && changedHere.contains(key)
                case .localDeleted:
                    // A provider that cannot delete keeps the contact: changed there any time
                    // after, it asks again.
                    name = "\(key) deleted here"
                    contested.insert(key)
                    madeByBoth = deletedHere.contains(key) && changedThere.contains(key)
                }
                now.insert(name)
                if !conflicts.contains(name) {
                    #expect(madeByBoth, "\(label): \(name) is a conflict, but only one side changed it since they last agreed")
                }
            }
        }
        conflicts = now
        // A run that read everything the provider has (as far as it can tell) leaves each
        // contact with nothing waiting and no conflict agreeing on both sides: its changes are
        // behind it.
        if report.stopped == nil, report.listingComplete, report.heldDeletions == 0 {
            var unsettled = Set<String>()
            for entry in try services.reader.outbox(in: .all) { unsettled.insert(try email(of: entry.contactID)) }
            for conflicted in try cache.sync.conflicts(in: .all) { unsettled.insert(try email(of: conflicted.contactID)) }
            let stillOpen = { (name: String) in unsettled.contains(String(name.prefix { $0 != " " })) }
            changedHere = changedHere.filter(stillOpen)
            changedThere = changedThere.filter(stillOpen)
        }
    }

    /// Faults gone, every conflict decided one way or the other, failed deliveries retried,
    /// and a few runs with a full listing (iVvy finds deletes only so) to let it all through.
    func settle(_ random: inout SeededRandom) async throws {
        harness.clearFaults()
        let options = SyncOptions(allowDeletes: true, fullListing: true)
        for _ in 0..<3 {
            try await run(options)
            for conflicted in try cache.sync.conflicts(in: .all) {
                try cache.sync.resolve(conflicted.contactID, fields: [:], all: Bool.random(using: &random) ? .mine : .theirs)
            }
            for entry in try services.reader.outbox(in: .all) where entry.state == .failed { try cache.sync.retry(entry.contactID) }
        }
        try await run(options)
        try await run(options)
    }

    func checkBothSidesAgree() throws {
        #expect(try cache.sync.conflicts(in: .all).isEmpty, "\(label): conflicts left")
        let waiting = try services.reader.outbox(in: .all)
        #expect(waiting.isEmpty, "\(label): everything was sent: \(waiting.map { "\($0.kind) \($0.state) \($0.lastError ?? "")" })")

        var local: [String: (remoteID: String?, contact: Contact)] = [:]
        for (id, contact) in try localContacts() {
            let key = contact.email!.lowercased()
            #expect(local[key] == nil, "\(label): \(key) twice here")
            local[key] = (try services.cache.syncState(of: id)?.remoteID, contact)
        }
        var remote: [String: String] = [:]
        for contact in harness.serverContacts() {
            let key = contact.email?.lowercased() ?? "(no email) \(contact.remoteID)"
            #expect(remote[key] == nil, "\(label): \(key) twice at the provider")
            remote[key] = contact.remoteID
        }
        // A provider that cannot delete keeps what was deleted here; every other contact is on
        // both sides, and each is linked to the provider's own.
        let onlyThere = Set(remote.keys).subtracting(local.keys)
        let onlyHere = Set(local.keys).subtracting(remote.keys)
        #expect(onlyHere.isEmpty, "\(label): only here: \(onlyHere.sorted())")
        if harness.profile.capabilities.delete == .unsupported {
            #expect(onlyThere.isSubset(of: deletedHere), "\(label): only at the provider: \(onlyThere.subtracting(deletedHere).sorted())")
        } else {
            #expect(onlyThere.isEmpty, "\(label): only at the provider: \(onlyThere.sorted())")
        }
        for (key, side) in local.sorted(by: { $0.key < $1.key }) {
            guard let remoteID = remote[key] else { continue }
            #expect(side.remoteID == remoteID, "\(label): \(key) is linked to \(side.remoteID ?? "nothing"), not to \(remoteID)")
            for field in fields {
                let here = side.contact[field].flatMap { $0.isEmpty ? nil : $0 }
                let there = harness.serverValue(remoteID, field).flatMap { $0.isEmpty ? nil : $0 }
                #expect(here == there, "\(label): \(key) \(field.key) is \(here ?? "empty") here, \(there ?? "empty") there")
                if !contested.contains(key), !contestedFields.contains("\(key) \(field.key)"), let wanted = expected[key]?[field] {
                    #expect(here == wanted, "\(label): \(key) \(field.key): \(wanted ?? "empty") was lost (it is \(here ?? "empty"))")
                }
            }
        }
    }
}
