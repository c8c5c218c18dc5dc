import ErrandCore
import Foundation

/// Filters for listing runs. Empty lists mean "any".
public struct RunQuery: Sendable, Equatable {
    public var ids: [Int64] = []
    /// Name patterns (``NamePattern``: `*` and `?` wildcards, ASCII letters in either case); any may match.
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
    /// True leaves out runs that were stopped before they ever started (``Run/isSkipRecord``: a schedule tick the
    /// overlap or missed policy skipped, a queued run stopped before its turn). They stay in the history, but a
    /// job's latest run is its latest real one.
    public var realOnly = false

    public init(
        ids: [Int64] = [], names: [String] = [], states: [RunState] = [], hasMoreData: Bool? = nil,
        after: Int64? = nil, before: Int64? = nil, newest: Int? = nil, limit: Int? = nil,
        reader: String = Receiving.defaultReader, jobs: [String] = [], session: String? = nil, parent: Int64? = nil,
        includeChildren: Bool = true, realOnly: Bool = false
    ) {
        self.realOnly = realOnly
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
