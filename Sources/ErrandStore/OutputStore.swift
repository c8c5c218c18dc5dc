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
///
/// A fan-out (``Run/isFanOutParent``) keeps its output once, in its children (``Run/isFanOutChild``):
/// - the parent's output is its children's chunks, each labelled with its child's host (the child's
///   `location`) and numbered 1, 2, 3… in the parent in the order they were stored: the appends of the
///   children of one parent take turns, so a reader that saw number n has seen every number below it;
///   the parent's `outputSeq` is its last number, and reads of the parent page by these numbers;
/// - a reader's position in the parent is its cursors on the children: receiving the parent moves them,
///   so what it received is not received again from a child, and what was received from a child is not
///   received again from the parent; receivers of a parent and of its children never get the same chunk;
/// - removing or trimming a child removes its chunks from the parent's output too.
public protocol OutputStore: Sendable {
    /// Appends chunks (already numbered, in order) in one transaction, and moves the run's `outputSeq`
    /// (and, for a fan-out child, its parent's).
    func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws
    /// Chunks with `seq > after`, in order, at most `limit` (a fan-out parent's: its children's, in its numbers).
    func output(runID: Int64, after: Int64, limit: Int) async throws -> [OutputChunk]
    /// Deletes the run's oldest chunks until at most `keepBytes` of output remain (log rotation of a
    /// long-lived run); returns how many bytes were deleted.
    @discardableResult
    func trimOutput(runID: Int64, keepBytes: Int64) async throws -> Int64
    /// The reader's cursor on the run's own output (0 when it has received nothing; always 0 for a fan-out
    /// parent, which has no output of its own: its readers' positions are their cursors on its children).
    func cursor(runID: Int64, reader: String) async throws -> Int64
    /// Reads the chunks the reader has not received and moves its cursor past them, atomically,
    /// so two receivers never get the same chunk. Nil when there is no such run.
    func receive(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]?
    /// What ``receive(runID:reader:limit:)`` would return now, without moving any cursor
    /// (`receive --keep`). Nil when there is no such run.
    func peek(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]?
}
