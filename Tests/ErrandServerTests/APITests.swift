import ErrandCore
import ErrandDaemon
import ErrandHost
import ErrandJobs
import ErrandServer
import ErrandStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API", .timeLimit(.minutes(2)))
struct APITests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `body` against the daemon's router (no socket), built by the composition root on a fresh data dir
    /// and running its services, after its pre-start steps: the app as `errand serve` runs it.
    func withAPI(
        maxPackageBytes: Int64 = PackageLimits.defaultMaxArchiveBytes, maxBodyBytes: Int = ConnectionLimits().maxBodyBytes,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = DaemonConfiguration(dataDirectory: directory.path)
        configuration.host = HostConfiguration(instanceName: "api-test")
        configuration.maxPackageBytes = maxPackageBytes
        configuration.connections.maxBodyBytes = maxBodyBytes
        let daemon = try Daemon(configuration: configuration, store: try SQLiteStore(path: configuration.dataDirectory + "/errand.sqlite"))
        try await daemon.prepare()
        try await Application(router: daemon.router, services: daemon.services).test(.router) { client in try await body(client) }
    }

    static func json(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONCoding.encoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONCoding.decoder().decode(T.self, from: Data(response.body.readableBytesView))
    }

    @Test("docs/openapi.yaml describes exactly the routes the router has")
    func openAPIInStep() throws {
        let text = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var documented: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, let match = line.firstMatch(of: /^    (get|post|put|patch|delete):/) {
                documented.insert("\(match.1.uppercased()) \(path)")
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        let coordinator = RunCoordinator(
            store: try SQLiteStore(
                path: FileManager.default.temporaryDirectory.appendingPathComponent("errand-oa-\(UUID().uuidString).sqlite").path),
            configuration: HostConfiguration())
        let jobs = JobHost(
            coordinator: coordinator,
            configuration: JobHostConfiguration(dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("errand-oa")))
        let routed = Set(
            ErrandAPI(coordinator: coordinator, jobs: jobs, instance: "x").router().routes.map { "\($0.method) \($0.path)" })
        #expect(!documented.isEmpty)
        #expect(
            documented == routed,
            "documented but not routed: \(documented.subtracting(routed)); routed but not documented: \(routed.subtracting(documented))")
    }

    @Test("a JSON body over the limit gets 413 with a JSON error, at the default 2 MiB and at a configured limit")
    func bodyTooLarge() async throws {
        let big = ByteBuffer(string: #"{"argv":["echo",""# + String(repeating: "a", count: 3_000_000) + #""]}"#)
        try await withAPI { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.contentType: "application/json"], body: big) {
                response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/json")
                let error = try JSONCoding.decoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error
                #expect(error.code == .tooLarge)
                #expect(error.message.contains("\(2 * 1024 * 1024) bytes of JSON (--max-body-bytes)"))
            }
        }
        try await withAPI(maxBodyBytes: 4096) { client in
            let small = ByteBuffer(string: #"{"argv":["echo",""# + String(repeating: "a", count: 3000) + #""]}"#)
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.contentType: "application/json"], body: small) {
                response in #expect(response.status == .created)
            }
            let over = ByteBuffer(string: #"{"argv":["echo",""# + String(repeating: "a", count: 5000) + #""]}"#)
            try await client.execute(uri: "/api/v1/invocations", method: .post, headers: [.contentType: "application/json"], body: over) {
                response in #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test("a daemon with its own store lists itself as the one alive instance of its fleet")
    func instancesAlone() async throws {
        try await withAPI { client in
            try await client.execute(uri: "/api/v1/instances", method: .get) { response in
                #expect(response.status == .ok)
                let instances = try Self.decode([InstanceRecord].self, response)
                #expect(instances.count == 1)
                #expect(instances.first?.state == .alive)
                #expect(instances.first?.version == ErrandVersion.current)
                #expect(instances.first?.runningRuns == 0)
            }
            // Runs for another instance need a fleet; a bad name is refused before anything else.
            for (instance, message) in [("elsewhere", "not part of a fleet"), ("", "1 to 100 characters"), ("a b", "without spaces")] {
                let body = try Self.json(RunRequest(argv: ["true"], instance: instance))
                try await client.execute(uri: "/api/v1/runs", method: .post, body: body) { response in
                    let error = try Self.decode(ErrorBody.self, response).error
                    #expect(response.status == .badRequest, "\(instance)")
                    #expect(error.message.contains(message), "\(error.message)")
                }
            }
            // Its own name is this instance: the run runs here.
            let body = try Self.json(RunRequest(argv: ["true"], instance: "api-test"))
            try await client.execute(uri: "/api/v1/runs", method: .post, body: body) { response in
                let run = try Self.decode(Run.self, response)
                #expect(response.status == .created)
                #expect(run.location == "api-test")
            }
        }
    }

    @Test("the served OpenAPI document is docs/openapi.yaml")
    func servesOpenAPI() async throws {
        let file = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        try await withAPI { client in
            try await client.execute(uri: "/api/v1/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == file)
            }
        }
    }

    @Test(
        "errors are JSON with a 4xx status and a message",
        arguments: [
            ("/api/v1/runs/999999", HTTPRequest.Method.get, "", HTTPResponse.Status.notFound, "not_found"),
            ("/api/v1/runs/abc", .get, "", .badRequest, "bad_request"),
            ("/api/v1/runs", .post, "{not json", .badRequest, "bad_request"),
            ("/api/v1/runs", .post, #"{"argv": []}"#, .badRequest, "bad_request"),
            ("/api/v1/runs", .post, #"{"argv": ["no-such-program-xyz"], "environment": {"PATH": "/bin"}}"#, .badRequest, "bad_request"),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "name": "no spaces"}"#, .badRequest, "bad_request"),
            ("/api/v1/runs?state=Sleeping", .get, "", .badRequest, "bad_request"),
            ("/api/v1/runs?newest=-1", .get, "", .badRequest, "bad_request"),
            // Numbers that would trap a conversion: refused with the field and its range.
            ("/api/v1/runs", .post, #"{"argv": ["true"], "timeout": 1e19}"#, .badRequest, "bad_request"),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "timeout": 31536001}"#, .badRequest, "bad_request"),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "throttleLimit": 1000001}"#, .badRequest, "bad_request"),
            (
                "/api/v1/invocations", .post,
                #"{"argv": ["true"], "on": [{"name": "a", "url": "http://h"}], "disconnectedTimeout": 1e300}"#,
                .badRequest, "bad_request"
            ),
            (
                "/api/v1/invocations", .post, #"{"argv": ["true"], "on": [{"name": "a", "url": "http://h"}], "disconnectedTimeout": -1}"#,
                .badRequest, "bad_request"
            ),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "workingDirectory": "/tm\u0000p"}"#, .badRequest, "bad_request"),
            ("/api/v1/runs/1/stop?grace=1e21", .post, "", .badRequest, "bad_request"),
            ("/api/v1/runs/1/stop?grace=NaN", .post, "", .badRequest, "bad_request"),
            ("/api/v1/runs?newest=9223372036854775807", .get, "", .badRequest, "bad_request"),
            ("/api/v1/runs?limit=1000001", .get, "", .badRequest, "bad_request"),
            ("/api/v1/runs/wait?id=1&timeout=inf", .get, "", .badRequest, "bad_request"),
            ("/api/v1/sessions", .post, #"{"name": "s1", "idleTimeout": 1e300}"#, .badRequest, "bad_request"),
            ("/api/v1/runs/wait", .get, "", .badRequest, "bad_request"),
            ("/api/v1/nothing-here", .get, "", .notFound, "not_found"),
        ])
    func errors(uri: String, method: HTTPRequest.Method, body: String, status: HTTPResponse.Status, code: String) async throws {
        try await withAPI { client in
            try await client.execute(uri: uri, method: method, body: body.isEmpty ? nil : ByteBuffer(string: body)) { response in
                #expect(response.status == status)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.code.rawValue == code)
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test(
        "a method a known path does not have is 405 with Allow and a JSON error; an unknown path stays 404",
        arguments: [
            ("/api/v1/runs", HTTPRequest.Method.trace, "GET, POST"),
            ("/api/v1/runs/7", .patch, "DELETE, GET"),
            ("/api/v1/runs/7/stop", .get, "POST"),
            // The route the router picks: runs/wait (GET only), not runs/{id}.
            ("/api/v1/runs/wait", .delete, "GET"),
            ("/healthz", .put, "GET"),
            ("/api/v1/openapi.yaml", .trace, "GET"),
            // Kudu's routes and the dashboard's pages too, with the same JSON error.
            ("/api/triggeredwebjobs/backup", .post, "DELETE, GET, PUT"),
            ("/runs", .delete, "GET"),
            ("/api/v1/nothing-here", .trace, nil),
            ("/api/v1/runs/7/nothing", .get, nil),
        ] as [(String, HTTPRequest.Method, String?)])
    func methodNotAllowed(uri: String, method: HTTPRequest.Method, allow: String?) async throws {
        try await withAPI { client in
            try await client.execute(uri: uri, method: method) { response in
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.allow] == allow)
                if let allow {
                    #expect(response.status == .methodNotAllowed)
                    #expect(error.code == .methodNotAllowed)
                    #expect(error.message.contains("takes \(allow)"))
                } else {
                    #expect(response.status == .notFound)
                    #expect(error.code == .notFound)
                }
            }
        }
    }

    @Test("start, wait, read output, SSE and remove through the API")
    func lifecycle() async throws {
        try await withAPI { client in
            let request = RunRequest(
                argv: ["sh", "-c", "echo hello; sleep 0.2; echo oops >&2; exit 2"], name: "api-run", environment: ["PATH": "/usr/bin:/bin"])
            let run = try await client.execute(uri: "/api/v1/runs", method: .post, body: try Self.json(request)) { response in
                #expect(response.status == .created)
                return try Self.decode(Run.self, response)
            }
            #expect(run.name == "api-run")
            let waited = try await client.execute(uri: "/api/v1/runs/wait?id=\(run.id)&timeout=20", method: .get) { response in
                try Self.decode(WaitBody.self, response)
            }
            #expect(waited.done)
            #expect(waited.runs.first?.state == .failed)
            #expect(waited.runs.first?.exitCode == 2)
            try await client.execute(uri: "/api/v1/runs/\(run.id)/log", method: .get) { response in
                #expect(String(buffer: response.body) == "hello\noops\n")
            }
            try await client.execute(uri: "/api/v1/runs/\(run.id)/events", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("event: state"))
                #expect(text.contains(#""text":"hello\n""#))
                #expect(text.hasSuffix("event: end\ndata: {}\n\n"))
            }
            let received = try await client.execute(uri: "/api/v1/runs/\(run.id)/receive", method: .post) { response in
                try Self.decode(OutputPageBody.self, response)
            }
            #expect(received.records.map(\.stream) == [.output, .error])
            #expect(received.run.hasMoreData == false)
            try await client.execute(uri: "/api/v1/runs/\(run.id)", method: .delete) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/runs/\(run.id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("jobs: a single-file deploy, triggers with arguments, history, settings, overlap and errors")
    func jobs() async throws {
        try await withAPI(maxPackageBytes: 4096) { client in
            let script = ByteBuffer(string: "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\nsleep 0.3\n")
            let upload: HTTPFields = [.contentDisposition: "attachment; filename=\"run.sh\"", .contentType: "application/octet-stream"]
            let deployed = try await client.execute(uri: "/api/v1/jobs/echo", method: .put, headers: upload, body: script) { response in
                #expect(response.status == .created)
                return try Self.decode(JobView.self, response)
            }
            #expect(deployed.kind == "triggered" && deployed.command == ["/bin/sh", "run.sh"])
            try await client.execute(uri: "/api/v1/jobs/echo", method: .put, headers: upload, body: script) { response in
                #expect(response.status == .ok)
            }
            let trigger = try Self.json(TriggerRequest(arguments: ["a b", #"c "d""#]))
            let run = try await client.execute(uri: "/api/v1/jobs/echo/trigger", method: .post, body: trigger) { response in
                #expect(response.status == .created)
                return try Self.decode(Run.self, response)
            }
            #expect(run.trigger == .api)
            // A second trigger while the first runs: skip (the default) refuses with 409, naming the run.
            try await client.execute(uri: "/api/v1/jobs/echo/trigger", method: .post) { response in
                #expect(response.status == .conflict)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.message.contains("run \(run.id)"))
            }
            _ = try await client.execute(uri: "/api/v1/runs/wait?id=\(run.id)&timeout=20", method: .get) { _ in }
            try await client.execute(uri: "/api/v1/runs/\(run.id)/log", method: .get) { response in
                #expect(String(buffer: response.body) == "[a b]\n[c \"d\"]\n")
            }
            let history = try await client.execute(uri: "/api/v1/jobs/echo/history", method: .get) { response in
                try Self.decode([Run].self, response)
            }
            #expect(history.map(\.id) == [run.id])
            #expect(history[0].state == .completed)

            try await client.execute(
                uri: "/api/v1/jobs/echo/settings", method: .put, body: ByteBuffer(string: #"{"overlap": "allow", "colour": 1}"#)
            ) { response in
                #expect(response.status == .ok)
                let view = try Self.decode(JobView.self, response)
                #expect(view.problems.contains { $0.field == "colour" && $0.severity == .warning })
            }
            try await client.execute(uri: "/api/v1/jobs/echo/settings", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""overlap":"allow""#))
            }
            try await client.execute(uri: "/api/v1/jobs/echo/settings", method: .put, body: ByteBuffer(string: #"{"overlap": 3}"#)) {
                response in
                #expect(response.status == .badRequest)
            }
            // Too large (limit 4 KiB here): 413 while streaming, and the job still works.
            try await client.execute(
                uri: "/api/v1/jobs/echo", method: .put, headers: upload, body: ByteBuffer(repeating: 0x41, count: 10_000)
            ) { response in
                #expect(response.status == .contentTooLarge)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.code.rawValue == "too_large")
            }
            try await client.execute(uri: "/api/v1/jobs/echo/trigger", method: .post) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/jobs", method: .get) { response in
                let names = try Self.decode([JobView].self, response).map(\.name)
                #expect(names == ["echo"])
            }
            try await client.execute(uri: "/api/v1/jobs/nope/trigger", method: .post) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/jobs/bad%20name", method: .put, headers: upload, body: script) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(
                uri: "/api/v1/jobs/broken", method: .put, headers: [.contentType: "application/zip"], body: ByteBuffer(string: "not a zip")
            ) { response in
                #expect(response.status == .badRequest)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.message.hasPrefix("corrupt_archive"))
            }
            try await client.execute(uri: "/api/v1/jobs/broken", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/jobs/echo?force=true", method: .delete) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/runs/\(run.id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
