import ErrandSchedule
import Foundation

// Next-occurrence computations per second for typical expressions, in a release build.
// Usage: schedule-speed [SECONDS_PER_CASE] [EXPR…]; prints one JSON object per case.
// Each case walks a chain of `next(after:)` calls from 2026-01-01, so every call does real work.

let arguments = Array(Swift.CommandLine.arguments.dropFirst())
let seconds = arguments.first.flatMap(Double.init) ?? 1.0
let expressions =
    arguments.count > 1
    ? Array(arguments.dropFirst())
    : ["*/5 * * * *", "0 9 * * MON-FRI", "30 2 * * *", "0 0 1,15 * *", "0 30 9 * * MON-FRI", "0 0 L * *", "0 12 * * FRI#2"]
let zones = ["UTC", "America/New_York"]
let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

for zoneName in zones {
    let zone = TimeZone(identifier: zoneName)!
    for expression in expressions {
        let schedule = try CronExpression(parsing: expression)
        var instant = start
        var count = 0
        let clock = ContinuousClock()
        let began = clock.now
        let budget = Duration.seconds(seconds)
        while clock.now - began < budget {
            for _ in 0..<1000 {
                instant = schedule.next(after: instant, in: zone) ?? start
                count += 1
            }
        }
        let elapsed = clock.now - began
        let perSecond = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print(#"{"expression": "\#(expression)", "zone": "\#(zoneName)", "perSecond": \#(Int(perSecond))}"#)
    }
}
