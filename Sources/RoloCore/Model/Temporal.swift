import Foundation

/// A calendar date without a time or zone: iVvy Date fields, birthdays.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil when the day does not exist (`2023-02-30`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...LocalDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Reads `yyyy-mm-dd` exactly.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = Digits.read(bytes, 0, 4), let month = Digits.read(bytes, 5, 2),
              let day = Digits.read(bytes, 8, 2) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        Digits.pad(year, 4) + "-" + Digits.pad(month, 2) + "-" + Digits.pad(day, 2)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's civil-days method.
    public var daysSinceEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }
}

/// An instant, kept in UTC with millisecond precision so that it round-trips through text exactly.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(_ date: Date) {
        self.millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// Reads RFC 3339 (`2023-06-01T09:00:00Z`, `…+02:00`, fractions) and the
    /// `yyyy-mm-dd HH:mm:ss` form (optionally followed by ` UTC`). A time without an offset is UTC.
    public init?(parsing text: String) {
        var bytes = Array(text.utf8)
        if bytes.count > 4, String(decoding: bytes.suffix(4), as: UTF8.self).uppercased() == " UTC" {
            bytes.removeLast(4)
        }
        guard bytes.count >= 19,
              let date = LocalDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = Digits.read(bytes, 11, 2), let minute = Digits.read(bytes, 14, 2),
              let second = Digits.read(bytes, 17, 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var millis = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, Digits.isDigit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            let fraction = String(decoding: bytes[start..<min(index, start + 3)], as: UTF8.self)
            millis = Int(fraction.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0
        }
        var offsetMinutes = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard bytes.count >= index + 6, bytes[index + 3] == UInt8(ascii: ":"),
                      let offsetHours = Digits.read(bytes, index + 1, 2),
                      let offsetMins = Digits.read(bytes, index + 4, 2),
                      offsetHours < 24, offsetMins < 60 else { return nil }
                offsetMinutes = (offsetHours * 60 + offsetMins) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
            - Int64(offsetMinutes * 60)
        // An offset can carry the instant past year 9999 or before year 1 in UTC, where it
        // could be stored but never read back: such input is refused.
        guard seconds >= Timestamp.firstSecond, seconds <= Timestamp.lastSecond else { return nil }
        self.millisecondsSinceEpoch = seconds * 1000 + Int64(millis)
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the instants RFC 3339 can write.
    static let firstSecond: Int64 = Int64(LocalDate(year: 1, month: 1, day: 1)!.daysSinceEpoch) * 86_400
    static let lastSecond: Int64 = Int64(LocalDate(year: 9999, month: 12, day: 31)!.daysSinceEpoch) * 86_400 + 86_399

    /// RFC 3339 in UTC; milliseconds only when there are some.
    public var rfc3339: String {
        let (seconds, millis) = millisecondsSinceEpoch.floorDivided(by: 1000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let date = LocalDate(daysSinceEpoch: Int(days))
        var text = date.description + "T" + Timestamp.clock(Int(secondOfDay))
        if millis != 0 { text += "." + Digits.pad(Int(millis), 3) }
        return text + "Z"
    }

    /// `yyyy-mm-dd HH:mm:ss UTC`: what the panes show, and a form rolo reads back.
    public var display: String {
        let (seconds, _) = millisecondsSinceEpoch.floorDivided(by: 1000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        return LocalDate(daysSinceEpoch: Int(days)).description + " " + Timestamp.clock(Int(secondOfDay)) + " UTC"
    }

    public var description: String { rfc3339 }

    private static func clock(_ secondOfDay: Int) -> String {
        Digits.pad(secondOfDay / 3600, 2) + ":" + Digits.pad(secondOfDay / 60 % 60, 2) + ":" + Digits.pad(secondOfDay % 60, 2)
    }
}

extension Int64 {
    /// Division that rounds toward negative infinity, for dates before 1970.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = (self >= 0 ? self : self - divisor + 1) / divisor
        return (quotient, self - quotient * divisor)
    }
}

enum Digits {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    static func read(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
