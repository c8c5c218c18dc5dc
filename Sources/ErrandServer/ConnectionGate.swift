import ErrandCore
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
    private let counts = Mutex<Counts>(Counts())

    struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// The handlers for one new connection, for `HTTP1Channel.Configuration(additionalChannelHandlers:)`:
    /// they sit after the HTTP codec and see request and response parts.
    public func channelHandlers() -> [any RemovableChannelHandler] {
        [ConnectionAdmissionHandler(gate: self), ConnectionTimeoutHandler(limits: limits)]
    }

    /// Counts a connection from `address` in, or says why it is refused (and then counts nothing).
    func admit(_ address: String) -> ErrandError? {
        counts.withLock { counts in
            if counts.total >= limits.maxConnections {
                return ErrandError(
                    .unavailable, "the daemon has its maximum of \(limits.maxConnections) connections open (--max-connections); try again")
            }
            let mine = counts.perAddress[address, default: 0]
            if mine >= limits.maxConnectionsPerClient {
                return ErrandError(
                    .unavailable,
                    "\(address) has \(mine) connections open, the most one client may (--max-connections-per-client); close some and try again"
                )
            }
            counts.total += 1
            counts.perAddress[address] = mine + 1
            return nil
        }
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
