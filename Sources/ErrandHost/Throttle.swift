import ErrandCore

/// Decides which queued runs may start: at most `limit` running at once per throttle group,
/// started in the order they were queued. Pure bookkeeping, no I/O; the coordinator owns one.
/// Only groups with queued or running runs have entries, so `takeStartable` costs the number of
/// groups with work, not the number of groups ever seen (every deployed job is its own group).
public struct Throttle: Sendable {
    public let defaultLimit: Int
    private var limits: [String: Int] = [:]
    private var queued: [String: [Int64]] = [:]
    private var running: [String: Set<Int64>] = [:]
    private var groupOfRunning: [Int64: String] = [:]

    public init(defaultLimit: Int) {
        precondition(defaultLimit >= 1)
        self.defaultLimit = defaultLimit
    }

    public func limit(of group: String) -> Int { limits[group] ?? defaultLimit }

    public mutating func setLimit(_ limit: Int, for group: String) {
        precondition(limit >= 1)
        limits[group] = limit
    }

    /// Forgets a group's own limit (a group that will not be used again).
    public mutating func removeLimit(for group: String) {
        limits[group] = nil
    }

    public mutating func enqueue(_ id: Int64, group: String) {
        queued[group, default: []].append(id)
    }

    /// Removes a queued run (stopped before it started). False when it was not queued.
    @discardableResult
    public mutating func cancel(_ id: Int64) -> Bool {
        for (group, ids) in queued {
            if let index = ids.firstIndex(of: id) {
                if ids.count == 1 { queued[group] = nil } else { queued[group]!.remove(at: index) }
                return true
            }
        }
        return false
    }

    /// Frees the run's slot in whatever group it runs.
    public mutating func finished(_ id: Int64) {
        guard let group = groupOfRunning.removeValue(forKey: id) else { return }
        running[group]?.remove(id)
        if running[group]?.isEmpty == true { running[group] = nil }
    }

    /// Takes every run that may start now, oldest first in each group, and counts it as running.
    public mutating func takeStartable() -> [Int64] {
        var startable: [Int64] = []
        for group in queued.keys.sorted() {
            let free = limit(of: group) - (running[group]?.count ?? 0)
            guard free > 0, let ids = queued[group], !ids.isEmpty else { continue }
            let taken = ids.prefix(free)
            if taken.count == ids.count { queued[group] = nil } else { queued[group]!.removeFirst(taken.count) }
            running[group, default: []].formUnion(taken)
            for id in taken { groupOfRunning[id] = group }
            startable.append(contentsOf: taken)
        }
        return startable.sorted()
    }

    public func runningCount(of group: String) -> Int { running[group]?.count ?? 0 }
    public func queuedCount(of group: String) -> Int { queued[group]?.count ?? 0 }
    /// Groups with a queued or running run.
    public var busyGroupCount: Int { Set(queued.keys).union(running.keys).count }
}
