import ErrandCore
import ErrandHost
import ErrandServer
import ErrandStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ErrandDashboard

@Suite("Dashboard pages through the router", .timeLimit(.minutes(2)))
struct PageTests {
    static let token = "test-token-0123456789"

    /// The daemon's router (API + dashboard) on a fresh SQLite file, with a live coordinator.
    func withDashboard(_ body: @Sendable (any TestClientProtocol, RunCoordinator) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("errand-dash-\(UUID().uuidString).sqlite").path
        let coordinator = RunCoordinator(store: try SQLiteStore(path: path), configuration: HostConfiguration(instanceName: "dash-test"))
        try await coordinator.recover()
        let jobs = JobHost(
            coordinator: coordinator,
            configuration: JobHostConfiguration(
                dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("errand-dash-\(UUID().uuidString)")))
        try await jobs.load()
        let router = ErrandAPI(coordinator: coordinator, jobs: jobs, instance: "dash-test").router()
        try Dashboard(coordinator: coordinator, jobs: jobs, instance: "dash-test", csrfToken: Self.token).addRoutes(to: router)
        let app = Application(router: router)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coordinator.run() }
            try await app.test(.router) { client in try await body(client, coordinator) }
            group.cancelAll()
        }
    }

    static func finishedRun(_ coordinator: RunCoordinator, _ script: String, name: String = "dash-run") async throws -> Run {
        let run = try await coordinator.start(
            RunRequest(argv: ["sh", "-c", script], name: name, environment: ["PATH": "/usr/bin:/bin"]))
        let (done, runs) = try await coordinator.wait(ids: [run.id], any: false, timeout: .seconds(20))
        #expect(done)
        return runs[0]
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test("a run's HTML output, name and command are shown as text, never as markup")
    func escapes() async throws {
        try await withDashboard { client, coordinator in
            let run = try await Self.finishedRun(coordinator, "echo '<script>alert(1)</script>'; echo '<b>err</b> & \"q\"' >&2")
            try await client.execute(uri: "/runs/\(run.id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                let html = String(buffer: response.body)
                #expect(!html.contains("<script>alert"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(html.contains("&lt;b&gt;err&lt;/b&gt; &amp; &quot;q&quot;"))
                #expect(html.contains(#"<span class="l e">"#))
                #expect(html.contains("Completed"))
            }
            try await client.execute(uri: "/runs", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(!html.contains("<script>alert"))
                #expect(html.contains("&lt;script&gt;"))
                #expect(html.contains("HasMoreData"))
                #expect(html.contains(#"href="/runs/\#(run.id)""#))
            }
        }
    }

    @Test("every page sets the CSRF cookie and puts the token in its forms")
    func tokenOnPages() async throws {
        try await withDashboard { client, coordinator in
            let run = try await Self.finishedRun(coordinator, "true")
            try await client.execute(uri: "/runs/\(run.id)", method: .get) { response in
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.contains("errand_csrf=\(Self.token)"))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.lowercased().contains("samesite=strict"))
                #expect(String(buffer: response.body).contains(#"name="csrf" value="\#(Self.token)""#))
            }
        }
    }

    @Test(
        "a POST without the right token in both cookie and field is refused with 403 and changes nothing",
        arguments: [
            ("", "csrf=\(token)"),
            ("errand_csrf=\(token)", ""),
            ("errand_csrf=\(token)", "csrf=wrong"),
            ("errand_csrf=wrong", "csrf=wrong"),
        ])
    func refusesForgedPosts(cookie: String, body: String) async throws {
        try await withDashboard { client, coordinator in
            let run = try await Self.finishedRun(coordinator, "true")
            var headers = Self.form
            if !cookie.isEmpty { headers[.cookie] = cookie }
            try await client.execute(uri: "/runs/\(run.id)/remove", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("Reload the page"))
            }
            _ = try await coordinator.run(id: run.id)  // still there
        }
    }

    @Test("remove and stop with the token: 303 back, and it happened")
    func actions() async throws {
        try await withDashboard { client, coordinator in
            var headers = Self.form
            headers[.cookie] = "errand_csrf=\(Self.token)"
            let finished = try await Self.finishedRun(coordinator, "true")
            try await client.execute(
                uri: "/runs/\(finished.id)/remove", method: .post, headers: headers,
                body: ByteBuffer(string: "csrf=\(Self.token)&back=%2Fruns%3Fstate%3DCompleted")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/runs?state=Completed")
            }
            await #expect(throws: ErrandError.self) { try await coordinator.run(id: finished.id) }

            let sleeper = try await coordinator.start(RunRequest(argv: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"]))
            try await client.execute(
                uri: "/runs/\(sleeper.id)/stop", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(Self.token)")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/runs/\(sleeper.id)")
            }
            #expect(try await coordinator.run(id: sleeper.id).state == .stopped)
        }
    }

    @Test("the runs page filters by state and name")
    func filters() async throws {
        try await withDashboard { client, coordinator in
            _ = try await Self.finishedRun(coordinator, "exit 0", name: "alpha-ok")
            _ = try await Self.finishedRun(coordinator, "exit 3", name: "beta-bad")
            try await client.execute(uri: "/runs?state=Failed", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("beta-bad"))
                #expect(!html.contains("alpha-ok"))
                #expect(html.contains(#"<option value="Failed" selected>"#))
            }
            try await client.execute(uri: "/runs?name=alpha", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("alpha-ok"))
                #expect(!html.contains("beta-bad"))
            }
            try await client.execute(uri: "/runs?state=Sleeping", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("unknown state"))
            }
        }
    }

    @Test("the stream toggle and timestamps are in the page and in its download link")
    func toggles() async throws {
        try await withDashboard { client, coordinator in
            let run = try await Self.finishedRun(coordinator, "echo out; echo err >&2")
            try await client.execute(uri: "/runs/\(run.id)?stream=error&timestamps=1", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"data-show="error""#))
                #expect(html.contains(#"data-ts="1""#))
                #expect(html.contains("/api/v1/runs/\(run.id)/log?download=1&amp;stream=error&amp;timestamps=1"))
                #expect(html.contains(#"data-live="0""#))
            }
            try await client.execute(uri: "/runs/99999", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            }
        }
    }

    @Test("static files are served with their types; / leads to a page")
    func assets() async throws {
        try await withDashboard { client, _ in
            try await client.execute(uri: "/static/dashboard.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
            }
            try await client.execute(uri: "/static/dashboard.js", method: .get) { response in
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(String(buffer: response.body).contains("EventSource"))
            }
            try await client.execute(uri: "/static/nothing.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
            }
        }
    }
}
