import Configuration
import ErrandCore
import Synchronization

/// A swift-configuration reader over the daemon's sources (highest first), which also says where each value
/// came from: a value that does not parse, or one out of range, is an error naming the option, the variable or
/// the file it was read from.
struct Settings {
    /// Where a value came from, in the order of the reader's providers.
    enum Source {
        case commandLine, environment
        case file(String)

        func name(of key: ConfigurationKey) -> String {
            switch self {
            case .commandLine: key.option
            case .environment: key.environmentVariable
            case .file(let path): "\(key.rawValue) in \(path)"
            }
        }
    }

    let sources: [Source]
    let reader: ConfigReader
    private let lookups: Lookups

    init(sources: [Source], providers: [any ConfigProvider]) {
        self.sources = sources
        lookups = Lookups()
        reader = ConfigReader(providers: providers, accessReporter: lookups)
    }

    /// The value of `key` read by `read` and the name of its source, or nil when no source sets it.
    func named<Value>(
        _ key: ConfigurationKey, _ read: (ConfigurationKey) throws(ErrandError) -> Value?
    ) throws(ErrandError) -> (Value, String)? {
        guard let value = try read(key) else { return nil }
        return (value, lookups.source(of: key).map { sources[$0].name(of: key) } ?? key.rawValue)
    }

    func text(_ key: ConfigurationKey) throws(ErrandError) -> String? {
        let value = reader.string(forKey: ConfigKey(key.rawValue))
        try check(key, "a string")
        return value
    }

    func count(_ key: ConfigurationKey) throws(ErrandError) -> Int? {
        let value = reader.int(forKey: ConfigKey(key.rawValue))
        try check(key, "a whole number")
        return value
    }

    func flag(_ key: ConfigurationKey) throws(ErrandError) -> Bool? {
        let value = reader.bool(forKey: ConfigKey(key.rawValue))
        try check(key, "true or false (also 1/0, yes/no)")
        return value
    }

    /// A duration as text (`90s`, `2m`), or in a file also as a number of seconds.
    func duration(_ key: ConfigurationKey) throws(ErrandError) -> String? {
        if let text = reader.string(forKey: ConfigKey(key.rawValue)) { return text }
        guard lookups.failure(of: key) != nil else { return nil }
        let seconds = reader.double(forKey: ConfigKey(key.rawValue))
        try check(key, "a duration like 10s, 2m or 1h, or a number of seconds")
        return seconds.map { String($0) }
    }

    /// Throws when the last lookup of `key` failed: its value is not `expected`.
    private func check(_ key: ConfigurationKey, _ expected: String) throws(ErrandError) {
        guard let index = lookups.failure(of: key) else { return }
        throw .badRequest("\(sources[index].name(of: key)) must be \(expected)")
    }
}

/// Remembers, per key, which provider answered its last lookup and whether that provider failed to give a
/// value of the type asked for (the reader alone would fall back to nil).
private final class Lookups: AccessReporter, Sendable {
    private struct Outcome {
        var provider: Int?
        var failed: Bool
    }

    private let outcomes = Mutex<[String: Outcome]>([:])

    func report(_ event: AccessEvent) {
        let answered = event.providerResults.lastIndex { result in
            switch result.result {
            case .success(let lookup): lookup.value != nil
            case .failure: true
            }
        }
        var failed = false
        if let answered, case .failure = event.providerResults[answered].result { failed = true }
        if event.conversionError != nil { failed = true }
        let key = event.metadata.key.description
        outcomes.withLock { $0[key] = Outcome(provider: answered, failed: failed) }
    }

    func source(of key: ConfigurationKey) -> Int? {
        outcomes.withLock { $0[key.rawValue]?.provider }
    }

    /// The index of the provider whose value of `key` could not be read, if the last lookup failed.
    func failure(of key: ConfigurationKey) -> Int? {
        outcomes.withLock { outcome in
            guard let found = outcome[key.rawValue], found.failed else { return nil }
            return found.provider ?? 0
        }
    }
}
