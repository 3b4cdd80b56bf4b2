import Foundation
import RoloCore

/// rolo's contact model and Notifuse's contact JSON (PROVIDERS.md §2.3), both ways.
struct NotifuseMapping: Sendable {
    /// Standard fields and their Notifuse names.
    static let standard: [(StandardField, String)] = [
        (.email, "email"), (.firstName, "first_name"), (.lastName, "last_name"), (.fullName, "full_name"),
        (.jobTitle, "job_title"), (.phone, "phone"), (.addressLine1, "address_line_1"), (.addressLine2, "address_line_2"),
        (.region, "state"), (.postcode, "postcode"), (.country, "country"), (.timezone, "timezone"), (.language, "language"),
    ]

    /// What a member of a contact object is to rolo, when it is not kept as it is.
    enum Role {
        case standard(StandardField)
        case dropped
    }

    /// Members by their Notifuse names: standard fields, and those `dropped`.
    static let roles: [String: Role] = {
        var roles = Dictionary(uniqueKeysWithValues: standard.map { ($0.1, Role.standard($0.0)) })
        for name in dropped { roles[name] = .dropped }
        return roles
    }()

    /// Members a contact carries that rolo neither models nor keeps: list memberships and
    /// segments (only some replies have them, so keeping them would make every listing look
    /// like a change) and the change time (kept as the record's stamp). Everything else
    /// rolo does not model is kept in the `notifuse` extension — `lifetime_value`,
    /// `orders_count` and `last_order_at` too, which servers before v18 still send (§3b:
    /// read them when present, never send them).
    static let dropped: Set<String> = ["contact_lists", "contact_segments", "updated_at", "db_created_at", "db_updated_at"]

    /// Kept members a contact created anew takes with it (an email change, a re-created
    /// contact): the slots no field is named for, and the external id. Never the read-only
    /// or removed ones.
    static let carriedOver: Set<String> = Set(NotifuseProfile.slots.map(\.id)).union(["external_id"])

    /// The account's custom fields, by slot.
    let fieldsBySlot: [String: FieldDefinition]

    init(definitions: [FieldDefinition]) {
        var bySlot: [String: FieldDefinition] = [:]
        for definition in definitions {
            if let slot = definition.providerRef, NotifuseProfile.slots.contains(where: { $0.id == slot }) { bySlot[slot] = definition }
        }
        fieldsBySlot = bySlot
    }

    // MARK: - Notifuse to rolo

    /// A contact object from a Notifuse reply. Notifuse leaves NULL columns out, so an absent
    /// member means no value. Slots no field is named for, and anything else unmodelled, are
    /// kept in the contact's `notifuse` extension so nothing is dropped.
    /// The external id Notifuse holds for a contact read from it (kept with its provider data).
    static func externalID(of contact: Contact) -> String? {
        guard case .object(let kept)? = contact.extensions["notifuse"] else { return nil }
        return kept["external_id"]?.stringValue
    }

    func record(from json: JSONValue) throws(ProviderError) -> RemoteRecord {
        guard case .object(let members) = json else {
            throw .transient("Notifuse sent a contact that is not an object")
        }
        guard let email = members["email"]?.stringValue, !email.isEmpty else {
            throw .transient("Notifuse sent a contact without an email")
        }
        // No uid: Notifuse keeps none of rolo's (its external_id is kept with the rest), and a
        // contact new to rolo gets its own when it is stored.
        var contact = Contact(uid: "", accountID: 0)
        var fields = [StandardField: String](minimumCapacity: NotifuseMapping.standard.count)
        var kept: [String: JSONValue] = [:]
        // One pass over the members (a listing maps 100 of these a page).
        for (name, value) in members {
            switch NotifuseMapping.roles[name] {
            case .standard(let field)?:
                if case .string(let text) = value, !text.isEmpty { fields[field] = text }
                continue
            case .dropped?:
                continue
            case nil:
                break
            }
            if value == .null { continue }
            if let definition = fieldsBySlot[name], let typed = NotifuseMapping.customValue(value, as: definition.type) {
                contact.custom[definition.key] = typed
            } else {
                kept[name] = value
            }
        }
        contact.fields = fields
        if !kept.isEmpty { contact.extensions = ["notifuse": .object(kept)] }
        return RemoteRecord(remoteID: NotifuseMapping.key(email), modifiedAt: members["updated_at"]?.stringValue, contact: contact,
                            originUID: members["external_id"]?.stringValue)
    }

    static func customValue(_ json: JSONValue, as type: FieldType) -> CustomValue? {
        switch (type, json) {
        case (.text, .string(let text)): .text(text)
        case (.number, .number(let number)): .number(number)
        case (.datetime, .string(let text)): Timestamp(parsing: text).map(CustomValue.datetime)
        case (.json, .object), (.json, .array): .json(json)
        default: nil
        }
    }

    /// Notifuse's key for an email: lower-cased and trimmed, as the server stores it (the
    /// profile's `emailForm`, which the merge compares addresses by).
    static func key(_ email: String) -> String {
        NotifuseProfile.profile.capabilities.emailForm.normalized(email)
    }

    // MARK: - rolo to Notifuse

    /// The JSON for one field of `contact`, or nil when Notifuse does not store it. `clear`
    /// gives `null` for a field without a value (a clear, in a single upsert).
    func member(_ key: FieldKey, of contact: Contact) -> (name: String, value: JSONValue)? {
        switch key {
        case .standard(let field):
            guard let name = NotifuseMapping.standard.first(where: { $0.0 == field })?.1 else { return nil }
            return (name, contact[field].map(JSONValue.string) ?? .null)
        case .others:
            return nil    // further emails and phones stay in rolo
        case .custom(let customKey):
            guard let (slot, _) = fieldsBySlot.first(where: { $0.value.key == customKey }) else { return nil }
            guard let value = contact.custom[customKey] else { return (slot, .null) }
            return (slot, NotifuseMapping.wire(value) ?? .null)
        }
    }

    static func wire(_ value: CustomValue) -> JSONValue? {
        switch value {
        case .text(let text): .string(text)
        case .number(let number): .number(number)
        case .datetime(let instant): .string(instant.rfc3339)
        case .json(let json) where json.isContainer: json
        default: nil
        }
    }

    /// Every field Notifuse stores that `contact` has a value in, for a create — with what
    /// rolo kept of the contact when Notifuse had it before under this or another email, so
    /// an email change loses nothing. `externalID` is sent when no external id was kept.
    func fullInput(_ contact: Contact, externalID: String?) -> [String: JSONValue] {
        var input: [String: JSONValue] = [:]
        if case .object(let kept)? = contact.extensions["notifuse"] {
            for (name, value) in kept where NotifuseMapping.carriedOver.contains(name) && fieldsBySlot[name] == nil && value != .null {
                input[name] = value
            }
        }
        for key in contact.keysWithValues {
            if let (name, value) = member(key, of: contact), value != .null { input[name] = value }
        }
        if input["external_id"] == nil, let externalID { input["external_id"] = .string(externalID) }
        return input
    }

    /// The changed fields of an update: a value, or `null` for a field that was cleared.
    /// `email` names the contact and is always there.
    func changeInput(_ contact: Contact, changed: Set<FieldKey>, email: String) -> [String: JSONValue] {
        var input: [String: JSONValue] = ["email": .string(email)]
        for key in changed where key != .standard(.email) {
            if let (name, value) = member(key, of: contact) { input[name] = value }
        }
        return input
    }

    /// Whether an update names a field Notifuse stores at all (a change to a field it does not
    /// store is confirmed without a request).
    func touchesStoredFields(_ changed: Set<FieldKey>) -> Bool {
        changed.contains { key in
            if case .standard(let field) = key { return NotifuseMapping.standard.contains { $0.0 == field } }
            if case .custom(let name) = key { return fieldsBySlot.values.contains { $0.key == name } }
            return false
        }
    }
}
