import ErrandCore
import ErrandSchedule
import Foundation
import Testing

@testable import ErrandJobs

@Suite struct JobSettingsTests {
    func parse(_ json: String) -> JobSettings { JobSettings(parsing: Data(json.utf8)) }

    @Test func defaultsWithoutAFile() {
        let settings = parse("")
        #expect(settings.problems.isEmpty)
        #expect(settings.schedule == nil)
        #expect(settings.overlap == .skip)
        #expect(settings.missed == .once)
        #expect(settings.restart == .always)
        #expect(settings.historySize == 30)
        #expect(settings.retries == .none)
        #expect(settings.timeout == nil && settings.idleTimeout == nil)
        #expect(settings.stoppingWaitTime(for: .continuous) == .seconds(5))
        #expect(settings.stoppingWaitTime(for: .triggered) == .seconds(30))
    }

    @Test func everyKeyRead() throws {
        let settings = parse(
            """
            {"schedule": "0 */5 * * * *", "is_singleton": true, "stopping_wait_time": 12, "is_in_place": false,
             "time_zone": "Europe/London", "overlap": "queue", "missed": "all", "timeout": "1h30m",
             "idle_timeout": 120, "retries": {"count": 3, "delay": "5s", "backoff": "fixed", "max_delay": 60},
             "restart": "on-failure", "history_size": 50, "env": {"A": "1", "B": 2, "C": true},
             "entry_point": "bin/worker.py"}
            """)
        #expect(settings.problems.isEmpty)
        guard case .cron(let cron) = settings.schedule else {
            Issue.record("expected a cron schedule")
            return
        }
        #expect(cron.source == "0 */5 * * * *")
        #expect(settings.isSingleton)
        #expect(settings.stoppingWaitTime(for: .continuous) == .seconds(12))
        #expect(settings.isInPlaceSetting == false)
        #expect(settings.timeZone?.identifier == "Europe/London")
        #expect(settings.overlap == .queue)
        #expect(settings.missed == .all)
        #expect(settings.timeout == .seconds(5400))
        #expect(settings.idleTimeout == .seconds(120))
        #expect(settings.retries == RetryPolicy(count: 3, delay: .seconds(5), backoff: .fixed, maxDelay: .seconds(60)))
        #expect(settings.restart == .onFailure)
        #expect(settings.historySize == 50)
        #expect(settings.environment == ["A": "1", "B": "2", "C": "true"])
        #expect(settings.entryPoint == "bin/worker.py")
        #expect(settings.raw.count == 14)
    }

    /// Kudu silently ignores these (kudu.md §1.5); Errand reads them.
    @Test(arguments: [
        (#"{"is_singleton": "true"}"#, true), (#"{"is_singleton": "FALSE"}"#, false), (#"{"is_singleton": 1}"#, true),
        (#"{"is_singleton": "yes"}"#, true),
    ])
    func booleansAsStrings(json: String, expected: Bool) {
        let settings = parse(json)
        #expect(settings.problems.isEmpty)
        #expect(settings.isSingleton == expected)
    }

    @Test(arguments: [
        (#"{"stopping_wait_time": "60"}"#, Duration.seconds(60)), (#"{"stopping_wait_time": 2.5}"#, .milliseconds(2500)),
        (#"{"stopping_wait_time": "90s"}"#, .seconds(90)), (#"{"stopping_wait_time": "5m"}"#, .seconds(300)),
        (#"{"stopping_wait_time": "1d"}"#, .seconds(86_400)), (#"{"stopping_wait_time": "250ms"}"#, .milliseconds(250)),
        (#"{"stopping_wait_time": 0}"#, .zero),
    ])
    func durations(json: String, expected: Duration) {
        let settings = parse(json)
        #expect(settings.problems.isEmpty)
        #expect(settings.stoppingWaitTimeSetting == expected)
    }

    @Test func userAndKillMode() {
        let settings = parse(#"{"run_as": "www-data", "kill_mode": "process"}"#)
        #expect(settings.problems.isEmpty)
        #expect(settings.runAs == "www-data")
        #expect(settings.killMode == .process)
        #expect(parse("{}").killMode == .controlGroup && parse("{}").runAs == nil)
        let wrong = parse(#"{"run_as": "-rf; reboot", "kill_mode": "mixed"}"#)
        #expect(wrong.runAs == nil && wrong.killMode == .controlGroup)
        #expect(wrong.errors.map(\.field) == ["kill_mode", "run_as"])
        #expect(wrong.errors.first?.message.contains("control-group") == true, "\(wrong.errors)")
    }

    @Test func zeroTimeoutsMeanOff() {
        let settings = parse(#"{"timeout": 0, "idle_timeout": "0"}"#)
        #expect(settings.problems.isEmpty)
        #expect(settings.timeout == nil && settings.idleTimeout == nil)
    }

    @Test func retriesAsACount() {
        let settings = parse(#"{"retries": "2"}"#)
        #expect(settings.problems.isEmpty)
        #expect(settings.retries == RetryPolicy(count: 2))
    }

    @Test func enumWordsIgnoreCaseAndUnderscores() {
        let settings = parse(#"{"restart": "On_Failure", "overlap": "REPLACE", "missed": " skip "}"#)
        #expect(settings.problems.isEmpty)
        #expect(settings.restart == .onFailure && settings.overlap == .replace && settings.missed == .skip)
    }

    @Test func recurrenceObject() {
        let settings = parse(#"{"recurrence": {"frequency": "Week", "schedule": {"weekDays": ["Monday"], "hours": [9]}}}"#)
        #expect(settings.problems.isEmpty)
        guard case .recurrence(let recurrence) = settings.schedule else {
            Issue.record("expected a recurrence")
            return
        }
        #expect(recurrence.frequency == .week)
    }

    /// Each bad value gives exactly one problem on its key, with the default kept.
    @Test(arguments: [
        (#"{"schedule": "0 25 * * *"}"#, "schedule", "hour: 25 is out of range 0-23"),
        (#"{"schedule": 5}"#, "schedule", "5 is not a string"),
        (#"{"recurrence": {"frequency": "Hourly"}}"#, "recurrence.frequency", "\"Hourly\" is not one of"),
        (#"{"recurrence": {"frequency": "Day", "schedule": {"hours": [24]}}}"#, "recurrence.schedule.hours[0]", "24"),
        (#"{"time_zone": "Mars/Olympus"}"#, "time_zone", "is not an IANA time zone"),
        (#"{"time_zone": "GMT+5"}"#, "time_zone", "is not an IANA time zone"),
        (#"{"is_singleton": "maybe"}"#, "is_singleton", "\"maybe\" is not a boolean; use true or false"),
        (#"{"stopping_wait_time": -1}"#, "stopping_wait_time", "must be a finite number of seconds between 0 and 86400 (got -1)"),
        (#"{"stopping_wait_time": "soon"}"#, "stopping_wait_time", "is not a duration"),
        (#"{"timeout": "5 minutes"}"#, "timeout", "is not a duration"),
        (#"{"idle_timeout": [1]}"#, "idle_timeout", "an array is not a duration"),
        (#"{"timeout": "400d"}"#, "timeout", "must be a finite number of seconds between 0 and 31536000 (got 34560000)"),
        (#"{"overlap": "wait"}"#, "overlap", "\"wait\" is not one of skip, queue, allow, replace"),
        (#"{"missed": "run_all"}"#, "missed", "is not one of skip, once, all"),
        (#"{"restart": true}"#, "restart", "true is not one of always, on-failure, never"),
        (#"{"history_size": 0}"#, "history_size", "out of range; use a number from 1 to 10000"),
        (#"{"history_size": "ten"}"#, "history_size", "is not a whole number"),
        (#"{"history_size": 2.5}"#, "history_size", "is not a whole number"),
        (#"{"retries": -1}"#, "retries", "out of range; use a number from 0 to 100"),
        (#"{"retries": {"delay": 5}}"#, "retries.count", "is required"),
        (#"{"retries": {"count": 1, "backoff": "linear"}}"#, "retries.backoff", "is not one of fixed, exponential"),
        (#"{"retries": {"count": 1, "jitter": true}}"#, "retries.jitter", "unknown field"),
        (#"{"retries": {"count": 1, "delay": 60, "max_delay": 10}}"#, "retries.max_delay", "shorter than retries.delay"),
        (#"{"env": "A=1"}"#, "env", "is not an object"),
        (#"{"env": {"A=B": "1"}}"#, "env.A=B", "is not a valid variable name"),
        (#"{"env": {"ERRAND_RUN_ID": "1"}}"#, "env.ERRAND_RUN_ID", "set by Errand"),
        (#"{"env": {"X": {"y": 1}}}"#, "env.X", "is not a string, number or boolean"),
        (#"{"entry_point": "/usr/bin/python3"}"#, "entry_point", "is absolute"),
        (#"{"entry_point": "../other/run.sh"}"#, "entry_point", "leaves the package"),
        (#"{"entry_point": ""}"#, "entry_point", "is empty"),
        (#"{"schedule": "* * * * *", "recurrence": {"frequency": "Day"}}"#, "recurrence", "not both"),
    ])
    func badValues(json: String, field: String, message: String) {
        let settings = parse(json)
        #expect(settings.problems.count == 1)
        #expect(settings.problems.first?.field == field)
        #expect(settings.problems.first?.severity == .error)
        #expect(settings.problems.first?.message.contains(message) == true, "\(settings.problems)")
    }

    @Test func badValuesKeepDefaults() {
        let settings = parse(#"{"overlap": "wait", "history_size": -3, "is_singleton": "perhaps"}"#)
        #expect(settings.problems.map(\.field) == ["history_size", "is_singleton", "overlap"])
        #expect(settings.overlap == .skip && settings.historySize == 30 && !settings.isSingleton)
    }

    @Test(arguments: [
        ("is_singelton", "did you mean \"is_singleton\""), ("Schedule", "did you mean \"schedule\""),
        ("run_mode", "takes the kind from the deploy"), ("shutdownGraceTimeLimit", "use \"stopping_wait_time\""),
        ("colour", "known keys: schedule"),
    ])
    func unknownKeysAreWarnings(key: String, message: String) {
        let settings = parse("{\"\(key)\": 1}")
        #expect(settings.problems.count == 1)
        #expect(settings.problems.first?.field == key)
        #expect(settings.problems.first?.severity == .warning)
        #expect(settings.problems.first?.message.contains(message) == true, "\(settings.problems)")
        #expect(settings.raw[key] == .number(1))
    }

    @Test(arguments: [
        ("{", "is not valid JSON"), ("[1, 2]", "must be a JSON object"), ("\"schedule\"", "must be a JSON object"),
    ])
    func wholeFileProblems(text: String, message: String) {
        let settings = parse(text)
        #expect(settings.problems.count == 1)
        #expect(settings.problems.first?.field == nil)
        #expect(settings.problems.first?.message.contains(message) == true, "\(settings.problems)")
    }

    @Test func byteOrderMarkAndNullValues() {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data(#"{"is_singleton": true, "timeout": null}"#.utf8))
        let settings = JobSettings(parsing: data)
        #expect(settings.problems.isEmpty)
        #expect(settings.isSingleton && settings.timeout == nil)
    }

    @Test func kindChecks() {
        let scheduled = parse(#"{"schedule": "@hourly", "restart": "never", "is_singleton": true}"#)
        #expect(JobKind.deployed(continuous: false, settings: scheduled) == .scheduled)
        #expect(JobKind.deployed(continuous: false, settings: parse("{}")) == .triggered)
        #expect(JobKind.deployed(continuous: true, settings: scheduled) == .continuous)
        let forContinuous = scheduled.problems(for: .continuous)
        #expect(forContinuous.contains { $0.field == "schedule" && $0.severity == .error })
        let forScheduled = scheduled.problems(for: .scheduled)
        #expect(forScheduled.map(\.field) == ["restart", "is_singleton"])
        #expect(forScheduled.allSatisfy { $0.severity == .warning })
        let triggered = parse(#"{"time_zone": "UTC", "missed": "all", "retries": 2}"#)
        #expect(triggered.problems(for: .triggered).map(\.field) == ["missed", "time_zone"])
        #expect(triggered.problems(for: .continuous).map(\.field) == ["retries", "missed", "time_zone"])
        #expect(parse("{}").problems(for: .continuous).isEmpty)
    }

    @Test func inPlaceDefaultsToKudus() {
        let settings = parse("{}")
        let node = EntryPoint(script: "run.js", host: .interpreter, argv: ["node", "run.js"], requires: ["node"])
        let python = EntryPoint(script: "run.py", host: .interpreter, argv: ["python3", "run.py"], requires: ["python3"])
        #expect(settings.isInPlace(entryPoint: node))
        #expect(!settings.isInPlace(entryPoint: python))
        #expect(!parse(#"{"is_in_place": "false"}"#).isInPlace(entryPoint: node))
    }

    @Test(arguments: [("UTC", "GMT"), ("utc", "GMT"), ("America/New_York", "America/New_York"), ("Etc/GMT+5", "Etc/GMT+5")])
    func timeZones(name: String, identifier: String) {
        let settings = parse("{\"time_zone\": \"\(name)\"}")
        #expect(settings.problems.isEmpty)
        #expect(settings.timeZone?.identifier == identifier)
    }
}
