import X509

/// The attestation types of WebAuthn §6.5.3.
public enum AttestationType: String, Sendable {
    case none
    case `self` = "self"
    case basic
    case attCA = "attca"
    case anonCA = "anonca"
}

/// What every attestation statement format's verification procedure (§8) receives besides its
/// own `attStmt` fields.
public struct AttestationContext: Sendable {
    /// The raw authenticator data, exactly as in the attestation object.
    public let authenticatorData: [UInt8]
    /// SHA-256 of `clientDataJSON`.
    public let clientDataHash: [UInt8]
    /// The credential public key from the attested credential data, converted from COSE.
    public let credentialPublicKey: Certificate.PublicKey
    /// Its COSE `alg`.
    public let credentialAlgorithm: COSEAlgorithm
    /// The 16-byte AAGUID from the attested credential data.
    public let aaguid: [UInt8]

    public init(
        authenticatorData: [UInt8], clientDataHash: [UInt8], credentialPublicKey: Certificate.PublicKey, credentialAlgorithm: COSEAlgorithm,
        aaguid: [UInt8]
    ) {
        self.authenticatorData = authenticatorData
        self.clientDataHash = clientDataHash
        self.credentialPublicKey = credentialPublicKey
        self.credentialAlgorithm = credentialAlgorithm
        self.aaguid = aaguid
    }
}

/// The outcome of a format's verification procedure: the attestation type and its trust path
/// (leaf first; empty for `none` and `self`). Chaining the path to a root is §7.1 step 24, done
/// by the registration ceremony with roots from the FIDO Metadata Service.
public struct AttestationResult: Sendable {
    public let type: AttestationType
    public let trustPath: [Certificate]

    public init(type: AttestationType, trustPath: [Certificate]) {
        self.type = type
        self.trustPath = trustPath
    }
}
