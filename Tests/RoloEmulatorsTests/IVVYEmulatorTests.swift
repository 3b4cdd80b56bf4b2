import Crypto
import Foundation
import Testing
@testable import RoloEmulators

/// iVvy over HTTP, checked against PROVIDERS.md §3. Requests are signed here by the test's
/// own reading of "Signing the request", not by the emulator's code.
@Suite("iVvy emulator")
struct IVVYEmulatorTests {
    final class Harness: Sendable {
        let emulator: IVVYEmulator
        let clock: TestClock

        init(clock: TestClock = TestClock(), options: (inout IVVYEmulator.Options) -> Void = { _ in }) async throws {
            self.clock = clock
            var settings = IVVYEmulator.Options(clock: clock.clock)
            options(&settings)
            emulator = IVVYEmulator(options: settings)
            try await emulator.start()
        }

        static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
            bytes.map { String(format: "%02x", $0) }.joined()
        }

        static func ivvyTimestamp(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
            return formatter.string(from: date)
        }

        /// A signed call. `signedBody` lets a test sign one body and send another.
        func call(_ namespace: String, _ action: String, _ body: EmulatorJSON? = nil, sentAt: Date? = nil,
                  secret: String? = nil, signedBody: Data? = nil, useDateHeader: Bool = false,
                  method: String = "POST") async throws -> HTTPResult {
            let data = body?.serialized() ?? Data()
            let signed = signedBody ?? data
            let md5 = Self.hex(Insecure.MD5.hash(data: signed))
            let contentType = "application/json; charset=utf-8"
            let uri = "/api/1.0/\(namespace)?action=\(action)"
            let when = sentAt ?? clock.read()
            var headers = ["Content-Type": contentType, "Content-MD5": md5]
            let toSign: String
            if useDateHeader {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "UTC")
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                let date = formatter.string(from: when)
                headers["Date"] = date
                toSign = ("POST" + md5 + contentType + date + uri + "1.0").lowercased()
            } else {
                let ivvyDate = Self.ivvyTimestamp(when)
                headers["IVVY-Date"] = ivvyDate
                toSign = ("POST" + md5 + contentType + uri + "1.0" + "IVVYDate=" + ivvyDate).lowercased()
            }
            let key = SymmetricKey(data: Data((secret ?? emulator.apiSecret).utf8))
            let signature = Self.hex(HMAC<Insecure.SHA1>.authenticationCode(for: Data(toSign.utf8), using: key))
            headers["X-Api-Authorization"] = "IWS \(emulator.apiKey):\(signature)"
            return try await HTTP.send(method, URL(string: emulator.baseURL.absoluteString + uri)!, headers: headers, body: data)
        }

        func add(_ contact: EmulatorJSON) async throws -> Int {
            let reply = try await call("contact", "addOrUpdateContact", contact)
            #expect(reply.json?["success"] == true, "\(reply.text)")
            return try #require(reply.json?["id"]?.wholeNumber)
        }

        deinit { let emulator = emulator; Task { await emulator.stop() } }
    }

    // MARK: Signing

    @Test func theDocsWorkedExampleStringToSignIsReproduced() {
        let headers: [RecordedRequest.Header] = [
            .init(name: "Host", value: "api.ap-southeast-2.ivvy.com"),
            .init(name: "Date", value: "Tue, 03 Apr 2012 22:23:24 UTC"),
            .init(name: "Content-MD5", value: "a09f600c77a6dbd947db24c61e8935ca"),
            .init(name: "Content-Type", value: "application/json"),
            .init(name: "Content-Length", value: "18"),
            .init(name: "X-Api-Version", value: "1.0"),
            .init(name: "X-Api-Authorization", value: "IWS {key:signature here}"),
            .init(name: "IVVY-Date", value: "2012-04-03 22:23:24"),
        ]
        let text = IVVYSignature.stringToSign(method: "POST", contentMD5: "a09f600c77a6dbd947db24c61e8935ca",
                                              contentType: "application/json", date: "Tue, 03 Apr 2012 22:23:24 UTC",
                                              requestURI: "/api/1.0/test?action=ping", apiVersion: "1.0", headers: headers)
        #expect(text == "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24")
        // The docs' HMAC-SHA1 and MD5 examples.
        #expect(IVVYSignature.sign("string to sign", secret: "my secret key") == "a993876ea1218921a1c8551923473da7b310dfae")
        #expect(IVVYSignature.contentMD5(Data()) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(IVVYSignature.contentMD5(Data("string to hash\n".utf8)) == "2fcc83d76f9b2d8ef372271d807a3364")
    }

    @Test func aSignedPingPassesWithIVVYDateOrDate() async throws {
        let h = try await Harness()
        let ping = try await h.call("test", "ping")
        #expect(ping.status == 200)
        #expect(ping.json?["timestamp"] == "2025-12-06 00:00:00 UTC")
        #expect(try await h.call("test", "ping", useDateHeader: true).status == 200)
    }

    @Test func aDateMoreThanFiveMinutesOffIsStale() async throws {
        let h = try await Harness()
        let now = h.clock.read()
        for offset in [-301.0, 301, -3600] {
            let stale = try await h.call("test", "ping", sentAt: now.addingTimeInterval(offset))
            #expect(stale.status == 401)
            #expect(stale.json == ["errorCode": 401, "message": "Request is stale", "specificCode": 23005])
        }
        #expect(try await h.call("test", "ping", sentAt: now.addingTimeInterval(-299)).status == 200)
        #expect(try await h.call("test", "ping", sentAt: now.addingTimeInterval(299)).status == 200)
    }

    @Test func tamperedOrWronglySignedRequestsAreRefused() async throws {
        let h = try await Harness()
        let body: EmulatorJSON = ["perPage": 10]
        // The body changed after signing (Content-MD5 and signature are for another body).
        let tampered = try await h.call("contact", "getContactList", body, signedBody: Data(#"{"perPage":1}"#.utf8))
        #expect(tampered.status == 401)
        #expect(tampered.json?["errorCode"] == 401)
        let wrongSecret = try await h.call("contact", "getContactList", body, secret: "not the secret")
        #expect(wrongSecret.status == 401)
        let unsigned = try await HTTP.send("POST", URL(string: h.emulator.baseURL.absoluteString + "/api/1.0/test?action=ping")!)
        #expect(unsigned.status == 401)
        let viaGet = try await h.call("test", "ping", method: "GET")
        #expect(viaGet.status == 405)
        #expect(try await h.call("contact", "getContactList", body).status == 200)
    }

    @Test func theSignatureCoversTheContentTypeAsSent() async throws {
        let h = try await Harness()
        let uri = "/api/1.0/test?action=ping"
        let date = Harness.ivvyTimestamp(h.clock.read())
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        let toSign = ("POST" + md5 + "application/json" + uri + "1.0" + "IVVYDate=" + date).lowercased()
        let signature = Harness.hex(HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(toSign.utf8), using: SymmetricKey(data: Data(h.emulator.apiSecret.utf8))))
        func send(contentType: String) async throws -> Int {
            try await HTTP.send("POST", URL(string: h.emulator.baseURL.absoluteString + uri)!,
                                headers: ["Content-Type": contentType, "Content-MD5": md5, "IVVY-Date": date,
                                          "X-Api-Authorization": "IWS \(h.emulator.apiKey):\(signature)"]).status
        }
        #expect(try await send(contentType: "application/json") == 200)
        #expect(try await send(contentType: "application/json; charset=utf-8") == 401)
    }

    // MARK: addOrUpdateContact

    @Test func theDocumentedAddAndUpdateRequestsWork() async throws {
        let h = try await Harness()
        let added = try await h.call("contact", "addOrUpdateContact", try Fixture.json("ivvy/add-request.json"))
        #expect(added.status == 200)
        #expect(added.json == (try Fixture.json("ivvy/add-response.json")))
        h.clock.advance(by: 60)
        let updated = try await h.call("contact", "addOrUpdateContact", try Fixture.json("ivvy/update-request.json"))
        #expect(updated.json == ["success": true, "id": 33884])

        let contact = try await h.call("contact", "getContact", ["id": 33884])
        let json = try #require(contact.json)
        #expect(json["firstName"] == "Bobby")
        #expect(json["lastName"] == "Smith")
        #expect(json["status"] == 2)
        #expect(json["externalId"] == "12345")
        #expect(json["companies"] == [4, 5])
        #expect(json["companiesData"]?.arrayValue?.first?["businessName"] == "Company Name 1")
        #expect(json["groups"]?.arrayValue?.map { $0["groupId"] } == [10])
        #expect(json["groups"]?.arrayValue?.first?["joinDate"] == "2025-12-06 00:00:00")
        #expect(json["customFields"] == [["fieldId": 33443, "displayName": "Newsletter", "value": "No"]])
        #expect(json["modifiedDate"] == "2025-12-06 00:01:00 UTC")
        #expect(json["eventInvitations"] == [])
    }

    @Test func requiredAndInvalidParametersGiveTheDocumentedCodes() async throws {
        let h = try await Harness()
        let noLastName = try await h.call("contact", "addOrUpdateContact", ["firstName": "Bob", "email": "bob@example.com"])
        #expect(noLastName.status == 400)
        #expect(noLastName.json == ["errorCode": 400, "message": "'lastName' is required", "specificCode": 23017])
        let noID = try await h.call("contact", "getContact", [:])
        #expect(noID.json == ["errorCode": 400, "message": "'id' is required", "specificCode": 23017])
        // The docs' own example of 23016.
        let wrongID = try await h.call("contact", "getContact", ["id": "wrong"])
        #expect(wrongID.json == ["errorCode": 400, "message": "'id' does not validate", "specificCode": 23016,
                                 "additionalMessages": ["Value must be a whole number"]])
        let valid: [String: EmulatorJSON] = ["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"]
        let invalid: [(String, EmulatorJSON, String)] = [
            ("email", "not-an-email", "email"),
            ("status", 4, "status"),
            ("smsStatus", 5, "smsStatus"),
            ("groups", [["groupId": 999]], "groups"),
            ("companies", [77], "companies"),
            ("customFields", [["fieldId": 33443, "value": "Maybe"]], "customFields"),
            ("customFields", [["fieldId": 1, "value": "x"]], "customFields"),
            ("externalUrls", [["ref": "a", "url": "https://a.example"], ["ref": "b", "url": "https://b.example"],
                              ["ref": "c", "url": "https://c.example"], ["ref": "d", "url": "https://d.example"]], "externalUrls"),
            ("externalUrls", [["ref": "a", "url": "http://plain.example"]], "externalUrls"),
            ("phone", 455550000, "phone"),
        ]
        for (field, value, parameter) in invalid {
            var body = valid
            body[field] = value
            let reply = try await h.call("contact", "addOrUpdateContact", .object(body))
            #expect(reply.status == 400, "\(field)")
            #expect(reply.json?["specificCode"] == 23016, "\(field)")
            #expect(reply.json?["message"] == .string("'\(parameter)' does not validate"), "\(field)")
            #expect(reply.json?["additionalMessages"]?.arrayValue?.isEmpty == false, "\(field)")
        }
        #expect(h.emulator.store.count == 0)
    }

    @Test func customFieldTypesAreChecked() async throws {
        let fields: [IVVYCustomFieldDefinition] = [
            .init(fieldId: 1, fieldType: .smallText, displayName: "Nickname"),
            .init(fieldId: 3, fieldType: .multipleSelect, displayName: "Diet", selectValues: ["veg": "Vegetarian", "gf": "Gluten free"]),
            .init(fieldId: 4, fieldType: .address, displayName: "Postal"),
            .init(fieldId: 5, fieldType: .date, displayName: "Birth Date"),
            .init(fieldId: 7, fieldType: .staticText, displayName: "Notice"),
            .init(fieldId: 8, fieldType: .wholeNumber, displayName: "Visits"),
            .init(fieldId: 9, fieldType: .smallText, displayName: "Member no", isRequired: true),
        ]
        let h = try await Harness { $0.customFields = fields }
        let definitions = try await h.call("contact", "getCustomFieldDefinition")
        #expect(definitions.json?.arrayValue?.count == 7)
        #expect(definitions.json?.arrayValue?.first(where: { $0["fieldId"] == 3 })?["selectValues"] == ["veg": "Vegetarian", "gf": "Gluten free"])
        #expect(definitions.json?.arrayValue?.first(where: { $0["fieldId"] == 9 })?["isRequired"] == true)

        let base: [String: EmulatorJSON] = ["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"]
        let missingRequired = try await h.call("contact", "addOrUpdateContact", .object(base))
        #expect(missingRequired.json?["specificCode"] == 23017)
        func add(_ fields: EmulatorJSON) async throws -> HTTPResult {
            var body = base
            body["customFields"] = .array([["fieldId": 9, "value": "M-1"]] + (fields.arrayValue ?? []))
            return try await h.call("contact", "addOrUpdateContact", .object(body))
        }
        let good = try await add([["fieldId": 1, "value": "Bobby"], ["fieldId": 3, "value": ["veg", "gf"]],
                                  ["fieldId": 4, "value": ["line1": "1 Main St", "city": "Brisbane", "countryCode": "AU"]],
                                  ["fieldId": 5, "value": "1985-03-17 23:00:00 UTC"], ["fieldId": 8, "value": 12]])
        #expect(good.json?["success"] == true, "\(good.text)")
        for bad: EmulatorJSON in [[["fieldId": 3, "value": "veg"]], [["fieldId": 3, "value": ["vegan"]]],
                                  [["fieldId": 4, "value": "1 Main St"]], [["fieldId": 5, "value": "17/03/1985"]],
                                  [["fieldId": 7, "value": "x"]], [["fieldId": 8, "value": 1.5]], [["fieldId": 1, "value": 3]]] {
            let reply = try await add(bad)
            #expect(reply.json?["specificCode"] == 23016, "\(bad)")
        }
        let commaSeparated = try await Harness { $0.customFields = fields; $0.multipleSelectFormat = .commaSeparated }
        var body = base
        body["customFields"] = [["fieldId": 9, "value": "M-2"], ["fieldId": 3, "value": "veg,gf"]]
        #expect(try await commaSeparated.call("contact", "addOrUpdateContact", .object(body)).json?["success"] == true)
    }

    @Test func updateIfExistsMatchesFirstNameLastNameAndEmail() async throws {
        let h = try await Harness()
        let person: [String: EmulatorJSON] = ["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"]
        let first = try await h.add(.object(person))
        var retry = person
        retry["updateIfExists"] = true
        retry["email"] = "BOB@example.com"
        retry["phone"] = "0455550000"
        #expect(try await h.add(.object(retry)) == first)
        #expect(h.emulator.store.contact(id: first)?["phone"] == "0455550000")
        var otherName = retry
        otherName["firstName"] = "Robert"
        #expect(try await h.add(.object(otherName)) != first)
        #expect(try await h.add(.object(person)) != first)
        #expect(h.emulator.store.count == 3)
    }

    @Test func groupsReplaceEveryMembership() async throws {
        let h = try await Harness()
        let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com",
                                  "groups": [["groupId": 10], ["groupId": 57138]]])
        h.clock.advance(by: 3600)
        _ = try await h.add(["id": .number(Double(id)), "groups": [["groupId": 57138]]])
        let groups = try #require(h.emulator.store.contact(id: id)?["groups"]?.arrayValue)
        #expect(groups.map { $0["groupId"] } == [57138])
        #expect(groups.first?["joinDate"] == "2025-12-06 00:00:00")
        let list = try await h.call("contact", "getSubscriptionGroupList")
        #expect(list.json?.arrayValue?.map { $0["memberCount"] } == [0, 1])
        _ = try await h.add(["id": .number(Double(id)), "groups": []])
        #expect(h.emulator.store.contact(id: id)?["groups"] == [])
    }

    @Test func theSubscriptionGroupActionsChangeOneMembershipAndKeepTheOthers() async throws {
        let h = try await Harness()
        let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com", "groups": [["groupId": 10]]])
        let modified = h.emulator.store.contact(id: id)?["modifiedDate"]
        h.clock.advance(by: 60)
        let added = try await h.call("contact", "addContactsToSubscriptionGroup", ["contacts": [.number(Double(id)), 999999], "group": 57138])
        #expect(added.status == 200)
        #expect(added.json == [["contactId": .number(Double(id)), "status": true], ["contactId": 999999, "status": false]])
        let groups = try #require(h.emulator.store.contact(id: id)?["groups"]?.arrayValue)
        #expect(groups.map { $0["groupId"] } == [10, 57138])
        #expect(groups.map { $0["joinDate"] } == ["2025-12-06 00:00:00", "2025-12-06 00:01:00"])
        // Whether these actions move modifiedDate is UNKNOWN; by default they do not.
        #expect(h.emulator.store.contact(id: id)?["modifiedDate"] == modified)

        let removed = try await h.call("contact", "removeContactsFromSubscriptionGroup", ["contacts": [.number(Double(id))], "group": 10])
        #expect(removed.json == [["contactId": .number(Double(id)), "status": true]])
        #expect(h.emulator.store.contact(id: id)?["groups"]?.arrayValue?.map { $0["groupId"] } == [57138])

        #expect(try await h.call("contact", "addContactsToSubscriptionGroup", ["group": 10]).json?["specificCode"] == 23017)
        #expect(try await h.call("contact", "addContactsToSubscriptionGroup", ["contacts": [.number(Double(id))]]).json?["specificCode"] == 23017)
        #expect(try await h.call("contact", "addContactsToSubscriptionGroup", ["contacts": ["x"], "group": 10]).json?["specificCode"] == 23016)
        #expect(try await h.call("contact", "addContactsToSubscriptionGroup",
                                 ["contacts": [.number(Double(id))], "group": 999]).json?["specificCode"] == 23016)

        let touching = try await Harness { $0.groupActionsTouchContact = true }
        let other = try await touching.add(["firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"])
        touching.clock.advance(by: 60)
        #expect(touching.emulator.webUI.addToSubscriptionGroup(10, contacts: [other]) == [true])
        #expect(touching.emulator.store.contact(id: other)?["modifiedDate"] == "2025-12-06 00:01:00 UTC")
    }

    @Test func customFieldsOnUpdateReplaceOrMergeByOption() async throws {
        let fields: [IVVYCustomFieldDefinition] = [.init(fieldId: 1, fieldType: .smallText, displayName: "A"),
                                                   .init(fieldId: 2, fieldType: .smallText, displayName: "B")]
        for (mode, expected) in [(IVVYEmulator.CustomFieldsOnUpdate.replaceAll, [2]), (.mergeListed, [1, 2])] {
            let h = try await Harness { $0.customFields = fields; $0.customFieldsOnUpdate = mode }
            let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com",
                                      "customFields": [["fieldId": 1, "value": "one"], ["fieldId": 2, "value": "two"]]])
            _ = try await h.add(["id": .number(Double(id)), "customFields": [["fieldId": 2, "value": "deux"]]])
            #expect(h.emulator.store.contact(id: id)?["customFields"]?.arrayValue?.map { $0["fieldId"]?.wholeNumber ?? 0 } == expected)
        }
    }

    @Test func externalUrlsMergeByRefAndNullRemoves() async throws {
        let h = try await Harness()
        let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com",
                                  "externalUrls": [["ref": "crm", "url": "https://crm.example/1", "label": "CRM"],
                                                   ["ref": "web", "url": "https://example.com"]]])
        _ = try await h.add(["id": .number(Double(id)), "externalUrls": [["ref": "web", "url": nil], ["ref": "new", "url": "https://n.example"]]])
        #expect(h.emulator.store.contact(id: id)?["externalUrls"]?.arrayValue?.compactMap { $0["ref"]?.stringValue } == ["crm", "new"])
        let tooMany = try await h.call("contact", "addOrUpdateContact",
                                       ["id": .number(Double(id)), "externalUrls": [["ref": "x", "url": "https://x.example"],
                                                                                    ["ref": "y", "url": "https://y.example"]]])
        #expect(tooMany.json?["specificCode"] == 23016)
        _ = try await h.add(["id": .number(Double(id)), "externalUrls": nil])
        #expect(h.emulator.store.contact(id: id)?["externalUrls"] == [])
    }

    @Test func someFailuresComeInsideA200() async throws {
        let h = try await Harness()
        let unknown = try await h.call("contact", "addOrUpdateContact", ["id": 424242, "firstName": "Ghost"])
        #expect(unknown.status == 200)
        #expect(unknown.json?["success"] == false)
        #expect(unknown.json?["message"]?.stringValue?.isEmpty == false)
        let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"])
        #expect(h.emulator.webUI.anonymise(id: id))
        let anonymised = try await h.call("contact", "addOrUpdateContact", ["id": .number(Double(id)), "firstName": "Bob"])
        #expect(anonymised.status == 200)
        #expect(anonymised.json?["success"] == false)
        #expect(h.emulator.store.contact(id: id)?["isAnonymised"] == true)
    }

    // MARK: Listing

    @Test func getContactListPagesWithACappedPerPage() async throws {
        let h = try await Harness { $0.perPageCap = 40 }
        let ids = try h.emulator.webUI.seed((0..<95).map { ["firstName": "P", "lastName": .string("\($0)"),
                                                            "email": .string("p\($0)@example.com")] })
        var seen = [Int]()
        var start = 0
        while true {
            let page = try await h.call("contact", "getContactList", ["perPage": 500, "start": .number(Double(start))])
            let meta = try #require(page.json?["meta"])
            #expect(meta["perPage"] == 40)
            #expect(meta["totalResults"] == 95)
            #expect(meta["start"] == .number(Double(start)))
            let results = try #require(page.json?["results"]?.arrayValue)
            #expect(meta["count"] == .number(Double(results.count)))
            seen += results.compactMap { $0["id"]?.wholeNumber }
            start += results.count
            if results.isEmpty || start >= 95 { break }
        }
        #expect(seen == ids)
        let beyond = try await h.call("contact", "getContactList", ["start": 1000])
        #expect(beyond.json?["results"] == [])
        #expect(try await h.call("contact", "getContactList", ["perPage": 0]).json?["specificCode"] == 23016)
    }

    /// The same seed lists the same join dates, whenever it is seeded: a sandbox started again
    /// over the same cache had every group joined "now", which a sync took for iVvy's change.
    @Test func aSeededGroupIsJoinedOnTheSameDayWheneverItIsSeeded() async throws {
        var joinDates: [EmulatorJSON?] = []
        for day: TimeInterval in [0, 86_400 * 30] {
            let h = try await Harness()
            h.clock.advance(by: day)
            try h.emulator.webUI.seed([["firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "groups": [["groupId": 10]]]])
            let page = try await h.call("contact", "getContactList", [:])
            joinDates.append(page.json?["results"]?.arrayValue?.first?["groups"]?.arrayValue?.first?["joinDate"])
        }
        #expect(joinDates[0] == "2024-01-01 00:00:00" && joinDates[1] == joinDates[0], "\(joinDates)")
    }

    @Test func modifiedDateFiltersGiveAnIncrementalListing() async throws {
        let h = try await Harness()
        try h.emulator.webUI.seed([
            ["firstName": "Old", "lastName": "One", "email": "old@example.com", "modifiedDate": "2025-01-01 00:00:00 UTC"],
            ["firstName": "Mid", "lastName": "Two", "email": "mid@example.com", "modifiedDate": "2025-06-01 12:00:00"],
        ])
        let recent = try await h.add(["firstName": "New", "lastName": "Three", "email": "new@example.com", "externalId": "ext-9"])
        func emails(_ filter: EmulatorJSON) async throws -> [String] {
            let reply = try await h.call("contact", "getContactList", ["filter": filter])
            #expect(reply.status == 200, "\(reply.text)")
            return reply.json?["results"]?.arrayValue?.compactMap { $0["email"]?.stringValue } ?? []
        }
        #expect(try await emails(["fromModifiedDate": "2025-06-01 12:00:00"]) == ["mid@example.com", "new@example.com"])
        #expect(try await emails(["fromModifiedDate": "2025-03-01 00:00:00 UTC", "toModifiedDate": "2025-07-01 00:00:00 UTC"])
                == ["mid@example.com"])
        #expect(try await emails(["externalId": "ext-9"]) == ["new@example.com"])
        #expect(try await emails(["email": "OLD@example.com"]) == ["old@example.com"])
        #expect(try await emails(["email__CONTAINS": "d@"]) == ["old@example.com", "mid@example.com"])
        #expect(try await emails(["externalId": "__ISNULL__"]) == ["old@example.com", "mid@example.com"])
        let bad = try await h.call("contact", "getContactList", ["filter": ["fromModifiedDate": "2025-06-01T12:00:00Z"]])
        #expect(bad.json?["specificCode"] == 23016)
        let unknown = try await h.call("contact", "getContactList", ["filter": ["nickname": "x"]])
        #expect(unknown.json?["specificCode"] == 23016)

        // Every change moves modifiedDate, so the next incremental pull sees it.
        h.clock.advance(by: 86_400)
        try h.emulator.webUI.update(id: 33884, ["phone": "0455550000"])
        #expect(try await emails(["fromModifiedDate": "2025-12-06 12:00:00"]) == ["old@example.com"])
        #expect(h.emulator.store.contact(id: recent)?["modifiedDate"] == "2025-12-06 00:00:00 UTC")
    }

    @Test func aDeletedContactVanishesFromGetAndList() async throws {
        let h = try await Harness()
        let id = try await h.add(["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"])
        #expect(h.emulator.webUI.delete(id: id))
        let got = try await h.call("contact", "getContact", ["id": .number(Double(id))])
        #expect(got.status == 404)
        #expect(got.json?["specificCode"] == 24096)
        #expect(got.json?["message"] == "Unable to find contact")
        #expect(try await h.call("contact", "getContactList").json?["meta"]?["totalResults"] == 0)
        #expect(try await h.call("contact", "addOrUpdateContact", ["id": .number(Double(id)), "firstName": "X"]).json?["success"] == false)
    }

    // MARK: Batch and faults

    @Test func aBatchRunsJobsAndReportsResults() async throws {
        let h = try await Harness { $0.batchPollsBeforeCompletion = 2 }
        let jobs: [EmulatorJSON] = [
            ["namespace": "contact", "action": "addOrUpdateContact",
             "params": ["firstName": "Bob", "lastName": "Smith", "email": "bob@example.com"]],
            ["namespace": "contact", "action": "addOrUpdateContact", "params": ["firstName": "NoLast", "email": "x@example.com"]],
        ]
        let run = try await h.call("batch", "run", ["jobs": .array(jobs), "callbackUrl": "https://example.invalid/cb"])
        let asyncID = try #require(run.json?["asyncId"]?.stringValue)
        #expect(asyncID.count == 32)
        let early = try await h.call("batch", "results", ["async": .string(asyncID)])
        #expect(early.json?["specificCode"] == 24114)
        #expect(try await h.call("batch", "progress", ["async": .string(asyncID)]).json == ["progress": 50])
        #expect(try await h.call("batch", "progress", ["async": .string(asyncID)]).json == ["progress": 100])
        let results = try #require(try await h.call("batch", "results", ["async": .string(asyncID)]).json)
        #expect(results["asyncId"] == .string(asyncID))
        let items = try #require(results["results"]?.arrayValue)
        #expect(items.map { $0["response"]?["success"] } == [true, nil])
        #expect(items[1]["response"]?["specificCode"] == 23017)
        #expect(items[0]["request"]?["firstName"] == "Bob")
        #expect(h.emulator.store.count == 1)

        let tooMany = try await h.call("batch", "run", ["jobs": .array(Array(repeating: jobs[0], count: 201))])
        #expect(tooMany.json?["specificCode"] == 24448)
        #expect(try await h.call("batch", "run", ["jobs": []]).json?["specificCode"] == 24093)
        #expect(try await h.call("batch", "run", ["jobs": [["action": "x"]]]).json?["specificCode"] == 24092)
        #expect(try await h.call("batch", "progress", ["async": "nope"]).json?["specificCode"] == 24105)
    }

    @Test func aFaultCanTargetOneAction() async throws {
        let h = try await Harness()
        h.emulator.inject(.status(429, retryAfter: 2), count: 1, path: "/api/1.0/contact?action=getContactList")
        #expect(try await h.call("contact", "getCustomFieldDefinition").status == 200)
        let limited = try await h.call("contact", "getContactList")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "2")
        #expect(limited.json?["errorCode"] == 429)
        #expect(try await h.call("contact", "getContactList").status == 200)
    }
}
