import ErrandCore
import ErrandDaemon
import ErrandHost
import ErrandJobs
import ErrandServer
import ErrandStore
import ErrandTokens
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Access policy: which role each route needs")
struct AccessPolicyTests {
    @Test(
        "routes map to roles; unknown writes are admin-only",
        arguments: [
            (HTTPRequest.Method.get, "/healthz", nil),
            (.get, "/api/v1/version", nil),
            (.get, "/api/v1/openapi.yaml", nil),
            (.get, "/api/v1/runs", TokenRole.reader),
            (.get, "/api/v1/runs/7/output", .reader),
            (.get, "/api/v1/runs/7/events", .reader),
            (.get, "/api/v1/jobs/backup/history", .reader),
            (.get, "/api/v1/jobs/backup/settings", .reader),
            (.post, "/api/v1/runs/7/receive", .reader),
            (.post, "/api/v1/runs", .operator),
            (.post, "/api/v1/runs/", .operator),
            (.delete, "/api/v1/runs/7", .operator),
            (.post, "/api/v1/runs/7/stop", .operator),
            (.post, "/api/v1/jobs/backup/trigger", .operator),
            (.post, "/api/v1/jobs/backup/start", .operator),
            (.post, "/api/v1/jobs/backup/stop", .operator),
            (.post, "/api/triggeredwebjobs/backup/run", .operator),
            (.post, "/api/continuouswebjobs/worker/stop", .operator),
            (.post, "/api/jobs/triggered/backup/run", .operator),
            (.get, "/api/triggeredwebjobs/backup/history", .reader),
            (.put, "/api/v1/jobs/backup", .admin),
            (.delete, "/api/v1/jobs/backup", .admin),
            (.put, "/api/v1/jobs/backup/settings", .admin),
            (.put, "/api/triggeredwebjobs/backup", .admin),
            (.post, "/api/triggeredwebjobs/backup/stop", .admin),
            (.get, "/api/v1/tokens", .admin),
            (.post, "/api/v1/tokens", .admin),
            (.delete, "/api/v1/tokens/ci", .admin),
            (.post, "/api/v1/something-new", .admin),
            (.get, "/", .reader),
            (.get, "/static/app.js", nil),
            (.get, "/sign-in", nil),
            (.post, "/sign-in", nil),
            (.post, "/sign-out", nil),
            (.get, "/jobs/backup/delete", .reader),
            (.post, "/jobs/backup/run", .operator),
            (.post, "/runs/7/remove", .operator),
            (.post, "/jobs/backup/delete", .admin),
            // Routes ignore case (Kudu's do), so the policy does too: another spelling is never a way around it.
            (.get, "/API/V1/Tokens", .admin),
            (.delete, "/Api/v1/TOKENS/ci", .admin),
            (.post, "/api/TriggeredWebJobs/backup/Run", .operator),
            (.post, "/API/ContinuousWebJobs/worker/STOP", .operator),
            (.post, "/API/V1/RUNS/7/Receive", .reader),
            (.get, "/HEALTHZ", nil),
        ])
    func roles(method: HTTPRequest.Method, path: String, role: TokenRole?) {
        #expect(AccessPolicy.requiredRole(method: method, path: path) == role)
    }

    @Test("roles are ordered reader < operator < admin")
    func ordering() {
        #expect(TokenRole.reader < .operator && TokenRole.operator < .admin)
        #expect(TokenRole.allCases.max() == .admin)
    }
}

@Suite("Token secrets")
struct TokenSecretTests {
    @Test("a new secret has a public prefix, 256 random bits, and verifies only against its own hash")
    func generate() {
        let (secret, prefix) = TokenSecret.generate()
        let (other, otherPrefix) = TokenSecret.generate()
        #expect(secret != other && prefix != otherPrefix)
        #expect(secret.hasPrefix(prefix + "_"))
        #expect(secret.count == prefix.count + 1 + 43)
        #expect(TokenSecret.prefix(of: secret) == prefix)
        let hash = TokenSecret.hash(secret)
        #expect(hash.count == 64 && !hash.contains(secret))
        #expect(TokenSecret.verify(secret, against: hash))
        #expect(!TokenSecret.verify(other, against: hash))
        #expect(!TokenSecret.verify(secret + "x", against: hash))
        #expect(!TokenSecret.verify(secret, against: ""))
    }

    @Test("SHA-256 is the hash (a known vector)")
    func knownVector() {
        #expect(TokenSecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(
        "malformed secrets have no prefix",
        arguments: [
            "", "errand_", "errand_abc_x", "errand_0123456789ab", "errand_0123456789ab_", "other_0123456789ab_x", "errand_0123456789zz_x",
        ])
    func malformed(_ secret: String) {
        #expect(TokenSecret.prefix(of: secret) == nil)
    }

    @Test(
        "the Authorization header carries the secret as Bearer or as Basic auth's password",
        arguments: [
            ("Bearer s3cret", "s3cret"),
            ("bearer   s3cret ", "s3cret"),
            ("Basic " + Data("user:s3cret".utf8).base64EncodedString(), "s3cret"),
            ("Basic " + Data(":s3cret".utf8).base64EncodedString(), "s3cret"),
            ("Basic " + Data("user:".utf8).base64EncodedString(), nil),
            ("Basic not-base64!", nil),
            ("Bearer", nil),
            ("Digest abc", nil),
        ])
    func authorization(header: String, secret: String?) {
        #expect(TokenSecret.fromAuthorization(header) == secret)
    }
}

@Suite("Listen policy")
struct ListenPolicyTests {
    @Test("loopback addresses", arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1", "LOCALHOST"])
    func loopback(_ host: String) throws {
        #expect(ListenPolicy.isLoopback(host))
        try ListenPolicy(host: host, port: 7420, requireTokens: false, tls: false, insecureHTTP: false).check()
    }

    @Test("other addresses", arguments: ["0.0.0.0", "::", "10.0.0.5", "example.com", "128.0.0.1", "127.0.0", "127.0.0.1.5"])
    func notLoopback(_ host: String) {
        #expect(!ListenPolicy.isLoopback(host))
    }

    @Test("elsewhere: tokens are a must, then TLS or an explicit --insecure-http")
    func elsewhere() throws {
        let noTokens = #expect(throws: ErrandError.self) {
            try ListenPolicy(host: "0.0.0.0", port: 7420, requireTokens: false, tls: true, insecureHTTP: true).check()
        }
        #expect(noTokens?.message.contains("--require-tokens") == true)
        #expect(noTokens?.message.contains("0.0.0.0:7420") == true)
        let plain = #expect(throws: ErrandError.self) {
            try ListenPolicy(host: "::", port: 7420, requireTokens: true, tls: false, insecureHTTP: false).check()
        }
        #expect(plain?.message.contains("--tls-cert FILE --tls-key FILE") == true)
        #expect(plain?.message.contains("--insecure-http") == true)
        #expect(plain?.message.contains("[::]:7420") == true)
        try ListenPolicy(host: "0.0.0.0", port: 7420, requireTokens: true, tls: true, insecureHTTP: false).check()
        try ListenPolicy(host: "0.0.0.0", port: 7420, requireTokens: true, tls: false, insecureHTTP: true).check()
    }
}

@Suite("Authorization middleware", .timeLimit(.minutes(2)))
struct AuthMiddlewareTests {
    /// Runs `body` against the router of a daemon that requires tokens (or not), with a token of each role.
    func withAPI(
        requireTokens: Bool = true, _ body: @Sendable (any TestClientProtocol, [TokenRole: String]) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = DaemonConfiguration(dataDirectory: directory.path)
        configuration.host = HostConfiguration(instanceName: "auth-test")
        configuration.requireTokens = requireTokens
        let daemon = try Daemon(configuration: configuration, store: try SQLiteStore(path: configuration.dataDirectory + "/errand.sqlite"))
        try await daemon.prepare()
        let authority = TokenAuthority(store: daemon.store)
        var secrets: [TokenRole: String] = [:]
        for role in TokenRole.allCases {
            secrets[role] = try await authority.issue(name: role.rawValue, role: role).secret
        }
        let issued = secrets
        try await Application(router: daemon.router, services: daemon.services).test(.router) { client in try await body(client, issued) }
    }

    static func bearer(_ secret: String?) -> HTTPFields {
        guard let secret else { return [:] }
        return [.authorization: "Bearer \(secret)"]
    }

    static let startBody = ByteBuffer(string: #"{"argv":["true"]}"#)

    static func errorCode(_ response: TestResponse) -> String? {
        try? JSONCoding.decoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error.code.rawValue
    }

    @Test("no token or a wrong one: 401 with a JSON error and a Bearer challenge, before any lookup")
    func unauthorized() async throws {
        try await withAPI { client, secrets in
            let forged = TokenSecret.generate().secret
            let revokedLooking = secrets[.admin]!.dropLast() + "x"
            for header in [nil, forged, String(revokedLooking), "not-a-token"] {
                for (method, path) in [
                    (HTTPRequest.Method.get, "/api/v1/runs/999"), (.get, "/api/v1/jobs/nope"), (.get, "/api/v1/no-such-route"),
                    (.post, "/api/v1/runs"),
                    // Not a 405 either: which methods a route has is not told before the token is checked.
                    (.trace, "/api/v1/runs"),
                ] {
                    try await client.execute(uri: path, method: method, headers: Self.bearer(header)) { response in
                        #expect(response.status == .unauthorized, "\(method) \(path)")
                        #expect(Self.errorCode(response) == "unauthorized")
                        #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="errand""#)
                    }
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
            // A page without credentials sends the browser to sign in; a wrong token still gets the Basic challenge.
            try await client.execute(uri: "/runs?state=Failed", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in?next=/runs%3Fstate%3DFailed")
            }
            try await client.execute(uri: "/", method: .get, headers: Self.bearer(forged)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[values: .wwwAuthenticate].contains { $0.hasPrefix("Basic") })
            }
        }
    }

    @Test("a reader reads but may not start (403); an operator starts; only an admin manages tokens")
    func roles() async throws {
        try await withAPI { client, secrets in
            try await client.execute(uri: "/api/v1/runs", method: .get, headers: Self.bearer(secrets[.reader])) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/runs/999", method: .get, headers: Self.bearer(secrets[.reader])) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: "/api/v1/runs", method: .post, headers: Self.bearer(secrets[.reader]).merging([.contentType: "application/json"]),
                body: Self.startBody
            ) { response in
                #expect(response.status == .forbidden)
                #expect(Self.errorCode(response) == "forbidden")
            }
            try await client.execute(
                uri: "/api/v1/runs", method: .post, headers: Self.bearer(secrets[.operator]).merging([.contentType: "application/json"]),
                body: Self.startBody
            ) { response in #expect(response.status == .created) }
            try await client.execute(uri: "/api/v1/tokens", method: .get, headers: Self.bearer(secrets[.operator])) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/jobs/backup", method: .delete, headers: Self.bearer(secrets[.operator])) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/tokens", method: .get, headers: Self.bearer(secrets[.admin])) { response in
                #expect(response.status == .ok)
                let tokens = try JSONCoding.decoder().decode([TokenInfo].self, from: Data(response.body.readableBytesView))
                #expect(tokens.map(\.name) == ["admin", "operator", "reader"])
                let text = String(buffer: response.body)
                #expect(!secrets.values.contains { text.contains($0) })
            }
            let basic = "Basic " + Data("anyone:\(secrets[.reader]!)".utf8).base64EncodedString()
            try await client.execute(uri: "/api/webjobs", method: .get, headers: [.authorization: basic]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("an admin creates and revokes tokens through the API; a revoked token is refused at once")
    func tokenRoutes() async throws {
        try await withAPI { client, secrets in
            let admin = Self.bearer(secrets[.admin]).merging([.contentType: "application/json"])
            let created = try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: admin, body: ByteBuffer(string: #"{"name":"ci","role":"operator"}"#)
            ) { response in
                #expect(response.status == .created)
                return try JSONCoding.decoder().decode(CreatedToken.self, from: Data(response.body.readableBytesView))
            }
            #expect(created.token.role == .operator && created.secret.hasPrefix(created.token.prefix))
            try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: admin, body: ByteBuffer(string: #"{"name":"ci","role":"reader"}"#)
            ) { response in #expect(response.status == .conflict) }
            try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: admin, body: ByteBuffer(string: #"{"name":"bad name","role":"reader"}"#)
            ) { response in #expect(response.status == .badRequest) }
            try await client.execute(uri: "/api/v1/runs", method: .get, headers: Self.bearer(created.secret)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/tokens/ci", method: .delete, headers: admin) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/tokens/ci", method: .delete, headers: admin) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/runs", method: .get, headers: Self.bearer(created.secret)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("without --require-tokens everything is open, tokens or not")
    func open() async throws {
        try await withAPI(requireTokens: false) { client, _ in
            try await client.execute(uri: "/api/v1/runs", method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/api/v1/tokens", method: .get, headers: Self.bearer("garbage")) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

extension HTTPFields {
    fileprivate func merging(_ other: HTTPFields) -> HTTPFields {
        var fields = self
        fields.append(contentsOf: other)
        return fields
    }
}
