import Foundation
import RoloCore
import RoloEmulators
import RoloProviders

/// iVvy: contacts by integer id; listing with a modified-since filter; no delete in the API;
/// every call signed.
public final class IvvyHarness: ProviderHarness {
    public let emulator: IVVYEmulator
    public let profile = IvvyProfile.profile
    public let definitions: [FieldDefinition] = []
    public let fieldA = StandardField.phone
    public let fieldB = StandardField.firstName

    /// `clock`: the emulator's time (its stamps), the real time when nil; `configure` sets the
    /// emulator's other options (a reading of what the docs leave UNKNOWN).
    public static func start(clock: EmulatorClock? = nil,
                             configure: (inout IVVYEmulator.Options) -> Void = { _ in }) async throws -> IvvyHarness {
        var options = IVVYEmulator.Options()
        if let clock { options.clock = clock }
        configure(&options)
        let harness = IvvyHarness(emulator: IVVYEmulator(options: options))
        try await harness.emulator.start()
        return harness
    }

    private init(emulator: IVVYEmulator) { self.emulator = emulator }

    public func provider(timeout: Double) -> any ContactProvider {
        IvvyClient(baseURL: emulator.baseURL, key: emulator.apiKey, secret: emulator.apiSecret,
                   transport: CurlTransport(timeout: timeout, userAgent: "rolo-conformance"))
    }

    /// iVvy adds a contact only with a first name, a last name and an email.
    public func required(_ fields: [StandardField: String]) -> [StandardField: String] {
        var all = fields
        if all[.firstName] == nil { all[.firstName] = "Pat" }
        if all[.lastName] == nil { all[.lastName] = "Doe" }
        return all
    }

    static let names: [StandardField: String] = [.firstName: "firstName", .lastName: "lastName", .email: "email", .phone: "phone"]

    func json(_ fields: [StandardField: String]) -> EmulatorJSON {
        var object: [String: EmulatorJSON] = [:]
        for (field, value) in fields { if let name = IvvyHarness.names[field] { object[name] = .string(value) } }
        return .object(object)
    }

    public func serverCreate(_ fields: [StandardField: String]) throws -> String { String(try emulator.webUI.add(json(fields))) }
    public func serverEdit(_ remoteID: String, _ fields: [StandardField: String]) throws {
        try emulator.webUI.update(id: Int(remoteID)!, json(fields))
    }
    public func serverDelete(_ remoteID: String) throws { emulator.webUI.delete(id: Int(remoteID)!) }

    public func serverValue(_ remoteID: String, _ field: StandardField) -> String? {
        guard let name = IvvyHarness.names[field], let value = emulator.store.contact(id: Int(remoteID)!)?[name] else { return nil }
        return value.stringValue ?? value.numberValue.map { String(Int($0)) }
    }

    public func serverCount() -> Int { emulator.store.count }

    public func serverContacts() -> [ServerContact] {
        emulator.store.allContacts().compactMap { contact in
            contact["id"]?.wholeNumber.map { ServerContact(remoteID: String($0), email: contact["email"]?.stringValue) }
        }
    }

    public var connection: HarnessConnection {
        HarnessConnection(provider: "ivvy", baseURL: emulator.baseURL, settings: [:],
                          secrets: ["key": emulator.apiKey, "secret": emulator.apiSecret])
    }

    public func path(_ call: HarnessCall) -> String {
        switch call {
        case .list: "/api/1.0/contact?action=getContactList"
        case .read: "/api/1.0/contact?action=getContact"
        case .write, .delete: "/api/1.0/contact?action=addOrUpdateContact"
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
