import ErrandCore
import ErrandStore
import ErrandTokens
import Foundation
import HTTPTypes
import Hummingbird

/// Checks the caller's token against ``AccessPolicy`` before any route runs. With tokens not
/// required (a loopback daemon's default) it lets everything through.
///
/// A caller is known by its `Authorization` header (Bearer, or Basic with the token as password: scripts,
/// the CLI) or, without one, by a dashboard session cookie (see ``BrowserSessions``). A dashboard page asked
/// for without either is sent to the sign-in page (303); the API answers 401.
///
/// Secrets are never logged: this middleware logs nothing, and errors name the token, not its secret.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authority: TokenAuthority
    let sessions: BrowserSessions
    let requireTokens: Bool

    /// The dashboard's sign-in page (see ErrandDashboard), where pages send a browser that is not signed in.
    static var signInPath: String { "/sign-in" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard requireTokens, let required = AccessPolicy.requiredRole(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        let name: String
        let role: TokenRole
        if request.headers[.authorization] == nil,
            let session = try await sessions.session(request.cookies[BrowserSessions.cookieName]?.value)
        {
            if Self.isAPI(request.uri.path), CrossSiteGuard<Context>.isUnsafe(request.method),
                !Self.isSameOrigin(request.headers, authority: request.head.authority)
            {
                throw ErrandError(
                    .forbidden,
                    "a dashboard session may change things through the API only from the dashboard's own pages; scripts send a token")
            }
            (name, role) = (session.tokenName, session.role)
        } else {
            guard let secret = TokenSecret.fromAuthorization(request.headers[.authorization]) else {
                if !Self.isAPI(request.uri.path) { return Self.signInRedirect(request) }
                throw ErrandError(
                    .unauthorized,
                    "this daemon requires a token: set ERRAND_TOKEN, or add the host with `errand host add NAME URL --token-file FILE`")
            }
            guard let token = try await authority.verify(secret) else {
                throw ErrandError(.unauthorized, "the token is not valid (unknown, revoked or mistyped)")
            }
            (name, role) = (token.name, token.role)
        }
        guard role >= required else {
            throw ErrandError(
                .forbidden,
                "the token '\(name)' has the role \(role.rawValue); \(request.method) \(request.uri.path) needs \(required.rawValue)"
            )
        }
        return try await next(request, context)
    }

    /// The API and the Kudu-compatible routes, as against the dashboard's pages.
    static func isAPI(_ path: String) -> Bool {
        let path = path.lowercased()
        return path == "/api" || path.hasPrefix("/api/")
    }

    /// Whether a browser says the request comes from a page of this daemon. Unlike ``CrossSiteGuard``, which
    /// refuses only what is marked cross-site, a request that a cookie authenticates must prove it: a
    /// browser old enough to send neither header gets no cookie-authenticated writes through the API.
    static func isSameOrigin(_ headers: HTTPFields, authority: String?) -> Bool {
        if let site = headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() { return site == "same-origin" }
        guard let origin = headers[HTTPField.Name("Origin")!], let url = URL(string: origin), let host = url.host, let authority
        else { return false }
        return (host + (url.port.map { ":\($0)" } ?? "")).lowercased() == authority.lowercased()
    }

    /// 303 to the sign-in page, which sends the browser back here once signed in.
    static func signInRedirect(_ request: Request) -> Response {
        let here = request.uri.path + (request.uri.query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        let isPage = request.method == .get || request.method == .head
        var location = signInPath
        if isPage, here != "/",
            let encoded = here.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_.~")))
        {
            location += "?next=" + encoded
        }
        return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
