import Foundation

@testable import ErrandSchedule

/// Helpers for writing instants in tests as ISO-8601 with offsets, never reading the wall clock.
func instant(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let d = f.date(from: text) else { fatalError("bad test instant \(text)") }
    return d
}

func zone(_ id: String) -> TimeZone { TimeZone(identifier: id)! }

func iso(_ date: Date?, _ tz: TimeZone) -> String { date.map { ISO8601.string($0, in: tz) } ?? "nil" }

/// The next `count` instants of an expression as ISO strings in `tz`.
func nextInstants(_ expr: String, from: String, tz: String, count: Int) throws -> [String] {
    let z = zone(tz)
    return try CronExpression(parsing: expr).next(count, after: instant(from), in: z).map { iso($0, z) }
}
