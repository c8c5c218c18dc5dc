import ErrandCore
import ErrandTokens
import Hummingbird

/// `/api/v1/tokens`: create (the answer holds the secret, once), list, revoke. Admins only (``AccessPolicy``).
struct TokensAPI: Sendable {
    let authority: TokenAuthority

    func addRoutes(to api: RouterGroup<ErrandRequestContext>) {
        api.post("tokens", use: create)
        api.get("tokens", use: list)
        api.delete("tokens/:name", use: revoke)
    }

    @Sendable func create(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<CreatedToken> {
        let body = try await request.decode(as: NewTokenRequest.self, context: context)
        return EditedResponse(status: .created, response: try await authority.issue(name: body.name, role: body.role))
    }

    @Sendable func list(_ request: Request, context: ErrandRequestContext) async throws -> [TokenInfo] {
        try await authority.list()
    }

    @Sendable func revoke(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        try await authority.revoke(name: context.parameters.get("name") ?? "")
        return Response(status: .noContent)
    }
}
