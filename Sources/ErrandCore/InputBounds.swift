/// The bounds every number from outside must fit before it becomes a duration or a count: one place for
/// settings.job, JSON bodies, query strings and flags alike, listed for users in docs/limits.md.
///
/// Why it exists: converting a `Double` that is NaN, infinite or huge to an integer, or multiplying seconds into
/// milliseconds past `Int64.max`, traps and kills the daemon with every run in flight. Checking against a small,
/// documented maximum first makes every later conversion safe, and gives the user a message naming the field and
/// the allowed range instead of a dead process.
public enum InputBounds {
    /// The longest timeout (run `timeout`, `idle_timeout`, retry delays): one year of 365 days.
    public static let maxTimeoutSeconds: Double = 31_536_000
    /// The longest grace period (`stopping_wait_time`, a stop's `grace`): one day.
    public static let maxGraceSeconds: Double = 86_400
    /// The largest count or limit (retries, history sizes, page sizes): one million.
    public static let maxCount: Int = 1_000_000

    /// `value` when it is a finite number of seconds in `0...max`; otherwise a bad-request error naming `field`
    /// and the range, e.g. "timeout must be a finite number of seconds between 0 and 31536000 (got 1e+300)".
    public static func seconds(_ value: Double, field: String, max: Double) throws(ErrandError) -> Double {
        guard value.isFinite, value >= 0, value <= max else {
            throw .badRequest(
                "\(field) must be a finite number of seconds between 0 and \(show(max)) (got \(show(value)))")
        }
        return value
    }

    /// `value` when it lies in `min...max`; otherwise a bad-request error naming `field` and the range,
    /// e.g. "history_size must be a whole number between 1 and 10000 (got 0)".
    public static func count(_ value: Int, field: String, min: Int = 0, max: Int = maxCount) throws(ErrandError) -> Int {
        guard value >= min, value <= max else {
            throw .badRequest("\(field) must be a whole number between \(min) and \(max) (got \(value))")
        }
        return value
    }

    /// Whole numbers without a trailing `.0` (`31536000`, not `31536000.0`); anything else as Swift prints it
    /// (`2.5`, `1e+300`, `nan`, `-inf`).
    static func show(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
