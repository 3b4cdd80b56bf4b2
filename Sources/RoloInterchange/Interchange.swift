import Foundation
import RoloCore

/// The file formats rolo reads and writes.
public enum InterchangeFormat: String, CaseIterable, Sendable {
    case json, csv, vcard
    /// CSV as Google Contacts and Outlook write and import it. On import any CSV is read the
    /// same way: their files are recognised by their header rows.
    case googleCSV = "google-csv"
    case outlookCSV = "outlook-csv"

    /// rolo's own formats, which hold everything a contact has.
    public static let rolo: [InterchangeFormat] = [.json, .csv, .vcard]

    /// Why a file in this format is not read in `charset` (`--charset`); nil when it can be.
    public func refusal(of charset: Charset) -> String? {
        guard self == .json, charset != .utf8 else { return nil }
        return "rolo JSON is UTF-8, as JSON is (RFC 8259); --charset \(charset.name) does not apply to it"
    }

    /// The format a file name says: `.json`, `.csv`, `.vcf` or `.vcard`.
    public init?(fileName: String) {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "json": self = .json
        case "csv": self = .csv
        case "vcf", "vcard": self = .vcard
        default: return nil
        }
    }
}

/// vCard 3.0 (RFC 2426) or 4.0 (RFC 6350).
public enum VCardVersion: String, Sendable, CaseIterable {
    case v3 = "3.0"
    case v4 = "4.0"
}

/// An account described in a rolo JSON document, so that an import into a fresh cache can
/// recreate it with its custom fields.
public struct AccountSpec: Sendable {
    public var name: String
    public var provider: ProviderKind
    public var settings: [String: String]
    public var definitions: [FieldDefinition]
    /// When the account last finished a sync, if the file says.
    public var lastSyncAt: Timestamp?
    /// Where the file describes it (0 when it did not come from a file), for messages.
    public var line: Int

    public init(name: String, provider: ProviderKind, settings: [String: String] = [:], definitions: [FieldDefinition] = [],
                lastSyncAt: Timestamp? = nil, line: Int = 0) {
        self.line = line
        self.name = name
        self.provider = provider
        self.settings = settings
        self.definitions = definitions
        self.lastSyncAt = lastSyncAt
    }
}

extension AccountSpec: Hashable {
    /// Where the file said it is not part of what the account is.
    public static func == (lhs: AccountSpec, rhs: AccountSpec) -> Bool {
        lhs.name == rhs.name && lhs.provider == rhs.provider && lhs.settings == rhs.settings
            && lhs.definitions == rhs.definitions && lhs.lastSyncAt == rhs.lastSyncAt
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// A contact read from a file, before it is checked against an account.
public struct IncomingContact: Sendable {
    /// Account 0 and no row id until it is stored; the uid comes from the file or is new.
    public var contact: Contact
    /// The account a JSON record names.
    public var accountName: String?
    /// The line where the record starts (1-based).
    public var line: Int
    /// The contact's id at its provider, when the file says it is already there (rolo JSON).
    public var remote: RemoteReference?
    /// Where each value was read, when it was not on the record's first line (a vCard's
    /// properties), so that a problem with one value names that value's line.
    public var fieldLines: [FieldKey: Int]
    /// The same for further emails and phones, by the name validation gives them (`email_2`).
    public var otherLines: [String: Int]

    public init(contact: Contact, accountName: String?, line: Int, remote: RemoteReference? = nil, fieldLines: [FieldKey: Int] = [:],
                otherLines: [String: Int] = [:]) {
        self.contact = contact
        self.accountName = accountName
        self.line = line
        self.remote = remote
        self.fieldLines = fieldLines
        self.otherLines = otherLines
    }

    /// The line of a value, named as validation names it (`mobile_phone`, `custom.plan`); the
    /// record's line for anything else (`email/mobile_phone` when neither is there).
    public func line(of fieldName: String) -> Int {
        let key: FieldKey
        if fieldName.hasPrefix("custom.") {
            key = .custom(String(fieldName.dropFirst("custom.".count)))
        } else if let field = StandardField(rawValue: fieldName) {
            key = .standard(field)
        } else {
            let name = fieldName.hasSuffix("_label") ? String(fieldName.dropLast("_label".count)) : fieldName
            return otherLines[name] ?? line
        }
        return fieldLines[key] ?? line
    }
}

/// A street as address books write it — one cell or property with line breaks (Outlook's
/// `Business Street`, Google's formatted address, a vCard 2.1 street in quoted-printable with
/// CR LF) — spread over rolo's two address lines, which hold no line breaks: the first line
/// stays line 1, the others come before line 2, joined with commas. Nothing is dropped.
enum AddressLines {
    static func spread(_ fields: inout [StandardField: String]) {
        let line1 = fields[.addressLine1] ?? "", line2 = fields[.addressLine2] ?? ""
        guard line1.contains(where: \.isNewline) || line2.contains(where: \.isNewline) else { return }
        func lines(_ text: String) -> [String] {
            text.split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
        }
        let first = lines(line1)
        let rest = first.dropFirst() + lines(line2)
        fields[.addressLine1] = first.first
        fields[.addressLine2] = rest.isEmpty ? nil : rest.joined(separator: ", ")
    }
}

/// Something wrong in a file, always with its line.
public struct ImportProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let message: String
    /// What the reader had noticed about the file before this problem stopped it (a column it
    /// did not recognise): a failed import still says it, or the user fixes the line and only
    /// then learns that a column was never read as they meant.
    public var warnings: [ImportProblem] = []

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// The same problem, with the warnings noticed before it.
    func after(_ warnings: [ImportProblem]) -> ImportProblem {
        var copy = self
        copy.warnings = warnings
        return copy
    }

    public var description: String { "line \(line): \(message)" }
}

/// Everything a file held.
public struct ReadResult: Sendable {
    public var accounts: [AccountSpec] = []
    public var contacts: [IncomingContact] = []
    /// Records left out because `skipInvalid` was on.
    public var skipped: [ImportProblem] = []
    /// Things worth knowing that did not stop the record (an unknown column, say).
    public var warnings: [ImportProblem] = []

    public init() {}
}

public enum ContactFileReader {
    /// Reads a whole file. A malformed record throws its problem and nothing is returned,
    /// unless `skipInvalid` is on: then bad records are left out and listed in `skipped`.
    ///
    /// CSV and vCard are UTF-8, or UTF-16 where a byte-order mark says so (see `ByteOrderMark`),
    /// or in `charset` when the import names one (`--charset`): a CSV file whole, a vCard's
    /// lines that declare no `CHARSET`. rolo JSON is UTF-8 only.
    public static func read(_ data: Data, format: InterchangeFormat, skipInvalid: Bool,
                            charset: Charset? = nil) throws(ImportProblem) -> ReadResult {
        if format == .json {
            if let charset, let refusal = format.refusal(of: charset) { throw ImportProblem(line: 1, message: refusal) }
            return try RoloJSON.read(DataSource(data), skipInvalid: skipInvalid)
        }
        let mark = try ByteOrderMark(startOf: data)
        // The mark and the user disagree: neither is taken over the other.
        if let mark, let charset, mark != .utf8 || charset != .utf8 {
            throw ImportProblem(line: 1, message: "the file starts with a \(mark.name) byte-order mark, so it is not in "
                + "\(charset.name) as --charset says; import it without --charset")
        }
        let bytes = data.dropFirst(mark?.length ?? 0)
        if let mark, mark != .utf8 {
            let text = try FileText.decodeUTF16(bytes, mark: mark)
            if format == .vcard { return try VCardFormat.read(Array(text.utf8), skipInvalid: skipInvalid, lines: .decoded) }
            return try CSVFormat.read(text, skipInvalid: skipInvalid)
        }
        if format == .vcard {
            // Decoded a line at a time, after unfolding (see VCardFormat.unfold).
            return try VCardFormat.read(Array(bytes), skipInvalid: skipInvalid, lines: .bytes(undeclared: charset ?? .utf8))
        }
        return try CSVFormat.read(FileText.decode(bytes, in: charset ?? .utf8), skipInvalid: skipInvalid)
    }

    /// A uid as rolo keeps it: trimmed, and lowercased when it is a UUID (other ids keep their case).
    static func normalisedUID(_ text: String) -> String {
        let trimmed = text.trimmed
        return UUID(uuidString: trimmed) != nil ? trimmed.lowercased() : trimmed
    }
}

/// Streams contacts out, a record at a time, so that a million contacts are never all held.
public protocol ContactFileWriter {
    mutating func begin(accounts: [AccountSpec]) throws
    /// `remote` is the contact's provider id, kept by formats that can hold it (rolo JSON).
    mutating func write(_ contact: Contact, accountName: String, remote: RemoteReference?) throws
    mutating func finish() throws
}

extension ContactFileWriter {
    /// Writes a contact that has no provider id.
    public mutating func write(_ contact: Contact, accountName: String) throws {
        try write(contact, accountName: accountName, remote: nil)
    }
}

/// The most further emails and phones any contact of an export holds: the CSV formats need
/// that many columns in their header, before the first contact is written.
public struct OtherValueCounts: Sendable, Hashable {
    public var emails: Int
    public var phones: Int

    public init(emails: Int, phones: Int) {
        self.emails = emails
        self.phones = phones
    }

    public static let none = OtherValueCounts(emails: 0, phones: 0)

    public subscript(kind: OtherValueKind) -> Int { kind == .email ? emails : phones }
}

public enum ContactFileWriters {
    /// A writer for `format`. `customKeys` lists every custom key that will appear and `others`
    /// how many further emails and phones (CSV needs its header first); `sink` receives the text
    /// in order.
    public static func make(_ format: InterchangeFormat, version: VCardVersion = .v4, customKeys: [String],
                            others: OtherValueCounts = .none, sink: @escaping (String) throws -> Void) -> any ContactFileWriter {
        switch format {
        case .json: RoloJSONWriter(sink: sink)
        case .csv: CSVContactWriter(customKeys: customKeys, others: others, sink: sink)
        case .vcard: VCardWriter(version: version, sink: sink)
        case .googleCSV: SpreadsheetContactWriter(dialect: .google, customKeys: customKeys, others: others, sink: sink)
        case .outlookCSV: SpreadsheetContactWriter(dialect: .outlook, customKeys: customKeys, others: others, sink: sink)
        }
    }
}
