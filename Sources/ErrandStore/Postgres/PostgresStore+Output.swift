import ErrandCore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws {
        guard let last = chunks.last else { return }
        // One statement for the whole batch: the columns as arrays, unnested into rows.
        let seqs = chunks.map(\.seq)
        let streams = chunks.map(\.stream.rawValue)
        let times = chunks.map { StoreTime.kept($0.time) }
        let data = chunks.map { ByteBuffer(bytes: $0.bytes) }
        let hosts = chunks.map { $0.host ?? "" }
        // One statement (one round trip, atomic on its own): the chunks in, then the run's last number moved.
        try await query(
            """
            WITH added AS (
                INSERT INTO output (run_id, seq, stream, time, data, host)
                SELECT \(runID), seq, stream, time, data, NULLIF(host, '')
                FROM unnest(\(seqs)::bigint[], \(streams)::text[], \(times)::timestamptz[], \(data)::bytea[], \(hosts)::text[])
                    AS chunk(seq, stream, time, data, host)
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

    /// Atomic: the run's row is locked (`FOR UPDATE`) for the transaction, so receivers of one run take turns.
    public func receive(runID: Int64, reader: String, limit: Int) async throws -> [OutputChunk]? {
        try await transaction { connection in
            guard try await !connection.query("SELECT 1 FROM runs WHERE id = \(runID) FOR UPDATE", logger: quiet).collect().isEmpty
            else { return nil }
            let cursor =
                try await connection.query(
                    "SELECT position FROM cursors WHERE run_id = \(runID) AND reader = \(reader)", logger: quiet
                ).collect().first?.decode(Int64.self) ?? 0
            let chunks = try await connection.query(Self.outputQuery(runID: runID, after: cursor, limit: limit), logger: quiet)
                .collect().map(Self.decodeChunk)
            let next = Receiving.advance(cursor: cursor, past: chunks, keep: false)
            if next != cursor {
                try await connection.query(
                    """
                    INSERT INTO cursors (run_id, reader, position) VALUES (\(runID), \(reader), \(next))
                    ON CONFLICT (run_id, reader) DO UPDATE SET position = excluded.position
                    """, logger: quiet)
            }
            return chunks
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

    static func outputQuery(runID: Int64, after: Int64, limit: Int) -> PostgresQuery {
        "SELECT seq, stream, time, data, host FROM output WHERE run_id = \(runID) AND seq > \(after) ORDER BY seq LIMIT \(max(0, limit))"
    }

    static func decodeChunk(_ row: PostgresRow) throws -> OutputChunk {
        let row = row.makeRandomAccess()
        let data: ByteBuffer = try row.value("data")
        return OutputChunk(
            seq: try row.value("seq"), time: try row.value("time"),
            stream: OutputChannel(rawValue: try row.value("stream")) ?? .output, bytes: Array(data.readableBytesView),
            host: try row.value("host"))
    }
}
