import ArgumentParser
import ErrandClient
import ErrandCore
import Foundation

/// `errand host add|list|remove`: named daemons in the user's hosts file.
struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Name the daemons you talk to: errand --host NAME VERB … then reaches them with their token and CA.",
        discussion: "The names live in $XDG_CONFIG_HOME/errand/hosts.json (else ~/.config/errand/hosts.json), mode 0600.",
        subcommands: [HostAddCommand.self, HostListCommand.self, HostRemoveCommand.self])

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

struct HostAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Name a daemon.",
        discussion: "Example: errand host add build1 https://build1.example:7420 --token-file ~/.errand/build1.token --ca-file ca.pem")

    @Argument(help: "The host's name (letters, digits, '_' and '-').")
    var name: String

    @Argument(help: "The daemon's URL: http://HOST:PORT or https://HOST:PORT.")
    var url: String

    @Option(help: ArgumentHelp("A file holding the token to send to this host.", valueName: "FILE"))
    var tokenFile: String?

    @Option(
        help: ArgumentHelp(
            "PEM certificates to trust for this host's https (a self-signed certificate or a private CA).", valueName: "FILE"))
    var caFile: String?

    func run() async throws {
        let path = HostBook.defaultPath()
        var book = try HostBook.load(path: path)
        try book.add(
            HostEntry(name: name, url: url, tokenFile: tokenFile.map(HostCommand.absolute), caFile: caFile.map(HostCommand.absolute)))
        try book.save(path: path)
    }
}

struct HostListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the named daemons.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let book = try HostBook.load(path: HostBook.defaultPath())
        if json { return try Terminal.printJSON(book.hosts) }
        Terminal.write(
            Terminal.table(
                header: ["Name", "URL", "TokenFile", "CAFile"],
                rows: book.hosts.map { [$0.name, $0.url, $0.tokenFile ?? "-", $0.caFile ?? "-"] }))
    }
}

struct HostRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget a named daemon.")

    @Argument(help: "The host's name.")
    var name: String

    func run() async throws {
        let path = HostBook.defaultPath()
        var book = try HostBook.load(path: path)
        guard book.remove(named: name) else { throw ErrandError.notFound("no host named '\(name)'") }
        try book.save(path: path)
    }
}
