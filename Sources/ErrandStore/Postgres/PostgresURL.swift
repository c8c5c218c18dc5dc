import ErrandCore
import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` (or `postgresql://`) URL as libpq users write it: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// with an optional `?sslmode=disable|allow|prefer|require|verify-ca|verify-full` (libpq's default: prefer) and
/// `&pool=N` (connections this daemon keeps, default 6). Percent-escapes are decoded in each part.
struct PostgresURL: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: String
    var poolSize: Int

    static let defaultPoolSize = 6
    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    init(parsing text: String) throws(ErrandError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw .badRequest("'\(Self.redacted(text))' is not a PostgreSQL URL: use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard var host = url.host, !host.isEmpty else {
            throw .badRequest("the PostgreSQL URL \(Self.redacted(text)) names no host: postgres://USER@HOST/DATABASE")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw .badRequest("the PostgreSQL port must be 1–65535, got \(port)") }
        user = url.user ?? "postgres"
        password = url.password
        database = String(url.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        sslMode = "prefer"
        poolSize = Self.defaultPoolSize
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value, Self.sslModes.contains(mode) else {
                    throw .badRequest("sslmode must be one of \(Self.sslModes.joined(separator: ", ")); got '\(item.value ?? "")'")
                }
                sslMode = mode
            case "pool":
                guard let text = item.value, let size = Int(text), (1...100).contains(size) else {
                    throw .badRequest("pool (connections per daemon) must be a whole number from 1 to 100; got '\(item.value ?? "")'")
                }
                poolSize = size
            default:
                throw .badRequest("unknown PostgreSQL URL parameter '\(item.name)': Errand knows sslmode and pool")
            }
        }
    }

    /// The URL without its password: what logs, `errand version`, `/healthz` and the dashboard show.
    var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// `text` with anything between `://` and `@` after a colon hidden, for messages about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@"),
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<colon]) + String(text[at...])
    }

    /// TLS as libpq's sslmode means it (require: encrypted, not verified; verify-ca: the chain; verify-full:
    /// the chain and the host name).
    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "verify-full": configuration.certificateVerification = .fullVerification
        case "verify-ca": configuration.certificateVerification = .noHostnameVerification
        default: configuration.certificateVerification = .none
        }
        return configuration
    }

    /// The pool's configuration.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer(tlsConfiguration)
        default: tls = .require(tlsConfiguration)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        // The server's own limits behind the client's deadline: a statement or a transaction left open by a
        // frozen daemon is ended by PostgreSQL, so its row locks do not hold up the rest of a fleet.
        configuration.options.additionalStartupParameters = [
            ("application_name", "errand"), ("statement_timeout", "60s"), ("idle_in_transaction_session_timeout", "60s"),
        ]
        return configuration
    }

    /// One connection's configuration (the check and migration at start-up).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
        default: tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)  // NIO's TimeAmount here
        return configuration
    }
}
