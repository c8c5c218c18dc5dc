import ErrandCore
import Foundation

/// Runs: creating, reading, listing, updating and deleting them.
///
/// Guarantees (each pinned by `Tests/ErrandStoreTests/StoreContract.swift`):
/// - ids come from the store, are unique and only increase; a deleted run's id is never given again;
/// - a run created without a name is named `Job<id>`;
/// - a finished state (``RunState/isFinished``: Completed, Failed, Stopped) is final: an update to an
///   unfinished state leaves it as it is (its other fields are still written);
/// - ``Run/hasMoreData`` is ``Receiving/hasMoreData(state:lastSeq:cursor:)`` for the reader asked about;
/// - unknown ids are nil or false, never errors. Failures are ``StoreError``s.
public protocol RunStore: Sendable {
    /// Inserts a run in `NotStarted` (with its ``NewRun/notBefore`` time, if any); its default name is `Job<Id>`.
    func createRun(_ new: NewRun) async throws -> Run
    /// The run, with `hasMoreData` for `reader`'s cursor; nil when there is no such run.
    func run(id: Int64, reader: String) async throws -> Run?
    /// Runs matching `query`, sorted by id.
    func runs(_ query: RunQuery) async throws -> [Run]
    /// The newest real run of each deployed job that has one, by job name (one query for the job list): runs
    /// stopped before they ever started (skipped ticks; ``RunQuery/realOnly``) are left out.
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
}

extension RunStore {
    /// The run as the default reader sees it.
    public func run(id: Int64) async throws -> Run? { try await run(id: id, reader: Receiving.defaultReader) }
}
