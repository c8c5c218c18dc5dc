import AsyncHTTPClient
import ErrandCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A typed client of the daemon's HTTP API, used by the CLI (and later by remote jobs).
/// Every failure is an ``ErrandError`` with a message a user can act on.
public struct ErrandClient: Sendable {
    public let baseURL: String
    /// The API token sent as `Authorization: Bearer …` (nil: none).
    let token: String?
    /// A PEM file of certificates to trust for an https daemon, instead of the system's roots.
    let caFile: String?

    public init(baseURL: String, token: String? = nil, caFile: String? = nil) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.caFile = caFile.flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: - Runs

    public func health() async throws -> HealthBody {
        try await send(.GET, "/healthz", timeout: .seconds(5))
    }

    public func start(_ request: RunRequest) async throws -> Run {
        try await send(.POST, "/api/v1/runs", body: request)
    }

    public func runs(_ query: [(String, String)] = []) async throws -> [Run] {
        try await send(.GET, "/api/v1/runs", query: query)
    }

    public func run(id: Int64) async throws -> Run {
        try await send(.GET, "/api/v1/runs/\(id)")
    }

    public func remove(id: Int64, force: Bool) async throws {
        let _: Empty = try await send(.DELETE, "/api/v1/runs/\(id)", query: force ? [("force", "true")] : [])
    }

    public func stop(id: Int64, grace: Double?) async throws -> Run {
        try await send(
            .POST, "/api/v1/runs/\(id)/stop", query: grace.map { [("grace", String($0))] } ?? [],
            timeout: .seconds(Int64((grace ?? 10) + 30)))
    }

    /// One long poll of at most `timeout` seconds (the server caps it at 30).
    public func wait(ids: [Int64], any: Bool, timeout: Double) async throws -> WaitBody {
        var query = ids.map { ("id", String($0)) }
        query.append(("any", String(any)))
        query.append(("timeout", String(timeout)))
        return try await send(.GET, "/api/v1/runs/wait", query: query, timeout: .seconds(Int64(timeout) + 30))
    }

    public func output(id: Int64, after: Int64, wait: Double = 0) async throws -> OutputPageBody {
        try await send(
            .GET, "/api/v1/runs/\(id)/output", query: [("after", String(after)), ("wait", String(wait))],
            timeout: .seconds(Int64(wait) + 30))
    }

    public func receive(id: Int64, reader: String = "", keep: Bool, wait: Double = 0) async throws -> OutputPageBody {
        var query = [("keep", String(keep)), ("wait", String(wait))]
        if !reader.isEmpty { query.append(("reader", reader)) }
        return try await send(.POST, "/api/v1/runs/\(id)/receive", query: query, timeout: .seconds(Int64(wait) + 30))
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

    // MARK: - Transport

    /// One HTTP client for the process. A refused connection fails at once instead of being
    /// retried until the request's deadline (AsyncHTTPClient's default), so "no daemon" is quick.
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// One HTTP client per custom CA file, kept for the life of the process like ``http``.
    private static let trusting = Mutex<[String: HTTPClient]>([:])

    private func httpClient() throws -> HTTPClient {
        guard let caFile else { return Self.http }
        return try Self.trusting.withLock { clients in
            if let client = clients[caFile] { return client }
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw ErrandError.badRequest("cannot read the CA file \(caFile) (from --ca-file or ERRAND_CA_FILE)")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(5)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile] = client
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
            throw ErrandError(.unreachable, "no daemon answers at \(baseURL) (\(cause)); start one with `errand serve`")
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
