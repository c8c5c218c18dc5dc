import ErrandCore
import Foundation

/// The Instances page: the daemons of the fleet on the shared store (a daemon of its own: itself alone).
struct InstancesPage: Sendable {
    struct Row: Sendable {
        var name: String
        var state: String
        var stateClass: String
        var heartbeat: String
        var heartbeatISO: String
        var version: String
        var address: String
        var runningRuns: Int
        var started: String
    }

    var chrome: Chrome
    var rows: [Row]
    var shared: Bool
    var summary: String

    init(chrome: Chrome, instances: [InstanceRecord], shared: Bool, now: Date) {
        self.chrome = chrome
        self.shared = shared
        rows = instances.map { instance in
            Row(
                name: instance.name, state: instance.state.rawValue,
                stateClass: instance.state == .alive ? "live" : instance.state == .leaving ? "warn" : "bad",
                heartbeat: TimeText.relative(instance.lastHeartbeat, now: now), heartbeatISO: TimeText.iso(instance.lastHeartbeat),
                version: instance.version, address: instance.address.isEmpty ? "-" : instance.address,
                runningRuns: instance.runningRuns, started: TimeText.clock(instance.startedAt))
        }
        let alive = instances.filter { $0.state == .alive }.count
        summary =
            shared
            ? "\(instances.count) instance\(instances.count == 1 ? "" : "s") on the shared store, \(alive) alive"
            : "a daemon of its own (its SQLite store is not shared)"
    }
}
