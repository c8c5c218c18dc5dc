import ErrandSchedule

/// When a scheduled job fires: a cron expression (`schedule`) or an Azure-style recurrence object
/// (`recurrence`), already parsed and checked by ErrandSchedule.
public enum JobSchedule: Sendable, Hashable {
    case cron(CronExpression)
    case recurrence(Recurrence)

    /// The schedule for `next(after:in:)` and `previous(before:in:)`.
    public var schedule: any Schedule {
        switch self {
        case .cron(let expression): expression
        case .recurrence(let recurrence): recurrence
        }
    }

    /// The schedule in words ("At 09:30, Monday through Friday"), for `errand job show` and the dashboard.
    public var description: String { schedule.description }
}
