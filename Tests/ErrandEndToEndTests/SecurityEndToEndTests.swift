import ErrandCore
import Foundation
import Subprocess
import Testing

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Tokens, roles, the listen policy and TLS, through the real binary and real daemons.
@Suite("security end to end", .timeLimit(.minutes(3)))
struct SecurityEndToEndTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("errand-sec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `errand token create NAME --role ROLE ARGS…`: the secret on stdout.
    static func createToken(_ name: String, _ role: String, _ arguments: [String], environment: [String: String] = [:]) async throws
        -> String
    {
        let outcome = try await errand(["token", "create", name, "--role", role] + arguments, environment: environment)
        #expect(outcome.status == 0, "token create \(name): \(outcome.stderr)")
        let secret = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("errand_"))
        return secret
    }

    /// The HTTP status of a plain request (curl), to see the 401 itself rather than the CLI's message.
    static func status(_ url: String, token: String? = nil) async throws -> String {
        var arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        return try await runProgram(which("curl")!, arguments + [url]).stdout
    }

    static var hasCurl: Bool { which("curl") != nil }

    @Test("with --require-tokens: no token and a wrong token get 401, a reader's start 403, an operator's runs; no secret in the log")
    func requireTokens() async throws {
        let daemon = try Daemon()
        let admin = try await Self.createToken("first-admin", "admin", ["--data-dir", daemon.dataDirectory])
        daemon.serveArguments = ["--require-tokens"]
        try await daemon.start()

        let anonymous = try await daemon.run(["get"])
        #expect(anonymous.status == 1)
        #expect(anonymous.stderr.contains("requires a token"))
        let forged = "errand_0123456789ab_" + String(repeating: "A", count: 43)
        let wrong = try await daemon.run(["get"], environment: ["ERRAND_TOKEN": forged])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("not valid"))
        if Self.hasCurl {
            #expect(try await Self.status(daemon.url + "/api/v1/runs/1") == "401")
            #expect(try await Self.status(daemon.url + "/api/v1/runs/1", token: forged) == "401")
            #expect(try await Self.status(daemon.url + "/healthz") == "200")
        }

        let asAdmin = ["ERRAND_TOKEN": admin]
        let reader = try await Self.createToken("reader", "reader", ["--host", daemon.url], environment: asAdmin)
        let operatorToken = try await Self.createToken("ops", "operator", ["--host", daemon.url], environment: asAdmin)

        #expect(try await daemon.run(["get"], environment: ["ERRAND_TOKEN": reader]).status == 0)
        let refused = try await daemon.run(["start", "--", "echo", "no"], environment: ["ERRAND_TOKEN": reader])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("needs operator"))
        if Self.hasCurl {
            let forbidden = try await runProgram(
                which("curl")!,
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(reader)", "-H",
                    "Content-Type: application/json", "-d", #"{"argv":["true"]}"#, daemon.url + "/api/v1/runs",
                ])
            #expect(forbidden.stdout == "403")
        }

        let started = try await daemon.run(["start", "--json", "--", "echo", "operated"], environment: ["ERRAND_TOKEN": operatorToken])
        #expect(started.status == 0, "\(started.stderr)")
        let run = try JSONCoding.decoder().decode(Run.self, from: Data(started.stdout.utf8))
        #expect(try await daemon.run(["wait", String(run.id)], environment: ["ERRAND_TOKEN": reader]).status == 0)
        #expect(try await daemon.run(["receive", String(run.id)], environment: ["ERRAND_TOKEN": reader]).stdout == "operated\n")
        #expect(try await daemon.run(["token", "list"], environment: ["ERRAND_TOKEN": operatorToken]).status == 1)
        let script = daemon.dataDirectory + "/../hello-\(UUID().uuidString).sh"
        try "#!/bin/sh\necho hello from a job\n".write(toFile: script, atomically: true, encoding: .utf8)
        let deployByOperator = try await daemon.run(
            ["job", "deploy", "hello", script, "--triggered"], environment: ["ERRAND_TOKEN": operatorToken])
        #expect(deployByOperator.status == 1)
        #expect(deployByOperator.stderr.contains("needs admin"))
        #expect(try await daemon.run(["job", "deploy", "hello", script, "--triggered"], environment: asAdmin).status == 0)
        let triggered = try await daemon.run(["job", "trigger", "hello", "--wait"], environment: ["ERRAND_TOKEN": operatorToken])
        #expect(triggered.stdout.contains("hello from a job"), "\(triggered.stderr)")
        #expect(try await daemon.run(["job", "list"], environment: ["ERRAND_TOKEN": reader]).stdout.contains("hello"))

        let list = try await daemon.run(["token", "list"], environment: asAdmin)
        #expect(list.status == 0)
        for name in ["first-admin", "reader", "ops"] { #expect(list.stdout.contains(name)) }
        for secret in [admin, reader, operatorToken] { #expect(!list.stdout.contains(secret)) }

        #expect(try await daemon.run(["token", "revoke", "reader"], environment: asAdmin).status == 0)
        #expect(try await daemon.run(["get"], environment: ["ERRAND_TOKEN": reader]).status == 1)

        await daemon.stopAndWait()
        let log = try String(contentsOfFile: daemon.dataDirectory + "/serve.log", encoding: .utf8)
        #expect(log.contains("tokens required"))
        for secret in [admin, reader, operatorToken, forged] { #expect(!log.contains(secret), "a token is in the daemon's log") }
    }

    @Test("off loopback the daemon will not start without tokens, nor on plain HTTP unless told so")
    func listenPolicy() async throws {
        let directory = try Self.temporaryDirectory()
        let port = try Daemon.freePort()
        let open = try await errand(["serve", "--listen", "0.0.0.0:\(port)", "--data-dir", directory])
        #expect(open.status == 1)
        #expect(open.stderr.contains("refusing to listen on 0.0.0.0:\(port) without tokens"))
        #expect(open.stderr.contains("--require-tokens"))
        let plain = try await errand(["serve", "--listen", "0.0.0.0:\(port)", "--data-dir", directory, "--require-tokens"])
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("--tls-cert FILE --tls-key FILE") && plain.stderr.contains("--insecure-http"))
        let halfTLS = try await errand(["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", directory, "--tls-cert", "/nonexistent"])
        #expect(halfTLS.status == 1)
        #expect(halfTLS.stderr.contains("--tls-cert and --tls-key go together"))
    }

    @Test(
        "TLS with a self-signed certificate, reached by host name through errand host add --ca-file",
        .enabled(if: which("openssl") != nil, "openssl is not installed (.ci/run installs it)"))
    func tls() async throws {
        let directory = try Self.temporaryDirectory()
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let made = try await runProgram(
            which("openssl")!,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj",
                "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "openssl: \(made.stderr)")

        let daemon = try Daemon()
        let admin = try await Self.createToken("admin", "admin", ["--data-dir", daemon.dataDirectory])
        let tokenFile = directory + "/admin.token"
        try admin.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        // Every address, so the whole policy is exercised: tokens required and TLS given.
        daemon.listenHost = "0.0.0.0"
        daemon.scheme = "https"
        daemon.serveArguments = ["--require-tokens", "--tls-cert", certificate, "--tls-key", key]
        daemon.clientEnvironment = ["ERRAND_CA_FILE": certificate]
        try await daemon.start()

        let config = ["XDG_CONFIG_HOME": directory + "/config"]
        let added = try await errand(
            ["host", "add", "lab", daemon.url, "--token-file", tokenFile, "--ca-file", certificate], environment: config)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try await errand(["host", "list"], environment: config).stdout.contains("lab"))
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/config/errand/hosts.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let started = try await errand(["--host", "lab", "start", "--json", "--", "echo", "over tls"], environment: config)
        #expect(started.status == 0, "\(started.stderr)")
        let run = try JSONCoding.decoder().decode(Run.self, from: Data(started.stdout.utf8))
        #expect(try await errand(["--host", "lab", "wait", String(run.id)], environment: config).status == 0)
        #expect(try await errand(["--host", "lab", "receive", String(run.id)], environment: config).stdout == "over tls\n")
        #expect(try await errand(["get"], environment: config.merging(["ERRAND_HOST": "lab"]) { $1 }).stdout.contains("over tls"))

        // A deploy streams its package over TLS too.
        let script = directory + "/tls-job.sh"
        try "#!/bin/sh\necho job over tls\n".write(toFile: script, atomically: true, encoding: .utf8)
        let deployed = try await errand(["--host", "lab", "job", "deploy", "tlsjob", script, "--triggered"], environment: config)
        #expect(deployed.status == 0, "\(deployed.stderr)")
        let triggered = try await errand(["--host", "lab", "job", "trigger", "tlsjob", "--wait"], environment: config)
        #expect(triggered.stdout.contains("job over tls"), "\(triggered.stderr)")

        let untrusted = try await errand(["--host", daemon.url, "get"], environment: ["ERRAND_TOKEN": admin])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("--ca-file"))
        #expect(try await errand(["host", "remove", "lab"], environment: config).status == 0)
        #expect(try await errand(["--host", "lab", "get"], environment: config).stderr.contains("no host named 'lab'"))
        await daemon.stopAndWait()
        let log = try String(contentsOfFile: daemon.dataDirectory + "/serve.log", encoding: .utf8)
        #expect(log.contains("serving https://"))
        #expect(!log.contains(admin))
    }
}

/// The first executable named `name` on PATH.
func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs another program (curl, openssl) and collects its output.
func runProgram(_ executable: String, _ arguments: [String]) async throws -> Outcome {
    let result = try await Subprocess.run(
        .path(FilePath(executable)), arguments: Arguments(arguments), output: .string(limit: 1024 * 1024),
        error: .string(limit: 1024 * 1024))
    let status: Int32 =
        switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    return Outcome(status: status, stdout: result.standardOutput, stderr: result.standardError)
}
