import ErrandCore
import Foundation
import GRDB
import ServiceLifecycleTestKit
import Testing

@testable import ErrandStore

/// What is SQLite's own: the file, reopening it, migrating an older schema. The guarantees every engine
/// keeps are in ``StoreContract``.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("runs and output survive closing and reopening the file")
    func durable() async throws {
        let path = try StoreContract.temporaryDatabase()
        let id: Int64
        do {
            let store = try SQLiteStore(path: path)
            id = try await store.createRun(StoreContract.newRun()).id
            try await store.appendOutput(runID: id, [StoreContract.chunk(1, "kept\n")])
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.run(id: id)?.outputSeq == 1)
        #expect(try await reopened.output(runID: id, after: 0, limit: 10).map(\.bytes) == [Array("kept\n".utf8)])
    }

    @Test("a file that is not a database is a clear 'unavailable' error naming the file")
    func notADatabase() throws {
        let path = try StoreContract.temporaryDatabase()
        try Data("this is not sqlite, but it is long enough to have a header page".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ErrandError.self) { try SQLiteStore(path: path) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
    }

    @Test("a database of the previous schema (v6) opens, migrates and keeps its runs; not-before times are new")
    func migratesFromV6() async throws {
        let path = try StoreContract.temporaryDatabase()
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(old, upTo: "v6: hosts of fan-out output")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO runs (name, type, state, argv, environment, throttle_group, instance, trigger, created_at)
                        VALUES ('old', 'BackgroundJob', 'NotStarted', '["true"]', '{}', 'default', 'h', 'manual', ?)
                        """, arguments: [StoreContract.t0])
                #expect(try Row.fetchOne(db, sql: "SELECT * FROM pragma_table_info('runs') WHERE name = 'not_before'") == nil)
            }
            try old.close()
        }
        let store = try SQLiteStore(path: path)
        let old = try #require(try await store.runs(RunQuery()).first)
        #expect(old.name == "old" && old.notBefore == nil && old.state == .notStarted)
        var held = StoreContract.newRun()
        held.notBefore = StoreContract.t0
        #expect(try await store.createRun(held).notBefore == StoreContract.t0)
        // Opening again finds nothing to migrate.
        #expect(try await SQLiteStore(path: path).runs(RunQuery()).count == 2)
    }

    /// Names became unique ignoring case in v10: a database holding `Report` and `report` does not open half
    /// migrated; it says which jobs clash and what to do. One without clashes migrates and keeps its jobs.
    @Test("v10: job names that differ only in case stop the migration with advice; others migrate")
    func migratesNamesIgnoringCase() async throws {
        func database(_ names: [String]) throws -> String {
            let path = try StoreContract.temporaryDatabase()
            let old = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(old, upTo: "v9: the user a run runs as")
            try old.write { db in
                for name in names {
                    try db.execute(
                        sql: """
                            INSERT INTO jobs (name, kind, package_digest, settings, enabled, created_at, updated_at)
                            VALUES (?, 'triggered', 'aa', '{}', 1, ?, ?)
                            """, arguments: [name, StoreContract.t0, StoreContract.t0])
                }
            }
            try old.close()
            return path
        }
        let clashing = try database(["Report", "report", "other"])
        let error = #expect(throws: ErrandError.self) { try SQLiteStore(path: clashing) }
        #expect(error?.message.contains("Report and report") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("errand job remove") == true)
        let store = try SQLiteStore(path: try database(["Report", "other"]))
        #expect(try await store.job(named: "REPORT")?.name == "Report")
        #expect(try await store.job(named: "REPORT")?.packageRoot == "")
    }

    @Test("as a Service it closes the file at graceful shutdown; later uses are 'unavailable'")
    func closesAtShutdown() async throws {
        let store = try SQLiteStore(path: try StoreContract.temporaryDatabase())
        _ = try await store.createRun(StoreContract.newRun())
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                // Still open while the service runs.
                #expect(try await store.runs(RunQuery()).count == 1)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let error = await #expect(throws: ErrandError.self) { try await store.runs(RunQuery()) }
        #expect(error?.code == .unavailable)
        let write = await #expect(throws: ErrandError.self) { try await store.createRun(StoreContract.newRun()) }
        #expect(write?.code == .unavailable)
    }

    @Test("a name pattern becomes a LIKE pattern whose only wildcards are the pattern's")
    func likePatterns() {
        #expect(SQLiteRunQuery.likePattern(NamePattern("a*b?c")) == "a%b_c")
        #expect(SQLiteRunQuery.likePattern(NamePattern("50%_off\\")) == "50\\%\\_off\\\\")
        #expect(SQLiteRunQuery.likePattern(NamePattern("[x]")) == "[x]")
    }
}
