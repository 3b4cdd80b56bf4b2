import Foundation

/// A contact custom field as `getCustomFieldDefinition` describes it (PROVIDERS.md §3.6).
public struct IVVYCustomFieldDefinition: Sendable, Equatable {
    public enum FieldType: Int, Sendable {
        case smallText = 0, largeText = 1, singleSelect = 2, multipleSelect = 3, address = 4, date = 5, file = 6,
             staticText = 7, wholeNumber = 8
    }

    public var fieldId: Int
    public var fieldType: FieldType
    public var displayName: String
    public var isRequired: Bool
    public var isActive: Bool
    public var sortOrder: Int
    /// Value → label, for the select types.
    public var selectValues: [String: String]?
    public var fileTypes: [String]

    public init(fieldId: Int, fieldType: FieldType, displayName: String, isRequired: Bool = false, isActive: Bool = true,
                sortOrder: Int = 0, selectValues: [String: String]? = nil, fileTypes: [String] = []) {
        self.fieldId = fieldId
        self.fieldType = fieldType
        self.displayName = displayName
        self.isRequired = isRequired
        self.isActive = isActive
        self.sortOrder = sortOrder
        self.selectValues = selectValues
        self.fileTypes = fileTypes
    }

    var json: EmulatorJSON {
        ["fieldId": .number(Double(fieldId)), "fieldType": .number(Double(fieldType.rawValue)),
         "displayName": .string(displayName), "isRequired": .bool(isRequired), "isActive": .bool(isActive),
         "sortOrder": .number(Double(sortOrder)),
         "selectValues": selectValues.map { .object($0.mapValues { .string($0) }) } ?? .null,
         "fileTypes": .array(fileTypes.map { .string($0) })]
    }
}

public struct IVVYSubscriptionGroup: Sendable, Equatable {
    public var id: Int
    public var groupName: String
    public var tagColour: String

    public init(id: Int, groupName: String, tagColour: String = "#3d85c6") {
        self.id = id
        self.groupName = groupName
        self.tagColour = tagColour
    }
}

/// One stored iVvy contact.
struct IVVYContact: Sendable {
    struct Membership: Sendable { var groupId: Int; var joined: Int64 }
    struct ExternalURL: Sendable { var ref: String; var url: String; var label: String? }

    let id: Int
    var firstName: String?
    var lastName: String?
    var email: String?
    var phone: String?
    var status = 1
    var smsStatus = 1
    var customFields: [Int: EmulatorJSON] = [:]
    var groups: [Membership] = []
    var companies: [Int] = []
    var externalId: String?
    var externalUrls: [ExternalURL] = []
    var privacyConsentAt: Int64?
    var isAnonymised = false
    var created: Int64
    /// Bumped on every change, in whole seconds (the timestamp format has no fraction).
    var modified: Int64

    func json(account: IVVYAccountSettings, detail: Bool) -> EmulatorJSON {
        func text(_ value: String?) -> EmulatorJSON { value.map { .string($0) } ?? .null }
        var object: [String: EmulatorJSON] = [
            "id": .number(Double(id)),
            "firstName": text(firstName), "lastName": text(lastName), "email": text(email), "phone": text(phone),
            "status": .number(Double(status)), "smsStatus": .number(Double(smsStatus)),
            "externalId": text(externalId),
            "modifiedDate": .string(UTCTime(microseconds: modified).ivvy),
            "createdDate": .string(UTCTime(microseconds: created).ivvy),
            "isAnonymised": .bool(isAnonymised),
        ]
        object["customFields"] = .array(customFields.keys.sorted().map { fieldId in
            let name = account.customFields.first { $0.fieldId == fieldId }?.displayName ?? ""
            return ["fieldId": .number(Double(fieldId)), "displayName": .string(name), "value": customFields[fieldId]!]
        })
        object["groups"] = .array(groups.map { membership in
            var joined = UTCTime(microseconds: membership.joined).ivvy
            joined.removeLast(4)  // the example writes joinDate without " UTC"
            return ["contactId": .number(Double(id)), "groupId": .number(Double(membership.groupId)), "joinDate": .string(joined)]
        })
        object["companies"] = .array(companies.map { .number(Double($0)) })
        object["companiesData"] = .array(companies.map { company in
            ["id": .number(Double(company)), "businessName": .string(account.companies[company] ?? "")]
        })
        object["externalUrls"] = .array(externalUrls.map { link in
            ["ref": .string(link.ref), "url": .string(link.url), "label": text(link.label)]
        })
        object["privacyConsentData"] = privacyConsentAt.map {
            ["source": 5, "dateTime": .string(UTCTime(microseconds: $0).ivvy)]
        } ?? .null
        if detail {
            object["eventInvitations"] = []
            object["eventRegistrations"] = []
        }
        return .object(object)
    }
}

/// What the account holds besides contacts; set by the test through the options.
struct IVVYAccountSettings: Sendable {
    var customFields: [IVVYCustomFieldDefinition]
    var groups: [IVVYSubscriptionGroup]
    var companies: [Int: String]
    var multipleSelectFormat: IVVYEmulator.MultipleSelectFormat
}

/// iVvy's validation failures: 400 with a specific code.
struct IVVYFailure: Error, Equatable {
    var errorCode: Int
    var message: String
    var specificCode: Int?
    var additionalMessages: [String] = []

    static func invalid(_ parameter: String, _ why: String) -> IVVYFailure {
        IVVYFailure(errorCode: 400, message: "'\(parameter)' does not validate", specificCode: 23016, additionalMessages: [why])
    }

    static func required(_ parameter: String) -> IVVYFailure {
        IVVYFailure(errorCode: 400, message: "'\(parameter)' is required", specificCode: 23017)
    }

    var json: EmulatorJSON {
        var object: [String: EmulatorJSON] = ["errorCode": .number(Double(errorCode)), "message": .string(message)]
        if let specificCode { object["specificCode"] = .number(Double(specificCode)) }
        if !additionalMessages.isEmpty { object["additionalMessages"] = .array(additionalMessages.map { .string($0) }) }
        return .object(object)
    }
}

/// A checked `addOrUpdateContact` body. `nil` members were not sent; `.some(nil)` clears.
struct IVVYContactChanges: Sendable {
    var id: Int?
    var firstName: String??
    var lastName: String??
    var email: String??
    var phone: String??
    var externalId: String??
    var status: Int?
    var smsStatus: Int?
    var groups: [Int]?
    var customFields: [(fieldId: Int, value: EmulatorJSON)]?
    var companies: [Int]?
    /// `.some(nil)`: `externalUrls: null`, remove all; otherwise refs to set (url nil removes one).
    var externalUrls: [(ref: String, url: String?, label: String?)]??
    var privacyConsent: Bool?
    var updateIfExists = false

    /// Validates in the order the parameters are documented; the first failure is reported
    /// (23016 with `additionalMessages`).
    static func parse(_ body: [String: EmulatorJSON], account: IVVYAccountSettings) -> Result<IVVYContactChanges, IVVYFailure> {
        var changes = IVVYContactChanges()
        func text(_ name: String) -> Result<String??, IVVYFailure> {
            switch body[name] {
            case nil: .success(nil)
            case .null?: .success(.some(nil))
            case .string(let value)?: .success(.some(value))
            default: .failure(.invalid(name, "Value must be a string"))
            }
        }
        func whole(_ name: String) -> Result<Int?, IVVYFailure> {
            switch body[name] {
            case nil, .null?: .success(nil)
            case let value?: value.wholeNumber.map { .success($0) } ?? .failure(.invalid(name, "Value must be a whole number"))
            }
        }
        do throws(IVVYFailure) {
            changes.id = try whole("id").get()
            changes.externalId = try text("externalId").get()
            changes.firstName = try text("firstName").get()
            changes.lastName = try text("lastName").get()
            changes.email = try text("email").get()
            if case .some(.some(let email)) = changes.email, !email.isEmpty, !EmailSyntax.isPlausible(email) {
                return .failure(.invalid("email", "Value is not a valid email address"))
            }
            changes.phone = try text("phone").get()
            changes.groups = try parseGroups(body["groups"], account: account)
            changes.customFields = try parseCustomFields(body["customFields"], account: account)
            changes.companies = try parseCompanies(body["companies"], account: account)
            changes.status = try whole("status").get()
            // 4 (Registering) can be read but not set (PROVIDERS.md §3.9).
            if let status = changes.status, ![1, 2, 3, 5].contains(status) {
                return .failure(.invalid("status", "Value must be one of 1, 2, 3, 5"))
            }
            changes.smsStatus = try whole("smsStatus").get()
            if let sms = changes.smsStatus, ![1, 2, 3, 4].contains(sms) {
                return .failure(.invalid("smsStatus", "Value must be one of 1, 2, 3, 4"))
            }
            switch body["updateIfExists"] {
            case nil, .null?: break
            case .bool(let flag)?: changes.updateIfExists = flag
            default: return .failure(.invalid("updateIfExists", "Value must be a boolean"))
            }
            changes.externalUrls = try parseExternalURLs(body)
            switch body["privacyConsent"] {
            case nil, .null?: break
            case .bool(let flag)?: changes.privacyConsent = flag
            default: return .failure(.invalid("privacyConsent", "Value must be a boolean"))
            }
        } catch {
            return .failure(error)
        }
        return .success(changes)
    }

    private static func parseGroups(_ value: EmulatorJSON?, account: IVVYAccountSettings) throws(IVVYFailure) -> [Int]? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else { throw IVVYFailure.invalid("groups", "Value must be an array of groups") }
        return try items.map { (item: EmulatorJSON) throws(IVVYFailure) -> Int in
            guard let groupId = item["groupId"]?.wholeNumber else {
                throw IVVYFailure.invalid("groups", "Each group needs a whole number groupId")
            }
            guard account.groups.contains(where: { $0.id == groupId }) else {
                throw IVVYFailure.invalid("groups", "Subscription group \(groupId) does not exist")
            }
            return groupId
        }
    }

    private static func parseCompanies(_ value: EmulatorJSON?, account: IVVYAccountSettings) throws(IVVYFailure) -> [Int]? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else { throw IVVYFailure.invalid("companies", "Value must be an array of company ids") }
        return try items.map { (item: EmulatorJSON) throws(IVVYFailure) -> Int in
            guard let company = item.wholeNumber else { throw IVVYFailure.invalid("companies", "Value must be a whole number") }
            guard account.companies[company] != nil else {
                throw IVVYFailure.invalid("companies", "Company \(company) does not exist")
            }
            return company
        }
    }

    private static func parseCustomFields(_ value: EmulatorJSON?, account: IVVYAccountSettings) throws(IVVYFailure)
        -> [(fieldId: Int, value: EmulatorJSON)]?
    {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else {
            throw IVVYFailure.invalid("customFields", "Value must be an array of custom fields")
        }
        return try items.map { (item: EmulatorJSON) throws(IVVYFailure) -> (fieldId: Int, value: EmulatorJSON) in
            guard let fieldId = item["fieldId"]?.wholeNumber else {
                throw IVVYFailure.invalid("customFields", "Each custom field needs a whole number fieldId")
            }
            guard let definition = account.customFields.first(where: { $0.fieldId == fieldId && $0.isActive }) else {
                throw IVVYFailure.invalid("customFields", "Custom field \(fieldId) does not exist")
            }
            let value = item["value"] ?? .null
            if value == .null { return (fieldId, .null) }
            try check(value, against: definition, format: account.multipleSelectFormat)
            return (fieldId, value)
        }
    }

    private static func check(_ value: EmulatorJSON, against definition: IVVYCustomFieldDefinition,
                              format: IVVYEmulator.MultipleSelectFormat) throws(IVVYFailure) {
        let name = "customFields"
        let options = definition.selectValues ?? [:]
        switch definition.fieldType {
        case .smallText, .largeText:
            guard value.stringValue != nil else { throw IVVYFailure.invalid(name, "Value of field \(definition.fieldId) must be text") }
        case .singleSelect:
            guard let choice = value.stringValue, options[choice] != nil else {
                throw IVVYFailure.invalid(name, "Value of field \(definition.fieldId) must be one of its selectValues")
            }
        case .multipleSelect:
            let choices: [String]?
            switch format {
            case .array: choices = value.arrayValue?.compactMap(\.stringValue).count == value.arrayValue?.count
                ? value.arrayValue?.compactMap(\.stringValue) : nil
            case .commaSeparated: choices = value.stringValue.map { $0.split(separator: ",").map(String.init) }
            }
            guard let choices, choices.allSatisfy({ options[$0] != nil }) else {
                throw IVVYFailure.invalid(name, "Value of field \(definition.fieldId) must be selectValues as \(format == .array ? "an array" : "comma-separated text")")
            }
        case .address:
            let keys: Set = ["line1", "line2", "line3", "line4", "city", "postalCode", "countryCode", "stateCode", "stateName"]
            guard let members = value.objectValue,
                  members.allSatisfy({ keys.contains($0.key) && ($0.value.stringValue != nil || $0.value == .null) }) else {
                throw IVVYFailure.invalid(name, "Value of field \(definition.fieldId) must be an address object")
            }
        case .date:
            guard let text = value.stringValue,
                  TimestampParsing.ivvy(text) != nil || TimestampParsing.ivvy(text + " 00:00:00") != nil else {
                throw IVVYFailure.invalid(name, "Value of field \(definition.fieldId) must be a date (yyyy-mm-dd) or timestamp")
            }
        case .file:
            throw IVVYFailure.invalid(name, "Field \(definition.fieldId) is a file field and cannot be set here")
        case .staticText:
            throw IVVYFailure.invalid(name, "Field \(definition.fieldId) is static text and cannot be set")
        case .wholeNumber:
            guard value.wholeNumber != nil else { throw IVVYFailure.invalid(name, "Value must be a whole number") }
        }
    }

    private static func parseExternalURLs(_ body: [String: EmulatorJSON]) throws(IVVYFailure) -> [(ref: String, url: String?, label: String?)]?? {
        guard let value = body["externalUrls"] else { return nil }
        if value == .null { return .some(nil) }
        guard case .array(let items) = value else {
            throw IVVYFailure.invalid("externalUrls", "Value must be an array of external URLs")
        }
        guard items.count <= 3 else { throw IVVYFailure.invalid("externalUrls", "A maximum of 3 external URLs is allowed") }
        return .some(try items.map { (item: EmulatorJSON) throws(IVVYFailure) -> (ref: String, url: String?, label: String?) in
            guard let ref = item["ref"]?.stringValue, !ref.isEmpty else {
                throw IVVYFailure.invalid("externalUrls", "Each external URL needs a ref")
            }
            var url: String?
            switch item["url"] {
            case nil, .null?: url = nil
            case .string(let text)?:
                guard text.lowercased().hasPrefix("https://"), text.count > 8 else {
                    throw IVVYFailure.invalid("externalUrls", "The url must be an https link")
                }
                url = text
            default: throw IVVYFailure.invalid("externalUrls", "The url must be an https link")
            }
            return (ref, url, item["label"]?.stringValue)
        })
    }
}
