import Foundation
import HonninCore
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// What the relying party knows about an authenticator model (WebAuthn §7.1 step 23: "obtain a
/// list of acceptable trust anchors … for example from the FIDO Metadata Service").
public struct AttestationTrust: Sendable {
    /// Attestation root certificates for this model; empty when nothing is known.
    public var roots: [Certificate]
    /// The model is REVOKED or its attestation key is compromised (FIDO MDS status reports):
    /// registration is refused whatever the statement says.
    public var revoked: Bool
    /// Operator detail, e.g. the MDS status that led to `revoked`.
    public var detail: String?

    public init(roots: [Certificate], revoked: Bool = false, detail: String? = nil) {
        self.roots = roots
        self.revoked = revoked
        self.detail = detail
    }

    /// Nothing known: no roots, not revoked.
    public static let unknown = AttestationTrust(roots: [])
}

/// Where attestation trust anchors come from (the FIDO MDS loader implements this).
public protocol AttestationTrustSource: Sendable {
    /// Trust for the authenticator model with this 16-byte AAGUID (all zero for U2F devices and
    /// for attestation the client removed). Throwing fails the registration ceremony.
    func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust

    /// Trust for an authenticator without an AAGUID, identified by its attestation certificate
    /// (FIDO Metadata Statement `attestationCertificateKeyIdentifiers`: how U2F authenticators are
    /// listed). `identifiers` are lower-case hex, the most specific first (see
    /// ``AttestationKeyIdentifier``). The default asks ``trust(aaguid:)`` with the all-zero AAGUID.
    func trust(attestationCertificateKeyIdentifiers identifiers: [String]) throws(WebAuthnError) -> AttestationTrust
}

extension AttestationTrustSource {
    public func trust(attestationCertificateKeyIdentifiers identifiers: [String]) throws(WebAuthnError) -> AttestationTrust {
        try trust(aaguid: [UInt8](repeating: 0, count: 16))
    }
}

/// The identifiers FIDO metadata lists an attestation certificate under: RFC 5280 §4.2.1.2
/// method 1, the SHA-1 of the value of the certificate's `subjectPublicKey` BIT STRING (what the
/// Metadata Statement specifies), and, when the certificate carries a Subject Key Identifier
/// extension with another value, that value too.
public enum AttestationKeyIdentifier {
    /// Lower-case hex identifiers of `certificate`, method 1 first.
    public static func identifiers(of certificate: Certificate) -> [String] {
        // swift-certificates' `subjectPublicKeyInfoBytes` is the BIT STRING's value (X9.63 for EC
        // keys, PKCS #1 for RSA), which `SubjectKeyIdentifier(hash:)` hashes: method 1.
        var identifiers = [Bytes.hex(SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)]
        if let value = try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier {
            let hex = Bytes.hex(value)
            if hex != identifiers[0] { identifiers.append(hex) }
        }
        return identifiers
    }
}

/// The default without metadata: no model is known, so no attestation chains to a root and
/// every credential is registered as unattested (if policy accepts that).
public struct NoAttestationMetadata: AttestationTrustSource {
    public init() {}
    public func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust { .unknown }
}

/// Fixed roots: the same roots for every AAGUID, plus roots for specific AAGUIDs (for tests, or
/// an operator who pins the authenticators they issue).
public struct FixedAttestationRoots: AttestationTrustSource {
    public var roots: [Certificate]
    public var rootsByAAGUID: [[UInt8]: [Certificate]]

    public init(roots: [Certificate], rootsByAAGUID: [[UInt8]: [Certificate]] = [:]) {
        self.roots = roots
        self.rootsByAAGUID = rootsByAAGUID
    }

    public func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust {
        AttestationTrust(roots: roots + (rootsByAAGUID[aaguid] ?? []))
    }
}

/// Chains an attestation trust path to roots (§7.1 step 24). RFC 5280 path validation at `time`;
/// the subject alternative name and extended key usage extensions are accepted when critical,
/// because the format procedures (§8.3.1 TPM AIK certificates) check their content.
enum AttestationChain {
    struct FormatCheckedExtensions: VerifierPolicy {
        let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
            .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.extendedKeyUsage,
        ]
        func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
    }

    static func isTrusted(_ path: [Certificate], roots: [Certificate], at time: Date) async -> Bool {
        guard let leaf = path.first, !roots.isEmpty else { return false }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            FormatCheckedExtensions()
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(path.dropFirst())) {
        case .validCertificate: return true
        case .couldNotValidate: return false
        }
    }
}
