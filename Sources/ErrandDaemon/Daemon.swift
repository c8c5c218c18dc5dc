import ErrandClient
import ErrandCore
import ErrandDashboard
import ErrandHost
import ErrandRemote
import ErrandRunner
import ErrandServer
import ErrandStore
import ErrandTokens
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The composition root: the one place the daemon is put together, from one ``DaemonConfiguration``.
///
/// store → ``RunCoordinator`` → ``JobHost`` → the HTTP router (API + dashboard) → a `ServiceGroup`, with
/// ``prepare()`` (recovery, then job loading) as the pre-start steps. `errand serve` calls ``open(_:logger:)``
/// and ``run()``; tests build it with their own store, clock and launcher and drive ``router`` with
/// ``services`` through HummingbirdTesting, so they run the app as production does. (Not `Sendable`: Hummingbird's
/// router is not.)
public struct Daemon {
    public let configuration: DaemonConfiguration
    public let store: any Store
    public let coordinator: RunCoordinator
    public let jobs: JobHost
    /// Signed-in dashboard browsers, shared by the sign-in page that opens sessions and the API that honours them.
    public let sessions: BrowserSessions
    /// The API's routes and the dashboard's pages (a method a path does not have: 405 with `Allow`).
    public let router: MethodCheckingRouter<ErrandRequestContext>
    /// This daemon as an instance of a fleet, when its store is shared (PostgreSQL); nil for a daemon of its own.
    public let fleet: FleetMember?
    /// The background services next to the HTTP server, in start order (they stop in reverse).
    public let services: [any Service]
    let gate: ConnectionGate
    let tls: TLSConfiguration?
    let lock: DataDirectoryLock?
    /// The store as a service when the daemon opened it (``open(_:logger:)``): first in the group, so it
    /// closes last, after everything that writes to it.
    let storeEngine: (any Service)?
    let logger: Logger

    /// Builds the daemon on `store`; nothing runs until ``prepare()`` and ``run()`` (or a test's service group).
    ///
    /// - Parameters:
    ///   - launcher: starts runs' processes (tests may substitute one).
    ///   - clock: the time every wait of the host is measured on (tests pass a manual clock).
    ///   - remoteDaemons: how fan-outs reach other daemons (the HTTP client).
    ///   - dashboardToken: the dashboard forms' CSRF token; random unless given (tests).
    ///   - secureCookies: sign-in cookies are `Secure` (set by ``open(_:logger:)`` when the daemon serves HTTPS).
    public init(
        configuration: DaemonConfiguration, store: any Store, launcher: any ProcessLauncher = SubprocessLauncher(),
        clock: any HostClock = SystemClock(), remoteDaemons: @escaping RemoteDaemonConnector = ErrandClient.connector,
        dashboardToken: String? = nil, secureCookies: Bool = false, logger: Logger = Logger(label: "errand")
    ) throws {
        try self.init(
            configuration: configuration, store: store, storeEngine: nil, launcher: launcher, clock: clock,
            remoteDaemons: remoteDaemons, dashboardToken: dashboardToken, secureCookies: secureCookies, tls: nil, lock: nil,
            logger: logger)
    }

    init(
        configuration: DaemonConfiguration, store: any Store, storeEngine: (any Service)?, launcher: any ProcessLauncher,
        clock: any HostClock, remoteDaemons: @escaping RemoteDaemonConnector, dashboardToken: String?, secureCookies: Bool,
        tls: TLSConfiguration?,
        lock: DataDirectoryLock?, logger: Logger
    ) throws {
        self.configuration = configuration
        self.store = store
        self.storeEngine = storeEngine
        self.tls = tls
        self.lock = lock
        self.logger = logger
        let remote = RemoteLaunchers(
            ssh: SSHCommandLine(
                configFile: configuration.sshConfig,
                controlDirectory: Self.sshControlDirectory(dataDirectory: configuration.dataDirectory)),
            daemons: remoteDaemons)
        coordinator = RunCoordinator(
            store: store, launcher: launcher, configuration: configuration.host, remoteLaunchers: remote, clock: clock, logger: logger)
        jobs = JobHost(coordinator: coordinator, configuration: configuration.jobHost, clock: clock, logger: logger)
        gate = ConnectionGate(limits: configuration.connections, logger: logger)
        sessions = BrowserSessions(store: store, clock: { clock.now })
        let instance = configuration.host.instanceName
        let sessionService = SessionService(coordinator: coordinator, logger: logger)
        if store.isShared, let fleetStore = store as? any FleetStore {
            let identity = InstanceRecord(
                name: instance, node: "\(ProcessInfo.processInfo.hostName):\(configuration.dataDirectory)",
                address: configuration.advertise ?? "\(tls == nil ? "http" : "https")://\(configuration.listen)",
                version: ErrandVersion.current, startedAt: clock.now)
            fleet = FleetMember(store: fleetStore, coordinator: coordinator, jobs: jobs, identity: identity, clock: clock, logger: logger)
        } else {
            fleet = nil
        }
        let routes = ErrandAPI(
            coordinator: coordinator, jobs: jobs, instance: instance, requireTokens: configuration.requireTokens, sessions: sessions,
            sessionService: sessionService, maxBodyBytes: configuration.connections.maxBodyBytes, fleet: fleet
        ).router()
        try Dashboard(
            coordinator: coordinator, jobs: jobs, instance: instance, csrfToken: dashboardToken,
            signIn: configuration.requireTokens ? .init(sessions: sessions, secureCookie: secureCookies || tls != nil) : nil,
            fleet: fleet
        ).addRoutes(to: routes)
        router = MethodCheckingRouter(routes)
        // The fleet member first: it stops last, heartbeating (as `leaving`) while the runs are stopped.
        services =
            (fleet.map { [$0] } ?? [])
            + [coordinator, jobs, SessionSweeper(sessions: sessionService, interval: configuration.host.sessionSweepInterval)]
    }

    /// The pre-start steps, in order: ``FleetMember/join()`` on a shared store, ``RunCoordinator/recover()`` (runs the last daemon left behind), then
    /// ``JobHost/load()`` (continuous jobs started, schedules planned, missed ticks handled).
    public func prepare() async throws {
        try await fleet?.join()
        try await coordinator.recover()
        try await jobs.load()
    }

    /// Prepares, then serves until SIGTERM or SIGINT. The HTTP server starts first and stops last, so runs are
    /// stopped and recorded (job host first, then the coordinator) while clients can still watch them.
    public func run() async throws {
        defer { lock?.release() }
        try await prepare()
        let gate = self.gate
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: gate.channelHandlers()))
        let app = Application(
            router: router,
            server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "errand"),
            logger: logger
        )
        logger.info(
            "errand \(ErrandVersion.current) serving \(tls == nil ? "http" : "https")://\(configuration.listen), data in \(configuration.dataDirectory), store \((try? configuration.storeLocation)?.description ?? "?"), tokens \(configuration.requireTokens ? "required" : "not required")"
        )
        if configuration.requireTokens, try await store.tokens().isEmpty {
            logger.warning(
                "tokens are required and none exist yet: create the first with `errand token create NAME --role admin --data-dir \(configuration.dataDirectory)`"
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: (storeEngine.map { [$0] } ?? []).map { .init(service: $0) } + [.init(service: app)]
                    + services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw ErrandError(.unavailable, "the daemon stopped: \(error)")
        }
    }
}
