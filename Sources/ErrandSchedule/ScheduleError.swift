/// Why a schedule was rejected, phrased so a user can fix it.
///
/// `field` names the part that is wrong ("hour", "schedule.monthDays[2]"); `message` says what was found and
/// what is allowed. `description` joins them: `hour: 25 is out of range 0-23`.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field (or JSON path) at fault, or `nil` when the whole input is wrong.
    public var field: String?
    /// What is wrong and what would be accepted.
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
