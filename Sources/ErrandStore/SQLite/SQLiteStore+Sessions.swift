import ErrandCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createSession(_ session: Session) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sessions (name, state, created_at, last_seen_at, disconnected_at, idle_timeout_seconds, stop_on_expire)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
                    """,
                arguments: [
                    session.name, session.state.rawValue, session.createdAt, session.lastSeenAt, session.disconnectedAt,
                    session.idleTimeout, session.stopOnExpire,
                ])
            return db.changesCount > 0
        }
    }

    public func session(named name: String) async throws -> Session? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE name = ?"), arguments: [name])
                .map(Self.decodeSession)
        }
    }

    public func sessions() async throws -> [Session] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM sessions ORDER BY name").map(Self.decodeSession) }
    }

    public func updateSession(_ session: Session) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET state = ?, last_seen_at = ?, disconnected_at = ?, idle_timeout_seconds = ?,
                        stop_on_expire = ? WHERE name = ?
                    """,
                arguments: [
                    session.state.rawValue, session.lastSeenAt, session.disconnectedAt, session.idleTimeout,
                    session.stopOnExpire, session.name,
                ])
            return db.changesCount > 0
        }
    }

    public func deleteSession(named name: String) async throws -> Bool {
        // The session's cursors are those of its reader, as ErrandCore names it.
        let reader = Sessions.reader(name)
        return try await write { db in
            try db.execute(sql: "DELETE FROM cursors WHERE reader = ?", arguments: [reader])
            // The runs go on without a session: a new session of the same name must not inherit them.
            try db.execute(sql: "UPDATE runs SET session_name = NULL WHERE session_name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM sessions WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    private static func decodeSession(_ row: Row) -> Session {
        Session(
            name: row["name"], state: SessionState(rawValue: row["state"]) ?? .disconnected, createdAt: row["created_at"],
            lastSeenAt: row["last_seen_at"], disconnectedAt: row["disconnected_at"], idleTimeout: row["idle_timeout_seconds"],
            stopOnExpire: row["stop_on_expire"])
    }
}
