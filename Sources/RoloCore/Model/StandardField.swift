/// The fields every contact has, whatever its provider.
///
/// The set covers what DailyStory, Notifuse and iVvy can store in common (PROVIDERS.md §4);
/// anything provider-specific beyond it is kept verbatim in `Contact.extensions`.
/// The raw value is the key users type (`rolo set ID city=Dallas`, `city:dallas`), the CSV
/// column name and the JSON key, so it never changes once released.
public enum StandardField: String, CaseIterable, Codable, Sendable, Comparable {
    case salutation
    case firstName = "first_name"
    case lastName = "last_name"
    case fullName = "full_name"
    case jobTitle = "job_title"
    case company
    case email
    case phone
    case mobilePhone = "mobile_phone"
    case addressLine1 = "address_line_1"
    case addressLine2 = "address_line_2"
    case city
    case region
    case postcode
    case country
    case timezone
    case language
    case website
    case status
    case emailOptOut = "email_opt_out"
    case smsOptOut = "sms_opt_out"
    case phoneOptOut = "phone_opt_out"
    case notes

    /// What a value of the field is, which decides how it is validated and normalised.
    public enum Kind: Sendable, Equatable {
        case text, email, phone, url, timezone, language, flag
    }

    public var key: String { rawValue }

    public var kind: Kind {
        switch self {
        case .email: .email
        case .phone, .mobilePhone: .phone
        case .website: .url
        case .timezone: .timezone
        case .language: .language
        case .emailOptOut, .smsOptOut, .phoneOptOut: .flag
        default: .text
        }
    }

    /// The label shown in the detail and edit panes.
    public var label: String {
        switch self {
        case .salutation: "Salutation"
        case .firstName: "First name"
        case .lastName: "Last name"
        case .fullName: "Full name"
        case .jobTitle: "Job title"
        case .company: "Company"
        case .email: "Email"
        case .phone: "Phone"
        case .mobilePhone: "Mobile phone"
        case .addressLine1: "Address line 1"
        case .addressLine2: "Address line 2"
        case .city: "City"
        case .region: "Region / state"
        case .postcode: "Postcode"
        case .country: "Country"
        case .timezone: "Time zone"
        case .language: "Language"
        case .website: "Website"
        case .status: "Status"
        case .emailOptOut: "Email opt-out"
        case .smsOptOut: "SMS opt-out"
        case .phoneOptOut: "Phone opt-out"
        case .notes: "Notes"
        }
    }

    /// A short example shown as a hint next to an empty field in the edit pane.
    public var formatHint: String? {
        switch kind {
        case .email: "name@example.com"
        case .phone: "+15557140059 (E.164)"
        case .url: "https://example.com"
        case .timezone: "America/New_York"
        case .language: "en or en-US"
        case .flag: "yes / no"
        case .text: nil
        }
    }

    /// Other names accepted for the field on the command line and in `field:term` queries.
    public var aliases: [String] {
        switch self {
        case .firstName: ["first", "firstname", "given_name"]
        case .lastName: ["last", "lastname", "surname", "family_name"]
        case .fullName: ["fullname", "display_name"]
        case .jobTitle: ["title", "jobtitle"]
        case .company: ["org", "organization", "organisation"]
        case .mobilePhone: ["mobile", "mobilephone", "cell"]
        case .addressLine1: ["address1", "street"]
        case .addressLine2: ["address2"]
        case .region: ["state", "province"]
        case .postcode: ["zip", "postal_code", "postalcode"]
        case .timezone: ["tz", "time_zone"]
        case .language: ["lang"]
        case .website: ["url", "web"]
        case .notes: ["note"]
        case .emailOptOut: ["email_optout"]
        case .smsOptOut: ["sms_optout"]
        case .phoneOptOut: ["phone_optout"]
        default: []
        }
    }

    /// Looks a field up by key or alias, ignoring case and treating `-` like `_`.
    public init?(named name: String) {
        // A name already in lower case without `-` is looked up as it is.
        if name.utf8.allSatisfy({ !($0 >= 0x41 && $0 <= 0x5A) && $0 != 0x2D && $0 < 0x80 }) {
            guard let field = StandardField.byName[name] else { return nil }
            self = field
            return
        }
        let wanted = name.lowercased().replacingOccurrences(of: "-", with: "_")
        guard let field = StandardField.byName[wanted] else { return nil }
        self = field
    }

    /// The field whose key or alias `name` is a slip of the keyboard away from (one letter
    /// wrong, missing, extra or two swapped; two for names of eight letters or more), for
    /// "did you mean email?" — nil when none is that close, or `name` is one. Names shorter
    /// than five letters are never taken for slips: `vip` is one letter from `zip`.
    public static func closest(to name: String) -> StandardField? {
        let wanted = Array(name.lowercased().replacingOccurrences(of: "-", with: "_"))
        guard wanted.count >= 5, StandardField(named: name) == nil else { return nil }
        let allowed = wanted.count >= 8 ? 2 : 1
        var best: (field: StandardField, distance: Int)?
        // Keys only: aliases are short words a custom key may well grow from (`langs`), and
        // a plural (`phones`) is meant.
        for field in StandardField.allCases where String(wanted) != field.key + "s" {
            let distance = slips(wanted, Array(field.key))
            if distance <= allowed, distance < (best?.distance ?? .max) { best = (field, distance) }
        }
        return best?.field
    }

    /// Letters inserted, removed, changed or swapped with a neighbour to turn `a` into `b`.
    private static func slips(_ a: [Character], _ b: [Character]) -> Int {
        guard abs(a.count - b.count) <= 2 else { return 3 }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = Swift.min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = Swift.min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    private static let byName: [String: StandardField] = {
        var table: [String: StandardField] = [:]
        for field in StandardField.allCases {
            table[field.rawValue] = field
            for alias in field.aliases { table[alias] = field }
        }
        return table
    }()

    /// Declaration order, which is also the order of the detail pane and of CSV columns.
    public static func < (lhs: StandardField, rhs: StandardField) -> Bool {
        lhs.position < rhs.position
    }

    /// The place in declaration order. A switch rather than a table: sorting fields runs for
    /// every contact of an import, and a dictionary lookup per comparison showed in profiles.
    var position: Int {
        switch self {
        case .salutation: 0
        case .firstName: 1
        case .lastName: 2
        case .fullName: 3
        case .jobTitle: 4
        case .company: 5
        case .email: 6
        case .phone: 7
        case .mobilePhone: 8
        case .addressLine1: 9
        case .addressLine2: 10
        case .city: 11
        case .region: 12
        case .postcode: 13
        case .country: 14
        case .timezone: 15
        case .language: 16
        case .website: 17
        case .status: 18
        case .emailOptOut: 19
        case .smsOptOut: 20
        case .phoneOptOut: 21
        case .notes: 22
        }
    }

    /// Fields whose words are indexed for the live filter (flags are not words).
    public static let searchable: [StandardField] = allCases.filter { $0.kind != .flag }
}
