import ErrandCore
import Foundation
import GRDB

extension SQLiteStore {
    /// One write transaction (SQLite has one writer at a time): the job is found ignoring case, then updated under
    /// its first spelling or inserted. The unique index on `name COLLATE NOCASE` backs the rule.
    public func saveJob(_ job: JobRecord) async throws {
        let entryPoint = try StoreJSON.encode(job.entryPoint)
        try await write { db in
            let existing = try String.fetchOne(
                db.cachedStatement(sql: "SELECT name FROM jobs WHERE name = ? COLLATE NOCASE"), arguments: [job.name])
            if let existing {
                try db.cachedStatement(
                    sql: """
                        UPDATE jobs SET kind = ?, package_digest = ?, entry_point = ?, settings = ?, enabled = ?, package_root = ?,
                            updated_at = ?
                        WHERE name = ?
                        """
                ).execute(
                    arguments: [
                        job.kind, job.packageDigest, entryPoint, job.settings, job.enabled, job.packageRoot, job.updatedAt, existing,
                    ])
            } else {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO jobs (name, kind, package_digest, entry_point, settings, enabled, package_root, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [
                        job.name, job.kind, job.packageDigest, entryPoint, job.settings, job.enabled, job.packageRoot, job.createdAt,
                        job.updatedAt,
                    ])
            }
        }
    }

    public func job(named name: String) async throws -> JobRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE name = ? COLLATE NOCASE"), arguments: [name])
                .map(Self.decodeJob)
        }
    }

    public func jobs() async throws -> [JobRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY name").map(Self.decodeJob)
        }
    }

    public func deleteJob(named name: String) async throws -> Bool {
        try await write { db in
            guard let stored = try String.fetchOne(db, sql: "SELECT name FROM jobs WHERE name = ? COLLATE NOCASE", arguments: [name])
            else { return false }
            try db.execute(sql: "DELETE FROM schedule_ticks WHERE job_name = ?", arguments: [stored])
            try db.execute(sql: "DELETE FROM jobs WHERE name = ?", arguments: [stored])
            return db.changesCount > 0
        }
    }

    private static func decodeJob(_ row: Row) throws -> JobRecord {
        let name: String = row["name"]
        return JobRecord(
            name: name, kind: row["kind"], packageDigest: row["package_digest"],
            entryPoint: try StoreJSON.decode([String].self, row["entry_point"], what: "entry point of job '\(name)'"),
            settings: row["settings"], enabled: row["enabled"], packageRoot: row["package_root"], createdAt: row["created_at"],
            updatedAt: row["updated_at"])
    }

    // MARK: - Ticks

    public func claimTick(job: String, due: Date, run new: NewRun, skipped: SkippedTick?) async throws -> Run? {
        var tick = new
        tick.scheduledFor = due
        let new = tick
        let encoded = try SQLiteRunRows.Encoded(new)
        return try await write { db in
            let claimed = try db.cachedStatement(
                sql: "INSERT INTO schedule_ticks (job_name, due_at, run_id) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"
            )
            try claimed.execute(arguments: [job, due])
            guard db.changesCount > 0 else { return nil }
            let run = try SQLiteRunRows.insert(db, new, encoded, skipped: skipped)
            try db.cachedStatement(sql: "UPDATE schedule_ticks SET run_id = ? WHERE job_name = ? AND due_at = ?")
                .execute(arguments: [run.id, job, due])
            return run
        }
    }

    public func lastTick(job: String) async throws -> Date? {
        try await read { db in
            try Date.fetchOne(
                db.cachedStatement(sql: "SELECT due_at FROM schedule_ticks WHERE job_name = ? ORDER BY due_at DESC LIMIT 1"),
                arguments: [job])
        }
    }

    public func pruneTicks(before cutoff: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    DELETE FROM schedule_ticks WHERE due_at < ?
                    AND due_at < (SELECT MAX(due_at) FROM schedule_ticks AS newest WHERE newest.job_name = schedule_ticks.job_name)
                    """, arguments: [cutoff])
        }
    }
}
