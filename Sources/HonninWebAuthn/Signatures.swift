import Crypto
import CryptoExtras
import Foundation
import X509

/// COSE algorithm identifiers (IANA "COSE Algorithms") that WebAuthn relying parties meet.
public enum COSEAlgorithm: Int, Sendable, CaseIterable {
    case es256 = -7
    case eddsa = -8
    case es384 = -35
    case es512 = -36
    case rs256 = -257
    case rs384 = -258
    case rs512 = -259
    /// RSASSA-PKCS1-v1_5 with SHA-1: only inside TPM and legacy attestation statements, never
    /// for a credential key.
    case rs1 = -65535

    /// The X.509 signature algorithm with the same encoding: WebAuthn ECDSA signatures are DER
    /// `Ecdsa-Sig-Value` and EdDSA signatures are the raw 64 bytes, exactly as in certificates.
    public var x509: Certificate.SignatureAlgorithm {
        switch self {
        case .es256: .ecdsaWithSHA256
        case .es384: .ecdsaWithSHA384
        case .es512: .ecdsaWithSHA512
        case .eddsa: .ed25519
        case .rs256: .sha256WithRSAEncryption
        case .rs384: .sha384WithRSAEncryption
        case .rs512: .sha512WithRSAEncryption
        case .rs1: .sha1WithRSAEncryption
        }
    }

    /// Verifies `signature` over `data` with `key` (a credential key from its COSE form, or an
    /// attestation certificate's key). A key of the wrong type for the algorithm never verifies.
    public func verify(_ signature: [UInt8], over data: some DataProtocol, with key: Certificate.PublicKey) -> Bool {
        key.isValidSignature(signature, for: data, signatureAlgorithm: x509)
    }
}
