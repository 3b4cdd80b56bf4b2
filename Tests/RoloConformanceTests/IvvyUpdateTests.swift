import Foundation
import Testing
import RoloConformance
import RoloCore
import RoloEmulators
import RoloProviders
import RoloStore
import RoloSync

/// iVvy's `addOrUpdateContact` replaces whole sets (`groups` always, `customFields` perhaps,
/// §3.6, §3.9): a whole sync through the emulator shows that an edit here leaves at iVvy what
/// it did not change, as iVvy has it.
@Suite("iVvy: an update leaves what rolo did not change as iVvy has it")
struct IvvyUpdateTests {
    func edit(_ cache: ConformanceCache, _ email: String, _ assignments: String...) throws {
        _ = try cache.services.editor.update(try cache.services.reader.resolve(email),
                                             assignments: try assignments.map { try FieldAssignment(parsing: $0) })
    }

    /// The `addOrUpdateContact` bodies the emulator received since `clearRequests`.
    func writes(_ harness: IvvyHarness) throws -> [EmulatorJSON] {
        try harness.emulator.requests.filter { $0.target.hasSuffix("action=addOrUpdateContact") }.map { try EmulatorJSON(parsing: $0.body) }
    }

    @Test func anEditLeavesAMembershipAddedAtIvvySinceItWasRead() async throws {
        let harness = try await IvvyHarness.start()
        // Ann was last changed long ago; Bob just now, so the next listing starts well after Ann.
        let id = try #require(try harness.emulator.webUI.seed([
            ["firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "groups": [["groupId": 10]], "companies": [4],
             "modifiedDate": "2025-01-01 00:00:00 UTC"],
            ["firstName": "Bob", "lastName": "Ray", "email": "bob@example.com"],
        ]).first)
        let cache = try ConformanceCache(harness)
        let first = try await cache.run()
        #expect(first.isClean, "\(first.summary)")
        // Someone adds her to a group; as that need not move her modifiedDate, rolo does not read it.
        #expect(harness.emulator.webUI.addToSubscriptionGroup(57138, contacts: [id]) == [true])
        harness.clearRequests()

        try edit(cache, "ann@example.com", "first_name=Anne")
        let second = try await cache.run()
        #expect(second.isClean, "\(second.summary) \(second.failures)")
        let sent = try writes(harness)
        #expect(sent == [["id": .number(Double(id)), "firstName": "Anne"]], "\(sent)")
        let stored = try #require(harness.emulator.store.contact(id: id))
        #expect(stored["firstName"] == "Anne")
        #expect(stored["groups"]?.arrayValue?.map { $0["groupId"] } == [10, 57138])
        #expect(stored["companies"] == [4])
        await harness.stop()
    }

    /// Whichever way iVvy takes `customFields` on an update (§3.6 UNKNOWN), editing one value
    /// leaves the others as iVvy had them: a Date iVvy gave as a timestamp is not cut to its
    /// day.
    @Test(arguments: [IVVYEmulator.CustomFieldsOnUpdate.replaceAll, .mergeListed])
    func anEditOfOneCustomValueLeavesTheOthersAsIvvyHadThem(_ reading: IVVYEmulator.CustomFieldsOnUpdate) async throws {
        let harness = try await IvvyHarness.start(configure: { $0.customFieldsOnUpdate = reading })
        let id = try harness.emulator.webUI.add(["firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "customFields": [
            ["fieldId": 5, "value": "1985-03-17 23:00:00 UTC"], ["fieldId": 33443, "value": "Yes"],
        ]])
        let cache = try ConformanceCache(harness)
        let first = try await cache.run()
        #expect(first.isClean, "\(first.summary)")
        #expect(try cache.contact("ann@example.com").custom["birth_date"] == .date(LocalDate(iso: "1985-03-17")!))

        try edit(cache, "ann@example.com", "newsletter=No")
        let second = try await cache.run()
        #expect(second.isClean, "\(second.summary) \(second.failures)")
        #expect(harness.emulator.store.contact(id: id)?["customFields"] == [
            ["fieldId": 5, "displayName": "Birth Date", "value": "1985-03-17 23:00:00 UTC"],
            ["fieldId": 33443, "displayName": "Newsletter", "value": "No"],
        ])
        await harness.stop()
    }
}
