import CryptoExtras
import Foundation
import HonninCore
import HonninHTTP
import HonninPKI
import HonninTesting
import SwiftASN1
import Testing
import X509

/// `Tests/Vectors/revocation/manifest.json`, written by `make_vectors.py` (PyCA cryptography).
struct RevocationVectorManifest: Decodable {
    struct CRLFile: Decodable { let file: String; let number: String }
    struct Rejected: Decodable { let file: String; let code: String }
    struct Revoked: Decodable { let reason: String; let certificate: String }
    struct OCSPAnswer: Decodable { let file: String; let certificate: String; let reason: String? }
    struct OCSP: Decodable { let request: String; let good: OCSPAnswer; let revoked: OCSPAnswer; let unauthorized: String }
    let generator: String
    let queryTime: Date
    let revokedAt: Date
    let nonceHex: String
    let root: String
    let responder: String
    let goodCertificate: String
    let noDistributionPointCertificate: String
    let noReasonCertificate: String
    let revoked: [Revoked]
    let crls: [String: CRLFile]
    let rejectedCRLs: [Rejected]
    let ocsp: OCSP

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/revocation")

    static func load() throws -> RevocationVectorManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Self.self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    }

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name))) }
    func certificate(_ name: String) throws -> Certificate { try Certificate(derEncoded: try bytes(name)) }
}

/// Returns `nonce` however often it is asked: the vectors' nonce, so a recorded response matches.
struct VectorNonce: RandomSource {
    let nonce: [UInt8]
    func bytes(_ count: Int) -> [UInt8] { Array(nonce.prefix(count)) }
}

@Suite("Interop: PyCA-made vectors and a real `openssl ocsp` responder")
struct InteropTests {
    @Test("PyCA CRLs: every reason, the partition by DirName, PEM, the issuer-wide CRL, through CRLStore")
    func pycaCRLs() async throws {
        let m = try RevocationVectorManifest.load()
        let root = try m.certificate(m.root)
        let folder = try TestFolder()
        defer { folder.remove() }
        for file in m.crls.values.map(\.file) + m.rejectedCRLs.map(\.file) { try folder.write(file, try m.bytes(file)) }
        let clock = TestClock(m.queryTime)
        let store = CRLStore(directory: folder.path, issuers: [root], clock: clock)
        for entry in m.revoked {
            let cert = try m.certificate(entry.certificate)
            let status = await store.status(of: cert, issuer: root, at: m.queryTime)
            if entry.reason == "removeFromCRL" {
                #expect(status.failureCode == "crl_remove_from_crl")
                continue
            }
            guard case .revoked(let reason, let at, let evidence) = status else {
                Issue.record("\(entry.certificate): expected revoked, got \(status)")
                continue
            }
            #expect(reason.name == entry.reason)
            #expect(at == m.revokedAt)
            #expect(evidence.source.hasSuffix("#2a"))
        }
        #expect(await store.status(of: try m.certificate(m.noReasonCertificate), issuer: root, at: m.queryTime).revokedReason == .unspecified)
        #expect(await store.status(of: try m.certificate(m.goodCertificate), issuer: root, at: m.queryTime).isGood)
        #expect(await store.status(of: try m.certificate(m.noDistributionPointCertificate), issuer: root, at: m.queryTime).revokedReason == .keyCompromise)
        let problems = await store.problems
        for rejected in m.rejectedCRLs {
            #expect(problems.first { $0.file == rejected.file }?.code.rawValue == rejected.code, "\(rejected.file)")
        }
        // PEM and DER of the partition are the same CRL.
        let pem = try CertificateRevocationList(bytes: try m.bytes(m.crls["partitionPEM"]?.file ?? ""))
        let der = try CertificateRevocationList(bytes: try m.bytes(m.crls["partition"]?.file ?? ""))
        #expect(pem == der)
        try der.verifySignature(issuer: root)
        // PyCA's cRLDistributionPoints DirName equals its IDP DirName.
        let dp = try crlDistributionPointNames(of: try m.certificate(m.goodCertificate))
        #expect(dp == der.issuingDistributionPoint?.distributionPoint?.directoryNames)
    }

    @Test("PyCA OCSP: our request equals PyCA's byte for byte; its delegated-responder answers verify")
    func pycaOCSP() async throws {
        let m = try RevocationVectorManifest.load()
        let root = try m.certificate(m.root)
        let nonce = try #require(Bytes.fromHex(m.nonceHex))
        let good = try m.certificate(m.ocsp.good.certificate)
        let revoked = try m.certificate(m.ocsp.revoked.certificate)
        let provider = OCSPProvider(
            configuration: .init(responderURL: "http://pyca.invalid/"), http: TestRevocationHTTPClient { _, _, _ in (500, [:], []) },
            clock: TestClock(m.queryTime), random: VectorNonce(nonce: nonce))
        let ours = provider.makeRequest(for: good, issuer: root)
        #expect(try ours.derEncoded() == (try m.bytes(m.ocsp.request)))
        let goodStatus = provider.evaluate(responseDER: try m.bytes(m.ocsp.good.file), request: ours, certificate: good, issuer: root, at: m.queryTime)
        #expect(goodStatus.isGood, "\(goodStatus)")
        let revokedRequest = provider.makeRequest(for: revoked, issuer: root)
        let revokedStatus = provider.evaluate(
            responseDER: try m.bytes(m.ocsp.revoked.file), request: revokedRequest, certificate: revoked, issuer: root, at: m.queryTime)
        guard case .revoked(let reason, let at, _) = revokedStatus else {
            Issue.record("expected revoked, got \(revokedStatus)")
            return
        }
        #expect(reason.name == m.ocsp.revoked.reason)
        #expect(at == m.revokedAt)
        // The good answer does not answer for the revoked certificate, and a day later it is stale.
        #expect(provider.evaluate(responseDER: try m.bytes(m.ocsp.good.file), request: revokedRequest, certificate: revoked, issuer: root, at: m.queryTime).failureCode == "ocsp_certid_mismatch")
        #expect(provider.evaluate(responseDER: try m.bytes(m.ocsp.good.file), request: ours, certificate: good, issuer: root, at: m.queryTime + 86_400).failureCode == "ocsp_stale")
        #expect(provider.evaluate(responseDER: try m.bytes(m.ocsp.unauthorized), request: ours, certificate: good, issuer: root, at: m.queryTime).failureCode == "ocsp_response_status")
    }

    @Test(
        "a real `openssl ocsp` responder on loopback answers good and revoked through URLSession",
        .enabled(if: TestOpenSSLOCSPResponder.opensslPath() != nil, "skipped: openssl is not on PATH"))
    func opensslResponder() async throws {
        let openssl = try #require(TestOpenSSLOCSPResponder.opensslPath())
        let pki = try #require(Fixture.pki)
        let good = try pki.issueEndEntity(serial: 0x51, distributionPoints: [Fixture.chiyoda])
        let revoked = try pki.issueEndEntity(serial: 0x52, distributionPoints: [Fixture.chiyoda])
        let hold = try pki.issueEndEntity(serial: 0x53)
        let responderCert = try pki.issueResponder(serial: 0x60)
        let expiry = pki.notAfter
        let revokedAt = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21
        let server = try TestOpenSSLOCSPResponder(
            openssl: openssl, caPEM: try TestRevocationPKI.pem(pki.root), responderPEM: try TestRevocationPKI.pem(responderCert),
            responderKeyPEM: TestKeys.responderPEM,
            index: [
                TestOpenSSLOCSPResponder.indexLine(serial: 0x51, expiry: expiry, subject: "/CN=TEST51"),
                TestOpenSSLOCSPResponder.indexLine(serial: 0x52, expiry: expiry, revoked: (revokedAt, "keyCompromise"), subject: "/CN=TEST52"),
                TestOpenSSLOCSPResponder.indexLine(serial: 0x53, expiry: expiry, revoked: (revokedAt, "certificateHold"), subject: "/CN=TEST53"),
            ])
        defer { server.stop() }
        // openssl stamps thisUpdate with the real time: ask at the real time (the certificates are valid 2026–2031).
        let now = Date()
        let provider = OCSPProvider(
            configuration: .init(responderURL: server.url, timeout: 10), http: URLSessionHTTPClient(), clock: TestClock(now),
            random: SystemRandom())
        let goodStatus = await provider.status(of: good, issuer: pki.root, at: now)
        #expect(goodStatus.isGood, "\(goodStatus) — openssl said: \(server.output)")
        let revokedStatus = await provider.status(of: revoked, issuer: pki.root, at: now)
        guard case .revoked(let reason, let at, let evidence) = revokedStatus else {
            Issue.record("expected revoked, got \(revokedStatus) — openssl said: \(server.output)")
            return
        }
        #expect(reason == .keyCompromise)
        #expect(at == revokedAt)
        #expect(evidence.source == server.url)
        #expect(await provider.status(of: hold, issuer: pki.root, at: now).revokedReason == .certificateHold)
        // A serial the index does not list: openssl answers unknown.
        let stranger = try pki.issueEndEntity(serial: 0x77)
        #expect(await provider.status(of: stranger, issuer: pki.root, at: now).failureCode == "status_unknown")
        // SHA-256 CertIDs are understood by openssl too.
        let sha256 = OCSPProvider(
            configuration: .init(responderURL: server.url, hashAlgorithm: .sha256), http: URLSessionHTTPClient(), clock: TestClock(now),
            random: SystemRandom())
        #expect(await sha256.status(of: good, issuer: pki.root, at: now).isGood)
    }
}
