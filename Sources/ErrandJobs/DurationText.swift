import Foundation

/// Reads durations the way `settings.job` users write them: seconds as a number (`60`, `2.5`) or a string
/// (`"60"`), or with units (`"90s"`, `"5m"`, `"1h30m"`, `"2d"`, `"250ms"`).
///
/// Kudu reads seconds as integers only and drops anything else silently; a unit suffix makes a minute-long
/// timeout impossible to misread as seconds.
public enum DurationText {
    /// The duration, or `nil` when the text is not one of the accepted forms. Negative values are returned as
    /// such (the caller says what range is allowed).
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite { return .milliseconds(Int64((seconds * 1000).rounded())) }
        guard !trimmed.isEmpty else { return nil }
        var total: Duration = .zero
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
            total += .milliseconds(Int64((value * unit * 1000).rounded()))
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    /// Seconds of a duration as a `Double`, for messages and JSON.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
