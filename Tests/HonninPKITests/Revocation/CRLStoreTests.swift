import CryptoExtras
import Foundation
import HonninPKI
import HonninTesting
import Testing
import X509

@Suite("CRLStore: directory of CRLs, DirName partitions, fail closed")
struct CRLStoreTests {
    struct Setup {
        let pki: TestRevocationPKI
        let folder: TestFolder
        let clock: FixedClock
        let store: CRLStore
        let chiyodaCert: Certificate
    }

    func setup(rescan: TimeInterval = 60, grace: TimeInterval = 0, files: (TestRevocationPKI) throws -> [(String, [UInt8])]) throws -> Setup {
        let pki = try #require(Fixture.pki)
        let folder = try TestFolder()
        for (name, bytes) in try files(pki) { try folder.write(name, bytes) }
        let clock = TestClock()
        let store = CRLStore(
            directory: folder.path, issuers: [pki.root, pki.otherRoot], clock: clock, rescanInterval: rescan, staleGrace: grace)
        return Setup(
            pki: pki, folder: folder, clock: clock, store: store,
            chiyodaCert: try pki.issueEndEntity(serial: 0x2001, distributionPoints: [Fixture.chiyoda]))
    }

    func partition(_ pki: TestRevocationPKI, dp: DistinguishedName = Fixture.chiyoda, revoked: [TestCRLIssuer.Revoked], number: Int = 1,
                   thisUpdate: Date = Fixture.issued, nextUpdate: Date? = Fixture.issued + Fixture.week, tamper: Bool = false) throws -> [UInt8] {
        try Fixture.issuer(pki).make(
            revoked: revoked, thisUpdate: thisUpdate, nextUpdate: nextUpdate, crlNumber: number, distributionPoint: dp, tamper: tamper)
    }

    @Test("good and revoked through the partition named by the certificate's DirName, with evidence")
    func goodAndRevoked() async throws {
        let s = try setup { pki in
            [("chiyoda.crl", try partition(pki, revoked: [.init(serial: 0x2001, date: Fixture.issued - 60, reason: .keyCompromise)], number: 5)),
             ("minato.crl", try partition(pki, dp: Fixture.minato, revoked: [.init(serial: 0x2002, date: Fixture.issued, reason: .superseded)]))]
        }
        defer { s.folder.remove() }
        let revoked = await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime)
        guard case .revoked(let reason, let at, let evidence) = revoked else {
            Issue.record("expected revoked, got \(revoked)")
            return
        }
        #expect(reason == .keyCompromise)
        #expect(at == Fixture.issued - 60)
        #expect(evidence.provider == "crl")
        #expect(evidence.source.hasSuffix("#05"))
        #expect(evidence.source.contains("TEST"))
        #expect(evidence.thisUpdate == Fixture.issued)
        #expect(evidence.nextUpdate == Fixture.issued + Fixture.week)
        #expect(evidence.checkedAt == Fixture.queryTime)
        // 0x2002 is revoked in Minato's partition, but this certificate names Chiyoda: good there.
        let other = try s.pki.issueEndEntity(serial: 0x2002, distributionPoints: [Fixture.chiyoda])
        #expect(await s.store.status(of: other, issuer: s.pki.root, at: Fixture.queryTime).isGood)
        let minato = try s.pki.issueEndEntity(serial: 0x2002, distributionPoints: [Fixture.minato])
        #expect(await s.store.status(of: minato, issuer: s.pki.root, at: Fixture.queryTime).revokedReason == .superseded)
        #expect(await s.store.loadedCount == 2)
        #expect(await s.store.problems.isEmpty)
    }

    @Test("each reason code maps through the store; removeFromCRL in a full CRL is unavailable")
    func everyReason() async throws {
        let reasons = RevocationReason.allCases
        let s = try setup { pki in
            [("all.crl", try partition(pki, revoked: reasons.enumerated().map { .init(serial: 0x100 + $0, date: Fixture.issued, reason: $1) }))]
        }
        defer { s.folder.remove() }
        for (i, r) in reasons.enumerated() {
            let cert = try s.pki.issueEndEntity(serial: 0x100 + i, distributionPoints: [Fixture.chiyoda])
            let status = await s.store.status(of: cert, issuer: s.pki.root, at: Fixture.queryTime)
            if r == .removeFromCRL {
                #expect(status.failureCode == "crl_remove_from_crl")
            } else {
                #expect(status.revokedReason == r, "\(r)")
            }
        }
    }

    @Test("no CRL for the certificate's distribution point → crl_not_found")
    func noCRLForDP() async throws {
        let s = try setup { pki in [("minato.crl", try partition(pki, dp: Fixture.minato, revoked: []))] }
        defer { s.folder.remove() }
        let status = await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime)
        #expect(status.failureCode == "crl_not_found")
    }

    @Test("an issuer-wide CRL (no IDP) serves certificates with and without DirNames")
    func issuerWideFallback() async throws {
        let s = try setup { pki in
            [("all.crl", try Fixture.issuer(pki).make(
                revoked: [.init(serial: 0x2001, date: Fixture.issued, reason: .cessationOfOperation)], thisUpdate: Fixture.issued,
                nextUpdate: Fixture.issued + Fixture.week))]
        }
        defer { s.folder.remove() }
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).revokedReason == .cessationOfOperation)
        let noDP = try s.pki.issueEndEntity(serial: 77)
        #expect(await s.store.status(of: noDP, issuer: s.pki.root, at: Fixture.queryTime).isGood)
    }

    @Test("a CRL with a bad signature is not loaded: problem recorded, status unavailable")
    func badSignatureNotLoaded() async throws {
        let s = try setup { pki in [("chiyoda.crl", try partition(pki, revoked: [], tamper: true))] }
        defer { s.folder.remove() }
        let status = await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime)
        #expect(status.failureCode == "crl_not_found")
        let problems = await s.store.problems
        #expect(problems.count == 1)
        #expect(problems.first?.code == .badSignature)
        #expect(problems.first?.file == "chiyoda.crl")
        #expect(await s.store.loadedCount == 0)
    }

    @Test("stale CRL → crl_stale; grace extends it")
    func stale() async throws {
        let files: (TestRevocationPKI) throws -> [(String, [UInt8])] = { pki in
            [("chiyoda.crl", try self.partition(pki, revoked: [], thisUpdate: Fixture.issued - 8 * 86_400, nextUpdate: Fixture.issued - 3_600))]
        }
        let s = try setup(files: files)
        defer { s.folder.remove() }
        let status = await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime)
        #expect(status.failureCode == "crl_stale")
        guard case .unavailable(let reason) = status else { return }
        #expect(reason.contains("stale CRL"))
        let lenient = try setup(grace: 2 * 86_400, files: files)
        defer { lenient.folder.remove() }
        #expect(await lenient.store.status(of: lenient.chiyodaCert, issuer: lenient.pki.root, at: Fixture.queryTime).isGood)
    }

    @Test("CRL without nextUpdate, and CRL from the future, are unavailable")
    func noNextUpdateAndFuture() async throws {
        let s = try setup { pki in [("chiyoda.crl", try partition(pki, revoked: [], nextUpdate: nil))] }
        defer { s.folder.remove() }
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).failureCode == "crl_no_next_update")
        let f = try setup { pki in [("chiyoda.crl", try partition(pki, revoked: [], thisUpdate: Fixture.queryTime + 86_400, nextUpdate: Fixture.queryTime + Fixture.week))] }
        defer { f.folder.remove() }
        #expect(await f.store.status(of: f.chiyodaCert, issuer: f.pki.root, at: Fixture.queryTime).failureCode == "crl_not_yet_valid")
    }

    @Test("unknown critical extension, SHA-1, garbage and unknown issuers are problems, not CRLs")
    func problemFiles() async throws {
        let s = try setup { pki in
            let madeUp = Certificate.Extension(oid: TestOID.madeUp, critical: true, value: [0x05, 0x00])
            let foreign = TestRevocationPKI.distributionPointName(prefecture: "X", municipality: "Y")
            return [
                ("a-critical.crl", try Fixture.issuer(pki).make(
                    revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60, distributionPoint: Fixture.chiyoda,
                    extraExtensions: [madeUp])),
                ("b-sha1.crl", try TestCRLIssuer(key: .rsaSHA1(pki.rootKey)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)),
                ("c-garbage.crl", Array("not a CRL at all".utf8)),
                ("d-foreign.crl", try TestCRLIssuer(issuerName: foreign, key: .rsaSHA256(pki.rootKey)).make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + 60)),
                (".hidden.crl", Array("ignored".utf8)),
            ]
        }
        defer { s.folder.remove() }
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).failureCode == "crl_not_found")
        let codes = await s.store.problems.map { "\($0.file)=\($0.code.rawValue)" }
        #expect(codes == ["a-critical.crl=unknown_critical_extension", "b-sha1.crl=weak_algorithm", "c-garbage.crl=malformed", "d-foreign.crl=wrong_issuer"])
    }

    @Test("a rolled-over key: the CRL signed by the other root's key does not answer for this root")
    func otherKeySameName() async throws {
        let s = try setup { pki in
            [("other.crl", try TestCRLIssuer(key: .rsaSHA256(pki.otherRootKey), authorityKeyIdentifier: TestRevocationPKI.keyIdentifier(of: pki.otherRootKey.publicKey))
                .make(revoked: [], thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + Fixture.week, distributionPoint: Fixture.chiyoda))]
        }
        defer { s.folder.remove() }
        #expect(await s.store.loadedCount == 0)  // nothing scanned before the first query
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).failureCode == "crl_not_found")
        #expect(await s.store.loadedCount == 1)
        let underOther = try s.pki.issueEndEntity(serial: 0x2001, distributionPoints: [Fixture.chiyoda], issuerKey: s.pki.otherRootKey)
        #expect(await s.store.status(of: underOther, issuer: s.pki.otherRoot, at: Fixture.queryTime).isGood)
    }

    @Test("files are rescanned after the interval: a new CRL replaces the old, a newer number wins")
    func reload() async throws {
        let s = try setup(rescan: 30) { pki in [("chiyoda.crl", try partition(pki, revoked: [], number: 1))] }
        defer { s.folder.remove() }
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).isGood)
        try s.folder.write("chiyoda-2.crl", try partition(s.pki, revoked: [.init(serial: 0x2001, date: Fixture.issued, reason: .privilegeWithdrawn)], number: 2))
        // Within the interval the store does not look.
        s.clock.advance(by: 10)
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).isGood)
        s.clock.advance(by: 30)
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).revokedReason == .privilegeWithdrawn)
        #expect(await s.store.loadedCount == 2)
        // A file replaced by garbage is dropped on the next scan; the other still answers.
        try s.folder.write("chiyoda-2.crl", Array("broken".utf8))
        await s.store.reload()
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).isGood)
        #expect(await s.store.problems.map(\.file) == ["chiyoda-2.crl"])
    }

    @Test("PEM files load")
    func pemFile() async throws {
        let s = try setup { pki in
            let der = try partition(pki, revoked: [.init(serial: 0x2001, date: Fixture.issued, reason: .affiliationChanged)])
            return [("chiyoda.pem", Array(PEMDocumentText.crl(der).utf8))]
        }
        defer { s.folder.remove() }
        #expect(await s.store.status(of: s.chiyodaCert, issuer: s.pki.root, at: Fixture.queryTime).revokedReason == .affiliationChanged)
    }
}

import SwiftASN1

enum PEMDocumentText {
    static func crl(_ der: [UInt8]) -> String { PEMDocument(type: "X509 CRL", derBytes: der).pemString }
}
