import ArgumentParser
import ErrandClient
import ErrandCore
import Foundation

/// Options every client verb takes.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon to talk to: a name from `errand host list` or a URL (default: $ERRAND_HOST, else the local daemon at $ERRAND_LISTEN or 127.0.0.1:7420). The token comes from $ERRAND_TOKEN, else the host's token file.",
            valueName: "NAME|URL"))
    var host: String?

    @Flag(name: .long, help: "Print JSON instead of a table or text.")
    var json = false

    @Flag(name: .long, help: "Do not start a local daemon when none answers (also ERRAND_NO_AUTOSTART=1).")
    var noAutostart = false

    /// The local daemon's address: where `errand serve` listens by default.
    static var localURL: String {
        let listen = ProcessInfo.processInfo.environment["ERRAND_LISTEN"].flatMap { $0.isEmpty ? nil : $0 }
        return normalize(listen ?? "127.0.0.1:7420")
    }

    /// A client of the chosen daemon. When the user named none and the local daemon does not
    /// answer, one is started in the background first (unless autostart is off).
    func connect() async throws -> ErrandClient {
        let environment = ProcessInfo.processInfo.environment
        let named = host ?? environment["ERRAND_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let target = try HostTarget.resolve(
            named: named, localURL: Self.localURL, book: try named == nil ? HostBook() : HostBook.load(path: HostBook.defaultPath()),
            environment: environment, readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
        let client = ErrandClient(baseURL: target.url, token: target.token, caFile: target.caFile)
        let autostartOff = noAutostart || ["1", "true", "yes"].contains(environment["ERRAND_NO_AUTOSTART"]?.lowercased() ?? "")
        if named != nil || autostartOff { return client }
        if (try? await client.health()) != nil { return client }
        try await Autostart.startDaemon(for: client)
        return client
    }

    static func normalize(_ host: String) -> String {
        host.contains("://") ? host : "http://" + host
    }
}
