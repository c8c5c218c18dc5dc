import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Daemons may share the database, and get every job's package from it.
    public var isShared: Bool { true }

    /// Idempotent under concurrency: every part is `ON CONFLICT DO NOTHING`, and parts of one digest are the
    /// same bytes whoever writes them (the digest is of the content).
    public func savePackageArchive(digest: String, _ archive: Data) async throws {
        try await transaction { connection in
            for (part, start) in stride(from: 0, to: max(archive.count, 1), by: Self.archivePartBytes).enumerated() {
                let end = min(start + Self.archivePartBytes, archive.count)
                let bytes = ByteBuffer(bytes: archive[archive.startIndex + start..<archive.startIndex + end])
                try await connection.query(
                    "INSERT INTO packages (digest, part, data) VALUES (\(digest), \(part), \(bytes)) ON CONFLICT DO NOTHING",
                    logger: quiet)
            }
        }
    }

    public func packageArchive(digest: String) async throws -> Data? {
        let rows = try await query("SELECT data FROM packages WHERE digest = \(digest) ORDER BY part")
        guard !rows.isEmpty else { return nil }
        var archive = Data()
        for row in rows { archive.append(contentsOf: try row.decode(ByteBuffer.self).readableBytesView) }
        return archive
    }
}
