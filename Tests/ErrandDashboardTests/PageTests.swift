import ErrandCore
import ErrandDaemon
import ErrandHost
import ErrandJobs
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

    /// The daemon's router (API + dashboard) as the composition root builds it, on a fresh data dir, with its services running.
    func withDashboard(_ body: @Sendable (any TestClientProtocol, RunCoordinator, JobHost) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-dash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = DaemonConfiguration(dataDirectory: directory.path)
        configuration.host = HostConfiguration(instanceName: "dash-test")
        let daemon = try Daemon(
            configuration: configuration, store: try SQLiteStore(path: configuration.dataDirectory + "/errand.sqlite"),
            dashboardToken: Self.token)
        try await daemon.prepare()
        let (coordinator, jobs) = (daemon.coordinator, daemon.jobs)
        try await Application(router: daemon.router, services: daemon.services).test(.router) { client in
            try await body(client, coordinator, jobs)
        }
    }

    static func finishedRun(_ coordinator: RunCoordinator, _ script: String, name: String = "dash-run") async throws -> Run {
        let run = try await coordinator.start(
            RunRequest(argv: ["sh", "-c", script], name: name, environment: ["PATH": "/usr/bin:/bin"]))
        let (done, runs) = try await coordinator.reader.wait(ids: [run.id], any: false, timeout: .seconds(20))
        #expect(done)
        return runs[0]
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test("a run's HTML output, name and command are shown as text, never as markup")
    func escapes() async throws {
        try await withDashboard { client, coordinator, _ in
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

    @Test("a fan-out's page links its children, which the runs page lists only under their parent, labelled output included")
    func fanOut() async throws {
        try await withDashboard { client, coordinator, _ in
            let parent = try await coordinator.invoke(
                InvokeRequest(argv: ["true"], on: [FanOutHost(name: "gone", url: "http://127.0.0.1:1")], name: "fan"))
            let (done, _) = try await coordinator.reader.wait(ids: [parent.id], any: false, timeout: .seconds(20))
            #expect(done)
            let child = try #require(try await coordinator.reader.runs(RunQuery(parent: parent.id)).first)
            try await client.execute(uri: "/runs/\(parent.id)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"href="/runs?parent=\#(parent.id)""#))
                #expect(html.contains("[gone] errand: could not start the command on gone"))
            }
            try await client.execute(uri: "/runs/\(child.id)", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"href="/runs/\#(parent.id)""#))
            }
            try await client.execute(uri: "/runs", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"href="/runs/\#(parent.id)""#))
                #expect(!html.contains(#"href="/runs/\#(child.id)""#))
            }
            try await client.execute(uri: "/runs?parent=\(parent.id)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"href="/runs/\#(child.id)""#))
                #expect(html.contains("children of fan-out run \(parent.id)"))
            }
        }
    }

    @Test("the Instances page shows a daemon of its own as the one alive instance, with its unfinished runs, and how to make a fleet")
    func instancesPage() async throws {
        try await withDashboard { client, coordinator, _ in
            let run = try await coordinator.start(RunRequest(argv: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"]))
            try await client.execute(uri: "/instances", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(page.contains("<strong>dash-test</strong>"), "\(page)")
                #expect(page.contains(#"<span class="state state-live">alive</span>"#))
                #expect(page.contains(#"<td data-label="Running runs" class="num">1</td>"#))
                #expect(page.contains("errand serve --store postgres://"))
                #expect(page.contains(#"<a href="/instances" aria-current="page">Instances</a>"#))
            }
            _ = try await coordinator.stop(id: run.id)
        }
    }

    @Test("every page sets the CSRF cookie and puts the token in its forms")
    func tokenOnPages() async throws {
        try await withDashboard { client, coordinator, _ in
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
        try await withDashboard { client, coordinator, _ in
            let run = try await Self.finishedRun(coordinator, "true")
            var headers = Self.form
            if !cookie.isEmpty { headers[.cookie] = cookie }
            try await client.execute(uri: "/runs/\(run.id)/remove", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("Reload the page"))
            }
            _ = try await coordinator.reader.run(id: run.id)  // still there
        }
    }

    @Test("remove and stop with the token: 303 back, and it happened")
    func actions() async throws {
        try await withDashboard { client, coordinator, _ in
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
            await #expect(throws: ErrandError.self) { try await coordinator.reader.run(id: finished.id) }

            let sleeper = try await coordinator.start(RunRequest(argv: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"]))
            try await client.execute(
                uri: "/runs/\(sleeper.id)/stop", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(Self.token)")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/runs/\(sleeper.id)")
            }
            #expect(try await coordinator.reader.run(id: sleeper.id).state == .stopped)
        }
    }

    @Test("a long log shows its last 5000 lines and says so")
    func longOutput() async throws {
        try await withDashboard { client, coordinator, _ in
            let run = try await Self.finishedRun(coordinator, "seq 1 7000")
            try await client.execute(uri: "/runs/\(run.id)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.components(separatedBy: #"<span class="l o">"#).count - 1 == RunPage.maxLines)
                #expect(html.contains("</span>7000</span></pre>"))
                #expect(!html.contains("</span>2000</span>"))
                #expect(html.contains("Only the end of the output is shown"))
            }
        }
    }

    @Test("the runs page filters by state and name")
    func filters() async throws {
        try await withDashboard { client, coordinator, _ in
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
        try await withDashboard { client, coordinator, _ in
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
        try await withDashboard { client, _, _ in
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

extension PageTests {
    @Test(
        "the API and the pages refuse state changes that a browser sends for another site",
        arguments: [
            ("/api/v1/runs", "Sec-Fetch-Site", "cross-site"), ("/api/v1/runs", "Origin", "http://evil.example"),
            ("/api/v1/runs", "Origin", "null"), ("/runs/1/remove", "Sec-Fetch-Site", "same-site"),
        ])
    func crossSite(path: String, header: String, value: String) async throws {
        try await withDashboard { client, coordinator, _ in
            var headers: HTTPFields = [.contentType: "text/plain", HTTPField.Name(header)!: value]
            headers[.cookie] = "errand_csrf=\(Self.token)"
            let body = ByteBuffer(string: #"{"argv": ["true"], "x": "=csrf=\#(Self.token)"}"#)
            try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("refused a cross-site POST"))
            }
            #expect(try await coordinator.reader.runs(RunQuery()).isEmpty)
        }
    }

    @Test("requests without Sec-Fetch-Site or Origin (the CLI, scripts) and same-origin ones pass, behind a proxy too")
    func sameOrigin() async throws {
        try await withDashboard { client, _, _ in
            let behindProxy: HTTPFields = [
                HTTPField.Name("Sec-Fetch-Site")!: "same-origin", HTTPField.Name("Origin")!: "https://jobs.example",
            ]
            for headers: HTTPFields in [[:], [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"], behindProxy] {
                let body = ByteBuffer(string: #"{"argv": ["true"], "environment": {"PATH": "/usr/bin:/bin"}}"#)
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .created)
                }
            }
        }
    }

    @Test("the jobs pages: list, job with chart and schedule, run now with arguments, delete after confirmation, preview")
    func jobPages() async throws {
        try await withDashboard { client, coordinator, jobs in
            try await client.execute(uri: "/jobs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("No jobs yet"))
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("errand-dash-job-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try #"printf '%s|' "$@"; echo '<script>x</script>'"#.write(
                to: folder.appendingPathComponent("run.sh"), atomically: true, encoding: .utf8)
            try #"{"schedule": "0 0 6 * * MON-FRI", "time_zone": "Europe/Paris", "nonsense": 1}"#.write(
                to: folder.appendingPathComponent("settings.job"), atomically: true, encoding: .utf8)
            _ = try await jobs.deploy(DeployRequest(name: "greet", source: .folder(folder), continuous: false))

            var form = Self.form
            form[.cookie] = "errand_csrf=\(Self.token)"
            let body = "csrf=\(Self.token)&arguments=hello+world%0D%0A%3Cb%3E"
            let runID = try await client.execute(uri: "/jobs/greet/run", method: .post, headers: form, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .seeOther)
                let location = response.headers[.location] ?? ""
                #expect(location.hasPrefix("/runs/"))
                return Int64(location.dropFirst("/runs/".count)) ?? 0
            }
            let (done, runs) = try await coordinator.reader.wait(ids: [runID], any: false, timeout: .seconds(20))
            #expect(done && runs[0].state == .completed)
            #expect(runs[0].argv.suffix(2) == ["hello world", "<b>"])

            try await client.execute(uri: "/jobs", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"href="/jobs/greet""#))
                #expect(html.contains("scheduled"))
                #expect(html.contains(#"<svg class="spark""#))
                #expect(html.contains("Monday through Friday"))
            }
            try await client.execute(uri: "/jobs/greet", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<svg class="chart""#))
                #expect(html.contains("+01:00") || html.contains("+02:00"))  // next instants in Paris
                #expect(html.components(separatedBy: "<li>").count - 1 == 5)
                #expect(html.contains("nonsense"))  // the unknown key is reported as a problem
                #expect(html.contains(#"action="/jobs/greet/run""#))
                #expect(!html.contains("data-refresh"))  // nothing is going: the page stays still
            }
            try await client.execute(uri: "/jobs/greet/delete", method: .get) { response in
                #expect(String(buffer: response.body).contains("Delete greet?"))
            }
            try await client.execute(
                uri: "/jobs/greet/delete", method: .post, headers: Self.form, body: ByteBuffer(string: "csrf=\(Self.token)")
            ) { response in
                #expect(response.status == .forbidden)  // no cookie
            }
            try await client.execute(
                uri: "/jobs/greet/delete", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(Self.token)")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/jobs")
            }
            await #expect(throws: ErrandError.self) { try await jobs.job(named: "greet") }

            try await client.execute(uri: "/deploy/preview?cron=0%2030%209%20*%20*%20MON-FRI&tz=UTC", method: .get) { response in
                let preview = try JSONDecoder().decode(SchedulePreview.self, from: Data(response.body.readableBytesView))
                #expect(preview.next.count == 5)
                #expect(preview.error == nil)
            }
            try await client.execute(uri: "/deploy", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"id="deploy""#) && html.contains("recurrence"))
            }
        }
    }
}
