import RoloCore

/// Which parts of a contact a provider holds, and so which a merge compares: the standard
/// fields it stores, the custom keys it maps, and its own extension data. Everything else is
/// rolo's alone and always keeps the local value.
public struct MergeScope: Sendable {
    public let storedFields: Set<StandardField>
    /// Custom keys the provider stores (every key where it takes free keys).
    public let storesAnyCustomKey: Bool
    public let mappedCustomKeys: Set<String>
    /// The extension namespace the provider's unmodelled data lives under (`"notifuse"`).
    public let extensionKey: String
    /// How the provider stores an email: the same address in another form is no change.
    public let emailForm: ProviderCapabilities.EmailForm
    /// What the scope itself is, in the canonical parts `digest` starts from: a digest taken
    /// under other definitions never matches one taken under these.
    private let fingerprint: ContentHash.CanonicalText
    /// `storedFields` in the order `digest` reads them: a set lookup for every standard field
    /// of every listed contact was a sizeable part of a sync with nothing to do.
    private let storedFieldsInOrder: [StandardField]

    public init(profile: ProviderProfile, definitions: [FieldDefinition]) {
        storedFields = profile.rules.storedFields
        storedFieldsInOrder = StandardField.allCases.filter(profile.rules.storedFields.contains)
        switch profile.rules.customFields {
        case .anyKeyAsText:
            storesAnyCustomKey = true
            mappedCustomKeys = []
        case .fixedSlots, .definedByProvider:
            storesAnyCustomKey = false
            mappedCustomKeys = Set(definitions.filter { $0.providerRef != nil }.map(\.key))
        case .anyKeyTypedByValue:
            storesAnyCustomKey = false
            mappedCustomKeys = []
        }
        extensionKey = profile.kind.rawValue
        emailForm = profile.capabilities.emailForm
        var fingerprint = ContentHash.CanonicalText()
        fingerprint.part("k", extensionKey, storesAnyCustomKey ? "any" : "mapped")
        for field in storedFields.map(\.key).sorted() { fingerprint.part("f", field) }
        for key in mappedCustomKeys.sorted() { fingerprint.part("m", key) }
        self.fingerprint = fingerprint
    }

    /// A digest of every part of a contact the provider holds (the parts `agree` compares):
    /// two contacts agree exactly when their digests are equal. The link row keeps the base's,
    /// so a pull can see that a listed record agrees with the base without loading the base.
    public func digest(_ contact: Contact) -> String {
        var canonical = fingerprint
        for field in storedFieldsInOrder {
            if let value = contact.fields[field] { canonical.part("s", field.key, value) }
        }
        for (key, value) in contact.custom.sorted(by: { $0.key < $1.key }) where stores(.custom(key)) {
            canonical.part("c", key, value.type.rawValue, value.storedText)
        }
        if let data = contact.extensions[extensionKey] { canonical.part("x", data.canonicalText) }
        return ContentHash.hexDigest(of: canonical)
    }

    func stores(_ key: FieldKey) -> Bool {
        switch key {
        case .standard(let field): storedFields.contains(field)
        case .others: false    // no provider holds more than its own email and phones
        case .custom(let name): storesAnyCustomKey || mappedCustomKeys.contains(name)
        }
    }

    /// The provider's record laid over `base`: every part the provider holds as the provider
    /// has it, every other part as last agreed. What "the provider's version" means in a merge.
    func project(_ remote: Contact, over base: Contact) -> Contact {
        var projected = base
        for field in storedFields { projected[field] = remote[field] }
        let customKeys = Set(base.custom.keys).union(remote.custom.keys)
        for key in customKeys where stores(.custom(key)) { projected.custom[key] = remote.custom[key] }
        projected.extensions[extensionKey] = remote.extensions[extensionKey]
        return projected
    }

    /// Whether two values of a part are the same to the provider: equal, or (the email) the
    /// same address as it stores one.
    func same(_ key: FieldKey, _ left: FieldValue?, _ right: FieldValue?) -> Bool {
        if left == right { return true }
        guard key == .standard(.email), emailForm != .asWritten, case .text(let a)? = left, case .text(let b)? = right else { return false }
        return emailForm.normalized(a) == emailForm.normalized(b)
    }

    /// The base with every part the provider now holds as `sent` had it taken as agreed (an
    /// email it holds in its own form of the address sent included).
    func ownWrites(sent: Contact, remote: Contact, base: Contact) -> Contact {
        var result = base
        for field in storedFields where same(.standard(field), remote.value(of: .standard(field)), sent.value(of: .standard(field))) {
            result[field] = sent[field]
        }
        for key in Set(sent.custom.keys).union(remote.custom.keys).union(base.custom.keys) where stores(.custom(key)) {
            if remote.custom[key] == sent.custom[key] { result.custom[key] = sent.custom[key] }
        }
        return result
    }

    /// Whether two records agree on everything the provider holds.
    func agree(_ left: Contact, _ right: Contact) -> Bool {
        fieldsAgree(left, right) && left.extensions[extensionKey] == right.extensions[extensionKey]
    }

    /// Whether two records agree on the fields people see and edit, leaving out the
    /// provider's own data kept as extension data (its ids, times, memberships).
    func fieldsAgree(_ left: Contact, _ right: Contact) -> Bool {
        for field in storedFields where left[field] != right[field] { return false }
        for key in Set(left.custom.keys).union(right.custom.keys) where stores(.custom(key)) {
            if left.custom[key] != right.custom[key] { return false }
        }
        return true
    }
}

/// The pure sync planner: given what this side holds of a contact and what the provider has,
/// what to do. Both `rolo sync --dry-run` and a real run use it, so a preview says exactly what
/// a run would do.
public enum SyncPlanner {
    /// One record from the provider against its local side (nil: rolo does not know it).
    public static func decide(_ record: RemoteRecord, _ local: LocalSyncState?, scope: MergeScope) -> PullDecision {
        guard let local else {
            return record.isDeleted ? .keep : .create(record.contact)
        }
        let base = local.base ?? Contact(uid: local.contact.uid, accountID: local.contact.accountID)
        let projected = scope.project(record.contact, over: base)
        let remoteChanged = local.base == nil || !scope.agree(projected, base)
        if record.isDeleted { return deleted(local) }
        if local.isDeleted {
            // Deleted here: the delete waits to be sent (or the provider cannot delete). A
            // change made at the provider meanwhile is the user's to weigh; the provider's own
            // data moving is not (a contact rolo created carries it only once read back).
            let fieldsChanged = local.base == nil || !scope.fieldsAgree(projected, base)
            return fieldsChanged ? .conflictOnDelete(.localDeleted, remote: projected) : .keep
        }
        // The version rolo saw last, unchanged. The stamp alone does not say so: it has a
        // resolution (iVvy's is a second), and a change made within the same tick keeps it.
        if !remoteChanged, let seen = local.remoteModifiedAt, seen == record.modifiedAt, local.remoteID == record.remoteID {
            return .keep
        }
        if !remoteChanged && local.conflicts.isEmpty && local.remoteID == record.remoteID { return .stamp }
        // A push whose answer never came may have landed: where the provider holds what it
        // sent, the change is rolo's own, and the merge starts from there.
        var effectiveBase = base
        if let sent = local.inFlight {
            effectiveBase = scope.ownWrites(sent: sent, remote: projected, base: base)
        }
        let (merged, conflicts) = merge(base: effectiveBase, local: local.contact, remote: projected, scope: scope,
                                        earlier: local.conflicts)
        return .apply(merged: merged, base: projected, conflicts: conflicts)
    }

    /// The decision for a record whose local side is known only by its link row, when that is
    /// enough to be sure of it; nil when `decide` must see the whole local side.
    ///
    /// Sure means: the provider still has the contact, it is not deleted here, it was synced
    /// (a base is stored), the record carries the very stamp and id last seen, and what it
    /// holds agrees with the base (the link keeps the base's `MergeScope.digest`: a stamp alone
    /// does not say the record is unchanged, as a change within the stamp's resolution keeps
    /// it). `decide` answers `.keep` to exactly that whatever the contact, its outbox entry and
    /// its conflicts hold (local edits go out with the push), so the cache need not load the
    /// contact and decode its base record for it — which a listing that brings every contact
    /// again (all a provider that can only scan can do) would otherwise do for each one.
    public static func decideFromLink(_ record: RemoteRecord, link: LinkSnapshot, scope: MergeScope) -> PullDecision? {
        guard !record.isDeleted, !link.isDeleted, link.hasBase, link.remoteID == record.remoteID,
              let seen = link.remoteModifiedAt, seen == record.modifiedAt,
              let agreed = link.baseDigest, agreed == scope.digest(record.contact) else { return nil }
        return .keep
    }

    /// A contact the provider no longer has (missing from a complete listing, confirmed gone,
    /// or marked deleted there).
    public static func deleted(_ local: LocalSyncState) -> PullDecision {
        if local.isDeleted { return .forget }
        if local.outbox != nil { return .conflictOnDelete(.remoteDeleted, remote: nil) }
        return .deleteLocal
    }

    /// The field-level three-way merge. A part changed on one side only takes that side's
    /// value; changed on both to the same value, agrees; changed on both to different values,
    /// is a conflict and keeps the local value until the user decides. Conflicts recorded
    /// earlier stay until both sides agree, with the provider's latest value. Values the
    /// provider stores alike (an email in another case) are the same value, in the
    /// provider's form: taking it is what a create confirmed by the provider's reply does,
    /// and a local form kept would be sent back for ever.
    public static func merge(base: Contact, local: Contact, remote: Contact, scope: MergeScope,
                             earlier: [FieldConflict] = []) -> (merged: Contact, conflicts: [FieldConflict]) {
        var merged = local
        var conflicts: [FieldConflict] = []
        var keys = Set(scope.storedFields.map(FieldKey.standard))
        for key in Set(base.custom.keys).union(local.custom.keys).union(remote.custom.keys) where scope.stores(.custom(key)) {
            keys.insert(.custom(key))
        }
        for key in keys.sorted() {
            let b = base.value(of: key), l = local.value(of: key), r = remote.value(of: key)
            if l == r { continue }
            if scope.same(key, l, r) || scope.same(key, l, b) {
                merged.set(key, r)
                continue
            }
            if scope.same(key, r, b) { continue }
            conflicts.append(FieldConflict(key: key, base: b, local: l, remote: r))
        }
        for old in earlier where old.kind == .field {
            guard let key = old.key, !conflicts.contains(where: { $0.key == key }) else { continue }
            let l = merged.value(of: key), r = remote.value(of: key)
            if scope.same(key, l, r) {
                merged.set(key, r)
            } else {
                conflicts.append(FieldConflict(key: key, base: old.base, local: l, remote: r))
            }
        }
        merged.extensions[scope.extensionKey] = remote.extensions[scope.extensionKey]
        return (merged, conflicts.sorted { ($0.key ?? .custom("")) < ($1.key ?? .custom("")) })
    }
}

extension Contact {
    /// Sets or clears one field to a value of the merge.
    mutating func set(_ key: FieldKey, _ value: FieldValue?) {
        switch (key, value) {
        case (.standard(let field), let value): self[field] = value?.displayText
        case (.custom(let name), .custom(let typed)?): custom[name] = typed
        case (.custom(let name), .text(let text)?): custom[name] = .text(text)
        case (.custom(let name), nil): custom[name] = nil
        case (.custom, .list?): break
        case (.others(let kind), .list(let values)?): self[others: kind] = values
        case (.others(let kind), nil): self[others: kind] = []
        case (.others, _?): break
        }
    }
}
