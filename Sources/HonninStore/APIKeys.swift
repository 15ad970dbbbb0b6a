import Crypto
import Foundation
import HonninCore

/// An API key of a business back-end, as stored: the secret itself is never stored, only its
/// SHA-256 digest (the secret is 256 random bits, so a fast hash is enough: there is nothing
/// to brute-force).
public struct APIKey: Sendable, Equatable {
    public let id: HonninID
    public let name: String
    public let secretDigest: [UInt8]
    public let createdAt: Date
    public let revokedAt: Date?

    public init(id: HonninID, name: String, secretDigest: [UInt8], createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.secretDigest = secretDigest
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

public protocol APIKeyRepository: Sendable {
    func insert(_ key: APIKey, audit: AuditEvent) async throws
    func find(_ id: HonninID) async throws -> APIKey?
    func list() async throws -> [APIKey]
    /// Returns false if no such key or already revoked.
    func revoke(_ id: HonninID, at: Date, audit: AuditEvent) async throws -> Bool
}

/// Issues and checks API keys.
///
/// Token format: `hnn_` ‖ the 26 characters of the key id ‖ `_` ‖ 43 characters of base64url
/// secret (32 random bytes). The prefix lets secret scanners recognise leaked keys; the embedded
/// id makes lookup a primary-key read, and the secret is then compared in constant time.
public struct APIKeyService: Sendable {
    public let repository: any APIKeyRepository
    let clock: any WallClock
    let random: any RandomSource

    public init(repository: any APIKeyRepository, clock: any WallClock, random: any RandomSource) {
        self.repository = repository
        self.clock = clock
        self.random = random
    }

    public static let tokenPrefix = "hnn_"

    /// Validates a key name: 1–100 characters, no control characters.
    public static func validateName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw HonninError(.invalidInput, "an API key name is 1 to 100 printable characters") }
        return trimmed
    }

    /// Creates a key; the returned token is the only time the secret exists outside the caller.
    public func create(name: String, actor: String) async throws -> (key: APIKey, token: Redacted<String>) {
        let name = try Self.validateName(name)
        let now = clock.now()
        let id = HonninID(kind: .apiKey, milliseconds: Timestamp.milliseconds(now), random: random)
        let secret = random.bytes(32)
        let key = APIKey(id: id, name: name, secretDigest: Array(SHA256.hash(data: secret)), createdAt: now, revokedAt: nil)
        try await repository.insert(key, audit: AuditEvent(action: "apikey.created", actor: actor, subject: id.rawValue, at: now))
        let token = Self.tokenPrefix + id.rawValue.dropFirst(HonninID.Kind.apiKey.prefix.count + 1) + "_" + Bytes.base64URL(secret)
        return (key, Redacted(token))
    }

    /// Checks a bearer token. Returns the key if the token is well formed, names an existing
    /// unrevoked key, and its secret matches; nil otherwise (the caller cannot tell which).
    public func authenticate(_ token: String) async throws -> APIKey? {
        guard let (id, secret) = Self.parse(token) else { return nil }
        guard let key = try await repository.find(id) else {
            // Same work as for a known key, so timing does not reveal which key ids exist.
            _ = Bytes.constantTimeEqual(Array(SHA256.hash(data: secret)), [UInt8](repeating: 0, count: 32))
            return nil
        }
        let ok = Bytes.constantTimeEqual(Array(SHA256.hash(data: secret)), key.secretDigest)
        return ok && key.revokedAt == nil ? key : nil
    }

    public func revoke(_ id: HonninID, actor: String) async throws -> Bool {
        let now = clock.now()
        return try await repository.revoke(id, at: now, audit: AuditEvent(action: "apikey.revoked", actor: actor, subject: id.rawValue, at: now))
    }

    static func parse(_ token: String) -> (HonninID, [UInt8])? {
        let utf8 = token.utf8
        guard utf8.count == 4 + 26 + 1 + 43, token.hasPrefix(tokenPrefix) else { return nil }
        let rest = token.dropFirst(4)
        let idPart = rest.prefix(26)
        guard rest.dropFirst(26).first == "_", let id = HonninID(parsing: "key_" + idPart, kind: .apiKey),
            let secret = Bytes.fromBase64URL(rest.dropFirst(27)), secret.count == 32
        else { return nil }
        return (id, secret)
    }
}
