import ErrandCore
import ErrandHost
import ErrandJobs
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Kudu's WebJobs routes at Kudu's paths (`/api/webjobs`, `/api/triggeredwebjobs…`,
/// `/api/continuouswebjobs…`, kudu.md §4) with Kudu's JSON, status strings, status codes, headers and
/// plain-text errors, so a Kudu client or script works unchanged. They are a view over the same job host as
/// `/api/v1/jobs`: nothing is stored twice. docs/kudu.md lists what differs and why.
struct KuduAPI: Sendable {
    let jobs: JobHost
    let reader: RunReader
    let instance: String

    /// Kudu's message for a run refused because one is going (`Error_WebJobAlreadyRunning`).
    static let alreadyRunning = "Cannot start a new run since job is already running."
    /// Kudu's message for an upload without a file name (`Error_MissingContentDispositionHeader`).
    static let missingContentDisposition = "Missing Content-Disposition header."

    /// Where each family of routes lives: Kudu's current paths, then its deprecated aliases
    /// (`MapHttpWebJobsRoute`: `api/{type}jobs…` and `api/jobs/{type}…`). The oldest alias, `jobs/{type}…`
    /// at the root, is left out: the root belongs to the dashboard.
    static let families: [(all: String?, triggered: String, continuous: String)] = [
        ("api/webjobs", "api/triggeredwebjobs", "api/continuouswebjobs"),
        ("api/jobs", "api/triggeredjobs", "api/continuousjobs"),
        (nil, "api/jobs/triggered", "api/jobs/continuous"),
    ]

    func addRoutes(to router: Router<ErrandRequestContext>) {
        let kudu = router.group().add(middleware: KuduErrorMiddleware())
        kudu.get("api/triggeredwebjobsswagger", use: swagger)
        for family in Self.families {
            if let all = family.all { kudu.get(RouterPath(all), use: listAll) }
            for type in Kudu.JobType.allCases {
                let path = type == .triggered ? family.triggered : family.continuous
                kudu.get(RouterPath(path)) { request, _ in try await self.list(type, request) }
                kudu.get(RouterPath(path + "/:name")) { request, context in try await self.show(type, request, context) }
                kudu.put(RouterPath(path + "/:name")) { request, context in try await self.deploy(type, request, context) }
                kudu.delete(RouterPath(path + "/:name")) { _, context in try await self.remove(type, context) }
                kudu.get(RouterPath(path + "/:name/settings")) { _, context in try await self.settings(type, context) }
                kudu.put(RouterPath(path + "/:name/settings")) { request, context in
                    try await self.replaceSettings(type, request, context)
                }
                switch type {
                case .triggered:
                    kudu.post(RouterPath(path + "/:name/run"), use: run)
                    kudu.get(RouterPath(path + "/:name/history"), use: history)
                    kudu.get(RouterPath(path + "/:name/history/:id"), use: historyRun)
                case .continuous:
                    kudu.post(RouterPath(path + "/:name/start")) { _, context in try await self.enable(true, context) }
                    kudu.post(RouterPath(path + "/:name/stop")) { _, context in try await self.enable(false, context) }
                }
            }
        }
    }

    // MARK: - Jobs

    /// `GET /api/webjobs`: triggered jobs, then continuous ones (Kudu's order), with an ETag.
    @Sendable func listAll(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let views = try await jobs.list()
        let base = Self.base(of: request)
        let time = Date()
        let listed = Kudu.JobType.allCases.flatMap { type in
            views.filter { Kudu.JobType(kind: $0.kind) == type }.map {
                KuduJob($0, type: type, base: base, instance: instance, now: time)
            }
        }
        return try Self.json(listed, request: request, etag: true)
    }

    func list(_ type: Kudu.JobType, _ request: Request) async throws -> Response {
        let base = Self.base(of: request)
        let time = Date()
        let listed = try await jobs.list().filter { Kudu.JobType(kind: $0.kind) == type }.map {
            KuduJob($0, type: type, base: base, instance: instance, now: time)
        }
        return try Self.json(listed, request: request, etag: true)
    }

    func show(_ type: Kudu.JobType, _ request: Request, _ context: ErrandRequestContext) async throws -> Response {
        let view = try await job(Self.name(context), type)
        return try Self.json(KuduJob(view, type: type, base: Self.base(of: request), instance: instance, now: Date()), request: request)
    }

    /// `PUT`: the body is a zip (`Content-Type: application/zip`) or one file, named by `Content-Disposition`
    /// either way (Kudu refuses the upload without it). The job is replaced atomically: unlike Kudu, a refused
    /// upload leaves the previous version working.
    func deploy(_ type: Kudu.JobType, _ request: Request, _ context: ErrandRequestContext) async throws -> Response {
        let name = Self.name(context)
        try Names.validateJobName(name)
        guard request.headers[.contentDisposition].flatMap(PackageUpload.fileName(fromContentDisposition:)) != nil else {
            return Self.text(.badRequest, Self.missingContentDisposition)
        }
        let upload = try await PackageUpload.receive(
            request, into: jobs.uploadsDirectory, limit: jobs.configuration.packageLimits.maxArchiveBytes)
        defer { upload.discard() }
        let view = try await jobs.deploy(DeployRequest(name: name, source: upload.source, continuous: type == .continuous))
        return try Self.json(KuduJob(view, type: type, base: Self.base(of: request), instance: instance, now: Date()), request: request)
    }

    /// `DELETE`: 200 whether or not the job existed, as Kudu; a run going is stopped (Kudu deletes the
    /// folder under it). A job of the other type is left alone.
    func remove(_ type: Kudu.JobType, _ context: ErrandRequestContext) async throws -> Response {
        let name = Self.name(context)
        if let view = try? await jobs.job(named: name), Kudu.JobType(kind: view.kind) == type {
            do {
                try await jobs.remove(name, force: true)
            } catch let error as ErrandError where error.code == .notFound {
                // Removed by someone else meanwhile: gone either way.
            }
        }
        return Response(status: .ok)
    }

    func enable(_ start: Bool, _ context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), .continuous).name
        if start {
            _ = try await jobs.enable(name)
        } else {
            _ = try await jobs.disable(name)
        }
        return Response(status: .ok)
    }

    @Sendable func swagger(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let names = try await jobs.list().filter { Kudu.JobType(kind: $0.kind) == .triggered }.map(\.name)
        let origin = Self.origin(of: request)
        return try Self.json(KuduSwagger(jobs: names, scheme: origin.scheme, host: origin.host), request: nil)
    }

    // MARK: - Settings

    /// `GET …/settings`: `settings.job` as stored (`{}` when there is none).
    func settings(_ type: Kudu.JobType, _ context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), type).name
        return try Self.json(JSONValue.object(try await jobs.settings(of: name)), request: nil)
    }

    /// `PUT …/settings`: replaces `settings.job` (200, empty body). Unlike Kudu, values are checked as at
    /// deploy time: a bad value is a 400 instead of being ignored.
    func replaceSettings(_ type: Kudu.JobType, _ request: Request, _ context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), type).name
        let body = try await request.body.collect(upTo: 1 << 20)
        let data = body.readableBytes == 0 ? Data("{}".utf8) : Data(body.readableBytesView)
        _ = try await jobs.replaceSettings(name, with: data)
        return Response(status: .ok)
    }

    // MARK: - Runs

    /// `POST …/run?arguments=…`: 202 with the run's URL in `Location`. The arguments string is split into argv
    /// words by ``CommandLineWords`` (which refuses no string) and never given to a shell; the run also gets it
    /// unchanged as `WEBJOBS_COMMAND_ARGUMENTS`. A run going under overlap `skip` (the default) is Kudu's 409.
    @Sendable func run(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), .triggered).name
        let text = Kudu.queryValue("arguments", in: request.uri.query)
        let arguments = CommandLineWords.split(text ?? "")
        let run: Run
        do {
            run = try await jobs.trigger(
                name, arguments: arguments, trigger: .api, detail: "api \(request.headers[.userAgent] ?? "")", argumentText: text)
        } catch let error as ErrandError where error.code == .conflict {
            return Self.text(.conflict, Self.alreadyRunning)
        }
        let location = "\(Self.base(of: request))/api/triggeredwebjobs/\(name)/history/\(run.id)"
        return Response(status: .accepted, headers: [.location: location])
    }

    /// `GET …/history`: `{"runs": [...]}`, newest first, with an ETag.
    @Sendable func history(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), .triggered).name
        let base = Self.base(of: request)
        let time = Date()
        let runs = try await jobs.history(name).map { KuduRun($0, job: name, base: base, now: time) }
        return try Self.json(KuduHistory(runs: runs), request: request, etag: true)
    }

    @Sendable func historyRun(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let name = try await job(Self.name(context), .triggered).name
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0, let run = try? await reader.run(id: id), run.job == name else {
            throw ErrandError.notFound("job '\(name)' has no run \(text) in its history")
        }
        return try Self.json(KuduRun(run, job: name, base: Self.base(of: request), now: Date()), request: request)
    }

    // MARK: - Helpers

    /// The job, when it is of `type`: each Kudu route sees only its own folder's jobs.
    func job(_ name: String, _ type: Kudu.JobType) async throws -> JobView {
        guard let view = try? await jobs.job(named: name), Kudu.JobType(kind: view.kind) == type else {
            throw ErrandError.notFound("no \(type.rawValue) job named '\(name)'")
        }
        return view
    }

    static func name(_ context: ErrandRequestContext) -> String {
        context.parameters.get("name") ?? ""
    }

    /// `scheme://authority` as the client addressed the daemon (Kudu builds its URLs from the request):
    /// `X-Forwarded-Proto`/`X-Forwarded-Host` from a proxy in front, else the Host header.
    static func base(of request: Request) -> String {
        let origin = origin(of: request)
        return "\(origin.scheme)://\(origin.host)"
    }

    static func origin(of request: Request) -> (scheme: String, host: String) {
        func first(_ name: String) -> String? {
            guard let field = HTTPField.Name(name), let value = request.headers[field] else { return nil }
            let part = value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
            return part?.isEmpty == false ? part : nil
        }
        return (
            first("X-Forwarded-Proto") ?? request.head.scheme ?? "http",
            first("X-Forwarded-Host") ?? request.head.authority ?? "127.0.0.1:7420"
        )
    }

    /// A JSON body (Kudu's field names; nulls written). With `etag`, the body's tag is sent and a matching
    /// `If-None-Match` gets a 304 without a body.
    static func json(_ value: some Encodable, request: Request?, etag: Bool = false) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if etag {
            let tag = Kudu.etag(of: data)
            headers[.eTag] = tag
            if Kudu.matches(ifNoneMatch: request?.headers[.ifNoneMatch], etag: tag) {
                headers[.contentType] = nil
                return Response(status: .notModified, headers: headers)
            }
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message)))
    }
}

/// Kudu's errors are plain text (`StringContent`), not Errand's JSON: the message with the status Errand's
/// error code maps to.
struct KuduErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ErrandError {
            return KuduAPI.text(APIError(error: error).status, error.message)
        } catch let error as HTTPError {
            return KuduAPI.text(error.status, error.body ?? error.status.reasonPhrase)
        } catch is NIOTooManyBytesError {
            return KuduAPI.text(.contentTooLarge, ErrandError.bodyTooLarge(maxJSONBytes: context.maxUploadSize).message)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return KuduAPI.text(.internalServerError, "\(error)")
        }
    }
}
