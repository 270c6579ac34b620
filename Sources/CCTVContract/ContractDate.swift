import Foundation

/// The contract's date text, `2026-11-24T21:15:11.123Z` (UTC, milliseconds), written and read
/// without `Date.ISO8601FormatStyle` on the common path: the style went through Calendar and ICU
/// for every date, and a storm encodes and decodes hundreds of thousands of them. Anything else
/// (other years, offsets, no fraction) goes through the style as before, so the text is the same.
enum ContractDate {
    static let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)

    /// The text of `date`, byte for byte what ``style`` writes.
    static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        // Years 1970–9999 on the fast path; the style handles the rest.
        guard interval >= 0, interval < 253_402_300_800 else { return date.formatted(style) }
        // As the style does it: whole seconds, then the fraction's nanoseconds cut to milliseconds
        // (not interval × 1000, which rounds differently at x.xxx9999…).
        let whole = interval.rounded(.down)
        let millis = Int(((interval - whole) * 1_000_000_000).rounded(.down)) / 1_000_000
        let seconds = Int64(whole)
        let days = Int(seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        let (year, month, day) = civil(fromDays: days)
        var bytes = [UInt8]()
        bytes.reserveCapacity(24)
        func put(_ value: Int, _ digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var value = value
            while divisor > 0 { bytes.append(UInt8(ascii: "0") + UInt8(value / divisor)); value %= divisor; divisor /= 10 }
        }
        put(year, 4); bytes.append(UInt8(ascii: "-")); put(month, 2); bytes.append(UInt8(ascii: "-")); put(day, 2)
        bytes.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, 2); bytes.append(UInt8(ascii: ":")); put(secondOfDay / 60 % 60, 2); bytes.append(UInt8(ascii: ":")); put(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: ".")); put(millis, 3); bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The date of `text` in exactly the form ``format(_:)`` writes, else `nil` (use the style).
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// ``parse(_:)`` of the UTF-8 text in `bytes` (a check result's date, read where it lies).
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for index in from..<(from + count) {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), let millis = number(20, 3),
              year >= 1970, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Int64(self.days(fromCivil: year, month, day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
    }

    /// Howard Hinnant's civil-from-days: (year, month, day) of a day count since 1970-01-01.
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a civil date (inverse of ``civil(fromDays:)``).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
