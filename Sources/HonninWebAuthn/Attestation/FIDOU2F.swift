import Crypto
import X509

/// The FIDO U2F attestation statement format (WebAuthn §8.6).
public enum FIDOU2FAttestation {
    /// The verification procedure of §8.6:
    ///
    /// 1. `attStmt` is `{x5c: [attCert], sig}`;
    /// 2. `x5c` has exactly one certificate, whose key is EC P-256;
    /// 3. take `rpIdHash`, `credentialId` and `credentialPublicKey` from the authenticator data;
    /// 4. convert the credential key to the raw ANSI X9.62 form `0x04 ‖ x ‖ y` (x and y 32 bytes:
    ///    the credential key must be ES256 on P-256);
    /// 5. `verificationData = 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ publicKeyU2F`;
    /// 6. `sig` verifies over it with the certificate key (ECDSA with SHA-256);
    /// 7–8. attestation type Basic (or AttCA, not told apart), trust path `x5c`.
    public static func verify(statement: CBORValue, context: AttestationContext) throws(WebAuthnError) -> AttestationResult {
        // Step 1.
        let fields = try StatementFields(statement, format: "fido-u2f")
        let sig = try fields.bytes("sig")
        let raw = try fields.certificateChain()
        // Step 2.
        guard raw.count == 1 else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f x5c holds \(raw.count) certificates, not exactly one")
        }
        let certificate = try AttestationCertificates.parse(raw, format: "fido-u2f")[0]
        guard P256.Signing.PublicKey(certificate.publicKey) != nil else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f attestation certificate key is not EC P-256")
        }
        // Step 3.
        let authData = try AuthenticatorData(bytes: context.authenticatorData)
        guard let attested = authData.attestedCredentialData else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f authenticator data has no attested credential data")
        }
        // Step 4.
        guard context.credentialAlgorithm == .es256, let p256 = P256.Signing.PublicKey(context.credentialPublicKey) else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f credential key is not ES256 on P-256")
        }
        let publicKeyU2F = Array(p256.x963Representation)
        guard publicKeyU2F.count == 65 else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f credential key is not 0x04 ‖ x ‖ y")
        }
        // Step 5.
        var verificationData: [UInt8] = [0x00]
        verificationData += authData.rpIDHash
        verificationData += context.clientDataHash
        verificationData += attested.credentialID
        verificationData += publicKeyU2F
        // Step 6.
        guard COSEAlgorithm.es256.verify(sig, over: verificationData, with: certificate.publicKey) else {
            throw WebAuthnError(.attestationInvalid, "fido-u2f attestation signature does not verify")
        }
        // Steps 7–8.
        return AttestationResult(type: .basic, trustPath: [certificate])
    }
}
