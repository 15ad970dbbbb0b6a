import Foundation
import X509

// Additions to the core revocation types (RevocationReason, RevocationEvidence, RevocationStatus,
// RevocationProvider — declared in HonninPKI/Revocation.swift) for JPKI (公的個人認証) and any
// other X.509 profile.
//
// J-LIS gives CRL and OCSP access only to registered verifiers and platform operators
// (ic-chip-protocols.md §1.8), so revocation is a pluggable `RevocationProvider`, and every
// provider **fails closed**: anything short of a verified, fresh answer is `.unavailable`, which
// callers must treat as the failure `status_unavailable`, never as a pass.

extension RevocationReason: CaseIterable {
    /// Every RFC 5280 §5.3.1 reason (value 7 is unused by the RFC).
    public static let allCases: [RevocationReason] = [
        .unspecified, .keyCompromise, .cACompromise, .affiliationChanged, .superseded, .cessationOfOperation,
        .certificateHold, .removeFromCRL, .privilegeWithdrawn, .aACompromise,
    ]

    /// The name the RFC's ASN.1 module gives the value (`keyCompromise`, `cACompromise`, …).
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .keyCompromise: "keyCompromise"
        case .cACompromise: "cACompromise"
        case .affiliationChanged: "affiliationChanged"
        case .superseded: "superseded"
        case .cessationOfOperation: "cessationOfOperation"
        case .certificateHold: "certificateHold"
        case .removeFromCRL: "removeFromCRL"
        case .privilegeWithdrawn: "privilegeWithdrawn"
        case .aACompromise: "aACompromise"
        }
    }

    /// Parses an RFC 5280 reason name, ignoring ASCII case (`keyCompromise`, `KEYCOMPROMISE`).
    public init?(name: String) {
        let wanted = name.lowercased()
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == wanted }) else { return nil }
        self = match
    }
}

extension RevocationStatus {
    /// The evidence of a definite answer; nil for `.unavailable`.
    public var evidence: RevocationEvidence? {
        switch self {
        case .good(let e), .revoked(_, _, let e): e
        case .unavailable: nil
        }
    }

    /// The stable failure code of an `.unavailable` answer: the text before the first `": "`
    /// (every provider in this module starts its reason with a ``RevocationFailure`` code).
    public var failureCode: String? {
        guard case .unavailable(let reason) = self else { return nil }
        return reason.components(separatedBy: ": ").first
    }

    static func unavailable(_ code: RevocationFailure, _ detail: String) -> RevocationStatus {
        .unavailable(reason: "\(code.rawValue): \(detail)")
    }
}

/// Stable failure codes that start every `.unavailable` reason.
public enum RevocationFailure: String, Sendable, CaseIterable {
    case noCRL = "crl_not_found"
    case staleCRL = "crl_stale"
    case crlWithoutNextUpdate = "crl_no_next_update"
    case crlNotYetValid = "crl_not_yet_valid"
    case removeFromCRLInFullCRL = "crl_remove_from_crl"
    case network = "ocsp_network"
    case httpStatus = "http_status"
    case ocspResponseStatus = "ocsp_response_status"
    case malformedResponse = "malformed_response"
    case unauthorisedResponder = "ocsp_unauthorised_responder"
    case badResponseSignature = "ocsp_bad_signature"
    case nonceMismatch = "ocsp_nonce_mismatch"
    case certIDMismatch = "ocsp_certid_mismatch"
    case responseNotYetValid = "ocsp_not_yet_valid"
    case staleResponse = "ocsp_stale"
    case unknownStatus = "status_unknown"
    case unsupported = "unsupported"
    case platformError = "platform_error"
    case allProvidersUnavailable = "all_unavailable"
}

/// The HTTP a provider needs, injected (the server wires URLSession; tests a fake or a real loopback server).
public protocol RevocationHTTPClient: Sendable {
    /// POST `body` with the given headers; returns (status, headers lowercased, body); throws on network failure/timeout.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> (
        status: Int, headers: [String: String], body: [UInt8]
    )
}

/// A parse or verification failure of revocation data (CRL, OCSP, platform response). Each has a
/// stable ``Code``; `detail` is operator-only and never contains certificate contents.
public struct RevocationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not DER (or PEM) of the expected structure: truncated, garbage, wrong tags, trailing bytes.
        case malformed = "malformed"
        /// A critical extension (CRL, CRL entry, OCSP) that this implementation does not process
        /// (RFC 5280 §5.2, §5.3; RFC 6960 §4.4).
        case unknownCriticalExtension = "unknown_critical_extension"
        /// A signature algorithm outside the accepted table.
        case unsupportedAlgorithm = "unsupported_algorithm"
        /// SHA-1 (or weaker) in a signature: refused.
        case weakAlgorithm = "weak_algorithm"
        /// The signature does not verify with the issuer's key.
        case badSignature = "bad_signature"
        /// The data names a different issuer than the certificate given (name, key identifier or key usage).
        case wrongIssuer = "wrong_issuer"
        /// A feature we do not implement (indirect or delta CRLs, partial-reason CRLs, CRL v3+).
        case unsupported = "unsupported"
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension Certificate.SerialNumber {
    /// Lower-case hex of the serial, for logs and evidence (serials are not personal data).
    var hex: String { serialHex(bytes) }
}

func serialHex(_ bytes: some Collection<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return out.isEmpty ? "00" : out
}
