import Crypto
import HonninCore
import X509

/// A credential record (WebAuthn §4 "credential record", created at §7.1 step 27 and updated at
/// §7.2 step 24), in the form Honnin stores: the public key as SubjectPublicKeyInfo DER with its
/// COSE algorithm.
public struct CredentialRecord: Sendable, Hashable, Codable {
    /// Always `public-key`.
    public var type: String
    /// The credential ID (at most 1023 bytes).
    public var id: [UInt8]
    /// The credential public key, SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7).
    public var publicKey: [UInt8]
    public var algorithm: COSEAlgorithm
    public var signCount: UInt32
    /// From `getTransports()`, as the client reported them (hints only).
    public var transports: [String]
    public var uvInitialized: Bool
    /// BE: a multi-device (syncable) credential. Never hardware-bound.
    public var backupEligible: Bool
    /// BS: currently backed up.
    public var backupState: Bool
    /// The attestation statement format and the type its verification procedure returned.
    public var attestationFormat: String
    public var attestationType: AttestationType
    /// The 16-byte AAGUID from the attested credential data.
    public var aaguid: [UInt8]
    /// The attestation statement verified and its trust path chained to a root the trust source
    /// gave for this AAGUID (§7.1 step 24), so the key is attested to live in that model.
    public var attestationTrusted: Bool
    /// The RP ID the credential is scoped to.
    public var rpID: String
    /// `attestationObject` and `clientDataJSON` of the registration, kept for later re-assessment.
    public var attestationObject: [UInt8]
    public var attestationClientDataJSON: [UInt8]

    public init(
        id: [UInt8], publicKey: [UInt8], algorithm: COSEAlgorithm, signCount: UInt32, transports: [String], uvInitialized: Bool,
        backupEligible: Bool, backupState: Bool, attestationFormat: String, attestationType: AttestationType, aaguid: [UInt8],
        attestationTrusted: Bool, rpID: String, attestationObject: [UInt8], attestationClientDataJSON: [UInt8], type: String = "public-key"
    ) {
        self.type = type
        self.id = id
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.transports = transports
        self.uvInitialized = uvInitialized
        self.backupEligible = backupEligible
        self.backupState = backupState
        self.attestationFormat = attestationFormat
        self.attestationType = attestationType
        self.aaguid = aaguid
        self.attestationTrusted = attestationTrusted
        self.rpID = rpID
        self.attestationObject = attestationObject
        self.attestationClientDataJSON = attestationClientDataJSON
    }

    /// Hardware-bound and attested: the attestation chained to a trusted root and the credential
    /// is not backup eligible (a syncable passkey can leave the device, so it never counts as a
    /// hardware-bound key, e.g. for AAL3, whatever its attestation).
    public var hardwareBoundAndAttested: Bool { attestationTrusted && !backupEligible && !backupState }

    /// Whether `signature` is this credential's signature over `data` (§7.2 step 21). ES256, by far
    /// the commonest, goes straight to swift-crypto: the SPKI into a P-256 key (which refuses any
    /// other curve) and the DER `Ecdsa-Sig-Value` into r ‖ s (strict DER, ``ECDSASignatureDER``),
    /// without the generic certificate-key path.
    public func isValidSignature(_ signature: [UInt8], over data: [UInt8]) throws(WebAuthnError) -> Bool {
        if algorithm == .es256, let key = P256KeyCache.key(publicKey) {
            guard let raw = ECDSASignatureDER.raw(signature, scalarSize: 32),
                let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw)
            else { return false }
            return key.isValidSignature(signature, for: data)
        }
        return algorithm.verify(signature, over: data, with: try verifyingKey())
    }

    /// The stored key, rebuilt for verification (its type must fit `algorithm`).
    public func verifyingKey() throws(WebAuthnError) -> Certificate.PublicKey {
        try COSEKey(subjectPublicKeyInfo: publicKey, algorithm: algorithm).publicKey
    }
}

extension COSEAlgorithm: Codable {}
extension AttestationType: Codable {}

/// P-256 credential keys already parsed, by their SubjectPublicKeyInfo bytes: a returning passkey
/// skips the parse and the point check (public keys only; a byte-identical SPKI is the same key).
enum P256KeyCache {
    static let keys = BoundedCache<ByteKey, P256.Signing.PublicKey>(capacity: 10_000)

    /// The key, or nil when the bytes are not a P-256 SubjectPublicKeyInfo (never cached).
    static func key(_ spki: [UInt8]) -> P256.Signing.PublicKey? {
        if let hit = keys[ByteKey(spki)] { return hit }
        guard let key = try? P256.Signing.PublicKey(derRepresentation: spki) else { return nil }
        keys.put(ByteKey(spki), key)
        return key
    }
}
