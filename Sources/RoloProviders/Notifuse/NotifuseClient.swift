import Foundation
import RoloCore

/// A Notifuse workspace over its HTTP API (PROVIDERS.md §2).
///
/// Reads: `contacts.list` (a cursor scan of the whole workspace, 100 a page) and
/// `contacts.getByEmail`. Writes: `contacts.import` for runs of creates (a bulk push of new
/// contacts), `contacts.upsert` for updates, single creates and every clear (only the single
/// upsert clears: `null` there sets NULL, while `contacts.import` keeps the old value),
/// `contacts.delete` for deletes. PROVIDERS.md §4.11 makes single-record calls the default
/// and keeps batches for the initial bulk push: an import also resets an existing contact's
/// `created_at`, so runs of updates go through it only when the account asks
/// (`batch_updates = true`). Email is the key, so an email change is a create under the new email followed
/// by a delete of the old one — in that order, so that a crash between them leaves both, never
/// neither.
public final class NotifuseClient: ContactProvider {
    public let profile = NotifuseProfile.profile
    let baseURL: URL
    let workspaceID: String
    private let token: String
    private let transport: any HTTPTransport
    private let mapping: NotifuseMapping
    /// Updates travel in `contacts.import` batches when true: fast for thousands, but the
    /// import resets each contact's `created_at` (and so its place in Notifuse's list). False,
    /// the default, sends each update on its own with `contacts.upsert`, which keeps it.
    let batchUpdates: Bool
    /// The page of a listing asked for while the one before is decoded.
    private let pageAhead = PageAhead()
    /// The fewest changes sent as one import; fewer go one by one.
    static let smallestBatch = 3

    public init(baseURL: URL, workspaceID: String, token: String, definitions: [FieldDefinition],
                transport: any HTTPTransport, batchUpdates: Bool = false) {
        self.baseURL = baseURL
        self.workspaceID = workspaceID
        self.token = token
        self.transport = transport
        self.mapping = NotifuseMapping(definitions: definitions)
        self.batchUpdates = batchUpdates
    }

    // MARK: - Requests

    private func url(_ method: String, query: [(String, String)] = []) -> URL {
        let items = ([("workspace_id", workspaceID)] + query).map { "\($0.0)=\(ProviderCalls.queryEscaped($0.1))" }
        return URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/api/" + method + "?" + items.joined(separator: "&"))!
    }

    private var headers: [HTTPRequest.Header] {
        [HTTPRequest.Header("Authorization", "Bearer \(token)"), HTTPRequest.Header("Accept", "application/json")]
    }

    private func get(_ method: String, _ query: [(String, String)]) async throws(ProviderError) -> HTTPResponse {
        try await ProviderCalls.send(HTTPRequest(method: "GET", url: url(method, query: query), headers: headers),
                                     over: transport, provider: "Notifuse")
    }

    private func post(_ method: String, _ body: [String: JSONValue]) async throws(ProviderError) -> HTTPResponse {
        var members = body
        members["workspace_id"] = .string(workspaceID)
        let data = Data(JSONValue.object(members).canonicalText.utf8)
        return try await ProviderCalls.send(
            HTTPRequest(method: "POST", url: URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/api/" + method)!,
                        headers: headers + [HTTPRequest.Header("Content-Type", "application/json")], body: data),
            over: transport, provider: "Notifuse")
    }

    /// A failed reply as a typed error. Notifuse answers `{"error": "…"}`, except
    /// `contacts.list`, whose errors are plain text; `contacts.upsert` answers 400 for every
    /// failure, permissions included.
    static func failure(_ response: HTTPResponse) -> ProviderError {
        var message = response.bodyExcerpt
        if case .object(let members)? = try? JSONValue.parse(response.body), let text = members["error"]?.stringValue {
            message = text
        }
        if message.isEmpty { message = "HTTP \(response.status)" }
        let said = "Notifuse: \(message)"
        if message.localizedCaseInsensitiveContains("insufficient permissions") { return .auth(said) }
        if response.status == 503, message.localizedCaseInsensitiveContains("authentication unavailable") { return .transient(said) }
        return ProviderCalls.failure(status: response.status, message: said, retryAfter: response.header("Retry-After"))
    }

    // MARK: - ContactProvider

    public func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]? { nil }

    public func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage {
        do throws(ProviderError) { return try await scan(page) } catch { throw error.redacting(token) }
    }

    private func scan(_ page: String?) async throws(ProviderError) -> RemotePage {
        let response: HTTPResponse
        if let ahead = try await pageAhead.take(page) {
            response = ahead
        } else {
            response = try await get("contacts.list", NotifuseClient.listQuery(after: page))
        }
        guard response.status == 200 else { throw NotifuseClient.failure(response) }
        // The next page is asked for before this one is decoded (see `PageAhead`).
        let announced = JSONValue.topLevelMember("next_cursor", of: response.body)?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let announced {
            pageAhead.start(announced) { [self] () async throws(ProviderError) -> HTTPResponse in
                try await get("contacts.list", NotifuseClient.listQuery(after: announced))
            }
        }
        let json = try ProviderCalls.json(response, provider: "Notifuse")
        // An empty page comes as `"contacts": null` (a nil Go slice), not `[]`.
        let items: [JSONValue]
        switch json["contacts"] {
        case .array(let list)?: items = list
        case .null?: items = []
        default:
            pageAhead.drop()
            throw .transient("Notifuse's contact list has no \"contacts\" array")
        }
        var records: [RemoteRecord] = []
        records.reserveCapacity(items.count)
        do throws(ProviderError) {
            for item in items { records.append(try mapping.record(from: item)) }
        } catch {
            pageAhead.drop()
            throw error
        }
        let next = json["next_cursor"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if next != announced { pageAhead.drop() }
        return RemotePage(records: records, next: next)
    }

    /// `contacts.list`'s query for the page after `cursor` (the first page when nil).
    static func listQuery(after cursor: String?) -> [(String, String)] {
        var query = [("limit", "100")]
        if let cursor { query.append(("cursor", cursor)) }
        return query
    }

    public func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        do throws(ProviderError) { return try await getByEmail(remoteID) } catch { throw error.redacting(token) }
    }

    private func getByEmail(_ remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        let response = try await get("contacts.getByEmail", [("email", remoteID)])
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw NotifuseClient.failure(response) }
        guard let contact = try ProviderCalls.json(response, provider: "Notifuse")["contact"] else {
            throw .transient("Notifuse's reply has no \"contact\"")
        }
        return try mapping.record(from: contact)
    }

    public func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord? {
        guard let email = contact.email else { return nil }
        return try await fetch(remoteID: NotifuseMapping.key(email))
    }

    public func push(_ changes: [OutgoingChange]) async -> [PushOutcome] {
        await send(changes).map { $0.redacting(token) }
    }

    private func send(_ changes: [OutgoingChange]) async -> [PushOutcome] {
        var outcomes = [PushOutcome?](repeating: nil, count: changes.count)
        // Runs of creates (and, where the account asks, of updates without clears) go in one
        // import when there are enough of them; everything else is sent on its own.
        var batchable: [(index: Int, input: [String: JSONValue], email: String, isCreate: Bool)] = []
        for (index, change) in changes.enumerated() {
            switch change {
            case .create(let contact, _):
                guard let email = contact.email else {
                    outcomes[index] = .failed(.invalid(field: "email", "Notifuse needs an email"))
                    continue
                }
                batchable.append((index, mapping.fullInput(contact, externalID: contact.uid),
                                  NotifuseMapping.key(email), true))
            case .update(let remoteID, let contact, let changed):
                if !mapping.touchesStoredFields(changed) {
                    outcomes[index] = .updated(remoteID: remoteID, record: nil)
                    continue
                }
                let renamed = changed.contains(.standard(.email)) && contact.email.map(NotifuseMapping.key) != remoteID
                let input = mapping.changeInput(contact, changed: changed, email: remoteID)
                if batchUpdates, !renamed, !input.values.contains(.null) {
                    batchable.append((index, input, remoteID, false))
                }
            case .delete:
                break
            }
        }
        if batchable.count >= NotifuseClient.smallestBatch {
            for (position, refusal) in await importBatch(batchable.map { ($0.input, $0.email) }).enumerated() {
                let item = batchable[position]
                outcomes[item.index] = refusal ?? (item.isCreate ? .created(remoteID: item.email, record: nil)
                                                                 : .updated(remoteID: item.email, record: nil))
            }
        }
        for (index, change) in changes.enumerated() where outcomes[index] == nil {
            outcomes[index] = await pushOne(change)
        }
        return outcomes.map { $0 ?? .failed(.transient("Notifuse did not say what became of this change")) }
    }

    /// One change in its own request.
    private func pushOne(_ change: OutgoingChange) async -> PushOutcome {
        do {
            switch change {
            case .create(let contact, _):
                guard let email = contact.email else { return .failed(.invalid(field: "email", "Notifuse needs an email")) }
                let reply = try await upsert(mapping.fullInput(contact, externalID: contact.uid))
                return .created(remoteID: NotifuseMapping.key(email), record: await createdRecord(reply, email: NotifuseMapping.key(email)))
            case .update(let remoteID, let contact, let changed):
                let newEmail = contact.email.map(NotifuseMapping.key)
                if changed.contains(.standard(.email)), let newEmail, newEmail != remoteID {
                    // Email is the key: create the contact under its new email, then delete
                    // the old one. An upsert to an email Notifuse has already would overwrite
                    // that contact (§2.4: the email alone decides): it is looked up first, and
                    // only this contact's own earlier attempt (the same external id: a run that
                    // stopped between the two steps) is written over. A retry finds the new
                    // one (an upsert) and deletes the old one again (a 404 is fine).
                    let input = mapping.fullInput(contact, externalID: contact.uid)
                    if let there = try await getByEmail(newEmail), NotifuseMapping.externalID(of: there.contact) != input["external_id"]?.stringValue {
                        let name = there.contact.displayName.isEmpty ? "" : " (“\(there.contact.displayName)”)"
                        return .failed(.invalid(field: "email", "Notifuse already has a contact with the email \(newEmail)\(name); "
                            + "nothing was sent, so neither was changed: give this contact another email, or keep one of the two"))
                    }
                    try await upsert(input)
                    try await delete(email: remoteID)
                    return .updated(remoteID: newEmail, record: nil)
                }
                try await upsert(mapping.changeInput(contact, changed: changed, email: remoteID))
                return .updated(remoteID: remoteID, record: nil)
            case .delete(let remoteID):
                try await delete(email: remoteID)
                return .deleted
            }
        } catch {
            return .failed(error)
        }
    }

    /// `contacts.upsert`. Both documented replies are read: the server's `{email, action}` and
    /// the docs page's `{action, contact, error}`; an `error` action is a refusal.
    @discardableResult
    private func upsert(_ input: [String: JSONValue]) async throws(ProviderError) -> JSONValue {
        let response = try await post("contacts.upsert", ["contact": .object(input)])
        guard response.status == 200 || response.status == 201 else { throw NotifuseClient.failure(response) }
        let json = try ProviderCalls.json(response, provider: "Notifuse")
        if json["action"]?.stringValue == "error" || (json["error"]?.stringValue).map({ !$0.isEmpty }) == true {
            throw .invalid(field: nil, "Notifuse: " + (json["error"]?.stringValue ?? "refused the contact"))
        }
        return json
    }

    /// The contact a create stored (§3b): the one the docs page's reply carries, else read
    /// again by email, since the server's reply has none. The create is confirmed either way:
    /// when that read fails, there is no record rather than a failure.
    private func createdRecord(_ reply: JSONValue, email: String) async -> RemoteRecord? {
        if let contact = reply["contact"], case .object = contact, let record = try? mapping.record(from: contact) {
            return record
        }
        return (try? await fetch(remoteID: email)) ?? nil
    }

    /// `contacts.delete`; a contact that is already gone counts as deleted.
    private func delete(email: String) async throws(ProviderError) {
        let response = try await post("contacts.delete", ["email": .string(email)])
        if response.status == 404 || response.status == 200 { return }
        throw NotifuseClient.failure(response)
    }

    /// `contacts.import`: one outcome per input, matched by email (the reply is not in input
    /// order: refusals first, then the stored ones). nil: stored.
    private func importBatch(_ inputs: [([String: JSONValue], String)]) async -> [PushOutcome?] {
        let response: HTTPResponse
        do {
            response = try await post("contacts.import", ["contacts": .array(inputs.map { .object($0.0) })])
        } catch {
            return inputs.map { _ in .failed(error) }
        }
        guard response.status == 200 else { return inputs.map { _ in .failed(NotifuseClient.failure(response)) } }
        guard let json = try? JSONValue.parse(response.body), case .array(let operations)? = json["operations"] else {
            return inputs.map { _ in .failed(.transient("Notifuse's import reply could not be read: \(response.bodyExcerpt)")) }
        }
        var byEmail: [String: JSONValue] = [:]
        var byIndex: [Int: JSONValue] = [:]
        for operation in operations {
            if let email = operation["email"]?.stringValue { byEmail[NotifuseMapping.key(email)] = operation }
            if let error = operation["error"]?.stringValue, let index = NotifuseClient.index(inError: error) { byIndex[index] = operation }
        }
        return inputs.enumerated().map { index, input in
            guard let operation = byEmail[input.1] ?? byIndex[index] else {
                return .failed(.transient("Notifuse's import did not say what became of \(input.1)"))
            }
            if operation["action"]?.stringValue == "error" {
                return .failed(.invalid(field: nil, "Notifuse: " + (operation["error"]?.stringValue ?? "refused the contact")))
            }
            return nil
        }
    }

    /// The N of "invalid contact at index N: …".
    static func index(inError message: String) -> Int? {
        guard let range = message.range(of: "at index ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
