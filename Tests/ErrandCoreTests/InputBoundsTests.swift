import ErrandCore
import PropertyBased
import Testing

/// The shared bounds: what passes is finite and in range, what does not is a bad request naming field and range.
@Suite struct InputBoundsTests {
    @Test(arguments: [
        (1e300, "timeout must be a finite number of seconds between 0 and 31536000 (got 1e+300)"),
        (-1, "timeout must be a finite number of seconds between 0 and 31536000 (got -1)"),
        (.nan, "timeout must be a finite number of seconds between 0 and 31536000 (got nan)"),
        (.infinity, "timeout must be a finite number of seconds between 0 and 31536000 (got inf)"),
        (31_536_000.5, "timeout must be a finite number of seconds between 0 and 31536000 (got 31536000.5)"),
    ])
    func secondsOutsideTheRange(value: Double, message: String) {
        let error = #expect(throws: ErrandError.self) {
            try InputBounds.seconds(value, field: "timeout", max: InputBounds.maxTimeoutSeconds)
        }
        #expect(error == .badRequest(message))
    }

    @Test func theRangesAreInclusive() throws {
        #expect(try InputBounds.seconds(0, field: "grace", max: InputBounds.maxGraceSeconds) == 0)
        #expect(try InputBounds.seconds(86_400, field: "grace", max: InputBounds.maxGraceSeconds) == 86_400)
        #expect(try InputBounds.count(1_000_000, field: "limit") == 1_000_000)
        #expect(try InputBounds.count(1, field: "limit", min: 1, max: 5) == 1)
        let error = #expect(throws: ErrandError.self) { try InputBounds.count(1_000_001, field: "limit") }
        #expect(error?.message == "limit must be a whole number between 0 and 1000000 (got 1000001)")
    }

    /// Any Double: either returned unchanged and safe to convert to milliseconds, or refused as a bad request.
    @Test func anySecondsValue() async {
        let edges: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 9.3e18, .ulpOfOne, -0.0, 31_536_000, 31_536_000.001]
        let values = Generator<Double, Shrink.None<Double>> { rng in
            let draw = rng.next()
            if draw % 4 == 0 { return edges[Int(draw / 4 % UInt64(edges.count))] }
            // Any bit pattern: subnormals, huge exponents, negative zero, NaN payloads.
            return Double(bitPattern: rng.next())
        }
        await propertyCheck(count: 2000, input: values) { value in
            do throws(ErrandError) {
                let seconds = try InputBounds.seconds(value, field: "x", max: InputBounds.maxTimeoutSeconds)
                #expect(seconds == value && seconds >= 0 && seconds <= InputBounds.maxTimeoutSeconds)
                #expect(Int64((seconds * 1000).rounded()) >= 0)
            } catch {
                #expect(error.code == .badRequest && error.message.hasPrefix("x must be"))
                #expect(!(value >= 0 && value <= InputBounds.maxTimeoutSeconds))
            }
        }
    }
}
