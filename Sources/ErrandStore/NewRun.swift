import ErrandCore
import Foundation

/// The fields of a new run.
public struct NewRun: Sendable, Equatable {
    public var name: String?
    /// The deployed job this run belongs to (nil for ad-hoc runs).
    public var job: String?
    public var type: RunType
    public var argv: [String]
    public var workingDirectory: String?
    public var environment: [String: String]
    public var throttleGroup: String
    public var timeout: Double?
    public var instance: String
    public var trigger: TriggerKind
    /// The trigger in words: the schedule expression, the API caller's user agent, the retried run.
    public var triggerDetail: String?
    public var parentId: Int64?
    public var attempt: Int
    public var createdAt: Date
    /// The session the run belongs to.
    public var session: String?
    /// Not started before this time (a retry's backoff): see ``Run/notBefore``.
    public var notBefore: Date?
    /// The system user to launch it as; nil: the daemon's own user.
    public var runAs: String?
    /// The due time of the scheduled tick this run is (set by ``JobStore/claimTick(job:due:run:skipped:)``).
    public var scheduledFor: Date?
    /// Created for another instance of a fleet to claim (``instance`` is its name, or `any`): see
    /// ``FleetStore/claimRuns(instance:limit:)``.
    public var awaitingClaim = false

    public init(
        name: String? = nil, type: RunType = .backgroundJob, argv: [String], workingDirectory: String? = nil,
        environment: [String: String] = [:], throttleGroup: String = ThrottleGroup.default, timeout: Double? = nil,
        instance: String, trigger: TriggerKind = .manual, parentId: Int64? = nil, attempt: Int = 1, createdAt: Date,
        job: String? = nil, triggerDetail: String? = nil, session: String? = nil, notBefore: Date? = nil,
        runAs: String? = nil
    ) {
        self.runAs = runAs
        self.notBefore = notBefore
        self.session = session
        self.triggerDetail = triggerDetail
        self.name = name
        self.job = job
        self.type = type
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.throttleGroup = throttleGroup
        self.timeout = timeout
        self.instance = instance
        self.trigger = trigger
        self.parentId = parentId
        self.attempt = attempt
        self.createdAt = createdAt
    }
}
