import ErrandCore
import ErrandHost
import ErrandStore
import ErrandTokens
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP API: `/healthz`, `/api/v1/…` and the OpenAPI document. The CLI and the dashboard use
/// exactly these routes; there is no side door.
public struct ErrandAPI: Sendable {
    let coordinator: RunCoordinator
    /// Reads of runs and output (off the coordinator's actor).
    let reader: RunReader
    /// Named readers that outlive a client's connection (`/api/v1/sessions`).
    let sessionService: SessionService
    let jobs: JobHost
    let instance: String
    /// Whether every route but the open ones needs a token (see ``AccessPolicy``).
    let requireTokens: Bool
    let tokens: TokenAuthority
    /// Signed-in dashboard browsers, whose session cookie stands for their token.
    let sessions: BrowserSessions
    /// The largest JSON body a route decodes (larger: 413).
    let maxBodyBytes: Int
    /// This daemon's fleet, when its store is shared.
    let fleet: FleetMember?

    public init(
        coordinator: RunCoordinator, jobs: JobHost, instance: String, requireTokens: Bool = false, sessions: BrowserSessions? = nil,
        sessionService: SessionService? = nil, maxBodyBytes: Int = ConnectionLimits().maxBodyBytes, fleet: FleetMember? = nil
    ) {
        self.fleet = fleet
        self.coordinator = coordinator
        self.reader = coordinator.reader
        self.sessionService = sessionService ?? SessionService(coordinator: coordinator)
        self.jobs = jobs
        self.instance = instance
        self.requireTokens = requireTokens
        self.tokens = TokenAuthority(store: coordinator.store)
        self.sessions = sessions ?? BrowserSessions(store: coordinator.store)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Longest long poll the server holds open; clients loop for longer waits.
    static let maxPoll: Double = 30
    static let pageLimit = 1000
    /// Chunks per page when streaming a log or events: ≤ 1 MiB of 64 KiB chunks, so a download of a
    /// huge log costs little memory.
    static let streamPage = 16

    public func router() -> Router<ErrandRequestContext> {
        // Paths ignore case, as Kudu's (ASP.NET's) do, so `/api/TriggeredWebJobs/x` works; parameters keep theirs.
        // AccessPolicy matches paths ignoring case too, so another spelling is never a way around a role.
        let router = Router(context: ErrandRequestContext.self, options: .caseInsensitive)
        router.add(middleware: ErrorMiddleware())
        // Tokenless means loopback only (ListenPolicy); a foreign Host is a DNS-rebinding page.
        if !requireTokens { router.add(middleware: LoopbackHostGuard()) }
        router.add(middleware: CrossSiteGuard())
        // Before every route (and before "no such route"): nothing is looked up for a caller without a valid token.
        router.add(middleware: AuthMiddleware(authority: tokens, sessions: sessions, requireTokens: requireTokens))
        router.add(middleware: BodyLimitMiddleware(maxBytes: maxBodyBytes))
        let store = coordinator.store
        router.get("healthz") { _, _ in HealthBody.reporting(store.writeProblem, instance: instance, store: store.location) }
        let api = router.group("api/v1")
        api.get("version") { _, _ in HealthBody(instance: instance, store: store.location) }
        api.get("openapi.yaml") { _, _ in try Self.openAPIDocument() }
        api.post("runs", use: startRun)
        api.post("invocations", use: invoke)
        api.get("runs", use: listRuns)
        api.get("runs/wait", use: waitRuns)
        api.get("runs/:id", use: getRun)
        api.delete("runs/:id", use: removeRun)
        api.post("runs/:id/stop", use: stopRun)
        api.get("runs/:id/output", use: readOutput)
        api.post("runs/:id/receive", use: receiveOutput)
        api.get("runs/:id/log", use: downloadLog)
        api.get("runs/:id/events", use: streamEvents)
        JobsAPI(jobs: jobs).addRoutes(to: api)
        TokensAPI(authority: tokens).addRoutes(to: api)
        SessionsAPI(sessions: sessionService).addRoutes(to: api)
        InstancesAPI(fleet: fleet, coordinator: coordinator).addRoutes(to: api)
        KuduAPI(jobs: jobs, reader: reader, instance: instance).addRoutes(to: router)
        return router
    }

    // MARK: - Runs

    @Sendable func startRun(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<Run> {
        let body = try await request.decode(as: RunRequest.self, context: context).validated()
        // Starting a run in a session counts as using it (as Receive-PSSession connects).
        if let session = body.session { _ = try await sessionService.use(session) }
        let run = try await coordinator.start(body, trigger: .api)
        return EditedResponse(status: .created, response: run)
    }

    /// A fan-out: the parent run, with its children queued for their hosts.
    @Sendable func invoke(_ request: Request, context: ErrandRequestContext) async throws -> EditedResponse<Run> {
        let body = try await request.decode(as: InvokeRequest.self, context: context)
        let agent = request.headers[.userAgent] ?? "unknown"
        let run = try await coordinator.invoke(body, trigger: .api, triggerDetail: "api \(agent)")
        return EditedResponse(status: .created, response: run)
    }

    @Sendable func listRuns(_ request: Request, context: ErrandRequestContext) async throws -> [Run] {
        let query = request.uri.queryParameters
        var filter = RunQuery()
        filter.ids = try query.getAll("id").map { try Self.parseID($0) }
        filter.names = query.getAll("name")
        filter.states = try query.getAll("state").map { text in
            guard let state = RunState(userInput: text) else {
                throw ErrandError.badRequest(
                    "unknown state '\(text)'; states are \(RunState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        filter.hasMoreData = try Self.optionalBool(query.get("hasMoreData"), name: "hasMoreData")
        let maxCount = Int64(InputBounds.maxCount)
        filter.newest = try Self.optionalInt(query.get("newest"), name: "newest", minimum: 0, maximum: maxCount).map(Int.init)
        filter.limit = try Self.optionalInt(query.get("limit"), name: "limit", minimum: 0, maximum: maxCount).map(Int.init)
        filter.before = try Self.optionalInt(query.get("before"), name: "before", minimum: 0)
        filter.after = try Self.optionalInt(query.get("after"), name: "after", minimum: 0)
        filter.parent = try Self.optionalInt(query.get("parent"), name: "parent", minimum: 1)
        // A fan-out's children are listed when asked for, or when they (or their parent) are named by id.
        filter.includeChildren =
            try Self.optionalBool(query.get("includeChildren"), name: "includeChildren")
            ?? (filter.parent != nil || !filter.ids.isEmpty)
        if let session = query.get("session") {
            filter.session = session
            filter.reader = try await sessionService.use(session)
        } else if let reader = query.get("reader") {
            filter.reader = reader
        }
        return try await reader.runs(filter)
    }

    @Sendable func getRun(_ request: Request, context: ErrandRequestContext) async throws -> Run {
        let id = try Self.runID(context)
        return try await reader.run(id: id, reader: SessionsAPI.reader(request.uri.queryParameters, sessions: sessionService))
    }

    @Sendable func removeRun(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let force = try Self.optionalBool(request.uri.queryParameters.get("force"), name: "force") ?? false
        try await coordinator.remove(id: Self.runID(context), force: force)
        return Response(status: .noContent)
    }

    @Sendable func stopRun(_ request: Request, context: ErrandRequestContext) async throws -> Run {
        let grace = try Self.optionalSeconds(
            request.uri.queryParameters.get("grace"), name: "grace", max: InputBounds.maxGraceSeconds)
        return try await coordinator.stop(id: Self.runID(context), grace: grace.map { .seconds($0) })
    }

    @Sendable func waitRuns(_ request: Request, context: ErrandRequestContext) async throws -> WaitBody {
        let query = request.uri.queryParameters
        let ids = try query.getAll("id").map { try Self.parseID($0) }
        guard !ids.isEmpty else { throw ErrandError.badRequest("name at least one run: /api/v1/runs/wait?id=1&id=2") }
        let any = try Self.optionalBool(query.get("any"), name: "any") ?? false
        let timeout = min(try Self.optionalSeconds(query.get("timeout"), name: "timeout") ?? Self.maxPoll, Self.maxPoll)
        let (done, runs) = try await reader.wait(ids: ids, any: any, timeout: .seconds(timeout))
        return WaitBody(done: done, runs: runs)
    }

    // MARK: - Output

    @Sendable func readOutput(_ request: Request, context: ErrandRequestContext) async throws -> OutputPageBody {
        let query = request.uri.queryParameters
        let page = try await reader.output(
            id: Self.runID(context), after: try Self.optionalInt(query.get("after"), name: "after", minimum: 0) ?? 0,
            limit: try Self.limit(query), wait: .seconds(try Self.wait(query)))
        return OutputPageBody(records: page.chunks.map(WireChunk.init), next: page.next, run: page.run)
    }

    @Sendable func receiveOutput(_ request: Request, context: ErrandRequestContext) async throws -> OutputPageBody {
        let query = request.uri.queryParameters
        let page = try await reader.receive(
            id: Self.runID(context), reader: SessionsAPI.reader(query, sessions: sessionService),
            keep: try Self.optionalBool(query.get("keep"), name: "keep") ?? false, limit: try Self.limit(query),
            wait: .seconds(try Self.wait(query)))
        return OutputPageBody(records: page.chunks.map(WireChunk.init), next: page.next, run: page.run)
    }

    /// The whole log as plain bytes, streamed page by page (`follow` goes on until the run ends).
    @Sendable func downloadLog(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let id = try Self.runID(context)
        let query = request.uri.queryParameters
        let follow = try Self.optionalBool(query.get("follow"), name: "follow") ?? false
        let timestamps = try Self.optionalBool(query.get("timestamps"), name: "timestamps") ?? false
        let only = try query.get("stream").map { text in
            guard let channel = OutputChannel(rawValue: text) else {
                throw ErrandError.badRequest("stream must be 'output' or 'error', got '\(text)'")
            }
            return channel
        }
        let run = try await reader.run(id: id)
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        if try Self.optionalBool(query.get("download"), name: "download") ?? false {
            headers[.contentDisposition] = "attachment; filename=\"\(run.name)-\(run.id).log\""
        }
        let reader = self.reader
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var after: Int64 = 0
                var log = PlainLog(timestamps: timestamps)
                while true {
                    let page = try await reader.output(
                        id: id, after: after, limit: Self.streamPage, wait: follow ? .seconds(Self.maxPoll) : .zero)
                    var buffer = ByteBuffer()
                    for chunk in page.chunks where only == nil || chunk.stream == only {
                        buffer.writeBytes(log.render(chunk))
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    after = page.next
                    if page.chunks.isEmpty && (!follow || page.run.state.isFinished) { break }
                }
                try await writer.finish(nil)
            })
    }

    /// Server-Sent Events: `output` events (a chunk, `id` = its seq), `state` events (the run),
    /// and a final `end` event once the run is finished and all its output was sent.
    @Sendable func streamEvents(_ request: Request, context: ErrandRequestContext) async throws -> Response {
        let id = try Self.runID(context)
        let query = request.uri.queryParameters
        let start =
            try Self.optionalInt(query.get("after") ?? request.headers[HTTPField.Name("Last-Event-ID")!], name: "after", minimum: 0) ?? 0
        _ = try await reader.run(id: id)
        let reader = self.reader
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let encoder = JSONCoding.encoder()
                var after = start
                var lastState: RunState?
                while true {
                    let page = try await reader.output(id: id, after: after, limit: Self.streamPage, wait: .seconds(15))
                    var text = ""
                    if page.run.state != lastState {
                        lastState = page.run.state
                        text += "event: state\ndata: \(String(decoding: try encoder.encode(page.run), as: UTF8.self))\n\n"
                    }
                    for chunk in page.chunks {
                        let json = String(decoding: try encoder.encode(WireChunk(chunk)), as: UTF8.self)
                        text += "event: output\nid: \(chunk.seq)\ndata: \(json)\n\n"
                    }
                    after = page.next
                    let ended = page.chunks.isEmpty && page.run.state.isFinished
                    if ended { text += "event: end\ndata: {}\n\n" }
                    if text.isEmpty { text = ": keep-alive\n\n" }
                    try await writer.write(ByteBuffer(string: text))
                    if ended { break }
                }
                try await writer.finish(nil)
            })
    }

    // MARK: - OpenAPI

    static func openAPIDocument() throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let data = FileManager.default.contents(atPath: url.path)
        else { throw ErrandError(.internal, "the OpenAPI document is missing from this build") }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: - Parameters

    static func runID(_ context: ErrandRequestContext) throws -> Int64 {
        try parseID(context.parameters.get("id") ?? "")
    }

    static func parseID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw ErrandError.badRequest("'\(text)' is not a run id (a positive integer)") }
        return id
    }

    static func optionalBool(_ text: String?, name: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw ErrandError.badRequest("\(name) must be true or false, got '\(text)'")
        }
    }

    /// A whole number from a query string, at least `minimum`. Ids and sequence numbers may reach
    /// `Int64.max`; counts pass `maximum` (``InputBounds/maxCount``).
    static func optionalInt(_ text: String?, name: String, minimum: Int64, maximum: Int64 = .max) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= minimum, value <= maximum else {
            let range = maximum == .max ? "≥ \(minimum)" : "from \(minimum) to \(maximum)"
            throw ErrandError.badRequest("\(name) must be a whole number \(range), got '\(text)'")
        }
        return value
    }

    /// Seconds from a query string, checked by ``InputBounds``. Long-poll waits may ask for any time up to
    /// a year and are cut to ``maxPoll`` by the caller; clients loop for longer.
    static func optionalSeconds(_ text: String?, name: String, max: Double = InputBounds.maxTimeoutSeconds) throws -> Double? {
        guard let text else { return nil }
        guard let value = Double(text) else {
            throw ErrandError.badRequest("\(name) must be a number of seconds, got '\(text)'")
        }
        return try InputBounds.seconds(value, field: name, max: max)
    }

    static func limit(_ query: Parameters) throws -> Int {
        Int(min(try optionalInt(query.get("limit"), name: "limit", minimum: 1) ?? Int64(pageLimit), Int64(pageLimit)))
    }

    static func wait(_ query: Parameters) throws -> Double {
        min(try optionalSeconds(query.get("wait"), name: "wait") ?? 0, maxPoll)
    }
}
