import ErrandCore
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// The contract every store engine must keep, and the only place a store's guarantees are tested. Each check
/// takes a fresh, empty store. ``StoreContractTests`` runs every check on every engine in ``engines``; a
/// PostgreSQL engine joins by adding itself there. Engine-specific behaviour (files, disk errors,
/// migrations) is tested apart, in the engine's own suite.
enum StoreContract {
    typealias Check = (name: String, check: @Sendable (any Store) async throws -> Void)

    /// An engine under test: how to get a fresh, empty store of it, and how to close it after the check.
    struct Engine: Sendable {
        let name: String
        let make: @Sendable () async throws -> (store: any Store, close: @Sendable () async -> Void)
    }

    /// SQLite always; PostgreSQL when `ERRAND_TEST_POSTGRES` names a server (scripts/with-postgres starts one),
    /// each check on a database of its own.
    static let engines: [Engine] =
        [Engine(name: "sqlite") { (try SQLiteStore(path: try temporaryDatabase()), {}) }]
        + (TestPostgres.url == nil
            ? []
            : [
                Engine(name: "postgres") {
                    let store = try await PostgresStore.open(try await TestPostgres.freshDatabase(), logger: TestPostgres.logger)
                    return (store, { await store.close() })
                }
            ])

    static let checks: [Check] = runChecks + nameChecks + outputChecks + fanOutChecks + jobChecks + accessChecks

    static let t0 = Date(timeIntervalSince1970: 1_700_000_000.250)

    static func temporaryDatabase() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("errand.sqlite").path
    }

    static func newRun(_ argv: [String] = ["echo", "hi"], name: String? = nil, group: String = "default") -> NewRun {
        NewRun(
            name: name, argv: argv, workingDirectory: "/tmp", environment: ["A": "1"], throttleGroup: group,
            timeout: 5, instance: "test-host", createdAt: t0)
    }

    static func chunk(_ seq: Int64, _ text: String, _ stream: OutputChannel = .output) -> OutputChunk {
        OutputChunk(seq: seq, time: t0.addingTimeInterval(Double(seq)), stream: stream, bytes: Array(text.utf8))
    }
}

@Suite("Store contract")
struct StoreContractTests {
    @Test("every engine keeps every guarantee", arguments: StoreContract.engines.map(\.name), StoreContract.checks.map(\.name))
    func contract(engine: String, check name: String) async throws {
        let engine = try #require(StoreContract.engines.first { $0.name == engine })
        let check = try #require(StoreContract.checks.first { $0.name == name }).check
        let (store, close) = try await engine.make()
        do {
            try await check(store)
        } catch {
            await close()
            throw error
        }
        await close()
    }

    @Test("check names are unique (each is a test case)")
    func uniqueNames() {
        #expect(Set(StoreContract.checks.map(\.name)).count == StoreContract.checks.count)
    }
}
