import Foundation

/// An iVvy account on 127.0.0.1, following PROVIDERS.md §3: every request is a POST to
/// `/api/1.0/{namespace}?action=…` whose IWS signature is checked exactly as §3.1 says
/// (Content-MD5 of the exact body, `IVVY-Date` or `Date` within five minutes of the
/// emulator's clock, HMAC-SHA1 of the lower-cased string to sign); the `contact`
/// namespace's list, get, add-or-update, custom field definitions and subscription groups;
/// `test?action=ping`; `addContactsToSubscriptionGroup` and
/// `removeContactsFromSubscriptionGroup` (one membership each, while `groups` on
/// `addOrUpdateContact` replaces them all, §3.9); and `batch?action=run|progress|results`.
///
/// iVvy has no delete action: `webUI.delete(id:)` makes a contact vanish from lists and
/// `getContact`, as the November 2025 announcement says deleted contacts do.
///
/// Failures inside a 200 (§3.7 "`success:false` … check both"): this emulator answers an
/// update of an id that does not exist, or of an anonymised contact, with
/// `200 {"success": false, "message": …}`; every validation failure is a 400 with
/// `errorCode` and `specificCode` (23016, 23017).
///
/// Not emulated: companies' own actions, notes, events, notifications,
/// `batch?action=restart|repost`; a batch's `callbackUrl` is never called (the emulator makes
/// no outgoing requests).
public final class IVVYEmulator: LoopbackEmulator {
    public struct Options: Sendable {
        public var port: UInt16
        public var clock: EmulatorClock
        public var apiKey: String
        public var apiSecret: String
        /// The undocumented server cap on `perPage`; larger values are silently capped.
        public var perPageCap: Int
        /// The id of the first contact added (the docs' example reply says 33884).
        public var firstContactID: Int
        public var customFields: [IVVYCustomFieldDefinition]
        public var subscriptionGroups: [IVVYSubscriptionGroup]
        /// Companies that exist (id → business name); `companies` must name them.
        public var companies: [Int: String]
        public var customFieldsOnUpdate: CustomFieldsOnUpdate
        public var multipleSelectFormat: MultipleSelectFormat
        /// Whether `addContactsToSubscriptionGroup` and `removeContactsFromSubscriptionGroup`
        /// move the contacts' `modifiedDate`: UNKNOWN (§3.2 does not say). Default false: the
        /// reading in which a listing by `fromModifiedDate` does not bring the change, so a
        /// client that sent back the `groups` it last read would undo it.
        public var groupActionsTouchContact: Bool
        /// How many `batch?action=progress` polls a batch takes before it reports 100 and
        /// its results can be read (0: done at once).
        public var batchPollsBeforeCompletion: Int
        /// Seeds the batch ids.
        public var idSeed: UInt64

        public init(port: UInt16 = 0,
                    clock: @escaping EmulatorClock = { Date() },
                    apiKey: String = "rolo-ivvy-emulator-key",
                    apiSecret: String = "rolo-ivvy-emulator-secret",
                    perPageCap: Int = 100,
                    firstContactID: Int = 33884,
                    customFields: [IVVYCustomFieldDefinition] = IVVYEmulator.defaultCustomFields,
                    subscriptionGroups: [IVVYSubscriptionGroup] = IVVYEmulator.defaultSubscriptionGroups,
                    companies: [Int: String] = [4: "Company Name 1", 5: "Company Name 3 (Department)", 6: "Company Name 2"],
                    customFieldsOnUpdate: CustomFieldsOnUpdate = .replaceAll,
                    multipleSelectFormat: MultipleSelectFormat = .array,
                    groupActionsTouchContact: Bool = false,
                    batchPollsBeforeCompletion: Int = 0,
                    idSeed: UInt64 = 1) {
            self.port = port
            self.clock = clock
            self.apiKey = apiKey
            self.apiSecret = apiSecret
            self.perPageCap = perPageCap
            self.firstContactID = firstContactID
            self.customFields = customFields
            self.subscriptionGroups = subscriptionGroups
            self.companies = companies
            self.customFieldsOnUpdate = customFieldsOnUpdate
            self.multipleSelectFormat = multipleSelectFormat
            self.groupActionsTouchContact = groupActionsTouchContact
            self.batchPollsBeforeCompletion = batchPollsBeforeCompletion
            self.idSeed = idSeed
        }
    }

    /// What `customFields` on an update does to fields it does not list: UNKNOWN (§3.6; the
    /// docs say "replaces" only of `groups`).
    public enum CustomFieldsOnUpdate: Sendable {
        /// The list replaces every custom value, like `groups` (default: the reading that
        /// loses data for a client that sends only what changed).
        case replaceAll
        /// Only the listed fields change.
        case mergeListed
    }

    /// The wire format of a Multiple Select value: UNKNOWN (§3.6).
    public enum MultipleSelectFormat: Sendable, Equatable {
        /// `["a", "b"]` (default).
        case array
        /// `"a,b"`.
        case commaSeparated
    }

    /// The documented examples' ids: field 33443 (a Yes/No select), group 10.
    public static let defaultCustomFields: [IVVYCustomFieldDefinition] = [
        .init(fieldId: 33443, fieldType: .singleSelect, displayName: "Newsletter", sortOrder: 1,
              selectValues: ["Yes": "Yes", "No": "No"]),
        .init(fieldId: 5, fieldType: .date, displayName: "Birth Date", sortOrder: 2),
    ]
    public static let defaultSubscriptionGroups: [IVVYSubscriptionGroup] = [
        .init(id: 10, groupName: "Newsletter"), .init(id: 57138, groupName: "Events", tagColour: "#e69138"),
    ]

    public let host: EmulatorHost
    public let apiKey: String
    public let apiSecret: String
    /// Read access for assertions.
    public let store: IVVYStore
    /// Server-side changes, as a colleague in iVvy's web app would make them.
    public let webUI: IVVYWebUI

    public init(options: Options = Options()) {
        let settings = IVVYAccountSettings(customFields: options.customFields, groups: options.subscriptionGroups,
                                           companies: options.companies, multipleSelectFormat: options.multipleSelectFormat)
        let account = IVVYAccount(settings: settings, firstID: options.firstContactID, clock: options.clock)
        let routes = IVVYRoutes(account: account, options: options, batches: IVVYBatches(seed: options.idSeed))
        apiKey = options.apiKey
        apiSecret = options.apiSecret
        store = IVVYStore(account: account)
        webUI = IVVYWebUI(account: account, groupActionsTouchContact: options.groupActionsTouchContact)
        host = EmulatorHost(port: options.port,
                            statusReply: { status in
                                .json(status, IVVYFailure(errorCode: status, message: EmulatorHost.reasonPhrase(status)).json)
                            },
                            respond: { request in routes.respond(to: request) })
    }
}

public struct IVVYStore: Sendable {
    let account: IVVYAccount

    /// The contact as `getContact` returns it; nil when missing or deleted.
    public func contact(id: Int) -> EmulatorJSON? { account.contact(id: id)?.json(account: account.settings, detail: true) }

    /// Every live contact, by ascending id, as `getContactList` returns them.
    public func allContacts() -> [EmulatorJSON] {
        account.all().map { $0.json(account: account.settings, detail: false) }
    }

    public var count: Int { account.count }
}

public struct IVVYWebUI: Sendable {
    let account: IVVYAccount
    let groupActionsTouchContact: Bool

    /// Adds a contact with `addOrUpdateContact`'s value rules (no field is required here).
    @discardableResult
    public func add(_ contact: EmulatorJSON) throws(IVVYEmulatorError) -> Int {
        account.add(try changes(contact))
    }

    /// Edits a contact (any value rule of the API applies); `modifiedDate` becomes now.
    public func update(id: Int, _ fields: EmulatorJSON) throws(IVVYEmulatorError) {
        let parsed = try changes(fields)
        guard account.edit(id: id, { IVVYAccount.apply(parsed, to: &$0, at: account.now(), replaceCustomFields: false) }) else {
            throw IVVYEmulatorError(message: "no contact \(id)")
        }
    }

    /// Adds contacts to one subscription group as `addContactsToSubscriptionGroup` does (the
    /// other memberships stay; `modifiedDate` as the options say). Returns each contact's status.
    @discardableResult
    public func addToSubscriptionGroup(_ group: Int, contacts: [Int]) -> [Bool] {
        account.setMembership(group: group, contacts: contacts, member: true, touch: groupActionsTouchContact).map(\.status)
    }

    /// Deletes a contact in the web app: it vanishes from every reply.
    @discardableResult
    public func delete(id: Int) -> Bool { account.delete(id: id) }

    /// Anonymises a contact: personal data blanked, further API updates refused.
    @discardableResult
    public func anonymise(id: Int) -> Bool {
        account.edit(id: id) { contact in
            contact.firstName = nil
            contact.lastName = nil
            contact.email = nil
            contact.phone = nil
            contact.customFields = [:]
            contact.isAnonymised = true
        }
    }

    /// Adds many contacts at once; a `modifiedDate` (iVvy timestamp) in an object is kept,
    /// so incremental listings can be laid out. Returns the ids in order.
    @discardableResult
    public func seed(_ contacts: [EmulatorJSON]) throws(IVVYEmulatorError) -> [Int] {
        var batch = [(changes: IVVYContactChanges, modified: Int64?, id: Int?)]()
        batch.reserveCapacity(contacts.count)
        for contact in contacts {
            let id = contact["id"]?.wholeNumber
            var modified: Int64?
            if let text = contact["modifiedDate"]?.stringValue {
                guard let date = TimestampParsing.ivvy(text) else {
                    throw IVVYEmulatorError(message: "modifiedDate \(text) is not an iVvy timestamp")
                }
                modified = date.unixMicroseconds
            }
            batch.append((try changes(contact), modified, id))
        }
        return account.seed(batch)
    }

    private func changes(_ json: EmulatorJSON) throws(IVVYEmulatorError) -> IVVYContactChanges {
        guard var object = json.objectValue else { throw IVVYEmulatorError(message: "a contact is a JSON object") }
        object["modifiedDate"] = nil
        object["id"] = nil
        switch IVVYContactChanges.parse(object, account: account.settings) {
        case .success(let changes): return changes
        case .failure(let failure):
            throw IVVYEmulatorError(message: ([failure.message] + failure.additionalMessages).joined(separator: ": "))
        }
    }
}

public struct IVVYEmulatorError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Batches run at once; their results wait for the polls the options ask for.
final class IVVYBatches: Sendable {
    struct Batch { var results: [EmulatorJSON]; var pollsLeft: Int; let polls: Int }
    private let state: Locked<(batches: [String: Batch], ids: SplitMix64)>

    init(seed: UInt64) { state = Locked(([:], SplitMix64(seed: seed ^ 0xB47C))) }

    func store(_ results: [EmulatorJSON], polls: Int) -> String {
        state.withLock { state in
            let id = state.ids.nextHexID()
            state.batches[id] = Batch(results: results, pollsLeft: polls, polls: polls)
            return id
        }
    }

    func progress(_ id: String) -> Int? {
        state.withLock { state in
            guard var batch = state.batches[id] else { return nil }
            if batch.pollsLeft > 0 { batch.pollsLeft -= 1 }
            state.batches[id] = batch
            return batch.polls == 0 ? 100 : 100 * (batch.polls - batch.pollsLeft) / batch.polls
        }
    }

    /// nil: no such batch; `.some(nil)`: not completed.
    func results(_ id: String) -> [EmulatorJSON]?? {
        state.withLock { state in
            guard let batch = state.batches[id] else { return nil }
            return batch.pollsLeft > 0 ? .some(nil) : .some(batch.results)
        }
    }
}

struct IVVYRoutes: Sendable {
    let account: IVVYAccount
    let options: IVVYEmulator.Options
    let batches: IVVYBatches

    static let staleWindow: TimeInterval = 5 * 60

    private static func reply(_ failure: IVVYFailure) -> EmulatorReply { .json(failure.errorCode, failure.json) }

    func respond(to request: RecordedRequest) -> EmulatorReply {
        guard request.method == "POST" else {
            return Self.reply(IVVYFailure(errorCode: 405, message: "Method Not Allowed: every call is a POST"))
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 4, segments[0].isEmpty, segments[1] == "api", segments[2] == "1.0", !segments[3].isEmpty else {
            return Self.reply(IVVYFailure(errorCode: 404, message: "Not Found"))
        }
        if let failure = authenticate(request) { return Self.reply(failure) }
        let body: [String: EmulatorJSON]
        if request.body.isEmpty {
            body = [:]
        } else {
            guard let parsed = try? EmulatorJSON(parsing: request.body), let object = parsed.objectValue else {
                return Self.reply(IVVYFailure(errorCode: 400, message: "The request body is not a JSON object"))
            }
            body = object
        }
        let namespace = String(segments[3]), action = request.query("action") ?? ""
        if namespace == "contact", action == "getContactList" {
            // Served from each contact's cached JSON, without building a value per page.
            switch contactListPage(body) {
            case .success(let data): return .jsonBytes(200, data)
            case .failure(let failure): return Self.reply(failure)
            }
        }
        let (status, json) = dispatch(namespace: namespace, action: action, body: body)
        return .json(status, json)
    }

    /// The IWS check, in this order: the header's form and key, Content-MD5 against the
    /// body, the date's five-minute window (23005), then the signature.
    private func authenticate(_ request: RecordedRequest) -> IVVYFailure? {
        let unauthorized = { (why: String) in IVVYFailure(errorCode: 401, message: "Unauthorized", additionalMessages: [why]) }
        guard let header = request.header("X-Api-Authorization") else {
            return unauthorized("The X-Api-Authorization header is missing")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == "IWS", let colon = parts[1].lastIndex(of: ":") else {
            return unauthorized("X-Api-Authorization must read 'IWS key:signature'")
        }
        let key = String(parts[1][..<colon]), signature = String(parts[1][parts[1].index(after: colon)...])
        guard key == options.apiKey else { return unauthorized("Unknown API key") }
        let contentMD5 = request.header("Content-MD5") ?? ""
        guard contentMD5 == IVVYSignature.contentMD5(request.body) else {
            return unauthorized("Content-MD5 is not the lowercase hex MD5 of the request body")
        }
        let sent: Date?
        if let ivvyDate = request.header("IVVY-Date") {
            sent = TimestampParsing.ivvy(ivvyDate)
        } else {
            sent = request.header("Date").flatMap(TimestampParsing.rfc1123)
        }
        guard let sent, abs(sent.timeIntervalSince(options.clock())) <= Self.staleWindow else {
            return IVVYFailure(errorCode: 401, message: "Request is stale", specificCode: 23005)
        }
        let expected = IVVYSignature.sign(
            IVVYSignature.stringToSign(method: "POST", contentMD5: contentMD5,
                                       contentType: request.header("Content-Type") ?? "",
                                       date: request.header("Date") ?? "", requestURI: request.target,
                                       apiVersion: "1.0", headers: request.headers),
            secret: options.apiSecret)
        guard signature == expected else { return unauthorized("The signature does not match the request") }
        return nil
    }

    /// One call, also used for each job of a batch.
    func dispatch(namespace: String, action: String, body: [String: EmulatorJSON]) -> (Int, EmulatorJSON) {
        func result(_ outcome: Result<EmulatorJSON, IVVYFailure>) -> (Int, EmulatorJSON) {
            switch outcome {
            case .success(let json): (200, json)
            case .failure(let failure): (failure.errorCode, failure.json)
            }
        }
        switch (namespace, action) {
        case ("test", "ping"): return (200, ["message": "ack", "timestamp": .string(UTCTime(date: options.clock()).ivvy)])
        case ("contact", "getContactList"):
            return result(contactListPage(body).map { (try? EmulatorJSON(parsing: $0)) ?? .null })
        case ("contact", "getContact"): return result(contact(body))
        case ("contact", "addOrUpdateContact"): return result(addOrUpdate(body))
        case ("contact", "getCustomFieldDefinition"):
            return (200, .array(account.settings.customFields.sorted { ($0.sortOrder, $0.fieldId) < ($1.sortOrder, $1.fieldId) }.map(\.json)))
        case ("contact", "addContactsToSubscriptionGroup"): return result(membership(body, member: true))
        case ("contact", "removeContactsFromSubscriptionGroup"): return result(membership(body, member: false))
        case ("contact", "getSubscriptionGroupList"):
            return (200, .array(account.settings.groups.map { group in
                ["id": .number(Double(group.id)), "groupName": .string(group.groupName),
                 "memberCount": .number(Double(account.memberCount(group: group.id))), "tagColour": .string(group.tagColour)]
            }))
        case ("batch", "run"): return result(runBatch(body))
        case ("batch", "progress"):
            guard let id = body["async"]?.stringValue, let progress = batches.progress(id) else {
                return result(.failure(IVVYFailure(errorCode: 404, message: "Could not find batch", specificCode: 24105)))
            }
            return (200, ["progress": .number(Double(progress))])
        case ("batch", "results"):
            guard let id = body["async"]?.stringValue, let stored = batches.results(id) else {
                return result(.failure(IVVYFailure(errorCode: 404, message: "Could not find batch", specificCode: 24115)))
            }
            guard let results = stored else {
                return result(.failure(IVVYFailure(errorCode: 400, message: "Batch job not completed", specificCode: 24114)))
            }
            return (200, ["asyncId": .string(id), "results": .array(results)])
        default:
            return result(.failure(IVVYFailure(errorCode: 404, message: "Unknown action '\(action)' in namespace '\(namespace)'")))
        }
    }

    // MARK: contact?action=getContactList

    private func contactListPage(_ body: [String: EmulatorJSON]) -> Result<Data, IVVYFailure> {
        var perPage = options.perPageCap
        if let value = body["perPage"], value != .null {
            guard let number = value.wholeNumber, number > 0 else {
                return .failure(.invalid("perPage", "Value must be a positive whole number"))
            }
            perPage = min(number, options.perPageCap)
        }
        var start = 0
        if let value = body["start"], value != .null {
            guard let number = value.wholeNumber, number >= 0 else {
                return .failure(.invalid("start", "Value must be a whole number of zero or more"))
            }
            start = number
        }
        var filter: ((IVVYContact) -> Bool)?
        var filterKey: Data?
        if let value = body["filter"], value != .null {
            guard case .object(let members) = value else { return .failure(.invalid("filter", "Value must be an object")) }
            switch IVVYFilter.make(members) {
            case .failure(let failure): return .failure(failure)
            case .success(let predicate):
                filter = predicate
                filterKey = value.serialized()
            }
        }
        let page = account.page(start: start, perPage: perPage, filterKey: filterKey, filter: filter)
        // Assembled from each contact's cached JSON: keys in the same sorted order as EmulatorJSON.
        var data = Data(#"{"meta":{"count":\#(page.items.count),"perPage":\#(perPage),"start":\#(start),"totalResults":\#(page.total)},"results":["#.utf8)
        for (index, item) in page.items.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(item)
        }
        data.append(contentsOf: "]}".utf8)
        return .success(data)
    }

    // MARK: contact?action=getContact

    private func contact(_ body: [String: EmulatorJSON]) -> Result<EmulatorJSON, IVVYFailure> {
        guard let value = body["id"], value != .null else { return .failure(.required("id")) }
        guard let id = value.wholeNumber else { return .failure(.invalid("id", "Value must be a whole number")) }
        guard let contact = account.contact(id: id) else {
            return .failure(IVVYFailure(errorCode: 404, message: "Unable to find contact", specificCode: 24096))
        }
        return .success(contact.json(account: account.settings, detail: true))
    }

    // MARK: contact?action=addContactsToSubscriptionGroup, removeContactsFromSubscriptionGroup

    /// `{contacts: [contactId…], group: groupId}` (§3.2): one group's membership for each
    /// contact, answered `[{contactId, status}]`. The docs do not say when a status is false;
    /// here, for a contact that does not exist. Parameters are checked in the documented order.
    private func membership(_ body: [String: EmulatorJSON], member: Bool) -> Result<EmulatorJSON, IVVYFailure> {
        guard let list = body["contacts"], list != .null else { return .failure(.required("contacts")) }
        let ids = list.arrayValue?.compactMap(\.wholeNumber)
        guard let ids, ids.count == list.arrayValue?.count else {
            return .failure(.invalid("contacts", "Value must be an array of contact ids"))
        }
        guard let value = body["group"], value != .null else { return .failure(.required("group")) }
        guard let group = value.wholeNumber else { return .failure(.invalid("group", "Value must be a whole number")) }
        guard account.settings.groups.contains(where: { $0.id == group }) else {
            return .failure(.invalid("group", "Subscription group \(group) does not exist"))
        }
        let statuses = account.setMembership(group: group, contacts: ids, member: member, touch: options.groupActionsTouchContact)
        return .success(.array(statuses.map { ["contactId": .number(Double($0.contactId)), "status": .bool($0.status)] }))
    }

    // MARK: contact?action=addOrUpdateContact

    private func addOrUpdate(_ body: [String: EmulatorJSON]) -> Result<EmulatorJSON, IVVYFailure> {
        let changes: IVVYContactChanges
        switch IVVYContactChanges.parse(body, account: account.settings) {
        case .failure(let failure): return .failure(failure)
        case .success(let parsed): changes = parsed
        }
        let replace = options.customFieldsOnUpdate == .replaceAll
        func update(_ id: Int) -> Result<EmulatorJSON, IVVYFailure> {
            switch account.update(id: id, changes, replaceCustomFields: replace) {
            case .updated: .success(["success": true, "id": .number(Double(id))])
            case .notFound: .success(["success": false, "message": .string("Unable to find contact \(id)")])
            case .anonymised: .success(["success": false, "message": .string("Contact \(id) is anonymised and cannot be updated")])
            case .tooManyExternalURLs: .failure(.invalid("externalUrls", "A maximum of 3 external URLs is allowed"))
            }
        }
        if let id = changes.id { return update(id) }

        // Adding: firstName, lastName and email are required.
        var required = [String: String]()
        for (name, value) in [("firstName", changes.firstName), ("lastName", changes.lastName), ("email", changes.email)] {
            guard case .some(.some(let text)) = value, !text.isEmpty else { return .failure(.required(name)) }
            required[name] = text
        }
        let given = Set(changes.customFields?.filter { $0.value != .null }.map(\.fieldId) ?? [])
        if let missing = account.settings.customFields.first(where: { $0.isRequired && $0.isActive && !given.contains($0.fieldId) }) {
            return .failure(IVVYFailure(errorCode: 400, message: "'customFields' is required", specificCode: 23017,
                                        additionalMessages: ["Field \(missing.fieldId) (\(missing.displayName)) is required"]))
        }
        if changes.updateIfExists,
           let match = account.match(firstName: required["firstName"]!, lastName: required["lastName"]!, email: required["email"]!) {
            return update(match)
        }
        return .success(["success": true, "id": .number(Double(account.add(changes)))])
    }

    // MARK: batch?action=run

    private func runBatch(_ body: [String: EmulatorJSON]) -> Result<EmulatorJSON, IVVYFailure> {
        guard let value = body["jobs"], value != .null else { return .failure(.required("jobs")) }
        guard case .array(let jobs) = value else {
            return .failure(IVVYFailure(errorCode: 400, message: "Incorrect Job Format", specificCode: 24092))
        }
        guard !jobs.isEmpty else { return .failure(IVVYFailure(errorCode: 400, message: "Empty job parameter found", specificCode: 24093)) }
        guard jobs.count <= 200 else {
            return .failure(IVVYFailure(errorCode: 400, message: "The maximum number of jobs can be put on a single request is 200",
                                        specificCode: 24448))
        }
        var parsed = [(namespace: String, action: String, params: [String: EmulatorJSON])]()
        for job in jobs {
            guard let namespace = job["namespace"]?.stringValue, let action = job["action"]?.stringValue,
                  !namespace.isEmpty, !action.isEmpty, namespace != "batch" else {
                return .failure(IVVYFailure(errorCode: 400, message: "Incorrect Job Format", specificCode: 24092))
            }
            let params: [String: EmulatorJSON]
            switch job["params"] {
            case nil, .null?: params = [:]
            case .object(let members)?: params = members
            default: return .failure(IVVYFailure(errorCode: 400, message: "Incorrect Job Format", specificCode: 24092))
            }
            parsed.append((namespace, action, params))
        }
        let results: [EmulatorJSON] = parsed.map { job in
            let (_, response) = dispatch(namespace: job.namespace, action: job.action, body: job.params)
            return ["namespace": .string(job.namespace), "action": .string(job.action), "request": .object(job.params),
                    "response": response]
        }
        return .success(["asyncId": .string(batches.store(results, polls: options.batchPollsBeforeCompletion))])
    }
}

/// `getContactList` filters: the documented extra keys plus the returned properties, with
/// the generic modifiers (`__CONTAINS`, `__NOTCONTAINS`, `__BEGINS`, `__ENDS`, `__LESSTHAN`
/// (≤), `__GREATERTHAN` (≥), `__NOT`, `__EMPTY`) and the `__ISNULL__` value. Text compares
/// without case. An unknown key is refused (23016) rather than silently matching everything.
enum IVVYFilter {
    static func make(_ members: [String: EmulatorJSON]) -> Result<(IVVYContact) -> Bool, IVVYFailure> {
        var tests = [(IVVYContact) -> Bool]()
        for (key, value) in members {
            switch key {
            case "fromModifiedDate", "toModifiedDate":
                guard let text = value.stringValue, let date = TimestampParsing.ivvy(text) else {
                    return .failure(.invalid(key, "Value must be an iVvy timestamp (yyyy-mm-dd HH:mm:ss UTC)"))
                }
                let bound = date.unixMicroseconds
                tests.append(key == "fromModifiedDate" ? { $0.modified >= bound } : { $0.modified <= bound })
                continue
            case "venueId", "venueGroupId":
                tests.append { _ in false }  // no contact belongs to a venue here
                continue
            case "companyId":
                guard let company = value.wholeNumber else { return .failure(.invalid(key, "Value must be a whole number")) }
                tests.append { $0.companies.contains(company) }
                continue
            default: break
            }
            let modifiers = ["__NOTCONTAINS", "__CONTAINS", "__BEGINS", "__ENDS", "__LESSTHAN", "__GREATERTHAN", "__NOT", "__EMPTY"]
            let modifier = modifiers.first { key.hasSuffix($0) }
            let field = modifier.map { String(key.dropLast($0.count)) } ?? key
            let read: (IVVYContact) -> String?
            switch field {
            case "id": read = { String($0.id) }
            case "firstName": read = { $0.firstName }
            case "lastName": read = { $0.lastName }
            case "email": read = { $0.email }
            case "phone": read = { $0.phone }
            case "externalId": read = { $0.externalId }
            case "status": read = { String($0.status) }
            case "smsStatus": read = { String($0.smsStatus) }
            default: return .failure(.invalid("filter", "Unknown filter '\(key)'"))
            }
            let wanted: String
            switch value {
            case .string(let text): wanted = text
            case .number: wanted = EmulatorJSON.format(number: value.numberValue!)
            default:
                guard modifier == "__EMPTY" else { return .failure(.invalid("filter", "The value of '\(key)' must be text or a number")) }
                wanted = ""
            }
            let isNullSearch = wanted == "__ISNULL__"
            let numeric = field == "id" || field == "status" || field == "smsStatus"
            tests.append { contact in
                let stored = read(contact)
                if isNullSearch { return modifier == "__NOT" ? stored != nil : stored == nil }
                let have = (stored ?? "").lowercased(), want = wanted.lowercased()
                switch modifier {
                case nil: return stored != nil && have == want
                case "__CONTAINS": return have.contains(want)
                case "__NOTCONTAINS": return !have.contains(want)
                case "__BEGINS": return have.hasPrefix(want)
                case "__ENDS": return have.hasSuffix(want)
                case "__NOT": return have != want
                case "__EMPTY": return have.isEmpty
                case "__LESSTHAN", "__GREATERTHAN":
                    let less = modifier == "__LESSTHAN"
                    if numeric, let a = Int(have), let b = Int(want) { return less ? a <= b : a >= b }
                    return less ? have <= want : have >= want
                default: return false
                }
            }
        }
        return .success { contact in tests.allSatisfy { $0(contact) } }
    }
}
