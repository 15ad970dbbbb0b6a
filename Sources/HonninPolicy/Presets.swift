import Foundation

/// Service profiles shipped as data (`Resources/presets/*.json`), in the same format a business
/// writes its own in.
public enum Presets {
    public static let ids = ["jfa-age", "hansyuho", "hansyuho-2027", "mobile-contract", "c2c-payout", "dating-age", "low-risk"]

    public struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let reason: String
        public init(file: String, reason: String) {
            self.file = file
            self.reason = reason
        }
        public var description: String { "\(file): \(reason)" }
    }

    public static func profile(_ id: String) throws -> ServiceProfile {
        guard ids.contains(id), let url = Bundle.module.url(forResource: "presets/\(id)", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { throw LoadError(file: id, reason: "no such preset; known: \(ids.joined(separator: ", "))") }
        return try load(data, name: id)
    }

    /// Decodes a profile file; errors name the member at fault.
    public static func load(_ data: Data, name: String) throws -> ServiceProfile {
        do {
            return try JSONDecoder().decode(ServiceProfile.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LoadError(file: name, reason: "\(key.stringValue) is missing")
        } catch let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c) {
            throw LoadError(file: name, reason: "\(c.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch let DecodingError.dataCorrupted(c) {
            throw LoadError(
                file: name, reason: c.codingPath.isEmpty ? "not JSON" : "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)")
        } catch {
            throw LoadError(file: name, reason: "\(error)")
        }
    }
}
