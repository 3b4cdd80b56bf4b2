/// One of a contact's further emails or phones, with the label its address book gave it.
///
/// A contact's first email and its phone and mobile phone are standard fields: those are what
/// the providers hold. Address books hold more (a home and a work email, a fax, a second
/// mobile); these are kept beside them as values, so that they are shown, searched and
/// exported like the rest — in the cache and in files, never sent to a provider.
public struct LabelledValue: Sendable, Hashable {
    /// A label as `ValueLabel.normalised` writes it: `home`, `work`, `mobile`, `fax`, … or the
    /// address book's own words (`Assistant`); "" when the file gave none.
    public var label: String
    public var value: String

    public init(label: String = "", value: String) {
        self.label = label
        self.value = value
    }

    /// `{"label": …, "value": …}`: how the cache, the edit history and rolo JSON write one.
    public var json: JSONValue { .object(["label": .string(label), "value": .string(value)]) }

    /// Reads what `json` wrote; nil for anything else. A missing label is no label.
    public init?(json: JSONValue) {
        guard case .object(let members) = json, let value = members["value"]?.stringValue else { return nil }
        let label = members["label"] ?? .null
        guard label == .null || label.stringValue != nil else { return nil }
        self.init(label: label.stringValue ?? "", value: value)
    }
}

/// The two kinds of further values a contact holds.
public enum OtherValueKind: String, Sendable, CaseIterable {
    case email
    case phone

    /// The name the `index`-th further value (0-based) goes by in files and messages:
    /// `email_2` is the second email, the first being the standard `email` field;
    /// `phone_2` is the first phone beyond `phone` and `mobile_phone`.
    public func name(at index: Int) -> String { "\(rawValue)_\(index + 2)" }

    /// The kind and 0-based index a name like `email_3` or `phone_2` stands for.
    public static func parse(name: String) -> (kind: OtherValueKind, index: Int)? {
        for kind in allCases where name.hasPrefix(kind.rawValue + "_") {
            guard let number = Int(name.dropFirst(kind.rawValue.count + 1)), number >= 2, number < 1000,
                  String(number) == name.dropFirst(kind.rawValue.count + 1) else { return nil }
            return (kind, number - 2)
        }
        return nil
    }

    /// The name of the whole list, as rolo JSON and `FieldKey` write it: `other_emails`.
    public var listName: String { "other_\(rawValue)s" }

    public init?(listName: String) {
        guard let kind = OtherValueKind.allCases.first(where: { $0.listName == listName }) else { return nil }
        self = kind
    }

    /// The standard field the first value of this kind lives in.
    public var standardField: StandardField { self == .email ? .email : .phone }

    /// Every standard field that holds a value of this kind: the email; the phone and the mobile phone.
    public var standardFields: [StandardField] { self == .email ? [.email] : [.phone, .mobilePhone] }

    /// The kind whose further values a list of fields (the detail pane, the form, `rolo show`)
    /// shows right after `field`: after the last of the kind's standard fields that it shows.
    /// Further values of a kind none of whose standard fields is shown come at the end.
    public static func listed(after field: StandardField, shown: [StandardField]) -> OtherValueKind? {
        allCases.first { $0.standardFields.last(where: shown.contains) == field }
    }

    /// How the detail pane and help call the kind.
    public var label: String { self == .email ? "Email" : "Phone" }

    /// How the detail pane, the form and `rolo show` name one value: `Email (home)`, `Phone`.
    public func screenLabel(of value: LabelledValue) -> String {
        value.label.isEmpty ? label : "\(label) (\(value.label))"
    }
}

/// Labels as rolo keeps them: the common ones in one spelling whatever wrote them (vCard's
/// `TYPE=cell`, Apple's `_$!<Mobile>!$_`, Google's `Mobile`, Outlook's `Mobile Phone` all
/// become `mobile`), anything else as the address book wrote it.
public enum ValueLabel {
    /// The words of the labels rolo knows. A label made only of these is kept in lower case,
    /// the place first (`work fax`); any other label is kept as the address book wrote it.
    public static let knownWords: Set<String> = ["home", "work", "other", "school", "mobile", "iphone", "main", "fax", "pager",
                                                 "assistant", "car", "callback", "text", "video"]
    private static let places: Set<String> = ["home", "work", "other", "school"]

    /// Whether rolo knows every word of a label (so writers may spell it their own way).
    public static func isKnown(_ label: String) -> Bool {
        let words = label.split(separator: " ")
        return !words.isEmpty && words.allSatisfy { knownWords.contains(String($0)) }
    }

    /// `label` in rolo's spelling: trimmed, Apple's `_$!<…>!$_` wrapper taken off; when every
    /// word is known (after synonyms: `cell` → `mobile`, `business` → `work`, and without
    /// filler such as `phone`), those words in lower case, the place first; else as written.
    public static func normalised(_ label: String) -> String {
        let text = unwrapped(label)
        let words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "_" || $0 == "-" })
            .flatMap { (synonyms[String($0)] ?? String($0)).split(separator: " ").map(String.init) }
            .filter { !filler.contains($0) }
        return spelled(words) ?? text
    }

    /// Known words as one label, the place first and each once; nil when one is not known.
    private static func spelled(_ words: [String]) -> String? {
        guard !words.isEmpty, words.allSatisfy(knownWords.contains) else { return nil }
        var seen = Set<String>()
        let unique = words.filter { seen.insert($0).inserted }
        return (unique.filter(places.contains) + unique.filter { !places.contains($0) }).joined(separator: " ")
    }

    /// A label from vCard TYPE parameters (`TYPE=work,voice`, `TYPE=cell`): the types that
    /// say what the value is for, without the ones every value carries (`internet`, `voice`,
    /// `pref`). Apple's `iphone` already says `cell`.
    ///
    /// An extension type (`X-Büro`, as Android writes a label of the user's own) is that label,
    /// as written.
    public static func fromVCardTypes(_ types: [String]) -> String {
        let own = types.filter { $0.lowercased().hasPrefix("x-") && $0.count > 2 }.map { String($0.dropFirst(2)) }
        var words = types.map { $0.lowercased() }.filter { !ignored.contains($0) && !$0.hasPrefix("x-") }.map { synonyms[$0] ?? $0 }
        if words.contains("iphone") { words.removeAll { $0 == "mobile" } }
        let label = spelled(words) ?? normalised(words.joined(separator: " "))
        return ([label] + own).filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// vCard TYPE values for a label, when every word of it is one vCard defines; nil when the
    /// label is the address book's own (written through an item group's X-ABLabel instead).
    public static func vCardTypes(for label: String, kind: OtherValueKind) -> [String]? {
        if label.isEmpty { return [] }
        let words = label.split(separator: " ").map { $0 == "mobile" ? "cell" : String($0) }
        let allowed: Set<String> = kind == .email ? ["home", "work"] : ["home", "work", "cell", "fax", "pager", "text", "video"]
        return words.allSatisfy(allowed.contains) ? words : nil
    }

    /// Labels that make a phone a mobile number when an address book writes them as its own
    /// (Apple's `_$!<Mobile>!$_` and `iPhone`, a custom "Cell"), compared in lower case.
    public static let mobileWords: Set<String> = ["mobile", "cell", "iphone", "cellular", "mobile phone", "cell phone"]

    /// Whether a phone with this label is a mobile number, as a vCard with the label reads:
    /// by its TYPE when vCard has one for it, else by the address book's own word.
    public static func marksMobile(_ label: String) -> Bool {
        if let types = vCardTypes(for: label, kind: .phone) { return types.contains("cell") }
        return namesMobile(label)
    }

    /// Whether an address book's own label (an X-ABLabel) names a mobile number.
    public static func namesMobile(_ label: String) -> Bool {
        mobileWords.contains(unwrapped(label).lowercased())
    }

    /// A label trimmed and without Apple's `_$!<…>!$_` wrapper.
    static func unwrapped(_ label: String) -> String {
        let text = label.trimmed
        guard text.hasPrefix("_$!<"), text.hasSuffix(">!$_"), text.count >= 8 else { return text }
        return String(text.dropFirst(4).dropLast(4)).trimmed
    }

    /// Whether a phone with this label is a fax (never the contact's phone).
    public static func marksFax(_ label: String) -> Bool {
        vCardTypes(for: label, kind: .phone)?.contains("fax") ?? false
    }

    /// Whether a label names a pager (`Pager`, `beeper`): like a fax, never the contact's phone.
    public static func marksPager(_ label: String) -> Bool {
        vCardTypes(for: label, kind: .phone)?.contains("pager") ?? false
    }

    /// vCard types that every value of its kind carries, or that say nothing people label by.
    private static let ignored: Set<String> = ["internet", "voice", "pref", "x400", "msg", "bbs", "modem", "isdn", "pcs", "intl",
                                               "dom", "postal", "parcel"]
    /// Words a label may carry that add nothing to it (`Home Phone`, `Work E-mail`).
    private static let filler: Set<String> = ["phone", "number", "e", "mail", "email", "address", "tel"]
    private static let synonyms: [String: String] = [
        "cell": "mobile", "cellular": "mobile", "mobil": "mobile", "business": "work", "office": "work",
        "private": "home", "personal": "home", "facsimile": "fax", "beeper": "pager", "homefax": "home fax",
        "workfax": "work fax", "otherfax": "other fax", "sms": "text", "radio": "other", "company": "work",
        "primary": "main",
    ]
}

extension Contact {
    /// The contact with empty standard slots filled from its further values, as a reader of any
    /// of rolo's formats would fill them: no email but further ones → the first becomes the
    /// email; no mobile phone → the first further phone labelled mobile; no phone → the first
    /// further phone that is neither a mobile, a fax nor a pager. So one contact has one form, and a file
    /// rolo writes reads back as the contact it wrote.
    public func fillingEmptySlots() -> Contact {
        var result = self
        if result[.email] == nil, !result.otherEmails.isEmpty {
            result[.email] = result.otherEmails.removeFirst().value
        }
        if result[.mobilePhone] == nil, let index = result.otherPhones.firstIndex(where: { ValueLabel.marksMobile($0.label) }) {
            result[.mobilePhone] = result.otherPhones.remove(at: index).value
        }
        if result[.phone] == nil,
           let index = result.otherPhones.firstIndex(where: {
               !ValueLabel.marksMobile($0.label) && !ValueLabel.marksFax($0.label) && !ValueLabel.marksPager($0.label)
           }) {
            result[.phone] = result.otherPhones.remove(at: index).value
        }
        return result
    }
}

extension Contact {
    /// The contact with the further emails and phones of `other` that it does not hold yet
    /// (anywhere: as a standard field or a further value) added after its own: what a second
    /// import of a file adds to a contact it matched.
    public func addingOtherValues(of other: Contact) -> Contact {
        var result = self
        func holds(_ value: String, _ kind: OtherValueKind) -> Bool {
            let key = kind == .email ? value.lowercased() : value
            let held = kind.standardFields.compactMap { result[$0] } + result[others: kind].map(\.value)
            return held.contains { (kind == .email ? $0.lowercased() : $0) == key }
        }
        for kind in OtherValueKind.allCases {
            // The file's standard values that did not land in this contact's slots count too.
            let offered = kind.standardFields.compactMap { other[$0] }.map { LabelledValue(value: $0) } + other[others: kind]
            for value in offered where !holds(value.value, kind) { result[others: kind].append(value) }
        }
        return result
    }
}
