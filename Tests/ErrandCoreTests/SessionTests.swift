import ErrandCore
import Foundation
import Testing

@Suite("Session expiry and state")
struct SessionTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a connected session never expires, however long it is idle")
    func connectedNeverExpires() {
        let session = Session(name: "s", createdAt: t0, idleTimeout: 60)
        #expect(session.expiresAt == nil)
        #expect(!session.isExpired(at: t0.addingTimeInterval(365 * 86_400)))
    }

    @Test("a disconnected session expires exactly its idle timeout after the disconnect")
    func disconnectedExpires() {
        let session = Session(name: "s", createdAt: t0, idleTimeout: 7200).disconnected(at: t0.addingTimeInterval(10))
        #expect(session.state == .disconnected)
        #expect(session.expiresAt == t0.addingTimeInterval(7210))
        #expect(!session.isExpired(at: t0.addingTimeInterval(7209.9)))
        #expect(session.isExpired(at: t0.addingTimeInterval(7210)))
    }

    @Test("disconnecting again does not postpone expiry; connecting clears it")
    func reconnect() {
        let first = Session(name: "s", createdAt: t0, idleTimeout: 100).disconnected(at: t0)
        let again = first.disconnected(at: t0.addingTimeInterval(50))
        #expect(again.expiresAt == t0.addingTimeInterval(100))
        let connected = again.connected(at: t0.addingTimeInterval(99))
        #expect(connected.state == .connected && connected.disconnectedAt == nil && connected.expiresAt == nil)
        #expect(!connected.isExpired(at: t0.addingTimeInterval(1000)))
        #expect(connected.disconnected(at: t0.addingTimeInterval(200)).expiresAt == t0.addingTimeInterval(300))
    }

    @Test("the default idle timeout is two hours; requests are checked")
    func requests() throws {
        #expect(Session(name: "s", createdAt: t0).idleTimeout == 7200)
        #expect(throws: ErrandError.self) { try SessionRequest(name: "no spaces").validated() }
        #expect(throws: ErrandError.self) { try SessionRequest(name: "42").validated() }
        #expect(throws: ErrandError.self) { try SessionRequest(name: "s", idleTimeout: 0).validated() }
        #expect(throws: ErrandError.self) { try SessionRequest(name: "s", idleTimeout: .infinity).validated() }
        #expect(try SessionRequest(name: "ok-1", idleTimeout: 1.5).validated().idleTimeout == 1.5)
        #expect(Sessions.reader("a") != Sessions.reader("b"))
    }
}
