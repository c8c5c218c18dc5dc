/// What the scheduler does with ticks that fell while the daemon was down (or the job was stopped).
///
/// Kudu runs one catch-up if the latest missed tick is at most 10 minutes old and otherwise logs "Missed N
/// schedules" and waits (kudu.md §1.4); users found that silent (§7.2), so the policy is explicit and recorded.
public enum MissedPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Record the missed ticks as skipped and wait for the next one.
    case skip
    /// Run once for the latest missed tick if it is within `catchUpWindow` (Kudu's rule). The default.
    case once
    /// Run every missed tick, oldest first (subject to the overlap policy).
    case all

    /// How old the latest missed tick may be for `once` to run it: 10 minutes, as Kudu.
    public static let catchUpWindow: Duration = .seconds(600)
}
