import ErrandCore

/// Whether a daemon may listen where it was asked to, given its security settings. Pure, so every
/// combination is tested without opening a socket.
///
/// On loopback only local users can connect, so tokens and TLS are optional. Anywhere else anyone who
/// can reach the port could run commands, so tokens are a must; and a token sent over plain HTTP can
/// be read on the way, so TLS is a must too unless the operator says `--insecure-http` (a TLS proxy in front).
public struct ListenPolicy: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var requireTokens: Bool
    public var tls: Bool
    public var insecureHTTP: Bool

    public init(host: String, port: Int, requireTokens: Bool, tls: Bool, insecureHTTP: Bool) {
        self.host = host
        self.port = port
        self.requireTokens = requireTokens
        self.tls = tls
        self.insecureHTTP = insecureHTTP
    }

    /// Throws a message naming the flags that would make this listener acceptable.
    public func check() throws {
        if Self.isLoopback(host) { return }
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard requireTokens else {
            throw ErrandError.badRequest(
                """
                refusing to listen on \(address) without tokens: anyone who can reach it could run commands. \
                Add --require-tokens (or ERRAND_REQUIRE_TOKENS=1) and create tokens with `errand token create`, \
                or listen on a loopback address such as 127.0.0.1
                """)
        }
        guard tls || insecureHTTP else {
            throw ErrandError.badRequest(
                """
                refusing plain HTTP on \(address): tokens would cross the network readable by anyone on the way. \
                Give --tls-cert FILE --tls-key FILE, or say --insecure-http if a TLS proxy sits in front of the daemon
                """)
        }
    }

    /// `localhost`, `127.0.0.0/8` and `::1`; anything else (names included) may be reachable from elsewhere.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
