import ErrandCore
import Foundation
import GRDB
import NIOCore
import PostgresNIO

/// `errand store copy`: one daemon's SQLite store copied into an empty PostgreSQL database, so a user grows
/// from one machine to a fleet with their history. Rows keep their ids (cursors, ticks and fan-out parents
/// refer to them), and the id sequence continues after the largest. A database that holds anything of
/// Errand's is refused: a copy never merges into or overwrites a fleet's data.
public enum StoreCopy {
    /// What was copied, by table.
    public struct Report: Sendable, Equatable {
        public var rows: [String: Int] = [:]
        public var packages = 0
    }

    /// A column and how its value is read from SQLite and bound for PostgreSQL.
    enum Kind { case text, int64, int32, double, bool, date, blob }

    /// Every table, parents before children, with its columns and the key it is read in order of.
    static let tables: [(name: String, key: [String], columns: [(String, Kind)])] = [
        (
            "runs", ["id"],
            [
                ("id", .int64), ("name", .text), ("job_name", .text), ("type", .text), ("state", .text), ("argv", .text),
                ("working_directory", .text), ("environment", .text), ("throttle_group", .text), ("timeout_seconds", .double),
                ("instance", .text), ("trigger", .text), ("trigger_detail", .text), ("parent_id", .int64), ("attempt", .int64),
                ("pid", .int32), ("exit_code", .int32), ("signal", .int32), ("reason", .text), ("created_at", .date),
                ("started_at", .date), ("ended_at", .date), ("output_seq", .int64), ("session_name", .text), ("not_before", .date),
                ("run_as", .text), ("scheduled_for", .date),
            ]
        ),
        (
            "output", ["run_id", "seq"],
            [
                ("run_id", .int64), ("seq", .int64), ("stream", .text), ("time", .date), ("data", .blob), ("fan_out_id", .int64),
                ("fan_out_seq", .int64),
            ]
        ),
        ("cursors", ["run_id", "reader"], [("run_id", .int64), ("reader", .text), ("position", .int64)]),
        (
            "jobs", ["name"],
            [
                ("name", .text), ("kind", .text), ("package_digest", .text), ("entry_point", .text), ("settings", .text),
                ("enabled", .bool), ("created_at", .date), ("updated_at", .date), ("package_root", .text),
            ]
        ),
        ("schedule_ticks", ["job_name", "due_at"], [("job_name", .text), ("due_at", .date), ("run_id", .int64)]),
        (
            "tokens", ["name"],
            [("name", .text), ("role", .text), ("prefix", .text), ("hash", .text), ("created_at", .date), ("last_used_at", .date)]
        ),
        (
            "sessions", ["name"],
            [
                ("name", .text), ("state", .text), ("created_at", .date), ("last_seen_at", .date), ("disconnected_at", .date),
                ("idle_timeout_seconds", .double), ("stop_on_expire", .bool),
            ]
        ),
    ]

    /// Rows read and written per transaction.
    static let batch = 500

    /// Copies everything from `source` into `target`, which must be empty; `package` gives the zip archive of a
    /// deployed job's package by digest (from the source daemon's data dir), nil when it is missing there.
    public static func copy(
        from source: SQLiteStore, to target: PostgresStore, package: @Sendable (String) throws -> Data?,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> Report {
        try await refuseNonEmpty(target)
        var report = Report()
        for table in tables {
            report.rows[table.name] = try await copy(table, from: source, to: target)
            progress("\(table.name): \(report.rows[table.name] ?? 0) rows")
        }
        try await target.query(
            "SELECT setval(pg_get_serial_sequence('runs', 'id'), GREATEST((SELECT MAX(id) FROM runs), 1))")
        for digest in Set(try await source.jobs().map(\.packageDigest)).sorted() {
            guard let archive = try package(digest) else {
                progress("package \(digest.prefix(12)): not in the source's data dir; deploy its job again after the move")
                continue
            }
            try await target.savePackageArchive(digest: digest, archive)
            report.packages += 1
        }
        progress("packages: \(report.packages)")
        return report
    }

    static func refuseNonEmpty(_ target: PostgresStore) async throws {
        let counts = try await target.query(
            "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM jobs), (SELECT count(*) FROM tokens), (SELECT count(*) FROM sessions)"
        )
        let (runs, jobs, tokens, sessions) = try counts[0].decode((Int64, Int64, Int64, Int64).self)
        guard runs + jobs + tokens + sessions == 0 else {
            throw StoreError.conflict(
                "the database \(target.location) is not empty (\(runs) runs, \(jobs) jobs, \(tokens) tokens, \(sessions) sessions): copy into a new database (createdb NAME)"
            )
        }
    }

    /// Copies one table in key order, `batch` rows per PostgreSQL transaction; returns how many rows.
    private static func copy(
        _ table: (name: String, key: [String], columns: [(String, Kind)]), from source: SQLiteStore, to target: PostgresStore
    ) async throws -> Int {
        let names = table.columns.map(\.0).joined(separator: ", ")
        let placeholders = table.columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let insert = "INSERT INTO \(table.name) (\(names)) VALUES (\(placeholders))"
        var copied = 0
        while true {
            let offset = copied
            let columns = table.columns
            let rows = try await source.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT \(names) FROM \(table.name) ORDER BY \(table.key.joined(separator: ", ")) LIMIT ? OFFSET ?",
                    arguments: [batch, offset]
                ).map { row in try binds(row, columns) }
            }
            if rows.isEmpty { return copied }
            let statements = rows.map { binds in PostgresQuery(unsafeSQL: insert, binds: binds) }
            try await target.transaction { connection in
                for statement in statements { try await connection.query(statement, logger: quiet) }
            }
            copied += rows.count
        }
    }

    private static func binds(_ row: Row, _ columns: [(String, Kind)]) throws -> PostgresBindings {
        var binds = PostgresBindings()
        for (name, kind) in columns {
            switch kind {
            case .text: try binds.append(row[name] as String?)
            case .int64: try binds.append(row[name] as Int64?)
            case .int32: try binds.append(row[name] as Int32?)
            case .double: try binds.append(row[name] as Double?)
            case .bool: try binds.append(row[name] as Bool?)
            case .date: try binds.append((row[name] as Date?).map(StoreTime.kept))
            case .blob: try binds.append((row[name] as Data?).map { ByteBuffer(bytes: $0) })
            }
        }
        return binds
    }
}
