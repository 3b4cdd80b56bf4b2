import Foundation

/// A Notifuse workspace on 127.0.0.1, following PROVIDERS.md §2 and the server's code
/// (`internal/http/contact_handler.go`, `internal/domain/contact.go`,
/// `internal/repository/contact_postgres.go`, `internal/http/middleware/auth.go`): the
/// bearer check, the seven `contacts.*` endpoints with their validation, null semantics,
/// ordering, cursor paging and error bodies (plain text on `contacts.list`).
///
/// ```swift
/// let notifuse = NotifuseEmulator(options: .init(clock: { fixedDate }))
/// try await notifuse.start()
/// // notifuse.baseURL, notifuse.apiToken, notifuse.workspaceID
/// notifuse.inject(.status(429, retryAfter: 1), count: 2, path: "/api/contacts.upsert")
/// try notifuse.webUI.upsert(["email": "rob@example.com", "first_name": "Rob"])
/// notifuse.store.contact(email: "rob@example.com")
/// await notifuse.stop()
/// ```
///
/// Not emulated: list membership and segments (`contactLists.*`, `lists.*`; the `list_id`,
/// `contact_list_status` and `segments[]` filters match nothing because no contact is in a
/// list, and `subscribe_to_lists` on import is accepted and has no effect), timelines and
/// webhooks.
public final class NotifuseEmulator: LoopbackEmulator {
    public struct Options: Sendable {
        public var port: UInt16
        public var clock: EmulatorClock
        public var workspaceID: String
        /// The HS256 secret the server signs API keys with.
        public var jwtSecret: String
        /// The API key's user; tokens for any other user fail like an unknown user.
        public var apiKeyUserID: String
        public var upsertReply: UpsertReplyShape
        public var invalidCursor: InvalidCursorAnswer

        public init(port: UInt16 = 0,
                    clock: @escaping EmulatorClock = { Date() },
                    workspaceID: String = "ws_1234567890",
                    jwtSecret: String = "rolo-notifuse-emulator-secret-0001",
                    apiKeyUserID: String = "apikey_rolo_emulator",
                    upsertReply: UpsertReplyShape = .server,
                    invalidCursor: InvalidCursorAnswer = .badRequest) {
            self.port = port
            self.clock = clock
            self.workspaceID = workspaceID
            self.jwtSecret = jwtSecret
            self.apiKeyUserID = apiKeyUserID
            self.upsertReply = upsertReply
            self.invalidCursor = invalidCursor
        }
    }

    /// The reply of `contacts.upsert`. PROVIDERS.md §3b: the docs page and the server code
    /// disagree, and a client must read both.
    public enum UpsertReplyShape: Sendable {
        /// `{"email": …, "action": "create"|"update"}` — what the server code sends (default).
        case server
        /// `{"action": "created"|"updated", "contact": {…}, "error": null}` — the docs page.
        case docsPage
    }

    /// What `contacts.list` answers to a cursor it cannot read. UNKNOWN which one a running
    /// server gives: PROVIDERS.md §2.8 lists "invalid cursor…" among the plain-text 400s,
    /// while the repository code read for this emulator decodes the cursor after
    /// validation, so the handler answers 500 "Failed to get contacts".
    public enum InvalidCursorAnswer: Sendable {
        /// 400 `Invalid request: invalid cursor …` (plain text) — PROVIDERS.md (default).
        case badRequest
        /// 500 `Failed to get contacts` (plain text) — the code at the commit read.
        case serverError
    }

    public let host: EmulatorHost
    public let workspaceID: String
    /// A workspace API key (`type: api_key`), valid for ten years from the emulator's clock.
    public let apiToken: String
    /// Read access to the stored contacts, for assertions.
    public let store: NotifuseStore
    /// Changes made on the server side, as a colleague in Notifuse's console would.
    public let webUI: NotifuseWebUI

    public init(options: Options = Options()) {
        let workspace = NotifuseWorkspace(clock: options.clock)
        let secret = Data(options.jwtSecret.utf8)
        let token = NotifuseTokenCheck.makeAPIKey(secret: secret, userID: options.apiKeyUserID,
                                                  email: "api-key@emulator.invalid", now: options.clock())
        let routes = NotifuseRoutes(workspace: workspace, options: options,
                                    tokenCheck: NotifuseTokenCheck(secret: secret, clock: options.clock))
        self.workspaceID = options.workspaceID
        self.apiToken = token
        self.store = NotifuseStore(workspace: workspace)
        self.webUI = NotifuseWebUI(workspace: workspace)
        self.host = EmulatorHost(port: options.port,
                                 statusReply: { status in
                                     .json(status, ["error": .string(EmulatorHost.reasonPhrase(status))],
                                           escapeHTML: true, trailingNewline: true)
                                 },
                                 respond: { request in routes.respond(to: request) })
    }
}

/// Read access to a Notifuse emulator's contacts.
public struct NotifuseStore: Sendable {
    let workspace: NotifuseWorkspace

    /// The contact as `contacts.getByEmail` returns it (NULL columns left out), or nil. The
    /// email is normalised as the server does.
    public func contact(email: String) -> EmulatorJSON? {
        workspace.contact(email: NotifuseText.normalizeEmail(email))?.json()
    }

    /// Every contact, in `contacts.list` order (created_at DESC, email ASC).
    public func allContacts() -> [EmulatorJSON] { workspace.allContacts().map { $0.json() } }

    public var count: Int { workspace.count }
}

/// Server-side changes, as a colleague would make them in the console.
public struct NotifuseWebUI: Sendable {
    let workspace: NotifuseWorkspace

    /// Creates or edits a contact with `contacts.upsert`'s rules (absent keeps, null clears,
    /// updated_at becomes now). Throws the server's message for an invalid contact.
    public func upsert(_ contact: EmulatorJSON) throws(NotifuseEmulatorError) {
        switch NotifuseContactInput.parse(contact) {
        case .failure(let error): throw NotifuseEmulatorError(message: error.message)
        case .success(let input):
            if case .failure(let error) = workspace.upsert(input) { throw NotifuseEmulatorError(message: error.message) }
        }
    }

    /// Deletes a contact for good; false when there was none.
    @discardableResult
    public func delete(email: String) -> Bool {
        workspace.delete(email: NotifuseText.normalizeEmail(email))
    }

    /// Adds many contacts quickly (benchmarks seed 100k). Each object is validated like an
    /// upsert; `created_at` / `updated_at` (RFC 3339), which the API ignores, are honoured
    /// here so a test can lay out list order; otherwise both are the clock's now. A later
    /// object with the same email replaces an earlier one.
    public func seed(_ contacts: [EmulatorJSON]) throws(NotifuseEmulatorError) {
        let now = workspace.stamp()
        var rows = [NotifuseContact]()
        rows.reserveCapacity(contacts.count)
        for (index, json) in contacts.enumerated() {
            let input: NotifuseContactInput
            switch NotifuseContactInput.parse(json) {
            case .success(let parsed): input = parsed
            case .failure(let error): throw NotifuseEmulatorError(message: "seed contact at index \(index): \(error.message)")
            }
            if let problem = input.databaseError() {
                throw NotifuseEmulatorError(message: "seed contact at index \(index): \(problem)")
            }
            func stamp(_ name: String) throws(NotifuseEmulatorError) -> Int64? {
                guard let text = json[name]?.stringValue else { return nil }
                switch TimestampParsing.goRFC3339(text) {
                case .success(let micros): return micros
                case .failure(let failure):
                    throw NotifuseEmulatorError(message: "seed contact at index \(index): \(name): \(failure.message)")
                }
            }
            let created = try stamp("created_at") ?? now
            var contact = NotifuseContact(email: input.email, createdAt: created, updatedAt: try stamp("updated_at") ?? created)
            for (name, change) in input.changes { contact.values[name] = change }
            rows.append(contact)
        }
        workspace.seed(rows)
    }
}

public struct NotifuseEmulatorError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The HTTP routes: each mirrors its handler in `contact_handler.go`, including which
/// failures are JSON and which are plain text, and the order of the checks.
struct NotifuseRoutes: Sendable {
    let workspace: NotifuseWorkspace
    let options: NotifuseEmulator.Options
    let tokenCheck: NotifuseTokenCheck

    func respond(to request: RecordedRequest) -> EmulatorReply {
        let path = request.path
        let handler: ((RecordedRequest, NotifuseTokenCheck.Claims) -> EmulatorReply)?
        switch path {
        case "/api/contacts.list": handler = list
        case "/api/contacts.count": handler = count
        case "/api/contacts.getByEmail": handler = getByEmail
        case "/api/contacts.getByExternalID": handler = getByExternalID
        case "/api/contacts.delete": handler = delete
        case "/api/contacts.import": handler = importContacts
        case "/api/contacts.upsert": handler = upsert
        default: handler = nil
        }
        // Go's ServeMux answers unknown paths before any middleware runs.
        guard let handler else { return .text(404, "404 page not found\n") }
        switch tokenCheck.check(authorization: request.header("Authorization")) {
        case .failure(let failure): return jsonError(401, failure.message)
        case .success(let claims): return handler(request, claims)
        }
    }

    // MARK: Replies

    private func json(_ value: EmulatorJSON, status: Int = 200) -> EmulatorReply {
        // Go's json.Encoder: HTML-safe escaping and a trailing newline.
        .json(status, value, escapeHTML: true, trailingNewline: true)
    }

    private func jsonError(_ status: Int, _ message: String) -> EmulatorReply {
        json(["error": .string(message)], status: status)
    }

    /// Go's `http.Error`: plain text with a newline.
    private func plainError(_ status: Int, _ message: String) -> EmulatorReply {
        .text(status, message + "\n")
    }

    /// `AuthenticateUserForWorkspace`: the key's user must exist, then the workspace.
    private func serviceAuthError(_ claims: NotifuseTokenCheck.Claims, workspaceID: String) -> String? {
        guard claims.type == "api_key", claims.userID == options.apiKeyUserID else { return "user not found" }
        guard workspaceID == options.workspaceID else { return "workspace not found: \(workspaceID)" }
        return nil
    }

    // MARK: contacts.list

    private func list(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "GET" else { return plainError(405, "Method not allowed") }
        let query = request.query
        func value(_ name: String) -> String { query.first(where: { $0.name == name })?.value ?? "" }
        let workspaceID = value("workspace_id")
        guard !workspaceID.isEmpty else { return plainError(400, "Invalid request: workspace_id is required") }
        var limit = 20
        let limitText = value("limit")
        if !limitText.isEmpty {
            switch GoStrconv.atoi(limitText) {
            case .failure(let refusal): return plainError(400, "Invalid request: invalid limit: \(refusal.message)")
            case .success(let number):
                guard (1...100).contains(number) else {
                    return plainError(400, "Invalid request: limit must be between 1 and 100")
                }
                limit = number
            }
        }
        var withContactLists = false
        let withListsText = value("with_contact_lists")
        if !withListsText.isEmpty {
            switch GoStrconv.parseBool(withListsText) {
            case .failure(let refusal): return plainError(400, "Invalid request: invalid with_contact_lists: \(refusal.message)")
            case .success(let flag): withContactLists = flag
            }
        }
        if serviceAuthError(claims, workspaceID: workspaceID) != nil {
            return plainError(500, "Failed to get contacts")
        }

        var cursor: NotifuseWorkspace.ListKey?
        let cursorText = value("cursor")
        if !cursorText.isEmpty {
            switch Self.decodeCursor(cursorText) {
            case .success(let key): cursor = key
            case .failure(let reason):
                switch options.invalidCursor {
                case .badRequest: return plainError(400, "Invalid request: \(reason.message)")
                case .serverError: return plainError(500, "Failed to get contacts")
                }
            }
        }

        // Each filter is `ILIKE '%term%'` on its column; a NULL column never matches.
        var terms = [(column: String, term: String)]()
        for name in ["email", "external_id", "first_name", "last_name", "full_name", "phone", "country", "language"] {
            let term = value(name)
            if !term.isEmpty { terms.append((name, term)) }
        }
        let needsMembership = !value("list_id").isEmpty || !value("contact_list_status").isEmpty
            || query.contains(where: { $0.name == "segments[]" })
        var matches: ((NotifuseContact) -> Bool)?
        if needsMembership {
            matches = { _ in false }
        } else if !terms.isEmpty {
            matches = { contact in
                terms.allSatisfy { column, term in
                    let stored: String?
                    if column == "email" { stored = contact.email } else if case .string(let text)? = contact.values[column] {
                        stored = text
                    } else { stored = nil }
                    return stored.map { NotifuseText.ilikeContains($0, term) } ?? false
                }
            }
        }

        let page = workspace.page(after: cursor, limit: limit, withContactLists: withContactLists, matches: matches)
        var body = Data()
        body.reserveCapacity(page.items.reduce(64) { $0 + $1.count + 1 })
        // An empty page is `"contacts":null`: the server's slice is nil when no row came back.
        if page.items.isEmpty {
            body.append(contentsOf: #"{"contacts":null"#.utf8)
        } else {
            body.append(contentsOf: #"{"contacts":["#.utf8)
            for (index, item) in page.items.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body.append(item)
            }
            body.append(UInt8(ascii: "]"))
        }
        if page.more, let last = page.last {
            body.append(contentsOf: #","next_cursor":"#.utf8)
            body.append(EmulatorJSON.string(Self.encodeCursor(last)).serialized(escapeHTML: true))
        }
        body.append(contentsOf: "}\n".utf8)
        return .jsonBytes(200, body)
    }

    /// base64 (standard alphabet, padded) of `<created_at RFC3339Nano>~<email>`.
    static func encodeCursor(_ key: NotifuseWorkspace.ListKey) -> String {
        Data("\(UTCTime(microseconds: key.createdAt).rfc3339(fraction: true))~\(key.email)".utf8).base64EncodedString()
    }

    /// The repository's cursor reading, with its messages. An email holding `~` makes a
    /// cursor the server itself cannot read back ("expected timestamp~email"): kept, since
    /// a client has to survive it.
    static func decodeCursor(_ text: String) -> Result<NotifuseWorkspace.ListKey, Refusal> {
        guard let data = GoBase64.decodeStandard(text) else {
            return .failure(Refusal("invalid cursor encoding: illegal base64 data at input byte \(GoBase64.firstBadByte(text))"))
        }
        let decoded = String(decoding: data, as: UTF8.self)
        let parts = decoded.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(Refusal("invalid cursor format: expected timestamp~email")) }
        switch TimestampParsing.goRFC3339(String(parts[0]), layout: "2006-01-02T15:04:05.999999999Z07:00") {
        case .failure(let failure): return .failure(Refusal("invalid cursor timestamp format: \(failure.message)"))
        case .success(let micros): return .success(.init(createdAt: micros, email: String(parts[1])))
        }
    }

    // MARK: contacts.count, getByEmail, getByExternalID

    private func count(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "GET" else { return jsonError(405, "Method not allowed") }
        let workspaceID = request.query("workspace_id") ?? ""
        guard !workspaceID.isEmpty else { return jsonError(400, "Missing workspace ID") }
        if serviceAuthError(claims, workspaceID: workspaceID) != nil { return jsonError(500, "Failed to count contacts") }
        return json(["total_contacts": .number(Double(workspace.count))])
    }

    private func getByEmail(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "GET" else { return jsonError(405, "Method not allowed") }
        let workspaceID = request.query("workspace_id") ?? ""
        guard !workspaceID.isEmpty else { return jsonError(400, "Missing workspace ID") }
        let email = request.query("email") ?? ""
        guard !email.isEmpty else { return jsonError(400, "Missing email") }
        if serviceAuthError(claims, workspaceID: workspaceID) != nil {
            return jsonError(500, "Failed to get contact by email")
        }
        guard let contact = workspace.contact(email: NotifuseText.normalizeEmail(email)) else {
            return jsonError(404, "Contact not found")
        }
        return json(["contact": contact.json()])
    }

    private func getByExternalID(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "GET" else { return jsonError(405, "Method not allowed") }
        let workspaceID = request.query("workspace_id") ?? ""
        guard !workspaceID.isEmpty else { return jsonError(400, "Missing workspace ID") }
        let externalID = request.query("external_id") ?? ""
        guard !externalID.isEmpty else { return jsonError(400, "Missing external ID") }
        if serviceAuthError(claims, workspaceID: workspaceID) != nil {
            return jsonError(500, "Failed to get contact by external ID")
        }
        guard let contact = workspace.contact(externalID: externalID) else { return jsonError(404, "Contact not found") }
        return json(["contact": contact.json()])
    }

    // MARK: contacts.delete

    private func delete(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "POST" else { return jsonError(405, "Method not allowed") }
        // json.Decoder reads the first JSON value; `null` decodes to an empty request.
        guard let body = GoJSON.firstValue(request.body), let object = GoJSON.asStruct(body),
              let workspaceID = GoJSON.stringField(object, "workspace_id"),
              let email = GoJSON.stringField(object, "email") else {
            return jsonError(400, "Invalid request body")
        }
        guard !workspaceID.isEmpty else { return jsonError(400, "workspace_id is required") }
        guard !email.isEmpty else { return jsonError(400, "email is required") }
        // Checked before normalising: surrounding spaces make the address invalid here.
        guard NotifuseText.isEmail(email) else { return jsonError(400, "invalid email format") }
        if serviceAuthError(claims, workspaceID: workspaceID) != nil { return jsonError(500, "Failed to delete contact") }
        guard workspace.delete(email: NotifuseText.normalizeEmail(email)) else { return jsonError(404, "Contact not found") }
        return json(["success": true])
    }

    // MARK: contacts.upsert

    private func upsert(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "POST" else { return jsonError(405, "Method not allowed") }
        guard let body = try? EmulatorJSON(parsing: request.body), let object = GoJSON.asStruct(body),
              let workspaceID = GoJSON.stringField(object, "workspace_id") else {
            return jsonError(400, "Invalid request body")
        }
        guard !workspaceID.isEmpty else { return jsonError(400, "workspace_id is required") }
        guard let contactJSON = GoJSON.field(object, "contact") else { return jsonError(400, "contact field is required") }
        let input: NotifuseContactInput
        switch NotifuseContactInput.parse(contactJSON) {
        case .failure(let error): return jsonError(400, "invalid contact: \(error.message)")
        case .success(let parsed): input = parsed
        }
        if let problem = serviceAuthError(claims, workspaceID: workspaceID) { return jsonError(400, problem) }
        switch workspace.upsert(input) {
        case .failure(let error): return jsonError(400, error.message)
        case .success(let outcome):
            switch options.upsertReply {
            case .server:
                return json(["email": .string(input.email), "action": outcome.created ? "create" : "update"])
            case .docsPage:
                return json(["action": outcome.created ? "created" : "updated", "contact": outcome.contact.json(),
                             "error": .null])
            }
        }
    }

    // MARK: contacts.import

    private func importContacts(_ request: RecordedRequest, _ claims: NotifuseTokenCheck.Claims) -> EmulatorReply {
        guard request.method == "POST" else { return jsonError(405, "Method not allowed") }
        guard let body = try? EmulatorJSON(parsing: request.body), let object = GoJSON.asStruct(body),
              let workspaceID = GoJSON.stringField(object, "workspace_id"),
              GoJSON.isStringArrayOrNull(GoJSON.field(object, "subscribe_to_lists")) else {
            return jsonError(400, "Invalid request body")
        }
        guard !workspaceID.isEmpty else { return jsonError(400, "workspace_id is required") }
        guard case .array(let items)? = GoJSON.field(object, "contacts") else { return jsonError(400, "contacts must be an array") }
        guard !items.isEmpty else { return jsonError(400, "contacts array is empty") }
        if let problem = serviceAuthError(claims, workspaceID: workspaceID) {
            return jsonError(500, "failed to authenticate user: \(problem)")
        }

        // Invalid items first, in input order. An item whose fields fail to parse becomes an
        // empty contact on the server, so its error is always "email is required" and its
        // email "" — the real reason is lost, as on the real server.
        var operations = [EmulatorJSON]()
        var valid = [(index: Int, input: NotifuseContactInput)]()
        for (index, item) in items.enumerated() {
            switch NotifuseContactInput.parse(item) {
            case .success(let input): valid.append((index, input))
            case .failure:
                operations.append(["email": "", "action": "error",
                                   "error": .string("invalid contact at index \(index): email is required")])
            }
        }
        // Duplicate emails: the last one wins, at the position of its last occurrence.
        var lastIndex = [String: Int]()
        for (position, item) in valid.enumerated() { lastIndex[item.input.email] = position }
        valid = valid.enumerated().filter { lastIndex[$0.element.input.email] == $0.offset }.map(\.element)

        // Then the database results, chunk by chunk (500 rows per statement).
        let chunkSize = 500
        for start in stride(from: 0, to: valid.count, by: chunkSize) {
            let chunk = Array(valid[start..<min(start + chunkSize, valid.count)])
            switch workspace.importChunk(chunk.map(\.input)) {
            case .success(let results):
                for result in results {
                    operations.append(["email": .string(result.email), "action": result.created ? "create" : "update"])
                }
            case .failure(let error):
                for item in chunk {
                    operations.append(["email": .string(item.input.email), "action": "error",
                                       "error": .string("failed to upsert contact at index \(item.index): \(error.message)")])
                }
            }
        }
        return json(["operations": .array(operations)])
    }
}
