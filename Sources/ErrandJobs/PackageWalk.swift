import Crypto
import Foundation

/// One pass over an unpacked package: every link checked where it finally lands, the regular files listed with
/// their exec bit and first bytes, and the content digest computed.
///
/// Links are checked twice on purpose: while unpacking (against the unpack root, to stop early) and here
/// against the final root, because unwrapping a lone folder moves the root and because `a/b/..` through a link
/// resolves physically, not by text. A link must stay inside both by its text and by `realpath`.
struct PackageWalk {
    var files: [PackageFile] = []
    var digest: String

    init(root: URL) throws(DeployError) {
        guard let realRoot = Self.realPath(root.path) else { throw StagingTree.ioError("resolve", root.path) }
        var hasher = SHA256()
        var files: [PackageFile] = []
        try Self.walk(root, prefix: [], realRoot: realRoot, hasher: &hasher, files: &files)
        self.files = files
        digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func walk(
        _ folder: URL, prefix: [String], realRoot: String, hasher: inout SHA256, files: inout [PackageFile]
    ) throws(DeployError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw StagingTree.ioError("list", folder.path)
        }
        for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let components = prefix + [name]
            let relative = components.joined(separator: "/")
            let item = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(item.path, &info) == 0 else { throw StagingTree.ioError("read", item.path) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                hasher.update(data: Array("d \(relative)\0".utf8))
                try walk(item, prefix: components, realRoot: realRoot, hasher: &hasher, files: &files)
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: item.path)) ?? ""
                let inside = EntryPath(components: components).contains(linkTarget: target)
                let real = realPath(item.path)
                guard inside, real.map({ $0 == realRoot || $0.hasPrefix(realRoot + "/") }) ?? true else {
                    throw DeployError(
                        .symlinkEscape,
                        "the symbolic link \"\(relative)\" points to \"\(target)\", outside the job folder; links must stay inside the package"
                    )
                }
                hasher.update(data: Array("l \(relative)\0\(target)\0".utf8))
                var targetInfo = stat()
                if let real, stat(real, &targetInfo) == 0, (targetInfo.st_mode & S_IFMT) == S_IFREG {
                    files.append(
                        PackageFile(path: relative, isExecutable: targetInfo.st_mode & 0o111 != 0, head: try head(of: real)))
                }
            case S_IFREG:
                let executable = info.st_mode & 0o111 != 0
                hasher.update(data: Array("f \(relative)\0\(executable ? "x" : "-") \(info.st_size)\0".utf8))
                try hashContent(of: item.path, into: &hasher)
                files.append(PackageFile(path: relative, isExecutable: executable, head: try head(of: item.path)))
            default:
                throw DeployError(
                    .specialFile, "\"\(relative)\" is a device, FIFO or socket; a package may hold only files, folders and links")
            }
        }
    }

    private static func hashContent(of path: String, into hasher: inout SHA256) throws(DeployError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StagingTree.ioError("read", path) }
        defer { try? handle.close() }
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw StagingTree.ioError("read", path)
        }
    }

    private static func head(of path: String) throws(DeployError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StagingTree.ioError("read", path) }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: PackageFile.headLength)) ?? Data())
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
