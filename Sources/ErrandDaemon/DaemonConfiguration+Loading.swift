import Configuration
import ErrandCore
import ErrandHost
import ErrandJobs
import ErrandServer
import ErrandStore
import Foundation
import Synchronization

extension DaemonConfiguration {
    /// The name of the config file looked for in the data dir when neither `--config` nor `ERRAND_CONFIG` names one.
    public static let defaultFileName = "errand.json"

    /// Reads the configuration with swift-configuration: `commandLine` (the options given, as typed) over the
    /// `ERRAND_…` variables of `environment` (empty ones count as unset) over a JSON config file over defaults.
    ///
    /// The file is `configFile` (the `--config` option), else `$ERRAND_CONFIG`, else `errand.json` in the data dir
    /// when it exists; `dataDir` is honoured only in a file named explicitly. Every value is checked (numbers for
    /// NaN, infinity, sign and size, through ``InputBounds``); a bad one is an error naming where it came from.
    public static func load(
        commandLine: [ConfigurationKey: String] = [:], configFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ErrandError) -> DaemonConfiguration {
        let given = try commandLineProvider(commandLine)
        let variables = EnvironmentVariablesProvider(environmentVariables: environment.filter { !$0.value.isEmpty })
            .prefixKeys(with: "errand")
        let early = Settings(sources: [.commandLine, .environment], providers: [given, variables])
        let explicitFile = configFile ?? environment["ERRAND_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        var dataDirectory = try early.text(.dataDir)
        var sources: [Settings.Source] = [.commandLine, .environment]
        var providers: [any ConfigProvider] = [given, variables]
        if let explicitFile {
            providers.append(try await fileProvider(explicitFile, allowMissing: false))
            sources.append(.file(explicitFile))
        }
        if dataDirectory == nil, explicitFile != nil {
            dataDirectory = try Settings(sources: sources, providers: providers).text(.dataDir)
        }
        let resolved = DataDirectory.resolve(dataDirectory)
        if explicitFile == nil {
            let path = resolved + "/" + defaultFileName
            providers.append(try await fileProvider(path, allowMissing: true))
            sources.append(.file(path))
        }
        var configuration = DaemonConfiguration(dataDirectory: resolved)
        try configuration.read(Settings(sources: sources, providers: providers))
        return configuration
    }

    /// Checks the options alone (no environment, no file): a bad one is an error naming the option.
    public static func checkOptions(_ commandLine: [ConfigurationKey: String]) throws(ErrandError) {
        var configuration = DaemonConfiguration(dataDirectory: "")
        try configuration.read(Settings(sources: [.commandLine], providers: [try commandLineProvider(commandLine)]))
    }

    /// The options, typed as the keys want them; an option that is not of its key's type names the option.
    static func commandLineProvider(_ values: [ConfigurationKey: String]) throws(ErrandError) -> InMemoryProvider {
        var typed: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, text) in values {
            let content: ConfigContent
            switch key.kind {
            case .text, .duration: content = .string(text)
            case .count:
                guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw .badRequest("\(key.option) wants a whole number; got '\(text)'")
                }
                content = .int(number)
            case .flag:
                guard let flag = Bool(text) else { throw .badRequest("\(key.option) is true or false; got '\(text)'") }
                content = .bool(flag)
            }
            typed[AbsoluteConfigKey(ConfigKey(key.rawValue))] = ConfigValue(content, isSecret: key == .store)
        }
        return InMemoryProvider(name: "command line", values: typed)
    }

    static func fileProvider(_ path: String, allowMissing: Bool) async throws(ErrandError) -> FileProvider<JSONSnapshot> {
        do {
            // The file's own settings, given the library's way (a reader), which spares us swift-system's FilePath.
            let file = InMemoryProvider(values: [
                "filePath": ConfigValue(.string(path), isSecret: false), "allowMissing": ConfigValue(.bool(allowMissing), isSecret: false),
            ])
            return try await FileProvider<JSONSnapshot>(config: ConfigReader(provider: file))
        } catch {
            throw .badRequest("cannot read the config file \(path) (a JSON object of settings, docs/configuration.md): \(error)")
        }
    }

    /// Sets every key the settings give, checked.
    mutating func read(_ settings: Settings) throws(ErrandError) {
        if let (text, name) = try settings.named(.listen, settings.text) {
            (listenHost, listenPort) = try Self.parseListen(text, name: name)
        }
        if let (text, name) = try settings.named(.instance, settings.text) {
            try InstanceRecord.checkName(text, field: name)
            guard text != InstanceRecord.anyInstance else {
                throw .badRequest("\(name): '\(text)' is reserved (`errand start --instance any` means any instance); choose another name")
            }
            host.instanceName = text
        }
        if let (text, name) = try settings.named(.advertise, settings.text) {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
                throw .badRequest(
                    "\(name) wants the URL other instances and users reach this daemon at, like http://10.0.0.5:7420, got '\(text)'")
            }
            advertise = text
        }
        if let (limit, name) = try settings.named(.throttleLimit, settings.count) {
            host.throttleLimit = try InputBounds.count(limit, field: name, min: 1)
        }
        if let (text, name) = try settings.named(.sessionIdleTimeout, settings.duration) {
            guard let seconds = DurationText.seconds(parsing: text) else {
                throw .badRequest("\(name) wants a duration like 90s, 30m, 2h or 1d, got '\(text)'")
            }
            do {
                try Sessions.validateIdleTimeout(seconds)
            } catch {
                throw .badRequest("\(name): \(error.message)")
            }
            host.sessionIdleTimeout = seconds
        }
        if let (bytes, name) = try settings.named(.maxPackageBytes, settings.count) {
            maxPackageBytes = Int64(try InputBounds.count(bytes, field: name, min: 1, max: Self.maxBytes))
        }
        if let (size, name) = try settings.named(.historySize, settings.count) {
            historySize = try InputBounds.count(size, field: name, min: 1, max: JobSettings.maxHistorySize)
        }
        if let (bytes, name) = try settings.named(.continuousLogBytes, settings.count) {
            continuousLogBytes = Int64(try InputBounds.count(bytes, field: name, min: 1, max: Self.maxBytes))
        }
        if let (flag, _) = try settings.named(.requireTokens, settings.flag) { requireTokens = flag }
        if let (flag, _) = try settings.named(.insecureHTTP, settings.flag) { insecureHTTP = flag }
        if let (text, _) = try settings.named(.tlsCert, settings.text) { tlsCertificate = text }
        if let (text, _) = try settings.named(.tlsKey, settings.text) { tlsKey = text }
        if let (text, _) = try settings.named(.sshConfig, settings.text) { sshConfig = text }
        if let (text, name) = try settings.named(.store, settings.text) {
            do {
                _ = try StoreLocation(parsing: text, dataDirectory: dataDirectory)
            } catch {
                throw .badRequest("\(name): \(error.message)")
            }
            store = text
        }
        try readRunAs(settings)
        try readConnectionLimits(settings)
    }

    /// `runAs` and `allowRunAs`: user names only here; that they exist and that the daemon may switch to them
    /// is checked when it opens (``Daemon/open(_:logger:)``), on the machine that runs it.
    private mutating func readRunAs(_ settings: Settings) throws(ErrandError) {
        func userName(_ text: String, _ name: String) throws(ErrandError) -> String {
            let user = text.trimmingCharacters(in: .whitespaces)
            guard Names.isValidUserName(user) else {
                throw .badRequest("\(name): '\(text)' is not a user name (letters, digits, '.', '_', '-'; at most 32 characters)")
            }
            return user
        }
        var policy = host.runAs
        if let (text, name) = try settings.named(.runAs, settings.text) {
            policy.defaultUser = try userName(text, name)
        }
        if let (text, name) = try settings.named(.allowRunAs, settings.text) {
            for word in text.split(separator: ",") { policy.allowed.insert(try userName(String(word), name)) }
        }
        host.runAs = RunAsPolicy(defaultUser: policy.defaultUser, allowed: policy.allowed)
    }

    private mutating func readConnectionLimits(_ settings: Settings) throws(ErrandError) {
        let timeouts: [(ConfigurationKey, WritableKeyPath<ConnectionLimits, Duration>)] = [
            (.headerTimeout, \.headerTimeout), (.bodyTimeout, \.bodyTimeout), (.keepAliveTimeout, \.keepAliveTimeout),
        ]
        for (key, path) in timeouts {
            if let (text, name) = try settings.named(key, settings.duration) {
                connections[keyPath: path] = try Self.connectionTimeout(text, name: name)
            }
        }
        let counts: [(ConfigurationKey, WritableKeyPath<ConnectionLimits, Int>, ClosedRange<Int>)] = [
            (.maxConnections, \.maxConnections, 1...ConnectionLimits.maxCount),
            (.maxConnectionsPerClient, \.maxConnectionsPerClient, 1...ConnectionLimits.maxCount),
            (.maxBodyBytes, \.maxBodyBytes, ConnectionLimits.bodyBytesRange),
        ]
        for (key, path, range) in counts {
            if let (count, name) = try settings.named(key, settings.count) {
                connections[keyPath: path] = try InputBounds.count(count, field: name, min: range.lowerBound, max: range.upperBound)
            }
        }
    }

    /// The largest byte count a size setting takes: 1 TiB.
    static let maxBytes = 1 << 40

    /// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (on 127.0.0.1).
    public static func parseListen(_ text: String, name: String = "--listen") throws(ErrandError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw .badRequest("\(name) wants HOST:PORT (like 127.0.0.1:7420), got '\(text)'") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// A connection timeout as seconds (`10`, `2.5`) or with one unit (`500ms`, `10s`, `2m`, `1h`): finite, above
    /// zero, at most ``ConnectionLimits/maxTimeout``. Checked as a number before it becomes a `Duration`, so an
    /// absurd value is refused instead of overflowing.
    public static func connectionTimeout(_ text: String, name: String) throws(ErrandError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let (number, unit) =
            units.first { trimmed.hasSuffix($0.suffix) }.map { (String(trimmed.dropLast($0.suffix.count)), $0.seconds) } ?? (trimmed, 1)
        let limit = ConnectionLimits.maxTimeout.seconds
        guard let value = Double(number), value.isFinite, value * unit > 0, value * unit <= limit else {
            throw .badRequest("\(name) wants a duration above 0 and at most \(Int(limit / 3600))h, like 10s, 500ms or 2m; got '\(text)'")
        }
        return .milliseconds(max(1, Int64((value * unit * 1000).rounded())))
    }
}
