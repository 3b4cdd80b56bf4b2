import Foundation
import Testing
import RoloCore
import RoloInterchange
import RoloStore
@testable import RoloSync

/// Files in and out through the service: all or nothing, lines named, typed values kept.
@Suite("Import and export")
struct ImportExportTests {
    let service: ContactService
    let folder: String

    init() throws {
        service = ContactService(cache: try LocalCache(), author: Author(user: "tester", clientAddress: nil))
        folder = NSTemporaryDirectory() + "rolo-sync-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func csv(_ lines: String...) -> Data { Data((lines.joined(separator: "\n") + "\n").utf8) }

    @Test func aBadRecordNamesItsLineAndNothingIsImported() throws {
        let file = csv("email,first_name,custom.score",
                       "ann@example.com,Ann,1",
                       "not-an-address,Bob,2",
                       "cy@example.com,Cy,3")
        #expect {
            try service.importFile(file, format: .csv)
        } throws: { error in
            "\(error)".contains("line 3")
        }
        #expect(try service.contactCount(in: .all) == 0)
        #expect(try service.outbox().isEmpty)
    }

    @Test func skippingInvalidRecordsImportsTheRestAndListsTheOthers() throws {
        let file = csv("email,first_name", "ann@example.com,Ann", "not-an-address,Bob", "cy@example.com,Cy")
        let report = try service.importFile(file, format: .csv, skipInvalid: true)
        #expect(report.imported == 2)
        #expect(report.skipped.map(\.line) == [3])
        #expect(try service.contactCount(in: .all) == 2)
    }

    @Test func contactsThatCameFromAProviderArriveLinkedWithNothingToSend() throws {
        let json = """
            {"accounts": [{"name": "ds", "provider": "dailystory"}],
             "contacts": [{"account": "ds", "email": "rob@example.com", "first_name": "Rob",
                           "remote": {"id": "43aaf5af35f866b1edba7", "modified_at": "2024-06-15T09:19:23.000"}},
                          {"account": "ds", "email": "new@example.com"}]}
            """
        let report = try service.importFile(Data(json.utf8), format: .json)
        #expect(report.imported == 2)
        #expect(report.createdAccounts == ["ds"])
        let rob = try service.resolve("rob@example.com")
        #expect(try service.outbox(for: rob).isEmpty)
        #expect(try service.detail(rob).remoteLink?.remoteID == "43aaf5af35f866b1edba7")
        #expect(try service.outbox(for: try service.resolve("new@example.com")).map(\.operation) == [.create])
    }

    @Test func aJSONRoundTripKeepsTypedValues() throws {
        let local = try service.defaultAccount()
        _ = try service.add([try FieldAssignment(parsing: "email=ann@example.com"),
                             try FieldAssignment(parsing: "score=42"),
                             try FieldAssignment(parsing: "joined:date=2020-02-29"),
                             try FieldAssignment(parsing: #"prefs={"theme":"dark","tags":["a","b"]}"#),
                             try FieldAssignment(parsing: "notes=two\nlines")], to: local)
        var exported = ""
        #expect(try service.export(in: .all, format: .json) { exported += $0 } == 1)

        let other = ContactService(cache: try LocalCache(), author: Author(user: "tester", clientAddress: nil))
        #expect(try other.importFile(Data(exported.utf8), format: .json).imported == 1)
        let copy = try other.contact(try other.resolve("ann@example.com"))
        #expect(copy.custom["score"] == .number(42))
        #expect(copy.custom["joined"] == .date(LocalDate(year: 2020, month: 2, day: 29)!))
        #expect(copy.custom["prefs"]?.type == .json)
        #expect(copy[.notes] == "two\nlines")
    }

    @Test func anExportFileIsPrivateAndFollowsTheQuery() throws {
        let local = try service.defaultAccount()
        for (email, city) in [("a@example.com", "Dallas"), ("b@example.com", "Austin"), ("c@example.com", "Dallas")] {
            _ = try service.add([try FieldAssignment(parsing: "email=\(email)"), try FieldAssignment(parsing: "city=\(city)")], to: local)
        }
        let path = folder + "/dallas.csv"
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try service.exportFile(in: .all, matching: ContactQuery("city:dallas"), toPath: path) == 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(whereSeparator: \.isNewline).count == 3)   // the header and two contacts
        #expect(!text.contains("b@example.com"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".rolo-partial"))
    }

    @Test func anExportFileNeedsANameThatSaysItsFormat() throws {
        #expect {
            try service.exportFile(in: .all, toPath: folder + "/contacts.txt")
        } throws: { error in
            "\(error)".contains("name it .json, .csv or .vcf")
        }
    }
}
