import ErrandCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// An ``ErrandError`` as an HTTP response: a proper status and `{"error": {"code", "message"}}`.
struct APIError: HTTPResponseError {
    let error: ErrandError

    var status: HTTPResponse.Status {
        switch error.code {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unavailable, .unreachable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONCoding.encoder().encode(ErrorBody(error: error))
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error a route throws into a JSON error: ours keep their code; Hummingbird's
/// (bad JSON, unknown route) keep their status; anything else is a 500 with its description.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ErrandError {
            throw APIError(error: error)
        } catch let error as HTTPError {
            let code: ErrandError.Code =
                switch error.status.code {
                case 404: .notFound
                case 409: .conflict
                case 413: .tooLarge
                case 400..<500: .badRequest
                default: .internal
                }
            let message =
                error.body
                ?? (error.status.code == 404 ? "no such route: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            throw APIError(error: ErrandError(code, message))
        } catch is DecodingError {
            throw APIError(error: .badRequest("the request body is not valid JSON for this route: \(request.uri.path)"))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw APIError(error: ErrandError(.internal, "internal error: \(error)"))
        }
    }
}
