import Foundation

/// The scheduler's agenda: each scheduled job's next due instant, earliest first. One loop sleeps
/// until the earliest entry instead of one timer per job, so 10,000 schedules cost one sleeping task.
/// Pure: the caller decides what "now" is.
public struct ScheduleQueue: Sendable {
    public struct Entry: Sendable, Hashable {
        public var due: Date
        public var job: String
    }

    /// Sorted by `due`, then by job name (deterministic order for ticks due at the same instant).
    public private(set) var entries: [Entry] = []

    public init() {}

    public var earliest: Date? { entries.first?.due }
    public var count: Int { entries.count }

    /// Plans `job` at `due`, replacing any entry the job had.
    public mutating func set(_ job: String, due: Date) {
        remove(job)
        let entry = Entry(due: due, job: job)
        entries.insert(entry, at: insertionIndex(of: entry))
    }

    public mutating func remove(_ job: String) {
        entries.removeAll { $0.job == job }
    }

    /// Takes every entry due at or before `now`, earliest first.
    public mutating func takeDue(now: Date) -> [Entry] {
        let end = entries.firstIndex { $0.due > now } ?? entries.count
        defer { entries.removeFirst(end) }
        return Array(entries[..<end])
    }

    private func insertionIndex(of entry: Entry) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let other = entries[middle]
            if other.due < entry.due || (other.due == entry.due && other.job < entry.job) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
