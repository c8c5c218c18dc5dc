import ErrandCore
import ErrandHost
import ErrandJobs
import ErrandStore
import Foundation
import Logging

extension Daemon {
    /// `errand store copy`: a single daemon's SQLite store (`from`, `sqlite:PATH`) copied into an empty PostgreSQL
    /// database (`to`), with the packages of its jobs from its data dir (`packagesIn`; default: the folder of
    /// the SQLite file). The daemon should be stopped meanwhile, so the copy is of one moment.
    public static func copyStore(
        from: String, to: String, packagesIn dataDirectory: String?, logger: Logger = Logger(label: "errand"),
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> (rows: [String: Int], packages: Int) {
        let here = FileManager.default.currentDirectoryPath
        guard case .sqlite(let path) = try StoreLocation(parsing: from, dataDirectory: here) else {
            throw ErrandError.badRequest("--from must be an SQLite store (sqlite:PATH); got \(StoreLocation.postgres(url: from))")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ErrandError.badRequest("there is no SQLite store at \(path)")
        }
        guard case .postgres(let url) = try StoreLocation(parsing: to, dataDirectory: here) else {
            throw ErrandError.badRequest("--to must be a PostgreSQL database (postgres://USER@HOST/DATABASE)")
        }
        let folder = dataDirectory ?? URL(fileURLWithPath: path).deletingLastPathComponent().path
        let packages = PackageStore(directory: JobHostConfiguration(dataDirectory: URL(fileURLWithPath: folder)).packagesDirectory)
        let source = try SQLiteStore(path: path)
        let target = try await PostgresStore.open(url, logger: logger)
        do {
            let report = try await StoreCopy.copy(
                from: source, to: target,
                package: { digest in
                    let root = packages.root(ofPackage: digest)
                    guard FileManager.default.fileExists(atPath: root.path) else { return nil }
                    let zip = try PackageArchive.zip(folder: root)
                    defer { try? FileManager.default.removeItem(at: zip) }
                    return try Data(contentsOf: zip)
                }, progress: progress)
            await target.close()
            await source.close()
            return (report.rows, report.packages)
        } catch {
            await target.close()
            await source.close()
            throw error
        }
    }
}
