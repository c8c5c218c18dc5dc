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

    @Test("v10's fan-out copies are migrated away: readers keep their positions, the parent reads its children's output")
    func migratesFanOutCopies() async throws {
        let path = try StoreContract.temporaryDatabase()
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(old, upTo: "v10: job names unique ignoring case; the folders a package was unwrapped from")
            try await old.write { db in
                func run(_ type: String, _ instance: String, parent: Int64?) throws -> Int64 {
                    try db.execute(
                        sql: """
                            INSERT INTO runs (name, type, state, argv, environment, throttle_group, instance, trigger, created_at,
                                parent_id)
                            VALUES ('fan', ?, 'Completed', '["true"]', '{}', 'g', ?, 'manual', ?, ?)
                            """, arguments: [type, instance, StoreContract.t0, parent])
                    return db.lastInsertedRowID
                }
                func chunk(_ run: Int64, _ seq: Int64, _ second: Double, _ text: String, host: String? = nil) throws {
                    try db.execute(
                        sql: "INSERT INTO output (run_id, seq, stream, time, data, host) VALUES (?, ?, 'output', ?, ?, ?)",
                        arguments: [run, seq, StoreContract.t0.addingTimeInterval(second), Data(text.utf8), host])
                }
                let parent = try run("RemoteJob", "a,b", parent: nil)
                let a = try run("RemoteJob", "a", parent: parent)
                let b = try run("RemoteJob", "b", parent: parent)
                let lone = try run("BackgroundJob", "h", parent: nil)
                try chunk(a, 1, 1, "a1")
                try chunk(b, 1, 2, "b1")
                try chunk(a, 2, 3, "a2")
                try chunk(lone, 1, 1, "lone")
                // The parent's copies, as v9 stored them, and a reader who had received the first two.
                try chunk(parent, 1, 1, "a1", host: "a")
                try chunk(parent, 2, 2, "b1", host: "b")
                try chunk(parent, 3, 3, "a2", host: "a")
                try db.execute(sql: "UPDATE runs SET output_seq = 3 WHERE id = ?", arguments: [parent])
                try db.execute(sql: "UPDATE runs SET output_seq = 2 WHERE id = ?", arguments: [a])
                try db.execute(sql: "UPDATE runs SET output_seq = 1 WHERE id IN (?, ?)", arguments: [b, lone])
                try db.execute(sql: "INSERT INTO cursors (run_id, reader, position) VALUES (?, 'r', 2)", arguments: [parent])
            }
            try old.close()
        }
        let store = try SQLiteStore(path: path)
        let runs = try await store.runs(RunQuery())
        let (parent, a, b, lone) = (runs[0], runs[1], runs[2], runs[3])
        let view = try await store.output(runID: parent.id, after: 0, limit: 10)
        #expect(view.map { "\($0.seq) \($0.host ?? "-") " + String(decoding: $0.bytes, as: UTF8.self) } == ["1 a a1", "2 b b1", "3 a a2"])
        #expect(parent.outputSeq == 3 && parent.hasMoreData)
        // Reader r had received a1 and b1 from the parent: they are not received again, from it or the children.
        #expect(try await store.peek(runID: a.id, reader: "r", limit: 10)?.map(\.seq) == [2])
        #expect(try await store.peek(runID: b.id, reader: "r", limit: 10) == [])
        #expect(try await store.receive(runID: parent.id, reader: "r", limit: 10)?.map(\.seq) == [3])
        #expect(try await store.run(id: parent.id, reader: "r")?.hasMoreData == false)
        // Nothing is kept twice, and other runs are untouched.
        let copies = try await DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM output WHERE run_id = ?", arguments: [parent.id])
        }
        #expect(copies == 0)
        #expect(try await store.output(runID: lone.id, after: 0, limit: 10).map(\.host) == [nil])
        #expect(try await store.receive(runID: b.id, reader: "", limit: 10)?.map(\.seq) == [1])
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
