import ErrandCore
import Foundation

/// A partial update of a run: nil fields are left as they are.
public struct RunUpdate: Sendable, Equatable {
    public var state: RunState?
    public var pid: Int32?
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    public var startedAt: Date?
    public var endedAt: Date?

    public init(
        state: RunState? = nil, pid: Int32? = nil, exitCode: Int32? = nil, signal: Int32? = nil, reason: String? = nil,
        startedAt: Date? = nil, endedAt: Date? = nil
    ) {
        self.state = state
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}
