import ErrandCore
import Foundation

/// An API token as the store keeps it: the SHA-256 of its secret, never the secret itself.
public struct TokenRecord: Sendable, Equatable {
    /// Unique; what `errand token revoke` names.
    public var name: String
    public var role: TokenRole
    /// The secret's public start (unique): how a presented secret finds its record.
    public var prefix: String
    /// Lower-case hex SHA-256 of the whole secret.
    public var hash: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(name: String, role: TokenRole, prefix: String, hash: String, createdAt: Date, lastUsedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.prefix = prefix
        self.hash = hash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The record as the API lists it.
    public var info: TokenInfo {
        TokenInfo(name: name, role: role, prefix: prefix, createdAt: createdAt, lastUsedAt: lastUsedAt)
    }
}
