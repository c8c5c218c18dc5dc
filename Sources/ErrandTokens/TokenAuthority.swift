import ErrandCore
import ErrandStore
import Foundation
import Synchronization

/// Issues, checks and revokes API tokens against the store. The store is read on every check, so a
/// token revoked (or created with `errand token create --data-dir`) takes effect at once.
public final class TokenAuthority: Sendable {
    let store: any Store
    let clock: @Sendable () -> Date
    /// When each token's last use was written: a busy client costs one write a minute, not one per request.
    private let lastTouched = Mutex<[String: Date]>([:])
    static let touchInterval: TimeInterval = 60

    public init(store: any Store, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.clock = clock
    }

    /// Creates a token and returns it with its secret: the only time the secret exists outside the caller.
    public func issue(name: String, role: TokenRole) async throws -> CreatedToken {
        try Self.validate(name: name)
        let (secret, prefix) = TokenSecret.generate()
        let record = TokenRecord(name: name, role: role, prefix: prefix, hash: TokenSecret.hash(secret), createdAt: clock())
        try await store.createToken(record)
        return CreatedToken(token: record.info, secret: secret)
    }

    public func list() async throws -> [TokenInfo] {
        try await store.tokens().map(\.info)
    }

    public func revoke(name: String) async throws {
        guard try await store.deleteToken(named: name) else { throw ErrandError.notFound("no token named '\(name)'") }
    }

    /// The token a presented secret belongs to, or nil when it is unknown, revoked or malformed.
    public func verify(_ secret: String) async throws -> TokenRecord? {
        guard let prefix = TokenSecret.prefix(of: secret), let record = try await store.token(prefix: prefix),
            TokenSecret.verify(secret, against: record.hash)
        else { return nil }
        let now = clock()
        let due = lastTouched.withLock { touched in
            if let last = touched[record.name], now.timeIntervalSince(last) < Self.touchInterval { return false }
            touched[record.name] = now
            return true
        }
        if due { try await store.touchToken(named: record.name, at: now) }
        return record
    }

    static func validate(name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_.-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 64, allowed, name.first?.isLetter == true || name.first?.isNumber == true else {
            throw ErrandError.badRequest(
                "a token name is 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit; got '\(name)'")
        }
    }
}
