import ErrandCore
import Foundation
import Testing

@testable import ErrandJobs

/// Every duration and count in settings.job is bounded before it is converted (issue 20: `{"timeout": 1e16}`
/// trapped in `Int64((n * 1000).rounded())` and killed the daemon).
@Suite struct SettingsBoundsTests {
    func parse(_ json: String) -> JobSettings { JobSettings(parsing: Data(json.utf8)) }

    /// Each of these trapped, or would have, before the bounds; now each is one problem naming the field and the
    /// range, and the default is kept.
    @Test(arguments: [
        (#"{"timeout": 1e16}"#, "timeout", "between 0 and 31536000 (got 1e+16)"),
        (#"{"timeout": 1e300}"#, "timeout", "between 0 and 31536000 (got 1e+300)"),
        (#"{"idle_timeout": -1e300}"#, "idle_timeout", "between 0 and 31536000 (got -1e+300)"),
        (#"{"timeout": "1e20"}"#, "timeout", "between 0 and 31536000 (got 1e+20)"),
        (#"{"timeout": "99999999999999999999d"}"#, "timeout", "between 0 and 31536000"),
        (#"{"idle_timeout": "1e300s1e300s"}"#, "idle_timeout", "is not a duration"),
        (#"{"stopping_wait_time": 1e16}"#, "stopping_wait_time", "between 0 and 86400 (got 1e+16)"),
        (#"{"stopping_wait_time": "2d"}"#, "stopping_wait_time", "between 0 and 86400 (got 172800)"),
        (#"{"retries": {"count": 1, "delay": 1e19}}"#, "retries.delay", "between 0 and 31536000"),
        (#"{"retries": {"count": 1, "max_delay": "9999999999999999h"}}"#, "retries.max_delay", "between 0 and 31536000"),
        (#"{"retries": 1e300}"#, "retries", "out of range; use a number from 0 to 100"),
        (#"{"retries": -9.3e18}"#, "retries", "out of range; use a number from 0 to 100"),
        (#"{"history_size": 1e19}"#, "history_size", "out of range; use a number from 1 to 10000"),
        (#"{"history_size": "9223372036854775808"}"#, "history_size", "out of range"),
    ])
    func hugeNumbersAreProblemsNotTraps(json: String, field: String, message: String) {
        let settings = parse(json)
        #expect(settings.problems.count == 1, "\(settings.problems)")
        #expect(settings.problems.first?.field == field)
        #expect(settings.problems.first?.severity == .error)
        #expect(settings.problems.first?.message.contains(message) == true, "\(settings.problems)")
        #expect(settings.timeout == nil && settings.idleTimeout == nil && settings.stoppingWaitTimeSetting == nil)
        #expect(settings.retries == .none && settings.historySize == JobSettings.defaultHistorySize)
    }

    /// The maxima themselves are accepted, so the documented ranges are inclusive.
    @Test func theMaximaAreAllowed() {
        let settings = parse(
            #"{"timeout": 31536000, "idle_timeout": "365d", "stopping_wait_time": "24h", "history_size": 10000,"#
                + #" "retries": {"count": 100, "delay": "365d", "max_delay": 31536000}}"#)
        #expect(settings.problems.isEmpty, "\(settings.problems)")
        #expect(settings.timeout == .seconds(31_536_000) && settings.idleTimeout == .seconds(31_536_000))
        #expect(settings.stoppingWaitTimeSetting == .seconds(86_400))
        #expect(settings.historySize == 10_000)
        #expect(settings.retries == RetryPolicy(count: 100, delay: .seconds(31_536_000), maxDelay: .seconds(31_536_000)))
    }

    @Test func justOverTheMaximaIsRefused() {
        let settings = parse(#"{"timeout": 31536000.5, "stopping_wait_time": 86400.001}"#)
        #expect(settings.problems.map(\.field) == ["stopping_wait_time", "timeout"])
    }

    /// DurationText is also used by the CLI: a huge value is "not a duration", never a trap.
    @Test(arguments: ["1e16", "1e300", "-1e300", "99999999999999999999d", "9e15s9e15s"])
    func durationTextRefusesWhatDoesNotFit(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
