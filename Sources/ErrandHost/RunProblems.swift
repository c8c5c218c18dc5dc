import ErrandCore
import Synchronization

/// What is wrong with unfinished runs that the store cannot say because it cannot be written (a full disk, a
/// database away): their output waiting to be stored, their end waiting to be recorded. Kept in memory and
/// laid over the stored run's `reason` by every read until the write succeeds, so `errand get`, the API
/// and the dashboard show why a run seems stuck.
public final class RunProblems: Sendable {
    private let problems = Mutex<[Int64: String]>([:])

    public init() {}

    /// Sets (or, with nil, clears) the problem of run `id`.
    func set(_ id: Int64, _ problem: String?) {
        problems.withLock { $0[id] = problem }
    }

    /// The run as it is: the stored run, with its problem as `reason` while it is not recorded finished.
    public func overlay(_ run: Run) -> Run {
        guard !run.state.isFinished, let problem = problems.withLock({ $0[run.id] }) else { return run }
        var shown = run
        shown.reason = problem
        return shown
    }

    public func overlay(_ runs: [Run]) -> [Run] {
        let problems = problems.withLock { $0 }
        if problems.isEmpty { return runs }
        return runs.map { run in problems[run.id] != nil ? overlay(run) : run }
    }
}
