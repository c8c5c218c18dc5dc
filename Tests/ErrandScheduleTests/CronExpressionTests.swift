import Foundation
import Testing

@testable import ErrandSchedule

@Suite struct CronSyntaxTests {
    /// (expression, start, expected next instants) in UTC: one row per syntax element.
    static let utcTable: [(String, String, [String])] = [
        ("*/15 * * * *", "2026-01-01T00:07:00Z", ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"]),
        ("10-50/20 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z"]),
        (
            "1-5,10,20-30/5 0 * * *", "2026-01-01T00:04:30Z",
            ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:25:00Z"]
        ),
        ("0 12 * jan,Jul *", "2026-02-01T00:00:00Z", ["2026-07-01T12:00:00Z"]),
        ("0 12 * * sat,SUN", "2026-01-01T00:00:00Z", ["2026-01-03T12:00:00Z", "2026-01-04T12:00:00Z"]),
        ("0 12 * * Monday", "2026-01-01T00:00:00Z", ["2026-01-05T12:00:00Z"]),
        ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z"]),
        ("0 0 ? * MON", "2026-01-01T00:00:00Z", ["2026-01-05T00:00:00Z"]),
        ("0 0 L * *", "2026-02-01T00:00:00Z", ["2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"]),
        ("0 0 L 2 *", "2028-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"]),
        ("0 0 LW * *", "2026-05-01T00:00:00Z", ["2026-05-29T00:00:00Z", "2026-06-30T00:00:00Z"]),  // May 31 is a Sunday
        ("0 0 15W * *", "2026-08-01T00:00:00Z", ["2026-08-14T00:00:00Z", "2026-09-15T00:00:00Z"]),  // Aug 15 is a Saturday
        ("0 0 1W * *", "2026-08-01T00:00:00Z", ["2026-08-03T00:00:00Z"]),  // Aug 1 is a Saturday: never leaves the month
        ("0 0 31W * *", "2026-05-01T00:00:00Z", ["2026-05-29T00:00:00Z", "2026-07-31T00:00:00Z"]),  // May 31 Sunday → Friday 29
        ("0 18 * * 5L", "2026-01-01T00:00:00Z", ["2026-01-30T18:00:00Z", "2026-02-27T18:00:00Z"]),
        ("0 18 * * FRIL", "2026-01-01T00:00:00Z", ["2026-01-30T18:00:00Z"]),
        ("0 10 * * 5#3", "2026-01-01T00:00:00Z", ["2026-01-16T10:00:00Z", "2026-02-20T10:00:00Z"]),
        ("0 10 * * MON#5", "2026-01-01T00:00:00Z", ["2026-03-30T10:00:00Z", "2026-06-29T10:00:00Z"]),
        ("0 0 13 * FRI", "2026-02-01T00:00:00Z", ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"]),  // OR
        ("0 0 29 2 *", "2097-01-01T00:00:00Z", ["2104-02-29T00:00:00Z"]),  // 2100 is not a leap year
        ("0 0 29 2 *", "1999-03-01T00:00:00Z", ["2000-02-29T00:00:00Z"]),  // 2000 is
        ("30 15 10 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T10:15:30Z", "2026-01-02T10:15:30Z"]),
        ("*/20 * * * * *", "2026-01-01T00:00:05Z", ["2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"]),
        ("@hourly", "2026-01-01T00:00:00Z", ["2026-01-01T01:00:00Z"]),
        ("@daily", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z"]),
        ("@midnight", "2026-01-01T05:00:00Z", ["2026-01-02T00:00:00Z"]),
        ("@weekly", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z"]),
        ("@monthly", "2026-01-01T00:00:00Z", ["2026-02-01T00:00:00Z"]),
        ("@yearly", "2026-01-01T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        ("@annually", "2026-06-01T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        ("@every 90s", "2026-01-01T00:00:00Z", ["2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z"]),
        ("@every 1h30m", "2026-01-01T00:00:00Z", ["2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"]),
        ("@every 5m", "2026-01-01T00:02:00Z", ["2026-01-01T00:05:00Z"]),
    ]

    @Test(arguments: utcTable)
    func nextInUTC(_ expr: String, _ from: String, _ expected: [String]) throws {
        #expect(try nextInstants(expr, from: from, tz: "UTC", count: expected.count) == expected)
    }

    @Test func starRuleMakesDayFieldsAnd() throws {
        // "*/10" starts with "*": Debian requires both fields, so only Fridays that are day 1, 11, 21 or 31.
        let next = try nextInstants("0 0 */10 * FRI", from: "2026-01-01T00:00:00Z", tz: "UTC", count: 2)
        #expect(next == ["2026-05-01T00:00:00Z", "2026-07-31T00:00:00Z"])
        // Neither starts with "*": either field.
        let or = try nextInstants("0 0 1,11 * FRI", from: "2026-01-01T00:00:00Z", tz: "UTC", count: 3)
        #expect(or == ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z"])
    }

    /// (expression, start, expected previous) in UTC.
    static let previousTable: [(String, String, String)] = [
        ("0 9 * * MON-FRI", "2026-01-05T08:00:00Z", "2026-01-02T09:00:00Z"),
        ("0 0 L * *", "2026-03-15T00:00:00Z", "2026-02-28T00:00:00Z"),
        ("*/20 * * * * *", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00Z"),
        ("0 0 29 2 *", "2104-01-01T00:00:00Z", "2096-02-29T00:00:00Z"),
        ("@every 90s", "2026-01-01T00:01:30Z", "2026-01-01T00:00:00Z"),
    ]

    @Test(arguments: previousTable)
    func previousInUTC(_ expr: String, _ before: String, _ expected: String) throws {
        let utc = zone("UTC")
        #expect(iso(try CronExpression(parsing: expr).previous(before: instant(before), in: utc), utc) == expected)
    }

    @Test func resultsAreStrictlyAfterAFractionalStart() throws {
        let cron = try CronExpression(parsing: "* * * * * *")
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        #expect(cron.next(after: start, in: zone("UTC")) == Date(timeIntervalSince1970: 1_800_000_001))
        #expect(cron.previous(before: start, in: zone("UTC")) == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test func neverMatchingAgainReturnsNil() throws {
        let cron = try CronExpression(parsing: "0 0 * 2 MON#5")  // only Februaries of leap years starting on Monday
        let utc = zone("UTC")
        let hits = cron.next(3, after: instant("2026-01-01T00:00:00Z"), in: utc).map { iso($0, utc) }
        #expect(hits == ["2044-02-29T00:00:00Z", "2072-02-29T00:00:00Z", "2112-02-29T00:00:00Z"])
    }
}

@Suite struct CronErrorTests {
    static let table: [(String, String)] = [
        ("0 25 * * *", "hour: 25 is out of range 0-23"),
        ("60 * * * *", "minute: 60 is out of range 0-59"),
        ("* * 0 * *", "day-of-month: 0 is out of range 1-31"),
        ("* * * 13 *", "month: 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week: 8 is out of range 0-7"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 4"),
        ("* * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 7"),
        ("*/0 * * * *", "minute: \"*/0\": step 0 must be at least 1"),
        ("5-1 * * * *", "minute: range 5-1 goes backwards; write it as two ranges, e.g. 5-59,0-1"),
        ("x * * * *", "minute: \"x\" is not a number (allowed: 0-59)"),
        ("* * * FOO *", "month: \"FOO\" is not a month name (use JAN, FEB, … or full names)"),
        ("* * * * FUNDAY", "day-of-week: \"FUNDAY\" is not a weekday name (use SUN, MON, … or full names)"),
        ("* * * * 5#6", "day-of-week: \"5#6\": the number after # must be 1-5"),
        ("* * * * L", "day-of-week: L needs a weekday before it, e.g. 5L or FRIL (last Friday)"),
        ("1,,2 * * * *", "minute: \"1,,2\" has an empty list item"),
        ("0 0 30 2 *", "day-of-month: day 30 never occurs in February"),
        ("0 0 31 4,6 *", "day-of-month: day 31 never occurs in April or June"),
        ("@often", "unknown macro @often (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every)"),
        ("@every 5x", "@every: \"5x\": unknown unit 'x' (use d, h, m, s, e.g. 1h30m)"),
        ("@every 5", "@every: \"5\": a number needs a unit (d, h, m or s), e.g. 90s"),
        ("@every 0s", "@every: \"0s\": the interval must be at least 1s"),
        ("", "the expression is empty"),
    ]

    @Test(arguments: table)
    func rejectsWithFieldAndAllowedValues(_ expr: String, _ message: String) {
        #expect(throws: ScheduleError.self) { try CronExpression(parsing: expr) }
        do {
            _ = try CronExpression(parsing: expr)
        } catch {
            #expect(error.description == message)
        }
    }
}

@Suite struct CronDescriptionTests {
    static let table: [(String, String)] = [
        ("0 30 9 * * MON-FRI", "At 09:30, Monday through Friday"),
        ("30 9 * * 1-5", "At 09:30, Monday through Friday"),
        ("0 9,17 * * *", "At 09:00 and 17:00"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("* * * * *", "Every minute"),
        ("0 * * * *", "At minute 0 past the hour"),
        ("*/15 9-17 * * *", "Every 15 minutes, between 09:00 and 17:59"),
        ("0 0 L * *", "At 00:00, on the last day of the month"),
        ("0 18 * * 5L", "At 18:00, on the last Friday of the month"),
        ("0 10 * * FRI#3", "At 10:00, on the third Friday of the month"),
        ("0 0 13 * FRI", "At 00:00, on day 13 of the month or on Friday"),
        ("0 0 1 JAN *", "At 00:00, on day 1 of the month, in January"),
        ("0 8 * * SAT,SUN", "At 08:00, Saturday and Sunday"),
        ("15 10 12 * * *", "At 12:10:15"),
        ("@every 1h30m", "Every 1 hour 30 minutes"),
        ("0 0 15W * *", "At 00:00, on the weekday nearest day 15 of the month"),
    ]

    @Test(arguments: table)
    func describesInWords(_ expr: String, _ words: String) throws {
        #expect(try CronExpression(parsing: expr).description == words)
    }
}
