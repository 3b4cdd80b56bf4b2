import Foundation
import RoloCore

/// rolo's contact model and DailyStory's contact JSON (PROVIDERS.md §1.4), both ways.
struct DailyStoryMapping: Sendable {
    /// Standard fields and their DailyStory names. The three opt-out flags and `status` are
    /// here too; they are converted on the way (booleans, status names).
    static let standard: [(StandardField, String)] = [
        (.salutation, "salutation"), (.firstName, "firstName"), (.lastName, "lastName"), (.jobTitle, "title"),
        (.company, "company"), (.email, "email"), (.phone, "phone"), (.mobilePhone, "mobilePhone"),
        (.addressLine1, "address"), (.city, "city"), (.region, "region"), (.postcode, "postalCode"),
        // No timezone: DailyStory returns one but takes none (§1.4's settable fields); it is kept
        // with DailyStory's own data, and rolo's stays rolo's.
        (.country, "country"), (.website, "website"), (.status, "status"),
        (.emailOptOut, "optOutEmail"), (.smsOptOut, "optOutSms"), (.phoneOptOut, "optOutPhone"),
    ]

    /// Members a reply carries that rolo neither models nor keeps: the id (it is the record's
    /// id), the custom values (mapped on their own), and what DailyStory derives or stamps by
    /// itself (§1.8). Activity stamps change whenever the contact is mailed or visits, so
    /// keeping them would make every refresh look like an edit; the derived ones follow from
    /// the fields that are kept. None of these is ever sent.
    static let notKept: Set<String> = [
        "dsId", "extendedProperties", "tenantId", "fullname", "donotcontact", "age", "accountId",
        "isPushEnabled", "isWebPushEnabled", "isSmsEnabled", "isEmailEnabled", "isEmailVerifiedForDelivery", "isSMSVerified",
        "dateFirstSeen", "dateLastSeen", "dateLastContacted", "dateContactCreated", "timestampCreated", "dateContactLastModified",
    ]

    /// Unmodelled members DailyStory lets a create set (§1.4), sent back from the contact's
    /// `dailystory` extension when a contact it once had is created again, so nothing is lost.
    static let settableExtras: [String] = [
        "homePhone", "geoCode", "numberOfEmployees", "industry", "annualRevenue", "optOutPush",
        "maxContactFrequencyInDays", "avatarPath", "gender",
    ]

    /// DailyStory's status names (§3b: sent as these strings).
    static let statusNames = ["Active", "Inactive", "Spam", "Deleted"]

    /// The account's custom fields that have a type other than text, by key. Keys without a
    /// definition are text, as DailyStory stores them.
    let definitions: [String: FieldDefinition]

    init(definitions: [FieldDefinition]) {
        self.definitions = Dictionary(definitions.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: - DailyStory to rolo

    /// A contact object from a reply. Values rolo does not model are kept in the contact's
    /// `dailystory` extension (empty strings and nulls mean "no value" and are left out).
    func record(from json: JSONValue) throws(ProviderError) -> RemoteRecord {
        guard case .object(let members) = json else {
            throw .transient("DailyStory sent a contact that is not an object")
        }
        guard let dsID = DailyStoryMapping.text(members["dsId"]), !dsID.isEmpty else {
            throw .transient("DailyStory sent a contact without a dsId")
        }
        var contact = Contact(accountID: 0)
        for (field, name) in DailyStoryMapping.standard {
            guard let value = members[name] else { continue }
            switch field {
            case .status: contact[field] = DailyStoryMapping.statusName(value)
            case .emailOptOut, .smsOptOut, .phoneOptOut: contact[field] = DailyStoryMapping.flag(value)
            default: contact[field] = DailyStoryMapping.text(value)
            }
        }
        var kept: [String: JSONValue] = [:]
        if case .object(let properties)? = members["extendedProperties"] {
            var unreadable: [String: JSONValue] = [:]
            for (key, value) in properties {
                guard let text = DailyStoryMapping.text(value), !DailyStoryMapping.isClearedValue(text) else { continue }
                if let typed = customValue(text, key: key) { contact.custom[key] = typed } else { unreadable[key] = .string(text) }
            }
            // A value that does not read as its field's type stays as DailyStory has it.
            if !unreadable.isEmpty { kept["extendedProperties"] = .object(unreadable) }
        }
        let mapped = Set(DailyStoryMapping.standard.map(\.1))
        for (name, value) in members where !mapped.contains(name) && !DailyStoryMapping.notKept.contains(name) {
            switch value {
            case .null: continue
            case .string(let text) where text.isEmpty || DailyStoryMapping.isNeverDate(text): continue
            default: kept[name] = value
            }
        }
        if !kept.isEmpty { contact.extensions = ["dailystory": .object(kept)] }
        if let created = DailyStoryMapping.serverInstant(members["timestampCreated"]) ?? DailyStoryMapping.serverInstant(members["dateContactCreated"]) {
            contact.createdAt = created
        }
        let modifiedStamp = DailyStoryMapping.text(members["dateContactLastModified"]).flatMap { DailyStoryMapping.isNeverDate($0) ? nil : $0 }
        if let modified = DailyStoryMapping.serverInstant(members["dateContactLastModified"]) { contact.updatedAt = modified }
        let isDeleted = contact[.status]?.caseInsensitiveCompare("Deleted") == .orderedSame
        return RemoteRecord(remoteID: dsID, modifiedAt: modifiedStamp, contact: contact, isDeleted: isDeleted)
    }

    /// A string member; numbers are written as text (ids and codes some replies send as numbers).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .number(let number)?: JSONValue.format(number)
        case .bool(let flag)?: flag ? "true" : "false"
        default: nil
        }
    }

    /// `status` as rolo shows it. The contact pages send names; the delete page speaks of
    /// 0 (Active) and 100 (Deleted) (§3b). Other numbers are shown as they came.
    static func statusName(_ value: JSONValue) -> String? {
        switch value {
        case .number(0): "Active"
        case .number(100): "Deleted"
        case .string(let text):
            statusNames.first { $0.caseInsensitiveCompare(text) == .orderedSame }
                ?? (text == "0" ? "Active" : text == "100" ? "Deleted" : text)
        default: text(value)
        }
    }

    /// An opt-out flag as rolo stores flags.
    static func flag(_ value: JSONValue) -> String? {
        switch value {
        case .bool(let flag): flag ? "true" : "false"
        case .string(let text) where ["true", "false"].contains(text.lowercased()): text.lowercased()
        case .number(let number): number != 0 ? "true" : "false"
        default: nil
        }
    }

    /// `1753-01-01T00:00:00`, SQL Server's smallest date, which DailyStory sends for "never".
    static func isNeverDate(_ text: String) -> Bool { text.hasPrefix("1753-01-01") }

    /// A DailyStory date (`2018-07-17T20:00:12.023`) as an instant. UNKNOWN (§1.4): the
    /// dates carry no offset and the docs do not say which zone they are in; rolo reads them
    /// as UTC, here and nowhere else. The "never" date is no date.
    static func serverInstant(_ value: JSONValue?) -> Timestamp? {
        guard let text = text(value), !text.isEmpty, !isNeverDate(text) else { return nil }
        return Timestamp(parsing: text)
    }

    /// A custom value from its text: typed as the account defines the key, text otherwise.
    /// Nil when the text does not read as the field's type.
    func customValue(_ text: String, key: String) -> CustomValue? {
        guard let definition = definitions[key] else { return .text(text) }
        switch definition.type {
        case .text: return .text(text)
        case .select: return .select(text)
        case .multiselect:
            let values = DailyStoryMapping.multiselectValues(text)
            return values.isEmpty ? nil : .multiselect(values)
        default: return CustomValue(storedText: text.trimmingCharacters(in: .whitespaces), type: definition.type)
        }
    }

    /// A multiselect's choices from "a, b".
    static func multiselectValues(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: - rolo to DailyStory

    /// What a cleared custom value is sent as. UNKNOWN (§1.7, §3b): DailyStory does not say
    /// how to remove a key or clear a value; an empty string is the likely way, so a clear
    /// sends "" and rolo reads "" back as no value (`isClearedValue`).
    static let clearedValue = ""

    static func isClearedValue(_ text: String) -> Bool { text == clearedValue }

    /// DailyStory keeps every custom value as a string: numbers in plain notation, dates as
    /// `yyyy-mm-dd`, instants in RFC 3339 (UTC), flags as true/false, JSON as compact text,
    /// several choices as "a, b".
    static func wireText(_ value: CustomValue) -> String {
        switch value {
        case .multiselect(let values): values.joined(separator: ", ")
        default: value.storedText
        }
    }

    /// The JSON for one standard field, or nil when it is not sent: fields DailyStory does
    /// not store, and clears that have no empty value at DailyStory (a status, an opt-out —
    /// clearing an opt-out must not opt the contact back in).
    static func member(_ field: StandardField, of contact: Contact) throws(ProviderError) -> (name: String, value: JSONValue)? {
        guard let name = standard.first(where: { $0.0 == field })?.1 else { return nil }
        let value = contact[field]
        switch field {
        case .status:
            guard let value else { return nil }
            return (name, .string(try wireStatus(value)))
        case .emailOptOut, .smsOptOut, .phoneOptOut:
            guard let value else { return nil }
            return (name, .bool(value == "true"))
        default:
            // A cleared field sends "" (§4.4: DailyStory documents no other way to clear).
            return (name, .string(value ?? ""))
        }
    }

    /// A status as DailyStory's name for it; anything else is refused before it is sent.
    static func wireStatus(_ value: String) throws(ProviderError) -> String {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let name = statusNames.first(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) { return name }
        if text == "0" { return "Active" }
        if text == "100" { return "Deleted" }
        throw .invalid(field: StandardField.status.key,
                       "“\(text)” is not a DailyStory status (write one of \(statusNames.joined(separator: ", ")))")
    }

    /// The body of a create: every stored field with a value, the custom values, and the
    /// settable extras a contact read from DailyStory once had. No `dsId`.
    func createBody(_ contact: Contact) throws(ProviderError) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if case .object(let kept)? = contact.extensions["dailystory"] {
            for name in DailyStoryMapping.settableExtras { if let value = kept[name] { body[name] = value } }
        }
        for (field, _) in DailyStoryMapping.standard where contact[field] != nil {
            if let (name, value) = try DailyStoryMapping.member(field, of: contact) { body[name] = value }
        }
        if !contact.custom.isEmpty {
            body["extendedProperties"] = .object(contact.custom.mapValues { .string(DailyStoryMapping.wireText($0)) })
        }
        return body
    }

    /// The body of an update: the `dsId` and only the changed fields; a cleared field or
    /// custom value is sent as "". Nil when no changed field is one DailyStory stores.
    func updateBody(dsID: String, _ contact: Contact, changed: Set<FieldKey>) throws(ProviderError) -> [String: JSONValue]? {
        var body: [String: JSONValue] = [:]
        var properties: [String: JSONValue] = [:]
        for key in changed.sorted() {
            switch key {
            case .standard(let field):
                if let (name, value) = try DailyStoryMapping.member(field, of: contact) { body[name] = value }
            case .custom(let name):
                properties[name] = .string(contact.custom[name].map(DailyStoryMapping.wireText) ?? DailyStoryMapping.clearedValue)
            case .others:
                continue    // further emails and phones stay in rolo
            }
        }
        if !properties.isEmpty { body["extendedProperties"] = .object(properties) }
        if body.isEmpty { return nil }
        body["dsId"] = .string(dsID)
        return body
    }
}
