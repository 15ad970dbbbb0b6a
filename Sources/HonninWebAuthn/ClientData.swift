import Crypto
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

    /// §7.1 steps 5–6 / §7.2 steps 8–9: UTF-8 decode (a leading byte order mark is stripped) and
    /// JSON-parse; `type`, `challenge` and `origin` must be strings, `crossOrigin` a boolean and
    /// `topOrigin` a string when present.
    ///
    /// 1. Strip a leading UTF-8 byte order mark (the raw bytes, hashed later, keep it).
    /// 2. Parse the rest with the strict ``JSONReader`` (RFC 8259; well-formed UTF-8, unique member
    ///    names, nesting at most 64 deep); the top-level value must be an object.
    /// 3. `type`, `challenge` and `origin` must be present as strings.
    /// 4. `crossOrigin`, when present and not null, must be a boolean; `topOrigin`, when present
    ///    and not null, a string (null counts as absent, as it did for the decoder used before).
    /// 5. Other members are ignored (§5.8.1: the structure may be extended).
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        var body = bytes[...]
        if body.starts(with: [0xef, 0xbb, 0xbf]) { body = body.dropFirst(3) }
        let parsed: JSONValue
        do throws(JSONReaderError) {
            parsed = try JSONReader().parse(body)
        } catch {
            if error.code == .invalidUTF8 { throw WebAuthnError(.malformed, "clientDataJSON is not valid UTF-8 (byte \(error.offset))") }
            throw WebAuthnError(.malformed, "clientDataJSON is not JSON (\(error.code.rawValue) at byte \(error.offset))")
        }
        guard case .object(let members) = parsed else { throw WebAuthnError(.malformed, "clientDataJSON is not a JSON object") }
        var type: String?
        var challenge: String?
        var origin: String?
        var crossOrigin: Bool?
        var topOrigin: String?
        for (name, value) in members {  // one pass, no lookups: names are unique
            switch (name, value) {
            case ("type", .string(let text)): type = text
            case ("challenge", .string(let text)): challenge = text
            case ("origin", .string(let text)): origin = text
            case ("crossOrigin", .bool(let flag)): crossOrigin = flag
            case ("topOrigin", .string(let text)): topOrigin = text
            case ("crossOrigin", .null), ("topOrigin", .null): break
            case ("type", _), ("challenge", _), ("origin", _), ("crossOrigin", _), ("topOrigin", _):
                throw WebAuthnError(.malformed, "clientDataJSON.\(name) has the wrong JSON type")
            default: break
            }
        }
        guard let type, let challenge, let origin else {
            throw WebAuthnError(.malformed, "clientDataJSON lacks type, challenge or origin")
        }
        self.crossOrigin = crossOrigin
        self.topOrigin = topOrigin
        raw = bytes
        self.type = type
        self.challenge = challenge
        self.origin = origin
    }

    /// SHA-256 of the raw bytes (§7.1 step 12, §7.2 step 20).
    public var hash: [UInt8] { Array(SHA256.hash(data: raw)) }

    /// Whether `challenge` is the base64url encoding of `expected`, compared in constant time.
    public func challengeMatches(_ expected: [UInt8]) -> Bool {
        Bytes.constantTimeEqual(Array(challenge.utf8), Array(Bytes.base64URL(expected).utf8))
    }
}
