import Foundation
import RoloCore

/// What an import does with a contact the cache already has (the same uid, else the same
/// email, else the same mobile phone in the account): a second import of a file is safe.
public enum DuplicatePolicy: String, Sendable, CaseIterable {
    /// Leave the contact in the cache as it is, and count it.
    case skip
    /// Give the contact in the cache the file's values (what the file leaves empty stays).
    case update
    /// Store it anyway, as a new contact (with a new uid when the uid was the match).
    case add
}

/// How an import treats values it cannot take as they are, and contacts it already has.
public struct ImportOptions: Sendable {
    /// Leave out what is bad — a value when only that value is bad, a record when the record
    /// is — and list it, instead of importing nothing.
    public var skipInvalid: Bool
    /// Where numbers written without a country code come from; nil keeps them as written.
    public var defaultRegion: PhoneRegion?
    public var onDuplicate: DuplicatePolicy
    /// The charset of a file that is not UTF-8 (`--charset`): a CSV file's whole, a vCard's
    /// lines that declare no `CHARSET`. nil reads UTF-8, or UTF-16 where a byte-order mark says
    /// so; rolo never guesses one.
    public var charset: Charset?

    public init(skipInvalid: Bool = false, defaultRegion: PhoneRegion? = nil, onDuplicate: DuplicatePolicy = .skip,
                charset: Charset? = nil) {
        self.skipInvalid = skipInvalid
        self.defaultRegion = defaultRegion
        self.onDuplicate = onDuplicate
        self.charset = charset
    }
}

/// Checks a contact read from a file against the account it goes to, value by value, so that
/// one bad value does not cost a whole file and every message names the value's own line.
///
/// - A phone number without a country code is what address books hold (`214-555-0100`): it is
///   stored in international form when the import names the region, else kept as written with
///   a warning. So is a number with an extension, which E.164 cannot hold.
/// - Any other value the account cannot take refuses the import with its line — or, with
///   `skipInvalid`, is left out and listed while the rest of the contact is imported.
/// - What the record as a whole lacks (Notifuse's email) refuses or skips the record.
public enum ImportReview {
    public struct Outcome: Sendable {
        /// Normalised as the validator writes values (phones in E.164, flags true/false).
        public var contact: Contact
        public var warnings: [ImportProblem]
        /// Values left out under `skipInvalid`, each with its line.
        public var leftOut: [ImportProblem]
    }

    public static func check(_ incoming: IncomingContact, as contact: Contact, rules: ProviderRules, definitions: [FieldDefinition],
                             options: ImportOptions) throws(ImportProblem) -> Outcome {
        var contact = contact
        var warnings: [ImportProblem] = []
        var leftOut: [ImportProblem] = []
        func problem(_ field: String, _ message: String) -> ImportProblem {
            ImportProblem(line: incoming.line(of: field), message: "\(field): \(message)")
        }
        /// A bad value: the import stops at it, or it is left out and listed.
        func reject(_ key: FieldKey, _ message: String) throws(ImportProblem) {
            let found = problem(key.validationName, message)
            guard options.skipInvalid else { throw found }
            leftOut.append(found)
            switch key {
            case .standard(let field): contact[field] = nil
            case .others(let kind): contact[others: kind] = []
            case .custom(let name): contact.custom[name] = nil
            }
        }

        for (key, message) in retype(&contact.custom, rules: rules, definitions: definitions) {
            try reject(.custom(key), message)
        }
        AddressLines.spread(&contact.fields)

        // A phone without a country code, or with an extension, is kept as written with a
        // warning — or put in international form when the import names the region.
        func regionalised(_ written: String, name: String) -> (value: String, keptAsWritten: Bool)? {
            guard (try? Validator.normalisePhone(written.trimmed)) == nil else { return nil }
            let trimmed = written.trimmed
            if PhoneRegion.nationalDigits(trimmed) != nil {
                if let region = options.defaultRegion, let international = region.international(trimmed) {
                    return (international, false)
                }
                let advice = options.defaultRegion.map { "it is not a number of \($0.code)" }
                    ?? "--default-region US, GB, DE, … would store it in international form"
                warnings.append(problem(name, "“\(trimmed)” has no country code; kept as written (\(advice))"))
                return (trimmed, true)
            } else if let (number, _) = withoutExtension(trimmed),
                      (try? Validator.normalisePhone(number)) != nil || PhoneRegion.nationalDigits(number) != nil {
                warnings.append(problem(name, "“\(trimmed)” has an extension, which international form cannot hold; kept as written"))
                return (trimmed, true)
            }
            return nil
        }
        contact.otherEmails.removeAll { $0.value.trimmed.isEmpty }
        contact.otherPhones.removeAll { $0.value.trimmed.isEmpty }
        // A file's further value where its standard slot is empty fills the slot, as a vCard
        // reader does (only CSV and JSON can say it otherwise, and their values share one line).
        contact = contact.fillingEmptySlots()
        var keptAsWritten: [StandardField: String] = [:]
        for field in [StandardField.phone, .mobilePhone] {
            guard let written = contact[field], let (value, kept) = regionalised(written, name: field.key) else { continue }
            if kept { keptAsWritten[field] = value } else { contact[field] = value }
        }
        // Further phones kept as written stay so in the contact (validation leaves a value it
        // refuses as it was); their issues are known by the value, whatever place it ends in.
        var otherKeptAsWritten = Set<String>()
        for index in contact.otherPhones.indices {
            guard let (value, kept) = regionalised(contact.otherPhones[index].value, name: OtherValueKind.phone.name(at: index)) else { continue }
            contact.otherPhones[index].value = value
            if kept { otherKeptAsWritten.insert(value) }
        }
        func isKeptAsWritten(_ issue: ValidationIssue) -> Bool {
            if keptAsWritten.keys.contains(where: { $0.key == issue.field }) { return true }
            guard let (kind, index) = OtherValueKind.parse(name: issue.field), kind == .phone,
                  contact.otherPhones.indices.contains(index) else { return false }
            return otherKeptAsWritten.contains(contact.otherPhones[index].value)
        }
        /// Further values left out under `skipInvalid`, removed once all are known (indices name them).
        var droppedOthers: [OtherValueKind: Set<Int>] = [:]
        func rejectOther(_ name: String, _ message: String) throws(ImportProblem) -> Bool {
            let base = name.hasSuffix("_label") ? String(name.dropLast("_label".count)) : name
            guard let (kind, index) = OtherValueKind.parse(name: base), contact[others: kind].indices.contains(index) else { return false }
            let found = problem(name, message)
            guard options.skipInvalid else { throw found }
            leftOut.append(found)
            droppedOthers[kind, default: []].insert(index)
            return true
        }

        var (checked, issues) = Validator.check(contact, rules: rules, definitions: definitions, isNew: true)
        issues.removeAll(where: isKeptAsWritten)
        var rejected = false
        for issue in issues where issue.severity == .error {
            if try rejectOther(issue.field, issue.message) {
                rejected = true
                continue
            }
            // Only a value that is there can be left out; a missing one is the record's problem.
            guard let key = FieldKey(validationName: issue.field), contact.has(key) else {
                throw ImportProblem(line: incoming.line(of: issue.field), message: issue.description)
            }
            try reject(key, issue.message)
            rejected = true
        }
        if rejected {
            for (kind, indices) in droppedOthers {
                contact[others: kind] = contact[others: kind].enumerated().filter { !indices.contains($0.offset) }.map(\.element)
            }
            // What is left must still make a contact (a required field may have been the bad one).
            (checked, issues) = Validator.check(contact, rules: rules, definitions: definitions, isNew: true)
            issues.removeAll(where: isKeptAsWritten)
            if let error = issues.first(where: { $0.severity == .error }), let first = leftOut.first {
                // The record goes, and with it the values already listed: one problem for it.
                throw ImportProblem(line: first.line, message: "\(first.message); without it, \(error.message)")
            }
        }
        warnings += issues.filter { $0.severity == .warning }.map { problem($0.field, $0.message) }
        for (field, text) in keptAsWritten { checked[field] = text }
        return Outcome(contact: checked, warnings: warnings.sorted { $0.line < $1.line }, leftOut: leftOut.sorted { $0.line < $1.line })
    }

    /// Gives custom values read from a file the types their account defines: CSV and vCard
    /// carry text, so `2024-01-01` becomes a date where the field is a date. Returns the keys
    /// whose values cannot take their type, with why.
    static func retype(_ values: inout [String: CustomValue], rules: ProviderRules,
                       definitions: [FieldDefinition]) -> [(key: String, message: String)] {
        var problems: [(key: String, message: String)] = []
        for key in values.keys.sorted() {
            let value = values[key]!
            if let definition = definitions.first(where: { $0.key == key }) {
                guard value.type != definition.type else { continue }
                do { values[key] = try definition.parse(value.displayText) } catch { problems.append((key, error.message)) }
            } else if rules.customFields == .anyKeyAsText, value.type != .text {
                values[key] = .text(value.storedText)
            }
        }
        return problems
    }

    /// A number and its extension (`214-555-0100 x12`, `+1 214 555 0100 ext. 12`, `… #12`).
    static func withoutExtension(_ text: String) -> (number: String, extension: String)? {
        let lowered = text.lowercased()
        for marker in ["extension", "ext.", "ext", "x", "#"] {
            guard let range = lowered.range(of: marker, options: .backwards) else { continue }
            let number = String(lowered[..<range.lowerBound]).trimmingCharacters(in: CharacterSet(charactersIn: " ,;"))
            let digits = String(lowered[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: " :."))
            guard !number.isEmpty, (1...6).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
            return (number, digits)
        }
        return nil
    }
}

extension FieldKey {
    /// The name validation gives the value (`mobile_phone`, `custom.plan`).
    var validationName: String {
        switch self {
        case .standard(let field): field.key
        case .others(let kind): kind.listName
        case .custom(let name): "custom." + name
        }
    }

    init?(validationName name: String) {
        if name.hasPrefix("custom.") {
            self = .custom(String(name.dropFirst("custom.".count)))
        } else if let field = StandardField(rawValue: name) {
            self = .standard(field)
        } else {
            return nil
        }
    }
}

extension Contact {
    func has(_ key: FieldKey) -> Bool {
        switch key {
        case .standard(let field): self[field] != nil
        case .others(let kind): !self[others: kind].isEmpty
        case .custom(let name): custom[name] != nil
        }
    }
}

