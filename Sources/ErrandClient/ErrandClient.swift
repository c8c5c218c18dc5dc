import AsyncHTTPClient
import ErrandCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A typed client of the daemon's HTTP API, used by the CLI and by a daemon fanning out to others.
/// Every failure is an ``ErrandError`` with a message a user can act on.
public struct ErrandClient: Sendable {
    public let baseURL: String
    /// The API token sent as `Authorization: Bearer …` (nil: none).
    let token: String?
    /// A PEM file of certificates to trust for an https daemon, instead of the system's roots.
    let caFile: String?
    /// PEM certificates to trust, given as text (a fan-out's host, sent by the client that named it).
    let caCertificates: String?

    public init(baseURL: String, token: String? = nil, caFile: String? = nil, caCertificates: String? = nil) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.caFile = caFile.flatMap { $0.isEmpty ? nil : $0 }
        self.caCertificates = caCertificates.flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: - Runs

    public func health() async throws -> HealthBody {
        try await send(.GET, "/healthz", timeout: .seconds(5))
    }

    public func start(_ request: RunRequest) async throws -> Run {
        try await send(.POST, "/api/v1/runs", body: request)
    }

    /// Fans a command out to other hosts: returns the parent run, created in the daemon asked.
    public func invoke(_ request: InvokeRequest) async throws -> Run {
        do {
            return try await send(.POST, "/api/v1/invocations", body: request)
        } catch let error as ErrandError where error.code == .notFound {
            throw ErrandError(.notFound, "the daemon at \(baseURL) cannot fan out (it is older than this client): \(error.message)")
        }
    }

    public func runs(_ query: [(String, String)] = []) async throws -> [Run] {
        try await send(.GET, "/api/v1/runs", query: query)
    }

    public func run(id: Int64, session: String? = nil) async throws -> Run {
        try await send(.GET, "/api/v1/runs/\(id)", query: session.map { [("session", $0)] } ?? [])
    }

    public func remove(id: Int64, force: Bool) async throws {
        let _: Empty = try await send(.DELETE, "/api/v1/runs/\(id)", query: force ? [("force", "true")] : [])
    }

    public func stop(id: Int64, grace: Double?) async throws -> Run {
        try await send(
            .POST, "/api/v1/runs/\(id)/stop", query: grace.map { [("grace", String($0))] } ?? [],
            timeout: Self.pollTimeout(grace ?? 10))
    }

    /// How long to wait for the answer to a request the server may hold for `seconds`: that plus 30 s,
    /// computed without a trap whatever the caller passed (the daemon refuses what is out of range).
    static func pollTimeout(_ seconds: Double) -> TimeAmount {
        let held = seconds.isFinite ? min(max(seconds, 0), InputBounds.maxTimeoutSeconds) : 0
        return .seconds(Int64(held) + 30)
    }

    /// One long poll of at most `timeout` seconds (the server caps it at 30).
    public func wait(ids: [Int64], any: Bool, timeout: Double) async throws -> WaitBody {
        var query = ids.map { ("id", String($0)) }
        query.append(("any", String(any)))
        query.append(("timeout", String(timeout)))
        return try await send(.GET, "/api/v1/runs/wait", query: query, timeout: Self.pollTimeout(timeout))
    }

    /// Output after `after`; at most `limit` records (the daemon's default: 1,000) per page.
    public func output(id: Int64, after: Int64, wait: Double = 0, limit: Int? = nil) async throws -> OutputPageBody {
        var query = [("after", String(after)), ("wait", String(wait))]
        if let limit { query.append(("limit", String(limit))) }
        return try await send(.GET, "/api/v1/runs/\(id)/output", query: query, timeout: Self.pollTimeout(wait))
    }

    public func receive(
        id: Int64, reader: String = "", session: String? = nil, keep: Bool, wait: Double = 0
    ) async throws -> OutputPageBody {
        var query = [("keep", String(keep)), ("wait", String(wait))]
        if !reader.isEmpty { query.append(("reader", reader)) }
        if let session { query.append(("session", session)) }
        return try await send(.POST, "/api/v1/runs/\(id)/receive", query: query, timeout: Self.pollTimeout(wait))
    }

    // MARK: - Sessions

    public func createSession(_ request: SessionRequest) async throws -> SessionView {
        try await send(.POST, "/api/v1/sessions", body: request)
    }

    public func sessions() async throws -> [SessionView] {
        try await send(.GET, "/api/v1/sessions")
    }

    public func session(_ name: String) async throws -> SessionView {
        try await send(.GET, "/api/v1/sessions/\(try Self.sessionPath(name))")
    }

    public func connectSession(_ name: String) async throws -> SessionView {
        try await send(.POST, "/api/v1/sessions/\(try Self.sessionPath(name))/connect")
    }

    public func disconnectSession(_ name: String) async throws -> SessionView {
        try await send(.POST, "/api/v1/sessions/\(try Self.sessionPath(name))/disconnect")
    }

    public func removeSession(_ name: String, stopRuns: Bool) async throws {
        let _: Empty = try await send(
            .DELETE, "/api/v1/sessions/\(try Self.sessionPath(name))", query: stopRuns ? [("stopRuns", "true")] : [])
    }

    /// A session name checked before it goes into a path (it never needs escaping then).
    static func sessionPath(_ name: String) throws -> String {
        try Names.validate(name, what: "session name")
        return name
    }

    /// Streams the run's plain log to `sink` as it arrives.
    public func log(
        id: Int64, follow: Bool, timestamps: Bool, sink: (ByteBuffer) async throws -> Void
    ) async throws {
        let request = makeRequest(
            .GET, "/api/v1/runs/\(id)/log", query: [("follow", String(follow)), ("timestamps", String(timestamps))])
        let response = try await execute(request, timeout: follow ? .hours(24 * 365) : .minutes(30))
        guard response.status.code < 300 else { throw try await Self.error(from: response) }
        for try await buffer in response.body { try await sink(buffer) }
    }

    // MARK: - Tokens

    public func createToken(name: String, role: TokenRole) async throws -> CreatedToken {
        try await send(.POST, "/api/v1/tokens", body: NewTokenRequest(name: name, role: role))
    }

    public func tokens() async throws -> [TokenInfo] {
        try await send(.GET, "/api/v1/tokens")
    }

    public func revokeToken(name: String) async throws {
        let _: Empty = try await send(.DELETE, "/api/v1/tokens/\(Self.pathSegment(name))")
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    // MARK: - Jobs

    /// Deploys (or replaces) a job from a package file: a zip, or one script (`fileName` set, sent with
    /// `Content-Disposition` as Kudu does). The file is streamed, never read into memory whole.
    /// `created` is false when an existing job was replaced.
    public func deployJob(
        _ name: String, package: URL, fileName: String? = nil, options: JobDeployOptions
    ) async throws -> (job: JobView, created: Bool) {
        var query = [("kind", options.continuous ? "continuous" : "triggered")]
        if let schedule = options.schedule { query.append(("schedule", schedule)) }
        if let recurrence = options.recurrence { query.append(("recurrence", recurrence)) }
        if let settings = options.settings { query.append(("settings", settings)) }
        if options.replace { query.append(("replace", "true")) }
        var request = makeRequest(.PUT, try Self.jobPath(name), query: query)
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: package.path)
            size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw ErrandError.badRequest("cannot read \(package.path): \(error.localizedDescription)")
        }
        if let fileName {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            // A quote, backslash or control character would end or break the header: they become '_'.
            let safe = String(fileName.unicodeScalars.map { $0 == "\"" || $0 == "\\" || $0.value < 0x20 ? "_" : Character($0) })
            request.headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(safe)\"")
        } else {
            request.headers.add(name: "Content-Type", value: "application/zip")
        }
        request.body = .stream(try FileChunks(url: package), length: .known(size))
        let response = try await execute(request, timeout: .minutes(30))
        let data = try await Self.collect(response)
        guard response.status.code < 300 else { throw Self.error(status: response.status, body: data) }
        return (try decode(JobView.self, from: data), response.status == .created)
    }

    public func jobs() async throws -> [JobView] {
        try await send(.GET, "/api/v1/jobs")
    }

    /// The daemons of the fleet the daemon belongs to (itself alone without one).
    public func instances() async throws -> [InstanceRecord] {
        try await send(.GET, "/api/v1/instances")
    }

    public func job(_ name: String) async throws -> JobView {
        try await send(.GET, try Self.jobPath(name))
    }

    /// Runs a triggered or scheduled job now; `arguments` reach the entry point as separate argv elements.
    public func trigger(job name: String, arguments: [String]) async throws -> Run {
        try await send(.POST, try Self.jobPath(name) + "/trigger", body: TriggerRequest(arguments: arguments))
    }

    /// Enables a continuous job (starts it) or a scheduled one (resumes its schedule).
    public func startJob(_ name: String) async throws -> JobView {
        try await send(.POST, try Self.jobPath(name) + "/start", timeout: .minutes(10))
    }

    /// Disables a continuous job (graceful stop: shutdown file, SIGTERM, SIGKILL after its
    /// `stopping_wait_time`) or pauses a schedule. Returns once the run ended.
    public func stopJob(_ name: String) async throws -> JobView {
        try await send(.POST, try Self.jobPath(name) + "/stop", timeout: .hours(2))
    }

    /// The job's runs, newest first.
    public func jobHistory(_ name: String, limit: Int? = nil) async throws -> [Run] {
        try await send(.GET, try Self.jobPath(name) + "/history", query: limit.map { [("limit", String($0))] } ?? [])
    }

    /// `settings.job` as stored, unknown keys included.
    public func jobSettings(_ name: String) async throws -> [String: JSONValue] {
        try await send(.GET, try Self.jobPath(name) + "/settings")
    }

    /// Replaces `settings.job` (JSON text); checked by the daemon exactly as at deploy time.
    public func replaceJobSettings(_ name: String, json: Data) async throws -> JobView {
        var request = makeRequest(.PUT, try Self.jobPath(name) + "/settings")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: json))
        let response = try await execute(request, timeout: .hours(2))
        let data = try await Self.collect(response)
        guard response.status.code < 300 else { throw Self.error(status: response.status, body: data) }
        return try decode(JobView.self, from: data)
    }

    /// Deletes a job with its history, output and data folder; `force` stops a run going first.
    public func removeJob(_ name: String, force: Bool) async throws {
        let _: Empty = try await send(
            .DELETE, try Self.jobPath(name), query: force ? [("force", "true")] : [], timeout: .hours(2))
    }

    /// The job's path. Names are checked here too (the daemon's rule, ``Names``), so a slash or a dot can never
    /// reach another route.
    static func jobPath(_ name: String) throws -> String {
        try Names.validateJobName(name)
        return "/api/v1/jobs/" + name
    }

    // MARK: - Transport

    /// One HTTP client for the process. A refused connection fails at once instead of being
    /// retried until the request's deadline (AsyncHTTPClient's default), so "no daemon" is quick.
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// One HTTP client per set of trusted certificates (a CA file, or PEM text), kept for the life
    /// of the process like ``http``.
    private static let trusting = Mutex<[String: HTTPClient]>([:])

    private func httpClient() throws -> HTTPClient {
        let key: String
        let roots: () throws -> NIOSSLTrustRoots
        if let caCertificates {
            key = "pem:" + caCertificates
            roots = {
                do {
                    return .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificates.utf8)))
                } catch {
                    throw ErrandError.badRequest("the CA certificates given for \(baseURL) are not PEM certificates: \(error)")
                }
            }
        } else if let caFile {
            key = "file:" + caFile
            roots = {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw ErrandError.badRequest("cannot read the CA file \(caFile) (from --ca-file or ERRAND_CA_FILE)")
                }
                return .file(caFile)
            }
        } else {
            return Self.http
        }
        return try Self.trusting.withLock { clients in
            if let client = clients[key] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = try roots()
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(5)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    private struct Empty: Codable {}

    private func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)] = []) -> HTTPClientRequest {
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query.map { URLQueryItem(name: $0.0, value: $0.1) }
        let encodedQuery = components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? ""
        var request = HTTPClientRequest(url: baseURL + path + encodedQuery)
        request.method = method
        request.headers.add(name: "User-Agent", value: "errand/\(ErrandVersion.current)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    private func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], timeout: TimeAmount = .seconds(60)
    ) async throws -> Response {
        try await send(method, path, query: query, body: Empty?.none, timeout: timeout)
    }

    private func send<Body: Encodable, Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Body?,
        timeout: TimeAmount = .seconds(60)
    ) async throws -> Response {
        var request = makeRequest(method, path, query: query)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONCoding.encoder().encode(body)))
        }
        let response = try await execute(request, timeout: timeout)
        let data = try await Self.collect(response)
        guard response.status.code < 300 else { throw Self.error(status: response.status, body: data) }
        if Response.self == Empty.self { return Empty() as! Response }
        return try decode(Response.self, from: data)
    }

    private func decode<Response: Decodable>(_ type: Response.Type, from data: Data) throws -> Response {
        do {
            return try JSONCoding.decoder().decode(Response.self, from: data)
        } catch {
            throw ErrandError(.internal, "the daemon at \(baseURL) sent an answer this client cannot read: \(error)")
        }
    }

    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            return try await httpClient().execute(request, timeout: timeout)
        } catch let error as ErrandError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw ErrandError(.unreachable, "the daemon at \(baseURL) did not answer in time")
        } catch {
            let description = "\(error)"
            if error is NIOSSLError || error is BoringSSLError || description.contains("SSL") || description.contains("certificate") {
                throw ErrandError(
                    .unreachable,
                    "TLS with the daemon at \(baseURL) failed (\(description)); if it uses its own certificate, trust it with `errand host add NAME URL --ca-file FILE` or ERRAND_CA_FILE"
                )
            }
            let cause = description.contains("Connection refused") ? "connection refused" : description
            throw ErrandError(.unreachable, "no daemon answers at \(baseURL) (\(cause)); start one there with `errand serve`")
        }
    }

    private static func collect(_ response: HTTPClientResponse) async throws -> Data {
        let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
        return Data(buffer.readableBytesView)
    }

    private static func error(from response: HTTPClientResponse) async throws -> ErrandError {
        error(status: response.status, body: try await collect(response))
    }

    private static func error(status: HTTPResponseStatus, body: Data) -> ErrandError {
        if let decoded = try? JSONCoding.decoder().decode(ErrorBody.self, from: body) { return decoded.error }
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return ErrandError(.internal, "the daemon answered \(status.code) \(status.reasonPhrase)\(text.isEmpty ? "" : ": \(text)")")
    }
}

/// How `ErrandClient.deployJob` deploys: the kind, and what replaces the package's own settings.
public struct JobDeployOptions: Sendable {
    public var continuous: Bool
    /// A cron expression (makes a triggered job scheduled).
    public var schedule: String?
    /// A recurrence object as JSON text.
    public var recurrence: String?
    /// `settings.job` as JSON text.
    public var settings: String?
    /// Replace a job of the other kind under this name (remove it, then deploy) instead of refusing.
    public var replace: Bool

    public init(
        continuous: Bool, schedule: String? = nil, recurrence: String? = nil, settings: String? = nil, replace: Bool = false
    ) {
        self.replace = replace
        self.continuous = continuous
        self.schedule = schedule
        self.recurrence = recurrence
        self.settings = settings
    }
}

/// A file read in 64 KiB chunks as the request body asks for them, so a package of any size is sent
/// without being held in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let url: URL

    init(url: URL) throws {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ErrandError.badRequest("cannot read \(url.path)")
        }
        self.url = url
    }

    func makeAsyncIterator() -> Iterator { Iterator(handle: try? FileHandle(forReadingFrom: url), path: url.path) }

    struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let path: String

        mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw ErrandError.badRequest("cannot read \(path)") }
            guard let data = try handle.read(upToCount: 1 << 16), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }
}

/// The client is how one daemon reaches another in a fan-out.
extension ErrandClient: RemoteDaemon {
    /// Makes a client per fan-out host: the connector the composition root gives the host.
    public static let connector: RemoteDaemonConnector = { url, token, caCertificates in
        ErrandClient(baseURL: url, token: token, caCertificates: caCertificates)
    }
}
