import ErrandCore
import Foundation
import GRDB

extension SQLiteStore {
    /// A fan-out child's chunks are numbered in its parent too, in the same transaction: SQLite has one writer at
    /// a time, so the parent's numbers are given in the order they become visible.
    public func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws {
        guard let last = chunks.last else { return }
        try await write { db in
            let parent = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT parent_id FROM runs WHERE id = ? AND type = ? AND parent_id IS NOT NULL"),
                arguments: [runID, Run.fanOutType.rawValue])
            var base: Int64 = 0
            if let parent {
                base = try Int64.fetchOne(db.cachedStatement(sql: "SELECT output_seq FROM runs WHERE id = ?"), arguments: [parent]) ?? 0
                try db.cachedStatement(sql: "UPDATE runs SET output_seq = output_seq + ? WHERE id = ?")
                    .execute(arguments: [chunks.count, parent])
            }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO output (run_id, seq, stream, time, data, fan_out_id, fan_out_seq) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for (index, chunk) in chunks.enumerated() {
                try insert.execute(arguments: [
                    runID, chunk.seq, chunk.stream.rawValue, chunk.time, Data(chunk.bytes), parent,
                    parent.map { _ in base + Int64(index) + 1 },
                ])
            }
            try db.cachedStatement(sql: "UPDATE runs SET output_seq = MAX(output_seq, ?) WHERE id = ?")
                .execute(arguments: [last.seq, runID])
        }
    }

    public func output(runID: Int64, after: Int64, limit: Int) async throws -> [OutputChunk] {
        try await read { db in try Self.fetchOutput(db, runID: runID, after: after, limit: limit) }
    }

    public func cursor(runID: Int64, reader: String) async throws -> Int64 {
        try await read { db in try Self.fetchCursor(db, runID: runID, reader: reader) }
    }

    /// Atomic because it is one write transaction, and SQLite has one writer at a time.
    public func receive(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]? {
        try await write { db in
            guard let pending = try Self.fetchPending(db, runID: runID, reader: reader, limit: limit) else { return nil }
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO cursors (run_id, reader, position) VALUES (?, ?, ?)
                    ON CONFLICT (run_id, reader) DO UPDATE SET position = MAX(position, excluded.position)
                    """)
            for (run, position) in pending.cursors { try upsert.execute(arguments: [run, reader, position]) }
            return pending.chunks
        }
    }

    public func peek(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]? {
        try await read { db in try Self.fetchPending(db, runID: runID, reader: reader, limit: limit)?.chunks }
    }

    public func trimOutput(runID: Int64, keepBytes: Int64) async throws -> Int64 {
        try await write { db in
            let sizes = try Row.fetchCursor(
                db, sql: "SELECT seq, length(data) AS size FROM output WHERE run_id = ? ORDER BY seq DESC", arguments: [runID])
            var kept: Int64 = 0
            var cut: Int64?
            var deleted: Int64 = 0
            while let row = try sizes.next() {
                let size: Int64 = row["size"]
                if cut != nil {
                    deleted += size
                } else if kept + size > keepBytes {
                    cut = row["seq"]
                    deleted += size
                } else {
                    kept += size
                }
            }
            if let cut { try db.execute(sql: "DELETE FROM output WHERE run_id = ? AND seq <= ?", arguments: [runID, cut]) }
            return deleted
        }
    }

    /// Chunks after `after`: the run's own, or, for a fan-out parent, its children's in its numbers, labelled
    /// with their hosts. Each side reads at most `limit` rows along an index (one of them is empty); a negative
    /// `limit` is no chunk (SQLite reads a negative LIMIT as none at all).
    static func fetchOutput(_ db: Database, runID: Int64, after: Int64, limit: Int) throws -> [OutputChunk] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM (
                        SELECT seq, stream, time, data, NULL AS host FROM output
                        WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)
                    UNION ALL
                    SELECT * FROM (
                        SELECT output.fan_out_seq AS seq, output.stream, output.time, output.data, child.instance AS host
                        FROM output JOIN runs AS child ON child.id = output.run_id
                        WHERE output.fan_out_id = ?1 AND output.fan_out_seq > ?2 ORDER BY output.fan_out_seq LIMIT ?3)
                    ORDER BY seq LIMIT ?3
                    """),
            arguments: [runID, after, max(0, limit)]
        ).map(decodeChunk)
    }

    static func decodeChunk(_ row: Row) -> OutputChunk {
        let data: Data = row["data"]
        return OutputChunk(
            seq: row["seq"], time: row["time"], stream: OutputChannel(rawValue: row["stream"]) ?? .output,
            bytes: [UInt8](data), host: row["host"])
    }

    /// What the reader has not received, and where its cursors go once it has: past the run's own chunks, or,
    /// for a fan-out parent, past each child's chunks it takes (the parent's readers have cursors on its
    /// children only). Nil when there is no such run.
    static func fetchPending(_ db: Database, runID: Int64, reader: String, limit: Int) throws
        -> (chunks: [OutputChunk], cursors: [(run: Int64, position: Int64)])?
    {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT type, parent_id FROM runs WHERE id = ?"), arguments: [runID])
        else { return nil }
        guard Run.isFanOutParent(type: RunType(rawValue: row["type"]) ?? .backgroundJob, parentId: row["parent_id"]) else {
            let chunks = try fetchOutput(db, runID: runID, after: try fetchCursor(db, runID: runID, reader: reader), limit: limit)
            return (chunks, chunks.last.map { [(runID, $0.seq)] } ?? [])
        }
        // The children's chunks past their cursors, in the parent's order. The scan starts at the first of
        // them (each child's first unreceived chunk is found along its own key), so it does not walk again
        // through what was received before.
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT output.run_id AS child, output.seq AS child_seq, output.fan_out_seq AS seq, output.stream,
                        output.time, output.data, runs.instance AS host
                    FROM output JOIN runs ON runs.id = output.run_id
                    WHERE output.fan_out_id = ?1
                        AND output.fan_out_seq >= (
                            SELECT MIN((
                                SELECT first.fan_out_seq FROM output AS first
                                WHERE first.run_id = child.id AND first.seq > \(childCursorSQL("child.id"))
                                ORDER BY first.seq LIMIT 1))
                            FROM runs AS child WHERE child.parent_id = ?1 AND child.type = ?4)
                        AND output.seq > \(childCursorSQL("output.run_id"))
                    ORDER BY output.fan_out_seq LIMIT ?3
                    """),
            arguments: [runID, reader, max(0, limit), Run.fanOutType.rawValue])
        var positions: [Int64: Int64] = [:]
        for row in rows { positions[row["child"]] = max(positions[row["child"]] ?? 0, row["child_seq"]) }
        return (rows.map(decodeChunk), positions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// The reader's (`?2`) cursor on a child whose id is `column`.
    static func childCursorSQL(_ column: String) -> String {
        "COALESCE((SELECT position FROM cursors WHERE cursors.run_id = \(column) AND cursors.reader = ?2), 0)"
    }

    static func fetchCursor(_ db: Database, runID: Int64, reader: String) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT position FROM cursors WHERE run_id = ? AND reader = ?"), arguments: [runID, reader]) ?? 0
    }
}
