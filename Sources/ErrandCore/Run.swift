import Foundation

/// One execution of work, as the API and the CLI show it. Field names are the API's contract.
public struct Run: Codable, Sendable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    /// The deployed job this run belongs to; nil for ad-hoc runs.
    public var job: String?
    public var type: RunType
    public var state: RunState
    /// True while the run is not finished or output exists that the default reader has not received.
    public var hasMoreData: Bool
    /// The instance that runs it.
    public var location: String
    /// The command line as one readable string (PowerShell's `Command` column).
    public var command: String
    /// The executable and its arguments, exactly as they are passed to the process.
    public var argv: [String]
    public var workingDirectory: String?
    public var throttleGroup: String
    public var timeout: Double?
    public var trigger: TriggerKind
    /// The trigger in words: `schedule 0 */5 * * * *`, `api curl/8.5.0`, the retried run.
    public var triggerDetail: String?
    public var parentId: Int64?
    public var attempt: Int
    public var pid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    /// Sequence number of the last output chunk written so far (0: none).
    public var outputSeq: Int64
    /// The session the run was started in (`errand start --session`); nil for runs of no session.
    public var session: String?
    /// A run waiting to start (`NotStarted`) is not started before this time (a retry's backoff, kept
    /// across restarts); nil when it may start at once. Absent from the JSON when nil.
    public var notBefore: Date?
    /// The system user the run was launched as (`--run-as`, a job's `run_as`); nil: the daemon's own user.
    /// Absent from the JSON when nil.
    public var runAs: String?
    /// A scheduled tick's due time (the run of that tick); nil for other runs. Absent from the JSON when nil.
    public var scheduledFor: Date?

    public init(
        id: Int64, name: String, job: String? = nil, type: RunType = .backgroundJob, state: RunState = .notStarted,
        hasMoreData: Bool = true, location: String, argv: [String], workingDirectory: String? = nil,
        throttleGroup: String = ThrottleGroup.default, timeout: Double? = nil, trigger: TriggerKind = .manual,
        triggerDetail: String? = nil, parentId: Int64? = nil, attempt: Int = 1, pid: Int32? = nil, exitCode: Int32? = nil,
        signal: Int32? = nil,
        reason: String? = nil, createdAt: Date, startedAt: Date? = nil, endedAt: Date? = nil, outputSeq: Int64 = 0,
        session: String? = nil, notBefore: Date? = nil, runAs: String? = nil, scheduledFor: Date? = nil
    ) {
        self.scheduledFor = scheduledFor
        self.id = id
        self.name = name
        self.job = job
        self.type = type
        self.state = state
        self.hasMoreData = hasMoreData
        self.location = location
        self.command = ShellWords.display(argv)
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.throttleGroup = throttleGroup
        self.timeout = timeout
        self.trigger = trigger
        self.triggerDetail = triggerDetail
        self.parentId = parentId
        self.attempt = attempt
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outputSeq = outputSeq
        self.session = session
        self.notBefore = notBefore
        self.runAs = runAs
    }
}

extension Run {
    /// A fan-out's parent (`errand invoke`): it runs nothing itself; its children run on the hosts.
    public var isFanOutParent: Bool { Self.isFanOutParent(type: type, parentId: parentId) }
    /// One host's part of a fan-out (a retry also has a parent, but is not remote).
    public var isFanOutChild: Bool { Self.isFanOutChild(type: type, parentId: parentId) }

    /// The fan-out child rule on its parts, for stores that filter on it (`RunQuery.includeChildren`).
    public static func isFanOutChild(type: RunType, parentId: Int64?) -> Bool { type == .remoteJob && parentId != nil }

    /// Stopped before it ever started: a schedule tick the overlap or missed policy skipped, or a queued run stopped
    /// before its turn. It stays in the history with its reason, but is not a job's latest run.
    public var isSkipRecord: Bool { state == .stopped && startedAt == nil }

    /// The fan-out parent rule on its parts, for stores that read a parent's output from its children.
    public static func isFanOutParent(type: RunType, parentId: Int64?) -> Bool { type == .remoteJob && parentId == nil }

    /// The type of a fan-out's runs, parent and children (the one type both rules accept).
    public static let fanOutType = RunType.remoteJob
}

/// Names of throttle groups.
public enum ThrottleGroup {
    /// The group of runs started without `--throttle-group`.
    public static let `default` = "default"
}

/// Shell-style display of an argv, for people (never re-parsed).
public enum ShellWords {
    public static func display(_ argv: [String]) -> String {
        argv.map(quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        if plain && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
