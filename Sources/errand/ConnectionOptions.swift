import ArgumentParser
import ErrandServer
import Foundation

/// `errand serve`'s connection limits (docs/connections.md): each an option, else an environment variable,
/// else the default of ``ConnectionLimits``. A value out of range is a usage error naming its flag.
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

    func validate() throws {
        _ = try limits(environment: ProcessInfo.processInfo.environment)
    }

    /// The limits these options, else `environment`, give.
    func limits(environment: [String: String]) throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        func given(_ option: String?, _ flag: String, _ variable: String) -> (text: String, name: String)? {
            if let option { return (option, flag) }
            if let value = environment[variable], !value.isEmpty { return (value, "\(variable) (\(flag))") }
            return nil
        }
        if case let (text, name)? = given(headerTimeout, "--header-timeout", "ERRAND_HEADER_TIMEOUT") {
            limits.headerTimeout = try Self.duration(text, name: name)
        }
        if case let (text, name)? = given(bodyTimeout, "--body-timeout", "ERRAND_BODY_TIMEOUT") {
            limits.bodyTimeout = try Self.duration(text, name: name)
        }
        if case let (text, name)? = given(keepAliveTimeout, "--keep-alive-timeout", "ERRAND_KEEP_ALIVE_TIMEOUT") {
            limits.keepAliveTimeout = try Self.duration(text, name: name)
        }
        if case let (text, name)? = given(maxConnections, "--max-connections", "ERRAND_MAX_CONNECTIONS") {
            limits.maxConnections = try Self.count(text, name: name, range: 1...ConnectionLimits.maxCount)
        }
        if case let (text, name)? = given(maxConnectionsPerClient, "--max-connections-per-client", "ERRAND_MAX_CONNECTIONS_PER_CLIENT") {
            limits.maxConnectionsPerClient = try Self.count(text, name: name, range: 1...ConnectionLimits.maxCount)
        }
        if case let (text, name)? = given(maxBodyBytes, "--max-body-bytes", "ERRAND_MAX_BODY_BYTES") {
            limits.maxBodyBytes = try Self.count(text, name: name, range: ConnectionLimits.bodyBytesRange)
        }
        return limits
    }

    /// A duration as seconds (`10`, `2.5`) or with one unit (`500ms`, `10s`, `2m`, `1h`): finite, above
    /// zero, at most ``ConnectionLimits/maxTimeout``. Checked as a number before it becomes a `Duration`,
    /// so an absurd value is refused instead of overflowing.
    static func duration(_ text: String, name: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let (number, unit) =
            units.first { trimmed.hasSuffix($0.suffix) }.map { (String(trimmed.dropLast($0.suffix.count)), $0.seconds) } ?? (trimmed, 1)
        let limit = Double(ConnectionLimits.maxTimeout.components.seconds)
        guard let value = Double(number), value.isFinite, value * unit > 0, value * unit <= limit else {
            throw ValidationError(
                "\(name) wants a duration above 0 and at most \(Int(limit / 3600))h, like 10s, 500ms or 2m; got '\(text)'")
        }
        return .milliseconds(max(1, Int64((value * unit * 1000).rounded())))
    }

    static func count(_ text: String, name: String, range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ValidationError("\(name) wants a whole number from \(range.lowerBound) to \(range.upperBound); got '\(text)'")
        }
        return value
    }
}
