import Foundation
import RoloCore
import RoloEmulators
import RoloProviders

/// Notifuse: email is the key; listing is a cursor scan; deletes are hard.
public final class NotifuseHarness: ProviderHarness {
    public let emulator: NotifuseEmulator
    public let profile = NotifuseProfile.profile
    public let definitions = [FieldDefinition(key: "plan", label: "Plan", type: .text, maxLength: 255, providerRef: "custom_string_1")]

    /// `clock`: the emulator's time (its stamps), the real time when nil.
    public static func start(clock: EmulatorClock? = nil) async throws -> NotifuseHarness {
        let harness = NotifuseHarness(emulator: clock.map { NotifuseEmulator(options: .init(clock: $0)) } ?? NotifuseEmulator())
        try await harness.emulator.start()
        return harness
    }

    private init(emulator: NotifuseEmulator) { self.emulator = emulator }

    public func provider(timeout: Double) -> any ContactProvider {
        NotifuseClient(baseURL: emulator.baseURL, workspaceID: emulator.workspaceID, token: emulator.apiToken,
                       definitions: definitions, transport: CurlTransport(timeout: timeout, userAgent: "rolo-conformance"))
    }

    public func required(_ fields: [StandardField: String]) -> [StandardField: String] { fields }
    public let fieldA = StandardField.jobTitle
    public let fieldB = StandardField.country

    static let names: [StandardField: String] = [.firstName: "first_name", .lastName: "last_name", .jobTitle: "job_title",
                                                 .country: "country", .email: "email", .phone: "phone"]

    func json(_ fields: [StandardField: String]) -> EmulatorJSON {
        var object: [String: EmulatorJSON] = [:]
        for (field, value) in fields { object[NotifuseHarness.names[field]!] = .string(value) }
        return .object(object)
    }

    public func serverCreate(_ fields: [StandardField: String]) throws -> String {
        try emulator.webUI.upsert(json(fields))
        return fields[.email]!.lowercased()
    }

    public func serverEdit(_ remoteID: String, _ fields: [StandardField: String]) throws {
        var all = fields
        all[.email] = remoteID
        try emulator.webUI.upsert(json(all))
    }

    public func serverDelete(_ remoteID: String) throws { emulator.webUI.delete(email: remoteID) }

    public func serverValue(_ remoteID: String, _ field: StandardField) -> String? {
        emulator.store.contact(email: remoteID)?[NotifuseHarness.names[field]!]?.stringValue
    }

    public func serverCount() -> Int { emulator.store.count }

    public func serverContacts() -> [ServerContact] {
        emulator.store.allContacts().compactMap { contact in
            contact["email"]?.stringValue.map { ServerContact(remoteID: $0, email: $0) }
        }
    }

    public var connection: HarnessConnection {
        HarnessConnection(provider: "notifuse", baseURL: emulator.baseURL, settings: ["workspace_id": emulator.workspaceID],
                          secrets: ["token": emulator.apiToken])
    }

    public func path(_ call: HarnessCall) -> String {
        switch call {
        case .list: "/api/contacts.list"
        case .read: "/api/contacts.getByEmail"
        case .write: "/api/contacts.upsert"
        case .delete: "/api/contacts.delete"
        }
    }

    public func inject(_ fault: EmulatorFault, count: Int, call: HarnessCall?) {
        emulator.inject(fault, count: count, path: call.map(path))
    }

    public func clearFaults() { emulator.clearFaults() }
    public var requestsReceived: Int { emulator.requests.count }
    public func clearRequests() { emulator.clearRequests() }
    public func stop() async { await emulator.stop() }
}
