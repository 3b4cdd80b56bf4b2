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
    /// Every contact the provider holds (not deleted ones), as its web UI lists them: what a
    /// test compares with rolo's side and checks for duplicates.
    func serverContacts() -> [ServerContact]
    /// What rolo's config needs to reach this emulator.
    var connection: HarnessConnection { get }
    /// The path of the provider's endpoint for a kind of call, for aiming faults.
    func path(_ call: HarnessCall) -> String
    func inject(_ fault: EmulatorFault, count: Int, call: HarnessCall?)
    func clearFaults()
    /// How many requests the emulator has received (as they arrive, before any is answered)
    /// since it started or since `clearRequests()`: a test can act at a given point of a sync.
    var requestsReceived: Int { get }
    func clearRequests()
    func stop() async
}

public enum HarnessCall: String, CaseIterable, Sendable { case list, read, write, delete }

/// One contact as the provider holds it: its id there and its email.
public struct ServerContact: Sendable, Hashable {
    public let remoteID: String
    public let email: String?
    public init(remoteID: String, email: String?) {
        self.remoteID = remoteID
        self.email = email
    }
}

/// An account of rolo's config pointing at a harness's emulator, in the config's own words
/// (as `rolo sandbox` writes them): the provider's identifier, the base URL, plain settings,
/// and the secrets by role (each goes to a 0600 file named by `<role>_file`).
public struct HarnessConnection: Sendable {
    public let provider: String
    public let baseURL: URL
    public let settings: [String: String]
    public let secrets: [String: String]
}

/// How to start one provider's harness, named for the test report.
public struct HarnessMaker: Sendable, CustomStringConvertible {
    public let description: String
    let make: @Sendable (EmulatorClock?) async throws -> any ProviderHarness

    /// The harness, its emulator on the real time.
    public func start() async throws -> any ProviderHarness { try await make(nil) }
    /// The harness, its emulator stamping changes with `clock`'s time.
    public func start(clock: @escaping EmulatorClock) async throws -> any ProviderHarness { try await make(clock) }

    public static let notifuse = HarnessMaker(description: "Notifuse") { try await NotifuseHarness.start(clock: $0) }
    public static let dailystory = HarnessMaker(description: "DailyStory") { try await DailyStoryHarness.start(clock: $0) }
    public static let ivvy = HarnessMaker(description: "iVvy") { try await IvvyHarness.start(clock: $0) }
    public static let all: [HarnessMaker] = [.notifuse, .dailystory, .ivvy]
}

/// A small, fast, seeded random source (SplitMix64), so a failing seed can be replayed.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
