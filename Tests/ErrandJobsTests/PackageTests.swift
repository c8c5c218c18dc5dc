import ErrandCore
import ErrandTestSupport
import Foundation
import Testing
import ZIPFoundation

@testable import ErrandJobs

@Suite struct PackageTests {
    func expectRefused(
        _ code: DeployError.Code, _ message: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        #expect(sourceLocation: sourceLocation) {
            try body()
        } throws: { error in
            guard let error = error as? DeployError else { return false }
            return error.code == code && error.message.contains(message)
        }
    }

    /// Nothing may be left in staging, and nothing outside the store may have been written.
    func expectClean(_ store: PackageStore, sourceLocation: SourceLocation = #_sourceLocation) {
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: store.stagingDirectory.path)) ?? []
        #expect(leftovers.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func zipUnpacksWithExecBitsAndFolders() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\necho hi\n", mode: 0o100755)
        zip.folder("lib")
        zip.file("lib/util.py", "x = 1\n")
        zip.file("settings.job", #"{"schedule": "@hourly"}"#)
        try zip.write(to: temp.path("job.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let staged = try store.stage(.zip(temp.path("job.zip")))
        #expect(staged.files.map(\.path) == ["lib/util.py", "run.sh", "settings.job"])
        #expect(staged.files.map(\.isExecutable) == [false, true, false])
        #expect(staged.entryCount == 4)
        #expect(staged.unpackedBytes == Int64("#!/bin/sh\necho hi\n".utf8.count + 6 + 23))
        #expect(staged.settingsData().map { String(decoding: $0, as: UTF8.self) } == #"{"schedule": "@hourly"}"#)
        #expect(try EntryPoint.choose(files: staged.files).argv == ["/bin/sh", "run.sh"])
        let mode = try FileManager.default.attributesOfItem(atPath: staged.root.appendingPathComponent("run.sh").path)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o755)
        store.discard(staged)
        expectClean(store)
    }

    @Test func loneTopFolderIsUnwrapped() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.folder("myjob/")
        zip.folder("myjob/inner/")
        zip.file("myjob/inner/run.py", "print(1)\n")
        zip.file("__MACOSX/myjob/._run.py", "resource fork")
        try zip.write(to: temp.path("job.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let staged = try store.stage(.zip(temp.path("job.zip")))
        #expect(staged.unwrapped == ["myjob", "inner"])
        #expect(staged.files.map(\.path) == ["run.py"])
        store.discard(staged)
    }

    @Test func zipMadeByZIPFoundationRoundTrips() throws {
        let temp = try TemporaryDirectory()
        try temp.write("src/run.sh", "#!/bin/bash\necho $@\n", executable: true)
        try temp.write("src/data/a.txt", "a")
        try FileManager.default.createSymbolicLink(atPath: temp.path("src/link").path, withDestinationPath: "data/a.txt")
        try FileManager.default.zipItem(at: temp.path("src"), to: temp.path("job.zip"), shouldKeepParent: false)
        let store = PackageStore(directory: temp.path("store"))
        let fromZip = try store.stage(.zip(temp.path("job.zip")))
        let fromFolder = try store.stage(.folder(temp.path("src")))
        #expect(fromZip.files.map(\.path) == ["data/a.txt", "link", "run.sh"])
        #expect(fromZip.files.first { $0.path == "run.sh" }?.isExecutable == true)
        // The same content has the same digest whichever way it came.
        #expect(fromZip.digest == fromFolder.digest)
        store.discard(fromZip)
        store.discard(fromFolder)
    }

    @Test(arguments: [
        ("../evil.sh", DeployError.Code.unsafePath, "contains '..'"),
        ("a/../../evil.sh", .unsafePath, "contains '..'"),
        ("..\\..\\evil.sh", .unsafePath, "contains '..'"),
        ("/etc/cron.d/evil", .unsafePath, "absolute path"),
        ("C:/evil", .unsafePath, "drive letter"),
    ])
    func zipSlipIsRefused(name: String, code: DeployError.Code, message: String) throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("run.sh", "echo\n")
        zip.file(name, "pwned")
        try zip.write(to: temp.path("evil.zip"))
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(code, message) { _ = try store.stage(.zip(temp.path("evil.zip"))) }
        expectClean(store)
        #expect(!FileManager.default.fileExists(atPath: temp.path("evil.sh").path))
        #expect(!FileManager.default.fileExists(atPath: temp.path("store/evil.sh").path))
    }

    @Test(arguments: [
        (["link->../../outside"], "points to \"../../outside\", outside the job folder"),
        (["link->/etc/passwd"], "points to \"/etc/passwd\""),
        (["dir/link->..", "dir/link/escape->x"], "would be written through the symbolic link \"dir/link\""),
        (["d/l->..", "x->d/l/.."], "points to \"d/l/..\""),
        (["top/", "top/up->../top/run.sh"], "points to \"../top/run.sh\""),
    ])
    func escapingLinksAreRefused(entries: [String], message: String) throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        for entry in entries {
            if entry.hasSuffix("/") {
                zip.folder(entry)
            } else {
                let parts = entry.components(separatedBy: "->")
                zip.link(parts[0], to: parts[1])
            }
        }
        try zip.write(to: temp.path("links.zip"))
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.symlinkEscape, message) { _ = try store.stage(.zip(temp.path("links.zip"))) }
        expectClean(store)
    }

    @Test func linksInsideArePackageFiles() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("bin/real.sh", "echo\n", mode: 0o100755)
        zip.link("run.sh", to: "bin/real.sh")
        zip.link("bin/self", to: "../bin")
        try zip.write(to: temp.path("ok.zip"))
        let store = PackageStore(directory: temp.path("store"))
        let staged = try store.stage(.zip(temp.path("ok.zip")))
        #expect(staged.files.map(\.path) == ["bin/real.sh", "run.sh"])
        #expect(try EntryPoint.choose(files: staged.files).script == "run.sh")
        store.discard(staged)
    }

    @Test func deviceEntriesAreRefused() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("run.sh", "echo\n")
        zip.device("dev/sda")
        try zip.write(to: temp.path("dev.zip"))
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.specialFile, "\"dev/sda\" is a device, FIFO or socket") { _ = try store.stage(.zip(temp.path("dev.zip"))) }
        expectClean(store)
    }

    @Test func fifoInAFolderIsRefused() throws {
        let temp = try TemporaryDirectory()
        try temp.write("src/run.sh", "echo\n")
        #expect(mkfifo(temp.path("src/pipe").path, 0o644) == 0)
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.specialFile, "\"pipe\" is a device, FIFO or socket") { _ = try store.stage(.folder(temp.path("src"))) }
        expectClean(store)
    }

    @Test func folderLinkEscapeIsRefused() throws {
        let temp = try TemporaryDirectory()
        try temp.write("src/run.sh", "echo\n")
        try FileManager.default.createSymbolicLink(atPath: temp.path("src/secrets").path, withDestinationPath: "../../etc")
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.symlinkEscape, "\"secrets\" points to \"../../etc\"") { _ = try store.stage(.folder(temp.path("src"))) }
    }

    @Test func duplicateEntriesAreRefused() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("run.sh", "echo one\n")
        zip.file("run.sh", "echo two\n")
        try zip.write(to: temp.path("dup.zip"))
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.duplicateEntry, "contains \"run.sh\" twice") { _ = try store.stage(.zip(temp.path("dup.zip"))) }
        expectClean(store)
    }

    @Test func truncatedAndDamagedArchivesAreRefused() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        zip.file("run.sh", String(repeating: "echo hello\n", count: 50))
        let data = zip.data()
        let store = PackageStore(directory: temp.path("store"))
        try data.prefix(data.count / 2).write(to: temp.path("truncated.zip"))
        expectRefused(.corruptArchive, "truncated") { _ = try store.stage(.zip(temp.path("truncated.zip"))) }
        var damaged = data
        damaged[40] ^= 0xFF
        try damaged.write(to: temp.path("damaged.zip"))
        expectRefused(.corruptArchive, "checksum does not match") { _ = try store.stage(.zip(temp.path("damaged.zip"))) }
        try Data("this is not a zip at all, just text".utf8).write(to: temp.path("text.zip"))
        expectRefused(.corruptArchive, "not a zip archive") { _ = try store.stage(.zip(temp.path("text.zip"))) }
        expectClean(store)
    }

    @Test func limitsOnArchiveSizeAndEntries() throws {
        let temp = try TemporaryDirectory()
        var zip = ZipWriter()
        for i in 0..<20 { zip.file("f\(i).txt", "x") }
        try zip.write(to: temp.path("many.zip"))
        let few = PackageStore(directory: temp.path("a"), limits: PackageLimits(maxEntries: 10))
        expectRefused(.tooManyEntries, "has 20 entries; the limit is 10") { _ = try few.stage(.zip(temp.path("many.zip"))) }
        let small = PackageStore(directory: temp.path("b"), limits: PackageLimits(maxArchiveBytes: 100))
        expectRefused(.tooLarge, "the limit is 100 bytes") { _ = try small.stage(.zip(temp.path("many.zip"))) }
        try temp.write("src/a.txt", String(repeating: "a", count: 600))
        try temp.write("src/b.txt", String(repeating: "b", count: 600))
        let tight = PackageStore(directory: temp.path("c"), limits: PackageLimits(maxUnpackedBytes: 1000))
        expectRefused(.tooLarge, "unpacks to more than 1000 bytes") { _ = try tight.stage(.folder(temp.path("src"))) }
        var big = ZipWriter()
        big.file("a.txt", String(repeating: "a", count: 1200))
        try big.write(to: temp.path("big.zip"))
        expectRefused(.tooLarge, "declares 1200 bytes unpacked; the limit is 1000 bytes") {
            _ = try tight.stage(.zip(temp.path("big.zip")))
        }
        let fewFiles = PackageStore(directory: temp.path("d"), limits: PackageLimits(maxEntries: 1))
        expectRefused(.tooManyEntries, "more than 1 entries") { _ = try fewFiles.stage(.folder(temp.path("src"))) }
        expectClean(tight)
    }

    /// A 1 MB zip that unpacks to 1 GiB + 1 byte of zeros, whose headers claim 1 KB: stopped by counting the
    /// bytes actually inflated, not by trusting the header.
    @Test func zipBombIsStoppedAtTheRealLimit() throws {
        let temp = try TemporaryDirectory()
        let url = temp.path("bomb.zip")
        let size: Int64 = (1 << 30) + 1
        let archive = try Archive(url: url, accessMode: .create)
        try archive.addEntry(
            with: "run.sh", type: .file, uncompressedSize: Int64(5),
            provider: { (_: Int64, _: Int) in Data("echo\n".utf8) })
        let zeros = Data(count: 1 << 20)
        try archive.addEntry(
            with: "zeros.bin", type: .file, uncompressedSize: size, compressionMethod: .deflate, bufferSize: Int(1 << 20),
            provider: { (position: Int64, count: Int) in position + Int64(count) <= size ? zeros.prefix(count) : Data(count: count) })
        var bytes = try Data(contentsOf: url)
        #expect(bytes.count < 2_000_000)
        // Make both headers lie: 1,000 bytes uncompressed.
        for signature: [UInt8] in [[0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x01, 0x02]] {
            var start = bytes.startIndex
            while let range = bytes.range(of: Data(signature), in: start..<bytes.endIndex) {
                let sizeOffset = range.lowerBound + (signature[2] == 0x03 ? 22 : 24)
                let nameOffset = range.lowerBound + (signature[2] == 0x03 ? 30 : 46)
                if bytes[nameOffset..<(nameOffset + 9)] == Data("zeros.bin".utf8) {
                    bytes.replaceSubrange(sizeOffset..<(sizeOffset + 4), with: [0xE8, 0x03, 0, 0])
                }
                start = range.upperBound
            }
        }
        try bytes.write(to: url)
        let store = PackageStore(directory: temp.path("store"))
        expectRefused(.tooLarge, "unpacks to more than 1 GiB") { _ = try store.stage(.zip(url)) }
        expectClean(store)
    }

    @Test func badSources() throws {
        let temp = try TemporaryDirectory()
        expectRefused(.badSource, "does not exist") { _ = try PackageSource.at(temp.path("nope")) }
        try temp.write("x.zip", "")
        #expect(try PackageSource.at(temp.path("x.zip")) == .zip(temp.path("x.zip")))
        #expect(try PackageSource.at(temp.url) == .folder(temp.url))
    }
}
