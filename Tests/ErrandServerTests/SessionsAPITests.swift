import ErrandCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension APITests {
    @Test(
        "session errors are JSON with a 4xx status and a message",
        arguments: [
            ("/api/v1/sessions", HTTPRequest.Method.post, "{not json", HTTPResponse.Status.badRequest, "bad_request"),
            ("/api/v1/sessions", .post, #"{"name": "no spaces"}"#, .badRequest, "bad_request"),
            ("/api/v1/sessions", .post, #"{"name": "123"}"#, .badRequest, "bad_request"),
            ("/api/v1/sessions", .post, #"{"name": "s", "idleTimeout": -1}"#, .badRequest, "bad_request"),
            ("/api/v1/sessions/nope", .get, "", .notFound, "not_found"),
            ("/api/v1/sessions/nope/connect", .post, "", .notFound, "not_found"),
            ("/api/v1/sessions/nope/disconnect", .post, "", .notFound, "not_found"),
            ("/api/v1/sessions/nope", .delete, "", .notFound, "not_found"),
            ("/api/v1/sessions/bad%20name", .get, "", .badRequest, "bad_request"),
            ("/api/v1/sessions/s?stopRuns=maybe", .delete, "", .badRequest, "bad_request"),
            ("/api/v1/runs?session=nope", .get, "", .notFound, "not_found"),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "session": "nope"}"#, .notFound, "not_found"),
            ("/api/v1/runs", .post, #"{"argv": ["true"], "session": "bad name"}"#, .badRequest, "bad_request"),
        ])
    func sessionErrors(uri: String, method: HTTPRequest.Method, body: String, status: HTTPResponse.Status, code: String) async throws {
        try await withAPI { client in
            try await client.execute(uri: "/api/v1/sessions", method: .post, body: ByteBuffer(string: #"{"name": "s"}"#)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: uri, method: method, body: body.isEmpty ? nil : ByteBuffer(string: body)) { response in
                #expect(response.status == status)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.code.rawValue == code)
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test("receive with both session and reader is refused")
    func sessionAndReader() async throws {
        try await withAPI { client in
            _ = try await client.execute(uri: "/api/v1/sessions", method: .post, body: ByteBuffer(string: #"{"name": "s"}"#)) { _ in }
            let request = RunRequest(argv: ["true"], environment: ["PATH": "/usr/bin:/bin"], session: "s")
            let run = try await client.execute(uri: "/api/v1/runs", method: .post, body: try Self.json(request)) { response in
                #expect(response.status == .created)
                return try Self.decode(Run.self, response)
            }
            #expect(run.session == "s")
            try await client.execute(uri: "/api/v1/runs/\(run.id)/receive?session=s&reader=x", method: .post) { response in
                #expect(response.status == .badRequest)
            }
        }
    }
}
