import Foundation
import Logging
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

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

/// A PostgreSQL cluster of a test's own (Debian's initdb/pg_ctl as the `postgres` user, 127.0.0.1, a free port), for
/// tests that stop or restart the server and must not disturb others. Needs ERRAND_TEST_POSTGRES_BIN (set by
/// scripts/with-postgres).
public final class TestPostgresCluster: Sendable {
    public let port: Int
    let directory: String
    let bin: String

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    private init(port: Int, bin: String, directory: String) {
        self.port = port
        self.bin = bin
        self.directory = directory
    }

    /// Creates and starts a cluster on `port`.
    public static func start(port: Int) async throws -> TestPostgresCluster {
        guard let bin = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES_BIN"] else { throw TestPostgres.NoServer() }
        let cluster = TestPostgresCluster(port: port, bin: bin, directory: "/tmp/errand-test-pg-\(UUID().uuidString.prefix(8))")
        try await shell("mkdir -p \(cluster.directory) && chown postgres \(cluster.directory)")
        try await cluster.su("\(bin)/initdb -D \(cluster.directory)/data -A trust -U postgres >/dev/null")
        try await cluster.start()
        return cluster
    }

    public func start() async throws {
        try await su(
            "\(bin)/pg_ctl -D \(directory)/data -l \(directory)/log -w -o '-p \(port) -k \(directory) -c listen_addresses=127.0.0.1' start >/dev/null"
        )
    }

    /// Stops at once, as a crash would (`-m immediate`).
    public func stop() async throws {
        try await su("\(bin)/pg_ctl -D \(directory)/data -m immediate -w stop >/dev/null")
    }

    public func remove() async {
        try? await stop()
        try? await Self.shell("rm -rf \(directory)")
    }

    private func su(_ command: String) async throws {
        try await Self.shell("su postgres -s /bin/sh -c \"\(command)\"")
    }

    /// `sh -c command`, waited for by polling (a blocking wait would hold one of Swift's few cooperative
    /// threads for the seconds initdb takes, and stall other tests).
    static func shell(_ command: String) async throws {
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { throw ShellFailed(command: command) }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { throw ShellFailed(command: command) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard status == 0 else { throw ShellFailed(command: command) }
    }

    struct ShellFailed: Error { var command: String }
}
