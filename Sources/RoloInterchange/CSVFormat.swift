import CSV
import Foundation
import RoloCore

/// CSV with a header row: `id`, `uid`, `account`, one column per standard field, and a
/// `custom.<key>` column per custom key. Cells hold the values as text; an empty cell is no
/// value. Splitting cells and quoting are the CSV library's; rolo adds line numbers, catches
/// the malformed input the library would read silently, and reads a file cut at `;` or tabs
/// as well as at commas (see `delimiter(of:)`).
enum CSVFormat {
    static let leadingColumns = ["id", "uid", "account"]

    /// The header: the standard fields, then a value and a label column for each further
    /// email and phone any contact of the export has (`email_2`, `email_2_label`, …), then the
    /// custom keys.
    static func header(customKeys: [String], others: OtherValueCounts = .none) -> [String] {
        var names = leadingColumns + StandardField.allCases.map(\.key)
        for kind in OtherValueKind.allCases {
            for index in 0..<others[kind] { names += [kind.name(at: index), kind.name(at: index) + "_label"] }
        }
        return names + customKeys.map { "custom." + $0 }
    }

    static func cells(for contact: Contact, accountName: String, customKeys: [String], others: OtherValueCounts = .none) -> [String] {
        var cells = [contact.id?.shortID ?? "", contact.uid, accountName] + StandardField.allCases.map { contact[$0] ?? "" }
        for kind in OtherValueKind.allCases {
            let values = contact[others: kind]
            for index in 0..<others[kind] {
                cells += index < values.count ? [values[index].value, values[index].label] : ["", ""]
            }
        }
        return cells + customKeys.map { contact.custom[$0]?.storedText ?? "" }
    }

    /// What a header column means.
    enum Column: Hashable {
        case ignored
        case uid
        case account
        case standard(StandardField)
        /// A further email or phone (`email_2`), or its label (`email_2_label`).
        case other(OtherValueKind, index: Int, isLabel: Bool)
        case custom(String)
    }

    /// Reads a header name: case is ignored, spaces and `-` count as `_`, aliases are known
    /// (`Zip`, `Mobile Phone`), and so are the names other tools' exports give rolo's fields
    /// (`Email Address`, `Company Name`: see `otherToolsNames`). `custom.<key>` names a custom
    /// key as it is; any other name becomes a custom key in that normal form
    /// (`Favourite Colour` → `favourite_colour`), with a warning.
    static func column(for name: String) -> (column: Column, isUnknown: Bool) {
        let trimmed = name.trimmed
        // On code points: a key may start with a combining mark, which makes one character
        // with the dot before it (`custom.\u{301}x`), and the prefix would not be seen.
        let scalars = trimmed.unicodeScalars
        if scalars.count > 7, String(String.UnicodeScalarView(scalars.prefix(7))).lowercased() == "custom." {
            return (.custom(String(String.UnicodeScalarView(scalars.dropFirst(7)))), false)
        }
        var normal = ""
        for character in trimmed.lowercased() {
            let separator = character.isWhitespace || character == "-" || character == "_"
            if separator { if !normal.hasSuffix("_") { normal.append("_") } } else { normal.append(character) }
        }
        switch normal {
        case "id", "": return (.ignored, false)
        case "uid": return (.uid, false)
        case "account": return (.account, false)
        default:
            if let field = StandardField(named: normal) { return (.standard(field), false) }
            let isLabel = normal.hasSuffix("_label")
            if let (kind, index) = OtherValueKind.parse(name: isLabel ? String(normal.dropLast("_label".count)) : normal) {
                return (.other(kind, index: index, isLabel: isLabel), false)
            }
            if let field = otherToolsNames[squeezed(normal)] {
                return (.standard(field), false)
            }
            return (.custom(normal), true)
        }
    }

    /// A name with only its letters and digits, for `otherToolsNames`: `State/Region` and
    /// `E-mail` read as `stateregion` and `email`.
    static func squeezed(_ name: String) -> String {
        String(String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }))
    }

    /// The names mailing lists and CRMs give rolo's fields in their CSV exports (Mailchimp's
    /// `Email Address`, HubSpot's `Mobile Phone Number` and `State/Region`, LinkedIn's
    /// `Position`), compared on letters and digits alone. Only names that are not rolo's own are
    /// looked up here, so the columns of rolo's export keep their meaning.
    static let otherToolsNames: [String: StandardField] = {
        let names: [StandardField: [String]] = [
            .salutation: ["prefix", "nameprefix"],
            .firstName: ["firstname", "givenname", "forename"],
            .lastName: ["lastname", "surname", "familyname"],
            .fullName: ["name", "fullname", "displayname"],
            .jobTitle: ["jobtitle", "title", "position"],
            .company: ["company", "companyname", "organization", "organisation", "organizationname", "organisationname"],
            .email: ["email", "emailaddress", "primaryemail"],
            .phone: ["phone", "phonenumber", "telephone", "telephonenumber", "primaryphone"],
            .mobilePhone: ["mobile", "mobilephone", "mobilenumber", "mobilephonenumber", "cell", "cellphone", "cellnumber",
                           "cellphonenumber"],
            .addressLine1: ["address", "street", "streetaddress", "address1", "addressline1", "street1", "streetaddress1"],
            .addressLine2: ["address2", "addressline2", "street2", "streetaddress2"],
            .city: ["city", "town"],
            .region: ["state", "province", "region", "stateregion", "stateprovince"],
            .postcode: ["zip", "zipcode", "postcode", "postalcode", "zippostalcode"],
            .country: ["country", "countryregion"],
            .website: ["website", "url", "web", "webpage", "homepage"],
            .notes: ["notes", "note"],
        ]
        var table: [String: StandardField] = [:]
        for (field, spellings) in names { for name in spellings { table[name] = field } }
        return table
    }()

    static func read(_ text: String, skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        let delimiter = delimiter(of: text)
        let records = try RecordScanner.scan(text, delimiter: delimiter)
        var result = ReadResult()
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, delimiter: delimiter)
        } catch {
            throw ImportProblem(line: 1, message: "the CSV cannot be read (\(error))")
        }
        // The scanner and the library cut the text into the same records, blank ones included.
        var remaining = records[...]
        var header: [String]?
        var headerLine = 1
        while let record = remaining.popFirst(), let row = reader.next() {
            if record.isBlank || row.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            header = row
            headerLine = record.line
            if let problem = record.problem { throw ImportProblem(line: record.line, message: problem) }
            break
        }
        guard let header else { return result }
        if let dialect = SpreadsheetDialect.recognise(header) {
            return try readSpreadsheet(dialect, header: header, headerLine: headerLine, records: &remaining, reader: reader,
                                       skipInvalid: skipInvalid)
        }
        var columns: [Column] = []
        var seen: [Column: String] = [:]
        var unknown: [(name: String, key: String)] = []
        var repeated: [(earlier: String, name: String)] = []
        for name in header {
            let (column, isUnknown) = column(for: name)
            if isUnknown, case .custom(let key) = column { unknown.append((name, key)) }
            if column != .ignored, let earlier = seen[column] { repeated.append((earlier, name)) }
            seen[column] = seen[column] ?? name
            columns.append(column)
        }
        // One warning for all of them: a header of thousands of columns is not thousands of lines.
        if unknown.count == 1 {
            result.warnings.append(ImportProblem(
                line: headerLine, message: "column “\(unknown[0].name)” is not a field of rolo; it is read as the custom key \(unknown[0].key)"))
        } else if !unknown.isEmpty {
            result.warnings.append(ImportProblem(line: headerLine, message: "\(unknown.count) columns are not fields of rolo; they are read "
                + "as custom keys: " + listed(unknown.map { "“\($0.name)” → \($0.key)" })))
        }
        if repeated.count == 1 {
            result.warnings.append(ImportProblem(line: headerLine, message: "columns “\(repeated[0].earlier)” and “\(repeated[0].name)” "
                + "are the same field; the last non-empty cell wins"))
        } else if !repeated.isEmpty {
            result.warnings.append(ImportProblem(line: headerLine, message: "\(repeated.count) columns are a field an earlier column "
                + "is too; the last non-empty cell wins: " + listed(repeated.map { "“\($0.name)” (as “\($0.earlier)”)" })))
        }
        guard columns.contains(where: { if case .standard = $0 { true } else if case .custom = $0 { true } else { false } }) else {
            throw ImportProblem(line: headerLine, message: "the header names no field (expected columns like first_name, email)")
                .after(result.warnings)
        }
        while let record = remaining.popFirst(), let row = reader.next() {
            if record.isBlank || row.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            do throws(ImportProblem) {
                if let problem = record.problem { throw ImportProblem(line: record.line, message: problem) }
                guard row.count == header.count else {
                    throw ImportProblem(line: record.line, message: "has \(row.count) \(row.count == 1 ? "cell" : "cells"); the header has \(header.count)")
                }
                var contact = Contact(accountID: 0)
                var accountName: String?
                var others: [OtherValueKind: [Int: LabelledValue]] = [:]
                for (column, cell) in zip(columns, row) where !cell.isEmpty {
                    switch column {
                    case .ignored: break
                    case .uid: if !cell.trimmed.isEmpty { contact.uid = ContactFileReader.normalisedUID(cell) }
                    case .account: accountName = cell.trimmed.isEmpty ? nil : cell.trimmed
                    case .standard(let field): contact[field] = cell
                    case .other(let kind, let index, let isLabel):
                        var other = others[kind]?[index] ?? LabelledValue(value: "")
                        if isLabel { other.label = cell } else { other.value = cell }
                        others[kind, default: [:]][index] = other
                    case .custom(let key): contact.custom[key] = CustomValue.inferred(from: cell)
                    }
                }
                for (kind, byIndex) in others {
                    // In column order; a label without a value says nothing.
                    contact[others: kind] = byIndex.keys.sorted().compactMap { byIndex[$0]!.value.trimmed.isEmpty ? nil : byIndex[$0] }
                }
                result.contacts.append(IncomingContact(contact: contact, accountName: accountName, line: record.line))
            } catch {
                if !skipInvalid { throw error.after(result.warnings) }
                result.skipped.append(error)
            }
        }
        return result
    }

    /// Items for a message, the first `limit` of them and how many more: a header of
    /// thousands of columns makes one line of a message, not one as long as the header.
    static func listed(_ items: [String], limit: Int = 20) -> String {
        guard items.count > limit else { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + " and \(items.count - limit) more"
    }

    /// The delimiter of a file: of `,`, `;` and tab, the one that cuts the header row into the
    /// most cells, quotes respected — Excel writes `;` where a comma is the decimal separator
    /// (much of Europe), and tabs as "Text (Tab delimited)". A tie is a comma.
    static func delimiter(of text: String) -> Unicode.Scalar {
        var best: Unicode.Scalar = ",", most = 0
        for candidate: Unicode.Scalar in [",", ";", "\t"] {
            let cells = headerCells(text, delimiter: candidate)
            if cells > most { (best, most) = (candidate, cells) }
        }
        return best
    }

    /// How many cells the first record with any text has, cut at `delimiter`.
    static func headerCells(_ text: String, delimiter: Unicode.Scalar) -> Int {
        var cells = 1, inQuotes = false, atFieldStart = true, hasText = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    // A doubled quote is a quote in the cell; any other closes it.
                    let following = scalars.next()
                    if following != "\"" { inQuotes = false; pending = following }
                } else if !scalar.properties.isWhitespace {
                    hasText = true
                }
                continue
            }
            switch scalar {
            case "\r", "\n":
                if hasText { return cells }
                cells = 1
                atFieldStart = true
            case delimiter:
                cells += 1
                atFieldStart = true
            case "\"" where atFieldStart:
                inQuotes = true
                atFieldStart = false
            default:
                atFieldStart = false
                if !scalar.properties.isWhitespace { hasText = true }
            }
        }
        return cells
    }

    /// The rows of a Google Contacts or Outlook file, mapped field by field; the columns rolo
    /// has no field for are kept as custom values and named once, in one warning.
    static func readSpreadsheet(_ dialect: SpreadsheetDialect, header: [String], headerLine: Int,
                                records remaining: inout ArraySlice<RecordScanner.Record>, reader: CSVReader,
                                skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        var result = ReadResult()
        var keys = KeptColumnKeys()
        while let record = remaining.popFirst(), let row = reader.next() {
            if record.isBlank || row.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            do throws(ImportProblem) {
                if let problem = record.problem { throw ImportProblem(line: record.line, message: problem) }
                guard row.count == header.count else {
                    throw ImportProblem(line: record.line, message: "has \(row.count) \(row.count == 1 ? "cell" : "cells"); the header has \(header.count)")
                }
                let (fields, others, left) = dialect.map(Array(zip(header, row)))
                var contact = Contact(accountID: 0, fields: fields, otherEmails: others[.email] ?? [], otherPhones: others[.phone] ?? [])
                var seenInRow: [String: Int] = [:]
                for (column, cell) in left {
                    let occurrence = seenInRow[column, default: 0]
                    seenInRow[column] = occurrence + 1
                    contact.custom[keys.key(for: column, occurrence: occurrence)] = CustomValue.inferred(from: cell)
                }
                result.contacts.append(IncomingContact(contact: contact, accountName: nil, line: record.line))
            } catch {
                if !skipInvalid { throw error.after(keptWarning().map { [$0] } ?? []) }
                result.skipped.append(error)
            }
        }
        if let warning = keptWarning() { result.warnings.append(warning) }
        return result

        func keptWarning() -> ImportProblem? {
            let kept = keys.kept
            guard !kept.isEmpty else { return nil }
            let names = listed(kept.map { "\($0.name) → \($0.key)" + ($0.key == $0.wanted ? "" : " (\($0.wanted) is another column's)") })
            return ImportProblem(line: headerLine, message: "\(dialect.name): \(kept.count) column\(kept.count == 1 ? " has" : "s have") "
                + "no field in rolo and \(kept.count == 1 ? "is" : "are") kept as custom values: \(names)")
        }
    }

    /// The custom key each column of a Google or Outlook file that rolo has no field for is
    /// kept under, the same in every row. Two names can make one key (Google's custom fields
    /// `a;b` and `a,b`; `Middle Name` and a custom field `Middle name`): the later one gets
    /// `_2` (`_3`, …) and the warning says so, rather than one value silently replacing the other.
    struct KeptColumnKeys {
        /// In the order they were first met: the name, its key, and the key its name makes.
        private(set) var kept: [(name: String, key: String, wanted: String)] = []
        private var byName: [String: String] = [:]
        private var taken: Set<String> = []

        /// The key of `name`, the `occurrence`th time (from 0) a row holds a column of that name.
        mutating func key(for name: String, occurrence: Int) -> String {
            let identity = occurrence == 0 ? name : name + "\u{0}\(occurrence)"
            if let known = byName[identity] { return known }
            let wanted = SpreadsheetDialect.customKey(for: name)
            var key = wanted
            var number = 2
            while taken.contains(key) {
                key = wanted + "_\(number)"
                number += 1
            }
            byName[identity] = key
            taken.insert(key)
            kept.append((name, key, wanted))
            return key
        }
    }

    /// Finds the physical line where each record starts (a quoted cell may span lines) and
    /// what is wrong with it, cutting records exactly where the CSV library does.
    enum RecordScanner {
        struct Record {
            let line: Int
            /// Nothing but spaces: skipped.
            let isBlank: Bool
            /// Why the record cannot be read; it is left out (or stops the import).
            let problem: String?
        }

        static func scan(_ text: String, delimiter: Unicode.Scalar = ",") throws(ImportProblem) -> [Record] {
            var records: [Record] = []
            var line = 1
            var recordLine = 1
            var isBlank = true
            var problem: String?
            var atFieldStart = true
            var inQuotes = false
            var quoteLine = 1
            var iterator = text.unicodeScalars.makeIterator()
            var pushedBack: Unicode.Scalar?
            func next() -> Unicode.Scalar? {
                if let scalar = pushedBack { pushedBack = nil; return scalar }
                return iterator.next()
            }
            func endRecord() {
                records.append(Record(line: recordLine, isBlank: isBlank, problem: problem))
                recordLine = line
                isBlank = true
                problem = nil
                atFieldStart = true
            }
            while let scalar = next() {
                if inQuotes {
                    switch scalar {
                    case "\"":
                        let following = next()
                        switch following {
                        case "\""?:
                            continue                      // a doubled quote inside the cell
                        case nil, "\r"?, "\n"?:
                            inQuotes = false
                            pushedBack = following
                        case delimiter?:
                            inQuotes = false
                            atFieldStart = true
                        default:
                            // The library keeps reading the cell as quoted and drops this
                            // character; the record is reported and cut where it cuts it.
                            problem = problem ?? "text after a closing quote (a quote inside a cell must be doubled)"
                        }
                    case "\n":
                        line += 1
                    case "\r":
                        // A lone CR inside a cell is text to the library; CR LF counts once.
                        if let following = next() {
                            if following != "\n" { pushedBack = following }
                        }
                        line += 1
                    default:
                        break
                    }
                    continue
                }
                switch scalar {
                case "\r", "\n":
                    if scalar == "\r", let following = next(), following != "\n" { pushedBack = following }
                    line += 1
                    endRecord()
                case delimiter:
                    atFieldStart = true
                    isBlank = false
                case "\"" where atFieldStart:
                    inQuotes = true
                    quoteLine = line
                    atFieldStart = false
                    isBlank = false
                default:
                    // A quote further into an unquoted cell is text, as the library reads it.
                    atFieldStart = false
                    if scalar != " " && scalar != "\t" { isBlank = false }
                }
            }
            if inQuotes {
                // Text after a closing quote leaves the library reading a quoted cell to the end.
                if let problem { throw ImportProblem(line: recordLine, message: problem) }
                throw ImportProblem(line: quoteLine, message: "a quote opened here is never closed")
            }
            if !isBlank || !atFieldStart { endRecord() }
            return records
        }
    }
}

/// Writes CSV a record at a time, with CRLF line ends (RFC 4180). Each record goes to the
/// sink as soon as it is complete.
///
/// Cells that need quoting (a quote, a comma or a line break in them) are quoted as RFC 4180
/// says (`quoted`); the others are written as they are, which is what the CSV library would
/// write too. Sending every cell through the library costs about 0.25 ms a row (it searches
/// each cell five times through NSString and writes a byte at a time), minutes for a large
/// export.
struct CSVContactWriter: ContactFileWriter {
    let customKeys: [String]
    let others: OtherValueCounts
    let sink: (String) throws -> Void

    init(customKeys: [String], others: OtherValueCounts = .none, sink: @escaping (String) throws -> Void) {
        self.customKeys = customKeys
        self.others = others
        self.sink = sink
    }

    mutating func begin(accounts: [AccountSpec]) throws {
        try sink(Self.record(CSVFormat.header(customKeys: customKeys, others: others)))
    }

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        try sink(Self.record(CSVFormat.cells(for: contact, accountName: accountName, customKeys: customKeys, others: others)))
    }

    mutating func finish() throws {}

    /// One record's text, ending in CRLF.
    static func record(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += "," }
            line += needsQuoting(cell) ? quoted(cell) : cell
        }
        return line + "\r\n"
    }

    /// The library quotes a cell that holds a double quote, the delimiter, CR or LF.
    static func needsQuoting(_ cell: String) -> Bool {
        cell.utf8.contains { $0 == 0x22 || $0 == 0x2C || $0 == 0x0D || $0 == 0x0A }
    }

    /// A cell in double quotes, each double quote in it doubled (RFC 4180), worked out on code
    /// points. Not the library's writer: it doubles quotes with `replacingOccurrences`, which
    /// compares characters, so a quote followed by a combining mark (`"\u{301}`, one
    /// character) stayed single and the row could not be read back.
    static func quoted(_ cell: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in cell.unicodeScalars {
            if scalar == "\"" { out.append("\"") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }
}
