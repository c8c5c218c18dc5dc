import ErrandCore
import Foundation
import Hummingbird

/// The request context of every route: the API's JSON conventions (ISO-8601 times with milliseconds).
public struct ErrandRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
}
