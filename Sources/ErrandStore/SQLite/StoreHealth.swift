import ErrandCore
import Foundation
import GRDB
import Synchronization

/// Whether the store could write the last time it tried, and why not. A full disk or a read-only file
/// must not look like an internal error: callers get ``ErrandError/Code/unavailable`` (HTTP 503 with
/// `Retry-After`), and `/healthz` says `degraded` with the reason until a write succeeds again.
public final class StoreHealth: Sendable {
    private let problem = Mutex<String?>(nil)

    public init() {}

    /// The reason the last write failed, or nil when it succeeded.
    public var writeProblem: String? { problem.withLock { $0 } }

    /// Runs a write, remembering how it went; an error that says the store cannot be written now
    /// (full, read-only, I/O error, locked) becomes an `unavailable` ErrandError naming the cause.
    func write<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            problem.withLock { $0 = nil }
            return value
        } catch let error as DatabaseError where SQLiteErrors.isTransient(error.resultCode) {
            let reason = "the store cannot write: \(error.message ?? "\(error.resultCode)")"
            problem.withLock { $0 = reason }
            throw StoreError.unavailable(reason + "; try again when there is room (or the file is writable)")
        }
    }
}
