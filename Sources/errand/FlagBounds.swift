import ArgumentParser
import ErrandCore

/// Flags go through the same ``InputBounds`` as the API's numbers, so a usage error (exit 2) names the
/// flag and its range instead of the daemon's answer naming a JSON field, and nothing traps on the way.
enum FlagBounds {
    static func seconds(_ value: Double, flag: String, max: Double, positive: Bool = false) throws {
        do {
            _ = try InputBounds.seconds(value, field: flag, max: max)
        } catch {
            throw ValidationError(error.message)
        }
        if positive && value == 0 { throw ValidationError("\(flag) must be more than 0") }
    }

    static func count(_ value: Int, flag: String, min: Int = 1) throws {
        do {
            _ = try InputBounds.count(value, field: flag, min: min)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
