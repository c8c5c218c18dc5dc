import ErrandClient
import ErrandCore
import ErrandHost
import ErrandRunner
import ErrandServer
import ErrandStore
import ErrandTokens
import Foundation
import Logging
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

extension Daemon {
    /// The daemon `errand serve` runs: checks the listen policy and the TLS files, creates and locks the data
    /// dir (one daemon per data dir), raises the open-files limit and opens the store (``DaemonConfiguration/store``).
    public static func open(_ configuration: DaemonConfiguration, logger: Logger) async throws -> Daemon {
        let tls = try tlsConfiguration(certificate: configuration.tlsCertificate, key: configuration.tlsKey)
        try ListenPolicy(
            host: configuration.listenHost, port: configuration.listenPort, requireTokens: configuration.requireTokens, tls: tls != nil,
            insecureHTTP: configuration.insecureHTTP
        ).check()
        if let file = configuration.sshConfig, !FileManager.default.isReadableFile(atPath: file) {
            throw ErrandError.badRequest("cannot read the ssh config file \(file) (--ssh-config or ERRAND_SSH_CONFIG)")
        }
        try checkRunAs(configuration.host.runAs)
        let dataDirectory = configuration.dataDirectory
        do {
            try DataDirectory.create(dataDirectory, passable: configuration.host.runAs.switchesUsers)
        } catch let error as ErrandError {
            throw error
        } catch {
            throw ErrandError.badRequest("cannot create the data dir \(dataDirectory): \(error.localizedDescription)")
        }
        raiseOpenFileLimit(logger: logger)
        let lock = try DataDirectoryLock(directory: dataDirectory)
        do {
            let location = try configuration.storeLocation
            let store: any StoreEngine
            do {
                store = try await StoreFactory.open(location, logger: logger)
            } catch let error as ErrandError {
                throw error
            } catch {
                throw ErrandError(.internal, "cannot open the store \(location): \(error)")
            }
            return try Daemon(
                configuration: configuration, store: store, storeEngine: store, launcher: SubprocessLauncher(), clock: SystemClock(),
                remoteDaemons: ErrandClient.connector, dashboardToken: nil, secureCookies: tls != nil, tls: tls, lock: lock, logger: logger)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Every user runs may be launched as exists, and this process may launch runs as them (it is root).
    static func checkRunAs(_ policy: RunAsPolicy) throws(ErrandError) {
        if policy.switchesUsers, UserAccount.switcher == nil { throw .badRequest(UserAccount.missingSwitcher) }
        for name in policy.allowed.sorted() {
            let account = try UserAccount.named(name)
            guard UserAccount.canSwitch(to: account) else {
                throw .badRequest(
                    "cannot launch runs as '\(name)' (--run-as, --allow-run-as): only a daemon run as root can start processes as another user"
                )
            }
        }
    }

    /// Works on a store directly, with no daemon running on it: opens `store` (nil: the SQLite file in
    /// `dataDirectory`), hands it to `body`, closes it. How the first admin token of a daemon that requires
    /// tokens is made (whoever can write the data dir or reach the database owns the daemon anyway).
    public static func withStore<T: Sendable>(
        _ store: String?, dataDirectory: String, logger: Logger = Logger(label: "errand"),
        _ body: (any Store) async throws -> T
    ) async throws -> T {
        let location = try StoreLocation(parsing: store, dataDirectory: dataDirectory)
        if case .sqlite = location {
            do {
                try DataDirectory.create(dataDirectory)
            } catch {
                throw ErrandError.badRequest("cannot create the data dir \(dataDirectory): \(error)")
            }
        }
        let engine = try await StoreFactory.open(location, logger: logger)
        do {
            let value = try await body(engine)
            await engine.close()
            return value
        } catch {
            await engine.close()
            throw error
        }
    }

    /// The server's TLS settings from PEM files, or nil for plain HTTP.
    static func tlsConfiguration(certificate: String?, key: String?) throws -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (nil, _), (_, nil): throw ErrandError.badRequest("--tls-cert and --tls-key go together: give both, or neither")
        case (let certificate?, let key?):
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
            } catch {
                throw ErrandError.badRequest("cannot read the certificate chain --tls-cert \(certificate) (PEM expected): \(error)")
            }
            do {
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw ErrandError.badRequest("cannot read the private key --tls-key \(key) (PEM expected): \(error)")
            }
            guard !chain.isEmpty else { throw ErrandError.badRequest("--tls-cert \(certificate) holds no certificate") }
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        }
    }

    /// Every run holds pipes while it runs: the soft limit on open files (often 1,024) is raised to the
    /// hard one, as service managers do, so throttle limits rather than descriptors bound the runs.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let before = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.info("open files limit raised from \(before) to \(limit.rlim_max)")
        }
    }

    /// Where ssh keeps the sockets of shared connections to ssh:// hosts: `DATA/ssh`, or a folder
    /// in /tmp when that path is too long for a socket (108 bytes, with ssh's 40-byte name and a
    /// 17-byte temporary suffix) or holds a space or `%`. Nil (no sharing) when neither can be made private.
    static func sshControlDirectory(dataDirectory: String) -> String? {
        let preferred = dataDirectory + "/ssh"
        // ssh splits ControlPath at spaces and expands `%` tokens: such a data dir cannot hold the sockets.
        let usable = preferred.utf8.count <= 48 && !preferred.contains(where: { $0 == " " || $0 == "%" })
        let candidates = usable ? [preferred] : ["/tmp/errand-ssh-\(getuid())"]
        for directory in candidates {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let attributes = try FileManager.default.attributesOfItem(atPath: directory)
                // A folder someone else made in /tmp could be a trap: only our own, private one will do.
                guard (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid(),
                    ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777) & 0o077 == 0
                else { continue }
                return directory
            } catch {
                continue
            }
        }
        return nil
    }
}
