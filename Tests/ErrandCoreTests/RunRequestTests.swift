import ErrandCore
import Foundation
import Testing

@Suite("Run requests and names")
struct RunRequestTests {
    @Test("valid names", arguments: ["backup", "Job-1", "a_b", "x", "9lives"])
    func validNames(_ name: String) throws {
        try Names.validate(name, what: "run name")
    }

    @Test(
        "invalid names are refused with a message naming the rule",
        arguments: ["", "-x", "_x", "has space", "dot.name", "ünïcode", "123", String(repeating: "a", count: 129)])
    func invalidNames(_ name: String) {
        #expect {
            try Names.validate(name, what: "run name")
        } throws: { error in
            (error as? ErrandError)?.code == .badRequest && "\(error)".contains("invalid run name")
        }
    }

    @Test("an empty command is refused")
    func emptyCommand() {
        #expect(throws: ErrandError.self) { try RunRequest(argv: []).validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: [""]).validated() }
    }

    @Test("bad numbers and environment names are refused")
    func badNumbers() {
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], throttleLimit: 0).validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], timeout: -1).validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], timeout: .infinity).validated() }
        #expect(throws: ErrandError.self) { try RunRequest(argv: ["true"], environment: ["A=B": "c"]).validated() }
    }

    @Test("commands are displayed shell-quoted")
    func display() {
        let run = Run(id: 1, name: "Job1", location: "here", argv: ["sh", "-c", "echo 'hi' there"], createdAt: Date())
        #expect(run.command == #"sh -c 'echo '\''hi'\'' there'"#)
    }

    @Test("run JSON uses the API's field names and ISO-8601 times")
    func runJSON() throws {
        let run = Run(id: 3, name: "Job3", location: "here", argv: ["true"], exitCode: 3, createdAt: Date(timeIntervalSince1970: 0))
        let object = try JSONSerialization.jsonObject(with: JSONCoding.encoder().encode(run)) as! [String: Any]
        for key in ["id", "name", "type", "state", "hasMoreData", "location", "command", "exitCode", "createdAt"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["createdAt"] as? String == "1970-01-01T00:00:00.000Z")
        let back = try JSONCoding.decoder().decode(Run.self, from: JSONCoding.encoder().encode(run))
        #expect(back == run)
    }
}
