import RoloCore

/// How a country writes its phone numbers at home, so that a number a file holds without a
/// country code (`214-555-0100` from a US address book, `030 1234567` from a German one) can
/// be stored in international form when the user says where the file comes from
/// (`rolo import --default-region US`).
///
/// A national number is the country code plus the number without its trunk prefix: the `0`
/// most of Europe and Asia dial before an area code, North America's `1`. Italy, Spain and a
/// few others have none and keep every digit.
public struct PhoneRegion: Sendable, Hashable, CustomStringConvertible {
    /// ISO 3166-1 alpha-2, upper case (`US`, `GB`).
    public let code: String
    /// The country calling code, without `+`.
    public let callingCode: String
    /// What is dialled before a national number and dropped in international form.
    let trunkPrefix: String
    /// How many digits a national number has without its trunk prefix, where that is fixed.
    let nationalDigits: Int?

    public var description: String { code }

    public init?(code: String) {
        let wanted = code.uppercased()
        guard let entry = PhoneRegion.table[wanted] else { return nil }
        self.code = wanted
        callingCode = entry.callingCode
        trunkPrefix = entry.trunk
        nationalDigits = entry.digits
    }

    /// The regions rolo knows, for messages.
    public static var knownCodes: [String] { table.keys.sorted() }

    /// The number in E.164 (`+12145550100`), or nil when the text is not a national number of
    /// this region (letters in it, too few or too many digits, an area code that cannot be).
    public func international(_ written: String) -> String? {
        guard let national = PhoneRegion.nationalDigits(written) else { return nil }
        var digits = Substring(national)
        if !trunkPrefix.isEmpty, digits.hasPrefix(trunkPrefix) {
            // Where numbers have a fixed length, a leading 1 is the trunk prefix only when it
            // comes on top of it: 1-214-555-0100, not 214-555-0100.
            let withoutTrunk = digits.dropFirst(trunkPrefix.count)
            if nationalDigits == nil || withoutTrunk.count == nationalDigits { digits = withoutTrunk }
        }
        if let fixed = nationalDigits {
            // Area codes there start with 2–9 (North America) or 3, 4, 8, 9 (Russia).
            guard digits.count == fixed, let first = digits.first, first != "0", first != "1" else { return nil }
        }
        guard let e164 = try? Validator.normalisePhone("+" + callingCode + digits) else { return nil }
        return e164
    }

    /// The digits of a number written the national way — digits, spaces, dashes, dots,
    /// brackets and slashes, no `+` and no `00` — or nil for anything else.
    public static func nationalDigits(_ written: String) -> String? {
        let trimmed = written.trimmed
        guard !trimmed.isEmpty, !trimmed.hasPrefix("+"), !trimmed.hasPrefix("00") else { return nil }
        var digits = ""
        for character in trimmed {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if !" -.()/\u{00A0}".contains(character) {
                return nil
            }
        }
        return (3...15).contains(digits.count) ? digits : nil
    }

    /// Calling codes and trunk prefixes of the countries rolo's users most often meet. A region
    /// missing here is refused by name rather than guessed.
    static let table: [String: (callingCode: String, trunk: String, digits: Int?)] = {
        var table: [String: (callingCode: String, trunk: String, digits: Int?)] = [:]
        // The North American Numbering Plan: +1, trunk 1, ten digits.
        for code in ["US", "CA", "PR", "VI", "GU", "AS", "MP", "AG", "AI", "BB", "BM", "BS", "DM", "DO", "GD", "JM", "KN", "KY",
                     "LC", "MS", "SX", "TC", "TT", "VC", "VG"] {
            table[code] = ("1", "1", 10)
        }
        let trunkZero: [(String, String)] = [
            ("GB", "44"), ("IE", "353"), ("DE", "49"), ("AT", "43"), ("CH", "41"), ("FR", "33"), ("BE", "32"), ("NL", "31"),
            ("SE", "46"), ("FI", "358"), ("RO", "40"), ("BG", "359"), ("HR", "385"), ("SI", "386"), ("SK", "421"),
            ("UA", "380"), ("TR", "90"), ("IL", "972"), ("AE", "971"), ("SA", "966"), ("EG", "20"), ("ZA", "27"),
            ("NG", "234"), ("KE", "254"), ("MA", "212"), ("IN", "91"), ("PK", "92"), ("LK", "94"), ("CN", "86"),
            ("JP", "81"), ("KR", "82"), ("TW", "886"), ("VN", "84"), ("TH", "66"), ("MY", "60"), ("ID", "62"),
            ("PH", "63"), ("AU", "61"), ("NZ", "64"), ("AR", "54"), ("BR", "55"), ("PE", "51"), ("VE", "58"),
        ]
        for (code, callingCode) in trunkZero { table[code] = (callingCode, "0", nil) }
        // No trunk prefix: every digit written at home is part of the international number.
        let noTrunk: [(String, String)] = [
            ("IT", "39"), ("SM", "378"), ("VA", "39"), ("ES", "34"), ("PT", "351"), ("GR", "30"), ("DK", "45"), ("NO", "47"),
            ("IS", "354"), ("LU", "352"), ("PL", "48"), ("CZ", "420"), ("EE", "372"), ("LV", "371"), ("MX", "52"),
            ("SG", "65"), ("HK", "852"), ("MO", "853"), ("QA", "974"), ("KW", "965"),
        ]
        for (code, callingCode) in noTrunk { table[code] = (callingCode, "", nil) }
        table["RU"] = ("7", "8", 10)
        table["KZ"] = ("7", "8", 10)
        table["HU"] = ("36", "06", nil)
        return table
    }()
}
