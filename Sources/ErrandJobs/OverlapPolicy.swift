/// What a new trigger (manual, API or schedule) does while a run of the same job is still going.
///
/// Kudu answers a flat 409 and silently drops scheduled ticks (kudu.md §7.1); here the job chooses, and the
/// daemon records what it did.
public enum OverlapPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Do not start; a manual trigger gets a conflict, a scheduled tick is recorded as skipped. The default.
    case skip
    /// Start when the running one finishes (one at a time, in order).
    case queue
    /// Start at once beside the running one.
    case allow
    /// Stop the running one (gracefully) and start the new one.
    case replace
}
