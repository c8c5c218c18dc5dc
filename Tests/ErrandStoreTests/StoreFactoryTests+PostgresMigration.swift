import ErrandCore
import ErrandTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import ErrandStore

extension StoreFactoryTests {
    @Test(
        "PostgreSQL: schema 3's fan-out copies are migrated away, readers keep their positions (as SQLite's v11)",
        .enabled(if: TestPostgres.url != nil))
    func postgresMigratesFanOutCopies() async throws {
        let url = try await TestPostgres.freshDatabase()
        let connection = try await PostgresConnection.connect(
            configuration: try PostgresURL(parsing: url).connectionConfiguration(), id: 1, logger: TestPostgres.logger)
        do {
            try await PostgresSchema.migrate(connection, logger: TestPostgres.logger, upTo: 3)
            func run(_ type: String, _ instance: String, parent: Int64?) async throws -> Int64 {
                try await connection.query(
                    """
                    INSERT INTO runs (name, type, state, argv, environment, throttle_group, instance, trigger, created_at, parent_id)
                    VALUES ('fan', \(type), 'Completed', '["true"]', '{}', 'g', \(instance), 'manual', now(), \(parent)) RETURNING id
                    """, logger: TestPostgres.logger
                ).collect().first!.decode(Int64.self)
            }
            func chunk(_ run: Int64, _ seq: Int64, _ second: Double, _ text: String, host: String? = nil) async throws {
                try await connection.query(
                    """
                    INSERT INTO output (run_id, seq, stream, time, data, host)
                    VALUES (\(run), \(seq), 'output', \(StoreContract.t0.addingTimeInterval(second)), \(ByteBuffer(string: text)), \(host))
                    """, logger: TestPostgres.logger)
            }
            let parent = try await run("RemoteJob", "a,b", parent: nil)
            let a = try await run("RemoteJob", "a", parent: parent)
            let b = try await run("RemoteJob", "b", parent: parent)
            try await chunk(a, 1, 1, "a1")
            try await chunk(b, 1, 2, "b1")
            try await chunk(a, 2, 3, "a2")
            try await chunk(parent, 1, 1, "a1", host: "a")
            try await chunk(parent, 2, 2, "b1", host: "b")
            try await chunk(parent, 3, 3, "a2", host: "a")
            try await connection.query("UPDATE runs SET output_seq = 3 WHERE id = \(parent)", logger: TestPostgres.logger)
            try await connection.query("UPDATE runs SET output_seq = 2 WHERE id = \(a)", logger: TestPostgres.logger)
            try await connection.query("UPDATE runs SET output_seq = 1 WHERE id = \(b)", logger: TestPostgres.logger)
            try await connection.query(
                "INSERT INTO cursors (run_id, reader, position) VALUES (\(parent), 'r', 2)", logger: TestPostgres.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()

        let store = try await PostgresStore.open(url, logger: TestPostgres.logger)
        do {
            let runs = try await store.runs(RunQuery())
            let (parent, a, b) = (runs[0], runs[1], runs[2])
            let view = try await store.output(runID: parent.id, after: 0, limit: 10)
            #expect(
                view.map { "\($0.seq) \($0.host ?? "-") " + String(decoding: $0.bytes, as: UTF8.self) } == ["1 a a1", "2 b b1", "3 a a2"])
            #expect(parent.outputSeq == 3)
            #expect(try await store.peek(runID: a.id, reader: "r", limit: 10)?.map(\.seq) == [2])
            #expect(try await store.peek(runID: b.id, reader: "r", limit: 10) == [])
            #expect(try await store.receive(runID: parent.id, reader: "r", limit: 10)?.map(\.seq) == [3])
            #expect(try await store.run(id: parent.id, reader: "r")?.hasMoreData == false)
            #expect(try await store.query("SELECT 1 FROM output WHERE run_id = \(parent.id)").isEmpty)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
