import ErrandCore
import GRDB

/// SQLite's result codes as ``StoreError``s: nothing GRDB throws reaches a caller as it is.
enum SQLiteErrors {
    /// Errors that say the database cannot be used now, though it may be later (full, read-only, I/O,
    /// locked): ``StoreError/unavailable(_:)``.
    static func isTransient(_ code: ResultCode) -> Bool {
        [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_CANTOPEN, .SQLITE_LOCKED]
            .contains(code.primaryResultCode)
    }

    /// The store error for a database error.
    static func storeError(_ error: DatabaseError) -> ErrandError {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode.primaryResultCode {
        case _ where isTransient(error.resultCode):
            return StoreError.unavailable("the store cannot be used now: \(detail); try again later")
        case .SQLITE_CONSTRAINT:
            return StoreError.conflict("the store refused a write that conflicts with what it holds: \(detail)")
        case .SQLITE_TOOBIG, .SQLITE_RANGE, .SQLITE_MISMATCH:
            return StoreError.invalid("the store cannot keep this: \(detail)")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError.unavailable("the database file is damaged or is not an Errand database: \(detail)")
        default:
            return ErrandError(.internal, "the store failed: \(detail) (SQLite \(error.resultCode))")
        }
    }

    /// Runs `body`, turning database errors into store errors (``ErrandError``s pass as they are).
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError {
            throw storeError(error)
        }
    }
}

extension SQLiteErrors {
    /// Runs a synchronous step (closing), turning database errors into store errors.
    static func closing(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DatabaseError {
            throw storeError(error)
        }
    }
}
