/// Something that happens to a run. The pure state machine in ``RunState/applying(_:)`` decides
/// which state follows, so every transition is checked in one place and tested without I/O.
public enum RunTransition: String, Sendable, CaseIterable, Hashable {
    /// A slot was free and the process was launched (or relaunched after a backoff).
    case start
    /// The process ended with exit status 0 (or its work succeeded, for in-daemon runs).
    case succeed
    /// The process ended unsuccessfully, could not be launched, timed out, or the daemon lost it.
    case fail
    /// Someone asked the run to stop.
    case requestStop
    /// The process ended after a stop was requested.
    case confirmStop
    /// The run waits for input or a resource (PowerShell `Blocked`).
    case block
    case unblock
    /// The client or remote host connection went away while the run goes on.
    case disconnect
    case reconnect
    /// A continuous run exited and waits for its backoff before starting again.
    case awaitRestart
    /// A singleton continuous job runs on another instance.
    case deactivate
}

/// A transition that the state machine refuses, such as completing a run that never started.
public struct InvalidTransition: Error, Equatable, CustomStringConvertible {
    public let from: RunState
    public let transition: RunTransition

    public init(from: RunState, transition: RunTransition) {
        self.from = from
        self.transition = transition
    }

    public var description: String { "a run that is \(from.rawValue) cannot \(transition.rawValue)" }
}

extension RunState {
    /// The state after `transition`, or nil when the transition is not allowed from this state.
    public func next(after transition: RunTransition) -> RunState? {
        switch (self, transition) {
        case (.notStarted, .start), (.pendingRestart, .start), (.inactiveInstance, .start): .running
        case (.notStarted, .requestStop), (.pendingRestart, .requestStop), (.inactiveInstance, .requestStop): .stopped
        case (.notStarted, .fail), (.pendingRestart, .fail), (.inactiveInstance, .fail): .failed
        case (.notStarted, .deactivate), (.pendingRestart, .deactivate): .inactiveInstance

        case (.running, .succeed), (.disconnected, .succeed): .completed
        case (.running, .fail), (.blocked, .fail), (.disconnected, .fail), (.stopping, .fail): .failed
        case (.running, .requestStop), (.blocked, .requestStop), (.disconnected, .requestStop): .stopping
        case (.running, .block): .blocked
        case (.blocked, .unblock): .running
        case (.running, .disconnect): .disconnected
        case (.disconnected, .reconnect): .running
        case (.running, .awaitRestart): .pendingRestart

        // Once a stop was asked for, however the process ends, the run was stopped.
        case (.stopping, .confirmStop), (.stopping, .succeed), (.running, .confirmStop): .stopped
        case (.stopping, .requestStop): .stopping

        default: nil
        }
    }

    /// The state after `transition`; throws ``InvalidTransition`` when it is not allowed.
    public func applying(_ transition: RunTransition) throws(InvalidTransition) -> RunState {
        guard let next = next(after: transition) else { throw InvalidTransition(from: self, transition: transition) }
        return next
    }
}
