import ErrandCore
import Foundation
import GRDB
import Testing

@testable import ErrandStore

@Suite("Store safety: private files, visible write failures")
struct StoreSafetyTests {
    func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("errand-safety-\(UUID().uuidString).sqlite").path
    }

    @Test("the database and its WAL files are 0600 whatever the umask, also when they existed as 0644")
    func privateFiles() async throws {
        let path = path()
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        let store = try SQLiteStore(path: path)
        _ = try await store.createRun(NewRun(argv: ["true"], instance: "t", createdAt: Date()))
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test("a write the disk refuses is 'unavailable' with the cause, and the health clears once a write succeeds")
    func writeFailures() async throws {
        let health = StoreHealth()
        let error = await #expect(throws: ErrandError.self) {
            try await health.write { () throws -> Int in
                throw DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
            }
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("disk is full") == true)
        #expect(health.writeProblem?.contains("disk is full") == true)
        #expect(try await health.write { 7 } == 7)
        #expect(health.writeProblem == nil)
        // Errors that are the caller's (a constraint) stay what they are and do not make the store degraded.
        await #expect(throws: DatabaseError.self) {
            try await health.write { () throws -> Int in throw DatabaseError(resultCode: .SQLITE_CONSTRAINT) }
        }
        #expect(health.writeProblem == nil)
    }

    @Test("a store on a full file system reports it: writes are unavailable and the store says degraded")
    func fullDatabase() async throws {
        let path = path()
        let store = try SQLiteStore(path: path)
        // A database capped at its current size behaves as a full disk does (SQLITE_FULL) on this connection pool.
        try await store.pool.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let big = String(repeating: "x", count: 1 << 20)
        var failure: ErrandError?
        for _ in 0..<4 where failure == nil {
            do {
                _ = try await store.createRun(NewRun(argv: ["echo", big], instance: "t", createdAt: Date()))
            } catch let error as ErrandError {
                failure = error
            }
        }
        #expect(failure?.code == .unavailable)
        #expect(store.writeProblem != nil)
    }

    @Test(
        "every SQLite error becomes a store error with the code a caller can act on, and keeps SQLite's words",
        arguments: [
            (ResultCode.SQLITE_FULL, ErrandError.Code.unavailable), (.SQLITE_READONLY, .unavailable), (.SQLITE_IOERR, .unavailable),
            (.SQLITE_BUSY, .unavailable), (.SQLITE_LOCKED, .unavailable), (.SQLITE_CANTOPEN, .unavailable),
            (.SQLITE_CORRUPT, .unavailable), (.SQLITE_NOTADB, .unavailable), (.SQLITE_CONSTRAINT, .conflict),
            (.SQLITE_CONSTRAINT_UNIQUE, .conflict), (.SQLITE_TOOBIG, .badRequest), (.SQLITE_RANGE, .badRequest),
            (.SQLITE_ERROR, .internal), (.SQLITE_MISUSE, .internal),
        ] as [(ResultCode, ErrandError.Code)])
    func errorMapping(_ code: ResultCode, _ expected: ErrandError.Code) {
        let error = SQLiteErrors.storeError(DatabaseError(resultCode: code, message: "what SQLite said"))
        #expect(error.code == expected)
        #expect(error.message.contains("what SQLite said"))
        #expect(StoreError.isRetryable(error) == (expected == .unavailable))
    }

    @Test("a write refused by a constraint reaches the caller as a conflict, and the store stays healthy")
    func constraintIsConflict() async throws {
        let store = try SQLiteStore(path: path())
        let id = try await store.createRun(NewRun(argv: ["true"], instance: "t", createdAt: Date())).id
        let chunk = OutputChunk(seq: 1, time: Date(), stream: .output, bytes: [1])
        try await store.appendOutput(runID: id, [chunk])
        let error = await #expect(throws: ErrandError.self) { try await store.appendOutput(runID: id, [chunk]) }
        #expect(error?.code == .conflict)
        #expect(store.writeProblem == nil)
    }
}
