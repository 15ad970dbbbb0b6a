import Crypto
import Foundation
import HonninCore

/// The client data of WebAuthn §5.8.1 (`CollectedClientData`), parsed from the exact bytes the
/// client sent (`clientDataJSON`), which are kept: the signature covers their SHA-256.
///
/// Unknown members are ignored and member order is free (§5.8.1: the structure may be extended).
public struct CollectedClientData: Sendable, Equatable {
    /// The raw `clientDataJSON` bytes.
    public let raw: [UInt8]
    /// `webauthn.create` or `webauthn.get` (checked by the ceremonies, not here).
    public let type: String
    /// The base64url encoding of the challenge, as the client wrote it.
    public let challenge: String
    public let origin: String
    /// Absent is not the same as false only for display; both mean "not cross-origin".
    public let crossOrigin: Bool?
    public let topOrigin: String?

    private struct Members: Decodable {
        let type: String
        let challenge: String
        let origin: String
        let crossOrigin: Bool?
        let topOrigin: String?
    }

    /// §7.1 steps 5–6 / §7.2 steps 8–9: UTF-8 decode (a leading byte order mark is stripped) and
    /// JSON-parse; `type`, `challenge` and `origin` must be strings, `crossOrigin` a boolean and
    /// `topOrigin` a string when present.
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        var body = bytes[...]
        if body.starts(with: [0xef, 0xbb, 0xbf]) { body = body.dropFirst(3) }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw WebAuthnError(.malformed, "clientDataJSON is not valid UTF-8")
        }
        let members: Members
        do {
            members = try JSONDecoder().decode(Members.self, from: Data(body))
        } catch {
            throw WebAuthnError(.malformed, "clientDataJSON does not parse as CollectedClientData")
        }
        raw = bytes
        type = members.type
        challenge = members.challenge
        origin = members.origin
        crossOrigin = members.crossOrigin
        topOrigin = members.topOrigin
    }

    /// SHA-256 of the raw bytes (§7.1 step 12, §7.2 step 20).
    public var hash: [UInt8] { Array(SHA256.hash(data: raw)) }

    /// Whether `challenge` is the base64url encoding of `expected`, compared in constant time.
    public func challengeMatches(_ expected: [UInt8]) -> Bool {
        Bytes.constantTimeEqual(Array(challenge.utf8), Array(Bytes.base64URL(expected).utf8))
    }
}
