/// One setting of `errand serve`, by its name in the config file; the option and the environment variable
/// that also set it are derived from that name (`maxBodyBytes`: `--max-body-bytes`, `ERRAND_MAX_BODY_BYTES`).
public enum ConfigurationKey: String, CaseIterable, Sendable {
    case listen, dataDir, instance, throttleLimit, maxPackageBytes, historySize, continuousLogBytes, requireTokens
    case tlsCert, tlsKey, insecureHTTP, sessionIdleTimeout, sshConfig, store, runAs, allowRunAs, advertise
    case headerTimeout, bodyTimeout, keepAliveTimeout, maxConnections, maxConnectionsPerClient, maxBodyBytes

    /// What a value of the key is.
    enum Kind {
        case text, duration, count, flag
    }

    var kind: Kind {
        switch self {
        case .listen, .dataDir, .instance, .tlsCert, .tlsKey, .sshConfig, .store, .runAs, .allowRunAs, .advertise: .text
        case .sessionIdleTimeout, .headerTimeout, .bodyTimeout, .keepAliveTimeout: .duration
        case .throttleLimit, .maxPackageBytes, .historySize, .continuousLogBytes, .maxConnections, .maxConnectionsPerClient,
            .maxBodyBytes:
            .count
        case .requireTokens, .insecureHTTP: .flag
        }
    }

    /// The command-line option: `--max-body-bytes`.
    public var option: String {
        "--" + words.joined(separator: "-")
    }

    /// The environment variable: `ERRAND_MAX_BODY_BYTES` (swift-configuration's mapping of the key under `errand`).
    public var environmentVariable: String {
        "ERRAND_" + words.joined(separator: "_").uppercased()
    }

    /// The key's words, lower case: `maxBodyBytes` → max, body, bytes; `insecureHTTP` → insecure, http.
    private var words: [String] {
        var words: [String] = []
        var word = ""
        var previous: Character?
        for character in rawValue {
            if character.isUppercase, previous?.isLowercase == true {
                words.append(word)
                word = ""
            }
            word.append(character)
            previous = character
        }
        return (words + [word]).map { $0.lowercased() }
    }
}
