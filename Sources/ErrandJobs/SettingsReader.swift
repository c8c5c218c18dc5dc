import ErrandCore
import Foundation

/// Reads one `settings.job` value at a time into a typed value, collecting a problem instead of throwing.
///
/// The rules for loose input live here once: numbers and booleans may be written as strings (`"60"`, `"true"`),
/// enum words are matched without regard to case or `_`/`-`, and every message names what was found and what
/// would be accepted.
struct SettingsReader {
    var problems: [SettingsProblem] = []

    mutating func fail(_ field: String, _ message: String, severity: SettingsProblem.Severity = .error) {
        problems.append(SettingsProblem(field: field, message, severity: severity))
    }

    mutating func bool(_ field: String, _ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .number(let n) where n == 0 || n == 1: return n == 1
        case .string(let s):
            switch s.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: break
            }
        default: break
        }
        fail(field, "\(value.shown) is not a boolean; use true or false")
        return nil
    }

    /// A whole number in `range` (which must lie inside `InputBounds`' counts: 0...`InputBounds.maxCount`).
    mutating func integer(_ field: String, _ value: JSONValue, range: ClosedRange<Int>) -> Int? {
        var number: Double?
        switch value {
        case .number(let n): number = n
        case .string(let s): number = Double(s.trimmingCharacters(in: .whitespaces))
        default: break
        }
        guard let number, number.isFinite, number.rounded() == number else {
            fail(field, "\(value.shown) is not a whole number; use a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        // Converting a Double beyond Int's range traps; anything this large is out of every range anyway.
        let whole = abs(number) < 1e15 ? Int(number) : (number < 0 ? Int.min : Int.max)
        do {
            return try InputBounds.count(whole, field: field, min: range.lowerBound, max: range.upperBound)
        } catch {
            fail(field, "\(value.shown) is out of range; use a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
    }

    /// A duration in seconds or with units, at most `max` seconds (one of `InputBounds`' maxima); `allowZero`
    /// lets 0 mean "off".
    ///
    /// The number is checked as a `Double` before it becomes a `Duration`: a huge one (`1e300`, `"99999999999d"`)
    /// would trap in the conversion to milliseconds.
    mutating func duration(_ field: String, _ value: JSONValue, max: Double, allowZero: Bool) -> Duration? {
        var parsed: Double?
        switch value {
        case .number(let n) where n.isFinite: parsed = n
        case .string(let s): parsed = DurationText.seconds(parsing: s)
        default: break
        }
        guard let parsed else {
            fail(field, "\(value.shown) is not a duration; use seconds (60) or units (\"90s\", \"5m\", \"1h30m\", \"2d\")")
            return nil
        }
        let seconds: Double
        do {
            seconds = try InputBounds.seconds(parsed, field: field, max: max)
        } catch {
            fail(field, Self.withoutField(field, error.message))
            return nil
        }
        guard let duration = DurationText.duration(seconds: seconds), duration > .zero || allowZero else {
            fail(field, "\(value.shown) is not allowed; use a duration of more than 0 seconds")
            return nil
        }
        return duration
    }

    /// `InputBounds` messages start with the field, which a problem already shows before its message.
    static func withoutField(_ field: String, _ message: String) -> String {
        message.hasPrefix(field + " ") ? String(message.dropFirst(field.count + 1)) : message
    }

    mutating func string(_ field: String, _ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        fail(field, "\(value.shown) is not a string")
        return nil
    }

    /// One of an enum's words; case and `_`/`-` do not matter (`on_failure`, `On-Failure`).
    mutating func word<Word: RawRepresentable & CaseIterable>(_ field: String, _ value: JSONValue, as: Word.Type) -> Word?
    where Word.RawValue == String {
        let words = Word.allCases.map(\.rawValue)
        if case .string(let s) = value {
            let key = s.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-")
            if let match = Word.allCases.first(where: { $0.rawValue == key }) { return match }
        }
        fail(field, "\(value.shown) is not one of \(words.joined(separator: ", "))")
        return nil
    }
}
