import ErrandCore
import ErrandStore
import Foundation
import Logging
import Testing

@Suite("Store locations and the factory")
struct StoreFactoryTests {
    @Test(
        "locations parse: the data dir's default, sqlite:PATH (relative to the data dir), postgres URLs",
        arguments: [
            (nil, StoreLocation.sqlite(path: "/data/errand.sqlite")),
            ("", .sqlite(path: "/data/errand.sqlite")),
            ("sqlite:/var/lib/e.sqlite", .sqlite(path: "/var/lib/e.sqlite")),
            ("sqlite:///var/lib/e.sqlite", .sqlite(path: "/var/lib/e.sqlite")),
            ("sqlite:other.sqlite", .sqlite(path: "/data/other.sqlite")),
            ("SQLite:/x", .sqlite(path: "/x")),
            ("postgres://errand@db/errand", .postgres(url: "postgres://errand@db/errand")),
            ("postgresql://u:p@db:5432/e", .postgres(url: "postgresql://u:p@db:5432/e")),
        ] as [(String?, StoreLocation)])
    func parses(_ text: String?, _ expected: StoreLocation) throws {
        #expect(try StoreLocation(parsing: text, dataDirectory: "/data") == expected)
    }

    @Test(
        "PostgreSQL URLs are checked when parsed: sslmode, pool size, port",
        arguments: [
            "postgres://u@db/e?sslmode=sometimes", "postgres://u@db/e?pool=0", "postgres://u@db/e?pool=x",
            "postgres://u@db/e?color=red", "postgres://u:pw@:5432/e",
        ])
    func refusesBadPostgresURLs(_ text: String) {
        let error = #expect(throws: ErrandError.self) { try StoreLocation(parsing: text, dataDirectory: "/data") }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("pw") == false)
    }

    @Test("anything else is a bad request that says what is accepted", arguments: ["sqlite:", "mysql://db", "/plain/path", "sqlite:\0x"])
    func refuses(_ text: String) {
        let error = #expect(throws: ErrandError.self) { try StoreLocation(parsing: text, dataDirectory: "/data") }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("sqlite:PATH") == true)
    }

    @Test("a PostgreSQL URL's password never shows in messages")
    func hidesPassword() {
        #expect(StoreLocation.postgres(url: "postgres://u:secret@db/e").description == "postgres://u@db:5432/e")
        #expect(StoreLocation.postgres(url: "postgresql://u@db/e").description == "postgres://u@db:5432/e")
    }

    @Test("sqlite:PATH opens a working SQLite engine; an unreachable PostgreSQL is a clear error without the password")
    func opens() async throws {
        let path = try StoreContract.temporaryDatabase()
        let engine = try await StoreFactory.open("sqlite:" + path, dataDirectory: "/nonexistent", logger: Logger(label: "test"))
        #expect(engine is SQLiteStore)
        #expect(try await engine.createRun(StoreContract.newRun()).id > 0)
        #expect(FileManager.default.fileExists(atPath: path))
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let error = await #expect(throws: ErrandError.self) {
            try await StoreFactory.open("postgres://u:secret@127.0.0.1:1/errand", dataDirectory: "/data", logger: Logger(label: "test"))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("cannot connect to the store postgres://u@127.0.0.1:1/errand") == true)
        #expect(error?.message.contains("secret") == false)
    }
}
