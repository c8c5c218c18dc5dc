import ErrandTestSupport
import Foundation
import PropertyBased
import Testing

@testable import ErrandSchedule

/// Bounded property-based tests of the schedule engine (issue 20): no text, JSON or instant traps the parser
/// or the search, and every answer is a real occurrence strictly after (or before) the instant asked about.
///
/// The generators build inputs from pieces that are mostly valid, with absurd numbers, odd characters and
/// wrong types mixed in, so both the refusals and the searches get exercised. A failing case prints the seed
/// to pass to `.fixedSeed(…)`; a trap shows in the crash's stack trace.
@Suite struct ScheduleFuzzTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let zones = ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kathmandu"]
        .map { TimeZone(identifier: $0)! }

    // MARK: - Generators

    /// One cron field: lists of numbers, names, ranges and steps, mostly in range.
    static func cronField(_ rng: inout any SeededRandomNumberGenerator, range: ClosedRange<Int>, names: [String] = [])
        -> String
    {
        var items: [String] = []
        for _ in 0...Fuzz.int(0...2, &rng) {
            let a = Fuzz.int(range.lowerBound...range.upperBound, &rng)
            let b = Fuzz.int(a...range.upperBound, &rng)
            let step = Fuzz.int(1...(range.upperBound + 2), &rng)
            items.append(
                Fuzz.pick(
                    [
                        "*", "\(a)", "\(a)-\(b)", "*/\(step)", "\(a)/\(step)", "\(a)-\(b)/\(step)",
                        names.isEmpty ? "\(b)" : Fuzz.pick(names, &rng),
                    ], &rng))
        }
        return items.joined(separator: ",")
    }

    /// A cron expression that is usually valid: 5 or 6 fields with every form, a macro, or `@every`.
    static let validCron = Generator<String, Shrink.None<String>> { rng in
        switch Fuzz.int(0...9, &rng) {
        case 0: return Fuzz.pick(["@yearly", "@monthly", "@weekly", "@daily", "@hourly", "@midnight"], &rng)
        case 1:
            let units = (0...Fuzz.int(0...2, &rng)).map { _ in "\(Fuzz.int(0...400, &rng))\(Fuzz.pick(["d", "h", "m", "s"], &rng))" }
            return "@every " + units.joined()
        default:
            var fields = [
                cronField(&rng, range: 0...59), cronField(&rng, range: 0...23),
                Fuzz.pick(["L", "LW", "15W", "?", cronField(&rng, range: 1...31)], &rng),
                cronField(&rng, range: 1...12, names: ["jan", "FEB", "December", "jun"]),
                Fuzz.pick(["5L", "FRI#3", "MON#1", "?", cronField(&rng, range: 0...7, names: ["mon", "FRI", "Sunday"])], &rng),
            ]
            if Fuzz.int(0...1, &rng) == 1 { fields.insert(cronField(&rng, range: 0...59), at: 0) }
            return fields.joined(separator: " ")
        }
    }

    /// Arbitrary cron-like text: the valid pieces, absurd numbers, stray punctuation and odd whitespace.
    static let anyCronText = Generator<String, Shrink.None<String>> { rng in
        let pieces = [
            "*", "?", "L", "W", "#", "/", "-", ",", " ", "\t", "\u{85}", "\u{2028}", "\u{180E}", "\u{A0}", "@every",
            "@daily", "@", "0", "5", "59", "60", "-1", "31", "99999999999999999999", "9223372036854775807", "d", "h", "m",
            "s", "ms", "x", "JAN", "fri", "é", "ß", "\0", "1e300", "LW", "5#9", "0#1",
        ]
        var text = Fuzz.int(0...3, &rng) == 0 ? validCron.run(using: &rng) : ""
        for _ in 0..<Fuzz.int(0...12, &rng) {
            let piece = Fuzz.pick(pieces, &rng)
            if text.isEmpty || Fuzz.int(0...1, &rng) == 0 {
                text += piece
            } else {
                let at = text.index(text.startIndex, offsetBy: Fuzz.int(0...text.count, &rng))
                text.insert(contentsOf: piece, at: at)
            }
        }
        return text
    }

    /// Instants: mostly 1900-2200, plus the edges (NaN, infinities, ±1e300, the engine's range, distant dates).
    static let instants = Generator<Date, Shrink.None<Date>> { rng in
        let edges: [Double] = [
            .nan, .infinity, -.infinity, 1e300, -1e300, 9.3e18, -9.3e18, Double(ScheduleRange.latest),
            Double(ScheduleRange.latest) + 1, Double(ScheduleRange.earliest), Double(ScheduleRange.earliest) - 1,
            Date.distantFuture.timeIntervalSince1970, Date.distantPast.timeIntervalSince1970, 0, -0.5, 0.5,
        ]
        if Fuzz.int(0...5, &rng) == 0 { return Date(timeIntervalSince1970: Fuzz.pick(edges, &rng)) }
        let seconds = Double(Fuzz.int(-2_208_988_800...7_258_118_400, &rng))
        return Date(timeIntervalSince1970: seconds + (Fuzz.int(0...3, &rng) == 0 ? 0.25 : 0))
    }

    static let zone = Generator<TimeZone, Shrink.None<TimeZone>> { rng in Fuzz.pick(zones, &rng) }

    // MARK: - Cron

    @Test func cronParserNeverTraps() async {
        await propertyCheck(count: 3000, input: Self.anyCronText) { text in
            do throws(ScheduleError) {
                let cron = try CronExpression(parsing: text)
                #expect(!cron.description.isEmpty)
            } catch {
                #expect(!error.description.isEmpty, "a ScheduleError says what is wrong")
            }
        }
    }

    /// Whether an instant (whole seconds, UTC) is one the expression fires at.
    static func matches(_ cron: CronExpression, _ date: Date) -> Bool {
        let t = Int(date.timeIntervalSince1970)
        switch cron.form {
        case .every(let step): return t % step == 0
        case .fields(let fields, _, _): return fields.firstMatch(atOrAfter: t, notAfter: t) == t
        }
    }

    @Test func cronNextAndPreviousAreOccurrencesOnTheRightSide() async {
        await propertyCheck(count: 700, input: Self.validCron, Self.instants, Self.zone) { text, start, zone in
            guard let cron = try? CronExpression(parsing: text) else { return }
            let next = cron.next(after: start, in: zone)
            if let next {
                #expect(next > start, "\(text) after \(start)")
                #expect(next.timeIntervalSince1970 <= Double(ScheduleRange.latest))
                #expect(next.timeIntervalSince1970 == next.timeIntervalSince1970.rounded())
            }
            if let previous = cron.previous(before: start, in: zone) {
                #expect(previous < start, "\(text) before \(start)")
            }
            // In UTC, where wall time is real time: the answer matches the fields, and nothing matches between.
            guard let next = cron.next(after: start, in: Self.utc) else { return }
            #expect(Self.matches(cron, next), "\(text): \(next)")
            let justBefore = next.addingTimeInterval(-1)
            if justBefore >= start { #expect(cron.next(after: justBefore, in: Self.utc) == next, "\(text)") }
            #expect(cron.previous(before: next.addingTimeInterval(1), in: Self.utc) == next, "\(text)")
        }
    }

    /// `@every` with any count and unit: refused past a year, never an overflow.
    @Test func everyNeverOverflows() async {
        let text = Generator<String, Shrink.None<String>> { rng in
            let numbers = ["0", "1", "59", "365", "366", "999999999", "9223372036854775807", "99999999999999999999999"]
            return "@every "
                + (0...Fuzz.int(0...6, &rng)).map { _ in Fuzz.pick(numbers, &rng) + Fuzz.pick(["d", "h", "m", "s", ""], &rng) }
                .joined()
        }
        await propertyCheck(count: 1000, input: text, Self.instants) { text, start in
            guard let cron = try? CronExpression(parsing: text) else { return }
            guard case .every(let step) = cron.form else {
                Issue.record("\(text) is not an @every")
                return
            }
            #expect(step >= 1 && step <= CronExpression.maxEverySeconds)
            if let next = cron.next(after: start, in: Self.utc) { #expect(next > start) }
        }
    }

    // MARK: - Recurrence

    /// A recurrence object as JSON: the known keys with values right, wrong, huge or of the wrong type.
    ///
    /// `searchable` leaves out what makes a search slow though correct (a count of a million walked period by
    /// period, a seconds filter on a Second frequency that never matches: up to 5,000,000 periods, seconds of
    /// work); the parser still gets those.
    static func recurrenceJSON(searchable: Bool) -> Generator<Data, Shrink.None<Data>> {
        Generator<Data, Shrink.None<Data>> { rng in
            recurrenceObject(searchable: searchable, &rng)
        }
    }

    static let recurrenceJSON = recurrenceJSON(searchable: false)

    static func recurrenceObject(searchable: Bool, _ rng: inout any SeededRandomNumberGenerator) -> Data {
        func someInts(_ values: [Any], _ rng: inout any SeededRandomNumberGenerator) -> [Any] {
            (0..<Fuzz.int(0...3, &rng)).map { _ in Fuzz.pick(values, &rng) }
        }
        let times: [Any] = [
            "2026-02-01T00:00:00", "2026-03-29T01:30:00", "2026-03-08T02:30:00", "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.9e300Z", "2026-01-01T00:00:00.5+05:30", "0000-01-01T00:00:00", "9999-12-31T23:59:59-23:59",
            "2026-13-01T00:00:00", "2026-02-30T00:00:00", 7, "",
        ]
        let numbers: [Any] =
            searchable
            ? [1, 2, 7, 12, 999_996, 1_000_000, 1000, 5]
            : [1, 2, 7, 12, 999_996, 1_000_000, 0, -1, 1e300, 2.5, "3", true, 1e15, -9.3e18]
        var object: [String: Any] = [:]
        let frequency = Fuzz.pick(["Second", "Minute", "Hour", "Day", "Week", "Month", "Once", "day", "Hourly", 5] as [Any], &rng)
        object["frequency"] = frequency
        let subMinute = (frequency as? String).map { ["Second", "Minute"].contains($0) } ?? false
        if Fuzz.int(0...2, &rng) > 0 { object["interval"] = Fuzz.pick(numbers, &rng) }
        if Fuzz.int(0...2, &rng) > 0 { object["startTime"] = Fuzz.pick(times, &rng) }
        if Fuzz.int(0...3, &rng) == 0 { object["endTime"] = Fuzz.pick(times, &rng) }
        if Fuzz.int(0...3, &rng) == 0 { object["count"] = searchable ? Fuzz.pick([1, 5, 1000], &rng) : Fuzz.pick(numbers, &rng) }
        if Fuzz.int(0...2, &rng) == 0 { object["timeZone"] = Fuzz.pick(["UTC", "Europe/London", "Pacific/Apia", "Mars/Olympus", 3], &rng) }
        if Fuzz.int(0...1, &rng) == 0 {
            var schedule: [String: Any] = [:]
            let ints: [Any] = [0, 1, 5, 9, 23, 30, 31, 59, 60, -1, -31, -32, 1e300, "x"]
            let keys = searchable && subMinute ? ["hours", "monthDays"] : ["seconds", "minutes", "hours", "monthDays"]
            for key in keys where Fuzz.int(0...2, &rng) == 0 {
                schedule[key] = someInts(ints, &rng)
            }
            if Fuzz.int(0...2, &rng) == 0 { schedule["weekDays"] = someInts(["Monday", "fri", "Sunday", "Funday", 3], &rng) }
            if Fuzz.int(0...3, &rng) == 0 {
                schedule["monthlyOccurrences"] = someInts(
                    [["day": "Friday", "occurrence": -1], ["day": "Mon", "occurrence": 3], ["day": "Tue", "occurrence": 9], 4], &rng)
            }
            object["schedule"] = schedule
        }
        return (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
    }

    @Test func recurrencesNeverTrapAndAnswerOnTheRightSide() async {
        await propertyCheck(count: 600, input: Self.recurrenceJSON(searchable: true), Self.instants, Self.zone) { json, start, zone in
            let recurrence: Recurrence
            do throws(ScheduleError) {
                recurrence = try Recurrence(json: json)
            } catch {
                #expect(!error.description.isEmpty)
                return
            }
            #expect(!recurrence.description.isEmpty)
            let next = recurrence.next(after: start, in: zone)
            if let next {
                #expect(next > start, "\(String(decoding: json, as: UTF8.self)) after \(start)")
                #expect(next.timeIntervalSince1970 <= Double(ScheduleRange.latest))
                let justBefore = next.addingTimeInterval(-1)
                if justBefore >= start { #expect(recurrence.next(after: justBefore, in: zone) == next) }
            }
            if let previous = recurrence.previous(before: start, in: zone) {
                #expect(previous < start, "\(String(decoding: json, as: UTF8.self)) before \(start)")
            }
        }
    }

    /// Raw bytes and broken JSON: refused with a ScheduleError, never a trap.
    @Test func recurrenceParserTakesAnyBytes() async {
        await propertyCheck(count: 1000, input: Self.recurrenceJSON, Gen.int(in: 0...1000), Gen<UInt8>.value(in: 0...255)) {
            json, position, byte in
            var bytes = json
            if !bytes.isEmpty { bytes[position % bytes.count] = byte }
            if position % 3 == 0 { bytes = bytes.prefix(position % (bytes.count + 1)) }
            do throws(ScheduleError) {
                _ = try Recurrence(json: bytes)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    // MARK: - Regressions found by reading and fuzzing

    /// A fraction written with an exponent (`.9e300`) made a date 10^299 s away; reading it trapped.
    @Test(arguments: ["2026-01-01T00:00:00.9e300Z", "2026-01-01T00:00:00.9e300", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.5x"])
    func fractionsAreDigitsOnly(text: String) {
        #expect(ISO8601.date(from: text, defaultZone: Self.utc) == nil)
        #expect(throws: ScheduleError.self) {
            try Recurrence(json: Data(#"{"frequency": "Day", "startTime": "\#(text)"}"#.utf8))
        }
    }

    /// Every 999,996 months (a multiple of 12, so always February) on the 30th never matches: the period numbers
    /// grew until `year * 12` and `days * 86400` overflowed. Now the search ends at the engine's range.
    @Test func aRecurrenceThatNeverMatchesEndsInsteadOfOverflowing() throws {
        let json = #"{"frequency": "Month", "interval": 999996, "startTime": "2026-02-01T00:00:00", "schedule": {"monthDays": [30]}}"#
        let recurrence = try Recurrence(json: Data(json.utf8))
        #expect(recurrence.next(after: instant("2026-01-01T00:00:00Z"), in: Self.utc) == nil)
        #expect(recurrence.previous(before: instant("2026-01-01T00:00:00Z"), in: Self.utc) == nil)
        let counted = try Recurrence(json: Data(json.replacingOccurrences(of: "{\"frequency\"", with: "{\"count\": 5, \"frequency\"").utf8))
        #expect(counted.previous(before: .distantFuture, in: Self.utc) == nil)
    }

    /// `@every` with a huge count overflowed `total += n * unit` (issue 20); it is refused with the bound now.
    @Test(arguments: [
        "@every " + String(repeating: "999999999d", count: 200_000), "@every 9223372036854775807s", "@every 366d",
        "@every 99999999999999999999999h",
    ])
    func hugeEveryIsRefused(text: String) throws {
        let error = #expect(throws: ScheduleError.self) { try CronExpression(parsing: text) }
        #expect(error?.message.contains("at most 31536000 seconds") == true)
        #expect(try CronExpression(parsing: "@every 365d").next(after: Date(timeIntervalSince1970: 0), in: Self.utc) != nil)
    }

    /// NaN, infinite and far-off instants: no answer or one on the right side, never a trap.
    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300, -1e300, 9.3e18, -9.3e18])
    func absurdInstants(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        for text in ["*/5 * * * *", "30 2 * * *", "@every 90s", "0 0 L * ?"] {
            let cron = try CronExpression(parsing: text)
            if let next = cron.next(after: date, in: Self.zones[1]) { #expect(next > date) }
            if let previous = cron.previous(before: date, in: Self.zones[1]) { #expect(previous < date) }
        }
        let recurrence = try Recurrence(json: Data(#"{"frequency": "Hour", "interval": 1000000}"#.utf8))
        if let next = recurrence.next(after: date, in: Self.utc) { #expect(next > date) }
        if let previous = recurrence.previous(before: date, in: Self.utc) { #expect(previous < date) }
        #expect(!ISO8601.string(date, in: Self.utc).isEmpty)
    }
}
