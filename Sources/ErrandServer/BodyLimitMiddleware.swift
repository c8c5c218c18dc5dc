import Hummingbird

/// Gives every request the daemon's largest JSON body (`--max-body-bytes`): Hummingbird's decoders collect
/// at most `maxUploadSize` bytes, and a larger body becomes a 413 (see ``ErrorMiddleware``).
struct BodyLimitMiddleware: RouterMiddleware {
    let maxBytes: Int

    func handle(
        _ request: Request, context: ErrandRequestContext, next: (Request, ErrandRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBytes
        return try await next(request, context)
    }
}
