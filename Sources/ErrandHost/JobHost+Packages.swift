import ErrandCore
import ErrandJobs
import ErrandStore
import Foundation
import Logging

/// Packages shared through the store. On a store that keeps packages (PostgreSQL, shared by a fleet), every
/// deploy also saves the package there as a zip, and a daemon that lacks a package in its data dir (a new
/// instance, an emptied data dir) fetches and unpacks it before its first run: the data dir is a cache.
extension JobHost {
    /// Saves a stored package's archive in the store, when the store keeps packages.
    nonisolated func share(_ package: StoredPackage) async throws {
        guard store.isShared else { return }
        let zip: URL
        do {
            zip = try PackageArchive.zip(folder: package.root)
        } catch {
            throw ErrandError(.internal, "cannot archive package \(package.digest.prefix(12)) for the store: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: zip) }
        let archive: Data
        do {
            archive = try Data(contentsOf: zip)
        } catch {
            throw ErrandError(.internal, "cannot read the archive of package \(package.digest.prefix(12)): \(error.localizedDescription)")
        }
        try await store.savePackageArchive(digest: package.digest, archive)
    }

    /// The folder of package `digest` in the data dir, fetched from the store first when it is not there.
    nonisolated func localPackage(_ digest: String) async throws -> URL {
        let root = packages.root(ofPackage: digest)
        guard store.isShared, !FileManager.default.fileExists(atPath: root.path) else { return root }
        guard let archive = try await store.packageArchive(digest: digest) else {
            throw ErrandError(
                .internal, "package \(digest.prefix(12)) is neither in the data dir nor in the store: deploy the job again")
        }
        let zip = uploadsDirectory.appendingPathComponent("fetched-\(UUID().uuidString).zip")
        do {
            try FileManager.default.createDirectory(at: uploadsDirectory, withIntermediateDirectories: true)
            try archive.write(to: zip)
        } catch {
            throw ErrandError(.internal, "cannot write package \(digest.prefix(12)) into the data dir: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: zip) }
        do {
            let staged = try packages.stage(.zip(zip))
            guard staged.digest == digest else {
                packages.discard(staged)
                throw DeployError(
                    .io, "the store's archive of package \(digest.prefix(12)) unpacks to \(staged.digest.prefix(12)): deploy the job again")
            }
            _ = try packages.store(staged)
        } catch let error as DeployError {
            throw error.errandError
        }
        logger.info("package \(digest.prefix(12)) fetched from the store into the data dir")
        return root
    }
}
