import Foundation
import HonninCore
import HonninPKI
import HonninTesting
import SwiftASN1
import Testing
import X509
import CryptoExtras

/// 2027-01-01, inside every test certificate's validity.
let now = Date(timeIntervalSince1970: 1_798_761_600)

func verifier(_ revocation: any RevocationProvider = TestRevocationProvider.good()) -> JPKIVerifier {
    JPKIVerifier(trust: TestJPKI.shared.trustStore, revocation: revocation)
}

func expectFailure(
    _ code: JPKIFailure.Code, kind: JPKICertificateKind = .signature, _ der: [UInt8], revocation: any RevocationProvider = TestRevocationProvider.good(),
    at time: Date = now, sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        _ = try await verifier(revocation).verifyCertificate(der: der, kind: kind, at: time)
        Issue.record("accepted; expected \(code.rawValue)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error.detail)", sourceLocation: sourceLocation)
    }
}

@Suite("JPKI certificates")
struct JPKIVerifierTests {
    let pki = TestJPKI.shared

    @Test("the built-in J-LIS roots load and match their pinned fingerprints")
    func bundledRoots() throws {
        let store = try JPKITrustStore.bundled()
        #expect(store.roots.count == 4)
        #expect(store.roots.filter { $0.kind == .signature }.count == 2)
        #expect(store.roots.allSatisfy { $0.builtIn })
        #expect(store.roots.contains { $0.fingerprint == "d227f6cde11d35c5252178f106f843d24651944975413b539fa2fb68dbfa365f" })
    }

    @Test("a valid signature certificate yields the 基本4情報 and the revocation evidence")
    func valid() async throws {
        let der = try pki.issue()
        let v = try await verifier().verifyCertificate(der: der, kind: .signature, at: now)
        let a = try #require(v.attributes)
        #expect(a.name == "山田 花子" && a.address == "東京都千代田区千代田1番1号" && a.genderCode == "2" && a.gender == .female)
        #expect(a.birthDate == JPKIBirthDate("419900401") && a.birthDate.date == CalendarDate(year: 1990, month: 4, day: 1))
        #expect(a.person.birthdate?.description == "1990-04-01")
        #expect(v.serial == "012345" && v.revocation.provider == "test" && v.issuer.contains("JPKI TEST"))
        // The fields read in place are what swift-certificates reads from the same DER.
        let certificate = try v.certificate()
        #expect(v.issuer == certificate.issuer.description && v.serial == Bytes.hex(certificate.serialNumber.bytes))
        #expect(v.notValidBefore == certificate.notValidBefore && v.notValidAfter == certificate.notValidAfter && v.der == der)
        // The signature over a challenge verifies; one changed byte does not.
        let challenge = Array("honnin challenge".utf8)
        let signature = try pki.sign(challenge)
        try JPKIVerifier.verifySignature(signature, over: challenge, by: certificate)
        #expect(throws: JPKIFailure(.badSignature, "the signature does not verify over the challenge")) {
            try JPKIVerifier.verifySignature(signature, over: challenge + [0], by: certificate)
        }
        var tampered = signature
        tampered[10] ^= 1
        #expect(throws: JPKIFailure.self) { try JPKIVerifier.verifySignature(tampered, over: challenge, by: certificate) }
        #expect(throws: JPKIFailure.self) { try JPKIVerifier.verifySignature(Array(signature.dropLast()), over: challenge, by: certificate) }
    }

    @Test("the user-authentication certificate verifies without personal attributes, and only under its own root")
    func userAuthentication() async throws {
        var o = TestJPKI.Options()
        o.kind = .userAuthentication
        let der = try pki.issue(o)
        let v = try await verifier().verifyCertificate(der: der, kind: .userAuthentication, at: now)
        #expect(v.attributes == nil && v.kind == .userAuthentication)
        await expectFailure(.untrusted, kind: .signature, der)
        await expectFailure(.untrusted, kind: .userAuthentication, try pki.issue())
    }

    @Test("a user-certificate challenge response (the AAL3 login check): linked by issuer and serial; a forged one never reaches revocation")
    func userCertificateResponse() async throws {
        var o = TestJPKI.Options()
        o.kind = .userAuthentication
        o.serial = [0x0A, 0xBC]
        let der = try pki.issue(o)
        let challenge = Array("honnin.login.challenge".utf8)
        let signature = try pki.sign(challenge)
        let asked = Counter()
        let counting = TestRevocationProvider { _ in
            asked.increment()
            return .good(RevocationEvidence(provider: "test", source: "counting", checkedAt: now, thisUpdate: now, nextUpdate: nil))
        }
        let v = try await verifier(counting).verifyResponse(
            certificate: der, signature: signature, challenge: challenge, kind: .userAuthentication, at: now)
        #expect(v.attributes == nil && v.serial == "0abc" && v.linkKey.hasSuffix("#0abc") && v.linkKey.contains("JPKI TEST"))
        #expect(asked.value == 1)
        // Another challenge, another key, the signature certificate in its place: refused, and the
        // revocation provider is not asked for any of them.
        for (cert, sig, kind, code) in [
            (der, signature, JPKICertificateKind.userAuthentication, JPKIFailure.Code.badSignature),
            (der, try pki.sign(challenge, key: TestJPKI.impostor.key), .userAuthentication, .badSignature),
            (try pki.issue(), signature, .userAuthentication, .untrusted),
        ] {
            let message = cert == der && sig == signature ? challenge + [1] : challenge
            do {
                _ = try await verifier(counting).verifyResponse(certificate: cert, signature: sig, challenge: message, kind: kind, at: now)
                Issue.record("accepted")
            } catch { #expect(error.code == code) }
        }
        #expect(asked.value == 1)
        // Revoked: found only after the signature verified.
        let revoked = TestRevocationProvider { _ in .revoked(reason: .keyCompromise, at: now, RevocationEvidence(provider: "test", source: "test", checkedAt: now, thisUpdate: now, nextUpdate: nil)) }
        await #expect(throws: JPKIFailure.self) {
            _ = try await verifier(revoked).verifyResponse(certificate: der, signature: signature, challenge: challenge, kind: .userAuthentication, at: now)
        }
    }

    @Test("substitute characters, names outside JIS X 0208, long addresses and unknown birth-date parts are kept as given")
    func attributes() async throws {
        var o = TestJPKI.Options()
        o.subject.name = "𠮷田 髙橋"
        o.subject.nameSubstitute = "吉田 高橋"
        o.subject.address = String(repeating: "北海道札幌市中央区北一条西二丁目一番地 ", count: 8) + "ＡＢＣマンション１０１号室"
        o.subject.addressSubstitute = "北海道札幌市中央区"
        o.subject.birthDate = "319450000"  // 昭和, 1945, month and day unknown
        o.subject.gender = "9"
        let a = try #require(try await verifier().verifyCertificate(der: try pki.issue(o), kind: .signature, at: now).attributes)
        #expect(a.name == "𠮷田 髙橋" && a.nameSubstitute == "吉田 高橋" && a.addressSubstitute == "北海道札幌市中央区")
        #expect(a.address.count > 150)
        #expect(a.birthDate.era == 3 && a.birthDate.year == 1945 && a.birthDate.month == nil && a.birthDate.day == nil)
        #expect(a.birthDate.date == nil && a.person.birthdate == nil)
        #expect(a.gender == nil && a.genderCode == "9")
        // Era boundaries: 昭和64年1月7日 and 平成元年1月8日 are both written as Gregorian dates.
        #expect(JPKIBirthDate("319890107")?.date == CalendarDate(year: 1989, month: 1, day: 7))
        #expect(JPKIBirthDate("419890108")?.date == CalendarDate(year: 1989, month: 1, day: 8))
        #expect(JPKIBirthDate("520190501")?.era == 5)
        for bad in ["41990040", "4199004011", "4199013 1", "419901301", "419900431", "419900005", "41990023X", ""] {
            #expect(JPKIBirthDate(bad) == nil, "\(bad)")
        }
    }

    @Test("time: expired and not yet valid certificates are refused with their codes")
    func validity() async throws {
        var o = TestJPKI.Options()
        o.notAfter = now.addingTimeInterval(-1)
        await expectFailure(.expired, try pki.issue(o))
        o = TestJPKI.Options()
        o.notBefore = now.addingTimeInterval(60)
        await expectFailure(.notYetValid, try pki.issue(o))
        // The root's own validity counts too.
        await expectFailure(.expired, try pki.issue(), at: now.addingTimeInterval(20 * 365 * 86_400))
    }

    @Test("revocation: each reason is `revoked`; no answer is `status_unavailable` (fail closed)")
    func revocation() async throws {
        let der = try pki.issue()
        let reasons: [RevocationReason] = [
            .unspecified, .keyCompromise, .cACompromise, .affiliationChanged, .superseded, .cessationOfOperation, .certificateHold,
            .privilegeWithdrawn, .aACompromise,
        ]
        for reason in reasons {
            let evidence = RevocationEvidence(provider: "test", source: "t", checkedAt: now, thisUpdate: now, nextUpdate: nil)
            await expectFailure(.revoked, der, revocation: TestRevocationProvider { _ in .revoked(reason: reason, at: now, evidence) })
        }
        await expectFailure(.statusUnavailable, der, revocation: NoRevocationProvider())
        await expectFailure(.statusUnavailable, der, revocation: TestRevocationProvider { _ in .unavailable(reason: "OCSP responder down") })
    }

    @Test("policy: wrong root, wrong key usage, CA certificates, SHA-1, short keys and unknown critical extensions are untrusted")
    func policy() async throws {
        var o = TestJPKI.Options()
        o.issuer = TestJPKI.impostor  // same name as the trusted root, different key
        await expectFailure(.untrusted, try pki.issue(o))
        o = TestJPKI.Options()
        o.keyUsage = KeyUsage(digitalSignature: true)  // no nonRepudiation on a signature certificate
        await expectFailure(.untrusted, try pki.issue(o))
        o.keyUsage = KeyUsage(keyEncipherment: true)
        await expectFailure(.untrusted, try pki.issue(o))
        o = TestJPKI.Options()
        o.isCA = true
        await expectFailure(.untrusted, try pki.issue(o))
        o = TestJPKI.Options()
        o.unknownCriticalExtension = true
        await expectFailure(.untrusted, try pki.issue(o))
        o = TestJPKI.Options()
        o.algorithm = .sha1WithRSAEncryption
        if let sha1 = try? pki.issue(o) { await expectFailure(.untrusted, sha1) }
        // RSA-1024: swift-certificates refuses such a key while parsing, so the certificate is
        // unusable either way (`malformed` rather than `untrusted`); it never passes.
        o = TestJPKI.Options()
        o.subscriberKey = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let short = try pki.issue(o)
        do {
            _ = try await verifier().verifyCertificate(der: short, kind: .signature, at: now)
            Issue.record("an RSA-1024 certificate was accepted")
        } catch {
            #expect([.untrusted, .malformed].contains(error.code))
        }
    }

    @Test("the subjectAltName must carry each attribute once: missing, duplicated or malformed entries are malformed")
    func subjectAltName() async throws {
        var o = TestJPKI.Options()
        o.omitSubjectAltName = true
        await expectFailure(.malformed, try pki.issue(o))
        for strip in [\TestJPKI.SubjectAttributes.name, \.gender, \.birthDate, \.address] {
            var m = TestJPKI.Options()
            m.subject[keyPath: strip] = nil
            await expectFailure(.malformed, try pki.issue(m))
        }
        o = TestJPKI.Options()
        o.subject.extra = [(JPKIOID.name, "別人 太郎")]
        await expectFailure(.malformed, try pki.issue(o))
        o = TestJPKI.Options()
        o.subject.birthDate = "1990-04-01"
        await expectFailure(.malformed, try pki.issue(o))
        o = TestJPKI.Options()
        o.subject.name = "山田\u{7}花子"
        await expectFailure(.malformed, try pki.issue(o))
    }

    @Test("tampered, truncated and garbage DER never pass and never crash")
    func garbage() async throws {
        let der = try pki.issue()
        var tampered = der
        tampered[tampered.count / 2] ^= 0x40  // inside the signed part: the root's signature fails (or it no longer parses)
        do {
            _ = try await verifier().verifyCertificate(der: tampered, kind: .signature, at: now)
            Issue.record("tampered certificate accepted")
        } catch {
            #expect([.untrusted, .malformed].contains(error.code))
        }
        for length in stride(from: 0, to: der.count, by: 37) {
            await expectFailure(.malformed, Array(der.prefix(length)))
        }
        // Deterministic junk (a linear congruential generator), some of it starting like a certificate.
        var state: UInt64 = 0x4A504B49
        func next() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for i in 0..<200 {
            let junk = (i % 2 == 0 ? [0x30, 0x82] : []) + (0..<(Int(next()) * 2)).map { _ in next() }
            await expectFailure(.malformed, junk)
        }
    }
}

/// A thread-safe tally for closures that must be @Sendable.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
