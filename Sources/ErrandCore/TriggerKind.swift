/// Why a run exists. Kept on every run so that retries, schedules and fan-out need no schema change.
public enum TriggerKind: String, Codable, Sendable {
    case manual
    case api
    case schedule
    case retry
    case restart
}
