import ErrandCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension APITests {
    @Test("what the store refuses reaches the client with the store's reason and a 4xx, not an internal error")
    func storeRefusalsAreClientErrors() async throws {
        try await withAPI { client in
            let pattern = String(repeating: "*", count: NamePattern.maxLength + 1)
            try await client.execute(uri: "/api/v1/runs?name=\(pattern)", method: .get) { response in
                #expect(response.status == .badRequest)
                let error = try Self.decode(ErrorBody.self, response).error
                #expect(error.code == .badRequest)
                #expect(error.message.contains("name pattern may be at most"), "\(error.message)")
            }
        }
    }
}
