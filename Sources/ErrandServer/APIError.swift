import ErrandCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An ``ErrandError`` as an HTTP response: a proper status and `{"error": {"code", "message"}}`.
struct APIError: HTTPResponseError {
    let error: ErrandError

    var status: HTTPResponse.Status { HTTPResponse.Status(error.code) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONCoding.encoder().encode(ErrorBody(error: error))
        var headers: HTTPFields = [.contentType: "application/json"]
        // Unavailable is temporary (shutting down, store full): say when to come back.
        if error.code == .unavailable { headers[.retryAfter] = "5" }
        if error.code == .unauthorized {
            headers.append(HTTPField(name: .wwwAuthenticate, value: #"Bearer realm="errand""#))
            // Pages (the dashboard) get a Basic challenge too, so a browser asks for the token as a password.
            if !AuthMiddleware<ErrandRequestContext>.isAPI(request.uri.path) {
                headers.append(HTTPField(name: .wwwAuthenticate, value: #"Basic realm="errand", charset="UTF-8""#))
            }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
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
        } catch is NIOTooManyBytesError {
            throw APIError(error: .bodyTooLarge(maxJSONBytes: context.maxUploadSize))
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

extension ErrandError {
    /// A body over its route's limit (413). The error NIO throws does not tell which limit it was (it counts
    /// down what is left), so the message names both kinds.
    static func bodyTooLarge(maxJSONBytes: Int) -> ErrandError {
        ErrandError(
            .tooLarge,
            "the request body is larger than this route accepts: at most \(maxJSONBytes) bytes of JSON (--max-body-bytes), 1 MiB for settings.job and trigger arguments"
        )
    }
}

extension HTTPResponse.Status {
    /// The status of an error code (``ErrandError/Code/httpStatus``, the table the dashboard shares).
    init(_ code: ErrandError.Code) {
        self.init(code: code.httpStatus)
    }
}
