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

@testable import ErrandDashboard

@Suite("Dashboard sign-in through the router", .timeLimit(.minutes(2)))
struct SignInTests {
    static let csrf = "test-token-0123456789"

    /// What a test gets: the client, the coordinator, a token secret of each role, and the token authority.
    struct World: Sendable {
        var client: any TestClientProtocol
        var coordinator: RunCoordinator
        var secrets: [TokenRole: String]
        var authority: TokenAuthority
    }

    /// The daemon's router (API + dashboard) requiring tokens, with sign-in, on a fresh SQLite file.
    func withDaemon(secureCookie: Bool = false, _ body: @Sendable (World) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-signin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = DaemonConfiguration(dataDirectory: directory.path)
        configuration.host = HostConfiguration(instanceName: "signin-test")
        configuration.requireTokens = true
        let daemon = try Daemon(
            configuration: configuration, store: try SQLiteStore(path: configuration.dataDirectory + "/errand.sqlite"),
            dashboardToken: Self.csrf,
            secureCookies: secureCookie)
        try await daemon.prepare()
        let authority = TokenAuthority(store: daemon.store)
        var secrets: [TokenRole: String] = [:]
        for role in TokenRole.allCases { secrets[role] = try await authority.issue(name: "\(role.rawValue)-token", role: role).secret }
        let (issued, coordinator) = (secrets, daemon.coordinator)
        try await Application(router: daemon.router, services: daemon.services).test(.router) { client in
            try await body(World(client: client, coordinator: coordinator, secrets: issued, authority: authority))
        }
    }

    static func formHeaders(cookies: String = "errand_csrf=\(csrf)") -> HTTPFields {
        [.contentType: "application/x-www-form-urlencoded", .cookie: cookies]
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// The `errand_session` Set-Cookie header, split into its value and attributes.
    static func sessionCookie(_ response: TestResponse) -> (value: String, attributes: Set<String>)? {
        guard let header = response.headers[values: .setCookie].first(where: { $0.hasPrefix("errand_session=") }) else { return nil }
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        return (String(parts[0].dropFirst("errand_session=".count)), Set(parts.dropFirst()))
    }

    /// Signs in with `secret` and returns the session id the cookie holds.
    static func signIn(_ client: any TestClientProtocol, _ secret: String, next: String = "/runs") async throws -> String {
        try await client.execute(
            uri: "/sign-in", method: .post, headers: formHeaders(),
            body: ByteBuffer(string: "csrf=\(csrf)&next=\(encoded(next))&token=\(encoded(secret))")
        ) { response in
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == next)
            return try #require(sessionCookie(response)).value
        }
    }

    static func session(_ id: String) -> HTTPFields {
        [.cookie: "errand_csrf=\(csrf); errand_session=\(id)"]
    }

    @Test("a page without a cookie goes to the sign-in page, which says what to paste and posts the CSRF token")
    func signInPage() async throws {
        try await withDaemon { world in
            try await world.client.execute(uri: "/runs?state=Failed", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in?next=/runs%3Fstate%3DFailed")
            }
            try await world.client.execute(uri: "/sign-in?next=/runs%3Fstate%3DFailed", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("errand token create"))
                #expect(html.contains(#"<form method="post" action="/sign-in""#))
                #expect(html.contains(#"name="csrf" value="\#(Self.csrf)""#))
                #expect(html.contains(#"name="next" value="/runs?state=Failed""#))
                #expect(!html.contains(#"action="/sign-out""#))
            }
            // The stylesheet and script of the sign-in page are open too.
            try await world.client.execute(uri: "/static/dashboard.css", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test("a good token sets an HttpOnly, SameSite=Strict, Path=/ session cookie holding a random id, never the token")
    func goodToken() async throws {
        try await withDaemon(secureCookie: true) { world in
            let secret = world.secrets[.reader]!
            try await world.client.execute(
                uri: "/sign-in", method: .post, headers: Self.formHeaders(),
                body: ByteBuffer(string: "csrf=\(Self.csrf)&next=%2Fruns&token=\(Self.encoded(secret))")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/runs")
                let cookie = try #require(Self.sessionCookie(response))
                #expect(cookie.attributes.isSuperset(of: ["HttpOnly", "SameSite=Strict", "Path=/", "Secure", "Max-Age=43200"]))
                #expect(cookie.value.count == 64 && cookie.value.allSatisfy(\.isHexDigit))
                #expect(!cookie.value.contains(secret) && !secret.contains(cookie.value))
                #expect(!response.headers.contains { $0.value.contains(secret) })
            }
            let id = try await Self.signIn(world.client, secret)
            try await world.client.execute(uri: "/runs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"action="/sign-out""#))
            }
            // Each sign-in gets a new id; a `next` on another site is not followed (no open redirect).
            #expect(try await Self.signIn(world.client, secret, next: "/jobs") != id)
            try await world.client.execute(
                uri: "/sign-in", method: .post, headers: Self.formHeaders(),
                body: ByteBuffer(string: "csrf=\(Self.csrf)&next=\(Self.encoded("//evil.example/"))&token=\(Self.encoded(secret))")
            ) { response in #expect(response.headers[.location] == "/jobs") }
        }
    }

    @Test("without TLS the cookie is not marked Secure (the browser would drop it on plain HTTP)")
    func plainHTTP() async throws {
        try await withDaemon(secureCookie: false) { world in
            try await world.client.execute(
                uri: "/sign-in", method: .post, headers: Self.formHeaders(),
                body: ByteBuffer(string: "csrf=\(Self.csrf)&token=\(Self.encoded(world.secrets[.admin]!))")
            ) { response in
                let cookie = try #require(Self.sessionCookie(response))
                #expect(!cookie.attributes.contains("Secure"))
                #expect(cookie.attributes.isSuperset(of: ["HttpOnly", "SameSite=Strict", "Path=/"]))
            }
        }
    }

    @Test("a bad token, or a form without the CSRF token, opens no session")
    func badToken() async throws {
        try await withDaemon { world in
            let forged = TokenSecret.generate().secret
            for token in [forged, "", "not-a-token", String(world.secrets[.admin]!.dropLast())] {
                try await world.client.execute(
                    uri: "/sign-in", method: .post, headers: Self.formHeaders(),
                    body: ByteBuffer(string: "csrf=\(Self.csrf)&token=\(Self.encoded(token))")
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect(Self.sessionCookie(response) == nil)
                    #expect(String(buffer: response.body).contains("not valid"))
                }
            }
            try await world.client.execute(
                uri: "/sign-in", method: .post, headers: Self.formHeaders(cookies: ""),
                body: ByteBuffer(string: "csrf=\(Self.csrf)&token=\(Self.encoded(world.secrets[.admin]!))")
            ) { response in
                #expect(response.status == .forbidden)
                #expect(Self.sessionCookie(response) == nil)
            }
            // A made-up session id is no session.
            try await world.client.execute(uri: "/runs", method: .get, headers: Self.session(String(repeating: "0", count: 64))) {
                response in #expect(response.status == .seeOther)
            }
        }
    }

    @Test("sign-out ends the session on the server and clears the cookie")
    func signOut() async throws {
        try await withDaemon { world in
            let id = try await Self.signIn(world.client, world.secrets[.reader]!)
            try await world.client.execute(
                uri: "/sign-out", method: .post, headers: Self.session(id).merging([.contentType: "application/x-www-form-urlencoded"]),
                body: ByteBuffer(string: "csrf=x")
            ) { response in
                #expect(response.status == .forbidden)  // the CSRF field is wrong: nothing happens
            }
            try await world.client.execute(uri: "/runs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .ok)
            }
            try await world.client.execute(
                uri: "/sign-out", method: .post, headers: Self.session(id).merging([.contentType: "application/x-www-form-urlencoded"]),
                body: ByteBuffer(string: "csrf=\(Self.csrf)")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/sign-in")
                let cookie = try #require(Self.sessionCookie(response))
                #expect(cookie.value.isEmpty && cookie.attributes.contains("Max-Age=0"))
            }
            try await world.client.execute(uri: "/runs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .seeOther)
            }
            try await world.client.execute(uri: "/api/v1/runs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("roles hold with a cookie: a reader reads pages and the API but cannot stop runs; an operator can, from this site only")
    func roles() async throws {
        try await withDaemon { world in
            let run = try await world.coordinator.start(RunRequest(argv: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"]))
            let reader = try await Self.signIn(world.client, world.secrets[.reader]!)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            try await world.client.execute(uri: "/api/v1/runs/\(run.id)", method: .get, headers: Self.session(reader)) { response in
                #expect(response.status == .ok)
            }
            try await world.client.execute(
                uri: "/runs/\(run.id)/stop", method: .post, headers: Self.session(reader).merging(form),
                body: ByteBuffer(string: "csrf=\(Self.csrf)")
            ) { response in
                #expect(response.status == .forbidden)
            }
            try await world.client.execute(
                uri: "/api/v1/runs/\(run.id)/stop", method: .post,
                headers: Self.session(reader).merging([HTTPField.Name("Sec-Fetch-Site")!: "same-origin"])
            ) { response in #expect(response.status == .forbidden) }
            #expect(try await world.coordinator.reader.run(id: run.id).state == .running)

            let operatorSession = try await Self.signIn(world.client, world.secrets[.operator]!)
            // Through the API a cookie counts only on a request a browser marks as coming from this site.
            try await world.client.execute(uri: "/api/v1/runs/\(run.id)/stop", method: .post, headers: Self.session(operatorSession)) {
                response in #expect(response.status == .forbidden)
            }
            #expect(try await world.coordinator.reader.run(id: run.id).state == .running)
            try await world.client.execute(
                uri: "/runs/\(run.id)/stop", method: .post, headers: Self.session(operatorSession).merging(form),
                body: ByteBuffer(string: "csrf=\(Self.csrf)")
            ) { response in
                #expect(response.status == .seeOther)
            }
            let (done, _) = try await world.coordinator.reader.wait(ids: [run.id], any: false, timeout: .seconds(20))
            #expect(done)
            let other = try await world.coordinator.start(RunRequest(argv: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"]))
            try await world.client.execute(
                uri: "/api/v1/runs/\(other.id)/stop", method: .post,
                headers: Self.session(operatorSession).merging([HTTPField.Name("Sec-Fetch-Site")!: "same-origin"])
            ) { response in #expect(response.status == .ok) }
        }
    }

    @Test("revoking the token ends its sessions at once")
    func revoked() async throws {
        try await withDaemon { world in
            let created = try await world.authority.issue(name: "laptop", role: .reader)
            let id = try await Self.signIn(world.client, created.secret)
            try await world.client.execute(uri: "/jobs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .ok)
            }
            try await world.authority.revoke(name: "laptop")
            try await world.client.execute(uri: "/jobs", method: .get, headers: Self.session(id)) { response in
                #expect(response.status == .seeOther)
            }
        }
    }
}

extension HTTPFields {
    fileprivate func merging(_ other: HTTPFields) -> HTTPFields {
        var fields = self
        for field in other {
            if field.name == .cookie, let existing = fields[.cookie] {
                fields[.cookie] = existing + "; " + field.value
            } else {
                fields.append(field)
            }
        }
        return fields
    }
}
