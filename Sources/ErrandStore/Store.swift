import ErrandCore
import Foundation

/// Everything durable goes through this protocol. The SQLite engine serves one host; a PostgreSQL
/// engine for a fleet implements the same contract, checked by the same contract tests.
///
/// Meaning, not mechanics: ids come from the store and only increase; times are UTC instants;
/// a run's output chunks are numbered by the writer (one writer per run) and unique per run.
public protocol Store: Sendable {
    /// Inserts a run in `NotStarted`; its default name is `Job<Id>`.
    func createRun(_ new: NewRun) async throws -> Run
    func run(id: Int64, reader: String) async throws -> Run?
    /// Runs matching `query`, sorted by id.
    func runs(_ query: RunQuery) async throws -> [Run]
    /// The newest run of each deployed job that has runs, by job name (one query for the job list).
    func latestRunOfEachJob() async throws -> [String: Run]
    /// Writes the given fields of a run; false when there is no such run. A finished state (Completed,
    /// Failed, Stopped) is final: an update to an unfinished state leaves it as it is.
    @discardableResult
    func updateRun(id: Int64, _ update: RunUpdate) async throws -> Bool
    /// The environment the run's process gets (kept apart from ``Run``: it may hold secrets).
    func environment(runID: Int64) async throws -> [String: String]?
    /// Deletes a run with its output and cursors; false when there was no such run.
    @discardableResult
    func deleteRun(id: Int64) async throws -> Bool

    /// Inserts or replaces a job (by name), keeping its `createdAt` when it existed.
    func saveJob(_ job: JobRecord) async throws
    func job(named name: String) async throws -> JobRecord?
    /// Every job, sorted by name.
    func jobs() async throws -> [JobRecord]
    /// Deletes a job; its runs stay in history. False when there was no such job.
    @discardableResult
    func deleteJob(named name: String) async throws -> Bool

    /// Exactly-once scheduling: records the tick (job, due time) and creates its run in one
    /// transaction, or returns nil when that tick was already claimed (by this instance before a
    /// restart, or by another instance of a cluster). The uniqueness of (job, due) decides, not luck.
    func claimTick(job: String, due: Date, run: NewRun) async throws -> Run?
    /// The due time of the job's latest claimed tick: where the scheduler resumes after a restart.
    func lastTick(job: String) async throws -> Date?
    /// Forgets ticks due before `cutoff`, except each job's latest (which `lastTick` needs).
    func pruneTicks(before cutoff: Date) async throws

    /// Appends chunks (already numbered, in order) in one transaction.
    func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws
    /// Chunks with `seq > after`, in order, at most `limit`.
    func output(runID: Int64, after: Int64, limit: Int) async throws -> [OutputChunk]
    /// Deletes the run's oldest chunks until at most `keepBytes` of output remain (log rotation of a
    /// long-lived run); returns how many bytes were deleted.
    @discardableResult
    func trimOutput(runID: Int64, keepBytes: Int64) async throws -> Int64
    /// The reader's cursor (0 when it has received nothing).
    func cursor(runID: Int64, reader: String) async throws -> Int64
    /// Reads the chunks after the reader's cursor and moves the cursor past them, atomically,
    /// so two receivers never get the same chunk. Nil when there is no such run.
    func receive(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]?

    /// Inserts a token; a ``ErrandError/Code/conflict`` error when its name (or prefix) is taken.
    func createToken(_ token: TokenRecord) async throws
    /// The token whose secret starts with `prefix`, if any.
    func token(prefix: String) async throws -> TokenRecord?
    /// Every token, sorted by name.
    func tokens() async throws -> [TokenRecord]
    /// Deletes a token; false when there was no such token.
    @discardableResult
    func deleteToken(named name: String) async throws -> Bool
    /// Records when a token was last used.
    func touchToken(named name: String, at time: Date) async throws
    /// Inserts a session; false (nothing written) when one of that name exists.
    func createSession(_ session: Session) async throws -> Bool
    func session(named name: String) async throws -> Session?
    /// Every session, sorted by name.
    func sessions() async throws -> [Session]
    /// Writes a session's state and times; false when there is no such session.
    @discardableResult
    func updateSession(_ session: Session) async throws -> Bool
    /// Deletes a session and its cursors; its runs stay, in no session. False when there was no such session.
    @discardableResult
    func deleteSession(named name: String) async throws -> Bool
    /// Why the store could not write the last time it tried (disk full, read-only), nil when it could.
    var writeProblem: String? { get }
}

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

    public init(
        name: String? = nil, type: RunType = .backgroundJob, argv: [String], workingDirectory: String? = nil,
        environment: [String: String] = [:], throttleGroup: String = ThrottleGroup.default, timeout: Double? = nil,
        instance: String, trigger: TriggerKind = .manual, parentId: Int64? = nil, attempt: Int = 1, createdAt: Date,
        job: String? = nil, triggerDetail: String? = nil, session: String? = nil
    ) {
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

/// A partial update of a run: nil fields are left as they are.
public struct RunUpdate: Sendable, Equatable {
    public var state: RunState?
    public var pid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    public var startedAt: Date?
    public var endedAt: Date?

    public init(
        state: RunState? = nil, pid: Int32? = nil, exitCode: Int32? = nil, signal: Int32? = nil, reason: String? = nil,
        startedAt: Date? = nil, endedAt: Date? = nil
    ) {
        self.state = state
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

/// Filters for listing runs. Empty lists mean "any".
public struct RunQuery: Sendable, Equatable {
    public var ids: [Int64] = []
    /// Name patterns with `*` and `?` wildcards, matched without regard to case.
    public var names: [String] = []
    public var states: [RunState] = []
    /// Runs of these deployed jobs.
    public var jobs: [String] = []
    public var hasMoreData: Bool?
    /// Only runs with an id greater / smaller than this.
    public var after: Int64?
    public var before: Int64?
    /// Only the newest N of the matches (still returned in id order).
    public var newest: Int?
    public var limit: Int?
    /// The reader whose cursor decides `hasMoreData`.
    public var reader: String = Receiving.defaultReader
    /// Only the runs of this session.
    public var session: String?
    /// Only the children of this run (a fan-out's).
    public var parent: Int64?
    /// False leaves out the children of fan-outs (as `Get-Job` does without `-IncludeChildJob`).
    public var includeChildren = true

    public init(
        ids: [Int64] = [], names: [String] = [], states: [RunState] = [], hasMoreData: Bool? = nil,
        after: Int64? = nil, before: Int64? = nil, newest: Int? = nil, limit: Int? = nil,
        reader: String = Receiving.defaultReader, jobs: [String] = [], session: String? = nil, parent: Int64? = nil,
        includeChildren: Bool = true
    ) {
        self.session = session
        self.parent = parent
        self.includeChildren = includeChildren
        self.ids = ids
        self.jobs = jobs
        self.names = names
        self.states = states
        self.hasMoreData = hasMoreData
        self.after = after
        self.before = before
        self.newest = newest
        self.limit = limit
        self.reader = reader
    }
}

extension Store {
    /// Why the store could not write the last time it tried (disk full, read-only), nil when it could.
    public var writeProblem: String? { nil }

    public func run(id: Int64) async throws -> Run? { try await run(id: id, reader: Receiving.defaultReader) }
}
