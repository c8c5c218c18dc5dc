import ErrandCore
import Foundation

/// A run's output chunks and its readers' receive cursors.
///
/// Guarantees (pinned by the store contract):
/// - chunks are numbered by their run's single writer; a number is stored once per run (a duplicate is a
///   ``StoreError/conflict(_:)``), and reads return them in number order;
/// - ``receive(runID:reader:limit:)`` is atomic: receivers of the same reader running at the same time
///   never get the same chunk, and together they get every chunk;
/// - receiving never deletes output: only ``trimOutput(runID:keepBytes:)`` and deleting the run do.
public protocol OutputStore: Sendable {
    /// Appends chunks (already numbered, in order) in one transaction, and moves the run's `outputSeq`.
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
}
