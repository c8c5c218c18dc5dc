import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server tests may use: `ERRAND_TEST_POSTGRES` (set by scripts/with-postgres), or nil; tests that
/// need it are enabled only when it is set.
public enum TestPostgres {
    public static let url = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    public static let logger = Logger(label: "test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates an empty database on the test server and returns its URL.
    public static func freshDatabase() async throws -> String {
        guard let url, let components = URLComponents(string: url) else { throw NoServer() }
        let name = "errand_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "postgres",
                password: components.password, database: String(components.path.dropFirst()), tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        var copy = components
        copy.path = "/" + name
        return copy.string!
    }

    public struct NoServer: Error {}
}
