import Foundation
import RoloCore

/// An iVvy account over its signed RPC API (PROVIDERS.md §3).
///
/// Every call is a POST to `/api/1.0/{namespace}?action={action}` with a JSON body, signed
/// anew with the time it is sent (`IvvySigner`). Reads: `getContactList` pages (optionally
/// only contacts modified since a stamp) and `getContact`; `getCustomFieldDefinition` says
/// which custom fields the account has and how to map them. Writes: `addOrUpdateContact`,
/// with `updateIfExists` on creates so that a create sent twice does not make two contacts.
/// iVvy's API cannot delete contacts.
public final class IvvyClient: ContactProvider {
    public let profile = IvvyProfile.profile
    let baseURL: URL
    private let signer: IvvySigner
    private let secret: String
    private let transport: any HTTPTransport
    private let clock: @Sendable () -> Date
    private let fields: FieldMappingStore
    /// Contacts asked for per page. iVvy caps it at a number it does not publish (§3.2);
    /// paging follows the count it returns, so a smaller cap only means more pages.
    static let perPage = 100

    /// `clock` gives the time each request is signed with. `definitions`: the account's
    /// custom fields as rolo last read them (keys from an earlier refresh); without them the
    /// first call that needs them reads them from iVvy.
    public init(baseURL: URL, key: String, secret: String, transport: any HTTPTransport,
                clock: @escaping @Sendable () -> Date = Date.init, definitions: [FieldDefinition]? = nil) {
        self.baseURL = baseURL
        self.signer = IvvySigner(key: key, secret: secret)
        self.secret = secret
        self.transport = transport
        self.clock = clock
        self.fields = FieldMappingStore(definitions.map(IvvyMapping.init(definitions:)))
    }

    // MARK: - Requests

    /// One signed call. Returns the reply's JSON, or throws what iVvy's error body (or, when
    /// there is none, the HTTP status) stands for. Like iVvy's own SDK, a body with an
    /// `errorCode` is an error whatever the HTTP status.
    func call(_ namespace: String, _ action: String, _ body: [String: JSONValue] = [:]) async throws(ProviderError) -> JSONValue {
        let url = URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/api/1.0/\(namespace)?action=\(action)")!
        let requestURI = url.path + "?" + (url.query ?? "")
        let data = Data(JSONValue.object(body).canonicalText.utf8)
        let signedAt = clock()
        let request = HTTPRequest(method: "POST", url: url, headers: signer.headers(body: data, requestURI: requestURI, at: signedAt),
                                  body: data)
        let response = try await ProviderCalls.send(request, over: transport, provider: "iVvy")
        let parsed = try? JSONValue.parse(response.body)
        if let parsed, parsed["errorCode"] != nil {
            throw failure(parsed, response: response, signedAt: signedAt)
        }
        guard (200..<300).contains(response.status) else {
            throw ProviderCalls.failure(status: response.status, message: "iVvy: " + (redacted(response.bodyExcerpt).nonEmpty ?? "HTTP \(response.status)"),
                                        retryAfter: response.header("Retry-After"))
        }
        guard let parsed else {
            throw .transient("iVvy answered something that is not JSON (HTTP \(response.status)): \(redacted(response.bodyExcerpt))")
        }
        return parsed
    }

    /// iVvy's error body (`{errorCode, specificCode, message, additionalMessages}`, §3.7) as
    /// a typed failure.
    func failure(_ json: JSONValue, response: HTTPResponse, signedAt: Date) -> ProviderError {
        let code = IvvyMapping.number(json["errorCode"]).map(Int.init) ?? response.status
        let specific = IvvyMapping.number(json["specificCode"]).map(Int.init)
        var words = redacted(IvvyMapping.text(json["message"]) ?? "")
        if case .array(let extra)? = json["additionalMessages"] {
            let details = extra.compactMap(IvvyMapping.text).map(redacted).filter { !$0.isEmpty }
            if !details.isEmpty { words += (words.isEmpty ? "" : ": ") + details.joined(separator: "; ") }
        }
        if words.isEmpty { words = "error \(code)" }
        if let specific { words += " (error \(specific))" }
        let said = "iVvy: " + words
        switch specific {
        case 23005: return IvvyClient.clockSkew(serverDate: response.header("Date"), signedAt: signedAt)
        case 23016, 23017: return .invalid(field: IvvyClient.field(named: json["message"]?.stringValue), said)
        case 24096: return .notFound(said)
        default: break
        }
        switch code {
        case 401, 403, 462, 463: return .auth(said)
        case 404: return .notFound(said)
        case 429: return .rateLimited(retryAfter: ProviderCalls.retryAfterSeconds(response.header("Retry-After")), said)
        case 460, 461, 500...599: return .transient(said)
        default: return .invalid(field: nil, said)
        }
    }

    /// Error 23005, "Request is stale": the request's time was more than 5 minutes from
    /// iVvy's. How far off this machine's clock is comes from the reply's Date header.
    static func clockSkew(serverDate: String?, signedAt: Date) -> ProviderError {
        let fix = "Set this machine's clock right (for example turn on NTP: timedatectl set-ntp true), then sync again."
        guard let serverDate, let server = httpDate(serverDate) else {
            return .clockSkew(minutes: nil, "iVvy refused the request as stale (error 23005): the system clock is more than "
                + "5 minutes off iVvy's. " + fix)
        }
        let minutes = Int((signedAt.timeIntervalSince(server) / 60).rounded())
        let direction = minutes > 0 ? "ahead of" : "behind"
        return .clockSkew(minutes: minutes, "iVvy refused the request as stale (error 23005): the system clock is off by "
            + "\(abs(minutes)) minutes (\(direction) iVvy's; it allows 5). " + fix)
    }

    /// An RFC 1123 date (`Tue, 03 Apr 2012 22:23:24 GMT`).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }

    /// The rolo field an iVvy validation message names (`'firstName' does not validate`).
    static func field(named message: String?) -> String? {
        guard let message, let open = message.firstIndex(of: "'"),
              let close = message[message.index(after: open)...].firstIndex(of: "'") else { return nil }
        let name = String(message[message.index(after: open)..<close])
        if let field = IvvyMapping.standard.first(where: { $0.1.caseInsensitiveCompare(name) == .orderedSame })?.0 { return field.key }
        switch name {
        case "status": return StandardField.status.key
        case "smsStatus": return StandardField.smsOptOut.key
        default: return name.isEmpty ? nil : name
        }
    }

    /// Text from a reply with the secret taken out, should a server ever echo it.
    private func redacted(_ text: String) -> String {
        SecretRedaction.redact(text, secrets: [secret])
    }

    /// The mapping with the account's custom fields, read from iVvy the first time it is needed.
    private func mapping() async throws(ProviderError) -> IvvyMapping {
        if let mapping = fields.mapping { return mapping }
        _ = try await refreshFieldDefinitions()
        return fields.mapping ?? IvvyMapping(definitions: [])
    }

    // MARK: - ContactProvider

    public func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]? {
        var definitions = try IvvyMapping.definitions(from: try await call("contact", "getCustomFieldDefinition"))
        // A field rolo already knows keeps its key, whatever its label became: the contacts'
        // values are stored under that key.
        if let known = fields.mapping?.fieldsByID {
            let used = Set(definitions.map(\.key))
            for index in definitions.indices {
                guard let id = definitions[index].providerRef.flatMap(Int.init), let old = known[id]?.key,
                      old != definitions[index].key, !used.contains(old) else { continue }
                definitions[index].key = old
            }
        }
        fields.mapping = IvvyMapping(definitions: definitions)
        return definitions
    }

    /// `modifiedSince`: a stamp as iVvy writes them (`2024-05-01 10:00:00 UTC`) or RFC 3339;
    /// sent as `filter.fromModifiedDate`. The page token is rolo's own: the next `start`, and
    /// the stamp the listing began with, so every page of one listing uses the same filter.
    public func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage {
        let token: IvvyPageToken
        if let page {
            token = try IvvyPageToken(parsing: page)
        } else if let modifiedSince {
            token = IvvyPageToken(start: 0, since: try IvvyClient.filterStamp(modifiedSince))
        } else {
            token = IvvyPageToken(start: 0, since: nil)
        }
        var body: [String: JSONValue] = ["perPage": .number(Double(IvvyClient.perPage)), "start": .number(Double(token.start))]
        if let since = token.since { body["filter"] = .object(["fromModifiedDate": .string(since)]) }
        let mapping = try await mapping()
        let reply = try await call("contact", "getContactList", body)
        guard case .array(let results)? = reply["results"] else {
            throw .transient("iVvy's contact list has no \"results\" list")
        }
        var records: [RemoteRecord] = []
        records.reserveCapacity(results.count)
        for item in results { records.append(try mapping.record(from: item)) }
        let total = IvvyMapping.number(reply["meta"]?["totalResults"]).map(Int.init)
        let count = IvvyMapping.number(reply["meta"]?["count"]).map(Int.init) ?? results.count
        let nextStart = token.start + count
        let more = count > 0 && (total.map { nextStart < $0 } ?? (count >= IvvyClient.perPage))
        return RemotePage(records: records, next: more ? IvvyPageToken(start: nextStart, since: token.since).text : nil, total: total)
    }

    /// A stamp for `fromModifiedDate`, in iVvy's timestamp format (`yyyy-mm-dd HH:mm:ss`, UTC).
    static func filterStamp(_ text: String) throws(ProviderError) -> String {
        guard let instant = Timestamp(parsing: text.trimmingCharacters(in: .whitespaces)) else {
            throw .invalid(field: nil, "“\(text)” is not a time to list iVvy contacts modified since (write yyyy-mm-dd HH:mm:ss UTC)")
        }
        return String(instant.display.dropLast(" UTC".count))
    }

    public func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        guard let id = Int(remoteID) else { throw .invalid(field: nil, "“\(remoteID)” is not an iVvy contact id") }
        let mapping = try await mapping()
        do throws(ProviderError) {
            return try mapping.record(from: try await call("contact", "getContact", ["id": .number(Double(id))]))
        } catch {
            // 24096: no such contact; deleted contacts are not returned either (§3.5).
            if case .notFound = error { return nil }
            throw error
        }
    }

    /// What a lost create may have made: the contact carrying this contact's uid as its
    /// external id, else one with the same email, first name and last name — the contact a
    /// resent create with `updateIfExists` would update.
    public func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord? {
        let mapping = try await mapping()
        for record in try await search(["externalId": .string(contact.uid)], mapping) where record.contact.uid == contact.uid {
            return record
        }
        guard let email = contact.email else { return nil }
        let same = { (left: String?, right: String?) in
            (left ?? "").trimmed.caseInsensitiveCompare((right ?? "").trimmed) == .orderedSame
        }
        for record in try await search(["email": .string(email)], mapping)
        where same(record.contact.email, email) && same(record.contact[.firstName], contact[.firstName])
            && same(record.contact[.lastName], contact[.lastName]) {
            return record
        }
        return nil
    }

    private func search(_ filter: [String: JSONValue], _ mapping: IvvyMapping) async throws(ProviderError) -> [RemoteRecord] {
        let reply = try await call("contact", "getContactList", ["perPage": .number(20), "start": .number(0), "filter": .object(filter)])
        guard case .array(let results)? = reply["results"] else { return [] }
        var records: [RemoteRecord] = []
        for item in results { records.append(try mapping.record(from: item)) }
        return records
    }

    /// One request per change, in order. After a failure that no other request could get
    /// past (keys refused, the clock off, iVvy unreachable) the rest fail the same way unsent.
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
                let body = try await mapping().createBody(contact)
                guard let id = try await addOrUpdate(body) else {
                    throw .transient("iVvy confirmed the create but sent no id; rolo will look the contact up before sending it again")
                }
                // The reply holds only the id: the contact is read back for what iVvy filled in
                // itself. A create iVvy confirmed stays confirmed even if that read fails.
                return .created(remoteID: id, record: (try? await fetch(remoteID: id)) ?? nil)
            case .update(let remoteID, let contact, let changed):
                guard let id = Int(remoteID) else { throw .invalid(field: nil, "“\(remoteID)” is not an iVvy contact id") }
                guard let body = try await mapping().updateBody(id: id, contact, changed: changed) else {
                    return .updated(remoteID: remoteID, record: nil)
                }
                return .updated(remoteID: try await addOrUpdate(body) ?? remoteID, record: nil)
            case .delete:
                return .failed(.unsupported("iVvy's API cannot delete contacts; the contact stays in iVvy and is marked deleted only in rolo"))
            }
        } catch {
            return .failed(error)
        }
    }

    /// `addOrUpdateContact`. Both reply shapes are read (§3b): `{success, id, message}` and
    /// the bare `{id}`; `success:false` is a refusal even inside a 200. An update of a contact
    /// iVvy no longer has is "not found", whether as error 24096 (§3.7 gives it for
    /// `getContact` only) or in its words, "unable to find contact", inside a 200: the sync
    /// reads the contact to confirm it is gone before taking it as deleted there.
    private func addOrUpdate(_ body: [String: JSONValue]) async throws(ProviderError) -> String? {
        let reply = try await call("contact", "addOrUpdateContact", body)
        if let success = reply["success"], !IvvyMapping.isTrue(success) {
            let message = IvvyMapping.text(reply["message"]).map(redacted) ?? "refused the contact"
            if body["id"] != nil, message.range(of: "unable to find contact", options: .caseInsensitive) != nil {
                throw .notFound("iVvy: " + message)
            }
            throw .invalid(field: IvvyClient.field(named: message), "iVvy: " + message)
        }
        return IvvyMapping.number(reply["id"]).map { String(Int($0)) }
    }
}

/// Where a listing goes on: the next `start`, and the `fromModifiedDate` the listing began
/// with. Written `start=200` or `start=200&from=2024-05-01 10:00:00`.
struct IvvyPageToken: Equatable {
    let start: Int
    let since: String?

    init(start: Int, since: String?) {
        self.start = start
        self.since = since
    }

    init(parsing text: String) throws(ProviderError) {
        let parts = text.split(separator: "&", maxSplits: 1).map(String.init)
        guard let first = parts.first, first.hasPrefix("start="), let start = Int(first.dropFirst("start=".count)), start >= 0,
              parts.count == 1 || parts[1].hasPrefix("from=") else {
            throw .invalid(field: nil, "“\(text)” is not an iVvy page token rolo wrote")
        }
        self.start = start
        self.since = parts.count == 2 ? String(parts[1].dropFirst("from=".count)) : nil
    }

    var text: String { "start=\(start)" + (since.map { "&from=\($0)" } ?? "") }
}

/// The field mapping a client has, replaced when the definitions are read again and read by
/// concurrent calls.
final class FieldMappingStore: @unchecked Sendable {
    private let lock = NSLock()
    private var current: IvvyMapping?

    init(_ mapping: IvvyMapping?) { current = mapping }

    var mapping: IvvyMapping? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
