import ErrandCore
import Foundation
import Testing

@testable import ErrandJobs

@Suite struct PoliciesTests {
    @Test func exponentialRetriesDoubleUpToTheCap() {
        let policy = RetryPolicy(count: 6, delay: .seconds(10), backoff: .exponential, maxDelay: .seconds(60))
        #expect(
            (0...7).map { policy.delay(beforeRetry: $0) } == [
                nil, .seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60), .seconds(60), nil,
            ])
    }

    @Test func fixedRetriesKeepTheirDelay() {
        let policy = RetryPolicy(count: 2, delay: .seconds(7), backoff: .fixed)
        #expect((1...3).map { policy.delay(beforeRetry: $0) } == [.seconds(7), .seconds(7), nil])
        #expect(RetryPolicy.none.delay(beforeRetry: 1) == nil)
    }

    @Test(arguments: [
        ("90", Duration.seconds(90)), ("1h30m", .seconds(5400)), ("2d", .seconds(172_800)), ("1.5m", .seconds(90)),
        ("500ms", .milliseconds(500)), (" 3s ", .seconds(3)),
    ])
    func durationText(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "5 minutes", "m", "1x", "10s5", "h1"])
    func badDurationText(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// Only digits is a job name (the WebJobs rule: letters or digits); run names keep "not only digits".
    @Test(arguments: ["nightly", "a", "Job-1_x", "9lives", "12345", "0", "2024"])
    func validNames(name: String) throws {
        #expect(try JobName(validating: name).rawValue == name)
        #expect(JobName(rawValue: name) != nil)
    }

    @Test(arguments: ["", "-job", "_job", "job.v2", "job name", "../etc", "jöb", String(repeating: "a", count: 129)])
    func invalidNames(name: String) {
        #expect(throws: ErrandError.self) { try JobName(validating: name) }
        #expect(JobName(rawValue: name) == nil)
    }

    @Test func onlyDigitsIsAJobNameButNotARunName() throws {
        #expect(try JobName(validating: "2024").rawValue == "2024")
        #expect(throws: ErrandError.self) { try Names.validate("2024", what: "run name") }
    }

    @Test func nameRoundTripsThroughJSON() throws {
        let name = try JobName(validating: "report")
        let data = try JSONEncoder().encode([name])
        #expect(String(decoding: data, as: UTF8.self) == #"["report"]"#)
        #expect(try JSONDecoder().decode([JobName].self, from: data) == [name])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([JobName].self, from: Data(#"["../x"]"#.utf8)) }
    }

    @Test(arguments: [
        (JobKind.adhoc, nil as String?, false), (.triggered, "triggered", true), (.scheduled, "triggered", true),
        (.continuous, "continuous", true),
    ])
    func kinds(kind: JobKind, kuduType: String?, deployable: Bool) {
        #expect(kind.kuduType == kuduType)
        #expect(kind.isDeployable == deployable)
    }
}
