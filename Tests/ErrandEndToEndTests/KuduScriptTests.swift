import Foundation
import Subprocess
import Testing

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A Kudu script (curl only) against a real daemon: the example in docs/examples, so the docs stay true.
@Suite("Kudu script end to end", .timeLimit(.minutes(2)))
struct KuduScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/examples/kudu-run.sh").path

    @Test(
        "docs/examples/kudu-run.sh deploys, runs with quoted arguments, follows Location and prints the output",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/zip"))
    )
    func exampleScript() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let result = try await Subprocess.run(
            .path(FilePath("/bin/bash")), arguments: [Self.script, daemon.url], output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        #expect(result.terminationStatus.isSuccess, "\(result.standardError)")
        #expect(result.standardOutput == "[one]\n[two three]\n[four]\n")
        let jobs = try await Subprocess.run(
            .path(FilePath("/usr/bin/curl")), arguments: ["-fsS", daemon.url + "/api/webjobs"], output: .string(limit: 1 << 20))
        #expect(jobs.standardOutput == "[]", "the script removes its job")
    }
}
