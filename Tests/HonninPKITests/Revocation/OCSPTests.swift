import CryptoExtras
import Foundation
import HonninHTTP
import HonninPKI
import HonninTesting
import Testing
import X509

@Suite("OCSP provider (RFC 6960, RFC 8954 nonce)")
struct OCSPTests {
    static let url = "http://ocsp.test.invalid/"

    struct Setup {
        let pki: TestRevocationPKI
        let good: Certificate
        let revoked: Certificate
        let unknown: Certificate
        var responder: TestOCSPResponder
    }

    func setup() throws -> Setup {
        let pki = try #require(Fixture.pki)
        let responder = TestOCSPResponder(
            issuer: pki.root, signerCertificate: pki.root, signingKey: .rsaSHA256(pki.rootKey),
            statuses: [1: .good, 2: .revoked(at: Fixture.issued - 600, reason: .keyCompromise)], now: Fixture.queryTime)
        return Setup(
            pki: pki, good: try pki.issueEndEntity(serial: 1), revoked: try pki.issueEndEntity(serial: 2),
            unknown: try pki.issueEndEntity(serial: 3), responder: responder)
    }

    func provider(_ http: any RevocationHTTPClient, requireNonce: Bool = true) -> OCSPProvider {
        OCSPProvider(
            configuration: .init(responderURL: Self.url, requireNonce: requireNonce), http: http, clock: TestClock(), random: TestFixedRandom())
    }

    func ask(_ responder: TestOCSPResponder, _ cert: Certificate, _ pki: TestRevocationPKI) async -> RevocationStatus {
        await provider(TestRevocationHTTPClient(responder: responder)).status(of: cert, issuer: pki.root, at: Fixture.queryTime)
    }

    @Test("issuer-signed good and revoked(reason, time), with evidence; the request is what RFC 6960 asks")
    func goodAndRevoked() async throws {
        let s = try setup()
        let http = TestRevocationHTTPClient(responder: s.responder)
        let p = provider(http)
        let good = await p.status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime)
        guard case .good(let evidence) = good else {
            Issue.record("expected good, got \(good)")
            return
        }
        #expect(evidence.provider == "ocsp")
        #expect(evidence.source == Self.url)
        #expect(evidence.thisUpdate == Fixture.queryTime - 60)
        #expect(evidence.nextUpdate == Fixture.queryTime + 3_600)
        let sent = try #require(http.lastRequest)
        #expect(sent.url == Self.url)
        #expect(sent.headers["content-type"] == "application/ocsp-request")
        let request = try OCSPRequest(derEncoded: sent.body)
        #expect(request.nonce == Array(repeating: 0x5A, count: 32))
        #expect(request.certIDs.count == 1)
        #expect(request.certIDs.first?.hashAlgorithm == .sha1)
        #expect(request.certIDs.first?.issuerKeyHash.count == 20)
        let revoked = await p.status(of: s.revoked, issuer: s.pki.root, at: Fixture.queryTime)
        guard case .revoked(let reason, let at, _) = revoked else {
            Issue.record("expected revoked, got \(revoked)")
            return
        }
        #expect(reason == .keyCompromise)
        #expect(at == Fixture.issued - 600)
    }

    @Test("SHA-256 CertIDs work as well")
    func sha256CertID() async throws {
        let s = try setup()
        let p = OCSPProvider(
            configuration: .init(responderURL: Self.url, hashAlgorithm: .sha256), http: TestRevocationHTTPClient(responder: s.responder),
            clock: TestClock(), random: TestFixedRandom())
        #expect(await p.status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime).isGood)
    }

    @Test("unknown → status_unknown (never good)")
    func unknown() async throws {
        let s = try setup()
        #expect(await ask(s.responder, s.unknown, s.pki).failureCode == "status_unknown")
    }

    @Test("delegated responder with id-kp-OCSPSigning, by name and by key")
    func delegated() async throws {
        var s = try setup()
        s.responder.signerCertificate = try s.pki.issueResponder(serial: 50)
        s.responder.signingKey = .rsaSHA256(s.pki.responderKey)
        #expect(await ask(s.responder, s.good, s.pki).isGood)
        s.responder.responderIDByKey = true
        #expect(await ask(s.responder, s.revoked, s.pki).revokedReason == .keyCompromise)
    }

    @Test("delegated responder without the EKU, issued by another key, expired, or missing from certs → unauthorised")
    func unauthorised() async throws {
        var s = try setup()
        s.responder.signingKey = .rsaSHA256(s.pki.responderKey)
        s.responder.signerCertificate = try s.pki.issueResponder(serial: 51, ocspSigningEKU: false)
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_unauthorised_responder")
        s.responder.signerCertificate = try s.pki.issueResponder(serial: 52, issuerKey: s.pki.otherRootKey)
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_unauthorised_responder")
        s.responder.signerCertificate = try s.pki.issueResponder(serial: 53, notBefore: Fixture.issued - Fixture.week, notAfter: Fixture.issued)
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_unauthorised_responder")
        s.responder.signerCertificate = try s.pki.issueResponder(serial: 54)
        s.responder.includeSignerCertificate = false
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_unauthorised_responder")
    }

    @Test("a response signed by another key under the issuer's name → bad signature")
    func wrongKey() async throws {
        var s = try setup()
        s.responder.signingKey = .rsaSHA256(s.pki.otherRootKey)
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_bad_signature")
        s.responder.signingKey = .rsaSHA256(s.pki.rootKey)
        s.responder.tamperSignature = true
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_bad_signature")
    }

    @Test("SHA-1 signed response is refused")
    func sha1Response() async throws {
        var s = try setup()
        s.responder.signingKey = .rsaSHA1(s.pki.rootKey)
        let status = await ask(s.responder, s.good, s.pki)
        #expect(status.failureCode == "malformed_response")
        guard case .unavailable(let reason) = status else { return }
        #expect(reason.contains("weak_algorithm"))
    }

    @Test("wrong or missing nonce → ocsp_nonce_mismatch; without requireNonce a nonce-less response is accepted")
    func nonce() async throws {
        var s = try setup()
        s.responder.nonceMode = .wrong
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_nonce_mismatch")
        s.responder.nonceMode = .omit
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_nonce_mismatch")
        let lax = provider(TestRevocationHTTPClient(responder: s.responder), requireNonce: false)
        #expect(await lax.status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime).isGood)
    }

    @Test("expired nextUpdate → ocsp_stale; thisUpdate in the future beyond skew → ocsp_not_yet_valid")
    func timeliness() async throws {
        var s = try setup()
        s.responder.thisUpdateOffset = -7_200
        s.responder.nextUpdateOffset = -60
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_stale")
        s.responder.thisUpdateOffset = 3_600
        s.responder.nextUpdateOffset = 7_200
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_not_yet_valid")
        s.responder.thisUpdateOffset = 120  // within the default 300 s skew
        #expect(await ask(s.responder, s.good, s.pki).isGood)
        s.responder.thisUpdateOffset = -60
        s.responder.nextUpdateOffset = nil  // absent nextUpdate is allowed (§4.2.2.1)
        #expect(await ask(s.responder, s.good, s.pki).isGood)
    }

    @Test("a response for another certificate → ocsp_certid_mismatch")
    func certIDMismatch() async throws {
        let s = try setup()
        let http = TestRevocationHTTPClient { _, _, _ in
            // Answer a request for serial 1 whatever was asked.
            let request = try OCSPRequest(
                certIDs: [OCSPCertID(certificate: s.good, issuer: s.pki.root)], nonce: Array(repeating: 0x5A, count: 32)
            ).derEncoded()
            return (200, ["content-type": "application/ocsp-response"], try s.responder.respond(to: request))
        }
        #expect(await provider(http).status(of: s.revoked, issuer: s.pki.root, at: Fixture.queryTime).failureCode == "ocsp_certid_mismatch")
    }

    @Test("tryLater, unauthorized statuses → ocsp_response_status")
    func responseStatus() async throws {
        var s = try setup()
        s.responder.responseStatus = 3
        let status = await ask(s.responder, s.good, s.pki)
        #expect(status.failureCode == "ocsp_response_status")
        guard case .unavailable(let reason) = status else { return }
        #expect(reason.contains("tryLater"))
        s.responder.responseStatus = 6
        #expect(await ask(s.responder, s.good, s.pki).failureCode == "ocsp_response_status")
    }

    @Test("HTTP errors, wrong content type, thrown errors, malformed bodies → unavailable")
    func transport() async throws {
        let s = try setup()
        let answers: [(Int, [String: String], [UInt8], String)] = [
            (500, [:], [], "http_status"),
            (404, ["content-type": "application/ocsp-response"], [], "http_status"),
            (200, ["content-type": "text/html"], Array("<html>".utf8), "malformed_response"),
            (200, ["content-type": "application/ocsp-response"], [], "malformed_response"),
            (200, ["content-type": "application/ocsp-response"], [0x30, 0x03, 0x0A, 0x01, 0x00], "malformed_response"),
            (200, [:], Array(repeating: 0x41, count: 64), "malformed_response"),
        ]
        for (status, headers, body, code) in answers {
            let http = TestRevocationHTTPClient { _, _, _ in (status, headers, body) }
            #expect(await provider(http).status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime).failureCode == code, "\(status) \(headers)")
        }
        let failing = TestRevocationHTTPClient { _, _, _ in throw URLError(.timedOut) }
        #expect(await provider(failing).status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime).failureCode == "ocsp_network")
    }

    @Test("responder down: connection refused on loopback → ocsp_network")
    func responderDown() async throws {
        let s = try setup()
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        let p = OCSPProvider(
            configuration: .init(responderURL: "http://127.0.0.1:9/", timeout: 5), http: URLSessionHTTPClient(), clock: TestClock(),
            random: TestFixedRandom())
        let status = await p.status(of: s.good, issuer: s.pki.root, at: Fixture.queryTime)
        #expect(status.failureCode == "ocsp_network")
    }

    @Test("truncated and corrupted responses never crash and never answer good")
    func truncated() async throws {
        let s = try setup()
        let p = provider(TestRevocationHTTPClient { _, _, _ in (200, [:], []) })
        let request = p.makeRequest(for: s.good, issuer: s.pki.root)
        let der = try s.responder.respond(to: try request.derEncoded())
        #expect(p.evaluate(responseDER: der, request: request, certificate: s.good, issuer: s.pki.root, at: Fixture.queryTime).isGood)
        for length in 0..<der.count {
            let status = p.evaluate(responseDER: Array(der.prefix(length)), request: request, certificate: s.good, issuer: s.pki.root, at: Fixture.queryTime)
            #expect(!status.isGood)
        }
        for i in stride(from: 0, to: der.count, by: 3) {
            var bad = der
            bad[i] ^= 0x5A
            let status = p.evaluate(responseDER: bad, request: request, certificate: s.good, issuer: s.pki.root, at: Fixture.queryTime)
            if case .good = status { Issue.record("corrupted byte \(i) still answered good") }
        }
    }
}
