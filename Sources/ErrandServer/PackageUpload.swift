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

    /// The file name a `Content-Disposition` header gives, reduced to its last path segment; nil when absent or
    /// unusable (`..`, empty). Clients write a name that is not ASCII three ways, and all three are read:
    /// - `filename*=UTF-8''%C3%9Cbung.sh` (RFC 5987; wins over `filename`, as RFC 6266 says);
    /// - `filename="=?utf-8?B?w5xidW5nLnNo?="` (RFC 2047, what .NET's `ContentDispositionHeaderValue` sends, so
    ///   Kudu's client and any .NET program; `?Q?` too);
    /// - `filename="Übung.sh"` as raw UTF-8 (curl, the errand CLI).
    static func fileName(fromContentDisposition header: String) -> String? {
        var plain: String?
        var extended: String?
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            let lowered = pair.lowercased()
            if lowered.hasPrefix("filename*="), extended == nil {
                extended = Self.extendedValue(String(pair.dropFirst("filename*=".count)))
            } else if lowered.hasPrefix("filename="), plain == nil {
                var value = String(pair.dropFirst("filename=".count))
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                plain = Self.encodedWords(value) ?? value
            }
        }
        guard let value = extended ?? plain else { return nil }
        // Split on scalars: as a Character, "/" followed by a combining mark is not "/" and would stay in the name.
        let scalars = value.unicodeScalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last
        let last = scalars.map { String(String.UnicodeScalarView($0)) } ?? ""
        return last.isEmpty || last == "." || last == ".." ? nil : last
    }

    /// An RFC 5987 value, `charset'language'percent-encoded`, decoded; nil when the charset is not UTF-8 or
    /// ISO-8859-1 or the encoding is broken (the plain `filename` is used then).
    static func extendedValue(_ text: String) -> String? {
        let value = text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 ? String(text.dropFirst().dropLast()) : text
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = percentDecoded(parts[2]) else { return nil }
        return decode(bytes, charset: String(parts[0]))
    }

    /// A value made of RFC 2047 encoded words (`=?charset?B|Q?text?=`, separated by blanks), decoded; nil when it
    /// is not one (an ordinary name is used as it is).
    static func encodedWords(_ value: String) -> String? {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !words.isEmpty else { return nil }
        var decoded = ""
        for word in words {
            guard word.hasPrefix("=?"), word.hasSuffix("?="), word.count >= 4 else { return nil }
            let inner = word.dropFirst(2).dropLast(2).split(separator: "?", omittingEmptySubsequences: false)
            guard inner.count == 3 else { return nil }
            let bytes: [UInt8]?
            switch inner[1].lowercased() {
            case "b":
                var text = String(inner[2])
                while text.utf8.count % 4 != 0 { text += "=" }
                bytes = Data(base64Encoded: text).map(Array.init)
            case "q":
                bytes = percentDecoded(Substring(inner[2].replacingOccurrences(of: "_", with: " ")), escape: "=")
            default:
                bytes = nil
            }
            guard let bytes, let text = decode(bytes, charset: String(inner[0])) else { return nil }
            decoded += text
        }
        return decoded
    }

    /// `bytes` read in `charset` (UTF-8, or ISO-8859-1 / US-ASCII); nil for another charset or bad UTF-8. A
    /// language suffix (`utf-8*en`, RFC 2231) is ignored.
    static func decode(_ bytes: [UInt8], charset: String) -> String? {
        let name = charset.split(separator: "*").first.map { $0.lowercased() } ?? ""
        switch name {
        case "utf-8", "utf8":
            return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "us-ascii":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
    }

    /// `%XX` (or `=XX`) escapes decoded to bytes; nil for a broken escape.
    static func percentDecoded(_ text: Substring, escape: Character = "%") -> [UInt8]? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        let marker = escape.asciiValue ?? UInt8(ascii: "%")
        while let byte = utf8.popFirst() {
            guard byte == marker else {
                bytes.append(byte)
                continue
            }
            let hex = utf8.prefix(2)
            guard hex.count == 2, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let value = UInt8(String(decoding: hex, as: UTF8.self), radix: 16)
            else {
                return nil
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return bytes
    }
}
