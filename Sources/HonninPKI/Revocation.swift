import Foundation
import X509

/// RFC 5280 §5.3.1 reason codes.
public enum RevocationReason: Int, Sendable, Codable {
    case unspecified = 0, keyCompromise = 1, cACompromise = 2, affiliationChanged = 3, superseded = 4, cessationOfOperation = 5
    case certificateHold = 6, removeFromCRL = 8, privilegeWithdrawn = 9, aACompromise = 10
}

/// Who answered and when: recorded in the verification record.
public struct RevocationEvidence: Sendable, Equatable, Codable {
    /// `crl`, `ocsp`, `platform:<name>`, `cache(…)`.
    public let provider: String
    /// CRL issuer and number, OCSP responder URL, platform URL.
    public let source: String
    public let checkedAt: Date
    public let thisUpdate: Date?
    public let nextUpdate: Date?

    public init(provider: String, source: String, checkedAt: Date, thisUpdate: Date?, nextUpdate: Date?) {
        self.provider = provider
        self.source = source
        self.checkedAt = checkedAt
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}

public enum RevocationStatus: Sendable, Equatable {
    case good(RevocationEvidence)
    case revoked(reason: RevocationReason, at: Date, RevocationEvidence)
    /// No trustworthy answer: callers must treat this as a failure (`status_unavailable`).
    case unavailable(reason: String)
}

/// Where revocation status comes from. J-LIS gives CRLs and OCSP only to registered verifiers and
/// platform operators (ic-chip-protocols.md §1.8), so this is pluggable, and every provider fails
/// closed: no trustworthy answer is `.unavailable`, never good.
public protocol RevocationProvider: Sendable {
    func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus

    /// An answer this provider already holds for the certificate `serial` (INTEGER content) issued
    /// under `issuerName` (the DER `Name`) by the key `issuerKey` (the issuer certificate's
    /// `publicKey.subjectPublicKeyInfoBytes`),
    /// without asking anyone or building the certificate; nil when it holds none (the default).
    /// Lets a verifier answer from a status cache before parsing the whole certificate.
    func heldStatus(issuerName: ArraySlice<UInt8>, issuerKey: [UInt8], serial: ArraySlice<UInt8>) -> RevocationStatus?
}

extension RevocationProvider {
    public func heldStatus(issuerName: ArraySlice<UInt8>, issuerKey: [UInt8], serial: ArraySlice<UInt8>) -> RevocationStatus? { nil }
}

/// The provider used when none is configured: every answer is `.unavailable`, so JPKI
/// verification fails with `status_unavailable` until an operator configures CRLs, OCSP or a
/// platform (fail closed, by design).
public struct NoRevocationProvider: RevocationProvider {
    public init() {}
    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        .unavailable(reason: "no revocation provider is configured (--jpki-crl-dir, OCSP or a platform)")
    }
}
