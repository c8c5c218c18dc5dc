import ErrandCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ErrandServer

/// What Kudu's clients and tests expect of names, kinds, runs and packages (issue 13, items 10 to 14), through the
/// real router: the Kudu routes and `/api/v1` are two views of the same jobs.
@Suite("Kudu conformance", .timeLimit(.minutes(2)))
struct KuduConformanceTests {
    typealias Object = KuduAPITests.Object

    static let script = "#!/bin/sh\necho hi\n"

    static func deploy(
        _ client: any TestClientProtocol, _ path: String, _ files: [String: String], status: HTTPResponse.Status = .ok
    ) async throws -> (status: HTTPResponse.Status, body: String) {
        try await client.execute(uri: path, method: .put, headers: KuduAPITests.zipHeaders, body: try KuduAPITests.zip(files)) {
            #expect($0.status == status, "\(path): \(String(buffer: $0.body))")
            return ($0.status, String(buffer: $0.body))
        }
    }

    static func names(_ client: any TestClientProtocol) async throws -> [String] {
        try await client.execute(uri: "/api/v1/jobs", method: .get) { try APITests.decode([JobView].self, $0) }.map(\.name)
    }

    @Test("routes ignore case, as Kudu's; job names are found ignoring case on every route and verb")
    func caseInsensitiveRoutesAndNames() async throws {
        try await APITests().withAPI { client in
            _ = try await Self.deploy(client, "/api/TriggeredWebJobs/report", ["run.sh": Self.script])
            for uri in [
                "/api/triggeredwebjobs/report", "/API/TRIGGEREDWEBJOBS/REPORT", "/api/triggeredwebjobs/Report/History",
                "/api/WebJobs", "/api/Jobs/Triggered/rePort", "/api/triggeredwebjobs/REPORT/settings", "/api/v1/jobs/REPORT",
                "/API/V1/Jobs/Report/history",
            ] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
            }
            let job = try await client.execute(uri: "/api/triggeredwebjobs/REPORT", method: .get) { try KuduAPITests.object($0) }
            #expect(job["name"] as? String == "report")
            #expect(job["url"] as? String == "http://localhost/api/triggeredwebjobs/report")
            let location = try await client.execute(uri: "/api/TriggeredWebJobs/RePort/Run", method: .post) {
                #expect($0.status == .accepted)
                return try #require($0.headers[.location])
            }
            #expect(location.hasPrefix("http://localhost/api/triggeredwebjobs/report/history/"))
            let run = try await KuduAPITests.poll(client, try KuduAPITests.path(location)) { ($0["status"] as? String) == "Success" }
            #expect(run["job_name"] as? String == "report")
            let id = try #require(run["id"] as? String)
            try await client.execute(uri: "/api/triggeredwebjobs/REPORT/history/\(id)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/api/v1/jobs/Report/trigger", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{}")
            ) { #expect($0.status == .created) }

            // Deploying `Report` replaces `report` (Kudu's folders ignore case): one job, keeping its first spelling.
            let replaced = try await Self.deploy(client, "/api/triggeredwebjobs/Report", ["other.sh": Self.script])
            #expect(replaced.body.contains(#""run_command":"other.sh""#))
            try await client.execute(
                uri: "/api/v1/jobs/REPORT?kind=triggered", method: .put,
                headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=third.sh"],
                body: ByteBuffer(string: Self.script)
            ) { #expect($0.status == .ok, "a replaced job is 200, not a created 201") }
            #expect(try await Self.names(client) == ["report"])

            // Continuous routes and verbs too.
            _ = try await Self.deploy(client, "/api/continuouswebjobs/Worker", ["run.sh": "#!/bin/sh\nsleep 30\n"])
            try await client.execute(uri: "/api/ContinuousWebJobs/WORKER/stop", method: .post) { #expect($0.status == .ok) }
            let stopped = try await client.execute(uri: "/api/continuouswebjobs/worker", method: .get) { try KuduAPITests.object($0) }
            #expect(stopped["status"] as? String == "Stopped")
            try await client.execute(uri: "/api/v1/jobs/WORKER/start", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/CONTINUOUSWEBJOBS/worker", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/triggeredwebjobs/rEPORT", method: .delete) { #expect($0.status == .ok) }
            #expect(try await Self.names(client).isEmpty)
        }
    }

    @Test("names made only of digits are job names")
    func digitNames() async throws {
        try await APITests().withAPI { client in
            _ = try await Self.deploy(client, "/api/triggeredwebjobs/2024", ["run.sh": Self.script])
            try await client.execute(
                uri: "/api/v1/jobs/7?kind=triggered", method: .put,
                headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=run.sh"],
                body: ByteBuffer(string: Self.script)
            ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
            #expect(try await Self.names(client) == ["2024", "7"])
            try await client.execute(uri: "/api/triggeredwebjobs/2024/run", method: .post) { #expect($0.status == .accepted) }
            let view = try await client.execute(uri: "/api/v1/jobs/7/trigger", method: .post) { try APITests.decode(Run.self, $0) }
            #expect(view.job == "7")
        }
    }

    @Test("a job's kind never changes silently: 409 saying to remove it first; replace=true removes and deploys")
    func kindChanges() async throws {
        try await APITests().withAPI { client in
            _ = try await Self.deploy(client, "/api/triggeredwebjobs/report", ["run.sh": Self.script])
            try await client.execute(uri: "/api/triggeredwebjobs/report/run", method: .post) { #expect($0.status == .accepted) }
            let refused = try await Self.deploy(
                client, "/api/continuouswebjobs/REPORT", ["run.sh": "#!/bin/sh\nsleep 30\n"], status: .conflict)
            #expect(refused.body.contains("triggered job"), "\(refused.body)")
            #expect(refused.body.contains("remove it first"), "\(refused.body)")
            try await client.execute(uri: "/api/triggeredwebjobs/report", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/continuouswebjobs/report", method: .get) { #expect($0.status == .notFound) }

            let continuousPut: (String) async throws -> HTTPResponse.Status = { query in
                try await client.execute(
                    uri: "/api/v1/jobs/report?kind=continuous\(query)", method: .put,
                    headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=run.sh"],
                    body: ByteBuffer(string: "#!/bin/sh\nsleep 30\n")
                ) { response in
                    if response.status == .conflict {
                        #expect(String(buffer: response.body).contains("--replace"), "\(String(buffer: response.body))")
                    }
                    return response.status
                }
            }
            #expect(try await continuousPut("") == .conflict)
            #expect(try await continuousPut("&replace=true") == .created, "removed, then deployed anew")
            let job = try await client.execute(uri: "/api/v1/jobs/report", method: .get) { try APITests.decode(JobView.self, $0) }
            #expect(job.kind == "continuous")
            let history = try await client.execute(uri: "/api/v1/jobs/report/history", method: .get) { try APITests.decode([Run].self, $0) }
            #expect(history.allSatisfy { $0.trigger != .api }, "replace removes the job first, its triggered history with it")

            // The reverse: a triggered deploy over a continuous job.
            let back = try await Self.deploy(client, "/api/triggeredwebjobs/report", ["run.sh": Self.script], status: .conflict)
            #expect(back.body.contains("continuous job"), "\(back.body)")
            try await client.execute(uri: "/api/v1/jobs/report?replace=maybe", method: .put, body: ByteBuffer(string: "x")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/jobs/report", method: .delete) { #expect($0.status == .noContent) }
        }
    }

    @Test("latest_run is the latest real run: a skipped tick stays in the history, the running run is shown")
    func latestRunSkipsSkippedTicks() async throws {
        try await APITests().withAPI { client in
            _ = try await Self.deploy(
                client, "/api/triggeredwebjobs/busy",
                ["run.sh": "#!/bin/sh\nsleep 30\n", "settings.job": #"{"schedule": "* * * * * *"}"#])
            // Wait for a tick skipped while the first run goes on (on a loaded machine its launch may take a while:
            // it is the latest real run from the moment it exists, Initializing or Running).
            let deadline = Date().addingTimeInterval(40)
            var runs: [Object] = []
            while Date() < deadline {
                let history = try await client.execute(uri: "/api/triggeredwebjobs/busy/history", method: .get) {
                    try KuduAPITests.object($0)
                }
                runs = history["runs"] as? [Object] ?? []
                if runs.count >= 2, runs.first?["status"] as? String == "Stopped", runs.last?["status"] as? String == "Running" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(runs.first?["status"] as? String == "Stopped", "the newest record is the skipped tick")
            let running = try #require(runs.last?["id"] as? String)
            let job = try await client.execute(uri: "/api/triggeredwebjobs/busy", method: .get) { try KuduAPITests.object($0) }
            #expect((job["latest_run"] as? Object)?["id"] as? String == running)
            #expect(["Initializing", "Running"].contains((job["latest_run"] as? Object)?["status"] as? String ?? ""))
            let listed = try await client.execute(uri: "/api/triggeredwebjobs", method: .get) { try KuduAPITests.array($0) }
            #expect((listed.first?["latest_run"] as? Object)?["id"] as? String == running)
            let view = try await client.execute(uri: "/api/v1/jobs/busy", method: .get) { try APITests.decode(JobView.self, $0) }
            #expect(view.latestRun.map { String($0.id) } == running)
            #expect(view.latestRun?.state == .running || view.latestRun?.state == .notStarted)
            #expect(view.status == "Running")
            let all = try await client.execute(uri: "/api/v1/jobs", method: .get) { try APITests.decode([JobView].self, $0) }
            #expect(all.first?.latestRun.map { String($0.id) } == running)
            let skipped = try await client.execute(uri: "/api/v1/jobs/busy/history", method: .get) {
                try APITests.decode([Run].self, $0)
            }
            #expect(skipped.first?.reason?.contains("overlap: skip") == true, "the skip stays in the history with its reason")
            try await client.execute(uri: "/api/triggeredwebjobs/busy", method: .delete) { #expect($0.status == .ok) }
        }
    }

    @Test("run_command names the path inside the package when a zip wraps the job in folders, as Kudu")
    func runCommandInsideWrapper() async throws {
        try await APITests().withAPI { client in
            let wrapped = try await Self.deploy(client, "/api/triggeredwebjobs/wrapped", ["myjob/run.sh": Self.script])
            #expect(wrapped.body.contains(#""run_command":"myjob/run.sh""#), "\(wrapped.body)")
            let deep = try await Self.deploy(client, "/api/continuouswebjobs/deep", ["a/b/worker.sh": "#!/bin/sh\nsleep 30\n"])
            #expect(deep.body.contains(#""run_command":"a/b/worker.sh""#), "\(deep.body)")
            let flat = try await Self.deploy(client, "/api/triggeredwebjobs/flat", ["run.sh": Self.script, "lib/x.sh": Self.script])
            #expect(flat.body.contains(#""run_command":"run.sh""#), "\(flat.body)")
            let listed = try await client.execute(uri: "/api/triggeredwebjobs/wrapped", method: .get) { String(buffer: $0.body) }
            #expect(listed.contains(#""run_command":"myjob/run.sh""#))
            // The job still runs from inside the folder, as before.
            let location = try await client.execute(uri: "/api/triggeredwebjobs/wrapped/run", method: .post) {
                try #require($0.headers[.location])
            }
            let run = try await KuduAPITests.poll(client, try KuduAPITests.path(location)) { ($0["status"] as? String) == "Success" }
            #expect(run["status"] as? String == "Success")
            try await client.execute(uri: "/api/continuouswebjobs/deep", method: .delete) { #expect($0.status == .ok) }
        }
    }
}
