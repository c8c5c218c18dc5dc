import ErrandCore
import ErrandStore
import Foundation
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    static func temporaryDatabase() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("errand.sqlite").path
    }

    @Test("keeps the store contract", arguments: StoreContract.checks.map(\.name))
    func contract(_ name: String) async throws {
        let check = StoreContract.checks.first { $0.name == name }!.check
        try await check(try SQLiteStore(path: Self.temporaryDatabase()))
    }

    @Test("runs and output survive closing and reopening the file")
    func durable() async throws {
        let path = try Self.temporaryDatabase()
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

    @Test("concurrent receivers of one reader never get the same chunk")
    func concurrentReceive() async throws {
        let store = try SQLiteStore(path: Self.temporaryDatabase())
        let id = try await store.createRun(StoreContract.newRun()).id
        try await store.appendOutput(runID: id, (1...200).map { StoreContract.chunk($0, "\($0)\n") })
        let received = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while let page = try await store.receive(runID: id, reader: "", limit: 7), !page.isEmpty {
                        mine += page.map(\.seq)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(received.sorted() == Array(1...200))
    }

    @Test("a file that is not a database is a clear error")
    func notADatabase() throws {
        let path = try Self.temporaryDatabase()
        try Data("this is not sqlite".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try SQLiteStore(path: path) }
    }
}
