import Foundation
import RoloCore

/// CSV as Google Contacts and Outlook write it, recognised by the header row, mapped field by
/// field, and written so that those tools import rolo's contacts.
///
/// A column rolo has no field for is kept as a custom value under the column's name in normal
/// form (`Middle Name` → `middle_name`), and the import warns once, listing them. The header
/// rows are the tools' own: Google's current export (`First Name, …, E-mail 1 - Label, …`),
/// Google's older one (`Name, Given Name, …, E-mail 1 - Type, …`) and Outlook's.
public enum SpreadsheetDialect: String, Sendable, CaseIterable {
    case google
    case googleOlder
    case outlook

    /// The tool and header, for messages.
    public var name: String {
        switch self {
        case .google: "Google Contacts CSV"
        case .googleOlder: "Google Contacts CSV (the older header)"
        case .outlook: "Outlook CSV"
        }
    }

    /// The dialect a header row is written in, if it is one of these.
    public static func recognise(_ header: [String]) -> SpreadsheetDialect? {
        let names = Set(header.map { $0.trimmed })
        if names.contains("E-mail 1 - Label") || names.contains("Phone 1 - Label")
            || (names.isSuperset(of: ["First Name", "Last Name", "File As", "Labels"])) {
            return .google
        }
        if names.isSuperset(of: ["Given Name", "Family Name"])
            && (names.contains("E-mail 1 - Type") || names.contains("Group Membership") || names.contains("Phone 1 - Type")) {
            return .googleOlder
        }
        if names.isSuperset(of: ["First Name", "Last Name", "E-mail Address"])
            && !names.isDisjoint(with: ["E-mail Display Name", "Business Phone", "Mobile Phone", "Business Street", "Home Phone"]) {
            return .outlook
        }
        return nil
    }

    /// The header rolo writes: the tool's own columns for what rolo holds.
    static let googleHeader = [
        "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name", "Name Prefix",
        "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title", "Organization Department", "Birthday", "Notes",
        "Photo", "Labels", "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
        "Phone 2 - Value", "Address 1 - Label", "Address 1 - Formatted", "Address 1 - Street", "Address 1 - City", "Address 1 - PO Box",
        "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country", "Address 1 - Extended Address", "Website 1 - Label",
        "Website 1 - Value",
    ]

    /// Outlook's export header, every column in its order (Outlook's import maps them by name).
    static let outlookHeader = [
        "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title", "Business Street",
        "Business Street 2", "Business Street 3", "Business City", "Business State", "Business Postal Code", "Business Country/Region",
        "Home Street", "Home Street 2", "Home Street 3", "Home City", "Home State", "Home Postal Code", "Home Country/Region",
        "Other Street", "Other Street 2", "Other Street 3", "Other City", "Other State", "Other Postal Code", "Other Country/Region",
        "Assistant's Phone", "Business Fax", "Business Phone", "Business Phone 2", "Callback", "Car Phone", "Company Main Phone",
        "Home Fax", "Home Phone", "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax", "Other Phone", "Pager", "Primary Phone",
        "Radio Phone", "TTY/TDD Phone", "Telex", "Account", "Anniversary", "Assistant's Name", "Billing Information", "Birthday",
        "Business Address PO Box", "Categories", "Children", "Directory Server", "E-mail Address", "E-mail Type", "E-mail Display Name",
        "E-mail 2 Address", "E-mail 2 Type", "E-mail 2 Display Name", "E-mail 3 Address", "E-mail 3 Type", "E-mail 3 Display Name",
        "Gender", "Government ID Number", "Hobby", "Home Address PO Box", "Initials", "Internet Free Busy", "Keywords", "Language",
        "Location", "Manager's Name", "Mileage", "Notes", "Office Location", "Organizational ID Number", "Other Address PO Box",
        "Priority", "Private", "Profession", "Referred By", "Sensitivity", "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page",
    ]

    /// The custom key a column rolo has no field for is kept under: lower case, words joined
    /// by `_`, nothing else (`Business Country/Region` → `business_country_region`).
    static func customKey(for column: String) -> String {
        var key = ""
        for character in column.trimmed.lowercased() where character != "'" && character != "’" {
            if character.isLetter || character.isNumber {
                key.append(character)
            } else if !key.isEmpty, !key.hasSuffix("_") {
                key.append("_")
            }
        }
        while key.hasSuffix("_") { key.removeLast() }
        return key.isEmpty ? "column" : key
    }

    /// Values Outlook writes into every row when nothing was entered.
    static func isOutlookDefault(_ column: String, _ cell: String) -> Bool {
        switch column {
        case "Priority", "Sensitivity": cell == "Normal"
        case "Private": cell == "False"
        case "Gender": cell == "Unspecified"
        case "Birthday", "Anniversary": cell == "0/0/00" || cell == "00/00/00"
        default: false
        }
    }

    /// The label rolo gives a phone in each of Outlook's phone columns.
    static let outlookPhoneLabels: [(column: String, label: String)] = [
        ("Business Phone", "work"), ("Business Phone 2", "work"), ("Home Phone", "home"), ("Home Phone 2", "home"),
        ("Mobile Phone", "mobile"), ("Primary Phone", "main"), ("Company Main Phone", "main"), ("Other Phone", "other"),
        ("Business Fax", "work fax"), ("Home Fax", "home fax"), ("Other Fax", "other fax"), ("Pager", "pager"),
        ("Assistant's Phone", "assistant"), ("Car Phone", "car"), ("Callback", "callback"), ("Radio Phone", "Radio"),
        ("ISDN", "ISDN"), ("TTY/TDD Phone", "TTY/TDD"), ("Telex", "Telex"),
    ]

    /// A row read into standard fields and further emails and phones; `left` keeps what
    /// neither took, for custom values.
    func map(_ row: [(column: String, cell: String)])
        -> (fields: [StandardField: String], others: [OtherValueKind: [LabelledValue]], left: [(column: String, cell: String)]) {
        var cells: [String: String] = [:]
        var order: [String] = []
        for (column, cell) in row {
            let name = column.trimmed
            guard !cell.trimmed.isEmpty, !(self == .outlook && SpreadsheetDialect.isOutlookDefault(name, cell.trimmed)) else { continue }
            if cells[name] == nil { order.append(name) }
            cells[name] = cell
        }
        var fields: [StandardField: String] = [:]
        var others: [OtherValueKind: [LabelledValue]] = [:]
        /// Takes a column's cell into a field.
        func take(_ column: String, _ field: StandardField) {
            guard fields[field] == nil, let cell = cells[column] else { return }
            fields[field] = cell
            cells[column] = nil
        }
        switch self {
        case .google, .googleOlder:
            let older = self == .googleOlder
            if older { take("Name", .fullName) } else { take("File As", .fullName) }
            take(older ? "Given Name" : "First Name", .firstName)
            take(older ? "Family Name" : "Last Name", .lastName)
            take("Name Prefix", .salutation)
            take(older ? "Organization 1 - Name" : "Organization Name", .company)
            take(older ? "Organization 1 - Title" : "Organization Title", .jobTitle)
            take("Notes", .notes)
            let label = older ? "Type" : "Label"
            var emails: [LabelledValue]? = [], phones: [LabelledValue]? = []
            takeGoogleValues(&cells, kind: "E-mail", label: label, into: &fields, others: &emails) { _ in .email }
            takeGoogleValues(&cells, kind: "Phone", label: label, into: &fields, others: &phones) { label in
                let word = label.lowercased()
                if word.contains("fax") || word.contains("pager") { return nil }
                return word.contains("mobile") || word.contains("cell") ? .mobilePhone : .phone
            }
            others = [.email: emails ?? [], .phone: phones ?? []]
            var websites: [LabelledValue]?    // further websites stay custom values
            takeGoogleValues(&cells, kind: "Website", label: label, into: &fields, others: &websites) { _ in .website }
            let street = cells["Address 1 - Street"], extended = cells["Address 1 - Extended Address"], box = cells["Address 1 - PO Box"]
            let parts = ["Address 1 - Street", "Address 1 - City", "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country",
                         "Address 1 - Extended Address", "Address 1 - PO Box"]
            if parts.contains(where: { cells[$0] != nil }) {
                // A street of several lines fills both address lines; else the extended address
                // (or the post office box) is line 2.
                let lines = (street ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
                fields[.addressLine1] = lines.first
                cells["Address 1 - Street"] = nil
                if lines.count > 1 {
                    fields[.addressLine2] = lines.dropFirst().joined(separator: ", ")
                } else if let extended {
                    fields[.addressLine2] = extended
                    cells["Address 1 - Extended Address"] = nil
                } else if let box {
                    fields[.addressLine2] = box
                    cells["Address 1 - PO Box"] = nil
                }
                take("Address 1 - City", .city)
                take("Address 1 - Region", .region)
                take("Address 1 - Postal Code", .postcode)
                take("Address 1 - Country", .country)
                // Google writes the formatted address from these parts; it says nothing more.
                cells["Address 1 - Formatted"] = nil
                cells["Address 1 - " + label] = nil
            } else {
                take("Address 1 - Formatted", .addressLine1)
                if fields[.addressLine1] != nil { cells["Address 1 - " + label] = nil }
            }
        case .outlook:
            take("Title", .salutation)
            take("First Name", .firstName)
            take("Last Name", .lastName)
            take("Company", .company)
            take("Job Title", .jobTitle)
            take("Notes", .notes)
            take("Web Page", .website)
            take("E-mail Address", .email)
            if fields[.email] != nil { cells["E-mail Type"] = nil; cells["E-mail Display Name"] = nil }
            // E-mail 2 Address, E-mail 3 Address (and more, as rolo writes them): further emails.
            for number in 2...20 {
                guard let address = cells["E-mail \(number) Address"] else { continue }
                others[.email, default: []].append(LabelledValue(value: address.trimmed))
                for part in [" Address", " Type", " Display Name"] { cells["E-mail \(number)" + part] = nil }
            }
            take("Mobile Phone", .mobilePhone)
            for column in ["Business Phone", "Primary Phone", "Company Main Phone", "Home Phone", "Other Phone"] { take(column, .phone) }
            // Every other phone column is a further phone, labelled by its column; then the
            // numbered ones rolo writes when the usual columns are full (`Other Phone 2`).
            let numbered = (2...20).map { ("Other Phone \($0)", "other") }
            for (column, label) in SpreadsheetDialect.outlookPhoneLabels + numbered {
                guard let cell = cells[column] else { continue }
                others[.phone, default: []].append(LabelledValue(label: label, value: cell.trimmed))
                cells[column] = nil
            }
            // The first address Outlook holds: business, else home, else other. Outlook.com
            // writes `Business Country` where the desktop Outlook writes `Business Country/Region`.
            for place in ["Business", "Home", "Other"] {
                let columns = [" Street", " Street 2", " Street 3", " City", " State", " Postal Code", " Country/Region", " Country"]
                    .map { place + $0 }
                guard columns.contains(where: { cells[$0] != nil }) else { continue }
                take(place + " Street", .addressLine1)
                let more = [cells[place + " Street 2"], cells[place + " Street 3"]].compactMap { $0 }
                if !more.isEmpty {
                    fields[.addressLine2] = more.joined(separator: ", ")
                    cells[place + " Street 2"] = nil
                    cells[place + " Street 3"] = nil
                }
                take(place + " City", .city)
                take(place + " State", .region)
                take(place + " Postal Code", .postcode)
                take(place + " Country/Region", .country)
                take(place + " Country", .country)
                break
            }
        }
        var left = order.compactMap { column in cells[column].map { (column: column, cell: $0) } }
        if self != .outlook {
            // Google's own custom fields: a label and a value per pair, kept under the label.
            for number in 1...50 {
                let label = "Custom Field \(number) - " + (self == .googleOlder ? "Type" : "Label"), value = "Custom Field \(number) - Value"
                guard let name = cells[label]?.trimmed, !name.isEmpty, let cell = cells[value] else { continue }
                left.removeAll { $0.column == label || $0.column == value }
                left.append((name, cell))
            }
        }
        return (fields.filter { !$0.value.trimmed.isEmpty }, others, left)
    }

    /// Google's numbered values (`E-mail 1 - Value` with `E-mail 1 - Label`): a cell may hold
    /// several, joined by ` ::: `. The first that a field takes goes there; the rest become
    /// further values with their labels where `others` takes them, else stay as cells.
    private func takeGoogleValues(_ cells: inout [String: String], kind: String, label: String, into fields: inout [StandardField: String],
                                  others: inout [LabelledValue]?, field: (String) -> StandardField?) {
        for number in 1...20 {
            let valueColumn = "\(kind) \(number) - Value", labelColumn = "\(kind) \(number) - \(label)"
            guard let cell = cells[valueColumn] else { continue }
            var values = cell.components(separatedBy: " ::: ")
            var labels = (cells[labelColumn] ?? "").components(separatedBy: " ::: ")
            var index = 0
            while index < values.count {
                let word = (labels[safe: index] ?? "").replacingOccurrences(of: "*", with: "").trimmed
                if let target = field(word), fields[target] == nil, !values[index].trimmed.isEmpty {
                    fields[target] = values[index].trimmed
                    values.remove(at: index)
                    if index < labels.count { labels.remove(at: index) }
                } else {
                    index += 1
                }
            }
            if others != nil {
                for (index, value) in values.enumerated() where !value.trimmed.isEmpty {
                    let word = (labels[safe: index] ?? "").replacingOccurrences(of: "*", with: "").trimmed
                    others!.append(LabelledValue(label: ValueLabel.normalised(word), value: value.trimmed))
                }
                cells[valueColumn] = nil
                cells[labelColumn] = nil
                continue
            }
            cells[valueColumn] = values.isEmpty ? nil : values.joined(separator: " ::: ")
            let rest = labels.filter { !$0.replacingOccurrences(of: "*", with: "").trimmed.isEmpty }
            cells[labelColumn] = values.isEmpty || rest.isEmpty ? nil : labels.joined(separator: " ::: ")
        }
    }

    // MARK: Writing

    /// The header row rolo writes: the tool's own columns, the numbered ones further emails and
    /// phones need, then a column per custom key.
    func header(customKeys: [String], others: OtherValueCounts = .none) -> [String] {
        switch self {
        case .google, .googleOlder:
            let emails = others.emails > 0 ? (2...(1 + others.emails)).flatMap { ["E-mail \($0) - Label", "E-mail \($0) - Value"] } : []
            let phones = others.phones > 0 ? (3...(2 + others.phones)).flatMap { ["Phone \($0) - Label", "Phone \($0) - Value"] } : []
            return SpreadsheetDialect.googleHeader + emails + phones
                + customKeys.indices.flatMap { ["Custom Field \($0 + 1) - Label", "Custom Field \($0 + 1) - Value"] }
        case .outlook:
            // Outlook has three emails and a column per kind of phone; more than those hold go
            // in numbered columns after its own (Outlook leaves them out; rolo reads them back).
            let emails = others.emails > 2 ? (4...(1 + others.emails)).map { "E-mail \($0) Address" } : []
            let phones = others.phones > 0 ? (2...(1 + others.phones)).map { "Other Phone \($0)" } : []
            return SpreadsheetDialect.outlookHeader + emails + phones + customKeys
        }
    }

    /// Google's spelling of a label: its own words capitalised as it writes them (`Mobile`,
    /// `Work Fax`), an address book's own label as it is.
    static func googleLabel(_ label: String) -> String {
        ValueLabel.isKnown(label) ? label.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
            : label
    }

    /// Outlook's column for each further phone: the first free column of its label, else a
    /// numbered `Other Phone N`.
    static func outlookPhoneColumns(_ contact: Contact) -> [(column: String, value: String)] {
        var used: Set<String> = []
        if contact[.phone] != nil { used.insert("Business Phone") }
        if contact[.mobilePhone] != nil { used.insert("Mobile Phone") }
        var placed: [(column: String, value: String)] = []
        var overflow = 2
        for other in contact.otherPhones {
            if let column = outlookPhoneLabels.first(where: { $0.label == other.label && !used.contains($0.column) })?.column {
                used.insert(column)
                placed.append((column, other.value))
            } else {
                placed.append(("Other Phone \(overflow)", other.value))
                overflow += 1
            }
        }
        return placed
    }

    func cells(for contact: Contact, customKeys: [String], others: OtherValueCounts = .none) -> [String] {
        var row: [String: String] = [:]
        switch self {
        case .google, .googleOlder:
            row["First Name"] = contact[.firstName]
            row["Last Name"] = contact[.lastName]
            row["Name Prefix"] = contact[.salutation]
            // Google has no full name: File As is the name it files and shows the contact under.
            row["File As"] = contact[.fullName]
            row["Organization Name"] = contact[.company]
            row["Organization Title"] = contact[.jobTitle]
            row["Notes"] = contact[.notes]
            if let email = contact[.email] { row["E-mail 1 - Label"] = "Other"; row["E-mail 1 - Value"] = email }
            if let mobile = contact[.mobilePhone] { row["Phone 1 - Label"] = "Mobile"; row["Phone 1 - Value"] = mobile }
            if let phone = contact[.phone] { row["Phone 2 - Label"] = "Work"; row["Phone 2 - Value"] = phone }
            for (index, other) in contact.otherEmails.enumerated() {
                row["E-mail \(index + 2) - Label"] = SpreadsheetDialect.googleLabel(other.label)
                row["E-mail \(index + 2) - Value"] = other.value
            }
            for (index, other) in contact.otherPhones.enumerated() {
                row["Phone \(index + 3) - Label"] = SpreadsheetDialect.googleLabel(other.label)
                row["Phone \(index + 3) - Value"] = other.value
            }
            let street = [contact[.addressLine1], contact[.addressLine2]].compactMap { $0 }
            if !street.isEmpty || contact[.city] != nil || contact[.region] != nil || contact[.postcode] != nil || contact[.country] != nil {
                row["Address 1 - Label"] = "Work"
                row["Address 1 - Street"] = contact[.addressLine1]
                row["Address 1 - Extended Address"] = contact[.addressLine2]
                row["Address 1 - City"] = contact[.city]
                row["Address 1 - Region"] = contact[.region]
                row["Address 1 - Postal Code"] = contact[.postcode]
                row["Address 1 - Country"] = contact[.country]
            }
            if let website = contact[.website] { row["Website 1 - Label"] = "Work"; row["Website 1 - Value"] = website }
            for (index, key) in customKeys.enumerated() {
                guard let value = contact.custom[key] else { continue }
                row["Custom Field \(index + 1) - Label"] = key
                row["Custom Field \(index + 1) - Value"] = value.storedText
            }
        case .outlook:
            row["Title"] = contact[.salutation]
            row["First Name"] = contact[.firstName] ?? (contact[.lastName] == nil ? contact[.fullName] : nil)
            row["Last Name"] = contact[.lastName]
            row["Company"] = contact[.company]
            row["Job Title"] = contact[.jobTitle]
            row["Business Street"] = contact[.addressLine1]
            row["Business Street 2"] = contact[.addressLine2]
            row["Business City"] = contact[.city]
            row["Business State"] = contact[.region]
            row["Business Postal Code"] = contact[.postcode]
            row["Business Country/Region"] = contact[.country]
            row["Business Phone"] = contact[.phone]
            row["Mobile Phone"] = contact[.mobilePhone]
            if let email = contact[.email] {
                row["E-mail Address"] = email
                row["E-mail Type"] = "SMTP"
                let shown = contact.displayName == email ? email : "\(contact.displayName) (\(email))"
                row["E-mail Display Name"] = shown
            }
            for (index, other) in contact.otherEmails.enumerated() {
                row["E-mail \(index + 2) Address"] = other.value
                if index < 2 { row["E-mail \(index + 2) Type"] = "SMTP" }
            }
            for (column, value) in SpreadsheetDialect.outlookPhoneColumns(contact) { row[column] = value }
            row["Notes"] = contact[.notes]
            row["Web Page"] = contact[.website]
            for key in customKeys { row[key] = contact.custom[key]?.storedText }
        }
        return header(customKeys: customKeys, others: others).map { row[$0] ?? "" }
    }
}

/// Writes Google Contacts or Outlook CSV a record at a time. Outlook's is written as Outlook
/// writes it: every cell quoted, and a UTF-8 byte order mark so that it reads the file as UTF-8.
struct SpreadsheetContactWriter: ContactFileWriter {
    let dialect: SpreadsheetDialect
    let customKeys: [String]
    var others: OtherValueCounts = .none
    let sink: (String) throws -> Void

    mutating func begin(accounts: [AccountSpec]) throws {
        let header = record(dialect.header(customKeys: customKeys, others: others))
        try sink(dialect == .outlook ? "\u{FEFF}" + header : header)
    }

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        try sink(record(dialect.cells(for: contact, customKeys: customKeys, others: others)))
    }

    mutating func finish() throws {}

    func record(_ cells: [String]) -> String {
        guard dialect == .outlook else { return CSVContactWriter.record(cells) }
        return cells.map { CSVContactWriter.quoted($0) }.joined(separator: ",") + "\r\n"
    }
}
