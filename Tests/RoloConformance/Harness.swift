import Foundation
import RoloCore
import RoloEmulators
import RoloProviders

/// One provider's adapter against its emulator, as the conformance suite drives it: the
/// adapter over real HTTP on loopback, and the provider's side reached directly, as a
/// colleague in its web UI would.
public protocol ProviderHarness: Sendable {
    var profile: ProviderProfile { get }
    /// Custom fields of the account (mapped to the provider's slots or ids).
    var definitions: [FieldDefinition] { get }
    /// The adapter, over a live transport that gives up after `timeout` seconds.
    func provider(timeout: Double) -> any ContactProvider
    /// Fields every contact this provider accepts must have, added to the test's.
    func required(_ fields: [StandardField: String]) -> [StandardField: String]
    /// Two fields the provider stores that the tests change: one here, one there.
    var fieldA: StandardField { get }
    var fieldB: StandardField { get }
    /// Creates a contact on the provider's side; returns its remote id.
    func serverCreate(_ fields: [StandardField: String]) throws -> String
    func serverEdit(_ remoteID: String, _ fields: [StandardField: String]) throws
    func serverDelete(_ remoteID: String) throws
    /// A standard field as the provider holds it (nil: no such contact, or no value).
    func serverValue(_ remoteID: String, _ field: StandardField) -> String?
    /// How many contacts the provider holds (not counting deleted ones).
    func serverCount() -> Int
    /// The path of the provider's endpoint for a kind of call, for aiming faults.
    func path(_ call: HarnessCall) -> String
    func inject(_ fault: EmulatorFault, count: Int, call: HarnessCall?)
    func clearFaults()
    func stop() async
}

public enum HarnessCall: String, CaseIterable, Sendable { case list, read, write, delete }

extension ProviderHarness {
    /// The adapter with a timeout no load on this machine reaches.
    public func provider() -> any ContactProvider { provider(timeout: 60) }

    public func inject(_ fault: EmulatorFault, count: Int = 1, call: HarnessCall? = nil) { inject(fault, count: count, call: call) }
}

/// How long a `.latency` fault holds a reply in these tests: far beyond the short timeout a
/// test gives the adapter to see a timeout, so the outcome never depends on this machine's speed.
public let longLatency = EmulatorFault.latency(milliseconds: 10_000)

/// The adapter's timeout when a test wants to see one.
public let shortTimeout = 1.0
