import Foundation
import Testing

@testable import ErrandSchedule

/// Recurrence objects against python-dateutil's RFC 5545 `rrule`, from Fixtures/recurrence.json.
@Suite struct RecurrenceFixtureTests {
    @Test func recurrencesAgreeWithDateutil() throws {
        let url = try #require(Bundle.module.url(forResource: "recurrence", withExtension: "json", subdirectory: "Fixtures"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        let utc = zone("UTC")
        var compared = 0
        var agreed = 0
        var failures: [String] = []
        for c in cases {
            let objectData = try JSONSerialization.data(withJSONObject: c["r"]!, options: [.sortedKeys])
            let recurrence = try Recurrence(json: objectData)
            let from = c["f"] as! Int
            let expected = c["n"] as! [Int]
            var cursor = from
            for e in expected {
                let actual = recurrence.next(after: Date(seconds: cursor), in: utc)?.floorSeconds
                compared += 1
                if actual == e {
                    agreed += 1
                } else {
                    let tz = recurrence.timeZone ?? utc
                    failures.append(
                        "\(String(decoding: objectData, as: UTF8.self)) from \(iso(Date(seconds: cursor), tz)): expected \(iso(Date(seconds: e), tz)), got \(iso(actual.map(Date.init(seconds:)), tz))"
                    )
                }
                cursor = e
            }
            // After the last reference answer, when dateutil had fewer than five, there must be nothing more.
            if expected.count < 5 {
                compared += 1
                let actual = recurrence.next(after: Date(seconds: expected.last ?? from), in: utc)
                if actual == nil {
                    agreed += 1
                } else {
                    failures.append("\(String(decoding: objectData, as: UTF8.self)): expected the end, got \(iso(actual, utc))")
                }
            }
        }
        print("recurrence fixtures: \(cases.count) cases, \(compared) comparisons, \(agreed) agreed")
        for f in failures.prefix(25) { print("  \(f)") }
        #expect(failures.count == 0)
        #expect(compared > 10_000)
    }
}
