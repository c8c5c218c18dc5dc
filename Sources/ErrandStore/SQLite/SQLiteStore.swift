import ErrandCore
import Foundation
import GRDB
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded store: one SQLite file in WAL mode, through GRDB. The default for a single host.
///
/// As a `Service` it keeps the file open until graceful shutdown, then closes it; run it before (and so
/// shut it down after) every service that uses it. Uses after closing are ``StoreError/unavailable(_:)``.
public final class SQLiteStore: StoreEngine {
    let pool: DatabasePool
    public let health = StoreHealth()
    public let location: String
    private let closed = Mutex(false)

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        location = StoreLocation.sqlite(path: path).description
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit is durable against a crash of the daemon, not of the machine;
            // 30 µs instead of 1 ms per transaction (research/peers.md §5.3).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        try Self.makePrivate(path)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteSchema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            let cause = SQLiteErrors.storeError(error)
            throw ErrandError(cause.code, "cannot open the store \(path): \(cause.message)")
        }
    }

    /// The database holds every run's environment and output: readable by its owner only, whatever the
    /// umask. SQLite gives its `-wal` and `-shm` files the mode of the database file.
    static func makePrivate(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.unavailable("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { _ = Glibc.close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw StoreError.unavailable("cannot make \(path) private (chmod 600): \(String(cString: strerror(errno)))")
        }
        for suffix in ["-wal", "-shm"] { chmod(path + suffix, 0o600) }
    }

    /// Waits for graceful shutdown (or cancellation), then closes the database.
    public func run() async throws {
        try? await gracefulShutdown()
        closed.withLock { $0 = true }
        try SQLiteErrors.closing { try pool.close() }
    }

    public func close() async {
        closed.withLock { $0 = true }
        try? pool.close()
    }

    public var writeProblem: String? { health.writeProblem }

    private func checkOpen() throws {
        if closed.withLock({ $0 }) { throw StoreError.unavailable("the store is closed: the daemon is shutting down") }
    }

    /// A write transaction; its errors are ``StoreError``s, and a failure to write is remembered by `health`.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        return try await SQLiteErrors.mapping { try await health.write { try await pool.write(updates) } }
    }

    /// A read; its errors are ``StoreError``s.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        return try await SQLiteErrors.mapping { try await pool.read(value) }
    }

    // MARK: - Runs

    public func createRun(_ new: NewRun) async throws -> Run {
        let encoded = try SQLiteRunRows.Encoded(new)
        return try await write { db in try SQLiteRunRows.insert(db, new, encoded, skipped: nil) }
    }

    public func run(id: Int64, reader: String) async throws -> Run? {
        try await read { db in try SQLiteRunRows.fetch(db, id: id, reader: reader) }
    }

    public func latestRunOfEachJob() async throws -> [String: Run] {
        try await read { db in
            let sql = """
                SELECT \(SQLiteRunRows.columns) FROM runs
                WHERE id IN (
                    SELECT MAX(id) FROM runs WHERE job_name IS NOT NULL AND NOT (state = ?2 AND started_at IS NULL) GROUP BY job_name)
                """
            let runs = try Row.fetchAll(db, sql: sql, arguments: [Receiving.defaultReader, RunState.stopped.rawValue]).map(
                SQLiteRunRows.decode)
            return Dictionary(runs.compactMap { run in run.job.map { ($0, run) } }, uniquingKeysWith: { first, _ in first })
        }
    }

    public func runs(_ query: RunQuery) async throws -> [Run] {
        let (sql, arguments) = try SQLiteRunQuery.select(query)
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(SQLiteRunRows.decode) }
    }

    @discardableResult
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
                // A finished run's state is final (RunState.isFinished, passed in): a late write of Stopping or
                // Running (a stop that crossed the run's end) leaves it as it is.
                let finished = RunState.allCases.filter(\.isFinished)
                sets.append("state = CASE WHEN state IN (\(SQLiteRunQuery.placeholders(finished.count))) THEN state ELSE ? END")
                arguments += StatementArguments(finished.map(\.rawValue))
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
        let json = try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT environment FROM runs WHERE id = ?"), arguments: [runID])
        }
        guard let json else { return nil }
        return try StoreJSON.decode([String: String].self, json, what: "environment of run \(runID)")
    }

    public func deleteRun(id: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM output WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM cursors WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }
}
