import ErrandCore
import ErrandHost
import ErrandJobs
import ErrandServer
import ErrandStore
import Foundation

/// Everything `errand serve` can be told, typed and checked: one value that ``Daemon`` is built from.
///
/// Read it with ``load(commandLine:environment:)`` (options > `ERRAND_…` environment variables > a JSON config
/// file > defaults, docs/configuration.md), or build one in code (tests do). The defaults are those of a daemon
/// started with no options.
public struct DaemonConfiguration: Sendable {
    /// The address to listen on (`listen`, host part); a bracketed IPv6 address is given without brackets.
    public var listenHost = "127.0.0.1"
    /// The port to listen on (`listen`, port part); 0 takes a free one.
    public var listenPort = 7420
    /// Where the store, the packages and the lock live (`dataDir`).
    public var dataDirectory: String
    /// Every API call needs a token (`requireTokens`); a must off loopback.
    public var requireTokens = false
    /// The certificate chain (PEM) to serve HTTPS with (`tlsCert`); needs ``tlsKey``.
    public var tlsCertificate: String?
    /// The private key (PEM) of ``tlsCertificate`` (`tlsKey`).
    public var tlsKey: String?
    /// Serve plain HTTP off loopback (`insecureHTTP`), only behind a TLS proxy.
    public var insecureHTTP = false
    /// The run host's settings: instance name, throttle limit, session idle timeout (`instance`,
    /// `throttleLimit`, `sessionIdleTimeout`).
    public var host = HostConfiguration()
    /// Largest package a deploy accepts, in bytes (`maxPackageBytes`).
    public var maxPackageBytes = PackageLimits.defaultMaxArchiveBytes
    /// Runs kept per deployed job whose settings.job has no history_size (`historySize`).
    public var historySize = JobSettings.defaultHistorySize
    /// Output kept per run of a continuous job, in bytes (`continuousLogBytes`).
    public var continuousLogBytes: Int64 = 64 << 20
    /// The ssh client configuration for ssh:// fan-out hosts (`sshConfig`); nil: the daemon user's own.
    public var sshConfig: String?
    /// Where other instances of a fleet and users reach this daemon (`--advertise`); nil: its listen address.
    public var advertise: String?
    /// Timeouts and connection counts (`headerTimeout`, `bodyTimeout`, `keepAliveTimeout`, `maxConnections`,
    /// `maxConnectionsPerClient`, `maxBodyBytes`; docs/connections.md).
    public var connections = ConnectionLimits()

    /// The defaults, storing in `dataDirectory`.
    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// The address as `host:port`, brackets around an IPv6 host.
    public var listen: String {
        listenHost.contains(":") ? "[\(listenHost)]:\(listenPort)" : "\(listenHost):\(listenPort)"
    }

    /// Where runs, output, jobs and tokens are kept (`store`): `sqlite:PATH` or a PostgreSQL URL, as written
    /// (it may hold a password: show ``storeLocation`` instead). Nil: `errand.sqlite` in the data dir.
    public var store: String?

    /// ``store`` parsed; relative SQLite paths are in the data dir.
    public var storeLocation: StoreLocation {
        get throws(ErrandError) { try StoreLocation(parsing: store, dataDirectory: dataDirectory) }
    }

    /// The job host's settings: where packages and jobs live, and their limits.
    var jobHost: JobHostConfiguration {
        var configuration = JobHostConfiguration(dataDirectory: URL(fileURLWithPath: dataDirectory))
        configuration.packageLimits.maxArchiveBytes = maxPackageBytes
        configuration.defaultHistorySize = historySize
        configuration.continuousOutputBytes = continuousLogBytes
        return configuration
    }
}
