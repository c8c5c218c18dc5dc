import Foundation

/// One run's life on the daemon that executes it, as a pure state machine: each event returns the
/// actions to perform (record a state, signal, finish), and the executor (`RunCoordinator`) only
/// performs them. Every state a run is recorded in comes from here, so the rules — a finished state is
/// final, a stop asked for while launching is carried out once the process exists, the first stop's
/// cause decides how the run ends — hold by construction and are tested as tables, without processes.
public struct RunLifecycle: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting in its throttle group for a slot (recorded `NotStarted`).
        case queued
        /// Given a slot: its launch is being written down and its process started (still `NotStarted`).
        case launching
        /// Its process (or a fan-out's children) exists.
        case running
        /// A fan-out child whose host stopped answering (its run goes on there), or a fan-out parent whose
        /// unfinished children all are so (``FanOutState/connection(children:)``): recorded `Disconnected`
        /// until the host answers again, or the child's disconnected timeout ends it.
        case disconnected
        /// Asked to stop and signalled; killed once the grace has passed.
        case stopping
        /// Its final state is decided: nothing more happens to it.
        case finished(RunState)
    }

    /// A stop asked for: the first cause decides the end; the earliest deadline wins.
    public struct Stop: Sendable, Equatable {
        public var cause: StopCause
        /// The grace of a stop asked for while launching (counted from the launch).
        public var grace: Duration
        /// When the work is killed if it has not ended (nil until it was signalled).
        public var killAt: Date?
        public var killed = false
    }

    public enum Event: Sendable, Equatable {
        /// A slot in the run's throttle group was given to it.
        case slotGiven
        /// The process (or a fan-out parent's supervision) exists.
        case launched(at: Date)
        /// A stop was asked for: by a user, a timeout, idleness, the shutdown, a session, a parent.
        case stopAsked(StopCause, grace: Duration, at: Date)
        /// A grace timer armed by ``Action/terminate(grace:)`` went off.
        case graceElapsed(at: Date)
        /// The work ended (or could never begin).
        case ended(Ending)
        /// The host stopped answering (a fan-out child's; for a parent, the last of its running children's).
        case disconnected
        /// The host answers again.
        case reconnected
    }

    /// How the work ended.
    public enum Ending: Sendable, Equatable {
        case exited(ExitStatus)
        /// It ended without an exit status: it could not be launched (command gone, store unwritable, host
        /// unknown) or its launcher lost it; with the reason.
        case withoutStatus(String)
        /// A fan-out parent's end as its children decided it (``FanOutState``), with the reason.
        case fanOut(RunState, reason: String?)
    }

    public enum Action: Sendable, Equatable {
        /// Take the run out of its throttle queue (it never gets a slot).
        case dequeue
        /// Record the run's first state after launch (`Running`, or `Stopping` when a stop was waiting),
        /// with its start time and process group.
        case recordStart(RunState, at: Date)
        /// Record an unfinished state.
        case record(RunState)
        /// Ask the work to end (shutdown file, SIGTERM to the group, or the children's stop), and report
        /// ``Event/graceElapsed(at:)`` once `grace` has passed.
        case terminate(grace: Duration)
        /// End the work without more grace (SIGKILL).
        case kill
        /// Record the final state with its reason (and the exit status when there is one), free the slot,
        /// and tell whoever follows the run's end.
        case finish(RunState, reason: String?, status: ExitStatus?)
    }

    public private(set) var phase: Phase
    public private(set) var stop: Stop?

    public init(phase: Phase = .queued) {
        self.phase = phase
    }

    /// The state the store holds for the run in this phase.
    public var recordedState: RunState {
        switch phase {
        case .queued, .launching: .notStarted
        case .running: .running
        case .disconnected: .disconnected
        case .stopping: .stopping
        case .finished(let state): state
        }
    }

    public var isFinished: Bool {
        if case .finished = phase { true } else { false }
    }

    /// Applies `event` and returns what to do, in order. Events that do not apply in the current phase
    /// (a second launch, a late grace timer, a stop after the end) change nothing and return no action.
    public mutating func handle(_ event: Event) -> [Action] {
        switch (phase, event) {
        case (.queued, .slotGiven):
            phase = .launching
            return []

        case (.launching, .launched(let at)):
            guard var stop else {
                phase = .running
                return [.recordStart(.running, at: at)]
            }
            stop.killAt = at.addingTimeInterval(stop.grace.seconds)
            self.stop = stop
            phase = .stopping
            return [.recordStart(.stopping, at: at), .terminate(grace: stop.grace)]

        case (.queued, .stopAsked(let cause, let grace, _)):
            stop = Stop(cause: cause, grace: grace)
            phase = .finished(.stopped)
            return [.dequeue, .finish(.stopped, reason: cause.reason, status: nil)]

        case (.launching, .stopAsked(let cause, let grace, _)):
            // Nothing to signal yet: the stop is carried out once the process exists.
            if let earlier = stop {
                stop?.grace = min(earlier.grace, grace)
            } else {
                stop = Stop(cause: cause, grace: grace)
            }
            return []

        case (.running, .disconnected):
            phase = .disconnected
            return [.record(.disconnected)]

        case (.disconnected, .reconnected):
            phase = .running
            return [.record(.running)]

        case (.running, .stopAsked(let cause, let grace, let at)), (.disconnected, .stopAsked(let cause, let grace, let at)):
            // A disconnected run is stopped as a running one: the stop is asked of its host (which may answer
            // in the meantime), and the grace counts from now.
            stop = Stop(cause: cause, grace: grace, killAt: at.addingTimeInterval(grace.seconds))
            phase = .stopping
            return [.record(.stopping), .terminate(grace: grace)]

        case (.stopping, .stopAsked(_, let grace, let at)):
            // Already stopping: only a shorter deadline changes anything.
            let deadline = at.addingTimeInterval(grace.seconds)
            guard let current = stop, !current.killed, current.killAt.map({ deadline < $0 }) ?? true else { return [] }
            stop?.killAt = deadline
            return [.terminate(grace: grace)]

        case (.stopping, .graceElapsed(let at)):
            guard let current = stop, !current.killed, let killAt = current.killAt, at >= killAt else { return [] }
            stop?.killed = true
            return [.kill]

        case (.queued, .ended(let ending)), (.launching, .ended(let ending)), (.running, .ended(let ending)),
            (.disconnected, .ended(let ending)), (.stopping, .ended(let ending)):
            let (state, reason, status) = outcome(of: ending)
            phase = .finished(state)
            return [.finish(state, reason: reason, status: status)]

        default:
            return []
        }
    }

    /// What the run's Error stream is told as it ends, so that whoever receives its output learns why it
    /// failed, once (Receive-Job writes a failed job's reason): the reason of a stop that fails the run (a
    /// timeout), or why the work ended without an exit status. Nothing for a run stopped on purpose, nor
    /// for a non-zero exit (the program said what it had to).
    public func endNote(for ending: Ending) -> String? {
        switch (ending, stop) {
        case (.fanOut, _), (.exited(_), nil): nil
        case (.exited(_), let stop?), (.withoutStatus(_), let stop?): stop.cause.finalState == .failed ? stop.cause.reason : nil
        case (.withoutStatus(let reason), nil): reason
        }
    }

    /// The final state and reason: a fan-out's children decide its end; otherwise a stop's cause
    /// decides, else the exit status (or the reason the work never began).
    private func outcome(of ending: Ending) -> (RunState, String?, ExitStatus?) {
        switch (ending, stop) {
        case (.fanOut(let state, let reason), _):
            return (state, reason, nil)
        case (.exited(let status), let stop?):
            return (stop.cause.finalState, stop.cause.reason, status)
        case (.exited(let status), nil):
            return status == .exited(0) ? (.completed, nil, status) : (.failed, status.description, status)
        case (.withoutStatus, let stop?):
            return (stop.cause.finalState, stop.cause.reason, nil)
        case (.withoutStatus(let reason), nil):
            return (.failed, reason, nil)
        }
    }
}

extension RunLifecycle {
    /// What a daemon starting on a store does with a run a daemon before it left unfinished.
    public enum Recovery: Sendable, Equatable {
        /// Queue it again: it never began.
        case requeue
        /// Record it `Failed` with the reason: it was running (its pipes are gone), its launch had begun
        /// (its command may have run: running it again could do twice what must be done once), or it is
        /// part of a fan-out (its hosts' credentials are never stored).
        case fail(reason: String)
    }

    public static func recovery(of run: Run) -> Recovery {
        let launchBegun = run.startedAt != nil
        switch run.state {
        case .notStarted where launchBegun:
            return .fail(
                reason: "the daemon stopped while launching this run; it is not launched again, so its command never runs twice")
        case .notStarted where run.isFanOutChild:
            return .fail(
                reason: "the daemon stopped before this child reached \(run.location)"
                    + " (a fan-out's connections are not kept across restarts)")
        case .notStarted where run.type == .remoteJob:
            return .fail(reason: "the daemon stopped while this fan-out was being created")
        case .notStarted:
            return .requeue
        default:
            return .fail(reason: "the daemon stopped while the run was \(run.state.rawValue) (killed or crashed)")
        }
    }
}
