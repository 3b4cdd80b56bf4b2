import RoloCore
import RoloStore

/// Reads contacts from the cache: list windows, counts, one contact and its history. Never
/// writes and never waits for the network.
public final class ContactReader: ContactReading {
    let cache: LocalCache

    public init(cache: LocalCache) { self.cache = cache }

    public func window(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                       from anchor: WindowAnchor = .first, limit: Int) throws -> ContactWindow {
        try cache.window(in: scope, matching: query, order: order, from: anchor, limit: limit)
    }

    /// A window without sync markers (their lookups left out): for output that does not show
    /// them (`rolo list --tsv`).
    public func windowWithoutMarkers(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                                     from anchor: WindowAnchor = .first, limit: Int) throws -> ContactWindow {
        try cache.window(in: scope, matching: query, order: order, from: anchor, limit: limit, markers: false)
    }

    /// Every contact of the scope that matches, in list order, read a page at a time (so a
    /// million are never held): for `rolo list --json`.
    public func forEachContact(in scope: AccountScope, matching query: ContactQuery? = nil, order: ListOrder = .name,
                               _ body: (Contact) throws -> Void) throws {
        try cache.forEachContact(in: scope, matching: query, order: order) { contact, _ in try body(contact) }
    }

    /// How many contacts match; nil when cancelled. See `LocalCache.count`.
    public func count(in scope: AccountScope, matching query: ContactQuery?,
                      isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        try cache.count(in: scope, matching: query, isCancelled: isCancelled)
    }

    public func position(of cursor: ListCursor, in scope: AccountScope, matching query: ContactQuery? = nil,
                         order: ListOrder = .name, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Int? {
        try cache.position(of: cursor, in: scope, matching: query, order: order, isCancelled: isCancelled)
    }

    /// A contact's list row, if it is in the scope and matches the query.
    public func summary(of id: ContactID, in scope: AccountScope, matching query: ContactQuery? = nil,
                        order: ListOrder = .name) throws -> ContactSummary? {
        guard let cursor = try cache.cursor(of: id) else { return nil }
        let row = try cache.window(in: scope, matching: query, order: order, from: .startingAt(cursor), limit: 1).rows.first
        return row?.id == id ? row : nil
    }

    /// The first `field:term` of a query whose field is no field here (not a standard field,
    /// and no account defines it and no contact has it); nil when every field exists. Such a
    /// term is a mistake, not a search that matches nothing.
    public func unknownField(in query: ContactQuery, scope: AccountScope) throws -> String? {
        for term in query.terms {
            if case .custom(let key) = term.scope, try !cache.knowsCustomKey(key, in: scope) { return key }
        }
        return nil
    }

    public func contactCount(in scope: AccountScope) throws -> Int { try cache.contactCount(in: scope) }
    public func changedElsewhere() throws -> Bool { try cache.changedByOtherProcesses() }

    public func contact(_ id: ContactID) throws -> Contact {
        guard let contact = try cache.contact(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
        return contact
    }

    public func detail(_ id: ContactID) throws -> ContactDetail {
        guard let detail = try cache.detail(id) else { throw RoloError.notFound("no contact \(id.shortID)") }
        return detail
    }

    public func audit(for id: ContactID, limit: Int = 100) throws -> [AuditEntry] { try cache.audit(for: id, limit: limit) }

    /// What waits for providers, oldest first.
    public func outbox(for id: ContactID? = nil, in scope: AccountScope = .all) throws -> [OutboxEntry] {
        try cache.outbox(for: id, in: scope)
    }

    /// Finds the contact a person means: a short id (`k3p9`), a uid, a provider's id, or an
    /// email address (which must name exactly one contact).
    public func resolve(_ reference: String, in scope: AccountScope = .all) throws -> ContactID {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw RoloError.invalid(field: "id", "is empty") }
        if text.contains("@") {
            let matches = try cache.contacts(withEmail: text, in: scope)
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 {
                throw RoloError.invalid(field: "id", "\(text) belongs to \(matches.count) contacts ("
                    + matches.map(\.shortID).joined(separator: ", ") + "); use one of their ids")
            }
        } else if let id = try cache.resolve(text) {
            return id
        }
        throw RoloError.notFound("no contact \(text)")
    }
}
