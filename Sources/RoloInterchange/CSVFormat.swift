import CSV
import Foundation
import RoloCore

/// CSV with a header row: `id`, `uid`, `account`, one column per standard field, and a
/// `custom.<key>` column per custom key. Cells hold the values as text; an empty cell is no
/// value. Field parsing and quoting are the CSV library's; rolo adds line numbers and checks.
enum CSVFormat {
    static let leadingColumns = ["id", "uid", "account"]

    static func header(customKeys: [String]) -> [String] {
        leadingColumns + StandardField.allCases.map(\.key) + customKeys.map { "custom." + $0 }
    }

    static func cells(for contact: Contact, accountName: String, customKeys: [String]) -> [String] {
        [contact.id?.shortID ?? "", contact.uid, accountName]
            + StandardField.allCases.map { contact[$0] ?? "" }
            + customKeys.map { contact.custom[$0]?.storedText ?? "" }
    }

    /// What a header column means.
    enum Column: Equatable {
        case ignored
        case uid
        case account
        case standard(StandardField)
        case custom(String)
    }

    static func column(for name: String) -> (Column, isUnknown: Bool) {
        let trimmed = name.trimmed
        if trimmed.lowercased().hasPrefix("custom."), trimmed.count > 7 { return (.custom(String(trimmed.dropFirst(7))), false) }
        let normal = trimmed.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        switch normal {
        case "id", "": return (.ignored, false)
        case "uid": return (.uid, false)
        case "account": return (.account, false)
        default:
            if let field = StandardField(named: normal) { return (.standard(field), false) }
            return (.custom(trimmed), true)
        }
    }

    static func read(_ text: String, skipInvalid: Bool) throws(ImportProblem) -> ReadResult {
        let records = try RecordScanner.scan(text)
        var result = ReadResult()
        guard let headerRecord = records.first else { return result }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            throw ImportProblem(line: 1, message: "the CSV cannot be read (\(error))")
        }
        guard let header = reader.next() else { return result }
        var columns: [Column] = []
        for name in header {
            let (column, isUnknown) = column(for: name)
            if isUnknown {
                result.warnings.append(ImportProblem(line: headerRecord.line,
                                                     message: "column “\(name)” is not a field of rolo; it is read as the custom key \(name)"))
            }
            columns.append(column)
        }
        if !columns.contains(where: { if case .standard = $0 { true } else if case .custom = $0 { true } else { false } }) {
            throw ImportProblem(line: headerRecord.line, message: "the header names no field (expected columns like first_name, email)")
        }
        for record in records.dropFirst() {
            guard let row = reader.next() else { break }
            if record.isBlank { continue }
            do throws(ImportProblem) {
                guard row.count == header.count else {
                    throw ImportProblem(line: record.line, message: "has \(row.count) cells; the header has \(header.count)")
                }
                var contact = Contact(accountID: 0)
                var accountName: String?
                for (column, cell) in zip(columns, row) where !cell.isEmpty {
                    switch column {
                    case .ignored: break
                    case .uid: contact.uid = cell.trimmed.lowercased()
                    case .account: accountName = cell.trimmed
                    case .standard(let field): contact[field] = cell
                    case .custom(let key): contact.custom[key] = CustomValue.inferred(from: cell)
                    }
                }
                result.contacts.append(IncomingContact(contact: contact, accountName: accountName, line: record.line))
            } catch {
                if !skipInvalid { throw error }
                result.skipped.append(error)
            }
        }
        return result
    }

    /// Finds where each record starts and catches what the CSV library would silently accept:
    /// a quote that is never closed, or text right after a closing quote.
    enum RecordScanner {
        struct Record {
            let line: Int
            let isBlank: Bool
        }

        static func scan(_ text: String) throws(ImportProblem) -> [Record] {
            var records: [Record] = []
            var line = 1
            var recordLine = 1
            var recordIsBlank = true
            var inQuotes = false
            var quoteLine = 1
            var fieldStart = true
            var afterClosingQuote = false
            var previousWasCR = false
            var scalars = text.unicodeScalars.makeIterator()
            var pending: Unicode.Scalar?
            func next() -> Unicode.Scalar? {
                if let scalar = pending { pending = nil; return scalar }
                return scalars.next()
            }
            while let scalar = next() {
                if inQuotes {
                    if scalar == "\"" {
                        let following = next()
                        if following == "\"" { continue }
                        inQuotes = false
                        afterClosingQuote = true
                        pending = following
                        continue
                    }
                    if scalar == "\n" { line += 1 }
                    continue
                }
                switch scalar {
                case "\r":
                    previousWasCR = true
                    endRecord()
                    line += 1
                    continue
                case "\n":
                    if !previousWasCR {
                        endRecord()
                        line += 1
                    }
                case ",":
                    fieldStart = true
                    afterClosingQuote = false
                    recordIsBlank = false
                case "\"":
                    guard fieldStart else {
                        throw ImportProblem(line: line, message: "a quote inside an unquoted cell (quote the whole cell and double the quote)")
                    }
                    inQuotes = true
                    quoteLine = line
                    fieldStart = false
                    recordIsBlank = false
                default:
                    if afterClosingQuote {
                        throw ImportProblem(line: line, message: "text after a closing quote (a quote inside a cell must be doubled)")
                    }
                    fieldStart = false
                    if scalar != " " && scalar != "\t" { recordIsBlank = false }
                }
                previousWasCR = false
            }
            if inQuotes {
                throw ImportProblem(line: quoteLine, message: "a quote opened here is never closed")
            }
            if !recordIsBlank || !fieldStart { endRecord() }
            return records

            func endRecord() {
                records.append(Record(line: recordLine, isBlank: recordIsBlank))
                recordLine = line + 1
                recordIsBlank = true
                fieldStart = true
                afterClosingQuote = false
            }
        }
    }
}

/// Writes CSV a record at a time, through the CSV library's quoting, with CRLF line ends
/// (RFC 4180).
struct CSVContactWriter: ContactFileWriter {
    let customKeys: [String]
    let sink: (String) throws -> Void

    mutating func begin(accounts: [AccountSpec]) throws {
        try sink(try encode(CSVFormat.header(customKeys: customKeys)))
    }

    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws {
        try sink(try encode(CSVFormat.cells(for: contact, accountName: accountName, customKeys: customKeys)))
    }

    mutating func finish() throws {}

    private func encode(_ cells: [String]) throws -> String {
        let stream = OutputStream.toMemory()
        stream.open()
        let writer = try CSVWriter(stream: stream, newline: .crlf)
        try writer.write(row: cells)
        stream.close()
        let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        return String(decoding: data, as: UTF8.self) + "\r\n"
    }
}
