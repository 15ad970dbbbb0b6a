import HonninCore

/// 身元確認保証レベル: identity assurance level 1–3 as the Japanese government guideline
/// (DS-500, 2019) defines them; the definitions are data in the method catalogue.
public struct IdentityAssuranceLevel: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int
    public init?(rawValue: Int) {
        guard (1...3).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public static let ial1 = IdentityAssuranceLevel(rawValue: 1)!
    public static let ial2 = IdentityAssuranceLevel(rawValue: 2)!
    public static let ial3 = IdentityAssuranceLevel(rawValue: 3)!
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "IAL\(rawValue)" }

    public init(from decoder: any Decoder) throws {
        let n = try decoder.singleValueContainer().decode(Int.self)
        guard let level = Self(rawValue: n) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "IAL must be 1, 2 or 3, not \(n)"))
        }
        self = level
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// 当人認証保証レベル: authenticator assurance level 1–3 (DS-500, 2019).
public struct AuthenticatorAssuranceLevel: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int
    public init?(rawValue: Int) {
        guard (1...3).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public static let aal1 = AuthenticatorAssuranceLevel(rawValue: 1)!
    public static let aal2 = AuthenticatorAssuranceLevel(rawValue: 2)!
    public static let aal3 = AuthenticatorAssuranceLevel(rawValue: 3)!
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "AAL\(rawValue)" }

    public init(from decoder: any Decoder) throws {
        let n = try decoder.singleValueContainer().decode(Int.self)
        guard let level = Self(rawValue: n) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "AAL must be 1, 2 or 3, not \(n)"))
        }
        self = level
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
