import ErrandCore
import ErrandDaemon
import ErrandHost
import ErrandServer
import Foundation
import Testing

@Suite("Daemon configuration: options > environment > file > defaults")
struct ConfigurationTests {
    /// A fresh data dir, with `errand.json` holding `file` when given.
    static func dataDirectory(file: String? = nil) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let file { try file.write(toFile: directory + "/errand.json", atomically: true, encoding: .utf8) }
        return directory
    }

    @Test("with nothing given, the defaults")
    func defaults() async throws {
        let directory = try Self.dataDirectory()
        let configuration = try await DaemonConfiguration.load(environment: ["ERRAND_DATA_DIR": directory])
        #expect(configuration.listen == "127.0.0.1:7420")
        #expect(configuration.dataDirectory == directory)
        #expect(!configuration.requireTokens && !configuration.insecureHTTP)
        #expect(configuration.connections == ConnectionLimits())
        #expect(configuration.historySize == 30)
    }

    @Test("an option beats the environment, which beats the data dir's errand.json, which beats the default")
    func precedence() async throws {
        let directory = try Self.dataDirectory(
            file: #"{"listen": "127.0.0.1:9001", "throttleLimit": 3, "historySize": 7, "headerTimeout": 2.5, "requireTokens": true}"#)
        let configuration = try await DaemonConfiguration.load(
            commandLine: [.listen: "127.0.0.1:9003"],
            environment: [
                "ERRAND_DATA_DIR": directory, "ERRAND_LISTEN": "127.0.0.1:9002", "ERRAND_THROTTLE_LIMIT": "5", "ERRAND_HISTORY_SIZE": "",
            ])
        #expect(configuration.listenPort == 9003)
        #expect(configuration.host.throttleLimit == 5)
        #expect(configuration.historySize == 7, "an empty variable counts as unset")
        #expect(configuration.connections.headerTimeout == .milliseconds(2500))
        #expect(configuration.requireTokens)
        #expect(configuration.connections.maxConnections == 1024)
    }

    @Test("--config names the file, which may then name the data dir")
    func explicitFile() async throws {
        let directory = try Self.dataDirectory()
        let file = directory + "/settings.json"
        try #"{"dataDir": "\#(directory)/data", "maxBodyBytes": 4096, "instance": "east"}"#.write(
            toFile: file, atomically: true, encoding: .utf8)
        let configuration = try await DaemonConfiguration.load(configFile: file, environment: [:])
        #expect(configuration.dataDirectory == directory + "/data")
        #expect(configuration.connections.maxBodyBytes == 4096)
        #expect(configuration.host.instanceName == "east")
        await #expect(throws: ErrandError.self) {
            try await DaemonConfiguration.load(configFile: directory + "/missing.json", environment: [:])
        }
    }

    @Test(
        "a bad value is an error naming where it came from",
        arguments: [
            (["ERRAND_THROTTLE_LIMIT": "0"], nil, "ERRAND_THROTTLE_LIMIT"),
            (["ERRAND_THROTTLE_LIMIT": "many"], nil, "ERRAND_THROTTLE_LIMIT"),
            (["ERRAND_HEADER_TIMEOUT": "nan"], nil, "ERRAND_HEADER_TIMEOUT"),
            (["ERRAND_BODY_TIMEOUT": "1e300"], nil, "ERRAND_BODY_TIMEOUT"),
            (["ERRAND_MAX_CONNECTIONS": "-1"], nil, "ERRAND_MAX_CONNECTIONS"),
            (["ERRAND_REQUIRE_TOKENS": "perhaps"], nil, "ERRAND_REQUIRE_TOKENS"),
            (["ERRAND_LISTEN": "nowhere"], nil, "ERRAND_LISTEN"),
            (["ERRAND_SESSION_IDLE_TIMEOUT": "-5"], nil, "ERRAND_SESSION_IDLE_TIMEOUT"),
            ([:], #"{"maxBodyBytes": 99999999999999}"#, "maxBodyBytes in"),
            ([:], #"{"historySize": "ten"}"#, "historySize in"),
            ([:], #"{"continuousLogBytes": -1}"#, "continuousLogBytes in"),
            ([:], #"{"keepAliveTimeout": "forever"}"#, "keepAliveTimeout in"),
            ([:], #"{"listen": "#, "cannot read the config file"),
        ] as [([String: String], String?, String)])
    func badValue(environment: [String: String], file: String?, named: String) async throws {
        let directory = try Self.dataDirectory(file: file)
        let error = await #expect(throws: ErrandError.self) {
            try await DaemonConfiguration.load(environment: environment.merging(["ERRAND_DATA_DIR": directory]) { a, _ in a })
        }
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }

    @Test("options are checked alone, naming the option", arguments: [ConfigurationKey.throttleLimit, .maxPackageBytes, .headerTimeout])
    func badOption(key: ConfigurationKey) throws {
        #expect(throws: ErrandError.self) { try DaemonConfiguration.checkOptions([key: "-3"]) }
        do {
            try DaemonConfiguration.checkOptions([key: "-3"])
        } catch {
            #expect(error.message.contains(key.option))
        }
    }

    @Test("option and variable names come from the key")
    func names() {
        #expect(ConfigurationKey.maxConnectionsPerClient.option == "--max-connections-per-client")
        #expect(ConfigurationKey.maxConnectionsPerClient.environmentVariable == "ERRAND_MAX_CONNECTIONS_PER_CLIENT")
        #expect(ConfigurationKey.insecureHTTP.option == "--insecure-http")
        #expect(ConfigurationKey.insecureHTTP.environmentVariable == "ERRAND_INSECURE_HTTP")
        #expect(ConfigurationKey.dataDir.environmentVariable == "ERRAND_DATA_DIR")
    }
}
