/// How often a failed triggered or scheduled run is tried again, and how long to wait in between.
///
/// `settings.job` writes it as a count (`"retries": 3`) or an object
/// (`{"count": 3, "delay": 10, "backoff": "exponential", "max_delay": 300}`). Kudu has no retries at all
/// (kudu.md §7.11). The delay before attempt `n + 1` is `delay(afterAttempt:)`: pure, so the daemon and its tests
/// agree on the exact numbers.
public struct RetryPolicy: Sendable, Hashable, Codable {
    public enum Backoff: String, Sendable, Hashable, Codable, CaseIterable {
        /// The same delay every time.
        case fixed
        /// The delay doubles after each failed attempt, up to `maxDelay`.
        case exponential
    }

    /// Retries after the first attempt; 0 means a failed run stays failed.
    public var count: Int
    /// The wait before the first retry.
    public var delay: Duration
    public var backoff: Backoff
    /// The longest wait, whatever the backoff.
    public var maxDelay: Duration

    public static let defaultDelay: Duration = .seconds(10)
    public static let defaultMaxDelay: Duration = .seconds(300)
    /// The most retries `settings.job` may ask for: a run failing more often than this needs fixing, not retrying.
    public static let maxCount = 100

    /// No retries: the default.
    public static let none = RetryPolicy(count: 0)

    public init(
        count: Int, delay: Duration = defaultDelay, backoff: Backoff = .exponential, maxDelay: Duration = defaultMaxDelay
    ) {
        self.count = count
        self.delay = delay
        self.backoff = backoff
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1 for the first retry), or `nil` when no retry is left.
    public func delay(beforeRetry retry: Int) -> Duration? {
        guard retry >= 1, retry <= count else { return nil }
        switch backoff {
        case .fixed:
            return min(delay, maxDelay)
        case .exponential:
            var wait = delay
            for _ in 1..<retry {
                wait = wait * 2
                if wait >= maxDelay { return maxDelay }
            }
            return min(wait, maxDelay)
        }
    }
}
