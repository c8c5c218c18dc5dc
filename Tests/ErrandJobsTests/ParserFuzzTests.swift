import ErrandCore
import ErrandTestSupport
import Foundation
import PropertyBased
import Testing

@testable import ErrandJobs

/// Bounded property-based tests of what a deploy reads from outside (issue 20): settings.job and the zip's
/// central directory. Any input either parses or gives the module's own error (a `SettingsProblem`, a
/// `DeployError`), and what parses is within the documented bounds. A failing case prints the seed to pass to
/// `.fixedSeed(…)`; a trap shows in the crash's stack trace.
@Suite struct ParserFuzzTests {
    // MARK: - settings.job

    static let durationValues: [JSONValue] = [
        .number(0), .number(1), .number(2.5), .number(-1), .number(86_400), .number(86_400.5), .number(31_536_000),
        .number(31_536_001), .number(1e16), .number(-1e16), .number(1e300), .number(-1e300), .number(9.3e18),
        .number(1e-9), .string("60"), .string("1h30m"), .string("250ms"), .string("2d"), .string("365d"), .string("366d"),
        .string("1e20"), .string("-5"), .string("99999999999999999999d"), .string("1.5.5s"), .string("5x"), .string(""),
        .string("nan"), .string("inf"), .string("0x10"), .bool(true), .null, .array([.number(1)]), .object([:]),
    ]
    static let countValues: [JSONValue] = [
        .number(0), .number(1), .number(3), .number(100), .number(101), .number(10_000), .number(10_001), .number(-1),
        .number(2.5), .number(1e15), .number(1e19), .number(-9.3e18), .number(1e300), .string("7"), .string("1e19"),
        .string("9223372036854775808"), .string("ten"), .bool(false), .null,
    ]

    /// A settings object of known keys (and a few unknown ones) with values right, wrong, huge or mistyped.
    static let settingsObject = Generator<[String: JSONValue], Shrink.None<[String: JSONValue]>> { rng in
        var object: [String: JSONValue] = [:]
        for key in ["stopping_wait_time", "timeout", "idle_timeout"] where Fuzz.int(0...1, &rng) == 0 {
            object[key] = Fuzz.pick(durationValues, &rng)
        }
        if Fuzz.int(0...2, &rng) == 0 { object["history_size"] = Fuzz.pick(countValues, &rng) }
        switch Fuzz.int(0...3, &rng) {
        case 0: object["retries"] = Fuzz.pick(countValues, &rng)
        case 1:
            var retries: [String: JSONValue] = [:]
            if Fuzz.int(0...3, &rng) > 0 { retries["count"] = Fuzz.pick(countValues, &rng) }
            if Fuzz.int(0...1, &rng) == 0 { retries["delay"] = Fuzz.pick(durationValues, &rng) }
            if Fuzz.int(0...1, &rng) == 0 { retries["max_delay"] = Fuzz.pick(durationValues, &rng) }
            if Fuzz.int(0...2, &rng) == 0 { retries["backoff"] = Fuzz.pick([.string("fixed"), .string("Exponential"), .number(1)], &rng) }
            object["retries"] = .object(retries)
        default: break
        }
        if Fuzz.int(0...3, &rng) == 0 {
            object["schedule"] = Fuzz.pick(
                [.string("@every 999999999d999999999d"), .string("*/5 * * * *"), .string("@every 90s"), .string("61 * * * *"), .number(5)],
                &rng)
        }
        if Fuzz.int(0...5, &rng) == 0 {
            object["recurrence"] = Fuzz.pick(
                [
                    .object([
                        "frequency": .string("Month"), "interval": .number(999_996),
                        "schedule": .object(["monthDays": .array([.number(30)])]),
                    ]),
                    .object(["frequency": .string("Hour"), "interval": .number(1e300)]), .string("{\"frequency\": \"Day\"}"), .number(1),
                ], &rng)
        }
        if Fuzz.int(0...5, &rng) == 0 { object["time_zone"] = Fuzz.pick([.string("UTC"), .string("Mars/Olympus"), .number(1)], &rng) }
        if Fuzz.int(0...5, &rng) == 0 { object[Fuzz.pick(["colour", "Timeout", "run_mode"], &rng)] = .number(1) }
        return object
    }

    @Test func settingsAreBoundedOrProblems() async {
        await propertyCheck(count: 2000, input: Self.settingsObject) { object in
            let settings = JobSettings(object: object)
            let year = Duration.seconds(31_536_000)
            #expect(settings.timeout.map { $0 > .zero && $0 <= year } ?? true)
            #expect(settings.idleTimeout.map { $0 > .zero && $0 <= year } ?? true)
            #expect(settings.stoppingWaitTimeSetting.map { $0 >= .zero && $0 <= .seconds(86_400) } ?? true)
            #expect((0...RetryPolicy.maxCount).contains(settings.retries.count))
            #expect(settings.retries.delay >= .zero && settings.retries.delay <= year)
            #expect(settings.retries.maxDelay > .zero && settings.retries.maxDelay <= year)
            #expect((1...JobSettings.maxHistorySize).contains(settings.historySize))
            // A value that was given and not used is always reported.
            if let value = object["stopping_wait_time"], value != .null, settings.stoppingWaitTimeSetting == nil {
                #expect(settings.problems.contains { $0.field == "stopping_wait_time" }, "\(value)")
            }
            if let value = object["history_size"], value != .null, !settings.problems.contains(where: { $0.field == "history_size" }) {
                #expect(value == .number(Double(settings.historySize)) || value == .string(String(settings.historySize)))
            }
        }
    }

    /// The settings text itself, mutated byte by byte: never a trap, at most one whole-file problem when it is
    /// not JSON.
    @Test func settingsTextTakesAnyBytes() async {
        await propertyCheck(count: 1500, input: Self.settingsObject, Gen.int(in: 0...10_000), Gen<UInt8>.value(in: 0...255)) {
            object, position, byte in
            var bytes = JSONValue.object(object).jsonData
            if !bytes.isEmpty { bytes[position % bytes.count] = byte }
            if position % 4 == 0 { bytes = bytes.prefix(position % (bytes.count + 1)) }
            let settings = JobSettings(parsing: bytes)
            if settings.problems.contains(where: { $0.field == nil }) { #expect(settings.problems.count == 1) }
        }
    }

    // MARK: - Zip central directory

    /// A valid zip of a few entries to mutate: files, a folder, links, a device, long names.
    static let validZip: Data = {
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\necho hi\n", mode: 0o100755)
        zip.folder("lib")
        zip.file("lib/" + String(repeating: "a", count: 100) + ".py", "x = 1\n")
        zip.link("link", to: "run.sh")
        zip.device("dev")
        zip.file("settings.job", #"{"schedule": "@hourly"}"#)
        return zip.data()
    }()

    /// Mutations that matter to a zip reader: flipped bytes, little-endian values near the limits written over
    /// any offset (sizes, offsets, counts, lengths), truncation, ZIP64 end records added in front of the end.
    static let mutatedZip = Generator<Data, Shrink.None<Data>> { rng in
        var data = validZip
        let values: [UInt64] = [0, 1, 0xFF, 0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FF00, 1 << 62, 1 << 63, .max, 46, 22]
        for _ in 0..<Fuzz.int(1...4, &rng) {
            let at = Fuzz.int(0...(data.count - 1), &rng)
            switch Fuzz.int(0...4, &rng) {
            case 0: data[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1, 2:
                let width = Fuzz.pick([2, 4, 8], &rng)
                let value = Fuzz.pick(values, &rng)
                for i in 0..<width where at + i < data.count { data[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            case 3: data = data.prefix(at)
            default:
                // A ZIP64 end record and locator just before the end record, with hostile values.
                guard let eocd = data.range(of: Data([0x50, 0x4B, 0x05, 0x06]), options: .backwards)?.lowerBound else { break }
                var zip64 = Data()
                zip64.append(le: 0x0606_4b50, 4)
                zip64.append(le: 44, 8)
                zip64.append(le: 45, 2)
                zip64.append(le: UInt64(Fuzz.pick([45, 20, 0xFFFF], &rng)), 2)
                zip64.append(le: 0, 8)
                for _ in 0..<4 { zip64.append(le: Fuzz.pick(values, &rng), 8) }
                let recordOffset = UInt64(eocd)
                zip64.append(le: 0x0706_4b50, 4)
                zip64.append(le: 0, 4)
                zip64.append(le: Fuzz.int(0...1, &rng) == 0 ? recordOffset : Fuzz.pick(values, &rng), 8)
                zip64.append(le: 1, 4)
                data.insert(contentsOf: zip64, at: eocd)
            }
            if data.isEmpty { break }
        }
        return data
    }

    @Test func centralDirectoryReaderTakesAnyMutation() async {
        await propertyCheck(count: 3000, input: Self.mutatedZip) { data in
            do throws(DeployError) {
                let directory = try ZipCentralDirectory(bytes: data)
                #expect(directory.records.count <= data.count / 46)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func centralDirectoryReaderTakesRandomBytes() async {
        let bytes = Gen<UInt8>.value(in: 0...255).array(of: 0...300).map { bytes -> Data in
            // Often end with an end-of-directory signature, so the reader gets past its first check.
            var data = Data(bytes)
            if bytes.count > 30, bytes[0] & 1 == 0 {
                data.replaceSubrange((data.count - 22)..<(data.count - 18), with: [0x50, 0x4B, 0x05, 0x06])
            }
            return data
        }
        await propertyCheck(count: 2000, input: bytes) { data in
            do throws(DeployError) {
                _ = try ZipCentralDirectory(bytes: data)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    /// The unmutated zip reads back as written, so the mutation tests start from a zip the reader accepts.
    @Test func theValidZipReadsBack() throws {
        let directory = try ZipCentralDirectory(bytes: Self.validZip)
        #expect(directory.records.map(\.path).first == "run.sh")
        #expect(directory.records.map(\.fileType) == [0o100000, 0o040000, 0o100000, 0o120000, 0o020000, 0o100000])
    }

    /// Whole deploys of mutated zips, ZIPFoundation included: refused with a `DeployError` or staged, never a trap
    /// (ZIPFoundation converts and adds offsets unchecked; the directory reader must stop what would trap it).
    @Test func unpackingMutatedZipsNeverTraps() async throws {
        let temp = try TemporaryDirectory()
        let store = PackageStore(directory: temp.path("store"))
        let url = temp.path("fuzz.zip")
        await propertyCheck(count: 300, input: Self.mutatedZip) { data in
            try data.write(to: url)
            do throws(DeployError) {
                let staged = try store.stage(.zip(url))
                store.discard(staged)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }
}

extension Data {
    fileprivate mutating func append(le value: UInt64, _ width: Int) {
        for i in 0..<width { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
