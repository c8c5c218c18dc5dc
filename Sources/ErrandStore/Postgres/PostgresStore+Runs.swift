import ErrandCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func createRun(_ new: NewRun) async throws -> Run {
        try await PostgresRunRows.insert(new, skipped: nil) { statement in try await query(statement) }
    }

    public func run(id: Int64, reader: String) async throws -> Run? {
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: "SELECT \(PostgresRunRows.columns) FROM runs WHERE id = $2", binds: try PostgresRunRows.binds(reader, id)))
        return try rows.first.map(PostgresRunRows.decode)
    }

    public func latestRunOfEachJob() async throws -> [String: Run] {
        let rows = try await query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT DISTINCT ON (job_name) \(PostgresRunRows.columns) FROM runs
                    WHERE job_name IS NOT NULL AND NOT (state = $2 AND started_at IS NULL) ORDER BY job_name, id DESC
                    """, binds: try PostgresRunRows.binds(Receiving.defaultReader, RunState.stopped.rawValue)))
        let runs = try rows.map(PostgresRunRows.decode)
        return Dictionary(runs.compactMap { run in run.job.map { ($0, run) } }, uniquingKeysWith: { first, _ in first })
    }

    public func runs(_ runQuery: RunQuery) async throws -> [Run] {
        try await query(try PostgresRunRows.select(runQuery)).map(PostgresRunRows.decode)
    }

    @discardableResult
    public func updateRun(id: Int64, _ update: RunUpdate) async throws -> Bool {
        var binds = PostgresBindings()
        var sets: [String] = []
        func set(_ column: String, _ value: (some PostgresThrowingDynamicTypeEncodable)?) throws {
            guard let value else { return }
            try binds.append(value)
            sets.append("\(column) = $\(binds.count)")
        }
        if let state = update.state, !state.isFinished {
            // A finished run's state is final: a late write of Stopping or Running leaves it as it is.
            try binds.append(RunState.allCases.filter(\.isFinished).map(\.rawValue))
            try binds.append(state.rawValue)
            sets.append("state = CASE WHEN state = ANY($\(binds.count - 1)) THEN state ELSE $\(binds.count) END")
        } else {
            try set("state", update.state?.rawValue)
        }
        try set("pid", update.pid)
        try set("exit_code", update.exitCode)
        try set("signal", update.signal)
        try set("reason", update.reason)
        try set("started_at", update.startedAt.map(StoreTime.kept))
        try set("ended_at", update.endedAt.map(StoreTime.kept))
        try binds.append(id)
        let sql = "UPDATE runs SET \(sets.isEmpty ? "id = id" : sets.joined(separator: ", ")) WHERE id = $\(binds.count) RETURNING id"
        return try await !query(PostgresQuery(unsafeSQL: sql, binds: binds)).isEmpty
    }

    public func environment(runID: Int64) async throws -> [String: String]? {
        guard let json = try await query("SELECT environment FROM runs WHERE id = \(runID)").first?.decode(String.self) else {
            return nil
        }
        return try StoreJSON.decode([String: String].self, json, what: "environment of run \(runID)")
    }

    public func deleteRun(id: Int64) async throws -> Bool {
        try await transaction { connection in
            try await connection.query("DELETE FROM output WHERE run_id = \(id)", logger: quiet)
            try await connection.query("DELETE FROM cursors WHERE run_id = \(id)", logger: quiet)
            return try await !connection.query("DELETE FROM runs WHERE id = \(id) RETURNING id", logger: quiet).collect().isEmpty
        }
    }
}
