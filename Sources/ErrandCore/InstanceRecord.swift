import Foundation

/// One daemon of a fleet, as the shared store knows it (`GET /api/v1/instances`, `errand instance list`).
public struct InstanceRecord: Sendable, Equatable, Codable {
    /// `alive` while it heartbeats; `leaving` while it shuts down gracefully; `dead` once it stopped, or stopped
    /// heartbeating and another instance declared it so.
    public enum State: String, Sendable, Codable, CaseIterable {
        case alive, leaving, dead
    }

    /// Unique in the fleet (`--instance`); every run records the instance it runs on as its `location`.
    public var name: String
    /// This process of it (a random id per start): what heartbeats are fenced by.
    public var incarnation: String
    /// Where it runs (host name and data dir): a daemon restarted there takes its name over at once.
    public var node: String
    /// Where other instances and users reach it (`--advertise`, else its listen address).
    public var address: String
    public var version: String
    public var startedAt: Date
    /// The database's time of its last heartbeat (one clock for the whole fleet).
    public var lastHeartbeat: Date
    public var state: State
    /// Its unfinished runs (filled in by ``FleetStore/instances()``).
    public var runningRuns: Int

    /// What `errand start --instance any` asks for: the first instance of the fleet with a free slot.
    public static let anyInstance = "any"

    /// Checks an instance name (`--instance`): 1 to 100 characters without spaces or commas.
    public static func checkName(_ name: String, field: String) throws(ErrandError) {
        guard !name.isEmpty, name.utf8.count <= 100, !name.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "," }) else {
            throw .badRequest("\(field) wants a name of 1 to 100 characters without spaces or commas, got '\(name)'")
        }
    }

    public init(
        name: String, incarnation: String = UUID().uuidString.lowercased(), node: String, address: String, version: String,
        startedAt: Date, lastHeartbeat: Date = Date(timeIntervalSince1970: 0), state: State = .alive, runningRuns: Int = 0
    ) {
        self.name = name
        self.incarnation = incarnation
        self.node = node
        self.address = address
        self.version = version
        self.startedAt = startedAt
        self.lastHeartbeat = lastHeartbeat
        self.state = state
        self.runningRuns = runningRuns
    }
}
