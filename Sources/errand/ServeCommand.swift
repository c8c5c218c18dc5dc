import ArgumentParser
import ErrandCore
import ErrandDaemon
import Foundation
import Logging

/// `errand serve`: the daemon. Parses its options and hands them to the composition root (``Daemon``), which
/// reads the rest of the configuration (environment, config file), builds the daemon and runs it until
/// SIGTERM/SIGINT: running runs are stopped and recorded `Stopped`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Errand daemon (API, run host) in the foreground.",
        discussion: """
            Every option can also be set by an environment variable (ERRAND_ and the option's name in capitals, \
            like ERRAND_LISTEN or ERRAND_MAX_BODY_BYTES) or by a key of a JSON config file (the option's name in \
            camelCase, like {"listen": "127.0.0.1:7420", "maxBodyBytes": 4194304}). Options win over the \
            environment, which wins over the file, which wins over the defaults. The file is --config \
            (or ERRAND_CONFIG), else errand.json in the data dir if it exists (docs/configuration.md).

            The data dir holds errand.sqlite (runs and their output), the packages of deployed jobs and \
            the lock that keeps a second daemon off it.

            On a loopback address tokens are optional. On any other address the daemon starts only with \
            --require-tokens, and only with --tls-cert/--tls-key or an explicit --insecure-http \
            (see docs/security.md).
            """
    )

    @Option(
        help: ArgumentHelp("A JSON file of settings (default: $ERRAND_CONFIG, else DATA_DIR/errand.json if it exists).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Address to listen on (default: $ERRAND_LISTEN, else 127.0.0.1:7420).", valueName: "HOST:PORT"))
    var listen: String?

    @Option(
        help: ArgumentHelp(
            "Where runs and output are stored (default: $ERRAND_DATA_DIR, else $XDG_DATA_HOME/errand, else ~/.local/share/errand).",
            valueName: "DIR"))
    var dataDir: String?

    @Option(help: "Runs at once per throttle group (default: $ERRAND_THROTTLE_LIMIT, else 2 × cores).")
    var throttleLimit: Int?

    @Option(help: "This instance's name, shown as the runs' Location; unique in a fleet on a shared store (default: the host name).")
    var instance: String?

    @Option(help: "The URL other instances of a fleet and users reach this daemon at (default: its listen address).")
    var advertise: String?

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

    @Option(
        help: ArgumentHelp(
            "Where runs, output, jobs and tokens are kept: sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $ERRAND_STORE, else errand.sqlite in the data dir; docs/stores.md).",
            valueName: "URL"))
    var store: String?

    @Option(
        help: ArgumentHelp(
            "Launch every run as this system user (needs a daemon run as root): the run cannot read the store or mint tokens (docs/security.md).",
            valueName: "USER"))
    var runAs: String?

    @Option(
        help: ArgumentHelp(
            "Users a deployed job may name in its settings.job \"run_as\", comma-separated (--run-as's user is always allowed).",
            valueName: "USERS"))
    var allowRunAs: String?

    @OptionGroup(title: "Connection limits (see docs/connections.md)")
    var connections: ConnectionOptions

    /// The options given, by configuration key; the environment and the config file fill in the rest.
    var commandLine: [ConfigurationKey: String] {
        var values: [ConfigurationKey: String] = [:]
        values[.listen] = listen
        values[.dataDir] = dataDir.flatMap { $0.isEmpty ? nil : $0 }
        values[.throttleLimit] = throttleLimit.map { String($0) }
        values[.instance] = instance
        values[.advertise] = advertise
        values[.maxPackageBytes] = maxPackageBytes.map { String($0) }
        values[.historySize] = historySize.map { String($0) }
        values[.continuousLogBytes] = continuousLogBytes.map { String($0) }
        if requireTokens { values[.requireTokens] = "true" }
        values[.tlsCert] = tlsCert
        values[.tlsKey] = tlsKey
        if insecureHTTP { values[.insecureHTTP] = "true" }
        values[.sessionIdleTimeout] = sessionIdleTimeout
        values[.sshConfig] = sshConfig
        values[.store] = store
        values[.runAs] = runAs
        values[.allowRunAs] = allowRunAs
        return values.merging(connections.commandLine) { option, _ in option }
    }

    /// A bad option value is a usage error (exit 2) naming the option; bad values from the environment or the
    /// config file are errors of `run` (exit 1) naming the variable or the file.
    func validate() throws {
        do {
            try DaemonConfiguration.checkOptions(commandLine)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let configuration = try await DaemonConfiguration.load(commandLine: commandLine, configFile: config)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "errand")
        try await Daemon.open(configuration, logger: logger).run()
    }
}
