import Foundation
import RoloCore
import RoloEmulators
import RoloProviders

/// DailyStory: contacts by dsId; no listing; deletes move a contact to the trash.
public final class DailyStoryHarness: ProviderHarness {
    public let emulator: DailyStoryEmulator
    public let profile = DailyStoryProfile.profile
    public let definitions: [FieldDefinition] = []
    public let fieldA = StandardField.jobTitle
    public let fieldB = StandardField.country

    /// `clock`: the emulator's time (its stamps), the real time when nil.
    public static func start(clock: EmulatorClock? = nil) async throws -> DailyStoryHarness {
        // What a create does with an email DailyStory already has is UNKNOWN (PROVIDERS.md
        // §1.5): the harness takes the reading that punishes a create sent twice — another
        // contact — so only rolo's find-before-resending can keep a contact single.
        let harness = DailyStoryHarness(emulator: DailyStoryEmulator(options: .init(clock: clock ?? { Date() }, createWithoutID: .alwaysCreate)))
        try await harness.emulator.start()
        return harness
    }

    private init(emulator: DailyStoryEmulator) { self.emulator = emulator }

    public func provider(timeout: Double) -> any ContactProvider {
        DailyStoryClient(baseURL: emulator.baseURL, token: emulator.token, definitions: definitions,
                         transport: CurlTransport(timeout: timeout, userAgent: "rolo-conformance"))
    }

    public func required(_ fields: [StandardField: String]) -> [StandardField: String] { fields }

    static let names: [StandardField: String] = [.firstName: "firstName", .lastName: "lastName", .jobTitle: "title",
                                                 .country: "country", .email: "email", .phone: "phone"]

    func json(_ fields: [StandardField: String]) -> EmulatorJSON {
        var object: [String: EmulatorJSON] = [:]
        for (field, value) in fields { object[DailyStoryHarness.names[field]!] = .string(value) }
        return .object(object)
    }

    public func serverCreate(_ fields: [StandardField: String]) throws -> String { try emulator.webUI.create(json(fields)) }
    public func serverEdit(_ remoteID: String, _ fields: [StandardField: String]) throws {
        try emulator.webUI.update(dsId: remoteID, json(fields))
    }
    public func serverDelete(_ remoteID: String) throws { emulator.webUI.delete(dsId: remoteID) }

    public func serverValue(_ remoteID: String, _ field: StandardField) -> String? {
        emulator.store.contact(dsId: remoteID)?[DailyStoryHarness.names[field]!]?.stringValue
    }

    /// Contacts not in the trash.
    public func serverCount() -> Int { live().count }

    public func serverContacts() -> [ServerContact] {
        live().compactMap { contact in
            contact["dsId"]?.stringValue.map { ServerContact(remoteID: $0, email: contact["email"]?.stringValue) }
        }
    }

    /// Every contact but those in the trash (status Deleted, or 100 in the numeric encoding).
    private func live() -> [EmulatorJSON] {
        emulator.store.allContacts().filter { contact in
            let status = contact["status"]
            return status?.stringValue != "Deleted" && status?.numberValue != 100
        }
    }

    public var connection: HarnessConnection {
        HarnessConnection(provider: "dailystory", baseURL: emulator.baseURL, settings: [:], secrets: ["token": emulator.token])
    }

    public func path(_ call: HarnessCall) -> String {
        switch call {
        case .list, .read: "/api/v1/contact"
        case .write: "/api/v1/contact"
        case .delete: "/api/v1/contact"
        }
    }

    public func inject(_ fault: EmulatorFault, count: Int, call: HarnessCall?) {
        // Reads and deletes carry the dsId in their path, so a fault aimed at them hits the
        // next contact call of any kind. Writes (and look-ups by email or mobile) share one
        // path without an id: a fault aimed at them hits only those.
        emulator.inject(fault, count: count, path: call == .write ? "/api/v1/contact" : nil)
    }

    public func clearFaults() { emulator.clearFaults() }
    public var requestsReceived: Int { emulator.requests.count }
    public func clearRequests() { emulator.clearRequests() }
    public func stop() async { await emulator.stop() }
}
