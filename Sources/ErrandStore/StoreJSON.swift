import ErrandCore
import Foundation

/// JSON kept in a text column (a run's argv and environment, a job's entry point), the same in every engine.
enum StoreJSON {
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// A column that does not decode is named in the error.
    static func decode<T: Decodable>(_ type: T.Type, _ json: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(json.utf8))
        } catch {
            throw ErrandError(.internal, "the store holds a damaged \(what): \(error)")
        }
    }
}

/// Times as the store keeps them: UTC instants to the millisecond (SQLite's text format keeps milliseconds;
/// PostgreSQL would keep microseconds, and the contract says both keep the same instant).
enum StoreTime {
    static func kept(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
