import Foundation

/// A contact's local row id. People see it as a short id (`ShortID`), never as a number.
public struct ContactID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var shortID: String { ShortID.encode(rawValue) }
    public var description: String { shortID }
    public static func < (lhs: ContactID, rhs: ContactID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The unified contact: standard fields, typed custom values and provider extension data.
///
/// An empty standard field is absent from `fields`, so "no value" has exactly one form.
public struct Contact: Sendable, Hashable {
    /// Nil until the contact is stored in the cache.
    public var id: ContactID?
    /// A UUID that never changes: sent to providers as the external id where they have one.
    public var uid: String
    public var accountID: Int64
    public var fields: [StandardField: String]
    public var custom: [String: CustomValue]
    /// Emails beyond `fields[.email]`, in the order the address book had them.
    public var otherEmails: [LabelledValue]
    /// Phones beyond `fields[.phone]` and `fields[.mobilePhone]` (a fax, a second mobile, …).
    public var otherPhones: [LabelledValue]
    /// Provider-specific data rolo does not model (DailyStory `geoCode`, iVvy `groups`, …),
    /// kept verbatim under the provider's name so that nothing is ever dropped.
    public var extensions: [String: JSONValue]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: ContactID? = nil, uid: String = Contact.newUID(), accountID: Int64,
                fields: [StandardField: String] = [:], custom: [String: CustomValue] = [:],
                otherEmails: [LabelledValue] = [], otherPhones: [LabelledValue] = [],
                extensions: [String: JSONValue] = [:], createdAt: Timestamp = .now(), updatedAt: Timestamp? = nil) {
        self.id = id
        self.uid = uid
        self.accountID = accountID
        self.fields = fields.filter { !$0.value.isEmpty }
        self.custom = custom
        self.otherEmails = otherEmails
        self.otherPhones = otherPhones
        self.extensions = extensions
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// A random (version 4) UUID in lower case. Made from the system's random generator
    /// (`getrandom`), not Foundation's `UUID()`, which on Linux opens and reads `/dev/urandom`
    /// each time: three system calls per contact of an import or a pull.
    public static func newUID() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & ~0xF000) | 0x4000                                    // version 4
        low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000   // RFC 4122 variant
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, word) in [high, low].enumerated() {
            for nibble in 0..<16 {
                let position = index * 16 + nibble
                if position == 8 || position == 12 || position == 16 || position == 20 { text.append(UInt8(ascii: "-")) }
                text.append(digits[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A standard field's value; setting nil or "" clears it.
    public subscript(field: StandardField) -> String? {
        get { fields[field] }
        set {
            if let newValue, !newValue.isEmpty { fields[field] = newValue } else { fields[field] = nil }
        }
    }

    public var email: String? { fields[.email] }

    /// The further values of one kind.
    public subscript(others kind: OtherValueKind) -> [LabelledValue] {
        get { kind == .email ? otherEmails : otherPhones }
        set { if kind == .email { otherEmails = newValue } else { otherPhones = newValue } }
    }

    /// The name the list shows: the full name, else first and last, else the email or a phone.
    public var displayName: String {
        Contact.displayName(fields)
    }

    public static func displayName(_ fields: [StandardField: String]) -> String {
        shownPersonName(fields) ?? fields[.email] ?? fields[.mobilePhone] ?? fields[.phone] ?? fields[.company] ?? "(no name)"
    }

    /// The person's name as the list shows it: the full name, else first and last. Nil when
    /// there is none and the list shows an email, a phone or a company instead. The search
    /// index keeps this as one text, so a phrase for the shown name finds it.
    public static func shownPersonName(_ fields: [StandardField: String]) -> String? {
        if let full = fields[.fullName]?.trimmed, !full.isEmpty { return full }
        let parts = [fields[.firstName], fields[.lastName]].compactMap { $0?.trimmed }
            .filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The key the list is ordered by: the folded display name, then the uid so that it is unique.
    public var sortKey: String {
        TextFolding.fold(displayName) + "\u{1}" + uid
    }

    /// Every field with a value, standard fields first in their fixed order, then further
    /// emails and phones, then custom keys sorted.
    public var keysWithValues: [FieldKey] {
        fields.keys.sorted().map(FieldKey.standard) + OtherValueKind.allCases.filter { !self[others: $0].isEmpty }.map(FieldKey.others)
            + custom.keys.sorted().map(FieldKey.custom)
    }

    public func value(of key: FieldKey) -> FieldValue? {
        switch key {
        case .standard(let field): fields[field].map(FieldValue.text)
        case .others(let kind): self[others: kind].isEmpty ? nil : .list(self[others: kind])
        case .custom(let name): custom[name].map(FieldValue.custom)
        }
    }
}

/// Names a field of a contact: one of the standard fields, the list of further emails or of
/// further phones, or a custom key.
public enum FieldKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    case standard(StandardField)
    /// The whole list of further emails or phones: an edit, the history and undo take it as one
    /// value, so a change to one entry is undone with its neighbours as they were.
    case others(OtherValueKind)
    case custom(String)

    /// Reads `city`, an alias like `zip`, `other_emails`, `custom.plan`, or a bare custom key.
    public init(parsing name: String) {
        if name.hasPrefix("custom.") {
            self = .custom(String(name.dropFirst("custom.".count)))
        } else if let field = StandardField(named: name) {
            self = .standard(field)
        } else if let kind = OtherValueKind(listName: name) {
            self = .others(kind)
        } else {
            self = .custom(name)
        }
    }

    /// The key as people write it; custom keys that look like a standard field get `custom.`.
    public var description: String {
        switch self {
        case .standard(let field): field.key
        case .others(let kind): kind.listName
        case .custom(let name): StandardField(named: name) == nil && OtherValueKind(listName: name) == nil ? name : "custom." + name
        }
    }

    public var isOthers: Bool { if case .others = self { true } else { false } }

    private var rank: Int {
        switch self {
        case .standard: 0
        case .others: 1
        case .custom: 2
        }
    }

    public static func < (lhs: FieldKey, rhs: FieldKey) -> Bool {
        switch (lhs, rhs) {
        case (.standard(let left), .standard(let right)): left < right
        case (.others(let left), .others(let right)): left == .email && right == .phone
        case (.custom(let left), .custom(let right)): left < right
        default: lhs.rank < rhs.rank
        }
    }
}

/// A field's value: standard fields hold text, custom fields a typed value, the further
/// emails and phones a list.
public enum FieldValue: Sendable, Hashable {
    case text(String)
    case custom(CustomValue)
    case list([LabelledValue])

    public var displayText: String {
        switch self {
        case .text(let text): text
        case .custom(let value): value.displayText
        case .list(let values): values.map { $0.label.isEmpty ? $0.value : "\($0.value) (\($0.label))" }.joined(separator: ", ")
        }
    }
}
