import Foundation

/// A time zone seen as a sequence of constant-offset segments, in whole seconds.
///
/// Everything the engine needs from a zone goes through here: the UTC offset at an instant, the next and previous
/// offset change, and what a wall-clock time means (one instant, two instants, or none). `TimeZone` reports every
/// offset change through `nextDaylightSavingTimeTransition(after:)`, including changes of standard time such as
/// Pacific/Apia skipping 2011-12-30 or Europe/Moscow in 2014, so segments are exact.
struct ZoneTimeline: Sendable {
    let zone: TimeZone

    init(_ zone: TimeZone) { self.zone = zone }

    /// Seconds east of UTC at an instant.
    func offset(at instant: Int) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The first instant strictly after `instant` at which the offset changes, if any.
    /// Nothing past `ScheduleRange.latest` is looked for, so the clamped reading below always moves forward.
    func nextTransition(after instant: Int) -> Int? {
        guard instant < ScheduleRange.latest,
            let date = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(instant)))
        else { return nil }
        let t = date.floorSeconds
        return t > instant ? t : nextTransition(after: instant + 1)
    }

    /// The last instant at or before `instant` at which the offset changed, if any (searching back ~500 years).
    func lastTransition(atOrBefore instant: Int) -> Int? {
        var window = 40 * 86_400
        while window < 500 * 366 * 86_400 {
            var cursor = instant - window
            var last: Int?
            while let t = nextTransition(after: cursor), t <= instant {
                last = t
                cursor = t
            }
            if let last { return last }
            window *= 8
        }
        return nil
    }

    /// What a wall-clock time (wall seconds) means in this zone.
    enum Resolution: Equatable {
        /// The wall time occurs once.
        case unique(Int)
        /// The wall time occurs twice (clocks went back); instants in increasing order.
        case repeated(Int, Int)
        /// The wall time does not exist (clocks went forward). `transition` is the instant the gap ends;
        /// `shifted` is the wall time read with the offset in force before the gap (RFC 5545's rule).
        case skipped(transition: Int, shifted: Int)
    }

    /// Resolves a wall time by trying the offsets in force within two days of it.
    func resolve(wall: Int) -> Resolution {
        let windowStart = wall - 2 * 86_400 - 14 * 3600
        let windowEnd = wall + 2 * 86_400 + 14 * 3600
        var offsets = [offset(at: windowStart)]
        var transitions: [Int] = []
        var cursor = windowStart
        while let t = nextTransition(after: cursor), t <= windowEnd {
            transitions.append(t)
            offsets.append(offset(at: t))
            cursor = t
        }
        if transitions.isEmpty { return .unique(wall - offsets[0]) }
        var instants: [Int] = []
        for o in offsets where offset(at: wall - o) == o {
            let instant = wall - o
            if !instants.contains(instant) { instants.append(instant) }
        }
        instants.sort()
        switch instants.count {
        case 1: return .unique(instants[0])
        case 0:
            // Find the transition whose gap swallows this wall time.
            for t in transitions {
                let before = offset(at: t - 1)
                let after = offset(at: t)
                if t - 1 + before < wall && wall < t + after {
                    return .skipped(transition: t, shifted: wall - before)
                }
            }
            return .skipped(transition: transitions[0], shifted: wall - offsets[0])
        default: return .repeated(instants[0], instants[instants.count - 1])
        }
    }
}
