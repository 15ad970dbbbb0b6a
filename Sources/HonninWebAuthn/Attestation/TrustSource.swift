import Foundation
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
