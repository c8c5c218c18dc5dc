import Foundation
import GRDB

extension SQLiteStore {
    /// One daemon's store: it owns every run, and keeps its packages in its data dir (this store is not asked
    /// to keep copies).
    public var isShared: Bool { false }

    public func savePackageArchive(digest: String, _ archive: Data) async throws {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM packages WHERE digest = ? LIMIT 1", arguments: [digest]) == nil else {
                return
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO packages (digest, part, data) VALUES (?, ?, ?)")
            for (part, start) in stride(from: 0, to: max(archive.count, 1), by: Self.archivePartBytes).enumerated() {
                let end = min(start + Self.archivePartBytes, archive.count)
                try insert.execute(arguments: [digest, part, Data(archive[archive.startIndex + start..<archive.startIndex + end])])
            }
        }
    }

    public func packageArchive(digest: String) async throws -> Data? {
        try await read { db in
            let parts = try Data.fetchAll(db, sql: "SELECT data FROM packages WHERE digest = ? ORDER BY part", arguments: [digest])
            return parts.isEmpty ? nil : parts.reduce(into: Data()) { $0.append($1) }
        }
    }
}
