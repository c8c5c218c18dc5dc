import ErrandCore
import Testing

@Suite("Input bounds at the API edge")
struct RequestBoundsTests {
    @Test(
        "seconds outside 0…max are refused with the field and the range",
        arguments: [-1, -0.001, .nan, .infinity, -.infinity, 1e19, 86_401])
    func refusedSeconds(value: Double) {
        #expect(throws: ErrandError.self) { try InputBounds.seconds(value, field: "grace", max: InputBounds.maxGraceSeconds) }
        do {
            _ = try InputBounds.seconds(value, field: "grace", max: InputBounds.maxGraceSeconds)
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message.contains("grace") && error.message.contains("86400"), "\(error.message)")
        }
    }

    @Test("seconds inside the range pass unchanged", arguments: [0, 0.5, 86_400])
    func acceptedSeconds(value: Double) throws {
        #expect(try InputBounds.seconds(value, field: "grace", max: InputBounds.maxGraceSeconds) == value)
    }

    @Test("the largest bounds convert to Duration and Int64 without trapping")
    func boundsConvert() {
        #expect(Duration.seconds(InputBounds.maxTimeoutSeconds) > .seconds(InputBounds.maxGraceSeconds))
        #expect(Int64(InputBounds.maxTimeoutSeconds * 1000) == 31_536_000_000)
    }

    @Test("counts outside min…max are refused", arguments: [0, -5, 1_000_001, Int.max, Int.min])
    func refusedCounts(value: Int) {
        #expect(throws: ErrandError.self) { try InputBounds.count(value, field: "throttleLimit", min: 1) }
    }

    @Test("a run request with absurd numbers is refused before it reaches the daemon's conversions")
    func runRequest() {
        for timeout in [1e19, 1e300, .nan, -1, 0] {
            #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], timeout: timeout).validated() }
        }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], throttleLimit: Int.max).validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], workingDirectory: "/tm\0p").validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], environment: ["A": "x\0y"]).validated() }
        #expect(throws: Never.self) { try RunRequest(argv: ["true"], throttleLimit: 1_000_000, timeout: 31_536_000).validated() }
    }
}
