import ErrandHost
import Testing

@Suite("Throttle")
struct ThrottleTests {
    @Test("at most the limit run at once; the rest start in order as slots free")
    func limitAndOrder() {
        var throttle = Throttle(defaultLimit: 2)
        for id in 1...5 { throttle.enqueue(Int64(id), group: "default") }
        #expect(throttle.takeStartable() == [1, 2])
        #expect(throttle.takeStartable() == [])
        throttle.finished(2)
        #expect(throttle.takeStartable() == [3])
        throttle.finished(1)
        throttle.finished(3)
        #expect(throttle.takeStartable() == [4, 5])
        #expect(throttle.queuedCount(of: "default") == 0)
    }

    @Test("groups are throttled independently, each with its own limit")
    func groups() {
        var throttle = Throttle(defaultLimit: 1)
        throttle.setLimit(3, for: "wide")
        for id in 1...4 { throttle.enqueue(Int64(id), group: "wide") }
        for id in 10...11 { throttle.enqueue(Int64(id), group: "default") }
        #expect(throttle.takeStartable() == [1, 2, 3, 10])
        #expect(throttle.runningCount(of: "wide") == 3)
        #expect(throttle.limit(of: "other") == 1)
        throttle.finished(2)
        throttle.finished(99)  // unknown ids are ignored
        #expect(throttle.takeStartable() == [4])
        #expect(throttle.runningCount(of: "wide") == 3)
    }

    @Test("a queued run can be cancelled; a running one is not in the queue")
    func cancel() {
        var throttle = Throttle(defaultLimit: 1)
        throttle.enqueue(1, group: "g")
        throttle.enqueue(2, group: "g")
        #expect(throttle.takeStartable() == [1])
        let cancelledQueued = throttle.cancel(2)
        let cancelledRunning = throttle.cancel(1)
        #expect(cancelledQueued)
        #expect(!cancelledRunning)
        throttle.finished(1)
        #expect(throttle.takeStartable() == [])
    }

    @Test("groups whose runs all ended leave nothing behind, and can be used again")
    func idleGroupsForgotten() {
        var throttle = Throttle(defaultLimit: 1)
        for id in 1...1000 { throttle.enqueue(Int64(id), group: "job:\(id)") }
        throttle.enqueue(1001, group: "job:1")
        #expect(throttle.takeStartable().count == 1000)
        #expect(throttle.busyGroupCount == 1000)
        for id in 1...1000 { throttle.finished(Int64(id)) }
        #expect(throttle.busyGroupCount == 1)  // job:1 still has 1001 queued
        #expect(throttle.takeStartable() == [1001])
        throttle.enqueue(1002, group: "job:2")
        let cancelled = throttle.cancel(1002)
        #expect(cancelled)
        throttle.finished(1001)
        #expect(throttle.busyGroupCount == 0)
        throttle.enqueue(1003, group: "job:1")
        #expect(throttle.takeStartable() == [1003])
    }
}
