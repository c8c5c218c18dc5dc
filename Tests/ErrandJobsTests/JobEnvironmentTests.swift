import ErrandJobs
import Testing

@Suite("Job environment")
struct JobEnvironmentTests {
    static func environment(arguments: [String], argumentText: String? = nil) -> [String: String] {
        JobEnvironment(
            job: "nightly", kind: .scheduled, workingDirectory: "/w", dataPath: "/d", shutdownFile: "/s", arguments: arguments,
            argumentText: argumentText
        ).variables(base: ["PATH": "/bin", "WEBJOBS_NAME": "overridden"], settings: ["LOG": "1"])
    }

    @Test("Errand's names and Kudu's, with the same values; the job's own win over the base")
    func names() {
        let variables = Self.environment(arguments: ["a b", "c"])
        #expect(variables["PATH"] == "/bin")
        #expect(variables["LOG"] == "1")
        #expect(variables["ERRAND_JOB_NAME"] == "nightly")
        #expect(variables["WEBJOBS_NAME"] == "nightly")
        #expect(variables["ERRAND_JOB_KIND"] == "scheduled")
        #expect(variables["WEBJOBS_TYPE"] == "triggered")
        #expect(variables["WEBJOBS_PATH"] == "/w")
        #expect(variables["WEBSITE_TRIGGERED_JOB_RUNNING_nightly"] == "true")
    }

    @Test("WEBJOBS_COMMAND_ARGUMENTS is the string the client sent, else the argv quoted for a shell")
    func commandArguments() {
        let quoted = Self.environment(arguments: ["a b", "c"])
        #expect(quoted["ERRAND_ARGUMENTS"] == "'a b' c")
        #expect(quoted["WEBJOBS_COMMAND_ARGUMENTS"] == "'a b' c")
        let raw = Self.environment(arguments: ["a b", "c"], argumentText: #""a b"  c"#)
        #expect(raw["ERRAND_ARGUMENTS"] == "'a b' c")
        #expect(raw["WEBJOBS_COMMAND_ARGUMENTS"] == #""a b"  c"#)
    }
}
