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

/// The DER `Ecdsa-Sig-Value` of WebAuthn ECDSA signatures (RFC 5480 §2.2 / SEC 1 §C.5:
/// `SEQUENCE { r INTEGER, s INTEGER }`) as the fixed-width r ‖ s that swift-crypto verifies.
public enum ECDSASignatureDER {
    /// r ‖ s, each left-padded to `scalarSize` bytes; nil unless `der` is exactly one DER
    /// SEQUENCE of two positive INTEGERs in their shortest form, each at most `scalarSize` bytes
    /// once its sign byte is dropped. Lengths are read in DER's short form only, which covers
    /// P-256 and P-384 (at most 2 + 2 × (2 + 1 + 48) = 104 bytes); `scalarSize` must be 1...48.
    /// Range checks against the group order are the verifier's.
    public static func raw(_ der: [UInt8], scalarSize: Int) -> [UInt8]? {
        guard (1...48).contains(scalarSize), der.count >= 8, der[0] == 0x30, der[1] < 0x80, Int(der[1]) == der.count - 2 else { return nil }
        var raw = [UInt8](repeating: 0, count: 2 * scalarSize)
        var at = 2
        for part in 0..<2 {
            guard at + 2 <= der.count, der[at] == 0x02, der[at + 1] < 0x80 else { return nil }
            let length = Int(der[at + 1])
            let start = at + 2
            guard length >= 1, start + length <= der.count else { return nil }
            // Positive and shortest: the first byte has its high bit clear, and is 0 only when
            // the next byte needs it (high bit set).
            guard der[start] & 0x80 == 0 else { return nil }
            var first = start
            if der[start] == 0 {
                guard length >= 2, der[start + 1] & 0x80 != 0 else { return nil }
                first += 1
            }
            let size = start + length - first
            guard size <= scalarSize else { return nil }
            let offset = part * scalarSize + scalarSize - size
            raw.replaceSubrange(offset..<offset + size, with: der[first..<start + length])
            at = start + length
        }
        return at == der.count ? raw : nil
    }
}
