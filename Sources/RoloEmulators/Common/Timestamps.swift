import Foundation

/// A UTC calendar time, computed with integer arithmetic.
///
/// The emulators format two stamps per contact on every page they serve; Foundation's
/// `Calendar` is far too slow for 100k contacts, and a `DateFormatter` is not safe to share
/// between connections. (Days ↔ civil date after Howard Hinnant's public-domain algorithm.)
struct UTCTime: Equatable {
    var year: Int, month: Int, day: Int
    var hour: Int, minute: Int, second: Int
    var nanosecond: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second, self.nanosecond) = (hour, minute, second, nanosecond)
    }

    /// From microseconds since 1970-01-01T00:00:00Z.
    init(microseconds: Int64) {
        let seconds = Int(microseconds.floorDivided(by: 1_000_000))
        let micros = Int(microseconds - Int64(seconds) * 1_000_000)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        self.init(year: y, month: m, day: d, hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60,
                  second: secondOfDay % 60, nanosecond: micros * 1000)
    }

    init(date: Date) { self.init(microseconds: date.unixMicroseconds) }

    var unixMicroseconds: Int64 {
        let days = Self.days(fromCivil: year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000 + Int64(nanosecond / 1000)
    }

    var date: Date { Date(unixMicroseconds: unixMicroseconds) }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    var isValid: Bool {
        (1...12).contains(month) && day >= 1 && day <= Self.daysIn(month: month, year: year)
            && (0...23).contains(hour) && (0...59).contains(minute) && (0...59).contains(second)
    }

    // MARK: Formats

    /// `2006-01-02T15:04:05Z`, or with a fraction trimmed of trailing zeros (Go's RFC3339Nano).
    func rfc3339(fraction: Bool) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(30)
        appendRFC3339(into: &bytes, fraction: fraction)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same, written straight into a buffer: list pages write two stamps per contact.
    func appendRFC3339(into out: inout [UInt8], fraction: Bool) {
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-")); digits(month, 2); out.append(UInt8(ascii: "-")); digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(hour, 2); out.append(UInt8(ascii: ":")); digits(minute, 2); out.append(UInt8(ascii: ":")); digits(second, 2)
        if fraction, nanosecond > 0 {
            out.append(UInt8(ascii: "."))
            var value = nanosecond, width = 9
            while value % 10 == 0 { value /= 10; width -= 1 }
            digits(value, width)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// iVvy's timestamp: `yyyy-mm-dd HH:mm:ss UTC`.
    var ivvy: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day)) \(pad(hour)):\(pad(minute)):\(pad(second)) UTC"
    }

    /// DailyStory's .NET form: no offset, milliseconds with trailing zeros trimmed
    /// (`2022-01-12T18:10:25.56`), none at all on a whole second.
    var dailyStory: String {
        var text = "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))"
        let millis = nanosecond / 1_000_000
        if millis > 0 {
            var digits = pad(millis, 3)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Date {
    /// Microseconds since 1970, rounded down: Postgres keeps microseconds, so do the emulators.
    var unixMicroseconds: Int64 {
        Int64((timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    init(unixMicroseconds: Int64) {
        self.init(timeIntervalSince1970: Double(unixMicroseconds) / 1_000_000)
    }
}

extension BinaryInteger {
    func floorDivided(by divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Readers for the timestamp forms the providers accept.
enum TimestampParsing {
    /// Go's `time.Parse(time.RFC3339, s)`: `2006-01-02T15:04:05[.fraction](Z|±hh:mm)`.
    /// On failure, the message Go gives (`parsing time "x" as "2006-01-02T15:04:05Z07:00":
    /// cannot parse "rest" as "element"`), so clients see Notifuse's own words.
    static func goRFC3339(_ text: String, layout: String = "2006-01-02T15:04:05Z07:00") -> Result<Int64, RFC3339Failure> {
        let bytes = Array(text.utf8)
        var index = 0
        func rest() -> String { String(decoding: bytes[index...], as: UTF8.self) }
        func fail(_ element: String) -> Result<Int64, RFC3339Failure> {
            .failure(RFC3339Failure(message:
                "parsing time \(goQuote(text)) as \(goQuote(layout)): cannot parse \(goQuote(rest())) as \(goQuote(element))"))
        }
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }
        func literal(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = digits(4) else { return fail("2006") }
        guard literal("-") else { return fail("-") }
        guard let month = digits(2) else { return fail("01") }
        guard literal("-") else { return fail("-") }
        guard let day = digits(2) else { return fail("02") }
        guard literal("T") else { return fail("T") }
        guard let hour = digits(2) else { return fail("15") }
        guard literal(":") else { return fail(":") }
        guard let minute = digits(2) else { return fail("04") }
        guard literal(":") else { return fail(":") }
        guard let second = digits(2) else { return fail("05") }
        var nanos = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
            index += 1
            var scale = 100_000_000
            var count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if scale > 0 { nanos += Int(bytes[index] - 0x30) * scale; scale /= 10 }
                index += 1
                count += 1
            }
            if count == 0 { return fail("Z07:00") }
        }
        var offsetSeconds = 0
        if literal("Z") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), literal(":"), let offsetMinutes = digits(2) else {
                return fail("Z07:00")
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return fail("Z07:00")
        }
        guard index == bytes.count else {
            return .failure(RFC3339Failure(message: "parsing time \(goQuote(text)): extra text: \(goQuote(rest()))"))
        }
        let time = UTCTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                           nanosecond: nanos)
        guard (1...12).contains(month) else { return .failure(.outOfRange(text, "month")) }
        guard day >= 1, day <= UTCTime.daysIn(month: month, year: year) else {
            return .failure(.outOfRange(text, "day"))
        }
        guard hour < 24 else { return .failure(.outOfRange(text, "hour")) }
        guard minute < 60 else { return .failure(.outOfRange(text, "minute")) }
        guard second < 60 else { return .failure(.outOfRange(text, "second")) }
        return .success(time.unixMicroseconds - Int64(offsetSeconds) * 1_000_000)
    }

    struct RFC3339Failure: Error {
        let message: String
        static func outOfRange(_ text: String, _ part: String) -> RFC3339Failure {
            RFC3339Failure(message: "parsing time \(goQuote(text)): \(part) out of range")
        }
    }

    static func goQuote(_ text: String) -> String {
        EmulatorJSON.string(text).serializedString()
    }

    /// iVvy's `yyyy-mm-dd HH:mm:ss` with an optional trailing ` UTC`; always UTC.
    static func ivvy(_ text: String) -> Date? {
        var body = Substring(text)
        if body.hasSuffix(" UTC") { body = body.dropLast(4) }
        let parts = body.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let day = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard day.count == 3, clock.count == 3,
              day[0].count == 4, day[1].count == 2, day[2].count == 2,
              clock.allSatisfy({ $0.count == 2 }),
              let y = Int(day[0]), let mo = Int(day[1]), let d = Int(day[2]),
              let h = Int(clock[0]), let mi = Int(clock[1]), let s = Int(clock[2]) else { return nil }
        let time = UTCTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        return time.isValid ? time.date : nil
    }

    /// An HTTP `Date` (RFC 1123), e.g. `Thu, 12 Apr 2012 07:17:06 UTC` (iVvy's docs write UTC,
    /// HTTP writes GMT; both are read).
    static func rfc1123(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","),
              let day = Int(parts[1]), let year = Int(parts[3]),
              let month = months.firstIndex(of: parts[2].lowercased()).map({ $0 + 1 }),
              ["gmt", "utc", "+0000", "z"].contains(parts[5].lowercased()) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let h = Int(clock[0]), let mi = Int(clock[1]), let s = Int(clock[2]) else { return nil }
        let time = UTCTime(year: year, month: month, day: day, hour: h, minute: mi, second: s)
        return time.isValid ? time.date : nil
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
}
