import ErrandCore
import Foundation
import Testing

/// The daemon as a hostile page or a careless client meets it: a real daemon, real HTTP (curl).
@Suite("Hardening, end to end", .timeLimit(.minutes(3)))
struct HardeningEndToEndTests {
    /// Status of `curl ARGS URL`.
    static func status(_ arguments: [String], _ url: String) async throws -> String {
        try await runProgram(which("curl")!, ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments + [url]).stdout
    }

    @Test("a tokenless daemon refuses a foreign Host (DNS rebinding), answers loopback names, and lives through absurd numbers")
    func rebindingAndNumbers() async throws {
        guard SecurityEndToEndTests.hasCurl else { return }
        let daemon = try Daemon()
        try await daemon.start()
        let post = ["-X", "POST", "-H", "Content-Type: application/json", "-d", #"{"argv":["true"],"name":"rebound"}"#]
        let rebound = try await Self.status(
            post + ["-H", "Host: evil.example:\(daemon.port)", "-H", "Origin: http://evil.example:\(daemon.port)"],
            daemon.url + "/api/v1/runs")
        #expect(rebound == "403")
        #expect(try await Self.status(["-H", "Host: evil.example"], daemon.url + "/api/v1/runs") == "403")
        #expect(try await Self.status(["-H", "Host: localhost:\(daemon.port)"], daemon.url + "/api/v1/runs") == "200")
        #expect(try await Self.status(["-H", "Host: [::1]:\(daemon.port)"], daemon.url + "/api/v1/runs") == "200")
        #expect(try await daemon.run(["get", "rebound"]).status != 0, "the rebound request started a run")

        for body in [
            #"{"argv":["true"],"timeout":1e19}"#, #"{"argv":["true"],"timeout":1e300}"#,
            #"{"argv":["true"],"throttleLimit":9223372036854775807}"#,
        ] {
            let answer = try await Self.status(
                ["-X", "POST", "-H", "Content-Type: application/json", "-d", body], daemon.url + "/api/v1/runs")
            #expect(answer == "400", "\(body)")
        }
        let id = try await daemon.start(["sleep", "30"])
        #expect(try await Self.status(["-X", "POST"], daemon.url + "/api/v1/runs/\(id)/stop?grace=1e21") == "400")
        #expect(try await Self.status([], daemon.url + "/api/v1/runs?newest=9223372036854775807") == "400")
        #expect(try await Self.status([], daemon.url + "/healthz") == "200")
        #expect(try await daemon.get(id).state == .running)
        _ = try await daemon.run(["stop", String(id), "--grace", "1"])
    }

    @Test("the data dir is 0700 and the database 0600 whatever the umask; a flag out of range is a usage error")
    func privateFiles() async throws {
        let daemon = try Daemon()
        chmod(daemon.dataDirectory, 0o755)  // as an older version (or umask 022) left it
        try await daemon.start()
        var info = stat()
        #expect(stat(daemon.dataDirectory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(stat(daemon.dataDirectory + "/errand.sqlite", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let clamped = try await daemon.run(["stop", "1", "--grace", "1e300"])
        #expect(clamped.status == 2, "\(clamped.status) \(clamped.stderr)")
        #expect(clamped.stderr.contains("--grace"))
        for bad in ["-1", "nan", "1e300"] {
            let refused = try await daemon.run(["invoke", "--on", "http://127.0.0.1:1", "--disconnected-timeout", bad, "--", "true"])
            #expect(refused.status == 2 && refused.stderr.contains("--disconnected-timeout"), "\(bad): \(refused.stderr)")
        }
    }
}
