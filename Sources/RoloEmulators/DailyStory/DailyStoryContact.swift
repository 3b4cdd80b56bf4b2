import Foundation

/// One DailyStory contact, with every field of the Get-a-Contact example (PROVIDERS.md §1.4).
struct DailyStoryContact: Sendable {
    enum Status: String, Sendable, CaseIterable {
        case active = "Active", inactive = "Inactive", spam = "Spam", deleted = "Deleted"
    }

    let dsId: String
    /// Creation order: "first match" on a lookup means the oldest contact.
    let sequence: Int
    var strings: [String: String] = [:]
    var integers: [String: Int] = [:]
    var flags: [String: Bool] = [:]
    var status: Status = .active
    var extendedProperties: [String: String] = [:]
    var dateBirth: String?
    var created: Int64
    var modified: Int64

    /// Settable text fields (create-or-edit page, plus the older docs' `avatarPath`).
    static let textFields = ["email", "mobilePhone", "firstName", "lastName", "salutation", "title", "country", "region",
                             "city", "postalCode", "address", "geoCode", "phone", "homePhone", "company", "website",
                             "avatarPath"]
    static let integerFields = ["numberOfEmployees", "industry", "annualRevenue", "maxContactFrequencyInDays", "gender"]
    static let optOutFields = ["optOutEmail", "optOutSms", "optOutPush", "optOutPhone"]

    var email: String { strings["email"] ?? "" }
    var mobilePhone: String { strings["mobilePhone"] ?? "" }

    /// "Do not contact" follows from the opt-outs: all four set makes it true.
    var doNotContact: Bool { Self.optOutFields.allSatisfy { flags[$0] ?? false } }

    /// SQL Server's minimum datetime, DailyStory's "never".
    static let never = "1753-01-01T00:00:00"

    func json(statusEncoding: DailyStoryEmulator.StatusEncoding, tenantID: Int) -> EmulatorJSON {
        var object = [String: EmulatorJSON]()
        object["tenantId"] = .number(Double(tenantID))
        object["dsId"] = .string(dsId)
        for name in Self.textFields { object[name] = .string(strings[name] ?? "") }
        object["timezone"] = ""
        for name in Self.integerFields { object[name] = .number(Double(integers[name] ?? 0)) }
        for name in Self.optOutFields { object[name] = .bool(flags[name] ?? false) }
        let first = strings["firstName"] ?? "", last = strings["lastName"] ?? ""
        object["fullname"] = .string([first, last].filter { !$0.isEmpty }.joined(separator: " "))
        object["donotcontact"] = .bool(doNotContact)
        let emailOK = !email.isEmpty && !(flags["optOutEmail"] ?? false)
        let smsOK = !mobilePhone.isEmpty && !(flags["optOutSms"] ?? false)
        object["isEmailEnabled"] = .bool(emailOK)
        object["isSmsEnabled"] = .bool(smsOK)
        object["isPushEnabled"] = false
        object["isWebPushEnabled"] = false
        object["isEmailVerifiedForDelivery"] = .bool(!email.isEmpty)
        object["isSMSVerified"] = false
        object["age"] = 0
        object["accountId"] = 0
        object["dateBirth"] = dateBirth.map { .string($0) } ?? .null
        object["extendedProperties"] = .object(extendedProperties.mapValues { .string($0) })
        switch (statusEncoding, status) {
        case (.numbers, .active): object["status"] = 0
        case (.numbers, .deleted): object["status"] = 100
        default: object["status"] = .string(status.rawValue)
        }
        let createdTime = UTCTime(microseconds: created)
        object["dateContactCreated"] = .string(UTCTime(year: createdTime.year, month: createdTime.month, day: createdTime.day).dailyStory)
        object["timestampCreated"] = .string(createdTime.dailyStory)
        object["dateContactLastModified"] = .string(UTCTime(microseconds: modified).dailyStory)
        object["dateFirstSeen"] = .string(Self.never)
        object["dateLastSeen"] = .string(Self.never)
        object["dateLastContacted"] = .string(Self.never)
        return .object(object)
    }
}

/// The fields of a create-or-update body, checked by kind. Read-only and unknown fields are
/// ignored; `null` leaves a field as it is (how to clear one is UNKNOWN, PROVIDERS.md §1.7;
/// `""` is the documented guess and sets an empty text).
struct DailyStoryChanges: Sendable {
    var strings: [String: String] = [:]
    var integers: [String: Int] = [:]
    var flags: [String: Bool] = [:]
    var status: DailyStoryContact.Status?
    var extendedProperties: [String: String] = [:]
    var dateBirth: String?

    static func parse(_ body: [String: EmulatorJSON]) -> Result<DailyStoryChanges, Refusal> {
        var changes = DailyStoryChanges()
        for name in DailyStoryContact.textFields {
            switch body[name] {
            case nil, .null?: continue
            case .string(let text)?: changes.strings[name] = text
            default: return .failure(Refusal("The value of '\(name)' must be a string."))
            }
        }
        for name in DailyStoryContact.integerFields {
            switch body[name] {
            case nil, .null?: continue
            case let value?:
                guard let number = value.wholeNumber else {
                    return .failure(Refusal("The value of '\(name)' must be a whole number."))
                }
                changes.integers[name] = number
            }
        }
        for name in DailyStoryContact.optOutFields {
            switch body[name] {
            case nil, .null?: continue
            case .bool(let flag)?: changes.flags[name] = flag
            default: return .failure(Refusal("The value of '\(name)' must be true or false."))
            }
        }
        switch body["status"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let status = DailyStoryContact.Status.allCases.first(where: {
                $0.rawValue.caseInsensitiveCompare(text) == .orderedSame
            }) else {
                return .failure(Refusal("The status '\(text)' is not one of Active, Inactive, Spam or Deleted."))
            }
            changes.status = status
        default:
            return .failure(Refusal("The value of 'status' must be one of Active, Inactive, Spam or Deleted."))
        }
        switch body["extendedProperties"] {
        case nil, .null?: break
        case .object(let members)?:
            for (key, value) in members {
                guard case .string(let text) = value else {
                    return .failure(Refusal("The extended property '\(key)' must be a string; send numbers and dates as text."))
                }
                changes.extendedProperties[key] = text
            }
        default: return .failure(Refusal("'extendedProperties' must be an object of text values."))
        }
        // The older create docs call the birth date `dateOfBirth`; the contact shows `dateBirth`.
        for name in ["dateOfBirth", "dateBirth"] {
            switch body[name] {
            case nil, .null?: continue
            case .string(let text)?: changes.dateBirth = text
            default: return .failure(Refusal("The value of '\(name)' must be a date."))
            }
        }
        return .success(changes)
    }

    func apply(to contact: inout DailyStoryContact) {
        for (name, value) in strings { contact.strings[name] = value }
        for (name, value) in integers { contact.integers[name] = value }
        for (name, value) in flags { contact.flags[name] = value }
        for (key, value) in extendedProperties { contact.extendedProperties[key] = value }
        if let dateBirth { contact.dateBirth = dateBirth }
        if let status { contact.status = status }
        // All four opt-outs make the contact Inactive (and "do not contact"), PROVIDERS.md §1.8.
        if contact.doNotContact, contact.status == .active { contact.status = .inactive }
    }
}

enum DailyStoryText {
    /// E.164: `+`, then 8 to 15 digits, the first not 0. (The docs ask for E.164 and say
    /// nothing of other forms, so only E.164 counts as a valid mobile number here.)
    static func isMobile(_ text: String) -> Bool {
        guard text.hasPrefix("+") else { return false }
        let digits = text.dropFirst()
        return (8...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber } && digits.first != "0"
    }
}
