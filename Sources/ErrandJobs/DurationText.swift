import Foundation

/// Reads durations the way `settings.job` users write them: seconds as a number (`60`, `2.5`) or a string
/// (`"60"`), or with units (`"90s"`, `"5m"`, `"1h30m"`, `"2d"`, `"250ms"`).
///
/// Kudu reads seconds as integers only and drops anything else silently; a unit suffix makes a minute-long
/// timeout impossible to misread as seconds.
public enum DurationText {
    /// The duration, or `nil` when the text is not one of the accepted forms or is too large for a `Duration`
    /// counted in milliseconds. Negative values are returned as such (the caller says what range is allowed;
    /// `seconds(parsing:)` gives the number to check against `InputBounds`).
    public static func parse(_ text: String) -> Duration? {
        seconds(parsing: text).flatMap(duration(seconds:))
    }

    /// The text as a number of seconds, or `nil` when it is not one of the accepted forms. The result is finite
    /// but may be huge or negative: it is the caller's to bound before it becomes a `Duration`.
    public static func seconds(parsing text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds.isFinite ? seconds : nil }
        guard !trimmed.isEmpty else { return nil }
        var total = 0.0
        var number = ""
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let c = trimmed[index]
            if c.isASCII && (c.isNumber || c == ".") {
                number.append(c)
                index = trimmed.index(after: index)
                continue
            }
            guard let value = Double(number), value.isFinite else { return nil }
            let rest = trimmed[index...]
            let unit: Double
            if rest.hasPrefix("ms") {
                unit = 0.001
                index = trimmed.index(index, offsetBy: 2)
            } else {
                switch c {
                case "s": unit = 1
                case "m": unit = 60
                case "h": unit = 3600
                case "d": unit = 86_400
                default: return nil
                }
                index = trimmed.index(after: index)
            }
            total += value * unit
            number = ""
        }
        return number.isEmpty && total.isFinite ? total : nil
    }

    /// `seconds` rounded to milliseconds, or `nil` when it is not finite or the milliseconds would not fit an
    /// `Int64` (converting those would trap).
    public static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, abs(seconds) <= maxSeconds else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Well inside `Int64.max` milliseconds (about 9.2e15 s), so the conversion above cannot trap.
    static let maxSeconds: Double = 9e15
}
