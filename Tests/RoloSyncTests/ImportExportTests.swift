import Foundation
import Testing
import RoloCore
import RoloInterchange
import RoloStore
@testable import RoloSync

/// Files in and out through the service: a file is imported whole or not at all (the error
/// names the line), contacts already at a provider arrive linked, and exports are private,
/// filtered and complete.
@Suite("Files: import")
struct ImportTests {
    let service: RoloServices
    let cache: LocalCache
    let local: Account

    init() throws {
        (service, cache) = try freshService()
        local = try service.accounts.defaultAccount()
    }

    func lines(_ texts: String...) -> Data { Data((texts.joined(separator: "\n") + "\n").utf8) }

    /// The single message of a refused import, as `line N: …`.
    func refusedImport(_ data: Data, format: InterchangeFormat, into account: Account? = nil,
                       onDuplicate: DuplicatePolicy = .skip) -> String? {
        guard let issues = refusal({
            _ = try service.files.importFile(data, format: format, into: account, options: ImportOptions(onDuplicate: onDuplicate))
        }) else { return nil }
        return issues.map(\.description).joined(separator: "\n")
    }

    // MARK: - Reading each format

    @Test func aJSONFileIsImportedWithItsTypedCustomValues() throws {
        let json = """
            [
              {"first_name": "Ann", "last_name": "Archer", "email": "ann@example.com", "email_opt_out": true,
               "custom": {"score": {"type": "number", "value": 42}, "renewal": {"type": "date", "value": "2024-01-31"},
                          "langs": {"type": "multiselect", "value": ["pt", "en"]}, "nick": "Annie"}},
              {"email": "bob@example.com", "favourite": "tea"}
            ]
            """
        let report = try service.files.importFile(Data(json.utf8), format: .json)
        #expect(report.imported == 2)
        #expect(report.skipped.isEmpty)
        #expect(report.createdAccounts.isEmpty)
        #expect(report.warnings.map(\.line) == [5], "an unknown member is kept and reported at its record's line")

        let ann = try service.reader.contact(try service.reader.resolve("ann@example.com"))
        #expect(ann.accountID == local.id)
        #expect(ann[.emailOptOut] == "true")
        #expect(ann.custom == ["score": .number(42), "renewal": .date(day("2024-01-31")),
                               "langs": .multiselect(["pt", "en"]), "nick": .text("Annie")])
        let bob = try service.reader.contact(try service.reader.resolve("bob@example.com"))
        #expect(bob.extensions["import"] == .object(["favourite": .string("tea")]))

        for id in [ann.id!, bob.id!] {
            #expect(try cache.undoableEditCount(in: .all) == 2)
            #expect(try service.reader.audit(for: id).map(\.action) == ["create"])
            #expect(try service.reader.audit(for: id).first?.author == editor)
        }
    }

    @Test func aCSVFileIsImportedThroughItsHeaderNames() throws {
        let file = lines("First Name,Last Name,Email,Zip,Mobile,custom.renewal,Favourite Colour",
                         "Ann,Archer,ann@example.com,75001,+1 555 714 0059,2024-01-01,teal",
                         "",
                         "Bob,Baker,bob@example.com,,,,")
        let report = try service.files.importFile(file, format: .csv)
        #expect(report.imported == 2)
        #expect(report.warnings.count == 1, "the unknown column is named once")
        #expect(report.warnings.first?.message.contains("favourite_colour") == true)

        let ann = try service.reader.contact(try service.reader.resolve("ann@example.com"))
        #expect(ann[.firstName] == "Ann")
        #expect(ann[.postcode] == "75001")
        #expect(ann[.mobilePhone] == "+15557140059")
        #expect(ann.custom == ["renewal": .date(day("2024-01-01")), "favourite_colour": .text("teal")])
        let bob = try service.reader.contact(try service.reader.resolve("bob@example.com"))
        #expect(bob.custom.isEmpty, "an empty cell is no value")
        #expect(bob[.postcode] == nil)
    }

    @Test func aVCardFileIsImportedIntoTheDefaultAccount() throws {
        let card = lines("BEGIN:VCARD", "VERSION:3.0", "N:Archer;Ann;;;", "FN:Ann Archer", "ORG:Archer Inc.",
                         "EMAIL;TYPE=INTERNET:ann@example.com", "TEL;TYPE=CELL:+1 555 714 0059", "END:VCARD",
                         "BEGIN:VCARD", "VERSION:4.0", "FN:Bob Baker", "EMAIL:bob@example.com", "BDAY:19850317", "END:VCARD")
        let report = try service.files.importFile(card, format: .vcard)
        #expect(report.imported == 2)
        let ann = try service.reader.contact(try service.reader.resolve("ann@example.com"))
        #expect(ann.accountID == local.id)
        #expect(ann[.firstName] == "Ann" && ann[.lastName] == "Archer")
        #expect(ann[.company] == "Archer Inc.")
        #expect(ann[.mobilePhone] == "+15557140059")
        #expect(try service.listedNames() == ["Ann Archer", "Bob Baker"])
    }

    @Test func theCharsetAnImportNamesReachesTheReader() throws {
        // A vCard line with no CHARSET, in Windows-1252 (ü is 0xFC).
        let card = Data("BEGIN:VCARD\r\nVERSION:2.1\r\nN:M".utf8) + Data([0xFC]) + Data("ller;Ann\r\nEMAIL:ann@example.com\r\nEND:VCARD\r\n".utf8)
        #expect(refusedImport(card, format: .vcard)?.hasPrefix("line 3: byte 0xFC is not UTF-8 text") == true)
        let report = try service.files.importFile(card, format: .vcard, options: ImportOptions(charset: .windows1252))
        #expect(report.imported == 1)
        #expect(try service.reader.contact(try service.reader.resolve("ann@example.com"))[.lastName] == "Müller")
        let json = refusal { _ = try service.files.importFile(Data("[]".utf8), format: .json, options: ImportOptions(charset: .isoLatin1)) }
        #expect(json?.map(\.field) == ["--charset"])
    }

    @Test func contactsGoToTheAccountTheImportIsGiven() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let json = #"{"accounts": [{"name": "elsewhere", "provider": "notifuse"}], "contacts": [{"account": "elsewhere", "email": "a@example.com", "custom": {"score": 42}}]}"#
        let report = try service.files.importFile(Data(json.utf8), format: .json, into: ds)
        #expect(report.imported == 1)
        #expect(report.createdAccounts.isEmpty)
        #expect(try service.accounts.accounts().map(\.name) == ["local", "ds"])
        let contact = try service.reader.contact(try service.reader.resolve("a@example.com"))
        #expect(contact.accountID == ds.id)
        #expect(contact.custom["score"] == .text("42"), "DailyStory keeps custom values as text")
    }

    @Test func textFromAFileTakesTheTypeItsAccountDefines() throws {
        let ivvy = try service.accounts.createAccount(name: "ivvy", provider: .ivvy)
        try cache.setFieldDefinitions([
            FieldDefinition(key: "birth_date", type: .date, providerRef: "5"),
            FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "1", label: "Gold")], providerRef: "7"),
            FieldDefinition(key: "code", type: .text, providerRef: "8"),
        ], accountID: ivvy.id)
        let file = lines("first_name,last_name,email,custom.birth_date,custom.tier,custom.code",
                         "Kim,Park,kim@example.com,1985-03-17,Gold,42")
        #expect(try service.files.importFile(file, format: .csv, into: ivvy).imported == 1)
        let kim = try service.reader.contact(try service.reader.resolve("kim@example.com"))
        #expect(kim.custom == ["birth_date": .date(day("1985-03-17")), "tier": .select("1"), "code": .text("42")])

        let bad = lines("first_name,last_name,email,custom.tier", "Lee,Wu,lee@example.com,Bronze")
        #expect(refusedImport(bad, format: .csv, into: ivvy)?.hasPrefix("line 2: custom.tier: “Bronze” is not one of the options") == true)
        let undefined = lines("first_name,last_name,email,custom.shoe", "Lee,Wu,lee@example.com,44")
        #expect(refusedImport(undefined, format: .csv, into: ivvy)?.hasPrefix("line 2: custom.shoe: is not one of the custom fields") == true)
        #expect(try service.reader.contactCount(in: .account(ivvy.id)) == 1)
    }

    @Test func providerIdsStayWithTheAccountTheFileNames() throws {
        let file = Data("""
            {"format": "rolo-contacts", "version": 1,
             "accounts": [{"name": "ds", "provider": "dailystory"}],
             "contacts": [{"account": "ds", "email": "a@example.com", "remote": {"id": "43aaf"}}]}
            """.utf8)
        let other = try service.accounts.createAccount(name: "ds-eu", provider: .dailystory)
        let moved = try service.files.importFile(file, format: .json, into: other)
        #expect(moved.imported == 1)
        #expect(moved.warnings.map(\.message) == ["1 contact had provider ids of another account; they are new in ds-eu and will be created there"])
        #expect(try cache.tableCounts() == TableCounts(contacts: 1, outbox: 1, audit: 1, remoteLinks: 0), "queued as a create, not linked")

        let (fresh, freshCache) = try freshService()
        #expect(try fresh.files.importFile(file, format: .json).warnings.isEmpty)
        #expect(try freshCache.tableCounts() == TableCounts(contacts: 1, outbox: 0, audit: 1, remoteLinks: 1), "linked where the file says")
    }

    // MARK: - All or nothing

    @Test func aRecordTheAccountRefusesStopsTheWholeCSVImportAtItsLine() throws {
        let file = lines("email,first_name,custom.score", "ann@example.com,Ann,1", "not-an-address,Bob,2", "cy@example.com,Cy,3")
        let message = try #require(refusedImport(file, format: .csv))
        #expect(message.hasPrefix("line 3: email: “not-an-address” is not an email address"))
        #expect(try cache.tableCounts() == TableCounts(contacts: 0, outbox: 0, audit: 0, remoteLinks: 0))
    }

    @Test func aMalformedCSVRowIsNamedByItsLine() throws {
        let file = lines("email,first_name", "ann@example.com,Ann", "bob@example.com,Bob,extra")
        #expect(refusedImport(file, format: .csv) == "line 3: has 3 cells; the header has 2")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func aBadRecordInAJSONFileIsNamedByTheLineItStartsOn() throws {
        let json = """
            [
              {"email": "ann@example.com"},
              {
                "email": "bob@example.com",
                "first_name": 7
              },
              {"email": "cy@example.com"}
            ]
            """
        #expect(refusedImport(Data(json.utf8), format: .json) == "line 3: first_name: must be a string, not 7")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func jsonThatDoesNotParseIsNamedByItsLine() throws {
        let json = "[\n  {\"email\": \"ann@example.com\"},\n  {\"email\": }\n]\n"
        let message = try #require(refusedImport(Data(json.utf8), format: .json))
        #expect(message.hasPrefix("line 3: not valid JSON"), "\(message)")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func aVCardWithoutItsEndStopsTheImport() throws {
        let file = lines("BEGIN:VCARD", "VERSION:4.0", "FN:Ann", "EMAIL:ann@example.com", "END:VCARD",
                         "BEGIN:VCARD", "VERSION:4.0", "FN:Bob", "EMAIL:bob@example.com")
        #expect(refusedImport(file, format: .vcard) == "line 6: BEGIN:VCARD here has no END:VCARD")
        #expect(try service.reader.contactCount(in: .all) == 0)
    }

    @Test func aFileTheAccountCannotTakeIsRefusedWhole() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse)
        let missing = lines("email,first_name", "ann@example.com,Ann", ",Bob")
        #expect(refusedImport(missing, format: .csv, into: nf) == "line 3: email: Notifuse needs email")
        // The same email twice is the same contact: the second is a duplicate, skipped by default.
        let twice = lines("email,first_name", "ann@example.com,Ann", "ANN@example.com,Annie")
        let added = refusedImport(twice, format: .csv, into: nf, onDuplicate: .add)
        #expect(added?.hasPrefix("line 3: email: ANN@example.com is already used in nf") == true, "\(String(describing: added))")
        #expect(try service.reader.contactCount(in: .account(nf.id)) == 0)
    }

    @Test func aUIDAlreadyInTheCacheOrTwiceInTheFileIsOneContact() throws {
        let uid = "0b7f4a52-5c0e-4e39-9f3a-7d2c1e6b8a90"
        let twice = "[{\"uid\": \"\(uid)\", \"email\": \"a@example.com\"},\n {\"uid\": \"\(uid.uppercased())\", \"email\": \"b@example.com\"}]"
        let report = try service.files.importFile(Data(twice.utf8), format: .json)
        #expect(report.imported == 1 && report.duplicates.skipped == 1 && report.duplicates.byUID == 1)
        #expect(try service.reader.contactCount(in: .all) == 1)

        let once = "[{\"uid\": \"\(uid)\", \"email\": \"c@example.com\"}]"
        #expect(try service.files.importFile(Data(once.utf8), format: .json).imported == 0, "importing it again")
        #expect(try service.reader.contactCount(in: .all) == 1)
    }

    @Test func anAccountOfAProviderRoloDoesNotKnowIsRefusedNamingItsLine() throws {
        let file = Data("""
            {"format": "rolo-contacts", "version": 1,
             "accounts": [
               {"name": "crm", "provider": "salesforce"}
             ],
             "contacts": [{"account": "crm", "fields": {"email": "a@example.com"}}]}
            """.utf8)
        let issues = try #require(refusal { _ = try service.files.importFile(file, format: .json) })
        #expect(issues.first?.field == "line 3")
        #expect(issues.first?.message == "accounts: account crm names the provider “salesforce”, which rolo does not know "
            + "(local, dailystory, notifuse, ivvy)")
        #expect(try service.accounts.accounts().map(\.name) == ["local"], "nothing of the refused file stays")
    }

    @Test func skippingInvalidRecordsImportsTheRestAndListsWhatWasLeftOut() throws {
        let file = lines("email,first_name", "ann@example.com,Ann", "not-an-address,Bob", "cy@example.com,Cy,extra", "dee@example.com,Dee")
        let report = try service.files.importFile(file, format: .csv, skipInvalid: true)
        #expect(report.imported == 2)
        #expect(report.skipped.map(\.line).sorted() == [3, 4])
        #expect(report.skipped.first { $0.line == 3 }?.message.hasPrefix("email: “not-an-address”") == true)
        #expect(report.skipped.first { $0.line == 4 }?.message == "has 3 cells; the header has 2")
        #expect(try service.listedNames() == ["Ann", "Dee"])
        #expect(try cache.undoableEditCount(in: .all) == 2)
    }

    @Test func skippingInvalidCardsKeepsTheGoodOnes() throws {
        let file = lines("BEGIN:VCARD", "VERSION:4.0", "FN:Ann", "EMAIL:ann@example.com", "END:VCARD",
                         "BEGIN:VCARD", "VERSION:9.9", "FN:Bob", "EMAIL:bob@example.com", "END:VCARD")
        let report = try service.files.importFile(file, format: .vcard, skipInvalid: true)
        #expect(report.imported == 1)
        #expect(report.skipped.map(\.line) == [7])
        #expect(try service.listedNames() == ["Ann"])
    }

    // MARK: - Contacts already at a provider

    /// A contact's "Last synced" agrees with its account's: a file from an account never
    /// synced gives contacts never synced, whenever they are imported.
    @Test func linkedContactsOfAnAccountNeverSyncedHaveNoSyncTime() throws {
        let json = """
            {"format": "rolo-contacts", "version": 1,
             "accounts": [{"name": "nf", "provider": "notifuse", "settings": {}}],
             "contacts": [{"account": "nf", "email": "rob@example.com", "remote": {"id": "rob@example.com"}}]}
            """
        _ = try service.files.importFile(Data(json.utf8), format: .json)
        let nf = try service.accounts.account(named: "nf")
        #expect(try service.accounts.lastSync(accountID: nf.id) == nil)
        #expect(try service.reader.detail(try service.reader.resolve("rob@example.com")).remoteLink?.syncedAt == nil)
    }

    @Test func contactsWithAProviderIDArriveLinkedWithNothingToSend() throws {
        let json = """
            {"format": "rolo-contacts", "version": 1,
             "accounts": [{"name": "ds", "provider": "dailystory", "settings": {"data_center": "us-1"},
                           "last_sync_at": "2025-09-23T20:50:49Z"}],
             "contacts": [
               {"account": "ds", "email": "rob@example.com", "first_name": "Rob",
                "remote": {"id": "43aaf5af35f866b1edba7", "modified_at": "2025-09-23T20:50:49.373"}},
               {"account": "ds", "email": "new@example.com"}
             ]}
            """
        let report = try service.files.importFile(Data(json.utf8), format: .json)
        #expect(report.imported == 2)
        #expect(report.createdAccounts == ["ds"])
        let ds = try service.accounts.account(named: "ds")
        #expect(ds.provider == .dailystory)
        #expect(ds.settings == ["data_center": "us-1"])
        #expect(try service.accounts.lastSync(accountID: ds.id) == instant("2025-09-23T20:50:49Z"))

        let rob = try service.reader.resolve("43aaf5af35f866b1edba7")
        #expect(try service.reader.contact(rob)[.email] == "rob@example.com")
        let detail = try service.reader.detail(rob)
        #expect(detail.remoteLink?.remoteID == "43aaf5af35f866b1edba7")
        #expect(detail.remoteLink?.remoteModifiedAt == "2025-09-23T20:50:49.373")
        #expect(detail.remoteLink?.syncedAt == instant("2025-09-23T20:50:49Z"), "synced when its account was, not when imported")
        #expect(detail.syncState == .synced)
        #expect(try service.reader.outbox(for: rob).isEmpty, "no create is queued for a contact the provider has")
        #expect(try service.reader.audit(for: rob).map(\.action) == ["import"])
        #expect(try service.reader.audit(for: rob).first?.author == editor)

        let new = try service.reader.resolve("new@example.com")
        #expect(try service.reader.outbox(for: new).map(\.kind) == [.create])
        #expect(try service.accounts.deliveryStatus(in: .account(ds.id)).pending == 1)
        #expect(try cache.tableCounts() == TableCounts(contacts: 2, outbox: 1, audit: 2, remoteLinks: 1))
    }

    @Test func aProviderIDIsRefusedForALocalContactOrWhenItIsTaken() throws {
        let local = #"[{"email": "a@example.com", "remote": {"id": "r-1"}}]"#
        #expect(refusedImport(Data(local.utf8), format: .json) == "line 1: remote: a local account has no provider ids")

        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let twice = "[{\"email\": \"a@example.com\", \"remote\": {\"id\": \"r-1\"}},\n {\"email\": \"b@example.com\", \"remote\": {\"id\": \"r-1\"}}]"
        #expect(refusedImport(Data(twice.utf8), format: .json, into: ds) == "line 2: remote: ds already has a contact with id r-1")
        #expect(try cache.tableCounts() == TableCounts(contacts: 0, outbox: 0, audit: 0, remoteLinks: 0))

        let once = #"[{"email": "a@example.com", "remote": {"id": "r-1"}}]"#
        #expect(try service.files.importFile(Data(once.utf8), format: .json, into: ds).imported == 1)
        let again = #"[{"email": "c@example.com", "remote": {"id": "r-1"}}]"#
        #expect(refusedImport(Data(again.utf8), format: .json, into: ds) == "line 1: remote: ds already has a contact with id r-1")
        #expect(try cache.tableCounts().remoteLinks == 1)
    }

    @Test func anAccountTheFileNamesButDoesNotDescribeIsRefused() throws {
        let json = #"[{"account": "ghost", "email": "a@example.com"}]"#
        #expect(refusedImport(Data(json.utf8), format: .json) == "line 1: account ghost does not exist and the file does not describe it")
        #expect(try service.accounts.accounts().map(\.name) == ["local"])
    }
}

@Suite("Files: export and round trips")
struct ExportTests {
    let service: RoloServices
    let cache: LocalCache
    let local: Account

    init() throws {
        (service, cache) = try freshService()
        local = try service.accounts.defaultAccount()
    }

    func addPeople() throws {
        for (first, city) in [("Ann", "Dallas"), ("Bob", "Austin"), ("Cy", "Dallas")] {
            _ = try service.editor.add(try assignments("first_name=\(first)", "email=\(first.lowercased())@example.com", "city=\(city)"), to: local)
        }
    }

    func exported(_ format: InterchangeFormat, scope: AccountScope = .all, query: String? = nil,
                  from source: RoloServices? = nil) throws -> String {
        var text = ""
        _ = try (source ?? service).files.export(in: scope, matching: query.map(ContactQuery.init), format: format) { text += $0 }
        return text
    }

    @Test func anExportWritesOnlyTheContactsTheQueryMatchesInListOrder() throws {
        try addPeople()
        var text = ""
        let written = try service.files.export(in: .all, matching: ContactQuery("city:dallas"), format: .csv) { text += $0 }
        #expect(written == 2)
        let rows = text.split(whereSeparator: \.isNewline)
        #expect(rows.count == 3)
        #expect(rows[1].contains("ann@example.com"))
        #expect(rows[2].contains("cy@example.com"))
        #expect(!text.contains("bob@example.com"))
    }

    @Test func anExportOfOneAccountLeavesTheOthersOut() throws {
        try addPeople()
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        _ = try service.editor.add(try assignments("email=dee@example.com", "plan=gold"), to: ds)
        let document = try JSONValue.parse(try exported(.json, scope: .account(ds.id)))
        guard case .array(let contacts)? = document["contacts"], case .array(let accounts)? = document["accounts"] else {
            Issue.record("not a rolo document")
            return
        }
        #expect(contacts.map { $0["email"] } == [.string("dee@example.com")])
        #expect(contacts.first?["account"] == .string("ds"))
        #expect(accounts.map { $0["name"] } == [.string("ds")])
        #expect(try exported(.json, scope: .account(ds.id), query: "nomatch").contains("\"contacts\": []"))
    }

    @Test func deletedContactsAreNotExported() throws {
        try addPeople()
        try service.editor.delete(try service.reader.resolve("bob@example.com"))
        let text = try exported(.vcard)
        #expect(text.components(separatedBy: "BEGIN:VCARD").count - 1 == 2)
        #expect(!text.contains("bob@example.com"))
    }

    @Test func anExportFileIsReadableByItsOwnerOnlyAndReplacesTheOldOne() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try addPeople()
        let path = folder.file("dallas.csv")
        try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        #expect(try service.files.exportFile(in: .all, matching: ContactQuery("city:dallas"), toPath: path) == 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("old contents"))
        #expect(text.split(whereSeparator: \.isNewline).count == 3)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["dallas.csv"], "no partial file is left behind")
    }

    @Test func anExportFileTakesItsFormatFromItsNameUnlessOneIsGiven() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try addPeople()
        #expect(try service.files.exportFile(in: .all, matching: nil, toPath: folder.file("people.vcf")) == 3)
        #expect(try String(contentsOfFile: folder.file("people.vcf"), encoding: .utf8).hasPrefix("BEGIN:VCARD"))
        #expect(try service.files.exportFile(in: .all, toPath: folder.file("people.txt"), format: .json) == 3)
        #expect(try String(contentsOfFile: folder.file("people.txt"), encoding: .utf8).contains("\"format\": \"rolo-contacts\""))

        let issues = try #require(refusal { _ = try service.files.exportFile(in: .all, matching: nil, toPath: folder.file("people.dat")) })
        #expect(issues.first?.field == "file")
        #expect(issues.first?.message.hasPrefix("name it .json, .csv or .vcf") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.file("people.dat")))
    }

    @Test func anExportIntoAMissingFolderFailsWithoutLeavingAFile() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("missing/people.json")
        let error = #expect(throws: RoloError.self) { try service.files.exportFile(in: .all, matching: nil, toPath: path) }
        #expect(error?.description == "cannot write \(path): No such file or directory", "it says why")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + ".rolo-partial"))
    }

    // MARK: - Round trips

    /// A contact holding one custom value of every type, and provider data rolo does not model.
    func everyType() throws -> Contact {
        var contact = Contact(accountID: local.id, fields: [.firstName: "Zoë", .lastName: "Müller", .email: "zoe@example.com",
                                                            .notes: "line one\nline two", .smsOptOut: "true"],
                              custom: ["remark": .text("  spaced, \"quoted\"  "), "score": .number(42.5),
                                       "seen": .datetime(instant("2023-06-01T09:00:00.125Z")), "renewal": .date(day("2024-02-29")),
                                       "vip": .bool(true), "prefs": .json(.object(["theme": .string("dark"), "n": .array([.number(1)])])),
                                       "tier": .select("gold"), "tags": .multiselect(["a", "b,c"])],
                              createdAt: instant("2025-03-01T09:00:00Z"))
        contact.extensions = ["dailystory": .object(["geoCode": .string("33.8731,-93.8607")])]
        return try service.editor.create(contact).contact
    }

    @Test func aJSONRoundTripKeepsEveryTypedValueAndTheContactsIdentity() throws {
        let original = try everyType()
        let (copy, _) = try freshService()
        let report = try copy.files.importFile(Data(try exported(.json).utf8), format: .json)
        #expect(report.imported == 1)
        let back = try copy.reader.contact(try copy.reader.resolve("zoe@example.com"))
        #expect(back.uid == original.uid)
        #expect(back.fields == original.fields)
        #expect(back.custom == original.custom)
        #expect(back.extensions == original.extensions)
        #expect(back.createdAt == original.createdAt)
    }

    @Test func aVCardRoundTripKeepsEveryTypedValue() throws {
        let original = try everyType()
        let (copy, _) = try freshService()
        #expect(try copy.files.importFile(Data(try exported(.vcard).utf8), format: .vcard).imported == 1)
        let back = try copy.reader.contact(try copy.reader.resolve("zoe@example.com"))
        #expect(back.uid == original.uid)
        #expect(back.fields == original.fields)
        #expect(back.custom == original.custom)
    }

    @Test func aCSVRoundTripIntoAnAccountWithDefinitionsKeepsTheTypes() throws {
        let defined: [FieldDefinition] = [
            FieldDefinition(key: "renewal", type: .date), FieldDefinition(key: "tier", type: .select, options: [SelectOption(value: "gold")]),
            FieldDefinition(key: "tags", type: .multiselect, options: [SelectOption(value: "a"), SelectOption(value: "b,c")]),
            FieldDefinition(key: "code", type: .text), FieldDefinition(key: "seen", type: .datetime),
        ]
        // As a provider defines them (iVvy's options may hold commas; rolo's own may not).
        try cache.setFieldDefinitions(defined, accountID: local.id)
        let original = try service.editor.create(Contact(accountID: local.id, fields: [.email: "ann@example.com"], custom: [
            "renewal": .date(day("2024-02-29")), "tier": .select("gold"), "tags": .multiselect(["a", "b,c"]),
            "code": .text("007"), "seen": .datetime(instant("2023-06-01T09:00:00Z")), "score": .number(3),
        ])).contact

        let (copy, copyCache) = try freshService()
        try copyCache.setFieldDefinitions(try service.accounts.fieldDefinitions(accountID: local.id), accountID: try copy.accounts.defaultAccount().id)
        #expect(try copy.files.importFile(Data(try exported(.csv).utf8), format: .csv).imported == 1)
        let back = try copy.reader.contact(try copy.reader.resolve("ann@example.com"))
        #expect(back.custom == original.custom)
        #expect(back.uid == original.uid)
    }

    @Test func editsNotYetSentAreQueuedAgainInTheCacheAnExportMovesTo() throws {
        let ds = try service.accounts.createAccount(name: "ds", provider: .dailystory)
        let pulled = Contact(accountID: ds.id, fields: [.email: "kim@example.com", .city: "Austin", .jobTitle: "CFO"],
                             custom: ["plan": .text("gold")])
        let id = try cache.insertContacts([pulled], remotes: [RemoteReference(id: "r-1", modifiedAt: nil)], author: editor)[0]
        _ = try service.editor.update(id, assignments: try assignments("city=Dallas", "plan=platinum", "job_title="))
        let text = try exported(.json)
        #expect(text.contains("\"base\""))

        let (copy, _) = try freshService()
        _ = try copy.files.importFile(Data(text.utf8), format: .json)
        let moved = try copy.reader.resolve("kim@example.com")
        #expect(try copy.reader.contact(moved)[.city] == "Dallas")
        let copyCache = copy.cache
        #expect(try copy.reader.outbox(for: moved).map(\.kind) == [.update])
        #expect(Set(try copyCache.pendingChanges(for: moved)) == [
            FieldDelta(key: .standard(.city), before: .text("Austin"), after: .text("Dallas")),
            FieldDelta(key: .standard(.jobTitle), before: .text("CFO"), after: nil),
            FieldDelta(key: .custom("plan"), before: .custom(.text("gold")), after: .custom(.text("platinum"))),
        ])
        #expect(try copy.accounts.deliveryStatus(in: .all).pending == 1)

        // Exported again from the copy, the base still travels: nothing is taken as sent.
        let (third, _) = try freshService()
        var again = ""
        _ = try copy.files.export(in: .all, format: .json) { again += $0 }
        _ = try third.files.importFile(Data(again.utf8), format: .json)
        #expect(try third.accounts.deliveryStatus(in: .all).pending == 1)
    }

    @Test func aWholeCacheMovesToAnotherWithItsAccountsFieldsAndProviderLinks() throws {
        let nf = try service.accounts.createAccount(name: "nf", provider: .notifuse, settings: ["workspace_id": "ws_1"])
        _ = try service.accounts.addCustomField(key: "plan", type: .text, label: "Plan", to: nf)
        _ = try service.accounts.addCustomField(key: "ltv", type: .number, to: nf)
        try cache.setLastSync(accountID: nf.id, at: instant("2026-11-24T08:00:00Z"))
        let pulled = Contact(accountID: nf.id, fields: [.email: "linked@example.com"], custom: ["ltv": .number(99)])
        _ = try cache.insertContacts([pulled], remotes: [RemoteReference(id: "linked@example.com", modifiedAt: "2026-11-24T07:59:00Z")],
                                     author: editor)
        _ = try service.editor.add(try assignments("email=pending@example.com", "plan=gold"), to: nf)
        _ = try service.editor.add(try assignments("email=local@example.com"), to: local)
        let text = try exported(.json)

        let (copy, copyCache) = try freshService()
        let report = try copy.files.importFile(Data(text.utf8), format: .json)
        #expect(report.imported == 3)
        #expect(report.createdAccounts == ["nf"])

        let copiedNF = try copy.accounts.account(named: "nf")
        #expect(copiedNF.provider == .notifuse)
        #expect(copiedNF.settings == ["workspace_id": "ws_1"])
        #expect(try copy.accounts.fieldDefinitions(accountID: copiedNF.id) == (try service.accounts.fieldDefinitions(accountID: nf.id)))
        #expect(try copy.accounts.lastSync(accountID: copiedNF.id) == instant("2026-11-24T08:00:00Z"))

        let linked = try copy.reader.resolve("linked@example.com", in: .account(copiedNF.id))
        #expect(try copy.reader.detail(linked).remoteLink?.remoteID == "linked@example.com")
        #expect(try copy.reader.detail(linked).remoteLink?.remoteModifiedAt == "2026-11-24T07:59:00Z")
        #expect(try copy.reader.outbox(for: linked).isEmpty)
        #expect(try copy.reader.contact(linked).custom["ltv"] == .number(99))
        let pending = try copy.reader.resolve("pending@example.com")
        #expect(try copy.reader.outbox(for: pending).map(\.kind) == [.create])
        #expect(try copy.reader.contact(pending).custom["plan"] == .text("gold"))
        #expect(try copy.reader.contact(try copy.reader.resolve("local@example.com")).accountID == (try copy.accounts.defaultAccount().id))
        // The local account's contact waits for nothing: only the Notifuse one is queued.
        #expect(try copyCache.tableCounts() == TableCounts(contacts: 3, outbox: 1, audit: 3, remoteLinks: 1))
    }
}

@Suite("Large imports and the full-text index")
struct ImportIndexTests {
    static func file(_ names: [String]) -> Data {
        Data(("[" + names.map { "{\"first_name\": \"\($0)\", \"email\": \"\($0.lowercased())@example.com\"}" }
            .joined(separator: ",\n") + "]").utf8)
    }

    @Test func importsFindableWhateverTheirSizeAndTheIndexMergesAsBefore() throws {
        let service = RoloServices(cache: try LocalCache(catalog: .standard), author: Author(user: "t", clientAddress: nil))
        // Larger than the cache (empty): merged once at the end. Then a small one into it.
        let first = (0..<2500).map { "Name\($0)x" }
        #expect(try service.files.importFile(ImportIndexTests.file(first), format: .json).imported == 2500)
        #expect(try service.files.importFile(ImportIndexTests.file(["Zed", "Ann"]), format: .json).imported == 2)
        for name in ["name1234x", "zed", "ann", "name0x", "name2499x"] {
            #expect(try service.reader.window(in: .all, matching: ContactQuery(name), limit: 5).rows.count == 1, "\(name)")
        }
        #expect(try service.reader.count(in: .all, matching: ContactQuery("name")) == 2500)
    }
}

extension ImportIndexTests {
    @Test func contactsMovedToMakeRoomKeepTheirOwnIndexRowsDuringAnImport() throws {
        let service = RoloServices(cache: try LocalCache(catalog: .standard), author: Author(user: "t", clientAddress: nil))
        // Each name sorts just after "Mkey" and before the one before it, so every contact lands
        // in the same, halving gap of the list order: the neighbours are moved to make room
        // while their index rows still wait in the import's batch.
        let names = ["Mkey", "Nkey"] + (0..<80).map { "Mkey" + String(repeating: "z", count: 80 - $0) }
        let records = names.enumerated().map { index, name in
            "{\"first_name\": \"\(name)\", \"last_name\": \"Person\(index)x\", \"email\": \"p\(index)@example.com\"}"
        }
        #expect(try service.files.importFile(Data(("[" + records.joined(separator: ",\n") + "]").utf8), format: .json).imported == 82)
        for index in names.indices {
            let rows = try service.reader.window(in: .all, matching: ContactQuery("person\(index)x"), limit: 5).rows
            #expect(rows.map(\.displayName) == ["\(names[index]) Person\(index)x"], "contact \(index)")
        }
        #expect(try service.reader.count(in: .all, matching: ContactQuery("mkey")) == 81)
    }
}
