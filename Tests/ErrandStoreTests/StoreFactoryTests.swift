import ErrandCore
import ErrandStore
import Foundation
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

    @Test("anything else is a bad request that says what is accepted", arguments: ["sqlite:", "mysql://db", "/plain/path", "sqlite:\0x"])
    func refuses(_ text: String) {
        let error = #expect(throws: ErrandError.self) { try StoreLocation(parsing: text, dataDirectory: "/data") }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("sqlite:PATH") == true)
    }

    @Test("a PostgreSQL URL's password never shows in messages")
    func hidesPassword() {
        #expect(StoreLocation.postgres(url: "postgres://u:secret@db/e").description == "postgres://u:***@db/e")
        #expect(StoreLocation.postgres(url: "postgres://u@db/e").description == "postgres://u@db/e")
    }

    @Test("sqlite:PATH opens a working SQLite engine; postgres:// is 'not supported yet'")
    func opens() async throws {
        let path = try StoreContract.temporaryDatabase()
        let engine = try StoreFactory.open("sqlite:" + path, dataDirectory: "/nonexistent")
        #expect(engine is SQLiteStore)
        #expect(try await engine.createRun(StoreContract.newRun()).id > 0)
        #expect(FileManager.default.fileExists(atPath: path))
        let error = #expect(throws: ErrandError.self) {
            try StoreFactory.open("postgres://u:secret@db/errand", dataDirectory: "/data")
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("not supported yet") == true)
        #expect(error?.message.contains("secret") == false)
    }
}
