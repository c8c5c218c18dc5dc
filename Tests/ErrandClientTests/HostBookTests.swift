import ErrandClient
import ErrandCore
import Foundation
import Testing

@Suite("Hosts file and host resolution")
struct HostBookTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("errand-hosts-\(UUID().uuidString)/errand/hosts.json").path
    }

    @Test("the hosts file lives under XDG_CONFIG_HOME, else ~/.config")
    func defaultPath() {
        #expect(HostBook.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/errand/hosts.json")
        #expect(HostBook.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/errand/hosts.json")
    }

    @Test("add, list, remove; saved 0600 in a 0700 folder; a missing file is an empty book")
    func saveAndLoad() throws {
        let path = Self.temporaryPath()
        #expect(try HostBook.load(path: path) == HostBook())
        var book = HostBook()
        try book.add(HostEntry(name: "web", url: "https://web.example:7420", tokenFile: "/t/web", caFile: "/t/ca.pem"))
        try book.add(HostEntry(name: "db", url: "http://10.0.0.2:7420"))
        #expect(book.hosts.map(\.name) == ["db", "web"])
        try book.save(path: path)
        #expect(try HostBook.load(path: path) == book)
        let fileMode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let folderMode =
            try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(folderMode == 0o700)
        let removed = book.remove(named: "db")
        let again = book.remove(named: "db")
        #expect(removed && !again)
        try book.save(path: path)
        #expect(try HostBook.load(path: path).hosts.map(\.name) == ["web"])
    }

    static func adding(_ entry: HostEntry, to book: HostBook) throws {
        var copy = book
        try copy.add(entry)
    }

    @Test("names are never addresses; URLs are http or https; a name is added once")
    func validation() throws {
        var book = HostBook()
        for bad in ["a.b", "a:1", "a/b", "", "-x"] {
            #expect(throws: ErrandError.self) { try Self.adding(HostEntry(name: bad, url: "http://h:1"), to: book) }
        }
        for bad in ["ftp://h", "h:1", "http://"] {
            #expect(throws: ErrandError.self) { try Self.adding(HostEntry(name: "ok", url: bad), to: book) }
        }
        try book.add(HostEntry(name: "ok", url: "http://h:1"))
        let duplicate = #expect(throws: ErrandError.self) { try Self.adding(HostEntry(name: "ok", url: "http://h:2"), to: book) }
        #expect(duplicate?.code == .conflict)
    }

    static let book = HostBook(hosts: [
        HostEntry(name: "lab", url: "https://lab:7420", tokenFile: "/secrets/lab", caFile: "/secrets/ca.pem")
    ])

    static func resolve(_ named: String?, _ environment: [String: String] = [:]) throws -> HostTarget {
        try HostTarget.resolve(named: named, localURL: "http://127.0.0.1:7420", book: book, environment: environment) { path in
            guard path == "/secrets/lab" else { throw ErrandError.notFound(path) }
            return "errand_0123456789ab_secret\n"
        }
    }

    @Test("--host names a host (its URL, token file and CA) or gives an address; ERRAND_TOKEN and ERRAND_CA_FILE win")
    func resolution() throws {
        #expect(try Self.resolve(nil) == HostTarget(url: "http://127.0.0.1:7420"))
        #expect(try Self.resolve(nil, ["ERRAND_TOKEN": "t"]) == HostTarget(url: "http://127.0.0.1:7420", token: "t"))
        #expect(
            try Self.resolve("lab")
                == HostTarget(url: "https://lab:7420", token: "errand_0123456789ab_secret", caFile: "/secrets/ca.pem", name: "lab"))
        #expect(
            try Self.resolve("lab", ["ERRAND_TOKEN": "env", "ERRAND_CA_FILE": "/env.pem"])
                == HostTarget(url: "https://lab:7420", token: "env", caFile: "/env.pem", name: "lab"))
        #expect(try Self.resolve("10.0.0.5:7420") == HostTarget(url: "http://10.0.0.5:7420"))
        #expect(try Self.resolve("https://x:1") == HostTarget(url: "https://x:1"))
        let unknown = #expect(throws: ErrandError.self) { try Self.resolve("nowhere") }
        #expect(unknown?.message.contains("errand host add nowhere") == true)
    }

    @Test("an unreadable token file is a clear error naming the host")
    func unreadableTokenFile() {
        let book = HostBook(hosts: [HostEntry(name: "x", url: "http://x:1", tokenFile: "/nonexistent/token")])
        let error = #expect(throws: ErrandError.self) {
            try HostTarget.resolve(named: "x", localURL: "", book: book, environment: [:]) {
                try String(contentsOfFile: $0, encoding: .utf8)
            }
        }
        #expect(error?.message.contains("/nonexistent/token") == true)
    }
}
