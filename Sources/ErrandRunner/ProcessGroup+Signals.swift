import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ProcessGroup {
    /// Sends `signal` to every process in the group. False when the group no longer exists.
    @discardableResult
    public func send(_ signal: Int32) -> Bool {
        guard id > 1 else { return false }
        if leaderOnly { return kill(id, signal) == 0 }
        if kill(-id, signal) == 0 { return true }
        // Just launched, the leader may not have made its group yet: signal the leader itself.
        return errno == ESRCH && kill(id, signal) == 0
    }

    /// True while any process of the group is alive.
    public var isAlive: Bool { id > 1 && kill(-id, 0) == 0 }

    /// True while a process of the group runs. Unlike ``isAlive``, exited processes not yet reaped
    /// (zombies, which the daemon cannot reap once they were orphaned) do not count.
    public var hasRunningMembers: Bool {
        guard isAlive else { return false }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        return entries.contains { entry in
            guard entry.first?.isNumber == true, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // After "pid (comm)": state ppid pgrp …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && fields[2] == "\(id)"
        }
    }

    /// The group of a process found alive from an earlier life of the daemon, when its environment
    /// proves it is the run's (`ERRAND_RUN_ID`): pids are reused, so a bare pid proves nothing.
    public static func leftover(pid: Int32, runID: Int64) -> ProcessGroup? {
        guard pid > 1, let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let marker = Array("ERRAND_RUN_ID=\(runID)".utf8)
        let found = environ.split(separator: 0).contains { Array($0) == marker }
        return found ? ProcessGroup(id: pid) : nil
    }
}
