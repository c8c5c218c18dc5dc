import ErrandCore
import Foundation

/// A stop asked through another instance, for the instance that runs the run (see ``FleetStore/requestStop(runID:grace:)``).
public struct StopRequest: Sendable, Equatable {
    public var runID: Int64
    /// Seconds between SIGTERM and SIGKILL the caller asked for; nil: the run's own.
    public var grace: Double?

    public init(runID: Int64, grace: Double?) {
        self.runID = runID
        self.grace = grace
    }
}

/// What an instance watching another's run needs to wake its local waiters: the run's state and output count.
public struct RunActivity: Sendable, Equatable {
    public var id: Int64
    public var state: RunState
    public var outputSeq: Int64

    public init(id: Int64, state: RunState, outputSeq: Int64) {
        self.id = id
        self.state = state
        self.outputSeq = outputSeq
    }
}

/// What the fleet's daemons agree on through a shared store (PostgreSQL): who is alive, who holds which lease,
/// which stops wait for the instance running the run. Keys and conditional updates make it correct; all times are
/// the database's, so the instances' clocks do not have to agree.
///
/// Guarantees (pinned by the store contract on PostgreSQL):
/// - a name belongs to one live instance: registering a name another node holds, heartbeating within `deadAfter`,
///   is refused; the same node takes it over at once (a restart after a crash);
/// - a heartbeat succeeds only for the incarnation that registered and was not declared dead since; an instance
///   declared dead learns it from its next heartbeat (fencing);
/// - declaring an instance dead fails its unfinished runs with a reason naming it, and frees its leases, in one
///   transaction; an instance never declares itself dead, and nobody is declared dead while the database itself
///   has been up for less than `deadAfter` (its restart stopped every heartbeat);
/// - a lease has at most one holder: taken when free, expired, or held by a dead instance (a `leaving` one keeps
///   it until it has stopped what the lease guards and released it); renewed by its holder's heartbeats; gone
///   with its holder's death or release.
public protocol FleetStore: Sendable {
    /// Registers (or re-registers) an instance as alive, clearing the leases and stop requests its name held before.
    func register(_ instance: InstanceRecord, deadAfter: Duration) async throws
    /// Renews the instance's heartbeat and its leases (for `leaseTime`). Nil when it was declared dead (fenced):
    /// it must stop its runs and leave. Otherwise the leases it still holds.
    func heartbeat(name: String, incarnation: String, leaseTime: Duration) async throws -> Set<String>?
    /// Every instance known, alive first, then by name.
    func instances() async throws -> [InstanceRecord]
    /// Declares dead every other instance whose last heartbeat is older than `deadAfter`; their names.
    func reapInstances(deadAfter: Duration, by reaper: String) async throws -> [String]
    /// Marks the instance `leaving` (a graceful stop begins) or, with `finished`, `dead` with its leases released.
    func leave(name: String, incarnation: String, finished: Bool) async throws
    /// Takes or renews the lease `lease` for `holder` (for `leaseTime`); whether `holder` holds it now.
    func acquireLease(_ lease: String, holder: String, leaseTime: Duration) async throws -> Bool
    /// Gives the lease up when `holder` holds it.
    func releaseLease(_ lease: String, holder: String) async throws
    /// Asks the instance running an unfinished run to stop it; false when the run is finished or unknown. A run no
    /// instance has claimed yet is recorded `Stopped` at once.
    func requestStop(runID: Int64, grace: Double?) async throws -> Bool
    /// Claims up to `limit` runs waiting for `instance` (pinned to it, or to `any`), oldest first and each by one
    /// instance only (`FOR UPDATE SKIP LOCKED`), past their `notBefore`: they become this instance's.
    func claimRuns(instance: String, limit: Int) async throws -> [Run]
    /// The stops asked for `instance`'s runs since it last looked (taken: each is handed out once).
    func takeStopRequests(instance: String) async throws -> [StopRequest]
    /// Runs of other instances that are unfinished or ended within `window`, for waking local waiters.
    func activity(excludingInstance instance: String, window: Duration) async throws -> [RunActivity]
}

/// A wake-up between the instances of a fleet (PostgreSQL's NOTIFY): a hint that something changed, never the
/// change itself. At most once and best effort: every instance also polls, so nothing depends on one arriving.
public struct FleetNotice: Sendable, Equatable {
    public enum Topic: String, Sendable {
        /// Runs of the sender changed state or have new output.
        case runs
        /// A stop was asked of a run of another instance.
        case stop
        /// A run waits to be claimed.
        case claim
        /// A job was deployed, changed, started, stopped or removed.
        case jobs
        /// A lease was released.
        case lease
    }

    public var sender: String
    public var topic: Topic

    public init(sender: String, topic: Topic) {
        self.sender = sender
        self.topic = topic
    }

    /// `sender|topic`, the notification's payload.
    public var payload: String { "\(sender)|\(topic.rawValue)" }

    public init?(payload: String) {
        guard let bar = payload.lastIndex(of: "|"), let topic = Topic(rawValue: String(payload[payload.index(after: bar)...]))
        else { return nil }
        self.init(sender: String(payload[..<bar]), topic: topic)
    }
}

/// How the instances of a fleet wake each other (PostgreSQL's LISTEN/NOTIFY).
public protocol FleetNotifier: Sendable {
    /// Tells every listening instance (best effort).
    func notify(_ notice: FleetNotice) async throws
    /// Calls `heard` with every notice until cancelled; throws when the connection is lost (listen again).
    func listen(_ heard: @escaping @Sendable (FleetNotice) async -> Void) async throws
}

/// The reason a run of an instance declared dead ends with (and how to recognise it after a restart, when the
/// instance kills what its dead predecessor left running).
public enum DeclaredDead {
    public static func reason(instance: String, lastHeartbeat: String, reaper: String) -> String {
        "instance \(instance) stopped heartbeating at \(lastHeartbeat) and \(marker) \(reaper)"
    }

    public static func isReason(_ reason: String?) -> Bool { reason?.contains(marker) ?? false }

    static let marker = "was declared dead by"
}
