import ErrandCore
import Foundation

/// A run reached a final state (or was removed unfinished): what the job host needs to supervise,
/// retry and prune.
public struct RunEnd: Sendable, Equatable {
    public var id: Int64
    public var job: String?
    public var state: RunState
    public var exitCode: Int32?
    public var signal: Int32?
    public var startedAt: Date?
    public var endedAt: Date
}
