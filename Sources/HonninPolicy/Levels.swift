import HonninCore

/// Which scale a level belongs to; gives the label ("IAL", "AAL").
public protocol AssuranceScale: Sendable {
    static var label: String { get }
}

public enum IdentityScale: AssuranceScale { public static let label = "IAL" }
public enum AuthenticatorScale: AssuranceScale { public static let label = "AAL" }

/// A level 1–3 of the Japanese government guideline (DS-500, 2019) on one scale. The level
/// definitions are data in the method catalogue. Encoded as the bare integer.
public struct AssuranceLevel<Scale: AssuranceScale>: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public let rawValue: Int
    public init?(rawValue: Int) {
        guard (1...3).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(Scale.label)\(rawValue)" }

    public init(from decoder: any Decoder) throws {
        let n = try decoder.singleValueContainer().decode(Int.self)
        guard let level = Self(rawValue: n) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\(Scale.label) must be 1, 2 or 3, not \(n)"))
        }
        self = level
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// 身元確認保証レベル (identity assurance level).
public typealias IdentityAssuranceLevel = AssuranceLevel<IdentityScale>
/// 当人認証保証レベル (authenticator assurance level).
public typealias AuthenticatorAssuranceLevel = AssuranceLevel<AuthenticatorScale>

extension AssuranceLevel where Scale == IdentityScale {
    public static var ial1: Self { Self(rawValue: 1)! }
    public static var ial2: Self { Self(rawValue: 2)! }
    public static var ial3: Self { Self(rawValue: 3)! }
}

extension AssuranceLevel where Scale == AuthenticatorScale {
    public static var aal1: Self { Self(rawValue: 1)! }
    public static var aal2: Self { Self(rawValue: 2)! }
    public static var aal3: Self { Self(rawValue: 3)! }
}
