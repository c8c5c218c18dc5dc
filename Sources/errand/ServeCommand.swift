import ArgumentParser
import ErrandCore
import ErrandDashboard
import ErrandHost
import ErrandJobs
import ErrandRemote
import ErrandServer
import ErrandStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// `errand serve`: the daemon. The HTTP API and the run coordinator are services of one group,
/// which shuts down gracefully on SIGTERM/SIGINT: running runs are stopped and recorded `Stopped`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Errand daemon (API, run host) in the foreground.",
        discussion: """
            Settings come from options, else the environment (ERRAND_LISTEN, ERRAND_DATA_DIR, \
            ERRAND_THROTTLE_LIMIT, ERRAND_REQUIRE_TOKENS, and one variable per connection limit: \
            docs/connections.md), else defaults. The data dir holds errand.sqlite \
            (runs and their output).

            On a loopback address tokens are optional. On any other address the daemon starts only with \
            --require-tokens, and only with --tls-cert/--tls-key or an explicit --insecure-http \
            (see docs/security.md).
            """
    )

    @Option(help: ArgumentHelp("Address to listen on (default: $ERRAND_LISTEN, else 127.0.0.1:7420).", valueName: "HOST:PORT"))
    var listen: String?

    @Option(
        help: ArgumentHelp(
            "Where runs and output are stored (default: $ERRAND_DATA_DIR, else $XDG_DATA_HOME/errand, else ~/.local/share/errand).",
            valueName: "DIR"))
    var dataDir: String?

    @Option(help: "Runs at once per throttle group (default: $ERRAND_THROTTLE_LIMIT, else 2 × cores).")
    var throttleLimit: Int?

    @Option(help: "This instance's name, shown as the runs' Location (default: the host name).")
    var instance: String?

    @Option(help: "Largest package (zip) a deploy accepts, in bytes (default: 100000000).")
    var maxPackageBytes: Int64?

    @Option(help: "Runs kept per deployed job when its settings.job has no history_size (default: 30).")
    var historySize: Int?

    @Option(help: "Output kept per run of a continuous job, in bytes; older output is rotated out (default: 67108864).")
    var continuousLogBytes: Int64?

    @Flag(help: "Every API call needs a token (also ERRAND_REQUIRE_TOKENS=1); a must on a non-loopback address.")
    var requireTokens = false

    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM); needs --tls-key.", valueName: "FILE"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key (PEM) of --tls-cert.", valueName: "FILE"))
    var tlsKey: String?

    @Flag(help: "Serve plain HTTP on a non-loopback address (only behind a TLS proxy).")
    var insecureHTTP = false

    @Option(
        help: ArgumentHelp(
            "How long a disconnected session is kept when it was created without --idle-timeout (default: 2h).",
            valueName: "DURATION"))
    var sessionIdleTimeout: String?

    @Option(
        help: ArgumentHelp(
            "The ssh client configuration for ssh:// fan-out hosts (default: $ERRAND_SSH_CONFIG, else the daemon user's ~/.ssh/config).",
            valueName: "FILE"))
    var sshConfig: String?

    @OptionGroup(title: "Connection limits (see docs/connections.md)")
    var connections: ConnectionOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (host, port) = try Self.parseListen(listen ?? environment["ERRAND_LISTEN"] ?? "127.0.0.1:7420")
        let requireTokens =
            self.requireTokens || ["1", "true", "yes"].contains(environment["ERRAND_REQUIRE_TOKENS"]?.lowercased() ?? "")
        let tls = try Self.tlsConfiguration(certificate: tlsCert, key: tlsKey)
        let connectionLimits = try connections.limits(environment: environment)
        try ListenPolicy(host: host, port: port, requireTokens: requireTokens, tls: tls != nil, insecureHTTP: insecureHTTP).check()
        let dataDirectory = DataDirectory.resolve(dataDir)
        var hostConfiguration = HostConfiguration()
        if let instance { hostConfiguration.instanceName = instance }
        if let limit = try throttleLimit ?? environment["ERRAND_THROTTLE_LIMIT"].map(Self.parseLimit) {
            _ = try InputBounds.count(limit, field: "--throttle-limit", min: 1)
            hostConfiguration.throttleLimit = limit
        }
        if let sessionIdleTimeout {
            hostConfiguration.sessionIdleTimeout = try SessionCommand.parseIdleTimeout(sessionIdleTimeout, option: "--session-idle-timeout")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "errand")
        let gate = ConnectionGate(limits: connectionLimits, logger: logger)

        do {
            try DataDirectory.create(dataDirectory)
        } catch {
            throw ErrandError.badRequest("cannot create the data dir \(dataDirectory): \(error.localizedDescription)")
        }
        Self.raiseOpenFileLimit(logger: logger)
        let lock = try DataDirectoryLock(directory: dataDirectory)
        defer { lock.release() }
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: dataDirectory + "/errand.sqlite")
        } catch {
            throw ErrandError(.internal, "cannot open the database in \(dataDirectory): \(error)")
        }
        let sshConfigFile = sshConfig ?? environment["ERRAND_SSH_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let sshConfigFile, !FileManager.default.isReadableFile(atPath: sshConfigFile) {
            throw ErrandError.badRequest("cannot read the ssh config file \(sshConfigFile) (--ssh-config or ERRAND_SSH_CONFIG)")
        }
        let remote = RemoteLaunchers(
            ssh: SSHCommandLine(configFile: sshConfigFile, controlDirectory: Self.sshControlDirectory(dataDirectory: dataDirectory)))
        let coordinator = RunCoordinator(
            store: store, configuration: hostConfiguration, remoteLaunchers: remote, logger: logger)
        try await coordinator.recover()
        var jobConfiguration = JobHostConfiguration(dataDirectory: URL(fileURLWithPath: dataDirectory))
        if let maxPackageBytes { jobConfiguration.packageLimits.maxArchiveBytes = maxPackageBytes }
        if let historySize {
            guard (1...JobSettings.maxHistorySize).contains(historySize) else {
                throw ErrandError.badRequest("--history-size must be between 1 and \(JobSettings.maxHistorySize)")
            }
            jobConfiguration.defaultHistorySize = historySize
        }
        if let continuousLogBytes { jobConfiguration.continuousOutputBytes = continuousLogBytes }
        let jobs = JobHost(coordinator: coordinator, configuration: jobConfiguration, logger: logger)
        try await jobs.load()

        // Signed-in dashboard browsers, shared by the sign-in page that opens sessions and the API that honours them.
        let sessions = BrowserSessions(store: store)
        let router = ErrandAPI(
            coordinator: coordinator, jobs: jobs, instance: hostConfiguration.instanceName, requireTokens: requireTokens,
            sessions: sessions, maxBodyBytes: gate.limits.maxBodyBytes
        ).router()
        try Dashboard(
            coordinator: coordinator, jobs: jobs, instance: hostConfiguration.instanceName,
            signIn: requireTokens ? .init(sessions: sessions, secureCookie: tls != nil) : nil
        ).addRoutes(to: router)
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: gate.channelHandlers()))
        let app = Application(
            router: router,
            server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
            configuration: .init(address: .hostname(host, port: port), serverName: "errand"),
            logger: logger
        )
        logger.info(
            "errand \(ErrandVersion.current) serving \(tls == nil ? "http" : "https")://\(host):\(port), data in \(dataDirectory), tokens \(requireTokens ? "required" : "not required")"
        )
        if requireTokens, try await store.tokens().isEmpty {
            logger.warning(
                "tokens are required and none exist yet: create the first with `errand token create NAME --role admin --data-dir \(dataDirectory)`"
            )
        }
        // The API shuts down after the coordinator (reverse order), so the runs are stopped and
        // recorded while clients can still watch them.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app), .init(service: coordinator), .init(service: jobs),
                    .init(service: SessionSweeper(coordinator: coordinator, interval: hostConfiguration.sessionSweepInterval)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw ErrandError(.unavailable, "the daemon stopped: \(error)")
        }
    }

    /// The server's TLS settings from PEM files, or nil for plain HTTP.
    static func tlsConfiguration(certificate: String?, key: String?) throws -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (nil, _), (_, nil): throw ErrandError.badRequest("--tls-cert and --tls-key go together: give both, or neither")
        case (let certificate?, let key?):
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
            } catch {
                throw ErrandError.badRequest("cannot read the certificate chain --tls-cert \(certificate) (PEM expected): \(error)")
            }
            do {
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw ErrandError.badRequest("cannot read the private key --tls-key \(key) (PEM expected): \(error)")
            }
            guard !chain.isEmpty else { throw ErrandError.badRequest("--tls-cert \(certificate) holds no certificate") }
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        }
    }

    /// Every run holds pipes while it runs: the soft limit on open files (often 1,024) is raised to the
    /// hard one, as service managers do, so throttle limits rather than descriptors bound the runs.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let before = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.info("open files limit raised from \(before) to \(limit.rlim_max)")
        }
    }

    /// Where ssh keeps the sockets of shared connections to ssh:// hosts: `DATA/ssh`, or a folder
    /// in /tmp when that path is too long for a socket (108 bytes, with ssh's 40-byte name and a
    /// 17-byte temporary suffix) or holds a space or `%`. Nil (no sharing) when neither can be made private.
    static func sshControlDirectory(dataDirectory: String) -> String? {
        let preferred = dataDirectory + "/ssh"
        // ssh splits ControlPath at spaces and expands `%` tokens: such a data dir cannot hold the sockets.
        let usable = preferred.utf8.count <= 48 && !preferred.contains(where: { $0 == " " || $0 == "%" })
        let candidates = usable ? [preferred] : ["/tmp/errand-ssh-\(getuid())"]
        for directory in candidates {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let attributes = try FileManager.default.attributesOfItem(atPath: directory)
                // A folder someone else made in /tmp could be a trap: only our own, private one will do.
                guard (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid(),
                    ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777) & 0o077 == 0
                else { continue }
                return directory
            } catch {
                continue
            }
        }
        return nil
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw ErrandError.badRequest("--listen wants HOST:PORT (like 127.0.0.1:7420), got '\(text)'") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    static func parseLimit(_ text: String) throws -> Int {
        guard let value = Int(text) else { throw ErrandError.badRequest("ERRAND_THROTTLE_LIMIT must be an integer, got '\(text)'") }
        return value
    }
}
