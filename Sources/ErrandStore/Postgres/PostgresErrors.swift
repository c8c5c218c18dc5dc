import ErrandCore
import PostgresNIO

/// PostgreSQL's errors in Errand's terms: a taken key is a conflict, a lost or refused connection is
/// `unavailable` (a 503 with Retry-After: the pool reconnects by itself), the rest is internal.
enum PostgresErrors {
    static func storeError(_ error: any Error, location: String) -> ErrandError {
        if let error = error as? ErrandError { return error }
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            return storeError(cause, location: location)
        }
        if error is CancellationError { return StoreError.unavailable("the store operation was cancelled") }
        guard let psql = error as? PSQLError else {
            return ErrandError(.unavailable, "the store \(location) cannot be reached: \(describe(error))")
        }
        if psql.code == .server, let state = psql.serverInfo?[.sqlState] {
            let message = psql.serverInfo?[.message] ?? state
            if state == "23505" { return StoreError.conflict(message) }
            // 08: connection exception; 53: insufficient resources; 57P0x: the server is shutting down or starting.
            if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") {
                return StoreError.unavailable("the store \(location) is unavailable: \(message)")
            }
            return ErrandError(.internal, "the store \(location) refused a statement: \(message) (SQLSTATE \(state))")
        }
        return StoreError.unavailable("the store \(location) cannot be reached: \(describe(error))")
    }

    /// What went wrong, in words: the server's message when there is one, else the client's reason (postgres-nio's
    /// own description hides details on purpose).
    static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            return describe(cause)
        }
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState] ?? ""
            switch state {
            case "28P01", "28000": return "authentication failed: \(message)"
            case "3D000": return "\(message) (create it first: createdb)"
            default: return message
            }
        }
        if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
        return "\(psql.code)"
    }
}
