import Foundation

/// Writes one package into a fresh folder, enforcing the rules on every entry: entry count, real unpacked bytes,
/// safe paths, no special files, no link leaving the folder, nothing written through a link, no entry twice.
///
/// Shared by zip and folder sources so both obey exactly the same rules. Files are created with `O_EXCL |
/// O_NOFOLLOW`; modes are normalised to 0755/0644 (exec bit kept, setuid and friends dropped) so the content
/// digest does not depend on the sender's umask.
final class StagingTree {
    let root: URL
    let limits: PackageLimits
    private(set) var entries = 0
    private(set) var bytes: Int64 = 0
    private var links: Set<[String]> = []
    private var directories: Set<[String]> = [[]]

    init(root: URL, limits: PackageLimits) throws(DeployError) {
        self.root = root
        self.limits = limits
        guard mkdir(root.path, 0o755) == 0 else { throw Self.ioError("create", root.path) }
    }

    /// Counts one entry of the source; call for every entry, skipped ones included.
    func countEntry() throws(DeployError) {
        entries += 1
        if entries > limits.maxEntries {
            throw DeployError(.tooManyEntries, "the package has more than \(limits.maxEntries) entries (files, folders and links)")
        }
    }

    func addDirectory(_ path: EntryPath) throws(DeployError) {
        try makeParents(path)
        try makeDirectory(path.components, path: path)
    }

    /// Creates the file and hands `write` a sink; every byte goes through the limit check.
    func addFile(_ path: EntryPath, executable: Bool, write: ((Data) throws -> Void) throws -> Void) throws(DeployError) {
        try makeParents(path)
        let full = url(path.components).path
        let fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard fd >= 0 else {
            if errno == EEXIST || errno == ELOOP {
                throw DeployError(.duplicateEntry, "the package contains \"\(path.text)\" twice")
            }
            throw Self.ioError("create", full)
        }
        defer { close(fd) }
        do {
            try write { (data: Data) throws in
                self.bytes += Int64(data.count)
                if self.bytes > self.limits.maxUnpackedBytes {
                    throw DeployError(
                        .tooLarge,
                        "the package unpacks to more than \(Self.show(self.limits.maxUnpackedBytes)) (stopped at \"\(path.text)\")")
                }
                try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) throws in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw Self.ioError("write", full)
                        }
                        offset += written
                    }
                }
            }
        } catch let error as DeployError {
            throw error
        } catch {
            throw DeployError(.corruptArchive, "\"\(path.text)\" cannot be read: \(error)")
        }
        _ = fchmod(fd, executable ? 0o755 : 0o644)
    }

    func addSymlink(_ path: EntryPath, target: String) throws(DeployError) {
        guard path.contains(linkTarget: target) else {
            throw DeployError(
                .symlinkEscape,
                "the symbolic link \"\(path.text)\" points to \"\(target)\", outside the job folder; links must stay inside the package")
        }
        try makeParents(path)
        let full = url(path.components).path
        guard symlink(target, full) == 0 else {
            if errno == EEXIST { throw DeployError(.duplicateEntry, "the package contains \"\(path.text)\" twice") }
            throw Self.ioError("create the link", full)
        }
        links.insert(path.components)
    }

    func url(_ components: [String]) -> URL {
        components.reduce(root) { $0.appendingPathComponent($1) }
    }

    private func makeParents(_ path: EntryPath) throws(DeployError) {
        for length in 0..<path.components.count {
            let prefix = Array(path.components.prefix(length))
            if links.contains(prefix) {
                throw DeployError(
                    .symlinkEscape,
                    "\"\(path.text)\" would be written through the symbolic link \"\(prefix.joined(separator: "/"))\"; refused")
            }
            if length > 0, !directories.contains(prefix) { try makeDirectory(prefix, path: path) }
        }
    }

    private func makeDirectory(_ components: [String], path: EntryPath) throws(DeployError) {
        if directories.contains(components) { return }
        if links.contains(components) {
            throw DeployError(.duplicateEntry, "the package contains \"\(path.text)\" both as a link and as a folder")
        }
        let full = url(components).path
        guard mkdir(full, 0o755) == 0 else {
            if errno == EEXIST {
                throw DeployError(
                    .duplicateEntry, "the package contains \"\(components.joined(separator: "/"))\" both as a file and as a folder")
            }
            throw Self.ioError("create", full)
        }
        _ = chmod(full, 0o755)  // independent of the daemon's umask, so stored trees look the same everywhere
        directories.insert(components)
    }

    static func ioError(_ action: String, _ path: String) -> DeployError {
        DeployError(.io, "cannot \(action) \(path): \(String(cString: strerror(errno)))")
    }

    static func show(_ bytes: Int64) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1_000_000, bytes % 1_000_000 == 0 { return "\(bytes / 1_000_000) MB" }
        return "\(bytes) bytes"
    }
}
