import Foundation
import Testing

@testable import ErrandSchedule

/// Clock changes, one row per rule and zone. Expected values were worked out by hand from the zone rules
/// (and agree with cronsim where cronsim is right; see FixtureTests for where it is not).
@Suite struct CronDaylightSavingTests {
    static let table: [(String, String, String, [String])] = [
        // The acceptance example: six fields, so the elapsed rule; 09:30 exists every day.
        (
            "0 30 9 * * MON-FRI", "America/New_York", "2026-03-06T00:00:00Z",
            ["2026-03-06T09:30:00-05:00", "2026-03-09T09:30:00-04:00", "2026-03-10T09:30:00-04:00"]
        ),
        // Fixed-time job in the spring gap (02:00→03:00): runs once, when the gap ends.
        (
            "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]
        ),
        // Several fixed times in the gap collapse into that one run; 03:15 still runs.
        (
            "0,30 2 * * *", "America/New_York", "2026-03-08T00:00:00-05:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]
        ),
        (
            "15 2,3 * * *", "America/New_York", "2026-03-08T00:00:00-05:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"]
        ),
        // Fixed-time job in the repeated hour (01:00-02:00 twice in November): first pass only.
        (
            "30 1 * * *", "America/New_York", "2026-11-01T00:00:00-04:00",
            ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
        ),
        // Started in the second pass, after the first-pass run: the next run is tomorrow.
        ("30 1 * * *", "America/New_York", "2026-11-01T01:10:00-05:00", ["2026-11-02T01:30:00-05:00"]),
        // Wildcard-minute job: every real minute, so the repeated hour runs twice and the gap never.
        (
            "*/30 * * * *", "America/New_York", "2026-11-01T00:45:00-04:00",
            [
                "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00",
            ]
        ),
        (
            "*/30 * * * *", "America/New_York", "2026-03-08T01:15:00-05:00",
            ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00"]
        ),
        // Wildcard hour: "0 * * * *" runs at every real hour boundary.
        (
            "0 * * * *", "Europe/London", "2026-10-25T00:30:00+01:00",
            ["2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00+00:00", "2026-10-25T02:00:00+00:00"]
        ),
        // Six-field fixed time in the gap: fixed-time as its five-field twin (Azure's TimerTrigger fix, Cronos),
        // so it runs once when the gap ends instead of being skipped that day.
        (
            "0 30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z",
            ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]
        ),
        // ... and once, not twice, in the repeated hour.
        (
            "0 45 1 * * *", "America/New_York", "2026-11-01T00:00:00-04:00",
            ["2026-11-01T01:45:00-04:00", "2026-11-02T01:45:00-05:00"]
        ),
        // A seconds field starting with `*` keeps the elapsed rule: every real second of 02:xx, and none skipped.
        (
            "*/20 0 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
            ["2026-03-09T02:00:00-04:00", "2026-03-09T02:00:20-04:00"]
        ),
        (
            "30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z",
            ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]
        ),
        // Lord Howe: 30-minute changes. Spring (October) 02:00→02:30, autumn (April) 02:00→01:30.
        (
            "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30",
            ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]
        ),
        (
            "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00",
            ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]
        ),
        (
            "*/15 * * * *", "Australia/Lord_Howe", "2026-04-05T01:40:00+11:00",
            [
                "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
                "2026-04-05T02:00:00+10:30",
            ]
        ),
        (
            "*/15 * * * *", "Australia/Lord_Howe", "2026-10-04T01:40:00+10:30",
            ["2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00"]
        ),
        // Pacific/Apia skipped all of 2011-12-30: a daily fixed-time job runs once, when the day ends.
        (
            "0 12 * * *", "Pacific/Apia", "2011-12-29T13:00:00-10:00",
            ["2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"]
        ),
        (
            "0 0 12 * * *", "Pacific/Apia", "2011-12-29T13:00:00-10:00",
            ["2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"]
        ),
        // No DST: Kolkata's +05:30 all year.
        ("0 9 * * *", "Asia/Kolkata", "2026-03-08T00:00:00Z", ["2026-03-08T09:00:00+05:30"]),
    ]

    @Test(arguments: table)
    func next(_ expr: String, _ tz: String, _ from: String, _ expected: [String]) throws {
        #expect(try nextInstants(expr, from: from, tz: tz, count: expected.count) == expected)
    }

    /// previous() is the mirror of next(): walking back from after the last expected value yields them in reverse.
    @Test(arguments: table)
    func previousMirrorsNext(_ expr: String, _ tz: String, _ from: String, _ expected: [String]) throws {
        let z = zone(tz)
        let cron = try CronExpression(parsing: expr)
        var cursor = instant(expected.last!).addingTimeInterval(1)
        var back: [String] = []
        for _ in expected {
            guard let p = cron.previous(before: cursor, in: z) else { break }
            back.append(iso(p, z))
            cursor = p
        }
        #expect(back == expected.reversed())
    }

    @Test func ruleIsChosenByShape() throws {
        #expect(try CronExpression(parsing: "30 2 * * *").daylightSavingRule == .wallClock)
        #expect(try CronExpression(parsing: "@daily").daylightSavingRule == .wallClock)
        #expect(try CronExpression(parsing: "0 */2 * * *").daylightSavingRule == .elapsed)
        #expect(try CronExpression(parsing: "*/5 2 * * *").daylightSavingRule == .elapsed)
        #expect(try CronExpression(parsing: "0 30 2 * * *").daylightSavingRule == .wallClock)
        #expect(try CronExpression(parsing: "*/10 30 2 * * *").daylightSavingRule == .elapsed)
        #expect(try CronExpression(parsing: "0 * 2 * * *").daylightSavingRule == .elapsed)
        #expect(try CronExpression(parsing: "@hourly").daylightSavingRule == .elapsed)
    }
}
