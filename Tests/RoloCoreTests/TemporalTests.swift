import Foundation
import Testing
@testable import RoloCore

@Suite("Dates")
struct LocalDateTests {
    @Test(arguments: [
        (1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 1, 1, 10_957), (2000, 3, 1, 11_017), (2024, 2, 29, 19_782),
        (1, 1, 1, -719_162), (9999, 12, 31, 2_932_896), (1600, 2, 29, -135_081),
    ])
    func aDateKnowsHowManyDaysItIsFromTheEpoch(_ year: Int, _ month: Int, _ day: Int, _ days: Int) throws {
        let date = try #require(LocalDate(year: year, month: month, day: day))
        #expect(date.daysSinceEpoch == days)
        #expect(LocalDate(daysSinceEpoch: days) == date)
    }

    @Test func everyDayOfFourCenturiesCountsBothWays() {
        var previous = LocalDate(daysSinceEpoch: -146_098)
        var wrong: [Int] = []
        for days in -146_097...146_097 {
            let date = LocalDate(daysSinceEpoch: days)
            if date.daysSinceEpoch != days || !(previous < date) || LocalDate(iso: date.description) != date { wrong.append(days) }
            previous = date
        }
        #expect(wrong.isEmpty, "first wrong day: \(wrong.first ?? 0)")
    }

    @Test func leapYearsFollowTheGregorianRules() {
        #expect(LocalDate.daysIn(month: 2, year: 2023) == 28)
        #expect(LocalDate.daysIn(month: 2, year: 2024) == 29)
        #expect(LocalDate.daysIn(month: 2, year: 1900) == 28)
        #expect(LocalDate.daysIn(month: 2, year: 2000) == 29)
        #expect((1...12).map { LocalDate.daysIn(month: $0, year: 2023) } == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    }

    @Test(arguments: [(2023, 2, 29), (2023, 4, 31), (2023, 13, 1), (2023, 0, 1), (2023, 1, 0), (0, 1, 1), (10_000, 1, 1), (2023, 1, -1)])
    func aDayThatDoesNotExistCannotBeMade(_ year: Int, _ month: Int, _ day: Int) {
        #expect(LocalDate(year: year, month: month, day: day) == nil)
    }

    @Test func isoTextIsReadOnlyInItsExactShape() {
        #expect(LocalDate(iso: "1985-03-17") == LocalDate(year: 1985, month: 3, day: 17))
        for bad in ["1985-3-17", "85-03-17", "1985/03/17", "1985-03-17 ", " 1985-03-17", "1985-03-1x", "+985-03-17", "1985-02-29"] {
            #expect(LocalDate(iso: bad) == nil, "\(bad)")
        }
    }

    @Test func datesPrintWithPaddedFieldsAndSortByCalendar() throws {
        let early = try #require(LocalDate(year: 45, month: 6, day: 7))
        #expect(early.description == "0045-06-07")
        #expect(LocalDate(iso: early.description) == early)
        #expect(try #require(LocalDate(year: 2023, month: 12, day: 31)) < #require(LocalDate(year: 2024, month: 1, day: 1)))
        #expect(try #require(LocalDate(year: 2024, month: 1, day: 2)) > #require(LocalDate(year: 2024, month: 1, day: 1)))
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test(arguments: [
        ("2023-06-01T09:00:00Z", "2023-06-01T09:00:00Z"),
        ("2023-06-01t09:00:00z", "2023-06-01T09:00:00Z"),
        ("2023-06-01T09:00:00", "2023-06-01T09:00:00Z"),          // no offset: UTC
        ("2023-06-01 09:00:00", "2023-06-01T09:00:00Z"),
        ("2023-06-01 09:00:00 UTC", "2023-06-01T09:00:00Z"),
        ("2023-06-01 09:00:00 utc", "2023-06-01T09:00:00Z"),
        ("2023-06-01T11:00:00+02:00", "2023-06-01T09:00:00Z"),
        ("2023-06-01T04:30:00-04:30", "2023-06-01T09:00:00Z"),
        ("2023-06-01T09:00:00-00:00", "2023-06-01T09:00:00Z"),
        ("2023-06-01T00:30:00+01:00", "2023-05-31T23:30:00Z"),   // the offset moves the day back
        ("2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00Z"),   // and the year forward
        ("2023-06-01T09:00:00.5Z", "2023-06-01T09:00:00.500Z"),
        ("2023-06-01T09:00:00.123456789Z", "2023-06-01T09:00:00.123Z"),   // beyond milliseconds is cut
        ("2023-06-01T09:00:00.000Z", "2023-06-01T09:00:00Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),         // a leap second stays within its minute
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ("1900-02-28T12:00:00Z", "1900-02-28T12:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
    ])
    func timestampsAreReadInAnyAcceptedFormAndPrintedInUTC(_ text: String, _ printed: String) throws {
        #expect(try #require(Timestamp(parsing: text)).rfc3339 == printed)
    }

    @Test(arguments: [
        "", "2023-06-01", "2023-06-01T09:00", "2023-06-01T09:00Z", "2023-06-01T9:00:00Z", "2023-06-01X09:00:00Z",
        "2023-06-01T24:00:00Z", "2023-06-01T09:60:00Z", "2023-06-01T09:00:61Z", "2023-02-29T09:00:00Z", "2026-02-30 10:00:00",
        "2023-06-01T09:00:00+0200", "2023-06-01T09:00:00+02", "2023-06-01T09:00:00+24:00", "2023-06-01T09:00:00+02:60",
        "2023-06-01T09:00:00.Z", "2023-06-01T09:00:00Zjunk", "2023-06-01T09:00:00Z ", " 2023-06-01T09:00:00Z",
        "2023-06-01T09:00:00 GMT", "2023-06-01T09:00:00 UTC UTC", "２０２３-06-01T09:00:00Z",
    ])
    func misshapenOrImpossibleTimesAreNotTimestamps(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func millisecondsCountFromTheEpoch() throws {
        #expect(try #require(Timestamp(parsing: "1970-01-01T00:00:00Z")).millisecondsSinceEpoch == 0)
        #expect(try #require(Timestamp(parsing: "2023-11-14T22:13:20.123Z")).millisecondsSinceEpoch == 1_700_000_000_123)
        #expect(try #require(Timestamp(parsing: "1969-12-31T23:59:59.999Z")).millisecondsSinceEpoch == -1)
    }

    static let instants: [Int64] = [
        0, 1, -1, 999, -999, 1000, -1000, 86_399_999, 86_400_000, -86_400_001, 1_700_000_000_123, 951_782_400_000,
        -62_135_596_800_000,                      // 0001-01-01
        253_402_300_799_999,                      // 9999-12-31T23:59:59.999
        -2_208_988_800_000,                       // 1900-01-01
    ]

    @Test(arguments: instants)
    func rfc3339TextReadsBackAsTheSameInstant(_ milliseconds: Int64) throws {
        let instant = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(Timestamp(parsing: instant.rfc3339) == instant)
        #expect(instant.description == instant.rfc3339)
    }

    @Test(arguments: instants)
    func theDisplayFormReadsBackToTheStartOfItsSecond(_ milliseconds: Int64) throws {
        let instant = Timestamp(millisecondsSinceEpoch: milliseconds)
        let floored = milliseconds >= 0 ? milliseconds / 1000 * 1000 : (milliseconds - 999) / 1000 * 1000
        #expect(instant.display.hasSuffix(" UTC"))
        #expect(Timestamp(parsing: instant.display)?.millisecondsSinceEpoch == floored)
    }

    @Test func theDisplayFormIsDateSpaceClockUTC() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123).display == "2023-11-14 22:13:20 UTC")
        #expect(Timestamp(millisecondsSinceEpoch: -1).display == "1969-12-31 23:59:59 UTC")
    }

    @Test func foundationDatesConvertToTheNearestMillisecond() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.1236)
        #expect(Timestamp(date).millisecondsSinceEpoch == 1_700_000_000_124)
        #expect(Timestamp(millisecondsSinceEpoch: 1_500).date == Date(timeIntervalSince1970: 1.5))
        #expect(Timestamp(Date(timeIntervalSince1970: -0.0004)).millisecondsSinceEpoch == 0)
    }

    @Test func timestampsOrderByInstant() throws {
        let utc = try #require(Timestamp(parsing: "2023-06-01T09:00:00Z"))
        let earlierInBerlin = try #require(Timestamp(parsing: "2023-06-01T10:30:00+02:00"))
        #expect(earlierInBerlin < utc)
        #expect(Timestamp(millisecondsSinceEpoch: -5) < Timestamp(millisecondsSinceEpoch: 0))
        #expect(Timestamp.now() > utc)
    }
}
