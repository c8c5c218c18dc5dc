import ErrandCore
import Foundation
import Synchronization

/// How a fan-out child on a daemon host lives through the host not answering (PowerShell's `Disconnected`):
/// it is told when the host stops and starts answering again, retries on `clock`, and gives the child up
/// once the host has not answered for `timeout`.
public struct ConnectionWatch: Sendable {
    public var clock: any HostClock
    public var timeout: Duration
    /// Called with false when the host stops answering, and with true when it answers again.
    public var changed: @Sendable (_ connected: Bool) async -> Void

    public init(
        clock: any HostClock = SystemClock(), timeout: Duration = .seconds(InvokeRequest.defaultDisconnectedTimeout),
        changed: @escaping @Sendable (_ connected: Bool) async -> Void = { _ in }
    ) {
        self.clock = clock
        self.timeout = timeout
        self.changed = changed
    }

    /// The pause before the next try after `failures` failed ones in a row: 1, 2, 4, 8, then 10 s.
    static func pause(after failures: Int) -> Duration {
        .seconds(min(1 << min(max(failures - 1, 0), 4), 10))
    }
}

/// Set once the child's stop has run out of grace (SIGKILL's moment): a host that does not answer then is not
/// waited for any longer.
final class GiveUp: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
