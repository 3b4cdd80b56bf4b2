import Foundation
import RoloCore

/// rolo's contact model and iVvy's contact JSON (PROVIDERS.md §3.3, §3.6), both ways.
///
/// Consent: iVvy keeps an email `status` and an `smsStatus`, each a number. rolo shows the
/// email status by name in `status` (Subscribed, Unsubscribed, Bounced, Registering,
/// No Marketing) and derives the two opt-out flags: email opt-out is true for Unsubscribed and
/// No Marketing, SMS opt-out for the SMS statuses Unsubscribed and No Marketing. The raw
/// `smsStatus` is kept in the `ivvy` extension, since a flag cannot tell Subscribed from
/// Failed. Going back, a changed `status` is sent by its number (Registering can be read but
/// never set, §3.9); a changed email opt-out sends status Unsubscribed (true) or Subscribed
/// (false) unless `status` changed too, which then wins; a changed SMS opt-out sends
/// `smsStatus` Unsubscribed or Subscribed. A cleared status or opt-out sends nothing: iVvy
/// has no empty value, and a clear must not subscribe anyone.
struct IvvyMapping: Sendable {
    static let standard: [(StandardField, String)] = [
        (.firstName, "firstName"), (.lastName, "lastName"), (.email, "email"), (.phone, "phone"),
    ]

    static let emailStatuses: [Int: String] = [1: "Subscribed", 2: "Unsubscribed", 3: "Bounced", 4: "Registering", 5: "No Marketing"]
    static let smsStatuses: [Int: String] = [1: "Subscribed", 2: "Unsubscribed", 3: "Failed", 4: "No Marketing"]
    /// Registering (4) was removed from what `addOrUpdateContact` accepts (§3.9, §3b).
    static let settableEmailStatuses: Set<Int> = [1, 2, 3, 5]

    /// Members of a reply rolo neither models nor keeps: the id (the record's id), values
    /// mapped elsewhere, the stamps (kept as the record's and the contact's times), and data
    /// of other records that only some replies carry (`getContact`'s event invitations and
    /// registrations, the companies' own data) — keeping those would make a contact read by
    /// `getContact` differ from the same contact in a listing.
    static let notKept: Set<String> = [
        "id", "firstName", "lastName", "email", "phone", "status", "customFields", "modifiedDate", "createdDate",
        "eventInvitations", "eventRegistrations", "companiesData",
    ]

    /// The account's active custom fields, by iVvy `fieldId`.
    let fieldsByID: [Int: FieldDefinition]

    init(definitions: [FieldDefinition]) {
        var byID: [Int: FieldDefinition] = [:]
        for definition in definitions {
            if let ref = definition.providerRef, let id = Int(ref) { byID[id] = definition }
        }
        fieldsByID = byID
    }

    // MARK: - Field definitions

    /// rolo's field definitions from `getCustomFieldDefinition`'s array. Keys are slugs of the
    /// display names, made unique in `fieldId` order over every field, active or not, so a key
    /// does not move when a field is added, renamed elsewhere or switched off and on. Inactive
    /// fields are left out.
    static func definitions(from json: JSONValue) throws(ProviderError) -> [FieldDefinition] {
        // The docs say an array; a collection (`{results: [...]}`) is read too.
        let items: [JSONValue]
        if case .array(let array) = json {
            items = array
        } else if case .array(let array)? = json["results"] {
            items = array
        } else {
            throw .transient("iVvy's custom field definitions are not a list")
        }
        var parsed: [(id: Int, item: JSONValue)] = []
        for item in items {
            guard let id = number(item["fieldId"]).map(Int.init) else { continue }
            parsed.append((id, item))
        }
        parsed.sort { $0.id < $1.id }
        var taken: Set<String> = []
        var definitions: [(order: Double, definition: FieldDefinition)] = []
        for (id, item) in parsed {
            let label = item["displayName"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            var key = slug(label)
            if key.isEmpty { key = "field_\(id)" }
            if taken.contains(key) {
                var suffix = 2
                while taken.contains("\(key)_\(suffix)") { suffix += 1 }
                key = "\(key)_\(suffix)"
            }
            taken.insert(key)
            if item["isActive"].map(isTrue) == false { continue }
            var definition = FieldDefinition(key: key, label: label.isEmpty ? key : label, type: .text,
                                             isRequired: item["isRequired"].map(isTrue) ?? false, providerRef: String(id))
            switch number(item["fieldType"]).map(Int.init) {
            case 0, 1: break
            case 2: definition.type = .select
            case 3: definition.type = .multiselect
            case 4: definition.type = .json
            case 5: definition.type = .date
            case 8:
                definition.type = .number
                definition.wholeNumbersOnly = true
            default:
                // 6 File, 7 Static Text, and any type iVvy adds later: shown, never sent.
                definition.isReadOnly = true
            }
            if definition.type == .select || definition.type == .multiselect {
                definition.options = options(item["selectValues"])
            }
            definitions.append((number(item["sortOrder"]) ?? Double(id), definition))
        }
        return definitions.sorted { ($0.order, $0.definition.providerRef ?? "") < ($1.order, $1.definition.providerRef ?? "") }
            .map(\.definition)
    }

    /// `selectValues`: an object of value → label (or a plain list of values), in label order.
    static func options(_ json: JSONValue?) -> [SelectOption] {
        switch json {
        case .object(let members)?:
            return members.map { SelectOption(value: $0.key, label: text($0.value) ?? $0.key) }
                .sorted { ($0.label.lowercased(), $0.value) < ($1.label.lowercased(), $1.value) }
        case .array(let items)?:
            return items.compactMap(text).map { SelectOption(value: $0) }
        default:
            return []
        }
    }

    /// A display name as a custom key: lower-case ASCII letters and digits joined by `_`.
    static func slug(_ label: String) -> String {
        let folded = label.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        var out = ""
        for scalar in folded.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("_") {
                out += "_"
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        return String(out.prefix(48))
    }

    // MARK: - iVvy to rolo

    /// A contact from `getContact` or `getContactList`. iVvy's pages send ids as numbers or
    /// strings; both are read, and the ids kept in the extension are written as numbers.
    func record(from json: JSONValue) throws(ProviderError) -> RemoteRecord {
        guard case .object(let members) = json else { throw .transient("iVvy sent a contact that is not an object") }
        guard let id = IvvyMapping.number(members["id"]).map(Int.init) else { throw .transient("iVvy sent a contact without an id") }
        var contact = Contact(accountID: 0)
        for (field, name) in IvvyMapping.standard { contact[field] = IvvyMapping.text(members[name]) }
        var kept: [String: JSONValue] = [:]
        if let code = IvvyMapping.number(members["status"]).map(Int.init) {
            contact[.status] = IvvyMapping.emailStatuses[code] ?? String(code)
            contact[.emailOptOut] = code == 2 || code == 5 ? "true" : "false"
        }
        if let code = IvvyMapping.number(members["smsStatus"]).map(Int.init) {
            contact[.smsOptOut] = code == 2 || code == 4 ? "true" : "false"
            kept["smsStatus"] = .number(Double(code))
        }
        var unmapped: [JSONValue] = []
        if case .array(let fields)? = members["customFields"] {
            for field in fields {
                guard let fieldID = IvvyMapping.number(field["fieldId"]).map(Int.init) else { continue }
                let raw = field["value"] ?? .null
                if let definition = fieldsByID[fieldID] {
                    switch IvvyMapping.customValue(raw, as: definition) {
                    case .value(let value):
                        contact.custom[definition.key] = value
                        // Kept as sent too when rolo would write it otherwise (see `customFields`).
                        if !definition.isReadOnly, IvvyMapping.wire(value) != raw { unmapped.append(IvvyMapping.keptField(fieldID, field)) }
                    case .empty: break
                    case .unreadable: unmapped.append(IvvyMapping.keptField(fieldID, field))
                    }
                } else if !IvvyMapping.isEmpty(raw) {
                    unmapped.append(IvvyMapping.keptField(fieldID, field))
                }
            }
        }
        // Fields rolo has no definition for (or could not read), and values iVvy wrote its own
        // way, stay as iVvy sent them.
        if !unmapped.isEmpty { kept["customFields"] = .array(unmapped) }
        for (name, value) in members where !IvvyMapping.notKept.contains(name) && name != "smsStatus" {
            switch (name, value) {
            case (_, .null): continue
            case ("groups", .array(let groups)): kept[name] = .array(groups.map(IvvyMapping.keptGroup))
            case ("companies", .array(let ids)): kept[name] = .array(ids.map { IvvyMapping.number($0).map(JSONValue.number) ?? $0 })
            case ("externalId", _):
                guard let external = IvvyMapping.text(value), !external.isEmpty else { continue }
                kept[name] = .string(external)
                contact.uid = external
            default: kept[name] = value
            }
        }
        if !kept.isEmpty { contact.extensions = ["ivvy": .object(kept)] }
        let modified = IvvyMapping.text(members["modifiedDate"])
        if let created = IvvyMapping.text(members["createdDate"]).flatMap(Timestamp.init(parsing:)) { contact.createdAt = created }
        if let stamp = modified.flatMap(Timestamp.init(parsing:)) { contact.updatedAt = stamp }
        return RemoteRecord(remoteID: String(id), modifiedAt: modified, contact: contact)
    }

    /// A group membership as kept: `{groupId, joinDate}` with the id as a number (the
    /// contact's own id, which some replies repeat in each group, is left out).
    static func keptGroup(_ group: JSONValue) -> JSONValue {
        guard case .object(var members) = group else { return group }
        members["contactId"] = nil
        if let id = number(members["groupId"]) { members["groupId"] = .number(id) }
        return .object(members)
    }

    static func keptField(_ id: Int, _ field: JSONValue) -> JSONValue {
        guard case .object(var members) = field else { return field }
        members["fieldId"] = .number(Double(id))
        return .object(members)
    }

    enum ReadValue: Equatable {
        case value(CustomValue)
        case empty
        case unreadable
    }

    /// A custom value as its field's type. iVvy's own example wraps values in a list
    /// (`["Medium"]`, `[""]` for none), so a one-item list is read as its item.
    static func customValue(_ raw: JSONValue, as definition: FieldDefinition) -> ReadValue {
        if isEmpty(raw) { return .empty }
        switch definition.type {
        case .multiselect:
            let values = multiselectValues(raw).map { optionValue($0, in: definition.options) }
            return values.isEmpty ? .empty : .value(.multiselect(values))
        case .json:
            switch raw {
            case .object: return .value(.json(raw))
            case .array(let items) where items.count == 1 && items[0].isContainer: return .value(.json(items[0]))
            case .string(let text):
                if let document = try? JSONValue.parse(text), case .object = document { return .value(.json(document)) }
                return .unreadable
            default: return .unreadable
            }
        default:
            guard let text = scalarText(raw) else { return .unreadable }
            if text.isEmpty { return .empty }
            switch definition.type {
            case .select: return .value(.select(optionValue(text, in: definition.options)))
            case .date: return dateFieldValue(text).map { .value(.date($0)) } ?? .unreadable
            case .number:
                guard let value = CustomValue(storedText: text.trimmingCharacters(in: .whitespaces), type: .number) else { return .unreadable }
                return .value(value)
            default: return .value(.text(text))
            }
        }
    }

    /// A Date field's day. iVvy's examples write Date values as timestamps
    /// (`1985-03-17 23:00:00 UTC`) and its date format as `yyyy-mm-dd`; rolo keeps the day as
    /// written. UNKNOWN: whether a time other than midnight means the day was entered in
    /// another zone; the day written is taken as it is.
    static func dateFieldValue(_ text: String) -> LocalDate? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let day = LocalDate(iso: trimmed) { return day }
        guard trimmed.count >= 10, Timestamp(parsing: trimmed) != nil else { return nil }
        return LocalDate(iso: String(trimmed.prefix(10)))
    }

    /// A multiselect's choices. UNKNOWN (§3.6): iVvy does not say whether several choices
    /// travel as a list or as one delimited string; rolo reads both (a string split at
    /// commas) and sends a list (`multiselectWire`).
    static func multiselectValues(_ raw: JSONValue) -> [String] {
        switch raw {
        case .array(let items):
            return items.compactMap(text).flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default:
            guard let text = text(raw) else { return [] }
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// How a multiselect is sent: a list of its values (see `multiselectValues`).
    static func multiselectWire(_ values: [String]) -> JSONValue {
        .array(values.map(JSONValue.string))
    }

    /// The option's value when iVvy sent its label instead (it may send either).
    static func optionValue(_ text: String, in options: [SelectOption]) -> String {
        if options.isEmpty || options.contains(where: { $0.value == text }) { return text }
        return options.first { $0.label == text }?.value ?? text
    }

    /// A single value's text: a string, a number, or the only item of a list.
    static func scalarText(_ raw: JSONValue) -> String? {
        switch raw {
        case .array(let items) where items.count == 1: text(items[0])
        case .array: nil
        default: text(raw)
        }
    }

    static func isEmpty(_ raw: JSONValue) -> Bool {
        switch raw {
        case .null: true
        case .string(let text): text.isEmpty
        case .array(let items): items.allSatisfy(isEmpty)
        default: false
        }
    }

    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .number(let number)?: JSONValue.format(number)
        case .bool(let flag)?: flag ? "true" : "false"
        default: nil
        }
    }

    /// A number sent as a number or as digits in a string.
    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: number
        case .string(let text)?: Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    static func isTrue(_ value: JSONValue) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number != 0
        case .string(let text): ["1", "true", "yes"].contains(text.lowercased())
        default: false
        }
    }

    // MARK: - rolo to iVvy

    /// What a cleared custom value is sent as. UNKNOWN (§3.6): iVvy does not say how a value
    /// is removed; an empty list for a multiselect and "" for anything else are the likely ways.
    static func clearedCustomValue(for type: FieldType) -> JSONValue {
        type == .multiselect ? .array([]) : .string("")
    }

    /// A typed value as iVvy takes it for its field type.
    static func wire(_ value: CustomValue) -> JSONValue {
        switch value {
        case .text(let text), .select(let text): .string(text)
        case .multiselect(let values): multiselectWire(values)
        case .number(let number): .number(number)
        case .date(let day): .string(day.description)
        case .datetime(let instant): .string(instant.display)
        case .json(let document): document
        case .bool(let flag): .string(flag ? "true" : "false")
        }
    }

    /// The email status number for `status` as rolo shows it (a name, or its number).
    static func emailStatusCode(_ text: String) throws(ProviderError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let code = Int(trimmed) ?? emailStatuses.first { $0.value.caseInsensitiveCompare(trimmed) == .orderedSame }?.key
        let settable = settableEmailStatuses.sorted().map { emailStatuses[$0]! }.joined(separator: ", ")
        guard let code, emailStatuses[code] != nil else {
            throw .invalid(field: StandardField.status.key, "“\(trimmed)” is not an iVvy email status (write one of \(settable))")
        }
        guard settableEmailStatuses.contains(code) else {
            throw .invalid(field: StandardField.status.key, "iVvy shows Registering but does not let it be set (write one of \(settable))")
        }
        return code
    }

    /// `status` and `smsStatus` for the consent fields among `keys` (see the type's comment).
    /// A create leaves out a Registering status (iVvy's own, say of a contact created again)
    /// and lets iVvy decide; an update that sets it is refused.
    static func consent(_ contact: Contact, keys: Set<StandardField>, isCreate: Bool = false) throws(ProviderError) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        let registering = contact[.status].map { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(emailStatuses[4]!) == .orderedSame } ?? false
        if keys.contains(.status), let status = contact[.status], !(isCreate && registering) {
            body["status"] = .number(Double(try emailStatusCode(status)))
        } else if keys.contains(.emailOptOut), let flag = contact[.emailOptOut] {
            body["status"] = .number(flag == "true" ? 2 : 1)
        }
        if keys.contains(.smsOptOut), let flag = contact[.smsOptOut] {
            body["smsStatus"] = .number(flag == "true" ? 2 : 1)
        }
        return body
    }

    /// `customFields` for a write: every writable field the account defines that `contact`
    /// has a value in, clears for the `cleared` keys, and the fields rolo kept without a
    /// definition.
    ///
    /// Whether iVvy replaces the whole set or only the fields listed is UNKNOWN (§3.6). Only
    /// the changed fields would lose the others if it replaces, so the whole set is sent; that
    /// is safe under both readings only if each value rolo did not change goes back exactly as
    /// iVvy gave it. rolo's own writing may differ (a Date given as `1985-03-17 23:00:00 UTC`
    /// would go back as `1985-03-17`, perhaps another day in the account's zone; a select
    /// given by its label, a number as text), so such a value is kept as read in the `ivvy`
    /// extension, and goes back as read while it still reads as the contact's value.
    func customFields(_ contact: Contact, cleared: Set<String>) -> [JSONValue] {
        var asRead: [Int: JSONValue] = [:]
        if case .array(let kept)? = contact.extensions["ivvy"]?["customFields"] {
            for field in kept {
                if let id = IvvyMapping.number(field["fieldId"]).map(Int.init), let value = field["value"] { asRead[id] = value }
            }
        }
        var fields: [(Int, JSONValue)] = []
        var sent: Set<Int> = []
        for (id, definition) in fieldsByID where !definition.isReadOnly {
            if let value = contact.custom[definition.key] {
                let raw = asRead[id].flatMap { IvvyMapping.customValue($0, as: definition) == .value(value) ? $0 : nil }
                fields.append((id, .object(["fieldId": .number(Double(id)), "value": raw ?? IvvyMapping.wire(value)])))
            } else if cleared.contains(definition.key) {
                fields.append((id, .object(["fieldId": .number(Double(id)), "value": IvvyMapping.clearedCustomValue(for: definition.type)])))
            } else {
                continue
            }
            sent.insert(id)
        }
        for (id, value) in asRead where !sent.contains(id) && fieldsByID[id]?.isReadOnly != true {
            fields.append((id, .object(["fieldId": .number(Double(id)), "value": value])))
        }
        return fields.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The groups and companies rolo last read, as `[{groupId}]` and `[id]`, when it has read
    /// them. Sent only by a create: iVvy replaces every membership a write names (§3.9), and
    /// rolo keeps them as iVvy's data without editing them, so an update that sent them back
    /// would undo whatever was added at iVvy since they were read.
    static func memberships(_ contact: Contact) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if case .array(let groups)? = contact.extensions["ivvy"]?["groups"] {
            body["groups"] = .array(groups.compactMap { group in number(group["groupId"]).map { .object(["groupId": .number($0)]) } })
        }
        if case .array(let ids)? = contact.extensions["ivvy"]?["companies"] {
            body["companies"] = .array(ids.compactMap { number($0).map(JSONValue.number) })
        }
        return body
    }

    /// `addOrUpdateContact` for a new contact: its fields, consent, custom fields, the
    /// memberships and external links it had if iVvy once had it (at most three links), the
    /// external id rolo finds it by, and `updateIfExists` so that a create sent twice updates
    /// the contact with the same first name, last name and email instead of making another.
    func createBody(_ contact: Contact) throws(ProviderError) -> [String: JSONValue] {
        var body: [String: JSONValue] = ["externalId": .string(contact.uid), "updateIfExists": .bool(true)]
        for (field, name) in IvvyMapping.standard { if let value = contact[field] { body[name] = .string(value) } }
        body.merge(try IvvyMapping.consent(contact, keys: [.status, .emailOptOut, .smsOptOut], isCreate: true)) { _, new in new }
        let custom = customFields(contact, cleared: [])
        if !custom.isEmpty { body["customFields"] = .array(custom) }
        body.merge(IvvyMapping.memberships(contact)) { _, new in new }
        if case .array(let links)? = contact.extensions["ivvy"]?["externalUrls"], !links.isEmpty {
            body["externalUrls"] = .array(links.prefix(3).compactMap { link in
                guard case .object(let members) = link, members["ref"] != nil else { return nil }
                return .object(members.filter { ["ref", "url", "label"].contains($0.key) })
            })
        }
        return body
    }

    /// `addOrUpdateContact` for a contact iVvy has: its id, the changed fields ("" for a
    /// cleared one), consent when it changed, and the whole set of custom fields when one
    /// changed. Never `groups` or `companies` (see `memberships`). Nil when no changed field
    /// is one iVvy stores.
    func updateBody(id: Int, _ contact: Contact, changed: Set<FieldKey>) throws(ProviderError) -> [String: JSONValue]? {
        var body: [String: JSONValue] = [:]
        var standard: Set<StandardField> = []
        var cleared: Set<String> = []
        var customChanged = false
        for key in changed {
            switch key {
            case .standard(let field): standard.insert(field)
            case .others: continue    // further emails and phones stay in rolo
            case .custom(let name):
                guard let definition = fieldsByID.values.first(where: { $0.key == name }), !definition.isReadOnly else { continue }
                customChanged = true
                if contact.custom[name] == nil { cleared.insert(name) }
            }
        }
        for (field, name) in IvvyMapping.standard where standard.contains(field) {
            body[name] = .string(contact[field] ?? "")
        }
        body.merge(try IvvyMapping.consent(contact, keys: standard)) { _, new in new }
        if customChanged { body["customFields"] = .array(customFields(contact, cleared: cleared)) }
        if body.isEmpty { return nil }
        body["id"] = .number(Double(id))
        return body
    }
}
