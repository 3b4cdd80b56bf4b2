import Foundation

/// A DailyStory tenant on 127.0.0.1, following PROVIDERS.md §1: the `{Status, Message,
/// Response}` envelope, Bearer or Basic auth with the API token, get / find / create-or-update
/// / find-or-create / soft delete of contacts, and `about`.
///
/// DailyStory lists no contacts, so neither does the emulator. Not emulated: the queued
/// `/contact/import`, `/contact/optout/email`, devices, leads and webhooks.
///
/// The HTTP status of each error is UNKNOWN (§1.2): the emulator answers 400 for a refused
/// body, 401 for auth, 404 for a missing contact or route, 405 for a method, always with
/// `Status: false` and a readable `Message`.
public final class DailyStoryEmulator: LoopbackEmulator {
    public struct Options: Sendable {
        public var port: UInt16
        public var clock: EmulatorClock
        /// The API token; the docs' examples end in the data centre.
        public var token: String
        public var dataCenter: String
        public var tenantID: Int
        /// Seeds the dsId generator: the same seed gives the same ids in the same order.
        public var idSeed: UInt64
        public var createWithoutID: CreateWithoutID
        public var createReply: CreateReply
        public var statusEncoding: StatusEncoding
        public var aboutReply: AboutReply

        public init(port: UInt16 = 0,
                    clock: @escaping EmulatorClock = { Date() },
                    token: String = "3b1c5e0a9f7d4e2b8c6a1d0f5e9b7c3a-us-1",
                    dataCenter: String = "us-1",
                    tenantID: Int = 112,
                    idSeed: UInt64 = 1,
                    createWithoutID: CreateWithoutID = .mergeByEmailOrMobile,
                    createReply: CreateReply = .contactAndID,
                    statusEncoding: StatusEncoding = .strings,
                    aboutReply: AboutReply = .envelope) {
            self.port = port
            self.clock = clock
            self.token = token
            self.dataCenter = dataCenter
            self.tenantID = tenantID
            self.idSeed = idSeed
            self.createWithoutID = createWithoutID
            self.createReply = createReply
            self.statusEncoding = statusEncoding
            self.aboutReply = aboutReply
        }
    }

    /// What a POST without `dsId` does when the email (or mobile) already exists: UNKNOWN
    /// (PROVIDERS.md §1.5, §1.8).
    public enum CreateWithoutID: Sendable {
        /// Update the oldest contact with that email, else that mobile phone ("If a contact
        /// already exists, the contact is updated with any new values"). A soft-deleted match
        /// counts, and stays Deleted unless the body sets `status` (default).
        case mergeByEmailOrMobile
        /// Always create another contact, so email and mobile end up shared.
        case alwaysCreate
    }

    /// The create reply: PROVIDERS.md §1.8 / §3b, both shapes are documented.
    public enum CreateReply: Sendable {
        /// `Response: {contact: {…}, id}` — the create-or-update page (default).
        case contactAndID
        /// `Response: {id}` — the custom-fields page.
        case idOnly
    }

    /// How `status` is written: the example shows strings, the delete docs numbers (§3b).
    public enum StatusEncoding: Sendable {
        /// `"Active"`, `"Inactive"`, `"Spam"`, `"Deleted"` (default).
        case strings
        /// `0` for Active and `100` for Deleted; Inactive and Spam, whose numbers are not
        /// documented, stay strings.
        case numbers
    }

    /// `about`: §1.1 says it answers in the envelope, §1.2 names it among the APIs that do not.
    public enum AboutReply: Sendable {
        case envelope
        case bare
    }

    public let host: EmulatorHost
    public let token: String
    /// Read access for assertions.
    public let store: DailyStoryStore
    /// Server-side changes, as a colleague in DailyStory's app would make them.
    public let webUI: DailyStoryWebUI

    public init(options: Options = Options()) {
        let tenant = DailyStoryTenant(clock: options.clock, idSeed: options.idSeed)
        let routes = DailyStoryRoutes(tenant: tenant, options: options)
        token = options.token
        store = DailyStoryStore(tenant: tenant, options: options)
        webUI = DailyStoryWebUI(tenant: tenant)
        host = EmulatorHost(port: options.port,
                            statusReply: { status in DailyStoryRoutes.failure(status, EmulatorHost.reasonPhrase(status)) },
                            respond: { request in routes.respond(to: request) })
    }
}

public struct DailyStoryStore: Sendable {
    let tenant: DailyStoryTenant
    let options: DailyStoryEmulator.Options

    /// The contact as `GET /api/v1/contact/{dsId}` shows it, deleted ones included.
    public func contact(dsId: String) -> EmulatorJSON? {
        tenant.contact(dsId: dsId)?.json(statusEncoding: options.statusEncoding, tenantID: options.tenantID)
    }

    /// Every contact with this email (case-insensitive), oldest first.
    public func contacts(email: String) -> [EmulatorJSON] {
        tenant.all().filter { $0.email.caseInsensitiveCompare(email) == .orderedSame }
            .map { $0.json(statusEncoding: options.statusEncoding, tenantID: options.tenantID) }
    }

    /// Every contact, oldest first.
    public func allContacts() -> [EmulatorJSON] {
        tenant.all().map { $0.json(statusEncoding: options.statusEncoding, tenantID: options.tenantID) }
    }

    public var count: Int { tenant.count }
}

public struct DailyStoryWebUI: Sendable {
    let tenant: DailyStoryTenant

    /// Adds a contact with the API's field rules (no email or mobile needed: the app can
    /// hold such contacts too). Returns its dsId.
    @discardableResult
    public func create(_ contact: EmulatorJSON) throws(DailyStoryEmulatorError) -> String {
        tenant.create(try changes(contact)).dsId
    }

    /// Edits given fields; dateContactLastModified becomes now.
    public func update(dsId: String, _ fields: EmulatorJSON) throws(DailyStoryEmulatorError) {
        guard tenant.update(dsId: dsId, try changes(fields)) != nil else {
            throw DailyStoryEmulatorError(message: "no contact \(dsId)")
        }
    }

    /// Moves a contact to the trash (status Deleted), as the app's delete does.
    @discardableResult
    public func delete(dsId: String) -> Bool { tenant.softDelete(dsId: dsId) }

    /// Adds many contacts at once; returns their dsIds in order. A contact that carries a
    /// `dsId` keeps it (a sandbox holding contacts a cache already knows by their ids).
    @discardableResult
    public func seed(_ contacts: [EmulatorJSON]) throws(DailyStoryEmulatorError) -> [String] {
        var batch = [DailyStoryChanges]()
        var ids = [String?]()
        batch.reserveCapacity(contacts.count)
        for contact in contacts {
            var object = contact.objectValue ?? [:]
            ids.append(object.removeValue(forKey: "dsId")?.stringValue)
            batch.append(try changes(.object(object)))
        }
        return tenant.seed(batch, ids: ids)
    }

    private func changes(_ json: EmulatorJSON) throws(DailyStoryEmulatorError) -> DailyStoryChanges {
        guard let object = json.objectValue else { throw DailyStoryEmulatorError(message: "a contact is a JSON object") }
        switch DailyStoryChanges.parse(object) {
        case .success(let changes): return changes
        case .failure(let refusal): throw DailyStoryEmulatorError(message: refusal.message)
        }
    }
}

public struct DailyStoryEmulatorError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

struct DailyStoryRoutes: Sendable {
    let tenant: DailyStoryTenant
    let options: DailyStoryEmulator.Options

    static func envelope(_ response: EmulatorJSON) -> EmulatorReply {
        .json(200, ["Status": true, "Message": "", "Response": response])
    }

    static func failure(_ status: Int, _ message: String) -> EmulatorReply {
        .json(status, ["Status": false, "Message": .string(message), "Response": .object([:])])
    }

    func respond(to request: RecordedRequest) -> EmulatorReply {
        guard authorized(request) else {
            return Self.failure(401, "Authorization has been denied for this request.")
        }
        // ASP.NET routes ignore case and a trailing slash.
        var path = request.path.lowercased()
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let method = request.method
        func allow(_ methods: Set<String>) -> EmulatorReply? {
            methods.contains(method) ? nil
                : Self.failure(405, "The requested resource does not support http method '\(method)'.")
        }

        switch path {
        case "/api/v1/about":
            if let refused = allow(["GET"]) { return refused }
            return about()
        case "/api/v1/contact":
            if let refused = allow(["GET", "POST"]) { return refused }
            return method == "GET" ? find(request) : createOrUpdate(request)
        case "/api/v1/contact/upsert":
            if let refused = allow(["POST"]) { return refused }
            return findOrCreate(request)
        default:
            let prefix = "/api/v1/contact/"
            guard path.hasPrefix(prefix), !path.dropFirst(prefix.count).contains("/") else {
                return Self.failure(404, "No resource was found that matches the request URI.")
            }
            // The id keeps its case: take it from the original path.
            let dsId = String(request.path.split(separator: "/").last ?? "")
            if let refused = allow(["GET", "DELETE"]) { return refused }
            return method == "GET" ? get(dsId: dsId) : delete(dsId: dsId)
        }
    }

    /// `Authorization: Bearer <token>`, or Basic with the token as the password and any user.
    private func authorized(_ request: RecordedRequest) -> Bool {
        guard let header = request.header("Authorization") else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        switch parts[0].lowercased() {
        case "bearer": return parts[1] == options.token
        case "basic":
            guard let data = Data(base64Encoded: String(parts[1])), let pair = String(data: data, encoding: .utf8),
                  let colon = pair.firstIndex(of: ":") else { return false }
            return pair[pair.index(after: colon)...] == options.token
        default: return false
        }
    }

    private func json(_ contact: DailyStoryContact) -> EmulatorJSON {
        contact.json(statusEncoding: options.statusEncoding, tenantID: options.tenantID)
    }

    private func reply(created contact: DailyStoryContact) -> EmulatorReply {
        switch options.createReply {
        case .contactAndID: Self.envelope(["contact": json(contact), "id": .string(contact.dsId)])
        case .idOnly: Self.envelope(["id": .string(contact.dsId)])
        }
    }

    private func about() -> EmulatorReply {
        let about: EmulatorJSON = [
            "timestamp": .string(UTCTime(date: options.clock()).dailyStory),
            "tenant": .number(Double(options.tenantID)),
            "uid": .string(String(options.token.prefix(8))),
            "dataCenter": .string(options.dataCenter),
        ]
        switch options.aboutReply {
        case .envelope: return Self.envelope(about)
        case .bare: return .json(200, about)
        }
    }

    private func get(dsId: String) -> EmulatorReply {
        guard let contact = tenant.contact(dsId: dsId) else { return Self.failure(404, "Contact not found.") }
        return Self.envelope(["contact": json(contact)])
    }

    /// Query names are matched without case, as ASP.NET binds them.
    private func parameter(_ request: RecordedRequest, _ name: String) -> String? {
        request.query.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame })?.value
    }

    private func find(_ request: RecordedRequest) -> EmulatorReply {
        let match: DailyStoryContact?
        if let email = parameter(request, "email"), !email.isEmpty {
            match = tenant.first(email: email)
        } else if let mobile = parameter(request, "mobilephone"), !mobile.isEmpty {
            match = tenant.first(mobile: mobile)
        } else {
            return Self.failure(400, "Provide an email or a mobilephone to find a contact.")
        }
        guard let match else { return Self.failure(404, "Contact not found.") }
        return Self.envelope(["contact": json(match)])
    }

    private func body(_ request: RecordedRequest) -> Result<[String: EmulatorJSON], Refusal> {
        guard let value = try? EmulatorJSON(parsing: request.body) else {
            return .failure(Refusal("The request body is not valid JSON."))
        }
        guard let object = value.objectValue else { return .failure(Refusal("The request body must be a JSON object.")) }
        return .success(object)
    }

    private func createOrUpdate(_ request: RecordedRequest) -> EmulatorReply {
        let object: [String: EmulatorJSON]
        switch body(request) {
        case .failure(let refusal): return Self.failure(400, refusal.message)
        case .success(let parsed): object = parsed
        }
        let changes: DailyStoryChanges
        switch DailyStoryChanges.parse(object) {
        case .failure(let refusal): return Self.failure(400, refusal.message)
        case .success(let parsed): changes = parsed
        }
        if let email = changes.strings["email"], !email.isEmpty, !EmailSyntax.isPlausible(email) {
            return Self.failure(400, "The email address '\(email)' is not valid.")
        }
        if let mobile = changes.strings["mobilePhone"], !mobile.isEmpty, !DailyStoryText.isMobile(mobile) {
            return Self.failure(400, "The mobile phone '\(mobile)' is not a valid E.164 number.")
        }
        if case .string(let dsId)? = object["dsId"], !dsId.isEmpty {
            guard let updated = tenant.update(dsId: dsId, changes) else { return Self.failure(404, "Contact not found.") }
            return reply(created: updated)
        }
        let hasEmail = !(changes.strings["email"] ?? "").isEmpty
        let hasMobile = !(changes.strings["mobilePhone"] ?? "").isEmpty
        guard hasEmail || hasMobile else {
            return Self.failure(400, "A contact needs a dsId to update, or an email or mobile phone to create.")
        }
        if options.createWithoutID == .mergeByEmailOrMobile, let target = tenant.mergeTarget(for: changes),
           let merged = tenant.update(dsId: target, changes) {
            return reply(created: merged)
        }
        return reply(created: tenant.create(changes))
    }

    private func findOrCreate(_ request: RecordedRequest) -> EmulatorReply {
        var changes = DailyStoryChanges()
        if let email = parameter(request, "email"), !email.isEmpty {
            guard EmailSyntax.isPlausible(email) else { return Self.failure(400, "The email address '\(email)' is not valid.") }
            if let match = tenant.first(email: email) { return reply(created: match) }
            changes.strings["email"] = email
        } else if let mobile = parameter(request, "mobilephone"), !mobile.isEmpty {
            guard DailyStoryText.isMobile(mobile) else {
                return Self.failure(400, "The mobile phone '\(mobile)' is not a valid E.164 number.")
            }
            if let match = tenant.first(mobile: mobile) { return reply(created: match) }
            changes.strings["mobilePhone"] = mobile
        } else {
            return Self.failure(400, "Provide an email or a mobilephone to find or create a contact.")
        }
        return reply(created: tenant.create(changes))
    }

    private func delete(dsId: String) -> EmulatorReply {
        guard tenant.softDelete(dsId: dsId) else { return Self.failure(404, "Contact not found.") }
        return Self.envelope(.object([:]))
    }
}
