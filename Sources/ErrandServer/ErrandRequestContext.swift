import ErrandCore
import Foundation
import Hummingbird

/// The request context of every route: the API's JSON conventions (ISO-8601 times with milliseconds).
public struct ErrandRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The largest body a route collects or decodes; set per daemon by ``BodyLimitMiddleware``.
    public var maxUploadSize = ConnectionLimits().maxBodyBytes

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
}
