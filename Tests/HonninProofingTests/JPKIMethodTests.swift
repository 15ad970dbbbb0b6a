import Foundation
import HonninCore
import HonninPKI
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import HonninTesting
import Testing
import X509

/// The 公的個人認証 method through the flow engine, with the **test** JPKI PKI.
@Suite("JPKI signature method")
struct JPKIMethodTests {
    let pki = TestJPKI.shared

    func harness(_ revocation: any RevocationProvider = TestRevocationProvider.good()) async throws -> SQLiteHarness {
        let method = JPKISignatureMethod(
            verifier: JPKIVerifier(trust: pki.trustStore, revocation: revocation), audience: "https://verify.example.jp")
        return try await SQLiteHarness(jpki: method)
    }

    /// Creates a flow under the 2027 犯収法 preset (JPKI or IC chip only) and starts JPKI.
    func started(_ h: SQLiteHarness) async throws -> (VerificationFlow, FlowCaller, MethodPlan, [UInt8]) {
        let (flow, token) = try await h.verifications.create(VerificationRequest(preset: "hansyuho-2027"), actor: "t")
        #expect(flow.allowedMethods == ["jpki-signature"])
        let caller = FlowCaller.person(token: token.revealed)
        let (f, plan) = try await h.verifications.start(flow.id, method: "jpki-signature", caller: caller)
        guard case .string(let c)? = plan.plan["challenge"], let challenge = Bytes.fromBase64URL(c) else {
            Issue.record("no challenge")
            return (f, caller, plan, [])
        }
        return (f, caller, plan, challenge)
    }

    func submit(_ h: SQLiteHarness, _ flow: VerificationFlow, _ caller: FlowCaller, _ plan: MethodPlan, certificate: [UInt8], signature: [UInt8])
        async throws -> VerificationFlow
    {
        let body = try JSONSerialization.data(withJSONObject: [
            "attempt": plan.attempt.nonce, "certificate": Data(certificate).base64EncodedString(), "signature": Data(signature).base64EncodedString(),
        ])
        return try await h.verifications.submit(flow.id, method: "jpki-signature", body: body, caller: caller, idempotencyKey: nil)
    }

    @Test("sign the challenge → approved at IAL3 with the certificate's attributes; the record names issuer, serial and revocation source")
    func approved() async throws {
        let h = try await harness()
        defer { h.remove() }
        let (flow, caller, plan, challenge) = try await started(h)
        let text = String(decoding: challenge, as: UTF8.self)
        #expect(text.hasPrefix("honnin.jpki.challenge.v1\0\(flow.id.rawValue)\0https://verify.example.jp\0\(plan.attempt.nonce)\0"))
        let done = try await submit(h, flow, caller, plan, certificate: try pki.issue(), signature: try pki.sign(challenge))
        #expect(done.state == .approved && done.result?.ialReached == 3)
        #expect(try await h.verifications.disclosedAttributes(done) == [
            "name": .text("山田 花子"), "address": .text("東京都千代田区千代田1番1号"), "birthdate": .text("1990-04-01"),
        ])
        let entry = try #require(try await h.store.record(forVerification: flow.id))
        let (_, record, _) = try await h.records.export(entry.id, actor: "t")
        #expect(record.method == "jpki-signature" && record.ial == 3 && record.legal_basis?.contains("第20条") == true)
        #expect(record.method_details?["certificate_serial"] == "012345" && record.method_details?["revocation_provider"] == "test")
        #expect(record.attributes?["gender"] == "female")
        #expect(record.evidence?.sha256.keys.sorted() == ["certificate", "challenge", "signature"])
        // The audit log names the outcome, never the person.
        let audit = try await h.auditText()
        #expect(audit.contains("verification.approved") && !audit.contains("山田") && !audit.contains("012345"))
    }

    @Test("refusals end the flow with their code; a missing revocation answer lets the person retry")
    func refusals() async throws {
        let evidence = RevocationEvidence(provider: "test", source: "t", checkedAt: now, thisUpdate: nil, nextUpdate: nil)
        var expired = TestJPKI.Options()
        expired.notAfter = Date(timeIntervalSince1970: 1_790_000_000)
        var wrongUsage = TestJPKI.Options()
        wrongUsage.keyUsage = .init(digitalSignature: true)
        var authCert = TestJPKI.Options()
        authCert.kind = .userAuthentication
        let cases: [(String, any RevocationProvider, [UInt8], ([UInt8]) throws -> [UInt8])] = [
            ("revoked", TestRevocationProvider { _ in .revoked(reason: .keyCompromise, at: now, evidence) }, try pki.issue(), { try pki.sign($0) }),
            ("expired", TestRevocationProvider.good(), try pki.issue(expired), { try pki.sign($0) }),
            ("untrusted", TestRevocationProvider.good(), try pki.issue(wrongUsage), { try pki.sign($0) }),
            ("untrusted", TestRevocationProvider.good(), try pki.issue(authCert), { try pki.sign($0) }),
            ("bad_signature", TestRevocationProvider.good(), try pki.issue(), { try pki.sign($0 + [0x00]) }),  // another message
            ("bad_signature", TestRevocationProvider.good(), try pki.issue(), { Array(try pki.sign($0).reversed()) }),
            ("malformed", TestRevocationProvider.good(), Array(try pki.issue().prefix(300)), { try pki.sign($0) }),
        ]
        for (code, revocation, certificate, sign) in cases {
            let h = try await harness(revocation)
            defer { h.remove() }
            let (flow, caller, plan, challenge) = try await started(h)
            let done = try await submit(h, flow, caller, plan, certificate: certificate, signature: try sign(challenge))
            #expect(done.state == .rejected && done.result?.code == code, "\(code)")
        }
        // Status unavailable: back to method choice with the code shown; the evidence is shredded.
        let h = try await harness(NoRevocationProvider())
        defer { h.remove() }
        let (flow, caller, plan, challenge) = try await started(h)
        let retried = try await submit(h, flow, caller, plan, certificate: try pki.issue(), signature: try pki.sign(challenge))
        #expect(retried.state == .methodChosen && retried.result?.code == "status_unavailable" && retried.attempt == nil)
        #expect(try await h.vault.repository.fetch(try #require(retried.evidence)) == .erased(id: retried.evidence!, at: h.clock.now()))
        let (_, again) = try await h.verifications.start(flow.id, method: "jpki-signature", caller: caller)
        #expect(again.attempt.nonce != plan.attempt.nonce)
    }

    @Test("the challenge is single use and expires; malformed submissions are refused before anything is stored")
    func challenge() async throws {
        let h = try await harness()
        defer { h.remove() }
        let (flow, caller, plan, challenge) = try await started(h)
        let certificate = try pki.issue()
        for (body, member) in [
            (["attempt": plan.attempt.nonce, "certificate": "%%%", "signature": "AAAA"], "certificate"),
            (["attempt": plan.attempt.nonce, "certificate": Data(certificate).base64EncodedString()], "signature"),
        ] as [([String: String], String)] {
            let e = await #expect(throws: RequestError.self) {
                try await h.verifications.submit(
                    flow.id, method: "jpki-signature", body: try JSONSerialization.data(withJSONObject: body), caller: caller, idempotencyKey: nil)
            }
            #expect(e?.code == "malformed" && e?.member == member)
        }
        // Expired: the attempt's deadline passed before submission.
        h.clock.advance(by: h.verifications.settings.attemptLifetime + 1)
        let expired = await #expect(throws: RequestError.self) {
            try await submit(h, flow, caller, plan, certificate: certificate, signature: try pki.sign(challenge))
        }
        #expect(expired?.code == "challenge_expired")
        // A fresh attempt works once; its reuse is refused.
        let (f2, plan2) = try await h.verifications.start(flow.id, method: "jpki-signature", caller: caller)
        guard case .string(let c2)? = plan2.plan["challenge"], let challenge2 = Bytes.fromBase64URL(c2) else { return }
        #expect(challenge2 != challenge)
        let done = try await submit(h, f2, caller, plan2, certificate: certificate, signature: try pki.sign(challenge2))
        #expect(done.state == .approved)
        let reused = await #expect(throws: RequestError.self) {
            try await submit(h, f2, caller, plan2, certificate: certificate, signature: try pki.sign(challenge2))
        }
        #expect(reused?.code == "challenge_reused")
    }
}

/// 2027-01-01, the harness clock.
let now = Date(timeIntervalSince1970: 1_798_761_600)

@Suite("JPKI with a CRL store")
struct JPKICRLTests {
    @Test("a CRL in the configured directory decides: none or stale → status_unavailable; listed → revoked; not listed → approved")
    func crl() async throws {
        let pki = TestJPKI.shared
        let dir = try TemporaryDirectory("honnin-crl")
        defer { dir.remove() }
        let clock = FixedClock()
        let store = CRLStore(directory: dir.path, issuers: pki.trustStore.roots.map(\.certificate), clock: clock, rescanInterval: 0)
        let method = JPKISignatureMethod(verifier: JPKIVerifier(trust: pki.trustStore, revocation: store), audience: "https://verify.example.jp")
        // No CRL yet: fail closed, the person may retry.
        func run() async throws -> VerificationFlow {
            let h = try await SQLiteHarness(jpki: method)
            defer { h.remove() }
            let (flow, token) = try await h.verifications.create(VerificationRequest(preset: "hansyuho-2027"), actor: "t")
            let caller = FlowCaller.person(token: token.revealed)
            let (_, plan) = try await h.verifications.start(flow.id, method: "jpki-signature", caller: caller)
            guard case .string(let c)? = plan.plan["challenge"], let challenge = Bytes.fromBase64URL(c) else { throw HonninError(.invalidInput, "no challenge") }
            let body = try JSONSerialization.data(withJSONObject: [
                "attempt": plan.attempt.nonce, "certificate": Data(try pki.issue()).base64EncodedString(),
                "signature": Data(try pki.sign(challenge)).base64EncodedString(),
            ])
            return try await h.verifications.submit(flow.id, method: "jpki-signature", body: body, caller: caller, idempotencyKey: nil)
        }
        #expect(try await run().result?.code == "status_unavailable")
        let crlPath = dir.url.appendingPathComponent("chiyoda.crl")
        try Data(try pki.crl(pki.signature, revoked: [], thisUpdate: now.addingTimeInterval(-3600), nextUpdate: now.addingTimeInterval(86_400)))
            .write(to: crlPath)
        let good = try await run()
        #expect(good.state == .approved)
        // Listed in a newer CRL (the store reloads changed files).
        try Data(
            try pki.crl(
                pki.signature, revoked: [.init(serial: 0x012345, date: now.addingTimeInterval(-60), reason: .affiliationChanged)],
                thisUpdate: now.addingTimeInterval(-30), nextUpdate: now.addingTimeInterval(86_400))
        ).write(to: crlPath)
        let revoked = try await run()
        #expect(revoked.state == .rejected && revoked.result?.code == "revoked")
        // A stale CRL (its nextUpdate passed) is no answer.
        try Data(try pki.crl(pki.signature, revoked: [], thisUpdate: now.addingTimeInterval(-2 * 86_400), nextUpdate: now.addingTimeInterval(-1)))
            .write(to: crlPath)
        #expect(try await run().result?.code == "status_unavailable")
    }
}
