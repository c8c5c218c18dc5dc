import Foundation

/// Cross-site request forgery protection by double submit: every page sets a cookie holding a
/// per-daemon random token and puts the same token in a hidden field of each form. A POST is
/// accepted only when the cookie and the field both carry the token. Another site can make a
/// browser post a form here, but it can neither read the token nor set our cookie.
struct CSRFGuard: Sendable {
    static let cookieName = "errand_csrf"
    static let fieldName = "csrf"

    let token: String

    init(token: String = CSRFGuard.randomToken()) {
        self.token = token
    }

    /// 32 random bytes as hex, from the system's cryptographic generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    func accepts(cookie: String?, field: String?) -> Bool {
        guard let cookie, let field else { return false }
        return Self.sameBytes(cookie, token) && Self.sameBytes(field, token)
    }

    /// Compares without stopping at the first difference, so timing tells nothing about the token.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
