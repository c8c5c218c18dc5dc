import Foundation

/// ISO-8601 text for instants as a schedule's zone sees them, and parsing of the forms users type.
///
/// Output always carries the zone's UTC offset at that instant (`2026-03-08T03:00:00-04:00`); `Z` only for the
/// UTC zone itself, so a London winter instant still reads `+00:00`.
public enum ISO8601 {
    /// `2026-03-08T03:00:00-04:00` (fractions of a second are dropped; schedule instants are whole seconds).
    public static func string(_ date: Date, in zone: TimeZone) -> String {
        let t = date.floorSeconds
        let offset = zone.secondsFromGMT(for: date)
        let local = LocalDateTime(wallSeconds: t + offset)
        if offset == 0 && ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"].contains(zone.identifier) {
            return local.description + "Z"
        }
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        var text = local.description + sign + Describer.two(a / 3600) + ":" + Describer.two(a % 3600 / 60)
        if a % 60 != 0 { text += ":" + Describer.two(a % 60) }
        return text
    }

    /// Parses `2026-03-06T00:00:00Z`, `…+05:30`, `…T09:00` (seconds optional), fractional seconds, and, when
    /// no offset is given, reads the time on the wall clock of `zone` (a skipped time moves forward by the
    /// length of the gap; a repeated one takes its first occurrence). Returns nil for anything else.
    public static func date(from text: String, defaultZone zone: TimeZone) -> Date? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        var offset: Int?
        if s.hasSuffix("Z") || s.hasSuffix("z") {
            offset = 0
            s = s.dropLast()
        } else if s.count > 6, let signIndex = s.index(s.endIndex, offsetBy: -6, limitedBy: s.startIndex),
            s[signIndex] == "+" || s[signIndex] == "-", s[s.index(signIndex, offsetBy: 3)] == ":"
        {
            let hh = Int(s[s.index(after: signIndex)..<s.index(signIndex, offsetBy: 3)])
            let mm = Int(s[s.index(signIndex, offsetBy: 4)...])
            guard let hh, let mm, hh <= 23, mm <= 59 else { return nil }
            offset = (hh * 3600 + mm * 60) * (s[signIndex] == "-" ? -1 : 1)
            s = s[..<signIndex]
        }
        var fraction = 0.0
        if let dot = s.firstIndex(of: ".") {
            // Digits only: "0" + ".9e300" would parse as a number of seconds far past any date.
            let digits = s[s.index(after: dot)...]
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let f = Double("0" + s[dot...]) else { return nil }
            fraction = f
            s = s[..<dot]
        }
        let parts = s.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let dateParts = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard dateParts.count == 3, parts[0].count == 10, let y = dateParts[0], let mo = dateParts[1],
            let d = dateParts[2], (1...12).contains(mo), d >= 1, d <= CivilCalendar.daysInMonth(year: y, month: mo)
        else { return nil }
        var h = 0, mi = 0, se = 0
        if parts.count == 2 {
            let timeParts = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(timeParts.count), timeParts.allSatisfy({ $0 != nil }) else { return nil }
            h = timeParts[0]!
            mi = timeParts[1]!
            se = timeParts.count == 3 ? timeParts[2]! : 0
            guard h <= 23, mi <= 59, se <= 59 else { return nil }
        }
        let wall = LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: se).wallSeconds
        let seconds: Int
        if let offset {
            seconds = wall - offset
        } else {
            switch ZoneTimeline(zone).resolve(wall: wall) {
            case .unique(let i), .repeated(let i, _): seconds = i
            case .skipped(_, let shifted): seconds = shifted
            }
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }
}
