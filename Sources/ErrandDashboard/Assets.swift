import ErrandCore
import Foundation
import Mustache

/// The dashboard's templates, stylesheet and script, read once from the module's resources.
struct Assets: Sendable {
    /// A static file with its content type and a short content hash for cache-busting URLs.
    struct StaticFile: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var version: String
    }

    let templates: MustacheLibrary
    let files: [String: StaticFile]

    init() throws {
        guard let root = Bundle.module.resourceURL else {
            throw ErrandError(.internal, "the dashboard's resources are missing from this build")
        }
        var library = MustacheLibrary()
        let templateDirectory = root.appendingPathComponent("Templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templateDirectory.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templateDirectory.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw ErrandError(.internal, "dashboard template \(name) does not parse: \(error)")
            }
        }
        templates = library
        var files: [String: StaticFile] = [:]
        let staticDirectory = root.appendingPathComponent("Static")
        for name in try FileManager.default.contentsOfDirectory(atPath: staticDirectory.path) {
            guard let type = Self.contentTypes[URL(fileURLWithPath: name).pathExtension] else { continue }
            let bytes = [UInt8](try Data(contentsOf: staticDirectory.appendingPathComponent(name)))
            files[name] = StaticFile(bytes: bytes, contentType: type, version: Self.fingerprint(bytes))
        }
        self.files = files
    }

    static let contentTypes = [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
    ]

    /// `/static/NAME?v=HASH`: the URL changes whenever the file does, so it can be cached for long.
    func url(_ name: String) -> String {
        "/static/\(name)?v=\(files[name]?.version ?? "0")"
    }

    /// FNV-1a, 64 bits, in hex: a fingerprint for caching, not a security measure.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    func render(_ model: Any, template: String) throws -> String {
        guard let html = templates.render(model, withTemplate: template) else {
            throw ErrandError(.internal, "the dashboard has no template '\(template)'")
        }
        return html
    }
}
