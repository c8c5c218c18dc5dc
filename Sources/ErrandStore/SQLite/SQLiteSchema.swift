import GRDB

/// The schema, as a list of migrations. Portable on purpose (integer ids from the database, UTC
/// times, plain types) so that the PostgreSQL engine can keep the same meaning.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, output, cursors") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        type TEXT NOT NULL,
                        state TEXT NOT NULL,
                        argv TEXT NOT NULL,
                        working_directory TEXT,
                        environment TEXT NOT NULL,
                        throttle_group TEXT NOT NULL,
                        timeout_seconds REAL,
                        instance TEXT NOT NULL,
                        trigger TEXT NOT NULL,
                        parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
                        attempt INTEGER NOT NULL DEFAULT 1,
                        pid INTEGER,
                        exit_code INTEGER,
                        signal INTEGER,
                        reason TEXT,
                        created_at DATETIME NOT NULL,
                        started_at DATETIME,
                        ended_at DATETIME,
                        output_seq INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX runs_by_state ON runs (state, id);
                    CREATE INDEX runs_by_name ON runs (name);
                    CREATE TABLE output (
                        run_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        stream TEXT NOT NULL,
                        time DATETIME NOT NULL,
                        data BLOB NOT NULL,
                        PRIMARY KEY (run_id, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE cursors (
                        run_id INTEGER NOT NULL,
                        reader TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        PRIMARY KEY (run_id, reader)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: jobs, schedule ticks, runs of jobs") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN job_name TEXT;
                    CREATE INDEX runs_by_job ON runs (job_name, id);
                    CREATE TABLE jobs (
                        name TEXT PRIMARY KEY,
                        kind TEXT NOT NULL,
                        package_digest TEXT NOT NULL,
                        settings TEXT NOT NULL,
                        enabled INTEGER NOT NULL,
                        created_at DATETIME NOT NULL,
                        updated_at DATETIME NOT NULL
                    );
                    CREATE TABLE schedule_ticks (
                        job_name TEXT NOT NULL,
                        due_at DATETIME NOT NULL,
                        run_id INTEGER NOT NULL,
                        PRIMARY KEY (job_name, due_at)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3: trigger details, entry points") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN trigger_detail TEXT;
                    ALTER TABLE jobs ADD COLUMN entry_point TEXT NOT NULL DEFAULT '[]';
                    """)
        }
        migrator.registerMigration("v4: api tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tokens (
                        name TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        prefix TEXT NOT NULL UNIQUE,
                        hash TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        last_used_at DATETIME
                    );
                    """)
        }
        migrator.registerMigration("v5: sessions") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN session_name TEXT;
                    CREATE INDEX runs_by_session ON runs (session_name, id);
                    CREATE INDEX cursors_by_reader ON cursors (reader);
                    CREATE TABLE sessions (
                        name TEXT PRIMARY KEY,
                        state TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        last_seen_at DATETIME NOT NULL,
                        disconnected_at DATETIME,
                        idle_timeout_seconds REAL NOT NULL,
                        stop_on_expire INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v6: hosts of fan-out output") { db in
            // A fan-out parent stored its children's output merged, each chunk labelled with its host (until v11).
            try db.execute(sql: "ALTER TABLE output ADD COLUMN host TEXT")
        }
        migrator.registerMigration("v7: not-before times of queued runs") { db in
            // A retry waits in the store (NotStarted, not before a time), so a restart keeps it.
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN not_before DATETIME")
        }
        migrator.registerMigration("v8: package archives") { db in
            // Kept only when asked (a single daemon has its packages in its data dir); the same table as PostgreSQL's.
            try db.execute(
                sql: """
                    CREATE TABLE packages (
                        digest TEXT NOT NULL,
                        part INTEGER NOT NULL,
                        data BLOB NOT NULL,
                        PRIMARY KEY (digest, part)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v9: the user a run runs as") { db in
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN run_as TEXT")
        }
        migrator.registerMigration("v10: job names unique ignoring case; the folders a package was unwrapped from") { db in
            // Names are ASCII (JobName), so NOCASE folds all they can hold.
            let clashes = try String.fetchAll(
                db, sql: "SELECT group_concat(name, ' and ') FROM jobs GROUP BY name COLLATE NOCASE HAVING count(*) > 1")
            if !clashes.isEmpty { throw StoreError.invalid(SchemaMessages.nameClashes(clashes)) }
            try db.execute(
                sql: """
                    CREATE UNIQUE INDEX jobs_by_name_ignoring_case ON jobs (name COLLATE NOCASE);
                    ALTER TABLE jobs ADD COLUMN package_root TEXT NOT NULL DEFAULT '';
                    """)
        }
        migrator.registerMigration("v11: a fan-out's output stored once, in its children") { db in
            try SQLiteFanOutMigration.migrate(db)
        }
        migrator.registerMigration("v12: a scheduled tick's due time on its run") { db in
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN scheduled_for DATETIME")
        }
        return migrator
    }
}
