/// Receive semantics, apart from storage: what a reader has not yet received, and whether a
/// run still has data for it (PowerShell's `HasMoreData`). Unlike PowerShell, receiving never
/// destroys output: a reader's cursor moves, the chunks stay.
public enum Receiving {
    /// The reader used when a client names none.
    public static let defaultReader = ""

    /// True while the run may still produce output, or output exists past the reader's cursor.
    public static func hasMoreData(state: RunState, lastSeq: Int64, cursor: Int64) -> Bool {
        !state.isFinished || lastSeq > cursor
    }

    /// The cursor after a read that returned `chunks` from `cursor`; `keep` leaves it where it was.
    public static func advance(cursor: Int64, past chunks: [OutputChunk], keep: Bool) -> Int64 {
        guard !keep, let last = chunks.last?.seq else { return cursor }
        return max(cursor, last)
    }
}
