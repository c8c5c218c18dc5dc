import Foundation

/// How often the instances of a fleet (daemons on one shared store) speak and how long their silence is
/// trusted. The defaults meet WebJobs' expectations on a LAN: a dead instance is declared dead within about
/// 12 s and its singletons move within about 15 s; tests shorten them.
public struct FleetTiming: Sendable {
    /// Between heartbeats (each also renews this instance's leases and reconciles its jobs with the store).
    public var heartbeat: Duration = .seconds(2)
    /// An instance whose last heartbeat is older than this is declared dead by any other.
    public var deadAfter: Duration = .seconds(10)
    /// How long a lease (a singleton's) lasts without renewal.
    public var leaseTime: Duration = .seconds(15)
    /// A singleton's holder that could not heartbeat for this long stops the singleton itself, before anyone
    /// could declare it dead and take the lease over (fail closed).
    public var fenceAfter: Duration = .seconds(8)
    /// Between looks at other instances' runs (to wake local waiters) and at stops asked of this instance.
    public var watch: Duration = .milliseconds(200)
    /// How long a run that ended on another instance is still watched for.
    public var window: Duration = .seconds(30)

    public init() {}
}
