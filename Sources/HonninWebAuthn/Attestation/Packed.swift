import SwiftASN1
import X509

/// The packed attestation statement format (WebAuthn §8.2).
public enum PackedAttestation {
    /// The verification procedure of §8.2:
    ///
    /// 1. `attStmt` is `{alg, sig, x5c?}` with the types of the §8.2 CDDL;
    /// 2. with `x5c`: `sig` verifies over `authenticatorData ‖ clientDataHash` with the leaf
    ///    certificate's key and `alg`; the leaf meets §8.2.1; an `id-fido-gen-ce-aaguid` extension,
    ///    if present, equals the AAGUID → attestation type Basic (Basic and AttCA are not told
    ///    apart without metadata), trust path `x5c`;
    /// 3. without `x5c` (self attestation): `alg` equals the credential key's algorithm and `sig`
    ///    verifies with the credential key → Self, empty trust path.
    public static func verify(statement: CBORValue, context: AttestationContext) throws(WebAuthnError) -> AttestationResult {
        // Step 1.
        let fields = try StatementFields(statement, format: "packed")
        let alg = try fields.algorithm()
        let sig = try fields.bytes("sig")
        let signed = context.authenticatorData + context.clientDataHash

        if fields.has("x5c") {
            // Step 2.
            let chain = try AttestationCertificates.parse(try fields.certificateChain(), format: "packed")
            let leaf = chain[0]
            guard alg.verify(sig, over: signed, with: leaf.publicKey) else {
                throw WebAuthnError(.attestationInvalid, "packed attestation signature does not verify with the attestation certificate")
            }
            try checkCertificateRequirements(leaf, aaguid: context.aaguid)
            return AttestationResult(type: .basic, trustPath: chain)
        }

        // Step 3.
        guard alg == context.credentialAlgorithm else {
            throw WebAuthnError(.attestationInvalid, "packed self attestation alg \(alg.rawValue) differs from the credential key's \(context.credentialAlgorithm.rawValue)")
        }
        guard alg.verify(sig, over: signed, with: context.credentialPublicKey) else {
            throw WebAuthnError(.attestationInvalid, "packed self attestation signature does not verify with the credential key")
        }
        return AttestationResult(type: .self, trustPath: [])
    }

    /// §8.2.1 certificate requirements for packed attestation statements: version 3; a subject
    /// with C, O, OU = "Authenticator Attestation" and CN; Basic Constraints CA false; and an
    /// AAGUID extension, when present, not critical and equal to the attested AAGUID.
    public static func checkCertificateRequirements(_ certificate: Certificate, aaguid: [UInt8]) throws(WebAuthnError) {
        guard certificate.version == .v3 else {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate is not version 3")
        }
        var seen: [ASN1ObjectIdentifier: String] = [:]
        for rdn in certificate.subject {
            for attribute in rdn {
                seen[attribute.type] = String(attribute.value) ?? ""
            }
        }
        let types = ASN1ObjectIdentifier.RDNAttributeType.self
        for (oid, name) in [(types.countryName, "C"), (types.organizationName, "O"), (types.commonName, "CN")] where seen[oid] == nil {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate subject has no \(name)")
        }
        guard seen[types.organizationalUnitName] == "Authenticator Attestation" else {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate subject OU is not \"Authenticator Attestation\"")
        }
        let constraints: BasicConstraints?
        do {
            constraints = try certificate.extensions.basicConstraints
        } catch {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate basic constraints do not parse")
        }
        if case .isCertificateAuthority = constraints {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate is a CA certificate")
        }
        if certificate.extensions[oid: AttestationCertificates.aaguidExtension]?.critical == true {
            throw WebAuthnError(.attestationInvalid, "packed attestation certificate marks id-fido-gen-ce-aaguid critical")
        }
        try AttestationCertificates.checkAAGUIDExtension(of: certificate, equals: aaguid, format: "packed")
    }
}
