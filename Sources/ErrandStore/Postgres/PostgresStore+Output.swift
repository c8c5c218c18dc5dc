import ErrandCore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// One statement (one round trip, atomic on its own): the chunks in, then the run's last number moved. A
    /// fan-out child's chunks are numbered in its parent too: the parent's row is updated first and stays
    /// locked until the statement commits, so the appends of one parent's children take turns and the
    /// parent's numbers become visible in order (a reader that saw number n never misses a smaller one).
    public func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws {
        guard let last = chunks.last else { return }
        // One statement for the whole batch: the columns as arrays, unnested into rows.
        let seqs = chunks.map(\.seq)
        let streams = chunks.map(\.stream.rawValue)
        let times = chunks.map { StoreTime.kept($0.time) }
        let data = chunks.map { ByteBuffer(bytes: $0.bytes) }
        let count = Int64(chunks.count)
        try await query(
            """
            WITH parent AS (
                UPDATE runs SET output_seq = output_seq + \(count)
                WHERE id = (SELECT parent_id FROM runs WHERE id = \(runID) AND type = \(Run.fanOutType.rawValue))
                RETURNING id, output_seq - \(count) AS base),
            added AS (
                INSERT INTO output (run_id, seq, stream, time, data, fan_out_id, fan_out_seq)
                SELECT \(runID), chunk.seq, chunk.stream, chunk.time, chunk.data, (SELECT id FROM parent),
                    (SELECT base FROM parent) + chunk.n
                FROM unnest(\(seqs)::bigint[], \(streams)::text[], \(times)::timestamptz[], \(data)::bytea[])
                    WITH ORDINALITY AS chunk(seq, stream, time, data, n)
                RETURNING 1)
            UPDATE runs SET output_seq = GREATEST(output_seq, \(last.seq)) WHERE id = \(runID) AND EXISTS (SELECT 1 FROM added)
            """)
    }

    public func output(runID: Int64, after: Int64, limit: Int) async throws -> [OutputChunk] {
        try await query(Self.outputQuery(runID: runID, after: after, limit: limit)).map(Self.decodeChunk)
    }

    public func cursor(runID: Int64, reader: String) async throws -> Int64 {
        try await query("SELECT position FROM cursors WHERE run_id = \(runID) AND reader = \(reader)").first?.decode(Int64.self) ?? 0
    }

    /// Atomic: the run's row is locked (`FOR UPDATE`) for the transaction, so receivers of one run take turns;
    /// a fan-out parent's receive locks its children's rows too (parent first, then children in id order), so
    /// it takes turns with receivers of the children as well.
    public func receive(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]? {
        try await transaction { connection in
            let locked = try await connection.query(
                """
                SELECT id FROM runs WHERE id = \(runID)
                    OR (parent_id = \(runID) AND type = \(Run.fanOutType.rawValue)
                        AND EXISTS (SELECT 1 FROM runs AS parent WHERE parent.id = \(runID) AND parent.parent_id IS NULL))
                ORDER BY id FOR UPDATE
                """, logger: quiet
            ).collect()
            guard !locked.isEmpty else { return nil }
            guard let pending = try await Self.pending(connection, runID: runID, reader: reader, limit: limit)
            else { return nil }
            if !pending.cursors.isEmpty {
                // Every cursor moved in one statement (a parent's receive moves one per child it took from).
                try await connection.query(
                    """
                    INSERT INTO cursors (run_id, reader, position)
                    SELECT moved.run_id, \(reader), moved.position
                    FROM unnest(\(pending.cursors.map(\.run))::bigint[], \(pending.cursors.map(\.position))::bigint[])
                        AS moved(run_id, position)
                    ON CONFLICT (run_id, reader) DO UPDATE SET position = GREATEST(cursors.position, excluded.position)
                    """, logger: quiet)
            }
            return pending.chunks
        }
    }

    public func peek(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]? {
        try await transaction { connection in
            try await Self.pending(connection, runID: runID, reader: reader, limit: limit)?.chunks
        }
    }

    public func trimOutput(runID: Int64, keepBytes: Int64) async throws -> Int64 {
        try await transaction { connection in
            // The newest chunks whose sizes add up to at most keepBytes stay; everything older goes.
            let rows = try await connection.query(
                """
                WITH sized AS (
                    SELECT seq, length(data)::bigint AS size,
                        SUM(length(data)::bigint) OVER (ORDER BY seq DESC) AS newer_and_this
                    FROM output WHERE run_id = \(runID))
                DELETE FROM output USING sized
                WHERE output.run_id = \(runID) AND output.seq = sized.seq AND sized.newer_and_this > \(keepBytes)
                RETURNING sized.size
                """, logger: quiet
            ).collect()
            return try rows.reduce(0) { $0 + (try $1.decode(Int64.self)) }
        }
    }

    /// Chunks after `after`: the run's own, or, for a fan-out parent, its children's in its numbers, labelled with
    /// their hosts. Each side reads at most `limit` rows along an index (one of them is empty).
    static func outputQuery(runID: Int64, after: Int64, limit: Int) -> PostgresQuery {
        let limit = max(0, limit)
        return """
            (SELECT seq, stream, time, data, NULL::text AS host FROM output
             WHERE run_id = \(runID) AND seq > \(after) ORDER BY seq LIMIT \(limit))
            UNION ALL
            (SELECT output.fan_out_seq, output.stream, output.time, output.data, child.instance
             FROM output JOIN runs AS child ON child.id = output.run_id
             WHERE output.fan_out_id = \(runID) AND output.fan_out_seq > \(after) ORDER BY output.fan_out_seq LIMIT \(limit))
            ORDER BY seq LIMIT \(limit)
            """
    }

    /// What the reader has not received, and where its cursors go once it has (see `SQLiteStore.fetchPending`:
    /// the same rule, the same scan). Nil when there is no such run.
    static func pending(_ connection: PostgresConnection, runID: Int64, reader: String, limit: Int) async throws
        -> (chunks: [OutputChunk], cursors: [(run: Int64, position: Int64)])?
    {
        guard
            let row = try await connection.query("SELECT type, parent_id FROM runs WHERE id = \(runID)", logger: quiet)
                .collect().first
        else { return nil }
        let (type, parentID) = try row.decode((String, Int64?).self)
        let limit = max(0, limit)
        guard Run.isFanOutParent(type: RunType(rawValue: type) ?? .backgroundJob, parentId: parentID) else {
            let cursor =
                try await connection.query(
                    "SELECT position FROM cursors WHERE run_id = \(runID) AND reader = \(reader)", logger: quiet
                ).collect().first?.decode(Int64.self) ?? 0
            let chunks = try await connection.query(outputQuery(runID: runID, after: cursor, limit: limit), logger: quiet)
                .collect().map(decodeChunk)
            return (chunks, chunks.last.map { [(runID, $0.seq)] } ?? [])
        }
        let rows = try await connection.query(
            """
            SELECT output.run_id, output.seq AS child_seq, output.fan_out_seq AS seq, output.stream, output.time,
                output.data, runs.instance AS host
            FROM output JOIN runs ON runs.id = output.run_id
            WHERE output.fan_out_id = \(runID)
                AND output.fan_out_seq >= (
                    SELECT MIN((
                        SELECT first.fan_out_seq FROM output AS first
                        WHERE first.run_id = child.id AND first.seq > COALESCE(
                            (SELECT position FROM cursors WHERE cursors.run_id = child.id AND cursors.reader = \(reader)), 0)
                        ORDER BY first.seq LIMIT 1))
                    FROM runs AS child WHERE child.parent_id = \(runID) AND child.type = \(Run.fanOutType.rawValue))
                AND output.seq > COALESCE(
                    (SELECT position FROM cursors WHERE cursors.run_id = output.run_id AND cursors.reader = \(reader)), 0)
            ORDER BY output.fan_out_seq LIMIT \(limit)
            """, logger: quiet
        ).collect()
        var positions: [Int64: Int64] = [:]
        var chunks: [OutputChunk] = []
        for row in rows {
            let random = row.makeRandomAccess()
            let child: Int64 = try random.value("run_id")
            positions[child] = max(positions[child] ?? 0, try random.value("child_seq"))
            chunks.append(try decodeChunk(random))
        }
        return (chunks, positions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    static func decodeChunk(_ row: PostgresRow) throws -> OutputChunk {
        try decodeChunk(row.makeRandomAccess())
    }

    static func decodeChunk(_ row: PostgresRandomAccessRow) throws -> OutputChunk {
        let data: ByteBuffer = try row.value("data")
        return OutputChunk(
            seq: try row.value("seq"), time: try row.value("time"),
            stream: OutputChannel(rawValue: try row.value("stream")) ?? .output, bytes: Array(data.readableBytesView),
            host: try row.value("host"))
    }
}
