import ErrandCore
import Foundation
import Synchronization

/// Something observers of runs care about.
public enum RunEvent: Sendable, Equatable {
    /// New output was stored for the run, up to `lastSeq` (nil for a fan-out parent, whose numbers the store gives).
    case output(runID: Int64, lastSeq: Int64?)
    /// The run changed state (or was removed: `state` nil).
    case state(runID: Int64, state: RunState?)

    public var runID: Int64 {
        switch self {
        case .output(let id, _), .state(let id, _): id
        }
    }
}

/// Fans run events out to every subscriber (waiters, long polls, SSE streams). Subscribers
/// subscribe *before* reading the store, so no change between the read and the wait is missed.
public final class EventHub: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<RunEvent>.Continuation]>([:])

    public init() {}

    /// A stream of every event from now on; it ends when the caller stops iterating.
    public func subscribe() -> AsyncStream<RunEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<RunEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public func publish(_ event: RunEvent) {
        let targets = subscribers.withLock { Array($0.values) }
        for continuation in targets { continuation.yield(event) }
    }
}

extension EventHub {
    /// Subscribes, runs `action`, then evaluates `condition` now and after every event about
    /// `runs` until it yields a value or `timeout` passes (nil). Subscribing first means no event
    /// between the check and the wait is missed.
    public func waitFor<T: Sendable>(
        runs: Set<Int64>, timeout: Duration,
        after action: @Sendable () async throws -> Bool = { true },
        until condition: @escaping @Sendable () async throws -> T?
    ) async throws -> T? {
        let events = subscribe()
        _ = try await action()
        if let value = try await condition() { return value }
        guard timeout > .zero else { return nil }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                for await event in events where runs.isEmpty || runs.contains(event.runID) {
                    if let value = try await condition() { return value }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
