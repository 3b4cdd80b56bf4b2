import Foundation
import Testing
@testable import RoloEmulators

@Suite("The emulators' JSON value")
struct EmulatorJSONTests {
    @Test func parsesEveryKindAndKeepsBooleansApartFromNumbers() throws {
        let value = try EmulatorJSON(parsing: #"{"a":[1,2.5,-3e2],"b":true,"c":null,"d":"x\u00e9\ud83d\ude00","e":{}}"#)
        #expect(value["a"] == [1, 2.5, -300])
        #expect(value["b"] == .bool(true))
        #expect(value["b"] != .number(1))
        #expect(value["c"] == .null)
        #expect(value["d"] == "xé😀")
        #expect(value["e"] == .object([:]))
    }

    @Test func refusesWhatIsNotJSON() {
        for text in ["", "{", #"{"a":1,}"#, "[1 2]", "01", "1.", #""\x""#, "nul", #"{"a":1} x"#, "\"\u{01}\"", #""\ud800""#] {
            #expect(throws: EmulatorJSONError.self, "\(text)") { try EmulatorJSON(parsing: text) }
        }
        #expect(throws: EmulatorJSONError.self) { try EmulatorJSON(parsing: Data([0x22, 0xFF, 0x22])) }
    }

    @Test func serializesDeterministicallyWithSortedKeys() {
        let value: EmulatorJSON = ["b": 1, "a": [true, nil, 1.5, 1e21], "c": "q\"\n<"]
        #expect(value.serializedString() == #"{"a":[true,null,1.5,1e+21],"b":1,"c":"q\"\n<"}"#)
        #expect(value.serializedString(escapeHTML: true) == #"{"a":[true,null,1.5,1e+21],"b":1,"c":"q\"\n\u003c"}"#)
    }
}
