import ErrandCore
import Foundation
import PostgresNIO

// Sessions and tokens: who may use the daemon, and the sessions they keep.
extension PostgresStore {
    // MARK: - Sessions

    public func createSession(_ session: Session) async throws -> Bool {
        try await !query(
            """
            INSERT INTO sessions (name, state, created_at, last_seen_at, disconnected_at, idle_timeout_seconds, stop_on_expire)
            VALUES (\(session.name), \(session.state.rawValue), \(StoreTime.kept(session.createdAt)),
                \(StoreTime.kept(session.lastSeenAt)), \(session.disconnectedAt.map(StoreTime.kept)), \(session.idleTimeout),
                \(session.stopOnExpire))
            ON CONFLICT (name) DO NOTHING RETURNING 1
            """
        ).isEmpty
    }

    public func session(named name: String) async throws -> Session? {
        try await query("SELECT * FROM sessions WHERE name = \(name)").first.map(Self.decodeSession)
    }

    public func sessions() async throws -> [Session] {
        try await query("SELECT * FROM sessions ORDER BY name COLLATE \"C\"").map(Self.decodeSession)
    }

    public func updateSession(_ session: Session) async throws -> Bool {
        try await !query(
            """
            UPDATE sessions SET state = \(session.state.rawValue), last_seen_at = \(StoreTime.kept(session.lastSeenAt)),
                disconnected_at = \(session.disconnectedAt.map(StoreTime.kept)), idle_timeout_seconds = \(session.idleTimeout),
                stop_on_expire = \(session.stopOnExpire)
            WHERE name = \(session.name) RETURNING 1
            """
        ).isEmpty
    }

    public func deleteSession(named name: String) async throws -> Bool {
        let reader = Sessions.reader(name)
        return try await transaction { connection in
            try await connection.query("DELETE FROM cursors WHERE reader = \(reader)", logger: quiet)
            try await connection.query("UPDATE runs SET session_name = NULL WHERE session_name = \(name)", logger: quiet)
            return try await !connection.query("DELETE FROM sessions WHERE name = \(name) RETURNING 1", logger: quiet).collect()
                .isEmpty
        }
    }

    private static func decodeSession(_ row: PostgresRow) throws -> Session {
        let row = row.makeRandomAccess()
        return Session(
            name: try row.value("name"), state: SessionState(rawValue: try row.value("state")) ?? .disconnected,
            createdAt: try row.value("created_at"), lastSeenAt: try row.value("last_seen_at"),
            disconnectedAt: try row.value("disconnected_at"), idleTimeout: try row.value("idle_timeout_seconds"),
            stopOnExpire: try row.value("stop_on_expire"))
    }

    // MARK: - Tokens

    public func createToken(_ token: TokenRecord) async throws {
        try await transaction { connection in
            let taken = try await connection.query(
                "SELECT name FROM tokens WHERE name = \(token.name) OR prefix = \(token.prefix) LIMIT 1", logger: quiet
            ).collect()
            if let name = try taken.first?.decode(String.self) {
                throw name == token.name
                    ? StoreError.conflict("a token named '\(token.name)' already exists; revoke it first or choose another name")
                    : StoreError.conflict("another token has the prefix '\(token.prefix)'; create the token again (a new secret)")
            }
            try await connection.query(
                """
                INSERT INTO tokens (name, role, prefix, hash, created_at, last_used_at)
                VALUES (\(token.name), \(token.role.rawValue), \(token.prefix), \(token.hash), \(StoreTime.kept(token.createdAt)),
                    \(token.lastUsedAt.map(StoreTime.kept)))
                """, logger: quiet)
        }
    }

    public func token(prefix: String) async throws -> TokenRecord? {
        try await query("SELECT * FROM tokens WHERE prefix = \(prefix)").first.map(Self.decodeToken)
    }

    public func tokens() async throws -> [TokenRecord] {
        try await query("SELECT * FROM tokens ORDER BY name COLLATE \"C\"").map(Self.decodeToken)
    }

    public func deleteToken(named name: String) async throws -> Bool {
        try await !query("DELETE FROM tokens WHERE name = \(name) RETURNING 1").isEmpty
    }

    public func touchToken(named name: String, at time: Date) async throws {
        try await query("UPDATE tokens SET last_used_at = \(StoreTime.kept(time)) WHERE name = \(name)")
    }

    private static func decodeToken(_ row: PostgresRow) throws -> TokenRecord {
        let row = row.makeRandomAccess()
        let name: String = try row.value("name")
        let roleText: String = try row.value("role")
        guard let role = TokenRole(rawValue: roleText) else {
            throw ErrandError(.internal, "the token '\(name)' has an unknown role '\(roleText)'")
        }
        return TokenRecord(
            name: name, role: role, prefix: try row.value("prefix"), hash: try row.value("hash"),
            createdAt: try row.value("created_at"), lastUsedAt: try row.value("last_used_at"))
    }
}
