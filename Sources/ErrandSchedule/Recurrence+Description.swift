import Foundation

/// English descriptions of recurrences: "Every 2 weeks on Monday and Friday at 09:00".
extension Recurrence: CustomStringConvertible {
    public var description: String {
        let zone = timeZone ?? TimeZone(identifier: "UTC")!
        if frequency == .once, let s = startTime {
            return "Once at \(ISO8601.string(Date(seconds: Self.resolve(s, zone)), in: zone))"
        }
        let unit = frequency.rawValue.lowercased()
        var text = interval == 1 ? "Every \(unit)" : "Every \(interval) \(unit)s"
        let startWall =
            startTime.map { p -> LocalDateTime in
                let t = Self.resolve(p, zone)
                return LocalDateTime(wallSeconds: t + zone.secondsFromGMT(for: Date(seconds: t)))
            } ?? LocalDateTime(wallSeconds: 0)

        // Days.
        var days: [String] = []
        if !weekDays.isEmpty {
            days.append(
                Describer.list(
                    Describer.runs(weekDays.map { ($0 + 6) % 7 }.sorted()) {
                        Describer.weekdayNames[($0 + 1) % 7]
                    }))
        }
        var monthly: [String] = []
        for d in monthDays {
            monthly.append(d > 0 ? "the \(Describer.ordinalNumber(d))" : (d == -1 ? "the last day" : "the \(Describer.ordinal(d)) day"))
        }
        for o in monthlyOccurrences { monthly.append("the \(Describer.ordinal(o.occurrence)) \(Describer.weekdayNames[o.weekday])") }
        if !monthly.isEmpty { days.append(Describer.list(monthly)) }
        if days.isEmpty && frequency == .week { days.append(Describer.weekdayNames[startWall.weekday]) }
        if days.isEmpty && frequency == .month { days.append("the \(Describer.ordinalNumber(startWall.day))") }
        if !days.isEmpty { text += " on " + days.joined(separator: " and ") }

        // Times.
        switch frequency {
        case .day, .week, .month:
            let hs = hours.isEmpty ? [startWall.hour] : hours
            let ms = minutes.isEmpty ? [startWall.minute] : minutes
            let ss = seconds.isEmpty ? [startWall.second] : seconds
            if hs.count * ms.count * ss.count <= 6 {
                let times = hs.flatMap { h in ms.flatMap { m in ss.map { s in Describer.time(h, m, s == 0 ? nil : s) } } }
                text += " at " + Describer.list(times)
            } else {
                text += " at minutes \(Describer.list(ms.map(String.init))) past hours \(Describer.list(hs.map(String.init)))"
            }
        case .hour:
            let ms = minutes.isEmpty ? [startWall.minute] : minutes
            text += " at minute\(ms.count == 1 ? "" : "s") \(Describer.list(ms.map(String.init)))"
            if !hours.isEmpty { text += ", during hours \(Describer.list(Describer.runs(hours) { String($0) }))" }
        case .minute, .second:
            if !minutes.isEmpty { text += ", at minutes \(Describer.list(Describer.runs(minutes) { String($0) }))" }
            if !hours.isEmpty { text += ", during hours \(Describer.list(Describer.runs(hours) { String($0) }))" }
        case .once:
            break
        }
        if let s = startTime { text += ", from \(ISO8601.string(Date(seconds: Self.resolve(s, zone)), in: zone))" }
        if let e = endTime { text += ", until \(ISO8601.string(Date(seconds: Self.resolve(e, zone)), in: zone))" }
        if let count { text += count == 1 ? ", once" : ", \(count) times" }
        if let timeZone { text += " (\(timeZone.identifier))" }
        return text
    }
}
