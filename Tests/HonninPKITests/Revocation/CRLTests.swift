import Crypto
import CryptoExtras
import Foundation
import HonninPKI
import HonninTesting
import SwiftASN1
import Testing
import X509

@Suite("CRL parsing and signature (RFC 5280 §5)")
struct CRLTests {
    @Test("every reason code round-trips through parse and verify")
    func reasons() throws {
        let pki = try #require(Fixture.pki)
        let reasons = RevocationReason.allCases
        let revoked = reasons.enumerated().map { i, r in
            TestCRLIssuer.Revoked(serial: 100 + i, date: Fixture.issued.addingTimeInterval(-3_600), reason: r)
        } + [TestCRLIssuer.Revoked(serial: 999, date: Fixture.issued, reason: nil)]
        let der = try Fixture.issuer(pki).make(
            revoked: revoked, thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + Fixture.week, crlNumber: 300,
            distributionPoint: Fixture.chiyoda)
        let crl = try CertificateRevocationList(derEncoded: der)
        try crl.verifySignature(issuer: pki.root)
        #expect(crl.version == 2)
        #expect(crl.issuer == TestRevocationPKI.rootName)
        #expect(crl.thisUpdate == Fixture.issued)
        #expect(crl.nextUpdate == Fixture.issued + Fixture.week)
        #expect(crl.crlNumberHex == "012c")
        #expect(crl.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(crl.issuingDistributionPoint?.distributionPoint?.directoryNames == [Fixture.chiyoda])
        #expect(crl.authorityKeyIdentifier == TestRevocationPKI.keyIdentifier(of: pki.rootKey.publicKey))
        for (i, r) in reasons.enumerated() {
            let entry = try #require(crl.entry(for: Certificate.SerialNumber(100 + i)))
            #expect(entry.reason == r)
            #expect(entry.revocationDate == Fixture.issued.addingTimeInterval(-3_600))
        }
        #expect(crl.entry(for: Certificate.SerialNumber(999))?.reason == nil)
        #expect(crl.entry(for: Certificate.SerialNumber(5)) == nil)
    }

    @Test("an empty CRL parses and verifies")
    func empty() throws {
        let pki = try #require(Fixture.pki)
        let crl = try CertificateRevocationList(
            derEncoded: try Fixture.issuer(pki).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60))
        try crl.verifySignature(issuer: pki.root)
        #expect(crl.entries.isEmpty)
    }

    @Test("PEM input is accepted")
    func pem() throws {
        let pki = try #require(Fixture.pki)
        let der = try Fixture.issuer(pki).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        let pem = PEMDocument(type: "X509 CRL", derBytes: der).pemString
        let crl = try CertificateRevocationList(bytes: Array(pem.utf8))
        #expect(crl.derBytes == der)
        let wrongLabel = PEMDocument(type: "CERTIFICATE", derBytes: der).pemString
        #expect(throws: RevocationError(.malformed, "")) { try CertificateRevocationList(bytes: Array(wrongLabel.utf8)) }
    }

    @Test("ECDSA P-256 signed CRL verifies with a P-256 issuer key")
    func ecdsa() throws {
        let key = P256.Signing.PrivateKey()
        let name = TestRevocationPKI.rootName
        let ca = try Certificate(
            version: .v3, serialNumber: .init(7), publicKey: .init(key.publicKey), notValidBefore: Fixture.issued - 86_400,
            notValidAfter: Fixture.issued + 86_400 * 365, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(KeyUsage(keyCertSign: true, cRLSign: true)) },
            issuerPrivateKey: .init(key))
        let der = try TestCRLIssuer(key: .p256(key)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        let crl = try CertificateRevocationList(derEncoded: der)
        #expect(crl.signatureAlgorithm == .ecdsaWithSHA256)
        try crl.verifySignature(issuer: ca)
    }

    @Test("a tampered signature is bad_signature")
    func badSignature() throws {
        let pki = try #require(Fixture.pki)
        let der = try Fixture.issuer(pki).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60, tamper: true)
        let crl = try CertificateRevocationList(derEncoded: der)
        #expect(throws: RevocationError(.badSignature, "")) { try crl.verifySignature(issuer: pki.root) }
    }

    @Test("a CRL checked against another key of the same name is wrong_issuer (key identifier)")
    func wrongIssuerKey() throws {
        let pki = try #require(Fixture.pki)
        let der = try Fixture.issuer(pki).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        let crl = try CertificateRevocationList(derEncoded: der)
        #expect(throws: RevocationError(.wrongIssuer, "")) { try crl.verifySignature(issuer: pki.otherRoot) }
        // Without key identifiers the signature check is what catches it.
        let bare = try TestCRLIssuer(key: .rsaSHA256(pki.rootKey)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: nil)
        #expect(throws: RevocationError(.badSignature, "")) {
            try CertificateRevocationList(derEncoded: bare).verifySignature(issuer: pki.otherRoot)
        }
    }

    @Test("a CRL checked against a certificate of another name is wrong_issuer")
    func wrongIssuerName() throws {
        let pki = try #require(Fixture.pki)
        let crl = try CertificateRevocationList(
            derEncoded: try Fixture.issuer(pki).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60))
        let ee = try pki.issueEndEntity(serial: 5)
        #expect(throws: RevocationError(.wrongIssuer, "")) { try crl.verifySignature(issuer: ee) }
    }

    @Test("SHA-1 signed CRL is weak_algorithm")
    func sha1() throws {
        let pki = try #require(Fixture.pki)
        let der = try TestCRLIssuer(key: .rsaSHA1(pki.rootKey)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        #expect(throws: RevocationError(.weakAlgorithm, "")) { try CertificateRevocationList(derEncoded: der) }
    }

    @Test("SHA-384 RSA signatures verify")
    func sha384() throws {
        let pki = try #require(Fixture.pki)
        let der = try TestCRLIssuer(key: .rsaSHA384(pki.rootKey)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        let crl = try CertificateRevocationList(derEncoded: der)
        #expect(crl.signatureAlgorithm == .sha384WithRSAEncryption)
        try crl.verifySignature(issuer: pki.root)
    }

    @Test("unknown critical CRL extension, unknown critical entry extension, delta CRL")
    func unknownCritical() throws {
        let pki = try #require(Fixture.pki)
        let issuer = Fixture.issuer(pki)
        let madeUp = Certificate.Extension(oid: TestOID.madeUp, critical: true, value: [0x05, 0x00])
        let crl = try issuer.make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60, extraExtensions: [madeUp])
        #expect(throws: RevocationError(.unknownCriticalExtension, "")) { try CertificateRevocationList(derEncoded: crl) }
        let entry = try issuer.make(
            revoked: [.init(serial: 1, date: Fixture.issued, reason: .superseded, extraExtensions: [madeUp])],
            thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)
        #expect(throws: RevocationError(.unknownCriticalExtension, "")) { try CertificateRevocationList(derEncoded: entry) }
        let delta = Certificate.Extension(oid: TestOID.deltaCRLIndicator, critical: true, value: [0x02, 0x01, 0x05])
        let deltaCRL = try issuer.make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60, extraExtensions: [delta])
        #expect(throws: RevocationError(.unknownCriticalExtension, "")) { try CertificateRevocationList(derEncoded: deltaCRL) }
        // The same extension, non-critical, is ignored (RFC 5280 §5.2).
        let benign = Certificate.Extension(oid: TestOID.madeUp, critical: false, value: [0x05, 0x00])
        _ = try CertificateRevocationList(
            derEncoded: try issuer.make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60, extraExtensions: [benign]))
    }

    @Test("every truncation and many corruptions are typed errors, never a crash")
    func truncatedAndGarbage() throws {
        let pki = try #require(Fixture.pki)
        let der = try Fixture.issuer(pki).make(
            revoked: [.init(serial: 1, date: Fixture.issued, reason: .keyCompromise)], thisUpdate: Fixture.issued,
            nextUpdate: Fixture.issued + 60, distributionPoint: Fixture.chiyoda)
        for length in 0..<der.count {
            #expect(throws: RevocationError.self) { try CertificateRevocationList(derEncoded: Array(der.prefix(length))) }
        }
        #expect(throws: RevocationError(.malformed, "")) { try CertificateRevocationList(derEncoded: der + [0]) }
        // Flip each byte in turn: it must parse-and-fail-to-verify or throw a typed error.
        var outcomes = (parsedButRejected: 0, refused: 0)
        for i in 0..<der.count {
            var bad = der
            bad[i] ^= 0xA5
            do {
                let crl = try CertificateRevocationList(derEncoded: bad)
                #expect(throws: RevocationError.self) { try crl.verifySignature(issuer: pki.root) }
                outcomes.parsedButRejected += 1
            } catch {
                outcomes.refused += 1
            }
        }
        #expect(outcomes.parsedButRejected + outcomes.refused == der.count)
        var generator = SystemRandomNumberGenerator()
        for length in [1, 2, 3, 16, 100, 1_000] {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: RevocationError.self) { try CertificateRevocationList(bytes: garbage) }
            #expect(throws: RevocationError.self) { try CertificateRevocationList(bytes: [0x30, 0x82, 0xFF, 0xFF] + garbage) }
        }
    }

    @Test("a certificate's cRLDistributionPoints directory names are read")
    func distributionPoints() throws {
        let pki = try #require(Fixture.pki)
        let ee = try pki.issueEndEntity(serial: 9, distributionPoints: [Fixture.chiyoda, Fixture.minato])
        #expect(try crlDistributionPointNames(of: ee) == [Fixture.chiyoda, Fixture.minato])
        #expect(try crlDistributionPointNames(of: try pki.issueEndEntity(serial: 10)) == [])
    }
}
