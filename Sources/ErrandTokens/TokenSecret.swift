import Crypto
import ErrandCore
import Foundation

/// API token secrets: `errand_<12 hex>_<43 base64url>`, 256 random bits after a public prefix.
///
/// The store keeps only the SHA-256 of a secret: a slow password hash buys nothing for a secret with
/// 256 bits of entropy, and SHA-256 keeps each request's check to microseconds.
public enum TokenSecret {
    static let scheme = "errand_"

    /// A new random secret (from the system's CSPRNG) and its public prefix.
    public static func generate() -> (secret: String, prefix: String) {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let body = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let prefix = scheme + id
        return (prefix + "_" + body, prefix)
    }

    /// The public prefix of a presented secret, or nil when it does not look like one of ours.
    public static func prefix(of secret: String) -> String? {
        guard secret.hasPrefix(scheme) else { return nil }
        let rest = secret.dropFirst(scheme.count)
        guard let underscore = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<underscore]
        guard id.count == 12, id.allSatisfy(\.isHexDigit), rest.index(after: underscore) < rest.endIndex else { return nil }
        return scheme + id
    }

    /// Lower-case hex SHA-256 of the secret: what the store keeps.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `secret` hashes to `storedHash`, compared in constant time (no early exit on the first difference).
    public static func verify(_ secret: String, against storedHash: String) -> Bool {
        let computed = Array(hash(secret).utf8)
        let stored = Array(storedHash.utf8)
        guard computed.count == stored.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(computed, stored) { difference |= a ^ b }
        return difference == 0
    }

    /// The secret carried by an `Authorization` header: `Bearer SECRET`, or Basic auth with the
    /// secret as the password (what Kudu clients and browsers send).
    public static func fromAuthorization(_ header: String?) -> String? {
        guard let header else { return nil }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return nil }
        let scheme = trimmed[..<space].lowercased()
        let value = trimmed[space...].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer":
            return value.isEmpty ? nil : value
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            let password = String(text[text.index(after: colon)...])
            return password.isEmpty ? nil : password
        default:
            return nil
        }
    }
}
