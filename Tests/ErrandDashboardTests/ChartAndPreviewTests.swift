import ErrandCore
import Foundation
import Testing

@testable import ErrandDashboard

@Suite("Charts and the schedule preview")
struct ChartAndPreviewTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func run(_ id: Int64, _ state: RunState, _ seconds: Double?) -> ChartRun {
        ChartRun(id: id, state: state, seconds: seconds, time: t0.addingTimeInterval(Double(id) * 60))
    }

    @Test("the duration chart has one linked bar per run, coloured by outcome, tallest for the longest")
    func durationChart() throws {
        let svg = Charts.durations([Self.run(1, .completed, 2), Self.run(2, .failed, 8), Self.run(3, .running, 1)])
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 3)
        #expect(svg.contains(#"<a href="/runs/2"><rect class="bar-bad""#))
        #expect(svg.contains(#"class="bar-ok""#) && svg.contains(#"class="bar-live""#))
        #expect(svg.contains("<title>Run 2 · Failed · 8.00 s"))
        // Axis up to 10 s in steps of 2 s.
        #expect(svg.contains(">10 s</text>") && svg.contains(">2 s</text>"))
        let heights = try Regex(#"height="([0-9.]+)" rx="2""#)
        let values = svg.matches(of: heights).map { Double($0.output[1].substring ?? "") ?? 0 }
        #expect(values.count == 3 && values[1] == values.max())
    }

    @Test("charts escape what they show")
    func chartEscapes() {
        #expect(Charts.escape(#"<a href="x">&'"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(Charts.durations([]).isEmpty && Charts.sparkline([]).isEmpty)
    }

    @Test("the sparkline keeps short runs visible")
    func sparkline() throws {
        let svg = Charts.sparkline([Self.run(1, .completed, 100), Self.run(2, .failed, 0.01), Self.run(3, .notStarted, nil)])
        #expect(svg.components(separatedBy: "<rect").count - 1 == 3)
        #expect(svg.contains("aria-label=\"1 completed, 1 failed of 3\""))
        #expect(svg.contains(#"height="8""#))  // a third of 24, not zero
    }

    @Test(
        "round axis maxima",
        arguments: [(0.0, 1.0), (0.7, 1.0), (1.0, 1.0), (1.2, 2.0), (2.03, 2.5), (3.0, 5.0), (8.0, 10.0), (130.0, 200.0)])
    func axis(value: Double, maximum: Double) {
        #expect(Charts.axisMaximum(value) == maximum)
        let ticks = Charts.tickCount(maximum)
        let step = maximum / Double(ticks)
        let power = pow(10, floor(log10(step)))
        #expect([1, 2, 5].contains((step / power * 1000).rounded() / 1000), "step \(step) for \(maximum)")
    }

    @Test("a cron expression previews in words with its next five instants in its zone")
    func cronPreview() {
        let preview = SchedulePreview.compute(cron: "0 30 9 * * MON-FRI", recurrence: nil, timeZone: "Europe/Paris", now: Self.t0)
        #expect(preview.error == nil)
        #expect(preview.description?.isEmpty == false)
        #expect(preview.next.count == 5)
        // 2026-09-21 is a Monday; 09:30 in Paris is summer time (+02:00).
        #expect(preview.next.first == "2026-09-22 09:30:00 Tue +02:00")
    }

    @Test("a recurrence previews in its own zone")
    func recurrencePreview() {
        let json =
            #"{"frequency": "Month", "schedule": {"monthlyOccurrences": [{"day": "Friday", "occurrence": -1}], "hours": [18], "minutes": [0]}, "timeZone": "America/New_York"}"#
        let preview = SchedulePreview.compute(cron: nil, recurrence: json, timeZone: nil, now: Self.t0)
        #expect(preview.error == nil)
        #expect(preview.next.first == "2026-09-25 18:00:00 Fri -04:00")
        #expect(preview.description?.contains("last Friday") == true)
    }

    @Test(
        "errors name the field at fault",
        arguments: [
            ("0 61 * * *", nil, nil, "cron"),
            ("", nil, nil, "cron"),
            (nil, #"{"frequency": "Fortnight"}"#, nil, "recurrence.frequency"),
            (nil, "{not json", nil, "recurrence"),
            ("* * * * *", nil, "Mars/Olympus", "timeZone"),
        ] as [(String?, String?, String?, String)])
    func previewErrors(cron: String?, recurrence: String?, zone: String?, field: String) {
        let preview = SchedulePreview.compute(cron: cron, recurrence: recurrence, timeZone: zone, now: Self.t0)
        #expect(preview.field == field)
        #expect(preview.error?.isEmpty == false)
        #expect(preview.next.isEmpty)
    }

    @Test("run-now arguments: one per line, kept as typed")
    func arguments() {
        #expect(Dashboard.arguments("--full\r\nhello world\n'quoted' $HOME\n\n") == ["--full", "hello world", "'quoted' $HOME"])
        #expect(Dashboard.arguments("") == [])
        #expect(Dashboard.arguments("\nsecond") == ["", "second"])
    }
}
