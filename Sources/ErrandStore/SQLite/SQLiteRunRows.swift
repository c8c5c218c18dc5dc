import ErrandCore
import Foundation
import GRDB

/// Runs as rows of the `runs` table: the columns read, how a row becomes a ``Run``, how a ``NewRun`` is inserted.
enum SQLiteRunRows {
    /// The reader's cursor on the run (0 when it has received nothing); the statement's first argument (`?1`)
    /// is the reader.
    static let readerCursorSQL =
        "COALESCE((SELECT position FROM cursors WHERE cursors.run_id = runs.id AND cursors.reader = ?1), 0)"

    /// Whether the reader (`?1`) has output of the run to receive: past its cursor, or, for a fan-out parent
    /// (``Run/isFanOutParent(type:parentId:)``), past its cursor on any child. A child is found along
    /// `runs_by_parent`, its cursor along the cursors' key.
    static let pendingOutputSQL = """
        (CASE WHEN runs.type = '\(Run.fanOutType.rawValue)' AND runs.parent_id IS NULL
            THEN EXISTS (SELECT 1 FROM runs AS child WHERE child.parent_id = runs.id AND child.type = runs.type
                AND child.output_seq > COALESCE(
                    (SELECT position FROM cursors WHERE cursors.run_id = child.id AND cursors.reader = ?1), 0))
            ELSE runs.output_seq > \(readerCursorSQL) END)
        """

    static let columns = """
        id, name, job_name, type, state, argv, working_directory, throttle_group, timeout_seconds, instance, trigger,
        trigger_detail, parent_id, attempt, pid, exit_code, signal, reason, created_at, started_at, ended_at, output_seq,
        session_name, not_before, run_as, scheduled_for, \(pendingOutputSQL) AS pending_output
        """

    static func fetch(_ db: Database, id: Int64, reader: String) throws -> Run? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM runs WHERE id = ?2"), arguments: [reader, id])
            .map(decode)
    }

    /// A row as a run; `hasMoreData` is the core's rule (``Receiving/hasMoreData(state:pendingOutput:)``)
    /// on the row's state and whether the reader has output to receive.
    static func decode(_ row: Row) throws -> Run {
        let id: Int64 = row["id"]
        let state = RunState(rawValue: row["state"]) ?? .failed
        let outputSeq: Int64 = row["output_seq"]
        let pending: Bool = row["pending_output"]
        return Run(
            id: id, name: row["name"], job: row["job_name"], type: RunType(rawValue: row["type"]) ?? .backgroundJob,
            state: state, hasMoreData: Receiving.hasMoreData(state: state, pendingOutput: pending),
            location: row["instance"], argv: try StoreJSON.decode([String].self, row["argv"], what: "argv of run \(id)"),
            workingDirectory: row["working_directory"], throttleGroup: row["throttle_group"],
            timeout: row["timeout_seconds"], trigger: TriggerKind(rawValue: row["trigger"]) ?? .manual,
            triggerDetail: row["trigger_detail"],
            parentId: row["parent_id"], attempt: row["attempt"], pid: row["pid"], exitCode: row["exit_code"],
            signal: row["signal"], reason: row["reason"], createdAt: row["created_at"], startedAt: row["started_at"],
            endedAt: row["ended_at"], outputSeq: outputSeq, session: row["session_name"], notBefore: row["not_before"],
            runAs: row["run_as"], scheduledFor: row["scheduled_for"])
    }

    /// A new run's JSON columns, encoded before entering the write transaction.
    struct Encoded {
        let argv: String
        let environment: String

        init(_ new: NewRun) throws {
            argv = try StoreJSON.encode(new.argv)
            environment = try StoreJSON.encode(new.environment)
        }
    }

    /// Inserts a run: `NotStarted`, or `Stopped` with the skip's reason and end when `skipped` is given.
    static func insert(_ db: Database, _ new: NewRun, _ encoded: Encoded, skipped: SkippedTick?) throws -> Run {
        let state: RunState = skipped == nil ? .notStarted : .stopped
        try db.cachedStatement(
            sql: """
                INSERT INTO runs (name, job_name, type, state, argv, working_directory, environment, throttle_group,
                    timeout_seconds, instance, trigger, trigger_detail, parent_id, attempt, created_at, session_name,
                    not_before, reason, ended_at, run_as, scheduled_for)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                new.name ?? "", new.job, new.type.rawValue, state.rawValue, encoded.argv, new.workingDirectory,
                encoded.environment, new.throttleGroup, new.timeout, new.instance, new.trigger.rawValue, new.triggerDetail,
                new.parentId, new.attempt, new.createdAt, new.session, new.notBefore, skipped?.reason, skipped?.endedAt, new.runAs,
                new.scheduledFor,
            ])
        let id = db.lastInsertedRowID
        if new.name == nil {
            try db.cachedStatement(sql: "UPDATE runs SET name = 'Job' || id WHERE id = ?").execute(arguments: [id])
        }
        guard let run = try fetch(db, id: id, reader: Receiving.defaultReader) else {
            throw ErrandError(.internal, "the store lost run \(id) inside the transaction that created it")
        }
        return run
    }
}
