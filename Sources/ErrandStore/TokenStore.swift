import ErrandCore
import Foundation

/// API tokens, kept as hashes (``TokenRecord``).
///
/// Guarantees (pinned by the store contract): names and prefixes are each unique; creating a token whose
/// name or prefix is taken is a ``StoreError/conflict(_:)`` and writes nothing.
public protocol TokenStore: Sendable {
    /// Inserts a token; a ``ErrandError/Code/conflict`` error when its name (or prefix) is taken.
    func createToken(_ token: TokenRecord) async throws
    /// The token whose secret starts with `prefix`, if any.
    func token(prefix: String) async throws -> TokenRecord?
    /// Every token, sorted by name.
    func tokens() async throws -> [TokenRecord]
    /// Deletes a token; false when there was no such token.
    @discardableResult
    func deleteToken(named name: String) async throws -> Bool
    /// Records when a token was last used.
    func touchToken(named name: String, at time: Date) async throws
}
