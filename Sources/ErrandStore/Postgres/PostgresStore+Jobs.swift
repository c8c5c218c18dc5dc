import ErrandCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// The unique index on `lower(name)` is the arbiter: saving `Report` over `report` updates `report`, whose
    /// name (first spelling) and `created_at` stay, also when several instances save at once.
    public func saveJob(_ job: JobRecord) async throws {
        // Two first saves of one name at once: the loser of the race hits the primary key, not the arbiter index
        // (PostgreSQL checks only the arbiter), and its second try finds the row and updates it.
        do {
            try await insertOrUpdate(job)
        } catch let error as ErrandError where error.code == .conflict {
            try await insertOrUpdate(job)
        }
    }

    private func insertOrUpdate(_ job: JobRecord) async throws {
        let entryPoint = try StoreJSON.encode(job.entryPoint)
        try await query(
            """
            INSERT INTO jobs (name, kind, package_digest, entry_point, settings, enabled, package_root, created_at, updated_at)
            VALUES (\(job.name), \(job.kind), \(job.packageDigest), \(entryPoint), \(job.settings), \(job.enabled),
                \(job.packageRoot), \(StoreTime.kept(job.createdAt)), \(StoreTime.kept(job.updatedAt)))
            ON CONFLICT ((lower(name COLLATE "C"))) DO UPDATE SET kind = excluded.kind, package_digest = excluded.package_digest,
                entry_point = excluded.entry_point, settings = excluded.settings, enabled = excluded.enabled,
                package_root = excluded.package_root, updated_at = excluded.updated_at
            """)
    }

    public func job(named name: String) async throws -> JobRecord? {
        try await query("SELECT * FROM jobs WHERE lower(name COLLATE \"C\") = lower(\(name) COLLATE \"C\")").first.map(Self.decodeJob)
    }

    public func jobs() async throws -> [JobRecord] {
        try await query("SELECT * FROM jobs ORDER BY name COLLATE \"C\"").map(Self.decodeJob)
    }

    public func deleteJob(named name: String) async throws -> Bool {
        try await transaction { connection in
            let deleted = try await connection.query(
                "DELETE FROM jobs WHERE lower(name COLLATE \"C\") = lower(\(name) COLLATE \"C\") RETURNING name", logger: quiet
            ).collect()
            for row in deleted {
                let stored = try row.decode(String.self)
                try await connection.query("DELETE FROM schedule_ticks WHERE job_name = \(stored)", logger: quiet)
            }
            return !deleted.isEmpty
        }
    }

    private static func decodeJob(_ row: PostgresRow) throws -> JobRecord {
        let row = row.makeRandomAccess()
        let name: String = try row.value("name")
        return JobRecord(
            name: name, kind: try row.value("kind"), packageDigest: try row.value("package_digest"),
            entryPoint: try StoreJSON.decode([String].self, try row.value("entry_point"), what: "entry point of job '\(name)'"),
            settings: try row.value("settings"), enabled: try row.value("enabled"), packageRoot: try row.value("package_root"),
            createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"))
    }

    // MARK: - Ticks

    /// The primary key (job, due) decides who claims a tick: `ON CONFLICT DO NOTHING` inserts for exactly one
    /// of any number of claimers, whatever instance they run on.
    public func claimTick(job: String, due: Date, run new: NewRun, skipped: SkippedTick?) async throws -> Run? {
        let due = StoreTime.kept(due)
        var tick = new
        tick.scheduledFor = due
        let new = tick
        return try await transaction { connection in
            let claimed = try await connection.query(
                "INSERT INTO schedule_ticks (job_name, due_at, run_id) VALUES (\(job), \(due), 0) ON CONFLICT DO NOTHING RETURNING 1",
                logger: quiet
            ).collect()
            guard !claimed.isEmpty else { return nil }
            let run = try await PostgresRunRows.insert(connection, new, skipped: skipped)
            try await connection.query(
                "UPDATE schedule_ticks SET run_id = \(run.id) WHERE job_name = \(job) AND due_at = \(due)", logger: quiet)
            return run
        }
    }

    public func lastTick(job: String) async throws -> Date? {
        try await query("SELECT MAX(due_at) FROM schedule_ticks WHERE job_name = \(job)").first?.decode(Date?.self)
    }

    public func pruneTicks(before cutoff: Date) async throws {
        try await query(
            """
            DELETE FROM schedule_ticks WHERE due_at < \(cutoff)
            AND due_at < (SELECT MAX(due_at) FROM schedule_ticks AS newest WHERE newest.job_name = schedule_ticks.job_name)
            """)
    }
}
