import ErrandCore
import NIOCore
import Testing

@testable import ErrandServer

@Suite("Connection deadlines: which wait runs out, and when")
struct ConnectionDeadlineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    static func fresh() -> ConnectionDeadlines {
        ConnectionDeadlines(headerTimeout: .seconds(10), bodyTimeout: .seconds(60), keepAliveTimeout: .seconds(75), connectedAt: start)
    }

    @Test("a head that never completes runs out 10 s after connecting, however many bytes trickle in")
    func slowHead() {
        var deadlines = Self.fresh()
        for second in 1...9 {
            deadlines.bytesArrived(at: Self.at(Int64(second)))
            #expect(deadlines.expired(at: Self.at(Int64(second))) == nil)
        }
        #expect(deadlines.expired(at: Self.at(10)) == .head)
    }

    @Test("a body runs out 60 s after its last bytes while the daemon asks for more, never while it does not")
    func slowBody() {
        var deadlines = Self.fresh()
        deadlines.headReceived(at: Self.at(1))
        deadlines.readRequested(at: Self.at(1))
        deadlines.bodyReceived(at: Self.at(30))
        deadlines.bytesArrived(at: Self.at(30))
        #expect(deadlines.expired(at: Self.at(89)) == nil)
        // The daemon has not asked for more since: a slow route, not a slow client.
        #expect(deadlines.expired(at: Self.at(90)) == nil)
        deadlines.readRequested(at: Self.at(200))
        #expect(deadlines.expired(at: Self.at(259)) == nil)
        #expect(deadlines.expired(at: Self.at(260)) == .body)
    }

    @Test("no clock runs while the daemon answers (a long poll, an event stream)")
    func responding() {
        var deadlines = Self.fresh()
        deadlines.headReceived(at: Self.at(1))
        deadlines.endReceived()
        deadlines.readRequested(at: Self.at(1))
        #expect(deadlines.waiting == nil)
        #expect(deadlines.expired(at: Self.at(100_000)) == nil)
    }

    @Test("after a response the connection may idle 75 s; the next head then has 10 s from its first byte")
    func keepAlive() {
        var deadlines = Self.fresh()
        deadlines.headReceived(at: Self.at(1))
        deadlines.endReceived()
        deadlines.responseEnded(at: Self.at(2))
        #expect(deadlines.waiting?.wait == .keepAlive)
        #expect(deadlines.expired(at: Self.at(76)) == nil)
        #expect(deadlines.expired(at: Self.at(77)) == .keepAlive)

        var started = Self.fresh()
        started.headReceived(at: Self.at(1))
        started.endReceived()
        started.responseEnded(at: Self.at(2))
        started.bytesArrived(at: Self.at(50))
        started.bytesArrived(at: Self.at(55))  // more of the same head: its clock does not restart
        #expect(started.expired(at: Self.at(59)) == nil)
        #expect(started.expired(at: Self.at(60)) == .head)
    }

    @Test("a request answered before its body was read (a 413) keeps the body's clock after the response")
    func answeredEarly() {
        var deadlines = Self.fresh()
        deadlines.headReceived(at: Self.at(1))
        deadlines.readRequested(at: Self.at(1))
        deadlines.responseEnded(at: Self.at(2))
        #expect(deadlines.waiting?.wait == .body)
        #expect(deadlines.expired(at: Self.at(61)) == .body)
    }

    @Test("pipelined requests: the connection idles only when every response has ended")
    func pipelined() {
        var deadlines = Self.fresh()
        deadlines.headReceived(at: Self.at(1))
        deadlines.endReceived()
        deadlines.headReceived(at: Self.at(1))
        deadlines.endReceived()
        deadlines.responseEnded(at: Self.at(2))
        #expect(deadlines.waiting == nil)
        deadlines.responseEnded(at: Self.at(3))
        #expect(deadlines.waiting?.wait == .keepAlive)
    }
}

@Suite("Connection gate: counts per address and in all")
struct ConnectionGateTests {
    static func gate(total: Int, perClient: Int) -> ConnectionGate {
        var limits = ConnectionLimits()
        limits.maxConnections = total
        limits.maxConnectionsPerClient = perClient
        return ConnectionGate(limits: limits)
    }

    @Test("one address gets at most its share; others still get in; a closed connection frees its place")
    func perClient() {
        let gate = Self.gate(total: 10, perClient: 3)
        for _ in 0..<3 { #expect(gate.admit("10.0.0.1") == nil) }
        let refusal = gate.admit("10.0.0.1")
        #expect(refusal?.code == .unavailable)
        #expect(refusal?.message.contains("--max-connections-per-client") == true)
        #expect(gate.admit("10.0.0.2") == nil)
        gate.release("10.0.0.1")
        #expect(gate.admit("10.0.0.1") == nil)
        #expect(gate.open(from: "10.0.0.1") == (total: 4, fromAddress: 3))
    }

    @Test("past the total nobody gets in until one closes, and refusals count nothing")
    func total() {
        let gate = Self.gate(total: 2, perClient: 2)
        #expect(gate.admit("a") == nil)
        #expect(gate.admit("b") == nil)
        #expect(gate.admit("c")?.message.contains("--max-connections") == true)
        #expect(gate.admit("c") != nil)
        #expect(gate.open(from: "c") == (total: 2, fromAddress: 0))
        gate.release("a")
        #expect(gate.admit("c") == nil)
        gate.release("b")
        gate.release("c")
        #expect(gate.open(from: "a") == (total: 0, fromAddress: 0))
    }
}
