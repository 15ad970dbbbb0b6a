/// The attestation object of WebAuthn §6.5.4: a CBOR map of `fmt` (text), `attStmt` (a map whose
/// syntax the format defines) and `authData` (bytes).
public struct AttestationObject: Sendable, Equatable {
    /// The raw bytes, as received.
    public let raw: [UInt8]
    /// The attestation statement format identifier (§8.1), matched case-sensitively.
    public let format: String
    /// The attestation statement: a CBOR map for every format except `compound` (an array).
    public let statement: CBORValue
    public let authenticatorData: AuthenticatorData

    /// §7.1 step 13: CBOR-decodes the attestation object and the authenticator data inside it.
    /// Any other members are ignored (CTAP may add some; WebAuthn defines these three).
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        let value: CBORValue
        do throws(CBORError) {
            value = try CBORDecoder().decode(bytes)
        } catch {
            throw WebAuthnError(.malformed, "attestation object: \(error)")
        }
        guard case .map = value else { throw WebAuthnError(.malformed, "attestation object is not a CBOR map") }
        guard let fmt = value["fmt"]?.textValue else { throw WebAuthnError(.malformed, "attestation object has no text fmt") }
        guard let statement = value["attStmt"] else { throw WebAuthnError(.malformed, "attestation object has no attStmt") }
        switch statement {
        case .map, .array: break
        default: throw WebAuthnError(.malformed, "attStmt is neither a map nor an array")
        }
        guard let authData = value["authData"]?.bytesValue else {
            throw WebAuthnError(.malformed, "attestation object has no byte-string authData")
        }
        raw = bytes
        format = fmt
        self.statement = statement
        authenticatorData = try AuthenticatorData(bytes: authData)
    }
}
