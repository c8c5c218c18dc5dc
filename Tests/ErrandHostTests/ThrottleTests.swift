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
}
