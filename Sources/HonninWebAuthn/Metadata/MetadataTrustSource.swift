import Foundation
import HonninCore
import X509

/// Attestation trust from a verified FIDO MDS3 BLOB (§7.1 step 23): the roots listed for the
/// authenticator model, refused outright when a status report in effect revokes it or reports
/// its attestation key compromised. A model whose metadata does not claim hardware key
/// protection gets no roots, so its keys are never treated as hardware-bound (AAL3).
public struct MetadataTrustSource: AttestationTrustSource {
    public let blob: MetadataBLOB
    let clock: any WallClock

    public init(blob: MetadataBLOB, clock: any WallClock) {
        self.blob = blob
        self.clock = clock
    }

    public func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust {
        blob.entry(aaguid: aaguid).map(trust(for:)) ?? .unknown
    }

    /// The first entry listing any of the identifiers (a U2F authenticator, found by its
    /// attestation certificate).
    public func trust(attestationCertificateKeyIdentifiers identifiers: [String]) throws(WebAuthnError) -> AttestationTrust {
        for identifier in identifiers {
            if let entry = blob.entry(attestationCertificateKeyIdentifier: identifier) { return trust(for: entry) }
        }
        return .unknown
    }

    func trust(for entry: MetadataBLOB.Entry) -> AttestationTrust {
        let now = clock.now()
        if entry.isRevoked(at: now) {
            return AttestationTrust(roots: [], revoked: true, detail: entry.latestStatus(at: now).map { "\($0)" } ?? "revoked")
        }
        guard entry.hasHardwareKeyProtection else {
            return AttestationTrust(roots: [], revoked: false, detail: "metadata does not claim hardware key protection")
        }
        return AttestationTrust(roots: entry.attestationRootCertificates, revoked: false, detail: entry.statement?.description)
    }
}
