import ErrandCore
import Foundation

/// Times and durations as the pages show them: UTC wall-clock times (one zone for every
/// viewer, like the logs) and short durations in the largest units that matter.
enum TimeText {
    /// `2026-11-23 22:31:05` in UTC.
    static func clock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// The machine-readable form for `<time datetime=…>`.
    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601WithMilliseconds)
    }

    /// `0.42 s`, `12.3 s`, `3 min 5 s`, `2 h 3 min`, `3 d 4 h`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        let s = max(0, seconds)
        if s < 10 { return String(format: "%.2f s", s) }
        if s < 60 { return String(format: "%.1f s", s) }
        let whole = Int(s.rounded(.down))
        if whole < 3600 { return pair(whole / 60, "min", whole % 60, "s") }
        if whole < 86400 { return pair(whole / 3600, "h", whole % 3600 / 60, "min") }
        return pair(whole / 86400, "d", whole % 86400 / 3600, "h")
    }

    /// `5 min ago`, `in 3 h`, `just now`: how far `date` is from `now`, roughly.
    static func relative(_ date: Date, now: Date) -> String {
        let delta = date.timeIntervalSince(now)
        let magnitude = abs(delta)
        if magnitude < 5 { return "just now" }
        let amount: String
        switch magnitude {
        case ..<60: amount = "\(Int(magnitude)) s"
        case ..<3600: amount = "\(Int(magnitude / 60)) min"
        case ..<86400: amount = "\(Int(magnitude / 3600)) h"
        default: amount = "\(Int(magnitude / 86400)) d"
        }
        return delta < 0 ? "\(amount) ago" : "in \(amount)"
    }

    private static func pair(_ big: Int, _ bigUnit: String, _ small: Int, _ smallUnit: String) -> String {
        small == 0 ? "\(big) \(bigUnit)" : "\(big) \(bigUnit) \(small) \(smallUnit)"
    }
}
