import Foundation
import RoloCore
import Testing
@testable import RoloInterchange

/// vCard exports are valid vCard 3.0 and 4.0 whatever the contacts came from: no 2.1 syntax,
/// preserved properties in the target version, item groups kept together, line breaks as
/// written — checked by string, by reading them back, and by an independent parser.
@Suite("vCard exports")
struct VCardExportTests {
    /// Cards as other tools write them, read by rolo: what an export has to carry.
    static let fixtures = ["apple-contacts-3.0.vcf", "apple-labels-3.0.vcf", "google-contacts-3.0.vcf", "tel-uri-4.0.vcf",
                           "folded-escaped-4.0.vcf", "quoted-printable-2.1.vcf", "outlook-2.1.vcf", "android-2.1.vcf",
                           "iso-8859-2.1.vcf"]

    static func corpus() throws -> [Contact] {
        var contacts: [Contact] = []
        for name in fixtures {
            contacts += try ContactFileReader.read(try fixture(name), format: .vcard, skipInvalid: false).contacts.map(\.contact)
        }
        var breaks = Contact(uid: "6c1e4d2a-8b3f-4a5e-9d7c-1f2e3d4c5b6a", accountID: 0, fields: [.fullName: "Line Breaks",
                             .notes: "Windows\r\nUnix\nold Mac\rend"], createdAt: instant("2024-01-01T00:00:00Z"))
        breaks.custom["memo"] = .text("one\r\ntwo")
        return contacts + [everything(), breaks]
    }

    func export(_ contacts: [Contact], _ version: VCardVersion) throws -> String {
        try written(.vcard, version: version, contacts.map { ($0, "local") })
    }

    /// The content lines of a text, unfolded.
    func contentLines(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    @Test(arguments: [VCardVersion.v3, .v4])
    func noExportHoldsVersion21Syntax(version: VCardVersion) throws {
        let text = try export(try Self.corpus(), version)
        #expect(text.range(of: "QUOTED-PRINTABLE", options: .caseInsensitive) == nil)
        #expect(text.range(of: "CHARSET=", options: .caseInsensitive) == nil)
        if version == .v4 { #expect(text.range(of: "ENCODING=", options: .caseInsensitive) == nil) }
        for line in contentLines(text) {
            // Every parameter has a name: nothing like TEL;WORK;VOICE:. (Read here by hand,
            // not with rolo's parser: a quoted value may hold ; and :.)
            var head = "", inQuotes = false
            for character in line {
                if character == "\"" { inQuotes.toggle() }
                if character == ":" && !inQuotes { break }
                head.append(character)
            }
            var parameters: [String] = [], current = "", quoted = false
            for character in head {
                if character == "\"" { quoted.toggle() }
                if character == ";" && !quoted { parameters.append(current); current = "" } else { current.append(character) }
            }
            parameters.append(current)
            for parameter in parameters.dropFirst() {
                #expect(parameter.contains("="), "a bare parameter “\(parameter)” in \(line.prefix(60))")
            }
        }
    }

    @Test(arguments: [VCardVersion.v3, .v4])
    func everyContactComesBackFromItsExport(version: VCardVersion) throws {
        let contacts = try Self.corpus()
        let text = try export(contacts, version)
        let back = try read(text, .vcard).contacts.map(\.contact)
        #expect(back.count == contacts.count)
        for (original, copy) in zip(contacts, back) {
            #expect(copy.fields == original.fields, "\(original.displayName)")
            #expect(copy.custom == original.custom, "\(original.displayName)")
            #expect(copy.uid == original.uid)
        }
        // A second export of what came back is the same text: the conversion happens once.
        #expect(try export(back, version) == text)
    }

    @Test func version21PropertiesAreWrittenInTheTargetVersion() throws {
        let outlook = try #require(try read(String(decoding: try fixture("outlook-2.1.vcf"), as: UTF8.self), .vcard).contacts.first).contact
        let three = contentLines(try export([outlook], .v3))
        #expect(three.contains("LABEL;TYPE=WORK,PREF:1 Grand Canal Sq\\nDublin D02 P820\\nIreland"))
        #expect(three.contains { $0.hasPrefix("X-MS-OL-DESIGN:<card xmlns=") })
        // 4.0 has no LABEL property: the label is its address's LABEL parameter (RFC 6350, 6.3.1).
        let four = contentLines(try export([outlook], .v4))
        #expect(four.contains("ADR;LABEL=\"1 Grand Canal Sq^nDublin D02 P820^nIreland\":;;1 Grand Canal Sq;Dublin;;D02 P820;Ireland"))
        #expect(!four.contains { $0.hasPrefix("LABEL") })

        let android = try ContactFileReader.read(try fixture("android-2.1.vcf"), format: .vcard, skipInvalid: false).contacts.map(\.contact)
        let photo = try String(decoding: fixture("android-photo.jpg.b64"), as: UTF8.self)
        #expect(contentLines(try export([android[1]], .v3)).contains("PHOTO;ENCODING=b;TYPE=JPEG:" + photo))
        #expect(contentLines(try export([android[1]], .v4)).contains("PHOTO:data:image/jpeg;base64," + photo))
        let phonetic = contentLines(try export([android[0]], .v4))
        #expect(phonetic.contains("X-PHONETIC-FIRST-NAME:たろう") && phonetic.contains("X-PHONETIC-LAST-NAME:やまだ"))
    }

    @Test func aLabelGoesWithItsAddressIn40AndIsLeftOutWithoutOne() throws {
        // A work address rolo holds and a home address it keeps, each with its label; a label of
        // an address the card does not have.
        let card = ["BEGIN:VCARD", "VERSION:3.0", "FN:Ann Archer", "EMAIL:ann@example.com",
                    "ADR;TYPE=WORK,PREF:;;1 Main St;Dallas;TX;75001;USA", "LABEL;TYPE=WORK,PREF:1 Main St\\nDallas TX 75001",
                    "ADR;TYPE=HOME:;;9 Elm St;Austin;TX;78701;USA", "LABEL;TYPE=HOME:9 Elm St\\nAustin \"TX\" ^ 78701",
                    "LABEL;TYPE=POSTAL:PO Box 7\\nDallas", "END:VCARD"].joined(separator: "\r\n") + "\r\n"
        let ann = try #require(try read(card, .vcard).contacts.first).contact
        #expect(ann[.addressLine1] == "1 Main St")
        let four = contentLines(try export([ann], .v4))
        #expect(four.contains("ADR;PREF=1;LABEL=\"1 Main St^nDallas TX 75001\":;;1 Main St;Dallas;TX;75001;USA"), "\(four)")
        #expect(four.contains("ADR;TYPE=HOME;LABEL=\"9 Elm St^nAustin ^'TX^' ^^ 78701\":;;9 Elm St;Austin;TX;78701;USA"), "\(four)")
        #expect(!four.contains { $0.hasPrefix("LABEL") || $0.contains("PO Box 7") }, "no LABEL property; no address for the postal one")
        let three = contentLines(try export([ann], .v3))
        #expect(three.filter { $0.hasPrefix("LABEL") }.count == 3 && !three.contains { $0.contains("LABEL=") }, "3.0 keeps all three")

        // Read back from 4.0, a label is a LABEL in 3.0 again, and the same parameter in 4.0.
        let back = try #require(try read(four.joined(separator: "\r\n") + "\r\n", .vcard).contacts.first).contact
        #expect(contentLines(try export([back], .v4)) == four)
        let again = contentLines(try export([back], .v3))
        #expect(again.contains("LABEL:1 Main St\\nDallas TX 75001") && again.contains("LABEL;TYPE=HOME:9 Elm St\\nAustin \"TX\" ^ 78701"),
                "\(again)")
        #expect(again.contains("ADR;TYPE=HOME:;;9 Elm St;Austin;TX;78701;USA"))

        // RFC 6350's own example writes the line break as \n.
        let rfc = ["BEGIN:VCARD", "VERSION:4.0", "FN:Mr. John Q. Public",
                   "ADR;TYPE=work;LABEL=\"Mr. John Q. Public, Esq.\\nMail Drop: TNE QB\\n123 Main Street\\nAny Town, CA  91921-1234\\nU.S.A.\""
                       + ":;;123 Main Street;Any Town;CA;91921-1234;U.S.A.",
                   "END:VCARD"].joined(separator: "\r\n") + "\r\n"
        let john = try #require(try read(rfc, .vcard).contacts.first).contact
        #expect(contentLines(try export([john], .v3)).contains("LABEL;TYPE=work:Mr. John Q. Public\\, Esq.\\nMail Drop: TNE QB\\n"
            + "123 Main Street\\nAny Town\\, CA  91921-1234\\nU.S.A."))
    }

    @Test func itemGroupsStayTogether() throws {
        let yuki = try #require(try ContactFileReader.read(try fixture("apple-labels-3.0.vcf"), format: .vcard, skipInvalid: false)
            .contacts.first).contact
        #expect(yuki[.mobilePhone] == "+81 90-1234-5678", "Apple's Mobile label makes a mobile number")
        #expect(yuki[.phone] == "+81 3-1234-5678" && yuki[.email] == "yuki@example.jp")
        #expect(yuki.otherEmails == [LabelledValue(label: "home", value: "yuki.home@example.jp")], "Apple's Home label, in rolo's spelling")
        for version in [VCardVersion.v3, .v4] {
            let lines = contentLines(try export([yuki], version))
            let groups = ["item1.TEL", "item1.X-ABLabel", "item2.TEL", "item2.X-ABLabel", "item3.EMAIL", "item3.X-ABLabel"]
            for prefix in groups {
                #expect(lines.filter { $0.hasPrefix(prefix + ";") || $0.hasPrefix(prefix + ":") }.count == 1, "\(version): \(prefix)")
            }
            // The home email is a further value now: its label is a vCard type, and its group went with it.
            #expect(!lines.contains { $0.hasPrefix("item4.") }, "\(version)")
            #expect(lines.contains(version == .v4 ? "EMAIL;TYPE=home:yuki.home@example.jp" : "EMAIL;TYPE=INTERNET,HOME:yuki.home@example.jp"))
            #expect(lines.contains { $0.hasPrefix("item1.TEL;") && $0.hasSuffix("+81 90-1234-5678") }, "\(version)")
            #expect(lines.contains("item1.X-ABLabel:_$!<Mobile>!$_"))
            let back = try #require(try read(lines.joined(separator: "\r\n") + "\r\n", .vcard).contacts.first).contact
            #expect(back == yuki, "\(version)")
        }
        // An edited value stays in its group, beside its label.
        var edited = yuki
        edited[.email] = "yuki.new@example.jp"
        #expect(contentLines(try export([edited], .v4)).contains("item3.EMAIL;PREF=1:yuki.new@example.jp"))
    }

    @Test(arguments: [VCardVersion.v3, .v4])
    func lineBreaksComeBackAsTheyWereWritten(version: VCardVersion) throws {
        let contact = try Self.corpus().last!
        let text = try export([contact], version)
        #expect(contentLines(text).contains("NOTE;X-ROLO-BREAKS=CRLF,LF,CR:Windows\\nUnix\\nold Mac\\nend"))
        let back = try #require(try read(text, .vcard).contacts.first).contact
        #expect(back[.notes] == "Windows\r\nUnix\nold Mac\rend")
        #expect(back.custom["memo"] == .text("one\r\ntwo"))
        let outlook = try #require(try read(String(decoding: try fixture("outlook-2.1.vcf"), as: UTF8.self), .vcard).contacts.first).contact
        let again = try #require(try read(try export([outlook], version), .vcard).contacts.first).contact
        #expect(again[.notes] == outlook[.notes] && outlook[.notes]?.contains("\r\n") == true, "Outlook's CR LF stays CR LF")
    }

    // MARK: An independent reader

    @Test(.enabled(if: IndependentVCardParser.isAvailable,
                   "python3 cannot import vobject, the independent vCard parser: python3 -m pip install --user vobject==0.9.9"),
          arguments: [VCardVersion.v3, .v4])
    func anIndependentParserReadsEveryExportAsWritten(version: VCardVersion) throws {
        let contacts = try Self.corpus()
        let cards = try IndependentVCardParser.parse(try export(contacts, version))
        try #require(cards.count == contacts.count)
        for (contact, card) in zip(contacts, cards) {
            let name = contact.displayName
            #expect(card.version == version.rawValue)
            if version == .v4 { #expect(card.lines("LABEL").isEmpty, "\(name): 4.0 has no LABEL property") }
            for line in card.lines {
                #expect(line.singletons.isEmpty, "\(name): \(line.name) has bare parameters \(line.singletons)")
                #expect(line.params["CHARSET"] == nil, "\(name): \(line.name)")
                if version == .v4 { #expect(line.params["ENCODING"] == nil, "\(name): \(line.name)") }
            }
            #expect(card.lines("FN").first?.value.text == contact[.fullName] ?? (contact.displayName == "(no name)" ? "" : contact.displayName),
                    "\(name)")
            if case .parts(let parts)? = card.lines("N").first?.value {
                #expect(parts[0] == contact[.lastName] ?? "" && parts[1] == contact[.firstName] ?? "", "\(name)")
            } else {
                Issue.record("\(name): no N")
            }
            let emails = card.lines("EMAIL").compactMap(\.value.text)
            if let email = contact[.email] { #expect(emails.first == email, "\(name): rolo's email comes first") }
            // Every further email and phone is an EMAIL or TEL of its own, with its label as a
            // TYPE or as its group's X-ABLabel.
            for other in contact.otherEmails {
                let line = card.lines("EMAIL").first { $0.value.text == other.value }
                #expect(line != nil, "\(name): \(other.value)")
                if let line { #expect(label(of: line, in: card) == other.label, "\(name): \(other.value)") }
            }
            for other in contact.otherPhones {
                let line = card.lines("TEL").first { $0.value.text.map { $0.hasPrefix("tel:") ? String($0.dropFirst(4)) : $0 } == other.value }
                #expect(line != nil, "\(name): \(other.value)")
                if let line { #expect(label(of: line, in: card) == other.label, "\(name): \(other.value)") }
            }
            let notes = card.lines("NOTE").first?.value.text
            let expected = contact[.notes]?.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(notes == expected, "\(name)")
            if let title = contact[.jobTitle] { #expect(card.lines("TITLE").first?.value.text == title, "\(name)") }
            // Every group's label is in the same card as the value it labels.
            for label in card.lines("X-ABLABEL") {
                #expect(card.lines.contains { $0.group == label.group && $0.name != "X-ABLABEL" }, "\(name): \(label.group ?? "")")
            }
        }
        /// The label another tool sees: the group's X-ABLabel, else the TYPE values it does not
        /// take for granted, in rolo's words.
        func label(of line: IndependentVCardParser.Line, in card: IndependentVCardParser.Card) -> String {
            if let group = line.group, let text = card.lines("X-ABLABEL").first(where: { $0.group == group })?.value.text { return text }
            let types = (line.params["TYPE"] ?? []).flatMap { $0.lowercased().split(separator: ",").map(String.init) }
                .filter { !["internet", "voice", "pref"].contains($0) }.map { $0 == "cell" ? "mobile" : $0 }
            return types.joined(separator: " ")
        }
        // Outlook's label: a LABEL in 3.0, its address's LABEL parameter in 4.0.
        let sean = try #require(cards.first { $0.lines("EMAIL").first?.value.text == "sean.obrien@contoso.com" })
        if version == .v3 {
            #expect(sean.lines("LABEL").first?.value.text == "1 Grand Canal Sq\nDublin D02 P820\nIreland")
        } else {
            #expect(sean.lines("ADR").first?.params["LABEL"] == ["1 Grand Canal Sq^nDublin D02 P820^nIreland"])
        }
        // The photos: base64 that decodes to the same bytes in 3.0; a data URI in 4.0.
        let photo = try String(decoding: fixture("android-photo.jpg.b64"), as: UTF8.self)
        let juergen = try #require(cards.first { $0.lines("EMAIL").first?.value.text == "juergen.mueller@example.de" })
        if version == .v3 {
            #expect(juergen.lines("PHOTO").first?.value == .binary(base64: photo))
        } else {
            #expect(juergen.lines("PHOTO").first?.raw == "data:image/jpeg;base64," + photo)
        }
    }
}
