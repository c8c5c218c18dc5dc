import ErrandCore

/// How long the daemon waits for a client and how many connections it keeps open: the bounds that stop
/// slow or idle clients from holding the daemon's descriptors. Pure values; ``ConnectionGate`` enforces them.
///
/// The defaults (see docs/connections.md):
/// - a request head must arrive within 10 s (of connecting, or of its first byte on a kept-alive connection):
///   a real client sends its head in one packet, a slowloris never finishes it;
/// - a body may pause at most 60 s between bytes while the daemon is reading it: an inactivity limit, not a
///   total, so a 100 MB package upload on a slow link still gets through;
/// - a kept-alive connection may idle 75 s between requests: longer than the 60 s after which the CLI's HTTP
///   client drops an idle pooled connection itself, so the client closes first and never reuses a
///   connection the daemon is closing at that moment;
/// - at most 1,024 connections, 256 of them from one address: far below the descriptors the daemon has (it
///   raises its limit to the hard one), and above the 200 concurrent loopback clients a stress test uses;
/// - JSON bodies up to 2 MiB (Hummingbird's own default, what clients already work with); package uploads
///   have their own limit (`--max-package-bytes`).
public struct ConnectionLimits: Sendable, Equatable {
    public var headerTimeout: Duration = .seconds(10)
    public var bodyTimeout: Duration = .seconds(60)
    public var keepAliveTimeout: Duration = .seconds(75)
    public var maxConnections = 1024
    public var maxConnectionsPerClient = 256
    public var maxBodyBytes = 2 * 1024 * 1024

    public init() {}

    /// The largest values accepted: beyond them a limit no longer limits anything.
    public static let maxTimeout: Duration = .seconds(86_400)
    public static let maxCount = 1_000_000
    public static let bodyBytesRange = 1024...(1 << 30)
}
