/// Receive semantics, apart from storage: what a reader has not yet received, and whether a
/// run still has data for it (PowerShell's `HasMoreData`). Unlike PowerShell, receiving never
/// destroys output: a reader's cursor moves, the chunks stay.
///
/// A fan-out parent has no output of its own: its output is its children's, each chunk stored once, in
/// the child, and numbered a second time in the parent's order. A reader's position in it is its cursors on
/// the children, so receiving the parent consumes the children's output, and receiving a child leaves only
/// the other children's for the parent (PowerShell's Receive-Job on a parent job and its child jobs).
public enum Receiving {
    /// The reader used when a client names none.
    public static let defaultReader = ""

    /// True while the run may still produce output, or output exists that the reader has not received.
    /// For a fan-out parent, `pendingOutput` is "some child has output past that child's cursor".
    public static func hasMoreData(state: RunState, pendingOutput: Bool) -> Bool {
        !state.isFinished || pendingOutput
    }

    /// True while the run may still produce output, or output exists past the reader's cursor.
    public static func hasMoreData(state: RunState, lastSeq: Int64, cursor: Int64) -> Bool {
        hasMoreData(state: state, pendingOutput: lastSeq > cursor)
    }

    /// The cursor after a read that returned `chunks` from `cursor`; `keep` leaves it where it was.
    public static func advance(cursor: Int64, past chunks: [OutputChunk], keep: Bool) -> Int64 {
        guard !keep, let last = chunks.last?.seq else { return cursor }
        return max(cursor, last)
    }
}
