import ErrandCore
import Foundation
import Logging
import PostgresNIO

/// Runs as rows of PostgreSQL's `runs` table, and ``RunQuery``s as one `SELECT`. As in SQLite, SQL only
/// filters: what the filters mean comes from ErrandCore and is handed to the statement as binds.
enum PostgresRunRows {
    /// The reader's cursor on the run; `$1` of every statement that reads runs is the reader.
    static let readerCursorSQL =
        "COALESCE((SELECT position FROM cursors WHERE cursors.run_id = runs.id AND cursors.reader = $1), 0)"

    /// Whether the reader (`$1`) has output of the run to receive: past its cursor, or, for a fan-out parent
    /// (``Run/isFanOutParent(type:parentId:)``), past its cursor on any child (found along `runs_by_parent`).
    static let pendingOutputSQL = """
        (CASE WHEN runs.type = '\(Run.fanOutType.rawValue)' AND runs.parent_id IS NULL
            THEN EXISTS (SELECT 1 FROM runs AS child WHERE child.parent_id = runs.id AND child.type = runs.type
                AND child.output_seq > COALESCE(
                    (SELECT position FROM cursors WHERE cursors.run_id = child.id AND cursors.reader = $1), 0))
            ELSE runs.output_seq > \(readerCursorSQL) END)
        """

    static let columns = """
        id, name, job_name, type, state, argv, working_directory, throttle_group, timeout_seconds, instance, trigger,
        trigger_detail, parent_id, attempt, pid, exit_code, signal, reason, created_at, started_at, ended_at, output_seq,
        session_name, not_before, run_as, scheduled_for, \(pendingOutputSQL) AS pending_output
        """

    static func decode(_ row: PostgresRow) throws -> Run {
        let row = row.makeRandomAccess()
        let id: Int64 = try row.value("id")
        let state = RunState(rawValue: try row.value("state")) ?? .failed
        let outputSeq: Int64 = try row.value("output_seq")
        let pending: Bool = try row.value("pending_output")
        return Run(
            id: id, name: try row.value("name"), job: try row.value("job_name"),
            type: RunType(rawValue: try row.value("type")) ?? .backgroundJob, state: state,
            hasMoreData: Receiving.hasMoreData(state: state, pendingOutput: pending),
            location: try row.value("instance"),
            argv: try StoreJSON.decode([String].self, try row.value("argv"), what: "argv of run \(id)"),
            workingDirectory: try row.value("working_directory"), throttleGroup: try row.value("throttle_group"),
            timeout: try row.value("timeout_seconds"), trigger: TriggerKind(rawValue: try row.value("trigger")) ?? .manual,
            triggerDetail: try row.value("trigger_detail"), parentId: try row.value("parent_id"),
            attempt: Int(try row.value("attempt", as: Int64.self)), pid: try row.value("pid"),
            exitCode: try row.value("exit_code"), signal: try row.value("signal"), reason: try row.value("reason"),
            createdAt: try row.value("created_at"), startedAt: try row.value("started_at"), endedAt: try row.value("ended_at"),
            outputSeq: outputSeq, session: try row.value("session_name"), notBefore: try row.value("not_before"),
            runAs: try row.value("run_as"), scheduledFor: try row.value("scheduled_for"))
    }

    /// The same columns for a run just inserted: it has no output nor children yet, so nothing to receive.
    static let insertedColumns = """
        id, name, job_name, type, state, argv, working_directory, throttle_group, timeout_seconds, instance, trigger,
        trigger_detail, parent_id, attempt, pid, exit_code, signal, reason, created_at, started_at, ended_at, output_seq,
        session_name, not_before, run_as, scheduled_for, false AS pending_output
        """

    static func fetch(_ connection: PostgresConnection, id: Int64, reader: String) async throws -> Run? {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(columns) FROM runs WHERE id = $2", binds: try binds(reader, id)), logger: quiet
        ).collect()
        return try rows.first.map(decode)
    }

    /// Inserts a run in one statement (a round trip, atomic on its own): `NotStarted`, or `Stopped` with the
    /// skip's reason and end when `skipped` is given. The id is drawn first, so a run without a name is
    /// named `Job<id>` in the same statement.
    static func insert(_ connection: PostgresConnection, _ new: NewRun, skipped: SkippedTick?) async throws -> Run {
        try await insert(new, skipped: skipped) { query in try await connection.query(query, logger: quiet).collect() }
    }

    static func insert(
        _ new: NewRun, skipped: SkippedTick?, run: (PostgresQuery) async throws -> [PostgresRow]
    ) async throws -> Run {
        let state: RunState = skipped == nil ? .notStarted : .stopped
        let argv = try StoreJSON.encode(new.argv)
        let environment = try StoreJSON.encode(new.environment)
        let rows = try await run(
            """
            WITH next AS (SELECT nextval(pg_get_serial_sequence('runs', 'id')) AS id)
            INSERT INTO runs (id, name, job_name, type, state, argv, working_directory, environment, throttle_group,
                timeout_seconds, instance, trigger, trigger_detail, parent_id, attempt, created_at, session_name,
                not_before, reason, ended_at, run_as, scheduled_for, claim_pending)
            SELECT next.id, COALESCE(\(new.name), 'Job' || next.id), \(new.job), \(new.type.rawValue), \(state.rawValue), \(argv),
                \(new.workingDirectory), \(environment), \(new.throttleGroup), \(new.timeout), \(new.instance),
                \(new.trigger.rawValue), \(new.triggerDetail), \(new.parentId), \(Int64(new.attempt)), \(StoreTime.kept(new.createdAt)),
                \(new.session), \(new.notBefore.map(StoreTime.kept)), \(skipped?.reason), \(skipped.map { StoreTime.kept($0.endedAt) }), \(new.runAs),
                \(new.scheduledFor.map(StoreTime.kept)), \(new.awaitingClaim)
            FROM next
            RETURNING \(unescaped: insertedColumns)
            """)
        guard let row = rows.first else { throw ErrandError(.internal, "the store returned no row for a new run") }
        return try decode(row)
    }

    /// A ``RunQuery`` as one statement.
    static func select(_ query: RunQuery) throws -> PostgresQuery {
        if let long = query.names.first(where: { $0.unicodeScalars.count > NamePattern.maxLength }) {
            throw StoreError.invalid(
                "a name pattern may be at most \(NamePattern.maxLength) characters long (got \(long.unicodeScalars.count))")
        }
        var binds = PostgresBindings()
        var clauses: [String] = []
        try binds.append(query.reader)
        func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
        if !query.ids.isEmpty { clauses.append("id = ANY(\(try bind(query.ids)))") }
        if !query.names.isEmpty {
            // NamePattern's rule: ASCII letters match either case, nothing else is folded; lower() under the
            // "C" collation folds ASCII only.
            let patterns = query.names.map { SQLiteRunQuery.likePattern(NamePattern($0)).lowercasedASCII }
            clauses.append("lower(name COLLATE \"C\") LIKE ANY(\(try bind(patterns)))")
        }
        if !query.jobs.isEmpty { clauses.append("job_name = ANY(\(try bind(query.jobs)))") }
        if let parent = query.parent { clauses.append("parent_id = \(try bind(parent))") }
        if !query.includeChildren {
            let childTypes = RunType.allCases.filter { Run.isFanOutChild(type: $0, parentId: 0) }.map(\.rawValue)
            clauses.append("NOT (parent_id IS NOT NULL AND type = ANY(\(try bind(childTypes))))")
        }
        if let session = query.session { clauses.append("session_name = \(try bind(session))") }
        if !query.states.isEmpty { clauses.append("state = ANY(\(try bind(query.states.map(\.rawValue))))") }
        // Run.isSkipRecord: stopped, never started.
        if query.realOnly { clauses.append("NOT (state = \(try bind(RunState.stopped.rawValue)) AND started_at IS NULL)") }
        if let hasMoreData = query.hasMoreData {
            let always = RunState.allCases.filter { Receiving.hasMoreData(state: $0, pendingOutput: false) }.map(\.rawValue)
            clauses.append("(state = ANY(\(try bind(always))) OR \(pendingOutputSQL)) = \(try bind(hasMoreData))")
        }
        if let after = query.after { clauses.append("id > \(try bind(after))") }
        if let before = query.before { clauses.append("id < \(try bind(before))") }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        var sql = "SELECT \(columns) FROM runs \(whereClause) ORDER BY id"
        if let newest = query.newest {
            sql =
                "SELECT * FROM (SELECT \(columns) FROM runs \(whereClause) ORDER BY id DESC LIMIT \(try bind(max(0, newest)))) AS newest ORDER BY id"
        }
        if let limit = query.limit { sql += " LIMIT \(try bind(max(0, limit)))" }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    static func binds(_ values: any PostgresThrowingDynamicTypeEncodable...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { try binds.append(value) }
        return binds
    }
}

extension String {
    /// ASCII letters lowered, everything else as it is.
    var lowercasedASCII: String {
        String(String.UnicodeScalarView(unicodeScalars.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32)! : $0 }))
    }
}

/// postgres-nio logs every statement at debug level; the store's statements go to a logger that drops them.
let quiet = Logger(label: "errand.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
