import ErrandCore
import ErrandSchedule
import Foundation

/// Reading `settings.job`: every key checked, every mistake collected as a `SettingsProblem`.
extension JobSettings {
    /// The keys Errand reads: Kudu's four, then Errand's.
    public static let knownKeys: [String] = [
        "schedule", "is_singleton", "stopping_wait_time", "is_in_place",
        "time_zone", "recurrence", "overlap", "missed", "timeout", "idle_timeout", "retries", "restart",
        "history_size", "env", "entry_point", "run_as", "kill_mode",
    ]

    /// Keys of other WebJobs hosts that Errand does not read, with what to write instead.
    static let foreignKeys: [String: String] = [
        "run_mode": "Errand takes the kind from the deploy (--triggered or --continuous) and a schedule from \"schedule\"",
        "shutdownGraceTimeLimit": "use \"stopping_wait_time\" (seconds)",
        "shutdown_grace_time_limit": "use \"stopping_wait_time\" (seconds)",
    ]

    /// Parses `settings.job` text (UTF-8 JSON, a leading byte-order mark allowed). Never throws: a file that is
    /// not a JSON object gives default settings with one problem for the whole file.
    public init(parsing data: Data) {
        self.init()
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            problems = [SettingsProblem(field: nil, "settings.job is not valid JSON: \(Self.describe(error))")]
            return
        }
        guard case .object(let object) = value else {
            problems = [SettingsProblem(field: nil, "settings.job must be a JSON object such as {\"schedule\": \"0 */5 * * * *\"}")]
            return
        }
        self.init(object: object)
    }

    /// Checks an already-decoded object (the body of `PUT …/settings`).
    public init(object: [String: JSONValue]) {
        self.init()
        raw = object
        var reader = SettingsReader()
        for key in object.keys.sorted() {
            let value = object[key]!
            if case .null = value { continue }
            read(key: key, value: value, reader: &reader)
        }
        if object["schedule"].map({ $0 != .null }) == true, object["recurrence"].map({ $0 != .null }) == true {
            reader.fail("recurrence", "give either \"schedule\" (cron) or \"recurrence\" (object), not both")
        }
        problems = reader.problems.sorted { ($0.field ?? "", $0.message) < ($1.field ?? "", $1.message) }
    }

    private mutating func read(key: String, value: JSONValue, reader: inout SettingsReader) {
        switch key {
        case "schedule":
            guard let text = reader.string(key, value) else { return }
            do {
                schedule = .cron(try CronExpression(parsing: text))
            } catch {
                reader.fail(key, "invalid cron expression \"\(text)\": \(error.description)")
            }
        case "recurrence":
            var json = value.jsonData
            if case .string(let text) = value { json = Data(text.utf8) }
            do {
                schedule = .recurrence(try Recurrence(json: json))
            } catch {
                reader.fail(error.field.map { "recurrence.\($0)" } ?? key, error.message)
            }
        case "time_zone":
            guard let name = reader.string(key, value) else { return }
            if let zone = Self.ianaZone(named: name) {
                timeZone = zone
            } else {
                reader.fail(key, "\"\(name)\" is not an IANA time zone; use a name such as Europe/London, America/New_York or UTC")
            }
        case "is_singleton": isSingleton = reader.bool(key, value) ?? isSingleton
        case "is_in_place": isInPlaceSetting = reader.bool(key, value)
        case "stopping_wait_time":
            stoppingWaitTimeSetting = reader.duration(key, value, max: InputBounds.maxGraceSeconds, allowZero: true)
        case "timeout":
            timeout = reader.duration(key, value, max: InputBounds.maxTimeoutSeconds, allowZero: true).flatMap { $0 == .zero ? nil : $0 }
        case "idle_timeout":
            idleTimeout = reader.duration(key, value, max: InputBounds.maxTimeoutSeconds, allowZero: true)
                .flatMap { $0 == .zero ? nil : $0 }
        case "overlap": overlap = reader.word(key, value, as: OverlapPolicy.self) ?? overlap
        case "missed": missed = reader.word(key, value, as: MissedPolicy.self) ?? missed
        case "restart": restart = reader.word(key, value, as: RestartPolicy.self) ?? restart
        case "history_size":
            historySize = reader.integer(key, value, range: 1...Self.maxHistorySize) ?? historySize
        case "retries": retries = Self.readRetries(value, reader: &reader) ?? retries
        case "env": environment = Self.readEnvironment(value, reader: &reader)
        case "kill_mode": killMode = reader.word(key, value, as: KillMode.self) ?? killMode
        case "run_as":
            guard let name = reader.string(key, value) else { return }
            if Names.isValidUserName(name) {
                runAs = name
            } else {
                reader.fail(key, "\"\(name)\" is not a user name (letters, digits, '.', '_', '-'; at most 32 characters)")
            }
        case "entry_point":
            guard let path = reader.string(key, value) else { return }
            if let message = Self.entryPointProblem(path) {
                reader.fail(key, message)
            } else {
                entryPoint = path
            }
        default:
            reader.fail(key, Self.unknownKeyMessage(key), severity: .warning)
        }
    }

    /// `retries`: a count, or `{"count", "delay", "backoff", "max_delay"}`.
    private static func readRetries(_ value: JSONValue, reader: inout SettingsReader) -> RetryPolicy? {
        let countRange = 0...RetryPolicy.maxCount
        guard case .object(let object) = value else {
            return reader.integer("retries", value, range: countRange).map { RetryPolicy(count: $0) }
        }
        var policy = RetryPolicy(count: 0)
        var ok = true
        for key in object.keys.sorted() {
            let field = "retries.\(key)"
            let item = object[key]!
            switch key {
            case "count":
                if let count = reader.integer(field, item, range: countRange) { policy.count = count } else { ok = false }
            case "delay":
                if let delay = reader.duration(field, item, max: InputBounds.maxTimeoutSeconds, allowZero: true) {
                    policy.delay = delay
                } else {
                    ok = false
                }
            case "max_delay":
                if let delay = reader.duration(field, item, max: InputBounds.maxTimeoutSeconds, allowZero: false) {
                    policy.maxDelay = delay
                } else {
                    ok = false
                }
            case "backoff":
                if let backoff = reader.word(field, item, as: RetryPolicy.Backoff.self) { policy.backoff = backoff } else { ok = false }
            default:
                reader.fail(field, "unknown field; use count, delay, backoff (fixed or exponential) and max_delay")
                ok = false
            }
        }
        if object["count"] == nil {
            reader.fail("retries.count", "is required: how many times a failed run is tried again")
            return nil
        }
        if policy.maxDelay < policy.delay {
            reader.fail("retries.max_delay", "is shorter than retries.delay; make it at least as long")
            return nil
        }
        return ok ? policy : nil
    }

    /// `env`: an object of names to strings (numbers and booleans are written out as text).
    private static func readEnvironment(_ value: JSONValue, reader: inout SettingsReader) -> [String: String] {
        guard case .object(let object) = value else {
            reader.fail("env", "\(value.shown) is not an object; use {\"NAME\": \"value\"}")
            return [:]
        }
        var result: [String: String] = [:]
        for name in object.keys.sorted() {
            let field = "env.\(name)"
            if name.isEmpty || name.contains("=") || name.contains("\0") {
                reader.fail(field, "is not a valid variable name (it must be non-empty, without '=' or NUL)")
                continue
            }
            if name.hasPrefix("ERRAND_") || name.hasPrefix("WEBJOBS_") {
                reader.fail(field, "ERRAND_* and WEBJOBS_* are set by Errand for every run; choose another name")
                continue
            }
            let text: String
            switch object[name]! {
            case .string(let s): text = s
            case .number, .bool: text = object[name]!.shown
            default:
                reader.fail(field, "\(object[name]!.shown) is not a string, number or boolean")
                continue
            }
            if text.contains("\0") {
                reader.fail(field, "contains a NUL byte, which an environment cannot hold")
                continue
            }
            result[name] = text
        }
        return result
    }

    /// Why an `entry_point` path cannot be used, or `nil`: it must stay inside the package.
    static func entryPointProblem(_ path: String) -> String? {
        if path.isEmpty { return "is empty; name the file to run, e.g. \"run.sh\" or \"bin/worker.py\"" }
        if path.hasPrefix("/") { return "\"\(path)\" is absolute; give a path inside the package, e.g. \"bin/worker.py\"" }
        if path.contains("\0") { return "contains a NUL byte" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) {
            return "\"\(path)\" leaves the package with '..'; give a path inside the package"
        }
        return nil
    }

    /// An IANA zone (`Region/City`, `Etc/…`, or UTC/GMT/Z), not an abbreviation or offset such as `EST` or
    /// `GMT+5` that Foundation would also accept.
    static func ianaZone(named name: String) -> TimeZone? {
        guard let zone = Recurrence.zone(named: name) else { return nil }
        if ["utc", "z", "gmt"].contains(name.lowercased()) { return zone }
        if TimeZone.knownTimeZoneIdentifiers.contains(name) { return zone }
        return name.contains("/") && zone.identifier == name ? zone : nil
    }

    static func unknownKeyMessage(_ key: String) -> String {
        if let hint = foreignKeys[key] { return "is not read by Errand: \(hint)" }
        let lower = key.lowercased().replacingOccurrences(of: "-", with: "_")
        let nearest = knownKeys.min { editDistance(lower, $0) < editDistance(lower, $1) }
        if let nearest, editDistance(lower, nearest) <= 2 {
            return "unknown key; did you mean \"\(nearest)\"? It has no effect as written"
        }
        return "unknown key; it has no effect (known keys: \(knownKeys.joined(separator: ", ")))"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}
