import ErrandCore
import ErrandStore
import Foundation

/// Everything the coordinator needs to create and execute one run. `RunCoordinator.start(_:trigger:)`
/// builds one for an ad-hoc run; the job host builds them for deployed jobs.
public struct RunPlan: Sendable {
    /// The stored fields of the run (command, environment, group, trigger, job…).
    public var run: NewRun
    /// Changes the limit of the run's throttle group from now on.
    public var throttleLimit: Int?
    /// Grace between SIGTERM and SIGKILL when the run is stopped without a caller-given grace.
    public var stopGrace: Duration?
    /// A run that writes no output for this long is stopped and recorded `Failed`.
    public var idleTimeout: Duration?
    /// A schedule tick: the run is created only if this (job, due time) was not claimed before.
    public var tick: Date?
    /// Whether processes the run leaves behind are stopped with it (a job's `kill_mode`).
    public var killMode: KillMode

    public init(
        run: NewRun, throttleLimit: Int? = nil, stopGrace: Duration? = nil, idleTimeout: Duration? = nil,
        tick: Date? = nil, killMode: KillMode = .controlGroup
    ) {
        self.killMode = killMode
        self.run = run
        self.throttleLimit = throttleLimit
        self.stopGrace = stopGrace
        self.idleTimeout = idleTimeout
        self.tick = tick
    }
}
