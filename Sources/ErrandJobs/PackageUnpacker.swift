import Foundation
import ZIPFoundation

/// Unpacks a folder or a zip into a new staging folder under the rules of `StagingTree`, unwraps a lone
/// top-level folder (Kudu's rule for zips made with "Send to compressed folder"), checks every link again where
/// it finally lands, and computes the content digest.
///
/// All I/O of a deploy before storing happens here; on any error the staging folder is removed.
public struct PackageUnpacker: Sendable {
    public var limits: PackageLimits

    /// Entries that archivers add and no job needs: macOS resource forks.
    static let ignoredTopLevel: Set<String> = ["__MACOSX"]

    public init(limits: PackageLimits = PackageLimits()) {
        self.limits = limits
    }

    /// Unpacks `source` into `stagingDirectory` (which must not exist yet; its parent must).
    public func unpack(_ source: PackageSource, into stagingDirectory: URL) throws(DeployError) -> StagedPackage {
        guard mkdir(stagingDirectory.path, 0o700) == 0 else { throw StagingTree.ioError("create", stagingDirectory.path) }
        do {
            let tree = try StagingTree(root: stagingDirectory.appendingPathComponent("tree"), limits: limits)
            switch source {
            case .zip(let url): try unpackZip(url, into: tree)
            case .folder(let url): try copyFolder(url, into: tree)
            }
            return try finish(tree, stagingDirectory: stagingDirectory)
        } catch {
            try? FileManager.default.removeItem(at: stagingDirectory)
            throw error
        }
    }

    private func unpackZip(_ url: URL, into tree: StagingTree) throws(DeployError) {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw DeployError(.badSource, "\(url.path) is not a readable file")
        }
        if Int64(info.st_size) > limits.maxArchiveBytes {
            throw DeployError(
                .tooLarge,
                "the zip file is \(info.st_size) bytes; the limit is \(StagingTree.show(limits.maxArchiveBytes))")
        }
        let directory = try ZipCentralDirectory(reading: url)
        if directory.records.count > limits.maxEntries {
            throw DeployError(.tooManyEntries, "the zip has \(directory.records.count) entries; the limit is \(limits.maxEntries)")
        }
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw DeployError(.corruptArchive, "the file is not a zip archive, or it is damaged: \(error)")
        }
        // Honest headers that declare too much are refused before anything is written; lying ones are caught
        // while inflating (`StagingTree` counts the real bytes).
        let declared = archive.reduce(UInt64(0)) { $0 &+ $1.uncompressedSize }
        if declared > UInt64(limits.maxUnpackedBytes) {
            throw DeployError(
                .tooLarge,
                "the zip declares \(declared) bytes unpacked; the limit is \(StagingTree.show(limits.maxUnpackedBytes))")
        }
        guard let archiveFile = FileHandle(forReadingAtPath: url.path) else { throw StagingTree.ioError("read", url.path) }
        defer { try? archiveFile.close() }
        var index = 0
        for entry in archive {
            try tree.countEntry()
            guard index < directory.records.count else {
                throw DeployError(.corruptArchive, "the zip's directory lists fewer entries than it holds")
            }
            let record = directory.records[index]
            index += 1
            let path = try EntryPath(entry.path)
            if let type = record.fileType, ![0, UInt32(S_IFREG), UInt32(S_IFDIR), UInt32(S_IFLNK)].contains(type) {
                throw DeployError(
                    .specialFile,
                    "\"\(path.text)\" is a device, FIFO or socket; a package may hold only files, folders and links")
            }
            if record.isEncrypted {
                throw DeployError(.corruptArchive, "\"\(path.text)\" is encrypted; upload a zip without a password")
            }
            if Self.ignoredTopLevel.contains(path.components[0]) { continue }
            try extract(entry, at: path, record: record, from: archive, file: archiveFile, into: tree)
        }
        guard index == directory.records.count else {
            throw DeployError(.corruptArchive, "the zip is damaged: only \(index) of its \(directory.records.count) entries can be read")
        }
    }

    private func extract(
        _ entry: Entry, at path: EntryPath, record: ZipCentralDirectory.Record, from archive: Archive, file archiveFile: FileHandle,
        into tree: StagingTree
    ) throws(DeployError) {
        switch entry.type {
        case .directory:
            try tree.addDirectory(path)
        case .file:
            let mode = (entry.fileAttributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644
            try tree.addFile(path, executable: mode & 0o111 != 0) { sink in
                let checksum =
                    record.compressionMethod == 8 && entry.isCompressed
                    ? try Self.inflate(record, at: path, from: archiveFile, into: sink)
                    : try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: false) { try sink($0) }
                guard checksum == entry.checksum else {
                    throw DeployError(.corruptArchive, "\"\(path.text)\" is damaged (its checksum does not match)")
                }
            }
        case .symlink:
            try tree.addSymlink(path, target: try Self.linkTarget(entry, at: path, record: record, from: archive))
        }
    }

    /// Inflates a deflated file entry reading exactly its compressed bytes, and returns the CRC of what came out.
    ///
    /// ZIPFoundation's own inflater reads on past the entry and, when a stream does not end (a stored block that
    /// claims more bytes than the file holds), asks for more at the end of the file forever: a 200-byte zip held a
    /// deploy spinning. Here the input ends with the entry and asking for more is an error. Each chunk is padded
    /// to the buffer size because that inflater reads `bufferSize` bytes of every chunk it is given; input after a
    /// stream's end is ignored.
    static func inflate(
        _ record: ZipCentralDirectory.Record, at path: EntryPath, from file: FileHandle, into sink: (Data) throws -> Void
    ) throws -> UInt32 {
        let bufferSize = 1 << 16
        let total = record.compressedSize
        var consumed: UInt64 = 0
        try file.seek(toOffset: record.dataStart)
        return try Data.decompress(
            size: Int64(total), bufferSize: bufferSize, skipCRC32: false,
            provider: { _, _ in
                guard consumed < total else {
                    throw DeployError(.corruptArchive, "\"\(path.text)\" is damaged (its compressed data ends before its stream does)")
                }
                let count = Int(min(UInt64(bufferSize), total - consumed))
                var chunk = try file.read(upToCount: count) ?? Data()
                guard chunk.count == count else {
                    throw DeployError(.corruptArchive, "\"\(path.text)\" is truncated")
                }
                consumed += UInt64(count)
                if count < bufferSize { chunk.append(Data(count: bufferSize - count)) }
                return chunk
            }, consumer: sink)
    }

    /// A link's target is at most this long (Linux's PATH_MAX).
    static let maxLinkTarget = 4096

    /// The target of a link entry. ZIPFoundation hands over a link's bytes as stored in the archive, still
    /// compressed when the archiver deflated them (python's zipfile does; Info-ZIP stores them), so those are
    /// inflated here, bounded and checked against the entry's CRC.
    static func linkTarget(_ entry: Entry, at path: EntryPath, record: ZipCentralDirectory.Record, from archive: Archive)
        throws(DeployError) -> String
    {
        guard record.compressionMethod == 0 || record.compressionMethod == 8 else {
            throw DeployError(
                .corruptArchive,
                "the link \"\(path.text)\" is compressed with method \(record.compressionMethod); use stored or deflate")
        }
        // A deflated target of 4096 bytes is far smaller than this; a larger one is not a link.
        guard record.compressedSize <= 64 * 1024 else {
            throw DeployError(.corruptArchive, "the link \"\(path.text)\" has an unreadable target (\(record.compressedSize) bytes)")
        }
        var raw = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: true) { raw.append($0) }
        } catch {
            throw DeployError(.corruptArchive, "the link \"\(path.text)\" cannot be read: \(error)")
        }
        var target = raw
        if entry.isCompressed {
            target = try inflate(raw, limit: maxLinkTarget, what: "the link \"\(path.text)\"")
            guard target.crc32(checksum: 0) == entry.checksum else {
                throw DeployError(.corruptArchive, "the link \"\(path.text)\" is damaged (its checksum does not match)")
            }
        }
        guard target.count <= maxLinkTarget, let text = String(data: target, encoding: .utf8), !text.isEmpty,
            !text.contains("\0")
        else {
            throw DeployError(.corruptArchive, "the link \"\(path.text)\" has an unreadable target")
        }
        return text
    }

    /// Inflates a raw deflate stream held in memory, refusing more than `limit` bytes out or a stream that does
    /// not end within `compressed`.
    ///
    /// ZIPFoundation's inflater reads `bufferSize` bytes from every chunk it is given and asks for more until the
    /// stream ends, so the whole input is one chunk of exactly its size, and asking again is an error (an endless
    /// loop otherwise).
    static func inflate(_ compressed: Data, limit: Int, what: String) throws(DeployError) -> Data {
        guard !compressed.isEmpty else { throw DeployError(.corruptArchive, "\(what) has no compressed data") }
        let input = Data(compressed)
        var output = Data()
        do {
            _ = try Data.decompress(
                size: Int64(input.count), bufferSize: input.count, skipCRC32: true,
                provider: { position, _ in
                    guard position == 0 else {
                        throw DeployError(.corruptArchive, "\(what) is damaged (its compressed data ends early)")
                    }
                    return input
                },
                consumer: { chunk in
                    output.append(chunk)
                    guard output.count <= limit else {
                        throw DeployError(.corruptArchive, "\(what) inflates to more than \(limit) bytes")
                    }
                })
        } catch let error as DeployError {
            throw error
        } catch {
            throw DeployError(.corruptArchive, "\(what) cannot be inflated: \(error)")
        }
        return output
    }

    private func copyFolder(_ url: URL, into tree: StagingTree) throws(DeployError) {
        let source = url.resolvingSymlinksInPath()
        var info = stat()
        guard lstat(source.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DeployError(.badSource, "\(url.path) is not a folder")
        }
        try copyChildren(of: source, at: [], into: tree)
    }

    private func copyChildren(of folder: URL, at prefix: [String], into tree: StagingTree) throws(DeployError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw DeployError(.badSource, "cannot list \(folder.path): \(error.localizedDescription)")
        }
        for name in names {
            try tree.countEntry()
            let path = EntryPath(components: prefix + [name])
            if prefix.isEmpty, Self.ignoredTopLevel.contains(name) { continue }
            let item = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(item.path, &info) == 0 else { throw StagingTree.ioError("read", item.path) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try tree.addDirectory(path)
                try copyChildren(of: item, at: path.components, into: tree)
            case S_IFREG:
                try copyFile(item, to: path, executable: info.st_mode & 0o111 != 0, into: tree)
            case S_IFLNK:
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: item.path) else {
                    throw StagingTree.ioError("read the link", item.path)
                }
                try tree.addSymlink(path, target: target)
            default:
                throw DeployError(
                    .specialFile, "\"\(path.text)\" is a device, FIFO or socket; a package may hold only files, folders and links")
            }
        }
    }

    private func copyFile(_ item: URL, to path: EntryPath, executable: Bool, into tree: StagingTree) throws(DeployError) {
        guard let handle = FileHandle(forReadingAtPath: item.path) else { throw StagingTree.ioError("read", item.path) }
        defer { try? handle.close() }
        try tree.addFile(path, executable: executable) { sink in
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { try sink(chunk) }
        }
    }

    /// Unwraps, re-checks links where they land, lists files and computes the digest.
    private func finish(_ tree: StagingTree, stagingDirectory: URL) throws(DeployError) -> StagedPackage {
        var root = tree.root
        var unwrapped: [String] = []
        while let only = Self.loneFolder(in: root) {
            unwrapped.append(only)
            root.appendPathComponent(only)
        }
        let walk = try PackageWalk(root: root)
        return StagedPackage(
            root: root, stagingDirectory: stagingDirectory, files: walk.files, digest: walk.digest,
            entryCount: tree.entries, unpackedBytes: tree.bytes, unwrapped: unwrapped)
    }

    /// The name of the only entry in `folder` when it is a real folder (not a link), else `nil`.
    static func loneFolder(in folder: URL) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path), names.count == 1 else { return nil }
        var info = stat()
        guard lstat(folder.appendingPathComponent(names[0]).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            return nil
        }
        return names[0]
    }
}
