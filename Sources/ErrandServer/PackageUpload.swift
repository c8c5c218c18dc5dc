import ErrandCore
import ErrandJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A package sent in a request body, written to a file as it arrives (never held in memory whole)
/// and refused as soon as it passes the size limit.
struct PackageUpload {
    /// The folder the upload lives in; remove it when the deploy is done.
    let folder: URL
    let source: PackageSource

    /// Reads the body into `directory`: a zip (`Content-Type: application/zip`, or any body when
    /// `fileName` is nil), or a single file named by `Content-Disposition` (Kudu's rule; made
    /// executable, since it is meant to run).
    static func receive(_ request: Request, into directory: URL, limit: Int64) async throws -> PackageUpload {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let fileName = request.headers[.contentDisposition].flatMap(Self.fileName(fromContentDisposition:))
        let isZip =
            contentType.hasPrefix("application/zip") || contentType.hasPrefix("application/x-zip") || fileName == nil
            || fileName!.lowercased().hasSuffix(".zip")
        if !isZip, let fileName, let problem = Self.fileNameProblem(fileName) { throw ErrandError.badRequest(problem) }
        let folder = directory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent(isZip ? "package.zip" : "package/\(fileName!)")
        do {
            if !isZip {
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            }
            try await write(request.body, to: target, limit: limit)
            if !isZip { chmod(target.path, 0o755) }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        return PackageUpload(folder: folder, source: isZip ? .zip(target) : .folder(target.deletingLastPathComponent()))
    }

    func discard() {
        try? FileManager.default.removeItem(at: folder)
    }

    private static func write(_ body: RequestBody, to url: URL, limit: Int64) async throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: url)
        else { throw ErrandError(.internal, "cannot write the upload to \(url.path)") }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in body {
            written += Int64(buffer.readableBytes)
            if written > limit {
                throw ErrandError(
                    .tooLarge,
                    "too_large: the package is larger than the limit of \(limit) bytes; make it smaller or raise the daemon's --max-package-bytes"
                )
            }
            try handle.write(contentsOf: buffer.readableBytesView)
        }
        guard written > 0 else { throw ErrandError.badRequest("the request body is empty: send the package (a zip) as the body") }
    }

    /// Why a single file cannot be stored under `name`, or `nil`: the file system takes at most 255 bytes per
    /// name (a longer one failed as a 500) and no NUL.
    static func fileNameProblem(_ name: String) -> String? {
        if name.utf8.count > 255 {
            return "the file name in Content-Disposition is \(name.utf8.count) bytes long; use a name of at most 255 bytes"
        }
        if name.contains("\0") { return "the file name in Content-Disposition contains a NUL byte" }
        return nil
    }

    /// The last path segment of `filename` in a `Content-Disposition` header, nil when absent or
    /// unusable (`..`, empty).
    static func fileName(fromContentDisposition header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix("filename=") else { continue }
            var value = String(pair.dropFirst("filename=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            // Split on scalars: as a Character, "/" followed by a combining mark is not "/" and would stay in the name.
            let scalars = value.unicodeScalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last
            let last = scalars.map { String(String.UnicodeScalarView($0)) } ?? ""
            return last.isEmpty || last == "." || last == ".." ? nil : last
        }
        return nil
    }
}
