import ErrandCore
import Foundation

/// A daemon the user named with `errand host add`.
public struct HostEntry: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    /// A file holding the host's API token (read on every call, so rotating it needs no edit here).
    public var tokenFile: String?
    /// A PEM file of certificates to trust for this host's https, instead of the system's roots.
    public var caFile: String?

    public init(name: String, url: String, tokenFile: String? = nil, caFile: String? = nil) {
        self.name = name
        self.url = url
        self.tokenFile = tokenFile
        self.caFile = caFile
    }
}

/// The user's named hosts, kept in `$XDG_CONFIG_HOME/errand/hosts.json` (mode 0600, folder 0700):
/// it names token files, and may one day hold more that others should not read.
public struct HostBook: Codable, Sendable, Equatable {
    public var hosts: [HostEntry] = []

    public init(hosts: [HostEntry] = []) {
        self.hosts = hosts
    }

    /// `$XDG_CONFIG_HOME/errand/hosts.json`, else `~/.config/errand/hosts.json`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/errand/hosts.json" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.config/errand/hosts.json"
    }

    /// Host names never contain `:`, `/` or `.`, so `--host X` is a name or an address, never both.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first) else {
            return false
        }
        return name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
            }
    }

    public func entry(named name: String) -> HostEntry? { hosts.first { $0.name == name } }

    public mutating func add(_ entry: HostEntry) throws {
        guard Self.isValidName(entry.name) else {
            throw ErrandError.badRequest("a host name is letters, digits, '_' or '-' (no ':', '/' or '.'), got '\(entry.name)'")
        }
        guard let url = URL(string: entry.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ErrandError.badRequest("a host's URL is http://HOST:PORT or https://HOST:PORT, got '\(entry.url)'")
        }
        guard self.entry(named: entry.name) == nil else {
            throw ErrandError.conflict("a host named '\(entry.name)' exists; remove it first with `errand host remove \(entry.name)`")
        }
        hosts.append(entry)
        hosts.sort { $0.name < $1.name }
    }

    @discardableResult
    public mutating func remove(named name: String) -> Bool {
        let before = hosts.count
        hosts.removeAll { $0.name == name }
        return hosts.count < before
    }

    /// The book at `path`; empty when the file does not exist yet.
    public static func load(path: String) throws -> HostBook {
        guard let data = FileManager.default.contents(atPath: path) else { return HostBook() }
        do {
            return try JSONDecoder().decode(HostBook.self, from: data)
        } catch {
            throw ErrandError.badRequest("cannot read the hosts file \(path): \(error)")
        }
    }

    /// Writes the book atomically: a 0600 file in a 0700 folder, renamed into place.
    public func save(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let temporary = folder + "/.hosts.json.\(ProcessInfo.processInfo.processIdentifier).tmp"
            guard manager.createFile(atPath: temporary, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600]) else {
                throw ErrandError(.internal, "cannot write \(temporary)")
            }
            if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
            try manager.moveItem(atPath: temporary, toPath: path)
        } catch let error as ErrandError {
            throw error
        } catch {
            throw ErrandError.badRequest("cannot write the hosts file \(path): \(error.localizedDescription)")
        }
    }
}

/// Where and how to reach a daemon: what `--host`, `ERRAND_HOST`, `ERRAND_TOKEN`, `ERRAND_CA_FILE` and
/// the hosts file add up to. Pure: the caller passes the environment, the book and a file reader.
public struct HostTarget: Sendable, Equatable {
    public var url: String
    public var token: String?
    public var caFile: String?
    /// The entry the target came from, if it was named.
    public var name: String?

    public init(url: String, token: String? = nil, caFile: String? = nil, name: String? = nil) {
        self.url = url
        self.token = token
        self.caFile = caFile
        self.name = name
    }

    /// Resolves `named` (a host name from the book, or an address); nil means the local default `localURL`.
    /// `ERRAND_TOKEN` and `ERRAND_CA_FILE` beat the host's files (environment over file, as everywhere).
    public static func resolve(
        named: String?, localURL: String, book: HostBook, environment: [String: String],
        readFile: (String) throws -> String
    ) throws -> HostTarget {
        var target = HostTarget(url: localURL)
        if let named {
            if let entry = book.entry(named: named) {
                target = HostTarget(url: entry.url, caFile: entry.caFile, name: entry.name)
                if let file = entry.tokenFile {
                    do {
                        target.token = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
                    } catch {
                        throw ErrandError.badRequest(
                            "cannot read the token file \(file) of host '\(entry.name)': \(error.localizedDescription)")
                    }
                }
            } else if HostBook.isValidName(named) && !named.contains(":") && named != "localhost" {
                let known = book.hosts.map(\.name).joined(separator: ", ")
                throw ErrandError.badRequest(
                    "no host named '\(named)' (known: \(known.isEmpty ? "none" : known)); add it with `errand host add \(named) URL`, or give a URL"
                )
            } else {
                target.url = named.contains("://") ? named : "http://" + named
            }
        }
        if let token = environment["ERRAND_TOKEN"], !token.isEmpty { target.token = token }
        if let caFile = environment["ERRAND_CA_FILE"], !caFile.isEmpty { target.caFile = caFile }
        return target
    }
}

extension HostBook {
    /// One word of `errand invoke --on`, as the daemon that fans out needs it: a host of this book
    /// with its token and CA certificates read here, an `http(s)://` daemon URL (no token), or an
    /// `ssh://` address. The label is the word as typed.
    public func fanOutHost(_ word: String, readFile: (String) throws -> String) throws -> FanOutHost {
        if let entry = entry(named: word) {
            var host = FanOutHost(name: word, url: entry.url)
            if let file = entry.tokenFile {
                do {
                    host.token = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    throw ErrandError.badRequest("cannot read the token file \(file) of host '\(word)': \(error.localizedDescription)")
                }
            }
            if let file = entry.caFile {
                do {
                    host.caCertificates = try readFile(file)
                } catch {
                    throw ErrandError.badRequest("cannot read the CA file \(file) of host '\(word)': \(error.localizedDescription)")
                }
            }
            return host
        }
        if word.contains("://") {
            let host = FanOutHost(name: word, url: word)
            _ = try host.address()
            return host
        }
        let known = hosts.map(\.name).joined(separator: ", ")
        throw ErrandError.badRequest(
            "no host named '\(word)' (known: \(known.isEmpty ? "none" : known)); add it with `errand host add \(word) URL`, or give a URL or ssh://user@host"
        )
    }
}
