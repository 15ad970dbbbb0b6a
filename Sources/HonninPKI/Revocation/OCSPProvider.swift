import Foundation
import HonninCore
import X509

/// A `RevocationProvider` asking an OCSP responder (RFC 6960) over HTTP POST (Appendix A.1).
///
/// JPKI certificates carry no authorityInformationAccess, so the responder URL is configured
/// (J-LIS discloses it to registered verifiers only; ic-chip-protocols.md §1.8).
///
/// **Fails closed**: a network error or timeout, an HTTP status other than 200, a response that is
/// malformed, not `successful`, not signed by an authorised responder, without our nonce (when
/// required), for another certificate, not yet valid or past its nextUpdate is `.unavailable`;
/// `unknown` is `.unavailable` too. Only a verified `good` or `revoked` is an answer.
public struct OCSPProvider: RevocationProvider {
    public struct Configuration: Sendable {
        /// The responder's URL (`http://…` or `https://…`).
        public var responderURL: String
        /// The CertID hash (RFC 6960 §4.1.1); SHA-1 by default for compatibility (RFC 5019 §2.1.1).
        public var hashAlgorithm: OCSPCertID.HashAlgorithm
        /// Send a nonce (RFC 8954) and require the response to echo it. Turn off only for a
        /// responder that serves pre-produced responses, and then rely on thisUpdate/nextUpdate.
        public var requireNonce: Bool
        /// Nonce length in octets; RFC 8954 §2.1 allows 1–32 and recommends 32.
        public var nonceLength: Int
        /// Seconds allowed between the responder's clock and ours for `thisUpdate` (§4.2.2.1).
        public var clockSkew: TimeInterval
        /// HTTP timeout in seconds.
        public var timeout: TimeInterval

        public init(
            responderURL: String, hashAlgorithm: OCSPCertID.HashAlgorithm = .sha1, requireNonce: Bool = true,
            nonceLength: Int = 32, clockSkew: TimeInterval = 300, timeout: TimeInterval = 10
        ) {
            self.responderURL = responderURL
            self.hashAlgorithm = hashAlgorithm
            self.requireNonce = requireNonce
            self.nonceLength = min(max(nonceLength, 1), 32)
            self.clockSkew = clockSkew
            self.timeout = timeout
        }
    }

    public let configuration: Configuration
    private let http: any RevocationHTTPClient
    private let clock: any WallClock
    private let random: any RandomSource

    public init(configuration: Configuration, http: any RevocationHTTPClient, clock: any WallClock, random: any RandomSource) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.random = random
    }

    /// The request this provider sends for `certificate` (a fresh nonce each time when required).
    public func makeRequest(for certificate: Certificate, issuer: Certificate) -> OCSPRequest {
        OCSPRequest(
            certIDs: [OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: configuration.hashAlgorithm)],
            nonce: configuration.requireNonce ? random.bytes(configuration.nonceLength) : nil)
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        let serial = certificate.serialNumber.hex
        let url = configuration.responderURL
        // 1. Build the request: one CertID, our nonce.
        let request = makeRequest(for: certificate, issuer: issuer)
        let body: [UInt8]
        do {
            body = try request.derEncoded()
        } catch {
            return .unavailable(.unsupported, "serial \(serial): request could not be encoded")
        }
        // 2. POST it (RFC 6960 Appendix A.1); any transport failure is a failure.
        let reply: (status: Int, headers: [String: String], body: [UInt8])
        do {
            reply = try await http.post(
                url: url,
                headers: [("Content-Type", "application/ocsp-request"), ("Accept", "application/ocsp-response")],
                body: body, timeout: configuration.timeout)
        } catch {
            return .unavailable(.network, "\(url): \(type(of: error)): \(String(describing: error).prefix(200))")
        }
        guard reply.status == 200 else {
            return .unavailable(.httpStatus, "\(url) answered HTTP \(reply.status) for serial \(serial)")
        }
        if let type = reply.headers["content-type"],
            type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/ocsp-response"
        {
            return .unavailable(.malformedResponse, "\(url): content-type \(type.prefix(80))")
        }
        // 3.–9. Parse and verify.
        return evaluate(responseDER: reply.body, request: request, certificate: certificate, issuer: issuer, at: time)
    }

    /// Verifies a responder's answer to `request` (RFC 6960 §3.2, §4.2.2.2) and maps it to a status.
    /// Public so that recorded responses (test vectors, a cached file) run the same checks.
    public func evaluate(
        responseDER: [UInt8], request: OCSPRequest, certificate: Certificate, issuer: Certificate, at time: Date
    ) -> RevocationStatus {
        let url = configuration.responderURL
        let serial = certificate.serialNumber.hex
        // 3. Parse the OCSPResponse; only `successful` carries an answer (§4.2.1).
        let response: OCSPResponse
        do {
            response = try OCSPResponse(derEncoded: responseDER)
        } catch {
            return .unavailable(.malformedResponse, "\(url): \(error)")
        }
        guard let basic = response.basic, response.responseStatus == .successful else {
            return .unavailable(.ocspResponseStatus, "\(url): responseStatus \(response.responseStatus.name)")
        }
        // 4. Find the signer: the issuer itself, or a delegated responder certificate in `certs`
        //    (§4.2.2.2): issued directly by the issuer, with id-kp-OCSPSigning, valid at `time`.
        let signerKey: Certificate.PublicKey
        if basic.responderID.identifies(issuer) {
            signerKey = issuer.publicKey
        } else {
            guard let delegate = basic.certificates.first(where: { basic.responderID.identifies($0) }) else {
                return .unavailable(.unauthorisedResponder, "\(url): responder is neither the issuer nor a certificate in the response")
            }
            if let problem = Self.delegationProblem(delegate, issuer: issuer, at: time) {
                return .unavailable(.unauthorisedResponder, "\(url): delegated responder \(delegate.serialNumber.hex): \(problem)")
            }
            signerKey = delegate.publicKey
        }
        // 5. The response signature (SHA-1 and unknown algorithms were refused at parsing).
        guard basic.isSigned(by: signerKey) else {
            return .unavailable(.badResponseSignature, "\(url): response signature does not verify")
        }
        // 6. The nonce must echo ours (RFC 8954 §2.1): absent or different is a replay risk.
        if let ours = request.nonce {
            guard let theirs = basic.nonce, Bytes.constantTimeEqual(ours, theirs) else {
                return .unavailable(.nonceMismatch, "\(url): nonce \(basic.nonce == nil ? "missing" : "differs") for serial \(serial)")
            }
        }
        // 7. The SingleResponse for our CertID.
        guard let wanted = request.certIDs.first,
            let single = basic.responses.first(where: { $0.certID.matches(wanted) })
        else {
            return .unavailable(.certIDMismatch, "\(url): no response for serial \(serial)")
        }
        // 8. Timeliness (§4.2.2.1): thisUpdate not in the future beyond the skew; nextUpdate not passed.
        if single.thisUpdate > time.addingTimeInterval(configuration.clockSkew) {
            return .unavailable(.responseNotYetValid, "\(url): thisUpdate \(Timestamp.format(single.thisUpdate)) is in the future")
        }
        if let next = single.nextUpdate, time > next {
            return .unavailable(.staleResponse, "\(url): nextUpdate \(Timestamp.format(next)) has passed")
        }
        // 9. Map the status.
        let evidence = RevocationEvidence(
            provider: "ocsp", source: url, checkedAt: clock.now(), thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate)
        switch single.status {
        case .good: return .good(evidence)
        case .revoked(let at, let reason): return .revoked(reason: reason ?? .unspecified, at: at, evidence)
        case .unknown: return .unavailable(.unknownStatus, "\(url): responder does not know serial \(serial)")
        }
    }

    /// Why `delegate` may not answer for `issuer`, or nil when it may (RFC 6960 §4.2.2.2).
    static func delegationProblem(_ delegate: Certificate, issuer: Certificate, at time: Date) -> String? {
        // a. Issued directly by the CA that issued the certificate in question.
        guard delegate.issuer == issuer.subject else { return "not issued by the certificate's issuer" }
        guard ![.sha1WithRSAEncryption].contains(delegate.signatureAlgorithm) else { return "SHA-1 signed" }
        guard issuer.publicKey.isValidSignature(delegate.signature, for: delegate) else {
            return "signature does not verify with the issuer's key"
        }
        // b. id-kp-OCSPSigning in extendedKeyUsage.
        guard let eku = try? delegate.extensions.extendedKeyUsage, eku.contains(.ocspSigning) else {
            return "no id-kp-OCSPSigning extended key usage"
        }
        // c. Within its validity period.
        guard delegate.notValidBefore <= time, time <= delegate.notValidAfter else { return "outside its validity period" }
        // d. Nothing critical we do not understand.
        let understood: Set = [
            RevocationOID.keyUsage, RevocationOID.extendedKeyUsage, RevocationOID.basicConstraints, RevocationOID.ocspNoCheck,
        ]
        for e in delegate.extensions where e.critical && !understood.contains(e.oid) {
            return "unknown critical extension \(e.oid)"
        }
        return nil
    }
}
