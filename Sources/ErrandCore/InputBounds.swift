/// The one place where numbers from outside (JSON bodies, query strings, settings.job, flags) become
/// bounded values. A Swift conversion of NaN, an infinity or a huge value (`Duration.seconds(1e300)`,
/// `Int64(1e19)`) traps, and a trap in a request handler kills the daemon with every run in flight; so
/// every such number passes here first, and anything out of range is a `badRequest` naming the field.
///
/// The maxima are documented in docs/security.md and stated in docs/openapi.yaml.
public enum InputBounds {
    /// Timeouts of runs, sessions and settings: one year.
    public static let maxTimeoutSeconds: Double = 31_536_000
    /// Graces of stops (SIGTERM to SIGKILL): one day.
    public static let maxGraceSeconds: Double = 86_400
    /// Counts and limits (throttle limits, page sizes, history lengths): one million.
    public static let maxCount = 1_000_000

    /// `value` when it is a finite number of seconds in `0...max`; else an error naming `field` and the range.
    public static func seconds(_ value: Double, field: String, max: Double) throws(ErrandError) -> Double {
        guard value.isFinite, value >= 0, value <= max else {
            throw .badRequest("\(field) must be a number of seconds from 0 to \(format(max)), got \(value)")
        }
        return value
    }

    /// `value` when it lies in `min...max`; else an error naming `field` and the range.
    public static func count(_ value: Int, field: String, min: Int = 0, max: Int = maxCount) throws(ErrandError) -> Int {
        guard value >= min, value <= max else {
            throw .badRequest("\(field) must be a whole number from \(min) to \(max), got \(value)")
        }
        return value
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
