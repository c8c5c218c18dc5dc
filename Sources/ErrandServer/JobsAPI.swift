import ErrandCore
import ErrandHost
import ErrandJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1/jobs…`: deploy, list, show, trigger, start/stop, settings, history, remove.
struct JobsAPI: Sendable {
    let jobs: JobHost

    func addRoutes(to api: RouterGroup<ErrandRequestContext>) {
        api.get("jobs", use: list)
        api.get("jobs/:name", use: show)
        api.put("jobs/:name", use: deploy)
        api.delete("jobs/:name", use: remove)
        api.post("jobs/:name/trigger", use: trigger)
        api.post("jobs/:name/start", use: start)
        api.post("jobs/:name/stop", use: stop)
        api.get("jobs/:name/history", use: history)
        api.get("jobs/:name/settings", use: settings)
        api.put("jobs/:name/settings", use: replaceSettings)
    }

    @Sendable func list(_ request: Request, context: ErrandRequestContext) async throws -> [JobView] {
        try await jobs.list()
    }

    @Sendable func show(_ request: Request, context: ErrandRequestContext) async throws -> JobView {
        try await jobs.job(named: Self.name(context))
    }

    /// The body is the package: a zip, or one file named by `Content-Disposition`. `kind`
    /// (`triggered`, default, or `continuous`), `schedule`, `recurrence`, `settings` (JSON text) and `replace` are
    /// query parameters. 201 for a new job, 200 for a replaced one (names ignore case). A job of the other kind
    /// under the name is a 409, unless `replace=true`: then it is removed and the new one deployed.
    @Sendable func deploy(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<JobView> {
        let name = try Self.name(context)
        let query = request.uri.queryParameters
        let continuous: Bool
        switch query.get("kind")?.lowercased() ?? "triggered" {
        case "triggered", "scheduled": continuous = false
        case "continuous": continuous = true
        case let other: throw ErrandError.badRequest("kind must be triggered or continuous, got '\(other)'")
        }
        let replace = try ErrandAPI.optionalBool(query.get("replace"), name: "replace") ?? false
        let existed = (try? await jobs.job(named: name)).map { ($0.kind == "continuous") == continuous || !replace } ?? false
        let upload = try await PackageUpload.receive(
            request, into: jobs.uploadsDirectory, limit: jobs.configuration.packageLimits.maxArchiveBytes)
        defer { upload.discard() }
        let view = try await jobs.deploy(
            DeployRequest(
                name: name, source: upload.source, continuous: continuous, settings: query.get("settings").map { Data($0.utf8) },
                schedule: query.get("schedule"), recurrence: query.get("recurrence"), replace: replace))
        return EditedResponse(status: existed ? .ok : .created, response: view)
    }

    @Sendable func remove(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let force = try ErrandAPI.optionalBool(request.uri.queryParameters.get("force"), name: "force") ?? false
        try await jobs.remove(Self.name(context), force: force)
        return Response(status: .noContent)
    }

    @Sendable func trigger(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<Run> {
        let name = try Self.name(context)
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let body: TriggerRequest
        do {
            let data = Data(bytes.readableBytesView)
            body = data.isEmpty ? TriggerRequest() : try JSONDecoder().decode(TriggerRequest.self, from: data)
        } catch {
            throw ErrandError.badRequest("the body must be JSON like {\"arguments\": [\"a\", \"b c\"]} (or empty)")
        }
        // The errand CLI is a person at a terminal: `manual`; anything else is `api` with its user agent.
        let agent = request.headers[.userAgent] ?? "unknown"
        let byHand = agent.hasPrefix("errand/")
        let run = try await jobs.trigger(
            name, arguments: body.arguments, trigger: byHand ? .manual : .api, detail: byHand ? "manual (\(agent))" : "api \(agent)")
        return EditedResponse(status: .created, response: run)
    }

    @Sendable func start(_ request: Request, context: ErrandRequestContext) async throws -> JobView {
        try await jobs.enable(Self.name(context))
    }

    @Sendable func stop(_ request: Request, context: ErrandRequestContext) async throws -> JobView {
        try await jobs.disable(Self.name(context))
    }

    /// The job's runs, newest first (`limit`, default all kept).
    @Sendable func history(_ request: Request, context: ErrandRequestContext) async throws -> [Run] {
        let limit = try ErrandAPI.optionalInt(
            request.uri.queryParameters.get("limit"), name: "limit", minimum: 1, maximum: Int64(InputBounds.maxCount))
        return try await jobs.history(Self.name(context), limit: limit.map(Int.init))
    }

    @Sendable func settings(_ request: Request, context: ErrandRequestContext) async throws -> JSONValue {
        .object(try await jobs.settings(of: Self.name(context)))
    }

    @Sendable func replaceSettings(_ request: Request, context: ErrandRequestContext) async throws -> JobView {
        let body = try await request.body.collect(upTo: 1 << 20)
        return try await jobs.replaceSettings(Self.name(context), with: Data(body.readableBytesView))
    }

    static func name(_ context: ErrandRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        try Names.validateJobName(name)
        return name
    }
}
