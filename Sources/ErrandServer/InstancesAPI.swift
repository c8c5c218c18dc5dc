import ErrandCore
import ErrandHost
import Foundation
import Hummingbird

extension InstanceRecord: ResponseEncodable {}

/// `GET /api/v1/instances`: the daemons of the fleet this one belongs to, alive first (a daemon of its own: itself).
struct InstancesAPI: Sendable {
    let fleet: FleetMember?
    let coordinator: RunCoordinator

    func addRoutes(to api: RouterGroup<ErrandRequestContext>) {
        api.get("instances", use: list)
    }

    @Sendable func list(_ request: Request, context: ErrandRequestContext) async throws -> [InstanceRecord] {
        if let fleet { return try await fleet.instances() }
        return [try await coordinator.instanceAlone()]
    }
}
