import ErrandCore
import Foundation

/// The daemon's settings that the host needs.
public struct HostConfiguration: Sendable {
    /// This instance's name, recorded on every run it executes (the `Location` column).
    public var instanceName: String
    /// Runs at once per throttle group, unless a run sets its group's limit.
    public var throttleLimit: Int
    /// How long a stopped run gets between SIGTERM and SIGKILL when the caller names no grace.
    public var stopGrace: Duration
    /// The grace given to running runs when the daemon shuts down.
    public var shutdownGrace: Duration
    /// Seconds a disconnected session is kept when it was created without its own idle timeout.
    public var sessionIdleTimeout: Double = Sessions.defaultIdleTimeout
    /// How often the daemon looks for expired sessions.
    public var sessionSweepInterval: Duration = .seconds(1)
    /// The system users runs are launched as (`--run-as`, `--allow-run-as`).
    public var runAs = RunAsPolicy()
    /// Heartbeats, leases and polls of a daemon on a shared store.
    public var fleet = FleetTiming()

    public init(
        instanceName: String = ProcessInfo.processInfo.hostName,
        throttleLimit: Int = 2 * ProcessInfo.processInfo.activeProcessorCount,
        stopGrace: Duration = .seconds(10),
        shutdownGrace: Duration = .seconds(5)
    ) {
        self.instanceName = instanceName
        self.throttleLimit = max(1, throttleLimit)
        self.stopGrace = stopGrace
        self.shutdownGrace = shutdownGrace
    }
}
