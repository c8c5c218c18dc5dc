import ErrandCore
import ErrandHost
import Foundation
import HTTPTypes
import Hummingbird

extension SessionView: ResponseEncodable {}

/// `/api/v1/sessions…`: create, list, show, connect, disconnect, remove. Runs join a session through
/// the `session` field of `POST /api/v1/runs`; `GET /api/v1/runs?session=S` is its job list.
struct SessionsAPI: Sendable {
    let sessions: SessionService

    func addRoutes(to api: RouterGroup<ErrandRequestContext>) {
        api.post("sessions", use: create)
        api.get("sessions", use: list)
        api.get("sessions/:name", use: show)
        api.delete("sessions/:name", use: remove)
        api.post("sessions/:name/connect", use: connect)
        api.post("sessions/:name/disconnect", use: disconnect)
    }

    @Sendable func create(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<SessionView> {
        let body = try await request.decode(as: SessionRequest.self, context: context)
        return EditedResponse(status: .created, response: try await sessions.create(body))
    }

    @Sendable func list(_ request: Request, context: ErrandRequestContext) async throws -> [SessionView] {
        try await sessions.views()
    }

    @Sendable func show(_ request: Request, context: ErrandRequestContext) async throws -> SessionView {
        try await sessions.view(named: Self.name(context))
    }

    @Sendable func connect(_ request: Request, context: ErrandRequestContext) async throws -> SessionView {
        try await sessions.connect(Self.name(context))
    }

    @Sendable func disconnect(_ request: Request, context: ErrandRequestContext) async throws -> SessionView {
        try await sessions.disconnect(Self.name(context))
    }

    /// `stopRuns=true` stops the session's unfinished runs first; by default they go on.
    @Sendable func remove(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let stopRuns = try ErrandAPI.optionalBool(request.uri.queryParameters.get("stopRuns"), name: "stopRuns") ?? false
        try await sessions.remove(Self.name(context), stopRuns: stopRuns)
        return Response(status: .noContent)
    }

    static func name(_ context: ErrandRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        try Names.validate(name, what: "session name")
        return name
    }

    /// The reader of a request's `session` or `reader` query parameter (not both): a session's reader
    /// is its own, and naming a session counts as using it.
    static func reader(_ query: Parameters, sessions: SessionService) async throws -> String {
        let reader = query.get("reader")
        guard let session = query.get("session") else { return reader ?? Receiving.defaultReader }
        guard reader == nil else { throw ErrandError.badRequest("give either session or reader, not both") }
        return try await sessions.use(session)
    }
}
