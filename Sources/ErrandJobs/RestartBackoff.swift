/// When a continuous job's process is started again after it exits: at once the first time
/// (`first`, at most 200 ms), doubling after each quick exit up to `cap`, and back to the start once a
/// process has stayed up for `healthyUptime`. Pure, so the supervisor and its tests agree on the numbers.
///
/// Kudu waits a flat 60 s after any process that lived less than 2 minutes (kudu.md §1.3); supervisord
/// gives up after `startretries`. This neither hammers the machine nor gives up.
public struct RestartBackoff: Sendable, Hashable {
    public static let first: Duration = .milliseconds(100)
    public static let cap: Duration = .seconds(60)
    public static let healthyUptime: Duration = .seconds(300)

    /// Restarts since the job last ran healthy.
    public private(set) var restarts = 0

    public init() {}

    /// The wait before the next start, given how long the process that just exited was up.
    public mutating func delay(afterUptime uptime: Duration) -> Duration {
        if uptime >= Self.healthyUptime { restarts = 0 }
        var wait = Self.first
        for _ in 0..<min(restarts, 20) where wait < Self.cap { wait = wait * 2 }
        restarts += 1
        return min(wait, Self.cap)
    }
}
