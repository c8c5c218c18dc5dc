import ErrandCore
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, through GRDB. The default for a single host.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    public let health = StoreHealth()

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit is durable against a crash of the daemon, not of the machine;
            // 30 µs instead of 1 ms per transaction (research/peers.md §5.3).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        try Self.makePrivate(path)
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteSchema.migrator.migrate(pool)
    }

    /// The database holds every run's environment and output: readable by its owner only, whatever the
    /// umask. SQLite gives its `-wal` and `-shm` files the mode of the database file.
    static func makePrivate(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ErrandError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw ErrandError(.unavailable, "cannot make \(path) private (chmod 600): \(String(cString: strerror(errno)))")
        }
        for suffix in ["-wal", "-shm"] { chmod(path + suffix, 0o600) }
    }

    public var writeProblem: String? { health.writeProblem }

    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await health.write { try await pool.write(updates) }
    }

    public func createRun(_ new: NewRun) async throws -> Run {
        let encoded = try EncodedRun(new)
        return try await write { db in try Self.insertRun(db, new, encoded) }
    }

    public func claimTick(job: String, due: Date, run new: NewRun) async throws -> Run? {
        let encoded = try EncodedRun(new)
        return try await write { db in
            let claimed = try db.cachedStatement(
                sql: "INSERT INTO schedule_ticks (job_name, due_at, run_id) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"
            )
            try claimed.execute(arguments: [job, due])
            guard db.changesCount > 0 else { return nil }
            let run = try Self.insertRun(db, new, encoded)
            try db.cachedStatement(sql: "UPDATE schedule_ticks SET run_id = ? WHERE job_name = ? AND due_at = ?")
                .execute(arguments: [run.id, job, due])
            return run
        }
    }

    /// A new run's JSON columns, encoded before entering the write transaction.
    private struct EncodedRun {
        let argv: String
        let environment: String

        init(_ new: NewRun) throws {
            argv = String(decoding: try JSONEncoder().encode(new.argv), as: UTF8.self)
            environment = String(decoding: try JSONEncoder().encode(new.environment), as: UTF8.self)
        }
    }

    private static func insertRun(_ db: Database, _ new: NewRun, _ encoded: EncodedRun) throws -> Run {
        try db.cachedStatement(
            sql: """
                INSERT INTO runs (name, job_name, type, state, argv, working_directory, environment, throttle_group,
                    timeout_seconds, instance, trigger, trigger_detail, parent_id, attempt, created_at, session_name)
                VALUES (?, ?, ?, 'NotStarted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                new.name ?? "", new.job, new.type.rawValue, encoded.argv, new.workingDirectory, encoded.environment,
                new.throttleGroup, new.timeout, new.instance, new.trigger.rawValue, new.triggerDetail, new.parentId, new.attempt,
                new.createdAt, new.session,
            ])
        let id = db.lastInsertedRowID
        if new.name == nil {
            try db.cachedStatement(sql: "UPDATE runs SET name = 'Job' || id WHERE id = ?").execute(arguments: [id])
        }
        return try fetchRun(db, id: id, reader: Receiving.defaultReader)!
    }

    // MARK: - Jobs

    public func saveJob(_ job: JobRecord) async throws {
        let entryPoint = String(decoding: try JSONEncoder().encode(job.entryPoint), as: UTF8.self)
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO jobs (name, kind, package_digest, entry_point, settings, enabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, package_digest = excluded.package_digest,
                        entry_point = excluded.entry_point, settings = excluded.settings, enabled = excluded.enabled,
                        updated_at = excluded.updated_at
                    """
            ).execute(
                arguments: [
                    job.name, job.kind, job.packageDigest, entryPoint, job.settings, job.enabled, job.createdAt,
                    job.updatedAt,
                ])
        }
    }

    public func job(named name: String) async throws -> JobRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE name = ?"), arguments: [name])
                .map(Self.decodeJob)
        }
    }

    public func jobs() async throws -> [JobRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY name").map(Self.decodeJob)
        }
    }

    public func deleteJob(named name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM schedule_ticks WHERE job_name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM jobs WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    private static func decodeJob(_ row: Row) throws -> JobRecord {
        let entryPoint: String = row["entry_point"]
        return JobRecord(
            name: row["name"], kind: row["kind"], packageDigest: row["package_digest"],
            entryPoint: try JSONDecoder().decode([String].self, from: Data(entryPoint.utf8)), settings: row["settings"],
            enabled: row["enabled"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    public func lastTick(job: String) async throws -> Date? {
        try await pool.read { db in
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

    // MARK: - Runs

    public func run(id: Int64, reader: String) async throws -> Run? {
        try await pool.read { db in try Self.fetchRun(db, id: id, reader: reader) }
    }

    public func latestRunOfEachJob() async throws -> [String: Run] {
        try await pool.read { db in
            let sql = """
                SELECT \(Self.columns) FROM runs
                WHERE id IN (SELECT MAX(id) FROM runs WHERE job_name IS NOT NULL GROUP BY job_name)
                """
            let runs = try Row.fetchAll(db, sql: sql, arguments: [Receiving.defaultReader]).map(Self.decodeRun)
            return Dictionary(runs.compactMap { run in run.job.map { ($0, run) } }, uniquingKeysWith: { first, _ in first })
        }
    }

    public func runs(_ query: RunQuery) async throws -> [Run] {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = [query.reader]
            if !query.ids.isEmpty {
                clauses.append("id IN (\(Array(repeating: "?", count: query.ids.count).joined(separator: ",")))")
                arguments += StatementArguments(query.ids)
            }
            if !query.names.isEmpty {
                clauses.append("(" + query.names.map { _ in "name LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
                arguments += StatementArguments(query.names.map(Self.likePattern))
            }
            if !query.jobs.isEmpty {
                clauses.append("job_name IN (\(Array(repeating: "?", count: query.jobs.count).joined(separator: ",")))")
                arguments += StatementArguments(query.jobs)
            }
            if let parent = query.parent {
                clauses.append("parent_id = ?")
                arguments += [parent]
            }
            if !query.includeChildren {
                clauses.append("NOT (\(Self.isFanOutChildSQL))")
            }
            if let session = query.session {
                clauses.append("session_name = ?")
                arguments += [session]
            }
            if !query.states.isEmpty {
                clauses.append("state IN (\(Array(repeating: "?", count: query.states.count).joined(separator: ",")))")
                arguments += StatementArguments(query.states.map(\.rawValue))
            }
            if let hasMoreData = query.hasMoreData {
                clauses.append("(\(Self.hasMoreDataSQL)) = ?")
                arguments += [hasMoreData]
            }
            if let after = query.after {
                clauses.append("id > ?")
                arguments += [after]
            }
            if let before = query.before {
                clauses.append("id < ?")
                arguments += [before]
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            var sql = "SELECT \(Self.columns) FROM runs \(whereClause) ORDER BY id"
            if let newest = query.newest {
                sql = "SELECT * FROM (SELECT \(Self.columns) FROM runs \(whereClause) ORDER BY id DESC LIMIT \(max(0, newest))) ORDER BY id"
            }
            if let limit = query.limit { sql += " LIMIT \(max(0, limit))" }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.decodeRun)
        }
    }

    public func updateRun(id: Int64, _ update: RunUpdate) async throws -> Bool {
        try await write { db in
            var sets: [String] = []
            var arguments: StatementArguments = []
            func set(_ column: String, _ value: (any DatabaseValueConvertible)?) {
                guard let value else { return }
                sets.append("\(column) = ?")
                arguments += [value]
            }
            if let state = update.state, !state.isFinished {
                // A finished run's state is final: a late write of Stopping or Running (a stop that crossed
                // the run's end) leaves it as it is.
                sets.append("state = CASE WHEN state IN (\(Self.finishedStatesSQL)) THEN state ELSE ? END")
                arguments += [state.rawValue]
            } else {
                set("state", update.state?.rawValue)
            }
            set("pid", update.pid)
            set("exit_code", update.exitCode)
            set("signal", update.signal)
            set("reason", update.reason)
            set("started_at", update.startedAt)
            set("ended_at", update.endedAt)
            arguments += [id]
            // Few shapes of update exist, so cached statements are reused across runs.
            let sql = "UPDATE runs SET \(sets.isEmpty ? "id = id" : sets.joined(separator: ", ")) WHERE id = ?"
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
            return db.changesCount > 0
        }
    }

    public func environment(runID: Int64) async throws -> [String: String]? {
        let json = try await pool.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT environment FROM runs WHERE id = ?"), arguments: [runID])
        }
        guard let json else { return nil }
        return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
    }

    public func deleteRun(id: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM output WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM cursors WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
            return db.changesCount > 0
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
        try await pool.read { db in try Self.fetchOutput(db, runID: runID, after: after, limit: limit) }
    }

    public func cursor(runID: Int64, reader: String) async throws -> Int64 {
        try await pool.read { db in try Self.fetchCursor(db, runID: runID, reader: reader) }
    }

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

    // MARK: - Sessions

    public func createSession(_ session: Session) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sessions (name, state, created_at, last_seen_at, disconnected_at, idle_timeout_seconds, stop_on_expire)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
                    """,
                arguments: [
                    session.name, session.state.rawValue, session.createdAt, session.lastSeenAt, session.disconnectedAt,
                    session.idleTimeout, session.stopOnExpire,
                ])
            return db.changesCount > 0
        }
    }

    public func session(named name: String) async throws -> Session? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE name = ?"), arguments: [name])
                .map(Self.decodeSession)
        }
    }

    public func sessions() async throws -> [Session] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM sessions ORDER BY name").map(Self.decodeSession) }
    }

    public func updateSession(_ session: Session) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET state = ?, last_seen_at = ?, disconnected_at = ?, idle_timeout_seconds = ?,
                        stop_on_expire = ? WHERE name = ?
                    """,
                arguments: [
                    session.state.rawValue, session.lastSeenAt, session.disconnectedAt, session.idleTimeout,
                    session.stopOnExpire, session.name,
                ])
            return db.changesCount > 0
        }
    }

    public func deleteSession(named name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM cursors WHERE reader = ?", arguments: [Sessions.reader(name)])
            // The runs go on without a session: a new session of the same name must not inherit them.
            try db.execute(sql: "UPDATE runs SET session_name = NULL WHERE session_name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM sessions WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    private static func decodeSession(_ row: Row) -> Session {
        Session(
            name: row["name"], state: SessionState(rawValue: row["state"]) ?? .disconnected, createdAt: row["created_at"],
            lastSeenAt: row["last_seen_at"], disconnectedAt: row["disconnected_at"], idleTimeout: row["idle_timeout_seconds"],
            stopOnExpire: row["stop_on_expire"])
    }

    // MARK: - Rows

    private static let hasMoreDataSQL = """
        state NOT IN ('Completed', 'Failed', 'Stopped')
        OR output_seq > COALESCE((SELECT position FROM cursors WHERE cursors.run_id = runs.id AND cursors.reader = ?1), 0)
        """

    private static let columns = """
        id, name, job_name, type, state, argv, working_directory, throttle_group, timeout_seconds, instance, trigger,
        trigger_detail, parent_id, attempt, pid, exit_code, signal, reason, created_at, started_at, ended_at, output_seq,
        session_name, (\(hasMoreDataSQL)) AS has_more_data
        """

    private static func fetchRun(_ db: Database, id: Int64, reader: String) throws -> Run? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM runs WHERE id = ?2"), arguments: [reader, id])
            .map(decodeRun)
    }

    private static func decodeRun(_ row: Row) throws -> Run {
        let argvJSON: String = row["argv"]
        return Run(
            id: row["id"], name: row["name"], job: row["job_name"], type: RunType(rawValue: row["type"]) ?? .backgroundJob,
            state: RunState(rawValue: row["state"]) ?? .failed, hasMoreData: row["has_more_data"],
            location: row["instance"], argv: try JSONDecoder().decode([String].self, from: Data(argvJSON.utf8)),
            workingDirectory: row["working_directory"], throttleGroup: row["throttle_group"],
            timeout: row["timeout_seconds"], trigger: TriggerKind(rawValue: row["trigger"]) ?? .manual,
            triggerDetail: row["trigger_detail"],
            parentId: row["parent_id"], attempt: row["attempt"], pid: row["pid"], exitCode: row["exit_code"],
            signal: row["signal"], reason: row["reason"], createdAt: row["created_at"], startedAt: row["started_at"],
            endedAt: row["ended_at"], outputSeq: row["output_seq"], session: row["session_name"])
    }

    static let finishedStatesSQL = RunState.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// A child of a fan-out: a remote run with a parent (a retry's parent is a run of its job, not remote).
    static let isFanOutChildSQL = "parent_id IS NOT NULL AND type = '\(RunType.remoteJob.rawValue)'"

    private static func fetchOutput(_ db: Database, runID: Int64, after: Int64, limit: Int) throws -> [OutputChunk] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, stream, time, data, host FROM output WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
            arguments: [runID, after, limit]
        ).map { row in
            let data: Data = row["data"]
            return OutputChunk(
                seq: row["seq"], time: row["time"], stream: OutputChannel(rawValue: row["stream"]) ?? .output,
                bytes: [UInt8](data), host: row["host"])
        }
    }

    private static func fetchCursor(_ db: Database, runID: Int64, reader: String) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT position FROM cursors WHERE run_id = ? AND reader = ?"), arguments: [runID, reader]) ?? 0
    }

    /// A `*`/`?` wildcard as a LIKE pattern (LIKE ignores ASCII case in SQLite, as PowerShell's -Name does).
    static func likePattern(_ glob: String) -> String {
        var pattern = ""
        for character in glob {
            switch character {
            case "*": pattern += "%"
            case "?": pattern += "_"
            case "%", "_", "\\": pattern += "\\\(character)"
            default: pattern.append(character)
            }
        }
        return pattern
    }
}
