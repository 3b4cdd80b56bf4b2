import Foundation
import RoloCore
@testable import RoloInterchange

/// The bytes of a file in `Fixtures/`.
func fixture(_ name: String) throws -> Data {
    let dot = name.lastIndex(of: ".")!
    let url = Bundle.module.url(forResource: String(name[..<dot]), withExtension: String(name[name.index(after: dot)...]),
                                subdirectory: "Fixtures")
    guard let url else { throw FixtureMissing(name: name) }
    return try Data(contentsOf: url)
}

struct FixtureMissing: Error { let name: String }

/// Everything a writer sends to its sink, chunk by chunk.
func chunks(_ format: InterchangeFormat, version: VCardVersion = .v4, accounts: [AccountSpec] = [],
            customKeys: [String] = [], _ contacts: [(Contact, String)]) throws -> [String] {
    var chunks: [String] = []
    // As an export works them out from the cache: the most further values one contact has.
    let others = OtherValueCounts(emails: contacts.map(\.0.otherEmails.count).max() ?? 0,
                                  phones: contacts.map(\.0.otherPhones.count).max() ?? 0)
    var writer = ContactFileWriters.make(format, version: version, customKeys: customKeys, others: others) { chunks.append($0) }
    try writer.begin(accounts: accounts)
    for (contact, account) in contacts { try writer.write(contact, accountName: account) }
    try writer.finish()
    return chunks
}

/// The whole text a writer produces.
func written(_ format: InterchangeFormat, version: VCardVersion = .v4, accounts: [AccountSpec] = [],
             customKeys: [String] = [], _ contacts: [(Contact, String)]) throws -> String {
    try chunks(format, version: version, accounts: accounts, customKeys: customKeys, contacts).joined()
}

func read(_ text: String, _ format: InterchangeFormat, skipInvalid: Bool = false) throws(ImportProblem) -> ReadResult {
    try ContactFileReader.read(Data(text.utf8), format: format, skipInvalid: skipInvalid)
}

/// The problem reading a text throws, or nil when it reads.
func problem(_ text: String, _ format: InterchangeFormat) -> ImportProblem? {
    problem(Data(text.utf8), format)
}

func problem(_ data: Data, _ format: InterchangeFormat) -> ImportProblem? {
    do {
        _ = try ContactFileReader.read(data, format: format, skipInvalid: false)
        return nil
    } catch {
        return error
    }
}

/// What a contact looks like once it has come back from a file: no row id, account 0.
func asRead(_ contact: Contact) -> Contact {
    var copy = contact
    copy.id = nil
    copy.accountID = 0
    return copy
}

func instant(_ text: String) -> Timestamp { Timestamp(parsing: text)! }

/// A contact with every standard field, every custom type and provider extension data.
func everything() -> Contact {
    var fields: [StandardField: String] = [:]
    for field in StandardField.allCases { fields[field] = "\(field.label) value" }
    fields[.email] = "rob@example.com"
    fields[.phone] = "+15557140058"
    fields[.mobilePhone] = "+15557140059"
    fields[.website] = "https://example.com/rob"
    fields[.timezone] = "America/Chicago"
    fields[.language] = "en-US"
    fields[.emailOptOut] = "false"
    fields[.smsOptOut] = "true"
    fields[.phoneOptOut] = "false"
    fields[.addressLine1] = "100 Main St"
    fields[.addressLine2] = "Suite 200"
    fields[.notes] = "First line\nSecond line, with a comma; and a semicolon \\ and a backslash"
    let custom: [String: CustomValue] = [
        "note": .text("plain text, with a comma; a semicolon\nand a new line"),
        "plan": .select("gold"),
        "score": .number(42.5),
        "visits": .number(7),
        "tags": .multiselect(["a", "b, c", "d;e", "f\\g"]),
        "prefs": .json(.object(["theme": .string("dark"), "sizes": .array([.number(1), .number(2.5), .null]), "on": .bool(true)])),
        "renewal": .date(LocalDate(iso: "2024-01-01")!),
        "seen": .datetime(instant("2023-06-01T09:00:00.123Z")),
        "vip": .bool(true),
        "empty_tags": .multiselect([]),
    ]
    // Further values: a label vCard has a type for, Apple's own words, none at all.
    let otherEmails = [LabelledValue(label: "home", value: "rob@home.example"), LabelledValue(label: "Lake house, 2nd", value: "lake@example.com")]
    let otherPhones = [LabelledValue(label: "work fax", value: "+15557140060"), LabelledValue(label: "mobile", value: "+15557140061"),
                       LabelledValue(value: "+15557140062"), LabelledValue(label: "iphone", value: "+15557140063")]
    return Contact(id: ContactID(42), uid: "3f2b8c1e-6a53-4d7e-9a0f-2b9c5d1e7a44", accountID: 7, fields: fields, custom: custom,
                   otherEmails: otherEmails, otherPhones: otherPhones, extensions: ["dailystory": .object(["geoCode": .string("33.8,-93.8"), "dsId": .number(981)]),
                                "ivvy": .object(["groups": .array([.string("VIP")])])],
                   createdAt: instant("2023-06-01T09:00:00Z"), updatedAt: instant("2024-02-03T04:05:06.789Z"))
}

/// Text that would act on a terminal if it were printed raw: it is data here, and every format
/// must carry it through unchanged (making it safe is the terminal's job).
let hostileTexts = [
    "\u{1B}[31mRed\u{1B}[0m",                                   // SGR colour
    "\u{1B}]8;;https://evil.example\u{07}click\u{1B}]8;;\u{07}",  // OSC 8 hyperlink ending in BEL
    "\u{9B}2J wipe",                                             // C1 CSI
    "\u{202E}txt.exe",                                           // right-to-left override
    "tab\there\u{7F}\u{0}nul",                                   // tab, DEL, NUL
    "para\u{2028}graph \u{1B}c",                                 // line separator, terminal reset
    "BEGIN:VCARD;END:VCARD, \"quoted\" =41",                     // format syntax as data
    "\u{301}starts with a combining mark",                        // joins the separator before it into one grapheme
]
