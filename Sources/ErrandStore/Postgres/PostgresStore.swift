import ErrandCore
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared store: a PostgreSQL database through postgres-nio, for one daemon or a fleet of them.
///
/// ``open(_:logger:)`` connects once on its own to say clearly what is wrong (unreachable, refused
/// password, no such database), migrates the schema under an advisory lock, then starts the pool. Every
/// operation has a deadline (postgres-nio has none): when the server is gone the daemon gets an
/// ``StoreError/unavailable(_:)`` error (503 to clients) within ``deadline`` rather than hanging, and the
/// pool reconnects by itself when the server is back. As a `Service` it keeps the pool until graceful
/// shutdown.
public final class PostgresStore: StoreEngine {
    let client: PostgresClient
    let logger: Logger
    /// The database as shown to people: the URL without its password.
    public let location: String
    /// Longest an operation may take, from waiting for a connection to its last row.
    let deadline: Duration
    private let pool: Task<Void, Never>
    private let problem = Mutex<String?>(nil)

    private init(client: PostgresClient, location: String, deadline: Duration, logger: Logger) {
        self.client = client
        self.location = location
        self.deadline = deadline
        self.logger = logger
        // The pool's own loop: owned here and ended by `run()` or `close()` (the store must serve
        // `prepare()`, which runs before the daemon's service group starts).
        pool = Task { await client.run() }
    }

    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&pool=N]`), migrates and
    /// starts the pool. Errors name the database without its password and say what to do.
    public static func open(_ url: String, logger: Logger, deadline: Duration = .seconds(10)) async throws -> PostgresStore {
        let parsed = try PostgresURL(parsing: url)
        let shown = parsed.description
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try parsed.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw ErrandError(.unavailable, "cannot connect to the store \(shown): \(PostgresErrors.describe(error))")
        }
        do {
            try await PostgresSchema.migrate(connection, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw ErrandError(.internal, "cannot prepare the store \(shown): \(PostgresErrors.describe(error))")
        }
        let client = PostgresClient(configuration: try parsed.clientConfiguration(), backgroundLogger: logger)
        return PostgresStore(client: client, location: shown, deadline: deadline, logger: logger)
    }

    /// Waits for graceful shutdown (or cancellation), then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes the pool; later operations are ``StoreError/unavailable(_:)``. For stores not run as a service.
    public func close() async {
        pool.cancel()
        await pool.value
    }

    public var writeProblem: String? { problem.withLock { $0 } }

    // MARK: - Doing things, with a deadline

    /// One statement on a pooled connection; its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withDeadline { [client, logger] in try await client.query(query, logger: logger).collect() }
    }

    /// Statements in one transaction (committed when `body` returns, rolled back when it throws).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline { [client, logger] in
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// Runs `operation` with this store's deadline; errors become ``StoreError``s, and whether the server could
    /// be reached is remembered for ``writeProblem`` (shown by `/healthz`).
    private func withDeadline<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            let value = try await Deadline.run(within: deadline, operation)
            problem.withLock { $0 = nil }
            return value
        } catch let error as ErrandError {
            throw error
        } catch is Deadline.Passed {
            throw noted(StoreError.unavailable("the store \(location) did not answer within \(deadline)"))
        } catch {
            let mapped = PostgresErrors.storeError(error, location: location)
            throw mapped.code == .unavailable ? noted(mapped) : mapped
        }
    }

    private func noted(_ error: ErrandError) -> ErrandError {
        problem.withLock { $0 = error.message }
        return error
    }
}

/// Rows read by column name: `let row = row.makeRandomAccess(); let id: Int64 = try row.value("id")`.
extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self)
    }
}
