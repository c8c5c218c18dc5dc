import ErrandCore
import ErrandStore
import Hummingbird

/// Checks the caller's token against ``AccessPolicy`` before any route runs. With tokens not
/// required (a loopback daemon's default) it lets everything through.
///
/// Secrets are never logged: this middleware logs nothing, and errors name the token, not its secret.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authority: TokenAuthority
    let requireTokens: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard requireTokens, let required = AccessPolicy.requiredRole(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        guard let secret = TokenSecret.fromAuthorization(request.headers[.authorization]) else {
            throw ErrandError(
                .unauthorized,
                "this daemon requires a token: set ERRAND_TOKEN, or add the host with `errand host add NAME URL --token-file FILE`")
        }
        guard let token = try await authority.verify(secret) else {
            throw ErrandError(.unauthorized, "the token is not valid (unknown, revoked or mistyped)")
        }
        guard token.role >= required else {
            throw ErrandError(
                .forbidden,
                "the token '\(token.name)' has the role \(token.role.rawValue); \(request.method) \(request.uri.path) needs \(required.rawValue)"
            )
        }
        return try await next(request, context)
    }
}
