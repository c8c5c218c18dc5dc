import ErrandCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createToken(_ token: TokenRecord) async throws {
        try await write { db in
            // Checked in the transaction that inserts, so the error names what is taken.
            let taken = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT name, prefix FROM tokens WHERE name = ? OR prefix = ? LIMIT 1"),
                arguments: [token.name, token.prefix])
            if let taken {
                let name: String = taken["name"]
                throw name == token.name
                    ? StoreError.conflict("a token named '\(token.name)' already exists; revoke it first or choose another name")
                    : StoreError.conflict("another token has the prefix '\(token.prefix)'; create the token again (a new secret)")
            }
            try db.cachedStatement(
                sql: "INSERT INTO tokens (name, role, prefix, hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(
                arguments: [token.name, token.role.rawValue, token.prefix, token.hash, token.createdAt, token.lastUsedAt])
        }
    }

    public func token(prefix: String) async throws -> TokenRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE prefix = ?"), arguments: [prefix])
                .map(Self.decodeToken)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY name").map(Self.decodeToken)
        }
    }

    public func deleteToken(named name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM tokens WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    public func touchToken(named name: String, at time: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE tokens SET last_used_at = ? WHERE name = ?", arguments: [time, name])
        }
    }

    private static func decodeToken(_ row: Row) throws -> TokenRecord {
        let roleText: String = row["role"]
        guard let role = TokenRole(rawValue: roleText) else {
            throw ErrandError(.internal, "the token '\(row["name"] as String)' has an unknown role '\(roleText)'")
        }
        return TokenRecord(
            name: row["name"], role: role, prefix: row["prefix"], hash: row["hash"], createdAt: row["created_at"],
            lastUsedAt: row["last_used_at"])
    }
}
