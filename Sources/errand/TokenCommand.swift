import ArgumentParser
import ErrandClient
import ErrandCore
import ErrandDaemon
import ErrandTokens
import Foundation

/// `errand token create|list|revoke`: API tokens of a daemon.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the API tokens of a daemon.",
        discussion: """
            Through the API this needs an admin token (or a daemon that requires none). For the first admin \
            token of a daemon that requires tokens, work on its data dir directly: \
            errand token create NAME --role admin --data-dir DIR (whoever can write the data dir owns the daemon anyway).
            """,
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

/// Where token commands act: the daemon's API, or its data dir directly.
struct TokenTarget: ParsableArguments {
    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("Act on this data dir's database directly instead of through the API.", valueName: "DIR"))
    var dataDir: String?

    @Option(
        help: ArgumentHelp(
            "Act on this store directly instead of through the API: sqlite:PATH or postgres://USER@HOST/DATABASE (a fleet's first admin token).",
            valueName: "URL"))
    var store: String?

    /// Runs `body` on the tokens of the data dir or store given (through the composition root); nil when neither
    /// is given and the command goes through the API.
    func withLocalAuthority<T: Sendable>(_ body: (TokenAuthority) async throws -> T) async throws -> T? {
        guard dataDir != nil || store != nil else { return nil }
        let directory = DataDirectory.resolve(dataDir)
        return try await Daemon.withStore(store, dataDirectory: directory) { store in try await body(TokenAuthority(store: store)) }
    }
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token and print its secret (shown this once; the daemon keeps only its hash).",
        discussion: "Example: errand token create ci --role operator > ci.token")

    @OptionGroup var target: TokenTarget

    @Argument(help: "The token's name.")
    var name: String

    @Option(help: "reader (read only), operator (also run and stop), admin (also deploy and manage tokens).")
    var role: TokenRole = .reader

    func run() async throws {
        let created: CreatedToken
        if let local = try await target.withLocalAuthority({ try await $0.issue(name: name, role: role) }) {
            created = local
        } else {
            created = try await target.client.connect().createToken(name: name, role: role)
        }
        if target.client.json {
            try Terminal.printJSON(created)
        } else {
            Terminal.write(created.secret + "\n")
            Terminal.error("token '\(created.token.name)' (\(created.token.role.rawValue)) created; its secret above is shown only once")
        }
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")

    @OptionGroup var target: TokenTarget

    func run() async throws {
        let tokens =
            if let local = try await target.withLocalAuthority({ try await $0.list() }) {
                local
            } else {
                try await target.client.connect().tokens()
            }
        if target.client.json { return try Terminal.printJSON(tokens) }
        let format = ISO8601DateFormatter()
        Terminal.write(
            Terminal.table(
                header: ["Name", "Role", "Prefix", "Created", "LastUsed"],
                rows: tokens.map { token in
                    [
                        token.name, token.role.rawValue, token.prefix, format.string(from: token.createdAt),
                        token.lastUsedAt.map(format.string) ?? "never",
                    ]
                }))
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a token: requests with it are refused from now on.")

    @OptionGroup var target: TokenTarget

    @Argument(help: "The token's name.")
    var name: String

    func run() async throws {
        if try await target.withLocalAuthority({ try await $0.revoke(name: name) }) == nil {
            try await target.client.connect().revokeToken(name: name)
        }
    }
}

extension TokenRole: ExpressibleByArgument {}
