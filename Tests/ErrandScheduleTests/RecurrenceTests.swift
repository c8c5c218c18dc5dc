import Foundation
import Testing

@testable import ErrandSchedule

func recurrenceNext(_ json: String, from: String, count: Int, tz: String = "UTC") throws -> [String] {
    let r = try Recurrence(json: Data(json.utf8))
    let z = r.timeZone ?? zone(tz)
    return r.next(count, after: instant(from), in: z).map { iso($0, z) }
}

@Suite struct RecurrenceTests {
    /// (object, from, expected instants): one row per field and behaviour.
    static let table: [(String, String, [String])] = [
        // Every 2 weeks on Monday and Friday, time of day from startTime.
        (
            #"{"frequency":"Week","interval":2,"startTime":"2026-01-05T09:00:00","timeZone":"Europe/London","schedule":{"weekDays":["Monday","Friday"]}}"#,
            "2026-01-01T00:00:00Z", ["2026-01-05T09:00:00+00:00", "2026-01-09T09:00:00+00:00", "2026-01-19T09:00:00+00:00"]
        ),
        // Monthly, last Friday, at 18:00; and the second-to-last.
        (
            #"{"frequency":"Month","startTime":"2026-01-01T00:00:00Z","schedule":{"monthlyOccurrences":[{"day":"Friday","occurrence":-1}],"hours":[18],"minutes":[0]}}"#,
            "2026-01-01T00:00:00Z", ["2026-01-30T18:00:00Z", "2026-02-27T18:00:00Z", "2026-03-27T18:00:00Z"]
        ),
        (
            #"{"frequency":"Month","startTime":"2026-01-01T00:00:00Z","schedule":{"monthlyOccurrences":[{"day":"Monday","occurrence":5}]}}"#,
            "2026-01-01T00:00:00Z", ["2026-03-30T00:00:00Z", "2026-06-29T00:00:00Z"]
        ),
        // Negative monthDays count from the end, leap years included (2100 is not one).
        (
            #"{"frequency":"Month","startTime":"2100-01-01T12:00:00Z","schedule":{"monthDays":[-1]}}"#,
            "2100-01-01T00:00:00Z", ["2100-01-31T12:00:00Z", "2100-02-28T12:00:00Z", "2100-03-31T12:00:00Z"]
        ),
        (
            #"{"frequency":"Month","startTime":"2028-01-01T12:00:00Z","schedule":{"monthDays":[-2]}}"#,
            "2028-02-01T00:00:00Z", ["2028-02-28T12:00:00Z"]
        ),
        // monthDays 31 skips short months; monthDays together with monthlyOccurrences is a union.
        (
            #"{"frequency":"Month","startTime":"2026-01-01T00:00:00Z","schedule":{"monthDays":[31]}}"#,
            "2026-01-01T00:00:00Z", ["2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]
        ),
        (
            #"{"frequency":"Month","startTime":"2026-02-01T08:00:00Z","schedule":{"monthDays":[1],"monthlyOccurrences":[{"day":"Friday","occurrence":1}]}}"#,
            "2026-01-31T00:00:00Z", ["2026-02-01T08:00:00Z", "2026-02-06T08:00:00Z", "2026-03-01T08:00:00Z"]
        ),
        // count and endTime.
        (
            #"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z","count":3}"#,
            "2025-12-31T00:00:00Z", ["2026-01-01T06:00:00Z", "2026-01-02T06:00:00Z", "2026-01-03T06:00:00Z"]
        ),
        (#"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z","count":3}"#, "2026-01-02T07:00:00Z", ["2026-01-03T06:00:00Z"]),
        (
            #"{"frequency":"Day","interval":3,"startTime":"2026-01-01T06:00:00Z","endTime":"2026-01-07T06:00:00Z"}"#,
            "2026-01-01T00:00:00Z", ["2026-01-01T06:00:00Z", "2026-01-04T06:00:00Z", "2026-01-07T06:00:00Z"]
        ),
        // Day with weekDays filter and several times.
        (
            #"{"frequency":"Day","startTime":"2026-01-01T00:00:00Z","schedule":{"weekDays":["Saturday"],"hours":[8,20],"minutes":[15]}}"#,
            "2026-01-01T00:00:00Z", ["2026-01-03T08:15:00Z", "2026-01-03T20:15:00Z", "2026-01-10T08:15:00Z"]
        ),
        // Sub-daily: minutes expand an hour; hours filter.
        (
            #"{"frequency":"Hour","interval":2,"startTime":"2026-01-01T00:00:00Z","schedule":{"minutes":[0,30],"hours":[8,10]}}"#,
            "2026-01-01T00:00:00Z",
            ["2026-01-01T08:00:00Z", "2026-01-01T08:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z", "2026-01-02T08:00:00Z"]
        ),
        (
            #"{"frequency":"Minute","interval":15,"startTime":"2026-01-01T00:05:00Z"}"#,
            "2026-01-01T00:06:00Z", ["2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z"]
        ),
        (
            #"{"frequency":"Second","interval":45,"startTime":"2026-01-01T00:00:00Z"}"#,
            "2026-01-01T00:00:00Z", ["2026-01-01T00:00:45Z", "2026-01-01T00:01:30Z"]
        ),
        // Once.
        (#"{"frequency":"Once","startTime":"2026-05-01T10:00:00+02:00"}"#, "2026-01-01T00:00:00Z", ["2026-05-01T08:00:00Z"]),
        // DST, wall-clock periods: 02:30 daily in New York is moved forward by the gap (RFC 5545).
        (
            #"{"frequency":"Day","startTime":"2026-03-07T02:30:00","timeZone":"America/New_York"}"#,
            "2026-03-07T00:00:00Z", ["2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"]
        ),
        // ... and 01:30 on the fall-back day takes the first occurrence.
        (
            #"{"frequency":"Day","startTime":"2026-10-31T01:30:00","timeZone":"America/New_York"}"#,
            "2026-10-31T00:00:00Z", ["2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
        ),
        // DST, elapsed periods: every hour stays 3,600 s apart through the repeated hour.
        (
            #"{"frequency":"Hour","startTime":"2026-11-01T00:00:00","timeZone":"America/New_York"}"#,
            "2026-11-01T00:00:00-04:00", ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"]
        ),
        // Lord Howe weekly across its 30-minute change.
        (
            #"{"frequency":"Week","startTime":"2026-09-27T02:15:00","timeZone":"Australia/Lord_Howe"}"#,
            "2026-09-27T00:00:00+10:30", ["2026-09-27T02:15:00+10:30", "2026-10-04T02:45:00+11:00", "2026-10-11T02:15:00+11:00"]
        ),
    ]

    @Test(arguments: table)
    func next(_ json: String, _ from: String, _ expected: [String]) throws {
        #expect(try recurrenceNext(json, from: from, count: expected.count) == expected)
    }

    @Test func finiteRecurrencesEnd() throws {
        #expect(
            try recurrenceNext(#"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z","count":2}"#, from: "2026-01-02T06:00:00Z", count: 1)
                == [])
        #expect(
            try recurrenceNext(#"{"frequency":"Once","startTime":"2026-01-01T06:00:00Z"}"#, from: "2026-01-01T06:00:00Z", count: 1) == [])
    }

    static let previousTable: [(String, String, String)] = [
        (#"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z"}"#, "2026-01-10T06:00:00Z", "2026-01-09T06:00:00Z"),
        (#"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z","count":3}"#, "2026-02-01T00:00:00Z", "2026-01-03T06:00:00Z"),
        (
            #"{"frequency":"Week","interval":2,"startTime":"2026-01-05T09:00:00Z","schedule":{"weekDays":["Monday","Friday"]}}"#,
            "2026-01-19T00:00:00Z", "2026-01-09T09:00:00Z"
        ),
        (
            #"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z","endTime":"2026-01-03T06:00:00Z"}"#, "2026-02-01T00:00:00Z",
            "2026-01-03T06:00:00Z"
        ),
    ]

    @Test(arguments: previousTable)
    func previous(_ json: String, _ before: String, _ expected: String) throws {
        let r = try Recurrence(json: Data(json.utf8))
        #expect(iso(r.previous(before: instant(before), in: zone("UTC")), zone("UTC")) == expected)
    }

    @Test func nothingBeforeTheStart() throws {
        let r = try Recurrence(json: Data(#"{"frequency":"Day","startTime":"2026-01-01T06:00:00Z"}"#.utf8))
        #expect(r.previous(before: instant("2026-01-01T06:00:00Z"), in: zone("UTC")) == nil)
    }

    static let errors: [(String, String)] = [
        (#"{"interval":1}"#, "frequency: is required: one of Second, Minute, Hour, Day, Week, Month, Once"),
        (#"{"frequency":"Hourly"}"#, "frequency: \"Hourly\" is not one of Second, Minute, Hour, Day, Week, Month, Once"),
        (#"{"frequency":"Day","interval":0}"#, "interval: 0 is out of range 1-1000000"),
        (#"{"frequency":"Day","interval":"2"}"#, "interval: \"2\" is not a whole number (allowed: 1-1000000)"),
        (#"{"frequency":"Day","interval":true}"#, "interval: true is not a whole number (allowed: 1-1000000)"),
        (#"{"frequency":"Day","count":0}"#, "count: 0 is out of range 1-1000000"),
        (#"{"frequency":"Day","timeZone":"Mars/Base"}"#, "timeZone: \"Mars/Base\" is not an IANA time zone such as Europe/London"),
        (
            #"{"frequency":"Day","startTime":"yesterday"}"#,
            "startTime: \"yesterday\" is not an ISO-8601 date-time such as 2026-01-05T09:00:00"
        ),
        (#"{"frequency":"Day","startTime":"2026-01-02T00:00:00Z","endTime":"2026-01-01T00:00:00Z"}"#, "endTime: is before startTime"),
        (#"{"frequency":"Once"}"#, "startTime: is required when frequency is Once"),
        (
            #"{"frequency":"Day","every":2}"#,
            "every: unknown field (allowed: count, endTime, frequency, interval, schedule, startTime, timeZone)"
        ),
        (#"{"frequency":"Day","schedule":{"hours":[24]}}"#, "schedule.hours[0]: 24 is out of range 0-23"),
        (#"{"frequency":"Day","schedule":{"minutes":[0,60]}}"#, "schedule.minutes[1]: 60 is out of range 0-59"),
        (
            #"{"frequency":"Month","schedule":{"monthDays":[0]}}"#,
            "schedule.monthDays[0]: 0 is not a day; use 1...31, or -1 for the last day"
        ),
        (#"{"frequency":"Month","schedule":{"monthDays":[32]}}"#, "schedule.monthDays[0]: 32 is out of range -31-31"),
        (
            #"{"frequency":"Week","schedule":{"weekDays":["Funday"]}}"#,
            "schedule.weekDays[0]: \"Funday\" is not a weekday (Sunday, Monday, … Saturday)"
        ),
        (
            #"{"frequency":"Month","schedule":{"weekDays":["Monday"]}}"#,
            "schedule.weekDays: is not allowed with frequency Month; use monthlyOccurrences"
        ),
        (#"{"frequency":"Week","schedule":{"monthDays":[1]}}"#, "schedule.monthDays: is not allowed with frequency Week; use weekDays"),
        (
            #"{"frequency":"Week","schedule":{"monthlyOccurrences":[{"day":"Friday","occurrence":1}]}}"#,
            "schedule.monthlyOccurrences: is only allowed with frequency Month"
        ),
        (
            #"{"frequency":"Month","schedule":{"monthlyOccurrences":[{"day":"Friday","occurrence":6}]}}"#,
            "schedule.monthlyOccurrences[0].occurrence: 6 is out of range -5-5"
        ),
        (
            #"{"frequency":"Month","schedule":{"monthlyOccurrences":[{"day":"Friday"}]}}"#,
            "schedule.monthlyOccurrences[0].occurrence: is required: 1...5, or -1...-5 counting from the end"
        ),
        (
            #"{"frequency":"Day","schedule":{"weekdays":["Monday"]}}"#,
            "schedule.weekdays: unknown field (allowed: hours, minutes, monthDays, monthlyOccurrences, seconds, weekDays)"
        ),
        (#"[1]"#, "recurrence must be a JSON object"),
        (#"{"#, "recurrence is not valid JSON"),
    ]

    @Test(arguments: errors)
    func rejectsNamingTheField(_ json: String, _ message: String) {
        do {
            _ = try Recurrence(json: Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description == message)
        }
    }

    static let descriptions: [(String, String)] = [
        (
            #"{"frequency":"Week","interval":2,"schedule":{"weekDays":["Monday","Friday"],"hours":[9],"minutes":[0]}}"#,
            "Every 2 weeks on Monday and Friday at 09:00"
        ),
        (
            #"{"frequency":"Month","schedule":{"monthlyOccurrences":[{"day":"Friday","occurrence":-1}],"hours":[18],"minutes":[0]}}"#,
            "Every month on the last Friday at 18:00"
        ),
        (
            #"{"frequency":"Month","schedule":{"monthDays":[1,-1],"hours":[6],"minutes":[30]}}"#,
            "Every month on the last day and the 1st at 06:30"
        ),
        (#"{"frequency":"Day","schedule":{"hours":[9,17],"minutes":[0]}}"#, "Every day at 09:00 and 17:00"),
        (#"{"frequency":"Hour","interval":3,"schedule":{"minutes":[15]}}"#, "Every 3 hours at minute 15"),
        (#"{"frequency":"Once","startTime":"2026-05-01T10:00:00Z"}"#, "Once at 2026-05-01T10:00:00Z"),
        (
            #"{"frequency":"Day","count":5,"schedule":{"hours":[8],"minutes":[0]},"timeZone":"Asia/Kolkata"}"#,
            "Every day at 08:00, 5 times (Asia/Kolkata)"
        ),
    ]

    @Test(arguments: descriptions)
    func describesInWords(_ json: String, _ words: String) throws {
        #expect(try Recurrence(json: Data(json.utf8)).description == words)
    }
}
