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

    @Test(arguments: ["nightly", "a", "Job-1_x", "9lives"])
    func validNames(name: String) throws {
        #expect(try JobName(validating: name).rawValue == name)
        #expect(JobName(rawValue: name) != nil)
    }

    @Test(arguments: ["", "-job", "_job", "job.v2", "job name", "../etc", "jöb", "12345", String(repeating: "a", count: 129)])
    func invalidNames(name: String) {
        #expect(throws: ErrandError.self) { try JobName(validating: name) }
        #expect(JobName(rawValue: name) == nil)
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

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256Vectors(input: String, digest: String) {
        var hasher = SHA256()
        hasher.update(input)
        #expect(hasher.finalize() == digest)
    }

    @Test func sha256InPiecesMatchesWhole() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256()
        whole.update(bytes)
        var pieces = SHA256()
        for chunk in stride(from: 0, to: bytes.count, by: 37) { pieces.update(bytes[chunk..<min(chunk + 37, bytes.count)]) }
        #expect(whole.finalize() == pieces.finalize())
        var million = SHA256()
        million.update([UInt8](repeating: 0x61, count: 1_000_000))
        #expect(million.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
