import Foundation

/// One account's connection to its provider: an adapter (RoloProviders) maps rolo's contact
/// model to the provider's wire format and back over an HTTP transport. The sync engine talks
/// to providers only through this protocol, so it never asks which provider it has.
public protocol ContactProvider: Sendable {
    var profile: ProviderProfile { get }

    /// Reads the provider's custom-field definitions (iVvy) and starts mapping values with
    /// them; nil when the provider has none of its own (fields come from the config).
    func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]?

    /// One page of the account's contacts. `page` is nil for the first page and the last
    /// page's `next` afterwards; `modifiedSince` (only with `Listing.modifiedSince`) asks for
    /// contacts changed at or after that provider stamp.
    func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage

    /// One contact by its provider id; nil when the provider no longer has it.
    func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord?

    /// The contact a create of `contact` may already have made (a retried create whose reply
    /// was lost): found by the provider's natural key or the external id rolo sends.
    func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord?

    /// Sends changes, grouped as the provider allows (at most `capabilities.batchSize`
    /// should be given at once). Returns one outcome per change, in the order given; a change
    /// that failed does not stop the others.
    func push(_ changes: [OutgoingChange]) async -> [PushOutcome]
}

/// A contact as the provider has it, in rolo's model.
public struct RemoteRecord: Sendable, Hashable {
    /// The provider's id (DailyStory dsId, Notifuse email, iVvy id), as text.
    public let remoteID: String
    /// The provider's own "last modified" stamp as it wrote it, compared only for equality
    /// (and, for modified-since listing, handed back to the provider).
    public let modifiedAt: String?
    /// The fields the provider stores; `uid` is the external id rolo sent, when there is one.
    public let contact: Contact
    /// True when the provider marks it deleted but still returns it (DailyStory's soft delete).
    public let isDeleted: Bool
    /// The uid rolo sent when it wrote this contact, where the provider keeps it apart from
    /// `contact.uid` (Notifuse's external id, which other systems set too): how a contact whose
    /// key changed half-way (a Notifuse email change stopped between its two steps) is known.
    public let originUID: String?

    public init(remoteID: String, modifiedAt: String?, contact: Contact, isDeleted: Bool = false, originUID: String? = nil) {
        self.remoteID = remoteID
        self.modifiedAt = modifiedAt
        self.contact = contact
        self.isDeleted = isDeleted
        self.originUID = originUID
    }
}

/// One page of a listing.
public struct RemotePage: Sendable {
    public let records: [RemoteRecord]
    /// What to ask for the next page; nil on the last page.
    public let next: String?
    /// The provider's total, when it says (iVvy `meta.totalResults`).
    public let total: Int?

    public init(records: [RemoteRecord], next: String?, total: Int? = nil) {
        self.records = records
        self.next = next
        self.total = total
    }
}

/// A change to send to the provider.
public enum OutgoingChange: Sendable, Hashable {
    /// A contact the provider does not have yet. `idempotencyKey` is stable across retries:
    /// adapters send it as the external id where the provider has one.
    case create(Contact, idempotencyKey: String)
    /// Fields of a contact the provider has: `changed` lists what to set or clear (a field in
    /// `changed` without a value in `contact` is an explicit clear); `contact` is the whole
    /// local record, for providers that need more than the changes.
    case update(remoteID: String, contact: Contact, changed: Set<FieldKey>)
    case delete(remoteID: String)
}

/// What became of one change.
public enum PushOutcome: Sendable, Hashable {
    /// Created; the provider's id and, when it said, its record.
    case created(remoteID: String, record: RemoteRecord?)
    /// Updated. `remoteID` differs from the one sent when the provider had to re-create the
    /// contact under a new key (a Notifuse email change).
    case updated(remoteID: String, record: RemoteRecord?)
    case deleted
    case failed(ProviderError)
}

/// A provider failure, typed so the sync engine retries only what can succeed later.
/// Messages are the provider's own words where it gave some, and never contain secrets.
public enum ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Credentials refused (401, 403): nothing more can be done in this run.
    case auth(String)
    /// The provider refused this contact's data; retrying the same data fails again.
    case invalid(field: String?, String)
    case notFound(String)
    /// Too many requests; `retryAfter` in seconds when the provider said.
    case rateLimited(retryAfter: Double?, String)
    /// A 5xx, a timeout, a dropped connection or a reply that could not be read: worth retrying.
    case transient(String)
    /// The provider cannot be reached at all (no route, refused, DNS): the run stops quietly.
    case offline(String)
    /// The provider says the request's time is off (iVvy 23005): by `minutes` (positive:
    /// ahead) when the reply says; the text says so, and how to set the clock, and is shown
    /// as it is.
    case clockSkew(minutes: Int?, String)
    /// The provider has no way to do this (iVvy cannot delete).
    case unsupported(String)
    /// The config does not let rolo talk to the provider (a missing secret, a bad URL).
    case configuration(String)

    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .transient: true
        default: false
        }
    }

    /// True when no other request of the run can succeed either.
    public var stopsTheRun: Bool {
        switch self {
        case .auth, .offline, .clockSkew, .configuration: true
        default: false
        }
    }

    public var message: String {
        switch self {
        case .auth(let text), .notFound(let text), .transient(let text), .offline(let text),
             .unsupported(let text), .configuration(let text): text
        case .invalid(let field, let text): field.map { "\($0): \(text)" } ?? text
        case .rateLimited(let after, let text): after.map { "\(text) (retry after \(Int($0.rounded(.up))) s)" } ?? text
        case .clockSkew(_, let text): text
        }
    }

    public var description: String { message }
}
