import ErrandCore
import Foundation
import ZIPFoundation

#if canImport(Glibc)
    import Glibc
#endif

/// Zips a job folder for a deploy, keeping what a job needs to run: exec bits (a `run` binary or a
/// `#!` script must stay executable) and symbolic links (stored as links, as `zip -y` does; the
/// daemon refuses those that leave the package). Entries are written in name order, so the same
/// folder always gives the same package.
public enum PackageArchive {
    /// Writes `folder` as a zip into a new temporary file and returns its URL; the caller removes it.
    public static func zip(folder: URL) throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("errand-deploy-\(UUID().uuidString).zip")
        do {
            let archive = try Archive(url: target, accessMode: .create)
            try add(folder, relative: "", to: archive)
        } catch {
            try? FileManager.default.removeItem(at: target)
            if let error = error as? ErrandError { throw error }
            throw ErrandError.badRequest("cannot zip \(folder.path): \(error.localizedDescription)")
        }
        return target
    }

    private static func add(_ folder: URL, relative: String, to archive: Archive) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted {
            Array($0.utf8).lexicographicallyPrecedes($1.utf8)
        }
        for name in names {
            let url = folder.appendingPathComponent(name)
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(url.path, &info) == 0 else {
                throw ErrandError.badRequest("cannot read \(url.path): \(String(cString: strerror(errno)))")
            }
            let permissions = UInt16(info.st_mode & 0o777)
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try archive.addEntry(
                    with: path + "/", type: .directory, uncompressedSize: Int64(0), modificationDate: modified,
                    permissions: permissions, provider: { _, _ in Data() })
                try add(url, relative: path, to: archive)
            case S_IFREG:
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(info.st_size), modificationDate: modified,
                    permissions: permissions, compressionMethod: .deflate,
                    provider: { position, size in
                        try handle.seek(toOffset: UInt64(position))
                        return try handle.read(upToCount: size) ?? Data()
                    })
            case S_IFLNK:
                let target = Data(try FileManager.default.destinationOfSymbolicLink(atPath: url.path).utf8)
                try archive.addEntry(
                    with: path, type: .symlink, uncompressedSize: Int64(target.count), modificationDate: modified,
                    permissions: 0o777, provider: { _, _ in target })
            default:
                throw ErrandError.badRequest(
                    "\(url.path) is not a file, folder or symbolic link (a device, FIFO or socket); a job package cannot hold it")
            }
        }
    }
}
