import Foundation
import HonninCore
@testable import HonninPKI
import HonninTesting
import SwiftASN1
import Testing
import X509

/// The in-place certificate reader of the JPKI checks: it must read what swift-certificates reads,
/// and refuse what is not DER.
@Suite("Certificate fields read in place")
struct CertificateFieldsTests {
    let pki = TestJPKI.shared

    /// The fields equal swift-certificates' reading of the same DER.
    func expectSameAsX509(_ der: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fields = try CertificateFields(der: der)
        let cert = try Certificate(derEncoded: der)
        var issuer = DER.Serializer()
        try issuer.serialize(cert.issuer)
        #expect(fields.bytes(fields.issuer).elementsEqual(issuer.serializedBytes), sourceLocation: sourceLocation)
        // swift-certificates drops the sign byte of a serial with its top bit set.
        #expect(fields.bytes(fields.serial).drop(while: { $0 == 0 }).elementsEqual(cert.serialNumber.bytes), sourceLocation: sourceLocation)
        #expect(fields.notValidBefore == cert.notValidBefore && fields.notValidAfter == cert.notValidAfter, sourceLocation: sourceLocation)
        // For RSA swift-certificates gives the RSAPublicKey inside the SubjectPublicKeyInfo.
        #expect(fields.keyIsRSA && fields.bytes(fields.subjectPublicKeyInfo).reversed().starts(with: cert.publicKey.subjectPublicKeyInfoBytes.reversed()), sourceLocation: sourceLocation)
        #expect(fields.bytes(fields.tbs).elementsEqual(cert.tbsCertificateBytes), sourceLocation: sourceLocation)
        #expect(fields.extensions.count == Array(cert.extensions).count, sourceLocation: sourceLocation)
        for (mine, theirs) in zip(fields.extensions, cert.extensions) {
            var oid = DER.Serializer()
            try oid.serialize(theirs.oid)
            #expect(fields.bytes(mine.oid).elementsEqual(oid.serializedBytes.dropFirst(2)), sourceLocation: sourceLocation)
            #expect(mine.critical == theirs.critical && fields.bytes(mine.value).elementsEqual(theirs.value), sourceLocation: sourceLocation)
        }
    }

    @Test("test certificates and the real J-LIS roots read the same as swift-certificates reads them")
    func parity() async throws {
        var user = TestJPKI.Options()
        user.kind = .userAuthentication
        var long = TestJPKI.Options()
        long.serial = Array(repeating: 0x9A, count: 20)
        long.notAfter = Date(timeIntervalSince1970: 2_556_143_999)  // 2050-12-31T23:59:59Z: GeneralizedTime
        for der in [try pki.issue(), try pki.issue(user), try pki.issue(long)] { try expectSameAsX509(der) }
        for root in try JPKITrustStore.bundled().roots {
            var serializer = DER.Serializer()
            try serializer.serialize(root.certificate)
            try expectSameAsX509(serializer.serializedBytes)
        }
        #expect(try CertificateFields(der: pki.issue(long)).notValidAfter == Date(timeIntervalSince1970: 2_556_143_999))
        // The serial as records and account links show it: the same as before the fields were read in place.
        var v = try await verifier().verifyCertificate(der: pki.issue(long), kind: .signature, at: now)
        #expect(v.serial == String(repeating: "9a", count: 20))
        var zero = TestJPKI.Options()
        zero.serial = [0x00, 0x00, 0x7F]
        v = try await verifier().verifyCertificate(der: pki.issue(zero), kind: .signature, at: now)
        #expect(v.serial == "7f")
    }

    @Test("a status the cache holds answers by issuer and serial, without asking the provider again; revoked too")
    func heldStatus() async throws {
        let evidence = RevocationEvidence(provider: "crl", source: "TEST", checkedAt: now, thisUpdate: now, nextUpdate: nil)
        let inner = ScriptedProvider([.good(evidence)])
        let cached = CachingRevocationProvider(wrapping: inner, ttl: 600, clock: TestClock())
        let v = JPKIVerifier(trust: pki.trustStore, revocation: cached, cache: nil)
        let der = try pki.issue()
        #expect(try await v.verifyCertificate(der: der, kind: .signature, at: now).revocation.provider == "crl")
        #expect(try await v.verifyCertificate(der: der, kind: .signature, at: now).revocation.provider == "cache(crl)")
        #expect(inner.callCount == 1)
        // The lookup key is the issuer name and key and the serial: another serial is not held.
        let fields = try CertificateFields(der: der)
        let root = try #require(pki.trustStore.roots.first { $0.subjectDER.elementsEqual(fields.bytes(fields.issuer)) })
        #expect(cached.heldStatus(issuerName: fields.bytes(fields.issuer), issuerKey: root.publicKeyBytes, serial: fields.bytes(fields.serial)) != nil)
        #expect(cached.heldStatus(issuerName: fields.bytes(fields.issuer), issuerKey: root.publicKeyBytes, serial: [0x09]) == nil)

        let revoked = ScriptedProvider([.revoked(reason: .keyCompromise, at: now, evidence)])
        let v2 = JPKIVerifier(trust: pki.trustStore, revocation: CachingRevocationProvider(wrapping: revoked, ttl: 600, clock: TestClock()), cache: nil)
        for _ in 0..<2 {
            await #expect(throws: JPKIFailure.self) { _ = try await v2.verifyCertificate(der: der, kind: .signature, at: now) }
        }
        #expect(revoked.callCount == 1)
    }

    /// `der` with the first occurrence of `find` after `from` replaced by `replace` (same length).
    func patched(_ der: [UInt8], _ find: [UInt8], _ replace: [UInt8], occurrence: Int = 0) throws -> [UInt8] {
        var seen = 0
        for i in 0...(der.count - find.count) where der[i..<i + find.count].elementsEqual(find) {
            if seen == occurrence {
                var out = der
                out.replaceSubrange(i..<i + find.count, with: replace)
                return out
            }
            seen += 1
        }
        throw DERFieldError("pattern not found")
    }

    func expectRefused(_ der: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try CertificateFields(der: der)
            Issue.record("accepted; expected \(fragment)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.detail.contains(fragment), "\(error.detail)", sourceLocation: sourceLocation)
        }
    }

    @Test("what is not a DER v3 certificate is refused with a reason")
    func refusals() throws {
        let der = try pki.issue()
        let sha256WithRSA: [UInt8] = [0x06, 0x09] + OIDBytes.sha256WithRSA
        expectRefused(der + [0x00], "bytes after the certificate")
        expectRefused(Array(der.dropLast()), "longer than its container")
        // The outer length in the indefinite form, and in a longer form than needed.
        expectRefused([0x30, 0x80] + der.dropFirst(4) + [0, 0], "bad length")
        expectRefused([0x30, 0x83, 0x00] + der.dropFirst(2), "shortest form")
        expectRefused([0x30, 0x81, 0x03, 0x02, 0x01, 0x00], "shortest form")
        // Version 1 with extensions.
        expectRefused(try patched(der, [0xA0, 0x03, 0x02, 0x01, 0x02], [0xA0, 0x03, 0x02, 0x01, 0x00]), "not an X.509 v3")
        // The outer signatureAlgorithm changed alone (the second occurrence).
        expectRefused(try patched(der, sha256WithRSA, [0x06, 0x09] + OIDBytes.sha384WithRSA, occurrence: 1), "differs")
        // critical encoded as FALSE (DER omits a DEFAULT value).
        expectRefused(try patched(der, [0x01, 0x01, 0xFF], [0x01, 0x01, 0x00]), "critical is not DER TRUE")
        // cRLDistributionPoints renamed keyUsage: the same extension twice.
        expectRefused(try patched(der, [0x06, 0x03] + OIDBytes.cRLDistributionPoints, [0x06, 0x03] + OIDBytes.keyUsage), "duplicate extension 2.5.29.15")
        // A notBefore in month 13.
        let fields = try CertificateFields(der: der)
        var badMonth = der
        let notBefore = fields.tbs.lowerBound + (try locate(der, tag: DERTag.utcTime, in: fields.tbs))
        badMonth[notBefore + 2 + 2] = UInt8(ascii: "1")
        badMonth[notBefore + 2 + 3] = UInt8(ascii: "3")
        expectRefused(badMonth, "not a valid date")
        // Every prefix is refused, never a crash.
        for n in 0..<der.count { #expect(throws: DERFieldError.self) { try CertificateFields(der: Array(der.prefix(n))) } }
    }

    /// The offset (from `range.lowerBound`) of the first element with `tag` inside `range`, at any depth.
    func locate(_ der: [UInt8], tag: UInt8, in range: Range<Int>) throws -> Int {
        var reader = DERReader(der, range)
        while !reader.isAtEnd {
            let e = try reader.next()
            if e.tag == tag { return e.whole.lowerBound - range.lowerBound }
            if e.tag & 0x20 != 0, let inner = try? locate(der, tag: tag, in: e.content) { return e.content.lowerBound - range.lowerBound + inner }
        }
        throw DERFieldError("no such element")
    }

    @Test("DER lengths, integers, times and key usage bits")
    func pieces() throws {
        func element(_ bytes: [UInt8]) throws(DERFieldError) -> DERElement {
            var r = DERReader(bytes)
            return try r.next()
        }
        #expect(try element([0x04, 0x81, 0x80] + Array(repeating: 0, count: 128)).content == 3..<131)
        #expect(throws: DERFieldError.self) { try element([0x04, 0x81, 0x05, 1, 2, 3, 4, 5]) }  // long form below 128
        #expect(throws: DERFieldError.self) { try element([0x04, 0x82, 0x00, 0x90] + Array(repeating: 0, count: 0x90)) }  // leading zero
        #expect(throws: DERFieldError.self) { try element([0x1F, 0x22, 0x00]) }  // high tag number
        #expect(throws: DERFieldError.self) { try element([0x04, 0x85, 1, 0, 0, 0, 0]) }  // five length bytes
        #expect(throws: DERFieldError.self) { try element([0x04]) }

        #expect(throws: DERFieldError.self) { try CertificateFields.checkInteger([], 0..<0) }
        #expect(throws: DERFieldError.self) { try CertificateFields.checkInteger([0x00, 0x01], 0..<2) }
        #expect(throws: DERFieldError.self) { try CertificateFields.checkInteger([0xFF, 0x80], 0..<2) }
        try CertificateFields.checkInteger([0x00, 0x80], 0..<2)

        func time(_ tag: UInt8, _ text: String) throws(DERFieldError) -> Date {
            let bytes = [tag, UInt8(text.utf8.count)] + Array(text.utf8)
            return try CertificateFields.time(bytes, element(bytes))
        }
        #expect(try time(DERTag.utcTime, "491231235959Z") == Date(timeIntervalSince1970: 2_524_607_999))
        #expect(try time(DERTag.utcTime, "500101000000Z") == Date(timeIntervalSince1970: -631_152_000))
        #expect(try time(DERTag.generalizedTime, "20240229120000Z") == Date(timeIntervalSince1970: 1_709_208_000))
        for (tag, bad) in [
            (DERTag.utcTime, "230229000000Z"), (DERTag.utcTime, "2301010000Z"), (DERTag.utcTime, "230101000000"), (DERTag.utcTime, "230101000060Z"),
            (DERTag.generalizedTime, "20230101000000.5Z"), (DERTag.generalizedTime, "20230101000000+0900"), (DERTag.octetString, "230101000000Z"),
        ] {
            #expect(throws: DERFieldError.self, "\(bad)") { try time(tag, bad) }
        }

        let usage = try KeyUsageBits([0x03, 0x02, 0x06, 0xC0], 0..<4)
        #expect(usage.digitalSignature && usage.nonRepudiation && !usage.keyCertSign)
        #expect(try KeyUsageBits([0x03, 0x02, 0x02, 0x04], 0..<4).keyCertSign)
        #expect(throws: DERFieldError.self) { try KeyUsageBits([0x03, 0x02, 0x08, 0x80], 0..<4) }
        #expect(throws: DERFieldError.self) { try KeyUsageBits([0x03, 0x01, 0x01], 0..<3) }
        #expect(OIDBytes.dotted(OIDBytes.sha256WithRSA) == "1.2.840.113549.1.1.11" && OIDBytes.dotted(OIDBytes.keyUsage) == "2.5.29.15")
    }
}
