import Crypto
import HonninCore
import SwiftASN1
import X509

/// The `apple` (Apple Anonymous) attestation statement format (WebAuthn Level 3 §8.8): an
/// Apple anonymization CA issues `x5c[0]` for the credential key and binds it to this ceremony
/// with a nonce extension.
public enum AppleAttestation {
    /// OID of the extension carrying the nonce (§8.8 signing procedure step 4).
    static let nonceOID: ASN1ObjectIdentifier = [1, 2, 840, 113_635, 100, 8, 2]

    /// Runs the §8.8 verification procedure on the already CBOR-decoded `attStmt` field.
    ///
    /// 1. `attStmt` conforms to the syntax: `x5c` (`credCert` first) is a non-empty chain of
    ///    DER certificates.
    /// 2. `nonceToHash` = `authenticatorData` ‖ `clientDataHash`.
    /// 3. `nonce` = SHA-256(`nonceToHash`).
    /// 4. `nonce` equals the value of extension 1.2.840.113635.100.8.2 in `credCert`, encoded
    ///    as `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
    /// 5. The credential public key equals the subject public key of `credCert`.
    /// 6. Returns attestation type AnonCA and the trust path `x5c` (leaf first). Chaining it to
    ///    the Apple WebAuthn root is the registration ceremony's step (§7.1).
    ///
    /// Unparseable input throws `malformed`; a check that fails throws `attestationInvalid`.
    public static func verify(x5c: [[UInt8]], context: AttestationContext) throws(WebAuthnError) -> AttestationResult {
        // Step 1: syntax.
        let chain = try AttestationCertificates.parse(x5c, format: "apple")
        let credentialCertificate = chain[0]

        // Steps 2–3: the expected nonce.
        let nonce = Array(SHA256.hash(data: context.authenticatorData + context.clientDataHash))

        // Step 4: the nonce in credCert.
        guard let extensionValue = AttestationCertificates.extensionValue(nonceOID, in: credentialCertificate) else {
            throw WebAuthnError(.attestationInvalid, "apple: credCert has no nonce extension (1.2.840.113635.100.8.2)")
        }
        let certified = try parseNonce(extensionValue)
        guard Bytes.constantTimeEqual(certified, nonce) else {
            throw WebAuthnError(.attestationInvalid, "apple: the nonce in credCert is not SHA-256(authenticatorData ‖ clientDataHash)")
        }

        // Step 5: credCert certifies the credential public key.
        guard AttestationCertificates.sameKey(credentialCertificate.publicKey, context.credentialPublicKey) else {
            throw WebAuthnError(.attestationInvalid, "apple: credCert's key is not the credential public key")
        }

        // Step 6.
        return AttestationResult(type: .anonCA, trustPath: chain)
    }

    /// `SEQUENCE { [1] EXPLICIT OCTET STRING }`, the octet string being 32 bytes.
    private static func parseNonce(_ der: ArraySlice<UInt8>) throws(WebAuthnError) -> [UInt8] {
        let value: ASN1OctetString
        do {
            let root = try DER.parse(der)
            value = try DER.sequence(root, identifier: .sequence) { nodes in
                try DER.explicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { try ASN1OctetString(derEncoded: $0) }
            }
        } catch {
            throw WebAuthnError(.malformed, "apple: the nonce extension is not SEQUENCE { [1] OCTET STRING }")
        }
        guard value.bytes.count == 32 else {
            throw WebAuthnError(.malformed, "apple: the nonce extension holds \(value.bytes.count) bytes, not 32")
        }
        return Array(value.bytes)
    }
}
