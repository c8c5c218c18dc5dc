import ArgumentParser
import ErrandDaemon
import Foundation

/// `errand serve`'s connection limits (docs/connections.md): each an option, else an environment variable,
/// else a config file, else the default. A value out of range is a usage error naming its flag.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Close a connection whose request head is not complete within this time (default: $ERRAND_HEADER_TIMEOUT, else 10s).",
            valueName: "DURATION"))
    var headerTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Close a connection whose request body pauses longer than this between bytes (default: $ERRAND_BODY_TIMEOUT, else 60s).",
            valueName: "DURATION"))
    var bodyTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Close a kept-alive connection idle this long between requests (default: $ERRAND_KEEP_ALIVE_TIMEOUT, else 75s).",
            valueName: "DURATION"))
    var keepAliveTimeout: String?

    @Option(
        help: ArgumentHelp("Most connections open at once; more get 503 (default: $ERRAND_MAX_CONNECTIONS, else 1024).", valueName: "N"))
    var maxConnections: String?

    @Option(
        help: ArgumentHelp(
            "Most connections open at once from one address; more get 503 (default: $ERRAND_MAX_CONNECTIONS_PER_CLIENT, else 256).",
            valueName: "N"))
    var maxConnectionsPerClient: String?

    @Option(
        help: ArgumentHelp(
            "Largest JSON request body; a larger one gets 413 (default: $ERRAND_MAX_BODY_BYTES, else 2097152).", valueName: "BYTES"))
    var maxBodyBytes: String?

    /// The options given, by configuration key (checked with the rest by ``DaemonConfiguration``).
    var commandLine: [ConfigurationKey: String] {
        var values: [ConfigurationKey: String] = [:]
        values[.headerTimeout] = headerTimeout
        values[.bodyTimeout] = bodyTimeout
        values[.keepAliveTimeout] = keepAliveTimeout
        values[.maxConnections] = maxConnections
        values[.maxConnectionsPerClient] = maxConnectionsPerClient
        values[.maxBodyBytes] = maxBodyBytes
        return values
    }
}
