import ErrandCore
import Logging
import NIOCore
import Synchronization

/// Enforces ``ConnectionLimits`` on the daemon's connections: counts the open ones (in all, and per client
/// address) and gives each new connection the channel handlers that admit or refuse it and time its client.
///
/// Hummingbird's own `idleTimeout` has one clock for everything and its `MaximumAvailableConnections` stops
/// accepting (a waiting client hangs in the backlog): the gate keeps three clocks and answers a connection
/// over the limit at once with a 503, so one greedy address cannot crowd out the others.
public final class ConnectionGate: Sendable {
    public let limits: ConnectionLimits
    let logger: Logger?
    private let counts = Mutex<Counts>(Counts())
    /// Refusals are logged at most this often, with how many there were: a flood must not flood the log too.
    static let warningInterval: Duration = .seconds(60)

    struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
        var refusedSinceWarning = 0
        var lastWarning: ContinuousClock.Instant?
    }

    public init(limits: ConnectionLimits, logger: Logger? = nil) {
        self.limits = limits
        self.logger = logger
    }

    /// The handlers for one new connection, for `HTTP1Channel.Configuration(additionalChannelHandlers:)`:
    /// they sit after the HTTP codec and see request and response parts.
    public func channelHandlers() -> [any RemovableChannelHandler] {
        [ConnectionAdmissionHandler(gate: self), ConnectionTimeoutHandler(limits: limits)]
    }

    /// Counts a connection from `address` in, or says why it is refused (and then counts nothing).
    func admit(_ address: String) -> ErrandError? {
        let (refusal, refusedSinceWarning) = counts.withLock { counts -> (ErrandError?, Int?) in
            let mine = counts.perAddress[address, default: 0]
            let refusal: ErrandError
            if counts.total >= limits.maxConnections {
                refusal = ErrandError(
                    .unavailable, "the daemon has its maximum of \(limits.maxConnections) connections open (--max-connections); try again")
            } else if mine >= limits.maxConnectionsPerClient {
                refusal = ErrandError(
                    .unavailable,
                    "\(address) has \(mine) connections open, the most one client may (--max-connections-per-client); close some and try again"
                )
            } else {
                counts.total += 1
                counts.perAddress[address] = mine + 1
                return (nil, nil)
            }
            counts.refusedSinceWarning += 1
            let now = ContinuousClock.now
            guard counts.lastWarning.map({ now - $0 >= Self.warningInterval }) ?? true else { return (refusal, nil) }
            defer { counts.refusedSinceWarning = 0 }
            counts.lastWarning = now
            return (refusal, counts.refusedSinceWarning)
        }
        if let refusal, let refusedSinceWarning {
            logger?.warning("refused \(refusedSinceWarning) connection(s) since the last such warning; the latest: \(refusal.message)")
        }
        return refusal
    }

    /// Counts out a connection that ``admit(_:)`` counted in.
    func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perAddress[address, default: 1] - 1
            counts.perAddress[address] = left > 0 ? left : nil
        }
    }

    /// Open connections: in all, and from `address`.
    func open(from address: String) -> (total: Int, fromAddress: Int) {
        counts.withLock { ($0.total, $0.perAddress[address, default: 0]) }
    }
}
