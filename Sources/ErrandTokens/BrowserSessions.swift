import ErrandCore
import ErrandStore
import Foundation
import Synchronization

/// Browsers signed in to the dashboard: a token pasted once on the sign-in page opens a session, and the
/// browser keeps only the session's random id in a cookie (``cookieName``). The id maps, in memory, to the
/// token's name, prefix and role and an expiry; the token's secret is never kept, sent back or logged.
///
/// Sessions live in memory only, so a daemon restart signs everyone out: that costs one paste, and no
/// session can outlive the process or be read from disk. Every use looks the token up again, so revoking
/// a token ends its sessions at once, as it ends its API calls.
public final class BrowserSessions: Sendable {
    /// The session cookie's name.
    public static let cookieName = "errand_session"
    /// How long a sign-in lasts: a working day, after which the token is pasted again.
    public static let defaultLifetime: TimeInterval = 12 * 3600
    /// At most this many sessions at once; the oldest goes first. Only token holders can open sessions,
    /// but a script signing in in a loop must not grow the daemon's memory without bound.
    static let maxSessions = 10_000

    /// A signed-in browser.
    public struct Session: Sendable, Equatable {
        /// The cookie's value.
        public var id: String
        public var tokenName: String
        public var tokenPrefix: String
        public var role: TokenRole
        public var expires: Date
    }

    let authority: TokenAuthority
    public let lifetime: TimeInterval
    let clock: @Sendable () -> Date
    private let sessions = Mutex<[String: Session]>([:])

    public init(store: any Store, lifetime: TimeInterval = defaultLifetime, clock: @escaping @Sendable () -> Date = { Date() }) {
        authority = TokenAuthority(store: store, clock: clock)
        self.lifetime = lifetime
        self.clock = clock
    }

    /// Opens a session for the token whose secret was pasted, or nil when the secret is not a valid token.
    public func signIn(secret: String) async throws -> Session? {
        guard let token = try await authority.verify(secret) else { return nil }
        let now = clock()
        let session = Session(
            id: Self.randomID(), tokenName: token.name, tokenPrefix: token.prefix, role: token.role,
            expires: now.addingTimeInterval(lifetime))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            while sessions.count >= Self.maxSessions, let oldest = sessions.values.min(by: { $0.expires < $1.expires }) {
                sessions[oldest.id] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The session a cookie names, when it exists, has not expired, and its token still exists.
    public func session(_ id: String?) async throws -> Session? {
        guard let id, !id.isEmpty else { return nil }
        let now = clock()
        let found = sessions.withLock { sessions -> Session? in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
        guard let found else { return nil }
        guard let token = try await authority.store.token(prefix: found.tokenPrefix), token.name == found.tokenName else {
            signOut(id)
            return nil
        }
        return found
    }

    /// Ends a session (nothing happens for an unknown id).
    public func signOut(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes as hex, from the system's cryptographic generator.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
