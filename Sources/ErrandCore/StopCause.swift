/// Why a run was asked to stop. It decides the run's final state and the reason recorded with it.
public enum StopCause: Sendable, Equatable {
    /// Someone asked (`errand stop`, the API, the dashboard, `remove --force`).
    case user
    /// The run's own `timeout` (seconds) ran out.
    case timeout(Double)
    /// The run wrote nothing for its `idle_timeout` (seconds).
    case idle(Double)
    /// The daemon is shutting down.
    case shutdown
    /// The run's session expired and was created with `--stop-on-expire`.
    case sessionExpired(String)
    /// Its fan-out parent (this run id) was stopped.
    case parent(Int64)

    /// The state a run stopped for this cause ends in: a run that overran its limits failed; any
    /// other stop is a stop.
    public var finalState: RunState {
        switch self {
        case .timeout, .idle: .failed
        case .user, .shutdown, .sessionExpired, .parent: .stopped
        }
    }

    public var reason: String {
        switch self {
        case .user: "stopped on request"
        case .timeout(let seconds): "timed out after \(Self.format(seconds)) s and was stopped"
        case .idle(let seconds): "wrote no output for \(Self.format(seconds)) s (idle_timeout) and was stopped"
        case .shutdown: "stopped because the daemon shut down"
        case .sessionExpired(let name): "stopped because its session '\(name)' expired (--stop-on-expire)"
        case .parent(let id): "stopped with its fan-out parent, run \(id)"
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}
