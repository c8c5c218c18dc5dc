import ErrandCore
import Foundation

/// What the charts need of a run.
struct ChartRun: Sendable, Equatable {
    var id: Int64
    var state: RunState
    /// Seconds it ran (so far, for a running run); nil if it never started.
    var seconds: Double?
    var time: Date

    init(id: Int64, state: RunState, seconds: Double?, time: Date) {
        self.id = id
        self.state = state
        self.seconds = seconds
        self.time = time
    }

    init(_ run: Run, now: Date) {
        id = run.id
        state = run.state
        seconds = run.startedAt.map { (run.endedAt ?? now).timeIntervalSince($0) }
        time = run.startedAt ?? run.createdAt
    }
}

/// Inline SVG charts of a job's recent runs, drawn on the server so they show without JavaScript.
/// Colours come from the stylesheet (`bar-ok`, `bar-bad`…), text is escaped. Pure.
enum Charts {
    /// A strip of small bars, oldest to newest: colour = outcome, height = duration relative to the
    /// longest (never below a third, so a quick failure is still visible).
    static func sparkline(_ runs: [ChartRun], width: Double = 120, height: Double = 24) -> String {
        guard !runs.isEmpty else { return "" }
        let slot = width / Double(max(runs.count, 12))
        let longest = runs.compactMap(\.seconds).max() ?? 0
        var svg =
            #"<svg class="spark" viewBox="0 0 \#(n(width)) \#(n(height))" width="\#(n(width))" height="\#(n(height))" role="img" aria-label="\#(escape(summary(runs)))">"#
        for (index, run) in runs.enumerated() {
            let share = longest > 0 ? (run.seconds ?? 0) / longest : 1
            let h = max(height / 3, height * share)
            svg +=
                #"<rect class="bar-\#(StateStyle.of(run.state))" x="\#(n(Double(index) * slot + 1))" y="\#(n(height - h))" width="\#(n(max(slot - 2, 1)))" height="\#(n(h))" rx="1"><title>\#(escape(label(run)))</title></rect>"#
        }
        return svg + "</svg>"
    }

    /// Bars of run durations, oldest to newest, on a labelled time axis; each bar links to its run.
    static func durations(_ runs: [ChartRun], width: Double = 960, height: Double = 220, cssClass: String = "chart") -> String {
        guard !runs.isEmpty else { return "" }
        let left = 56.0
        let bottom = 26.0
        let top = 10.0
        let plotWidth = width - left - 8
        let plotHeight = height - top - bottom
        let scale = axisMaximum(runs.compactMap(\.seconds).max() ?? 0)
        let ticks = tickCount(scale)
        var svg =
            #"<svg class="\#(cssClass)" viewBox="0 0 \#(n(width)) \#(n(height))" preserveAspectRatio="xMidYMid meet" role="img" aria-label="Durations of the last \#(runs.count) runs: \#(escape(summary(runs)))">"#
        for step in 0...ticks {
            let value = scale * Double(step) / Double(ticks)
            let y = top + plotHeight - plotHeight * Double(step) / Double(ticks)
            svg += #"<line class="grid-line" x1="\#(n(left))" x2="\#(n(width - 8))" y1="\#(n(y))" y2="\#(n(y))"/>"#
            svg += #"<text class="axis" x="\#(n(left - 6))" y="\#(n(y + 4))" text-anchor="end">\#(escape(axisLabel(value)))</text>"#
        }
        let slot = plotWidth / Double(max(runs.count, 10))
        for (index, run) in runs.enumerated() {
            let seconds = run.seconds ?? 0
            let h = scale > 0 ? max(2, plotHeight * seconds / scale) : 2
            let x = left + Double(index) * slot + slot * 0.15
            svg +=
                #"<a href="/runs/\#(run.id)"><rect class="bar-\#(StateStyle.of(run.state))" x="\#(n(x))" y="\#(n(top + plotHeight - h))" width="\#(n(slot * 0.7))" height="\#(n(h))" rx="2"><title>\#(escape(label(run)))</title></rect></a>"#
        }
        let baseline = top + plotHeight
        svg += #"<line class="base-line" x1="\#(n(left))" x2="\#(n(width - 8))" y1="\#(n(baseline))" y2="\#(n(baseline))"/>"#
        svg += #"<text class="axis" x="\#(n(left))" y="\#(n(height - 6))">\#(escape(TimeText.clock(runs[0].time)))</text>"#
        if runs.count > 1 {
            svg +=
                #"<text class="axis" x="\#(n(width - 8))" y="\#(n(height - 6))" text-anchor="end">\#(escape(TimeText.clock(runs[runs.count - 1].time)))</text>"#
        }
        return svg + "</svg>"
    }

    /// A round number at or above `value`: 1, 2, 2.5 or 5 times a power of ten.
    static func axisMaximum(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= value * 0.999_999 {
            return factor * power
        }
        return 10 * power
    }

    /// Gridlines so that each step is round too (0.2, 0.5 or 1 of a power of ten; 2.5 in steps of 0.5).
    static func tickCount(_ maximum: Double) -> Int {
        let leading = (maximum / pow(10, floor(log10(maximum)))).rounded()
        return leading == 2 ? 4 : 5
    }

    static func axisLabel(_ seconds: Double) -> String {
        if seconds == 0 { return "0" }
        if seconds < 1 { return "\(n(seconds * 1000)) ms" }
        if seconds < 120 { return "\(n(seconds)) s" }
        if seconds < 7200 { return "\(n(seconds / 60)) min" }
        return "\(n(seconds / 3600)) h"
    }

    static func label(_ run: ChartRun) -> String {
        "Run \(run.id) · \(run.state.rawValue) · \(run.seconds.map(TimeText.duration) ?? "not started") · \(TimeText.clock(run.time))"
    }

    static func summary(_ runs: [ChartRun]) -> String {
        let ok = runs.filter { $0.state == .completed }.count
        let bad = runs.filter { $0.state == .failed }.count
        return "\(ok) completed, \(bad) failed of \(runs.count)"
    }

    /// Numbers with at most two decimals and no trailing zeros.
    static func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%g", rounded)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
