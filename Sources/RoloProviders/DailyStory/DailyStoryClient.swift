import Foundation
import RoloCore

/// A DailyStory tenant over its HTTP API (PROVIDERS.md §1).
///
/// DailyStory cannot list contacts, so this adapter pushes (create, partial update, soft
/// delete) and refreshes contacts rolo already knows by their `dsId`; `fetch(email:)` and
/// `fetch(mobile:)` bring in one it does not know. Every reply is the
/// `{Status, Message, Response}` envelope (older pages add `Code`), and `Status:false` is a
/// failure whatever the HTTP status says.
public final class DailyStoryClient: ContactProvider {
    /// How the API token travels. Bearer is preferred; Basic (the token as the password) is
    /// the documented fallback, which older tenants may still need (§1.1).
    public enum AuthStyle: Sendable, Equatable {
        case bearer
        case basic
    }

    public let profile = DailyStoryProfile.profile
    /// The data centre's address (`https://us-1.dailystory.com`): it decides the host.
    let baseURL: URL
    private let token: String
    private let transport: any HTTPTransport
    private let mapping: DailyStoryMapping
    private let auth: AuthMemory

    /// `definitions`: the account's typed custom fields; DailyStory stores every custom value
    /// as a string, and these say how to read each key back (keys without one are text).
    public init(baseURL: URL, token: String, definitions: [FieldDefinition] = [], transport: any HTTPTransport,
                authStyle: AuthStyle = .bearer) {
        self.baseURL = baseURL
        self.token = token
        self.transport = transport
        self.mapping = DailyStoryMapping(definitions: definitions)
        self.auth = AuthMemory(authStyle)
    }

    /// The style the next request uses: Basic once Bearer was refused and Basic was not.
    public var authStyle: AuthStyle { auth.style }

    // MARK: - Requests

    private func url(_ path: String, query: [(String, String)] = []) -> URL {
        var text = baseURL.absoluteString.trimmingSuffix("/") + "/api/v1/" + path
        if !query.isEmpty { text += "?" + query.map { "\($0.0)=\(ProviderCalls.queryEscaped($0.1))" }.joined(separator: "&") }
        return URL(string: text)!
    }

    private func authorization(_ style: AuthStyle) -> HTTPRequest.Header {
        switch style {
        case .bearer: HTTPRequest.Header("Authorization", "Bearer \(token)")
        case .basic: HTTPRequest.Header("Authorization", "Basic " + SecretRedaction.basicCredentials(user: "api", password: token))
        }
    }

    /// Sends a request with the remembered auth style. A 401 to Bearer is tried once more with
    /// Basic; when Basic is accepted, it is used from then on.
    private func send(_ method: String, _ url: URL, body: [String: JSONValue]? = nil) async throws(ProviderError) -> HTTPResponse {
        var headers = [HTTPRequest.Header("Accept", "application/json")]
        var data: Data?
        if let body {
            headers.append(HTTPRequest.Header("Content-Type", "application/json"))
            data = Data(JSONValue.object(body).canonicalText.utf8)
        }
        let style = auth.style
        let request = HTTPRequest(method: method, url: url, headers: [authorization(style)] + headers, body: data)
        let response = try await ProviderCalls.send(request, over: transport, provider: "DailyStory")
        guard response.status == 401, style == .bearer else { return response }
        let retry = HTTPRequest(method: method, url: url, headers: [authorization(.basic)] + headers, body: data)
        let second = try await ProviderCalls.send(retry, over: transport, provider: "DailyStory")
        if second.status != 401 { auth.style = .basic }
        return second
    }

    /// The reply's `Response`, or the failure it stands for. `Status:false` is a failure even
    /// in a 200, with `Message` as DailyStory's own words; a reply that is not an envelope is
    /// judged by its HTTP status.
    func envelope(_ response: HTTPResponse) throws(ProviderError) -> JSONValue {
        let parsed = try? JSONValue.parse(response.body)
        let status = parsed.flatMap { DailyStoryClient.member("Status", of: $0) }
        let message = parsed.flatMap { DailyStoryClient.member("Message", of: $0)?.stringValue }.map(redacted) ?? ""
        if (200..<300).contains(response.status), status != .bool(false) {
            guard let parsed else {
                throw .transient("DailyStory answered something that is not JSON (HTTP \(response.status)): \(redacted(response.bodyExcerpt))")
            }
            return DailyStoryClient.member("Response", of: parsed) ?? .null
        }
        let words = message.isEmpty ? (parsed == nil ? redacted(response.bodyExcerpt) : "") : message
        let said = "DailyStory: " + (words.isEmpty ? "HTTP \(response.status)" : words)
        if response.status == 401 {
            throw .auth(said + " (the API token was refused; check the token and that base_url names the account's data centre)")
        }
        if DailyStoryClient.saysNotFound(words) { throw .notFound(said) }
        if (200..<300).contains(response.status) { throw .invalid(field: nil, said) }
        throw ProviderCalls.failure(status: response.status, message: said, retryAfter: response.header("Retry-After"))
    }

    /// An envelope member, whatever the case of its name (`Status`, `status`).
    static func member(_ name: String, of json: JSONValue) -> JSONValue? {
        guard case .object(let members) = json else { return nil }
        return members[name] ?? members.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Whether DailyStory's message says the contact does not exist.
    static func saysNotFound(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("not found") || lowered.contains("does not exist") || lowered.contains("no contact")
    }

    /// Text from a reply with the token taken out, should a server ever echo it — as itself or
    /// inside the Basic credentials it went in.
    private func redacted(_ text: String) -> String {
        SecretRedaction.redact(text, secrets: [token, SecretRedaction.basicCredentials(user: "api", password: token)])
    }

    /// The contact in a `Response`: `Response.contact` (the Get a Contact page), or the
    /// `Response` itself when it is the contact; nil when there is none.
    static func contactObject(in response: JSONValue) -> JSONValue? {
        if let contact = member("contact", of: response), case .object = contact { return contact }
        if member("dsId", of: response) != nil { return response }
        return nil
    }

    // MARK: - ContactProvider

    public func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]? { nil }

    public func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage {
        throw .unsupported("DailyStory cannot list contacts: rolo refreshes the contacts it knows; bring others in with a CSV "
            + "export from DailyStory or by fetching one by email or mobile")
    }

    public func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        let response = try await send("GET", url("contact/" + ProviderCalls.queryEscaped(remoteID)))
        if response.status == 404 { return nil }
        let payload: JSONValue
        do throws(ProviderError) { payload = try envelope(response) } catch {
            if case .notFound = error { return nil }
            throw error
        }
        guard let contact = DailyStoryClient.contactObject(in: payload) else { return nil }
        return try mapping.record(from: contact)
    }

    /// The first contact DailyStory has with this email (several may share one, §1.5).
    public func fetch(email: String) async throws(ProviderError) -> RemoteRecord? {
        try await lookUp([("email", email)])
    }

    /// The first contact DailyStory has with this mobile number (E.164).
    public func fetch(mobile: String) async throws(ProviderError) -> RemoteRecord? {
        try await lookUp([("mobilephone", mobile)])
    }

    private func lookUp(_ query: [(String, String)]) async throws(ProviderError) -> RemoteRecord? {
        let response = try await send("GET", url("contact", query: query))
        if response.status == 404 { return nil }
        let payload: JSONValue
        do throws(ProviderError) { payload = try envelope(response) } catch {
            if case .notFound = error { return nil }
            throw error
        }
        if let contact = DailyStoryClient.contactObject(in: payload) { return try mapping.record(from: contact) }
        // A list of matches, should a server answer with one: the first that is not deleted.
        let list: [JSONValue]
        switch DailyStoryClient.member("contacts", of: payload) ?? payload {
        case .array(let items): list = items
        default: return nil
        }
        var first: RemoteRecord?
        for item in list {
            let record = try mapping.record(from: item)
            if !record.isDeleted { return record }
            first = first ?? record
        }
        return first
    }

    /// What a lost create may have made: the contact with this email, else with this mobile
    /// number — never one in the trash, which a new create does not reuse as far as rolo knows.
    public func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord? {
        if let email = contact.email, let found = try await fetch(email: email), !found.isDeleted { return found }
        if let mobile = contact[.mobilePhone], let found = try await fetch(mobile: mobile), !found.isDeleted { return found }
        return nil
    }

    /// One request per change, in order. After a failure that no other request could get
    /// past (the token refused, DailyStory unreachable) the rest fail the same way unsent.
    public func push(_ changes: [OutgoingChange]) async -> [PushOutcome] {
        var outcomes: [PushOutcome] = []
        var stop: ProviderError?
        for change in changes {
            if let stop {
                outcomes.append(.failed(stop))
                continue
            }
            let outcome = await pushOne(change)
            if case .failed(let error) = outcome, error.stopsTheRun { stop = error }
            outcomes.append(outcome)
        }
        return outcomes
    }

    private func pushOne(_ change: OutgoingChange) async -> PushOutcome {
        do throws(ProviderError) {
            switch change {
            case .create(let contact, _):
                return try await create(contact)
            case .update(let remoteID, let contact, let changed):
                guard let body = try mapping.updateBody(dsID: remoteID, contact, changed: changed) else {
                    return .updated(remoteID: remoteID, record: nil)
                }
                let payload = try envelope(try await send("POST", url("contact"), body: body))
                guard let json = DailyStoryClient.contactObject(in: payload) else { return .updated(remoteID: remoteID, record: nil) }
                return .updated(remoteID: remoteID, record: try mapping.record(from: json))
            case .delete(let remoteID):
                // Soft: the contact goes to DailyStory's trash (status Deleted). Already gone is deleted.
                let response = try await send("DELETE", url("contact/" + ProviderCalls.queryEscaped(remoteID)))
                if response.status == 404 { return .deleted }
                do throws(ProviderError) { _ = try envelope(response) } catch {
                    if case .notFound = error { return .deleted }
                    throw error
                }
                return .deleted
            }
        } catch {
            return .failed(error)
        }
    }

    /// `POST /contact` without a `dsId`. Both reply shapes are read (§1.8, §3b): the stored
    /// contact in `Response.contact` when there, else the contact is read again by
    /// `Response.id`. A create DailyStory confirmed stays confirmed even if that read fails.
    private func create(_ contact: Contact) async throws(ProviderError) -> PushOutcome {
        guard contact.email != nil || contact[.mobilePhone] != nil else {
            throw .invalid(field: StandardField.email.key, "DailyStory needs an email or a mobile phone to create a contact")
        }
        let payload = try envelope(try await send("POST", url("contact"), body: try mapping.createBody(contact)))
        if let json = DailyStoryClient.contactObject(in: payload) {
            let record = try mapping.record(from: json)
            return .created(remoteID: record.remoteID, record: record)
        }
        guard let id = DailyStoryMapping.text(DailyStoryClient.member("id", of: payload)), !id.isEmpty else {
            throw .transient("DailyStory confirmed the create but sent no id; rolo will look the contact up before sending it again")
        }
        let record = (try? await fetch(remoteID: id)) ?? nil
        return .created(remoteID: id, record: record)
    }
}

/// The auth style a client has settled on, shared by its concurrent requests.
final class AuthMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var current: DailyStoryClient.AuthStyle

    init(_ style: DailyStoryClient.AuthStyle) { current = style }

    var style: DailyStoryClient.AuthStyle {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}
