import ErrandCore
import Foundation
import GRDB

extension SQLiteStore {
    public func appendOutput(runID: Int64, _ chunks: [OutputChunk]) async throws {
        guard let last = chunks.last else { return }
        try await write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO output (run_id, seq, stream, time, data, host) VALUES (?, ?, ?, ?, ?, ?)")
            for chunk in chunks {
                try insert.execute(arguments: [
                    runID, chunk.seq, chunk.stream.rawValue, chunk.time, Data(chunk.bytes), chunk.host,
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
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM runs WHERE id = ?"), arguments: [runID]) != nil else {
                return nil
            }
            let cursor = try Self.fetchCursor(db, runID: runID, reader: reader)
            let chunks = try Self.fetchOutput(db, runID: runID, after: cursor, limit: limit)
            let next = Receiving.advance(cursor: cursor, past: chunks, keep: false)
            if next != cursor {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO cursors (run_id, reader, position) VALUES (?, ?, ?)
                        ON CONFLICT (run_id, reader) DO UPDATE SET position = excluded.position
                        """
                ).execute(arguments: [runID, reader, next])
            }
            return chunks
        }
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

    /// Chunks after `after`; a negative `limit` is no chunk (SQLite reads a negative LIMIT as none at all).
    static func fetchOutput(_ db: Database, runID: Int64, after: Int64, limit: Int) throws -> [OutputChunk] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, stream, time, data, host FROM output WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
            arguments: [runID, after, max(0, limit)]
        ).map { row in
            let data: Data = row["data"]
            return OutputChunk(
                seq: row["seq"], time: row["time"], stream: OutputChannel(rawValue: row["stream"]) ?? .output,
                bytes: [UInt8](data), host: row["host"])
        }
    }

    static func fetchCursor(_ db: Database, runID: Int64, reader: String) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT position FROM cursors WHERE run_id = ? AND reader = ?"), arguments: [runID, reader]) ?? 0
    }
}
