import ErrandCore
import ErrandTestSupport
import Foundation
import Testing
import ZIPFoundation

@testable import ErrandJobs

/// Hostile zips are refused with their reason, never a trap (issue 20), and deflated links are read.
@Suite struct ZipHardeningTests {
    func refusal(_ bytes: Data) -> DeployError? {
        do {
            _ = try ZipCentralDirectory(bytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The 221-byte zip: a ZIP64 end record whose directory offset + size is above 2^64 trapped at
    /// `directoryOffset + directorySize`. Built as the python does, then with padding in front (the 221
    /// bytes) and with the locator pointing at the record, so each path through the end records is taken.
    @Test(arguments: [0, 123])
    func zip64EndRecordBeyondTwoToTheSixtyFour(padding: Int) {
        for locatorPointsAtRecord in [false, true] {
            var data = Data(repeating: 0, count: padding)
            data.le32(0x0606_4b50)
            data.le64(44)
            data.le16(45)
            data.le16(45)
            data.le32(0)
            data.le32(0)
            data.le64(1)
            data.le64(1)
            data.le64(0xFFFF_FFFF_FFFF_FF00)
            data.le64(0xFFFF_FFFF_FFFF_FF00)
            data.le32(0x0706_4b50)
            data.le32(0)
            data.le64(locatorPointsAtRecord ? UInt64(padding) : 0)
            data.le32(1)
            data.le32(0x0605_4b50)
            for _ in 0..<4 { data.le16(0xFFFF) }
            data.le32(0xFFFF_FFFF)
            data.le32(0xFFFF_FFFF)
            data.le16(0)
            #expect(data.count == 98 + padding)
            let error = refusal(data)
            #expect(error?.code == .corruptArchive, "\(String(describing: error))")
        }
    }

    /// The same end records, each value in turn near 2^64, with a real directory entry: each is refused.
    @Test(arguments: [
        (UInt64(1) << 63, UInt64(46), UInt64(0)), (1, 0xFFFF_FFFF_FFFF_FFFF, 0), (1, 46, 0xFFFF_FFFF_FFFF_FFD0),
        (1, 46, 0xFFFF_FFFF_FFFF_FF00),
    ])
    func zip64EndRecordValues(count: UInt64, size: UInt64, offset: UInt64) {
        var data = Data()
        data.le32(0x0201_4b50)
        data.append(Data(repeating: 0, count: 42))
        let record = UInt64(data.count)
        data.le32(0x0606_4b50)
        data.le64(44)
        data.le16(45)
        data.le16(45)
        data.le32(0)
        data.le32(0)
        data.le64(count)
        data.le64(count)
        data.le64(size)
        data.le64(offset)
        data.le32(0x0706_4b50)
        data.le32(0)
        data.le64(record)
        data.le32(1)
        data.le32(0x0605_4b50)
        for _ in 0..<4 { data.le16(0xFFFF) }
        data.le32(0xFFFF_FFFF)
        data.le32(0xFFFF_FFFF)
        data.le16(0)
        #expect(refusal(data)?.code == .corruptArchive)
    }

    /// A central entry whose ZIP64 extra field gives a local-header offset or size near 2^64: ZIPFoundation
    /// would compute `offset + 30 + …` unchecked and `off_t(offset)`, both traps.
    @Test(arguments: [UInt64(0xFFFF_FFFF_FFFF_FFF0), 1 << 63, 1 << 40])
    func zip64ExtraFieldOffsets(value: UInt64) throws {
        var zip = ZipWriter()
        zip.file("run.sh", "echo hi\n")
        var data = zip.data()
        // Rewrite the one central entry: offset 0xFFFFFFFF, and a ZIP64 extra field holding `value`.
        let central = try #require(data.range(of: Data([0x50, 0x4B, 0x01, 0x02]), options: .backwards)).lowerBound
        let eocd = try #require(data.range(of: Data([0x50, 0x4B, 0x05, 0x06]), options: .backwards)).lowerBound
        var entry = Data(data[central..<eocd])
        entry.replace(at: 42, le32: 0xFFFF_FFFF)
        entry.replace(at: 30, le16: 12)
        var extra = Data()
        extra.le16(0x0001)
        extra.le16(8)
        extra.le64(value)
        entry.append(extra)
        var rebuilt = Data(data[..<central])
        rebuilt.append(entry)
        var end = Data(data[eocd...])
        end.replace(at: 12, le32: UInt32(entry.count))
        rebuilt.append(end)
        data = rebuilt
        let error = refusal(data)
        #expect(error?.code == .corruptArchive, "\(String(describing: error))")
        // And through the whole unpacker, which must refuse before ZIPFoundation reads the entry.
        let temp = try TemporaryDirectory()
        try data.write(to: temp.path("hostile.zip"))
        let store = PackageStore(directory: temp.path("store"))
        #expect(throws: DeployError.self) { _ = try store.stage(.zip(temp.path("hostile.zip"))) }
    }

    /// A deflate stream whose stored block claims 65,535 bytes and holds 5: ZIPFoundation's inflater read on past
    /// the entry to the end of the file and then asked for more forever, holding the deploy in a spin. Refused now;
    /// and a well-formed deflated file still unpacks.
    @Test func aDeflateStreamThatNeverEndsIsRefused() throws {
        var zip = ZipWriter()
        zip.file("run.sh", "echo\n")
        zip.deflatedFile("endless.txt", "hello", compressed: Data([0x01, 0xFF, 0xFF, 0x00, 0x00]) + Data("hello".utf8))
        let temp = try TemporaryDirectory()
        try zip.write(to: temp.path("endless.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let error = #expect(throws: DeployError.self) { _ = try store.stage(.zip(temp.path("endless.zip"))) }
        #expect(
            error?.code == .corruptArchive && error?.message.contains("ends before its stream does") == true, "\(String(describing: error))"
        )

        var good = ZipWriter()
        good.file("run.sh", "echo\n")
        good.deflatedFile(
            "data.txt", String(repeating: "deflated ", count: 20_000),
            compressed: try Self.deflate(String(repeating: "deflated ", count: 20_000)))
        try good.write(to: temp.path("good.zip"))
        let staged = try store.stage(.zip(temp.path("good.zip")))
        #expect(
            try String(contentsOfFile: staged.root.path + "/data.txt", encoding: .utf8) == String(repeating: "deflated ", count: 20_000))
        store.discard(staged)
    }

    /// Made by python's zipfile with ZIP_DEFLATED: the link targets are deflated. Refused before ("unreadable
    /// target"); read now, with the usual rule that links stay inside the package.
    static let pythonDeflatedLinks = Data(
        base64Encoded:
            "UEsDBBQAAAAAAAAAIQAAAAAAAAAAAAAAAAAEAAAAYmluL1BLAwQUAAAACAAAACEAVIEQlh8AAAAdAAAACwAAAGJpbi9yZWFsLnNoU1bUT8rM0y/O4EpNzshXSElNy0ksSU1RyMnMy+YCAFBLAwQUAAAACAAAACEAe3r+eQ0AAAALAAAABgAAAHJ1bi5zaEvKzNMvSk3M0SvOAABQSwMEFAAAAAgAAAAhAMScAOYQAAAADgAAAAYAAABiaW4vdXDT09NPyszTL0pNzNErzgAAUEsBAhQDFAAAAAAAAAAhAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAIABAAAAAGJpbi9QSwECFAMUAAAACAAAACEAVIEQlh8AAAAdAAAACwAAAAAAAAAAAAAA7YEiAAAAYmluL3JlYWwuc2hQSwECFAMUAAAACAAAACEAe3r+eQ0AAAALAAAABgAAAAAAAAAAAAAA/6FqAAAAcnVuLnNoUEsBAhQDFAAAAAgAAAAhAMScAOYQAAAADgAAAAYAAAAAAAAAAAAAAP+hmwAAAGJpbi91cFBLBQYAAAAABAAEANMAAADPAAAAAAA="
    )!

    @Test func deflatedLinksInsideThePackageAreAccepted() throws {
        let temp = try TemporaryDirectory()
        try Self.pythonDeflatedLinks.write(to: temp.path("links.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let staged = try store.stage(.zip(temp.path("links.zip")))
        let root = staged.root.path
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/run.sh") == "bin/real.sh")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/bin/up") == "../bin/real.sh")
        #expect(try String(contentsOfFile: root + "/run.sh", encoding: .utf8) == "#!/bin/sh\necho deflated link\n")
        #expect(try EntryPoint.choose(files: staged.files).script == "run.sh")
        store.discard(staged)
    }

    static func deflate(_ text: String) throws -> Data {
        let input = Data(text.utf8)
        var output = Data()
        _ = try Data.compress(
            size: Int64(input.count), bufferSize: 1024,
            provider: { position, size in input.subdata(in: Int(position)..<min(input.count, Int(position) + size)) },
            consumer: { output.append($0) })
        return output
    }

    /// Deflating a link changes nothing about where it may point, and a damaged stream is a damaged zip.
    @Test(arguments: [
        ("../../etc/passwd", 0, DeployError.Code.symlinkEscape),
        ("/etc/passwd", 0, .symlinkEscape),
        ("run.sh", 2, .corruptArchive),
        ("run.sh", -1, .corruptArchive),
    ])
    func deflatedLinksFollowTheLinkRules(target: String, damage: Int, code: DeployError.Code) throws {
        var compressed = try Self.deflate(target)
        if damage > 0 { compressed = compressed.dropLast(damage) }
        if damage < 0 { compressed[compressed.startIndex] ^= 0xFF }
        var zip = ZipWriter()
        zip.file("run.sh", "echo\n")
        zip.deflatedLink("link", to: target, compressed: compressed)
        let temp = try TemporaryDirectory()
        try zip.write(to: temp.path("link.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let error = #expect(throws: DeployError.self) { _ = try store.stage(.zip(temp.path("link.zip"))) }
        #expect(error?.code == code, "\(String(describing: error))")
    }
}

extension Data {
    fileprivate mutating func replace(at offset: Int, le16 value: UInt16) {
        self[startIndex + offset] = UInt8(value & 0xFF)
        self[startIndex + offset + 1] = UInt8(value >> 8)
    }

    fileprivate mutating func replace(at offset: Int, le32 value: UInt32) {
        replace(at: offset, le16: UInt16(value & 0xFFFF))
        replace(at: offset + 2, le16: UInt16(value >> 16))
    }
}
