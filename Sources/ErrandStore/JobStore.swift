import ErrandCore
import Foundation

/// Deployed jobs and their schedule ticks.
///
/// Guarantees (pinned by the store contract):
/// - a job is unique by name ignoring case (as Kudu's job folders): saving `Report` when `report` exists replaces
///   `report`, which keeps its first spelling and its `createdAt`; `job(named:)` and `deleteJob` ignore case too;
/// - a tick (job, due time) is claimed at most once, whoever claims it and however many claim it at the
///   same time: the uniqueness of (job, due) decides, not luck; the tick's run is created in the same
///   transaction (its ``Run/scheduledFor`` the due time), already `Stopped` with its reason when the tick is skipped;
/// - pruning keeps each job's latest tick, so a tick before it is never claimed again.
public protocol JobStore: Sendable {
    /// Inserts or replaces a job (by name, ignoring case), keeping its name's first spelling and its `createdAt`
    /// when it existed.
    func saveJob(_ job: JobRecord) async throws
    /// The job whose name equals `name` ignoring case.
    func job(named name: String) async throws -> JobRecord?
    /// Every job, sorted by name.
    func jobs() async throws -> [JobRecord]
    /// Deletes a job and its ticks; its runs stay in history. False when there was no such job.
    @discardableResult
    func deleteJob(named name: String) async throws -> Bool

    /// Exactly-once scheduling: records the tick (job, due time) and creates its run in one
    /// transaction, or returns nil when that tick was already claimed (by this instance before a
    /// restart, or by another instance of a cluster). With `skipped`, the run is created finished
    /// (`Stopped`, with the skip's reason and end time) in that same transaction: a tick the overlap or
    /// missed policy skips shows in the job's history, and a crash cannot leave it `NotStarted`.
    func claimTick(job: String, due: Date, run: NewRun, skipped: SkippedTick?) async throws -> Run?
    /// The due time of the job's latest claimed tick: where the scheduler resumes after a restart.
    func lastTick(job: String) async throws -> Date?
    /// Forgets ticks due before `cutoff`, except each job's latest (which `lastTick` needs).
    func pruneTicks(before cutoff: Date) async throws
}

extension JobStore {
    /// Claims a tick whose run will execute (see ``claimTick(job:due:run:skipped:)``).
    public func claimTick(job: String, due: Date, run: NewRun) async throws -> Run? {
        try await claimTick(job: job, due: due, run: run, skipped: nil)
    }
}

/// Why a claimed tick's run will not execute: it is recorded `Stopped` with this reason, ended at `endedAt`.
public struct SkippedTick: Sendable, Equatable {
    public var reason: String
    public var endedAt: Date

    public init(reason: String, endedAt: Date) {
        self.reason = reason
        self.endedAt = endedAt
    }
}
