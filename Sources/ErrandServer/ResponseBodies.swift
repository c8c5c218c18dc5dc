import ErrandCore
import Hummingbird

// The API's bodies are encoded with the context's JSON encoder.
extension Run: ResponseEncodable {}
extension HealthBody: ResponseEncodable {}
extension OutputPageBody: ResponseEncodable {}
extension WaitBody: ResponseEncodable {}
extension JobView: ResponseEncodable {}
extension JSONValue: ResponseEncodable {}
