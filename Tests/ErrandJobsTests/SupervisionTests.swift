import ErrandCore
import ErrandJobs
import Foundation
import Testing

@Suite("Restart backoff, schedule agenda, job environment")
struct SupervisionTests {
    @Test("restarts wait 100 ms, then double up to 60 s, and start over after 5 healthy minutes")
    func backoff() {
        var backoff = RestartBackoff()
        let quick: Duration = .milliseconds(10)
        let waits = (0..<12).map { _ in backoff.delay(afterUptime: quick) }
        #expect(waits[0] == .milliseconds(100))
        #expect(waits[0] <= .milliseconds(200))
        #expect(waits[1] == .milliseconds(200))
        #expect(waits[2] == .milliseconds(400))
        #expect(waits[9] == .milliseconds(51_200))
        #expect(waits[10] == .seconds(60) && waits[11] == .seconds(60))
        #expect(backoff.restarts == 12)
        #expect(backoff.delay(afterUptime: .seconds(299)) == .seconds(60))
        #expect(backoff.delay(afterUptime: .seconds(300)) == .milliseconds(100))
        #expect(backoff.restarts == 1)
    }

    @Test("the agenda yields due entries earliest first and keeps one entry per job")
    func agenda() {
        var queue = ScheduleQueue()
        let base = Date(timeIntervalSince1970: 1_000)
        queue.set("b", due: base.addingTimeInterval(2))
        queue.set("a", due: base.addingTimeInterval(2))
        queue.set("c", due: base.addingTimeInterval(1))
        queue.set("d", due: base.addingTimeInterval(5))
        queue.set("d", due: base.addingTimeInterval(3))
        #expect(queue.count == 4)
        #expect(queue.earliest == base.addingTimeInterval(1))
        #expect(queue.takeDue(now: base).isEmpty)
        #expect(queue.takeDue(now: base.addingTimeInterval(2)).map(\.job) == ["c", "a", "b"])
        queue.remove("d")
        #expect(queue.count == 0 && queue.earliest == nil)
    }

    @Test("a job's run gets ERRAND_* and WEBJOBS_* names over the daemon's environment and the job's env")
    func environment() {
        let environment = JobEnvironment(
            job: "nightly", kind: .continuous, workingDirectory: "/w", dataPath: "/d", shutdownFile: "/s/x",
            arguments: ["a b", "c"]
        ).variables(base: ["PATH": "/bin", "ERRAND_JOB_NAME": "daemon's"], settings: ["PATH": "/opt/bin", "LEVEL": "debug"])
        #expect(environment["PATH"] == "/opt/bin")
        #expect(environment["LEVEL"] == "debug")
        #expect(environment["ERRAND_JOB_NAME"] == "nightly" && environment["WEBJOBS_NAME"] == "nightly")
        #expect(environment["ERRAND_JOB_KIND"] == "continuous" && environment["WEBJOBS_TYPE"] == "continuous")
        #expect(environment["ERRAND_DATA_PATH"] == "/d" && environment["WEBJOBS_DATA_PATH"] == "/d")
        #expect(environment["ERRAND_SHUTDOWN_FILE"] == "/s/x" && environment["WEBJOBS_SHUTDOWN_FILE"] == "/s/x")
        #expect(environment["ERRAND_ARGUMENTS"] == "'a b' c" && environment["WEBJOBS_COMMAND_ARGUMENTS"] == "'a b' c")
        #expect(environment["WEBJOBS_PATH"] == "/w")
        #expect(environment["WEBSITE_ALWAYS_ON_JOB_RUNNING_nightly"] == "true")
    }
}
