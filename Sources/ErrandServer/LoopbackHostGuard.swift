import ErrandCore
import Hummingbird

/// Without tokens, a daemon answers only requests addressed to a loopback name. Such a daemon listens on
/// loopback (``ListenPolicy``), but a web page can still reach it by DNS rebinding: `evil.example` resolves
/// to 127.0.0.1 a moment after the page loaded, and the browser sends `Host: evil.example:7420` with an
/// `Origin` that matches it, so ``CrossSiteGuard`` alone sees a same-origin request. The `Host` header
/// gives the rebinding away: a browser always sends the name it resolved, which is never a loopback name.
struct LoopbackHostGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authority = request.head.authority, Self.isLoopback(authority: authority) else {
            throw ErrandError(
                .forbidden,
                """
                this daemon has no tokens, so it answers only requests addressed to localhost, 127.0.0.1 or [::1] \
                (got Host: \(request.head.authority ?? "none")); to reach it under another name, require tokens \
                (errand serve --require-tokens)
                """)
        }
        return try await next(request, context)
    }

    /// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
    static func isLoopback(authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())) else { return false }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        return ListenPolicy.isLoopback(String(host))
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
