import ErrandCore
import Foundation
import Testing

/// The dashboard's sign-in on a real daemon that requires tokens and serves TLS, driven with curl as a
/// browser would: redirected, signed in with a cookie jar, the cookie marked Secure; and the connection
/// limits holding behind TLS.
@Suite("dashboard sign-in end to end", .timeLimit(.minutes(3)))
struct SignInEndToEndTests {
    @Test(
        "over TLS: a page redirects to sign-in, a token signs in with a Secure cookie, sign-out ends it; a silent TLS client is timed out",
        .enabled(if: which("openssl") != nil && which("curl") != nil, "needs openssl and curl (.ci/run installs them)"))
    func signInOverTLS() async throws {
        let directory = try SecurityEndToEndTests.temporaryDirectory()
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let made = try await runProgram(
            which("openssl")!,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj",
                "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "openssl: \(made.stderr)")
        let daemon = try Daemon()
        let reader = try await SecurityEndToEndTests.createToken("browser", "reader", ["--data-dir", daemon.dataDirectory])
        daemon.scheme = "https"
        daemon.serveArguments = ["--require-tokens", "--tls-cert", certificate, "--tls-key", key, "--header-timeout", "1s"]
        daemon.clientEnvironment = ["ERRAND_CA_FILE": certificate, "ERRAND_TOKEN": reader]
        try await daemon.start()
        defer { daemon.stop() }

        let jar = directory + "/cookies.txt"
        func curl(_ arguments: [String]) async throws -> String {
            try await runProgram(which("curl")!, ["-s", "--cacert", certificate, "-b", jar, "-c", jar] + arguments).stdout
        }
        #expect(
            try await curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", daemon.url + "/runs"])
                == "303 \(daemon.url)/sign-in?next=/runs")
        let page = try await curl([daemon.url + "/sign-in?next=/runs"])
        #expect(page.contains("errand token create"))
        let csrf = try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        let headers = try await curl([
            "-o", "/dev/null", "-D", "-", "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "next=/runs", "--data-urlencode",
            "token=\(reader)", daemon.url + "/sign-in",
        ])
        #expect(headers.hasPrefix("HTTP/1.1 303"), "\(headers)")
        let cookie = try #require(headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: errand_session=") })
        for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute), "\(cookie)") }
        #expect(!cookie.contains(reader))
        #expect(try await curl(["-o", "/dev/null", "-w", "%{http_code}", daemon.url + "/runs"]) == "200")
        // The API's reads take the cookie too (the live tail, the log download).
        #expect(try await curl(["-o", "/dev/null", "-w", "%{http_code}", daemon.url + "/api/v1/runs"]) == "200")
        #expect(
            try await curl(["-o", "/dev/null", "-w", "%{http_code}", "--data-urlencode", "csrf=\(csrf)", daemon.url + "/sign-out"]) == "303"
        )
        #expect(try await curl(["-o", "/dev/null", "-w", "%{http_code}", daemon.url + "/runs"]) == "303")

        // Behind TLS the limits hold too: a client that connects and never starts its handshake is closed.
        let silent = try RawConnection(port: daemon.port)
        #expect(silent.readUntilClosed(timeout: .seconds(10)).closed)
        #expect(try await daemon.run(["get"]).status == 0)
    }
}
