import Foundation
import RoloCore
import RoloProviders

/// A provider in memory, for the sync engine's own tests: keyed by email like Notifuse (or by
/// a counter id), listed a page at a time, with hooks to change it "as a colleague would" and
/// to make the next calls fail.
final class FakeProvider: ContactProvider, @unchecked Sendable {
    let profile: ProviderProfile
    private let lock = NSLock()
    private var records: [String: (contact: Contact, stamp: Int)] = [:]
    private var clock = 0
    private var nextID = 1
    private(set) var pushes: [OutgoingChange] = []
    private(set) var listCalls = 0
    /// Failures handed out to the next calls, in order.
    private var failures: [(call: Call, error: ProviderError, appliesAnyway: Bool)] = []
    let pageSize: Int
    /// Keeps rolo's uid on a created contact and lists it back (iVvy's externalId).
    var keepsUID = false
    /// A create with an email it has already updates that contact (DailyStory's and iVvy's
    /// upsert) instead of adding one.
    var upsertsByEmail = false
    /// Listing fails from this page on (0-based), every time.
    private var brokenFrom: (page: Int, error: ProviderError)?
    /// Contacts the last page of a listing brings a second time, as a listing that moves
    /// under its reader can (a contact changed while the listing was read).
    var listedAgainAtTheEnd: [String] = []
    /// From this page on, the listing answers the same page and the same next cursor for
    /// ever, as a broken server can.
    var cursorRepeatsFrom: Int?

    func listingBreaks(from page: Int, with error: ProviderError) { lock.withLock { brokenFrom = (page, error) } }
    func listingWorks() { lock.withLock { brokenFrom = nil } }

    enum Call: Equatable { case list, fetch, push, find }

    init(profile: ProviderProfile = NotifuseProfile.profile, pageSize: Int = 3) {
        self.profile = profile
        self.pageSize = pageSize
    }

    // MARK: - The provider's side, as a colleague changes it

    /// Creates or replaces a contact at the provider; returns its id.
    @discardableResult
    func put(_ fields: [StandardField: String], custom: [String: CustomValue] = [:], id: String? = nil, uid: String? = nil) -> String {
        lock.withLock {
            var contact = Contact(accountID: 0, fields: fields, custom: custom)
            if let uid { contact.uid = uid }
            let key = id ?? key(for: contact)
            clock += 1
            records[key] = (contact, clock)
            return key
        }
    }

    func edit(_ id: String, _ change: (inout Contact) -> Void) {
        lock.withLock {
            guard var record = records[id] else { return }
            change(&record.contact)
            clock += 1
            record.stamp = clock
            records[id] = record
        }
    }

    func remove(_ id: String) { lock.withLock { _ = records.removeValue(forKey: id) } }
    func removeAll() { lock.withLock { records.removeAll() } }
    func contact(_ id: String) -> Contact? { lock.withLock { records[id]?.contact } }
    var ids: [String] { lock.withLock { records.keys.sorted() } }
    var count: Int { lock.withLock { records.count } }

    /// The next `times` calls of this kind fail with `error`; `appliesAnyway`: a push is
    /// carried out but its reply is lost (the connection dropped after the write).
    func fail(_ call: Call, with error: ProviderError, times: Int = 1, appliesAnyway: Bool = false) {
        lock.withLock { for _ in 0..<times { failures.append((call, error, appliesAnyway)) } }
    }

    private func takeFailure(_ call: Call) -> (error: ProviderError, appliesAnyway: Bool)? {
        lock.withLock {
            guard let index = failures.firstIndex(where: { $0.call == call }) else { return nil }
            let failure = failures.remove(at: index)
            return (failure.error, failure.appliesAnyway)
        }
    }

    private func key(for contact: Contact) -> String {
        if profile.capabilities.identity == .email { return contact.email!.lowercased() }
        defer { nextID += 1 }
        return "id-\(nextID)"
    }

    private func record(_ id: String) -> RemoteRecord? {
        guard let stored = records[id] else { return nil }
        // A stamp a listing can be continued from, as iVvy's modifiedDate is: one second per change.
        let stamp = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(stored.stamp) * 1000)
        return RemoteRecord(remoteID: id, modifiedAt: stamp.display, contact: stored.contact)
    }

    // MARK: - ContactProvider

    func refreshFieldDefinitions() async throws(ProviderError) -> [FieldDefinition]? { nil }

    func listPage(_ page: String?, modifiedSince: String?) async throws(ProviderError) -> RemotePage {
        if let failure = takeFailure(.list) { throw failure.error }
        if let broken = lock.withLock({ brokenFrom }), (Int(page ?? "0") ?? 0) / pageSize >= broken.page { throw broken.error }
        return lock.withLock {
            listCalls += 1
            let keys = records.keys.sorted()
            let start = Int(page ?? "0") ?? 0
            let slice = keys.dropFirst(start).prefix(pageSize)
            if let stuck = cursorRepeatsFrom, start / pageSize >= stuck {
                return RemotePage(records: slice.compactMap(record), next: String(start), total: keys.count)
            }
            let next = start + pageSize < keys.count ? String(start + pageSize) : nil
            let again = next == nil ? listedAgainAtTheEnd.compactMap(record) : []
            return RemotePage(records: slice.compactMap(record) + again, next: next, total: keys.count)
        }
    }

    func fetch(remoteID: String) async throws(ProviderError) -> RemoteRecord? {
        if let failure = takeFailure(.fetch) { throw failure.error }
        return lock.withLock { record(remoteID) }
    }

    func findExisting(_ contact: Contact, idempotencyKey: String) async throws(ProviderError) -> RemoteRecord? {
        if let failure = takeFailure(.find) { throw failure.error }
        return lock.withLock {
            // By email, else (a contact with only a mobile number, as DailyStory allows) by mobile.
            if let email = contact.email?.lowercased() {
                return records.first { $0.value.contact.email?.lowercased() == email }.flatMap { record($0.key) }
            }
            guard let mobile = contact[.mobilePhone] else { return nil }
            return records.first { $0.value.contact[.mobilePhone] == mobile }.flatMap { record($0.key) }
        }
    }

    func push(_ changes: [OutgoingChange]) async -> [PushOutcome] {
        changes.map { change in
            let failure = takeFailure(.push)
            if let failure, !failure.appliesAnyway { return .failed(failure.error) }
            let outcome: PushOutcome = lock.withLock {
                pushes.append(change)
                clock += 1
                switch change {
                case .create(let contact, _):
                    let existing = upsertsByEmail
                        ? records.first { $0.value.contact.email?.lowercased() == contact.email?.lowercased() }?.key : nil
                    let key = existing ?? self.key(for: contact)
                    var kept = stored(contact, keys: Set(contact.keysWithValues), over: existing.flatMap { records[$0]?.contact })
                    if keepsUID, existing == nil { kept.uid = contact.uid }
                    records[key] = (kept, clock)
                    return .created(remoteID: key, record: nil)
                case .update(let id, let contact, let changed):
                    guard let old = records[id] else { return .failed(.notFound("no contact \(id)")) }
                    records[id] = (stored(contact, keys: changed, over: old.contact), clock)
                    return .updated(remoteID: id, record: nil)
                case .delete(let id):
                    records[id] = nil
                    return .deleted
                }
            }
            if let failure { return .failed(failure.error) }
            return outcome
        }
    }

    /// What the provider keeps of a contact: only the fields it stores.
    private func stored(_ contact: Contact, keys: Set<FieldKey>, over old: Contact?) -> Contact {
        var result = old ?? Contact(accountID: 0)
        for key in keys {
            switch key {
            case .standard(let field) where profile.rules.storedFields.contains(field): result[field] = contact[field]
            case .custom(let name): result.custom[name] = contact.custom[name]
            default: break
            }
        }
        return result
    }
}
