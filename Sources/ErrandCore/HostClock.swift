import Foundation

/// Wall-clock time and sleeping, injected into everything that waits (timeouts, stop graces, idle limits,
/// schedules, backoff, retries, sweeps), so that tests drive time by hand instead of sleeping.
///
/// Wall time, not a monotonic instant: schedules are due at wall-clock times and runs record wall-clock
/// times, so one clock answers both "what time is it" and "wake me then".
public protocol HostClock: Sendable {
    var now: Date { get }
    /// Returns at `deadline` (at once when it has passed); throws `CancellationError` when cancelled first.
    func sleep(until deadline: Date) async throws
}

extension HostClock {
    /// Returns after `duration` (at once when it is not positive).
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.seconds))
    }
}

/// The real clock: `Date()` and `Task.sleep`.
public struct SystemClock: HostClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(for: .seconds(seconds))
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
