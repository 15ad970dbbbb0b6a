import Foundation
import GRDB
import HonninCore
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import HonninTesting
import Testing

/// A profile where self-declaration is enough, asking for a name and the 20+ flag.
let selfDeclaredProfile = ServiceProfile(
    id: "test-self", name: BilingualText(ja: "テスト", en: "Test"), self_asserted_acceptable: true, personal_information_online: false,
    attributes: ["name", "age_over_20"])

func body(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }

@Suite("Verification engine")
struct ServiceTests {
    @Test("self-declaration: create → start → submit → approved, only the requested attributes disclosed")
    func selfDeclared() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, token) = try await s.create(
            VerificationRequest(profile: selfDeclaredProfile, reference: "user-42", webhookURL: "https://example.jp/hook"), actor: "apikey:test")
        #expect(flow.state == .created && flow.requiredIAL == 1)
        #expect(flow.allowedMethods.first == "self-declared")
        #expect(flow.requestedAttributes == [.name, .ageOver20])
        #expect(s.hostedURL(flow, token: token).hasPrefix("https://verify.example.jp/verify/\(flow.id.rawValue)?t=hvt_"))

        let (_, plan) = try await s.start(flow.id, method: "self-declared", caller: .person(token: token.revealed))
        guard case .array(let fields)? = plan.plan["fields"] else { Issue.record("no fields"); return }
        #expect(fields.count == 2)  // name and birthdate (the source of age_over_20)

        let done = try await s.submit(
            flow.id, method: "self-declared",
            body: body(["attempt": plan.attempt.nonce, "attributes": ["name": "山田　太郎", "birthdate": "2000-01-02", "address": "東京都"]]),
            caller: .person(token: token.revealed), idempotencyKey: nil)
        #expect(done.state == .approved && done.result?.ialReached == 1 && done.result?.code == "verified")
        let disclosed = try await s.disclosedAttributes(done)
        #expect(disclosed == ["name": .text("山田 太郎"), "age_over_20": .flag(true)])

        let audit = try await h.auditText()
        for state in ["verification.created", "verification.method_chosen", "verification.evidence_submitted", "verification.approved"] {
            #expect(audit.contains(state))
        }
        for secret in ["山田", "2000-01-02", "東京都", token.revealed] { #expect(!audit.contains(secret)) }
        let hooks = try await h.store.webhooks(for: flow.id)
        #expect(hooks.map(\.event) == ["verification.approved"])
        #expect(!String(decoding: hooks[0].payload, as: UTF8.self).contains("山田"))
    }

    @Test("attempts are single use, must match, and expire; the token is bound to its flow")
    func attempts() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, token) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        let (other, otherToken) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        let person = FlowCaller.person(token: token.revealed)
        let good = ["name": "山田 太郎", "birthdate": "2000-01-02"]

        // Before start: no attempt.
        let e0 = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": "x", "attributes": good]), caller: person, idempotencyKey: nil)
        }
        #expect(e0?.code == "wrong_state")
        // Another flow's token.
        let e1 = await #expect(throws: RequestError.self) {
            try await s.start(flow.id, method: "self-declared", caller: .person(token: otherToken.revealed))
        }
        #expect(e1?.code == "invalid_flow_token")
        _ = other
        // A method the policy did not allow.
        let e2 = await #expect(throws: RequestError.self) { try await s.start(flow.id, method: "jpki-signature", caller: person) }
        #expect(e2?.code == "method_not_allowed")

        let (_, plan1) = try await s.start(flow.id, method: "self-declared", caller: person)
        let (_, plan2) = try await s.start(flow.id, method: "self-declared", caller: person)
        // The first attempt was replaced by the second.
        let e3 = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan1.attempt.nonce, "attributes": good]), caller: person, idempotencyKey: nil)
        }
        #expect(e3?.code == "attempt_mismatch")
        // Expired attempt.
        h.clock.advance(by: h.verifications.settings.attemptLifetime + 1)
        let e4 = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan2.attempt.nonce, "attributes": good]), caller: person, idempotencyKey: nil)
        }
        #expect(e4?.code == "challenge_expired")
        let (_, plan3) = try await s.start(flow.id, method: "self-declared", caller: person)
        _ = try await s.submit(
            flow.id, method: "self-declared", body: body(["attempt": plan3.attempt.nonce, "attributes": good]), caller: person, idempotencyKey: nil)
        // Used: a replay is refused and changes nothing.
        let e5 = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan3.attempt.nonce, "attributes": good]), caller: person, idempotencyKey: nil)
        }
        #expect(e5?.code == "challenge_reused")
    }

    @Test("invalid evidence is refused with the attribute's code and nothing is stored")
    func invalidEvidence() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let profile = ServiceProfile(
            id: "kana", name: BilingualText(ja: "k", en: "k"), self_asserted_acceptable: true, personal_information_online: false,
            attributes: ["name_kana"])
        let (flow, token) = try await s.create(VerificationRequest(profile: profile), actor: "t")
        let person = FlowCaller.person(token: token.revealed)
        let (started, plan) = try await s.start(flow.id, method: "self-declared", caller: person)
        let records = try await h.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vault_records") }
        for (attrs, code) in [(["name_kana": "山田"], "attribute_not_kana"), ([:], "attribute_missing")] as [([String: String], String)] {
            let e = await #expect(throws: RequestError.self) {
                try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan.attempt.nonce, "attributes": attrs]), caller: person, idempotencyKey: nil)
            }
            #expect(e?.code == code)
            #expect(e?.member?.hasPrefix("attributes.") == true)
        }
        let e = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan.attempt.nonce, "attributes": ["name_kana": 5]]), caller: person, idempotencyKey: nil)
        }
        #expect(e?.code == "malformed_evidence")
        #expect(try await h.store.find(flow.id) == started)
        #expect(try await h.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vault_records") } == records)
        // The attempt is still usable after refusals.
        let done = try await s.submit(
            flow.id, method: "self-declared", body: body(["attempt": plan.attempt.nonce, "attributes": ["name_kana": "やまだ"]]), caller: person,
            idempotencyKey: nil)
        #expect(done.state == .approved)
    }

    @Test("an Idempotency-Key makes retries harmless and refuses a different body")
    func idempotency() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, token) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        let person = FlowCaller.person(token: token.revealed)
        let (_, plan) = try await s.start(flow.id, method: "self-declared", caller: person)
        let b = body(["attempt": plan.attempt.nonce, "attributes": ["name": "山田 太郎", "birthdate": "2000-01-02"]])
        let first = try await s.submit(flow.id, method: "self-declared", body: b, caller: person, idempotencyKey: "key-1")
        let again = try await s.submit(flow.id, method: "self-declared", body: b, caller: person, idempotencyKey: "key-1")
        #expect(first == again)
        let e = await #expect(throws: RequestError.self) {
            try await s.submit(flow.id, method: "self-declared", body: body(["attempt": plan.attempt.nonce]), caller: person, idempotencyKey: "key-1")
        }
        #expect(e?.code == "idempotency_key_reused")
        let evidence = try await h.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_entries WHERE CAST(body AS TEXT) LIKE '%verification.evidence_submitted%'")
        }
        #expect(evidence == 1)
    }

    @Test("flows expire at their deadline, announce it, and refuse further steps")
    func expiry() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, token) = try await s.create(VerificationRequest(profile: selfDeclaredProfile, webhookURL: "https://example.jp/h"), actor: "t")
        let (pending, _) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        h.clock.advance(by: s.settings.flowLifetime)
        #expect(try await s.expireDue() == 2)
        #expect(try await s.expireDue() == 0)
        #expect(try await s.find(flow.id).state == .expired)
        #expect(try await s.find(pending.id).state == .expired)
        let e = await #expect(throws: RequestError.self) { try await s.start(flow.id, method: "self-declared", caller: .person(token: token.revealed)) }
        #expect(e?.code == "verification_expired")
        #expect(try await h.store.webhooks(for: flow.id).map(\.event) == ["verification.expired"])
    }

    @Test("cancel works from waiting states only")
    func cancel() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, _) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        #expect(try await s.cancel(flow.id, actor: "t").state == .cancelled)
        let e = await #expect(throws: RequestError.self) { try await s.cancel(flow.id, actor: "t") }
        #expect(e?.code == "wrong_state")
    }

    @Test("requests are validated: preset xor profile, known attributes, https URLs, locale")
    func createValidation() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let cases: [(VerificationRequest, String)] = [
            (VerificationRequest(), "preset_or_profile"),
            (VerificationRequest(preset: "jfa-age", profile: selfDeclaredProfile), "preset_or_profile"),
            (VerificationRequest(preset: "nope"), "unknown_preset"),
            (VerificationRequest(profile: selfDeclaredProfile, requestedAttributes: ["shoe_size"]), "unknown_attribute"),
            (VerificationRequest(profile: selfDeclaredProfile, returnURL: "http://example.jp/back"), "invalid_url"),
            (VerificationRequest(profile: selfDeclaredProfile, webhookURL: "javascript:alert(1)"), "invalid_url"),
            (VerificationRequest(profile: selfDeclaredProfile, webhookURL: "https://user:pw@example.jp/"), "invalid_url"),
            (VerificationRequest(profile: selfDeclaredProfile, reference: "a\nb"), "invalid_reference"),
            (VerificationRequest(profile: selfDeclaredProfile, locale: "fr"), "unknown_locale"),
            // 犯収法 from 2027-04-01 allows only IC-chip and JPKI methods, which this server does not offer yet.
            (VerificationRequest(preset: "hansyuho-2027"), "no_available_method"),
        ]
        for (request, code) in cases {
            let e = await #expect(throws: RequestError.self) { try await s.create(request, actor: "t") }
            #expect(e?.code == code)
        }
        let ok = try await s.create(VerificationRequest(profile: selfDeclaredProfile, returnURL: "http://localhost:3000/done", locale: "EN"), actor: "t")
        #expect(ok.flow.locale == .en)
    }

    @Test("evidence acknowledged before a crash is verified when the engine resumes")
    func resume() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, token) = try await s.create(VerificationRequest(profile: selfDeclaredProfile), actor: "t")
        let (started, _) = try await s.start(flow.id, method: "self-declared", caller: .person(token: token.revealed))
        // What submit's first transaction writes, then "the process dies".
        let evidence = try SelfDeclaredMethod().accept(
            body(["attributes": ["name": "山田 太郎", "birthdate": "2000-01-02"]]), for: started, context: s.context)
        let prepared = try await h.vault.prepare(evidence.parts.map { VaultField(name: $0.key, value: $0.value) }, actor: "t")
        var next = started
        try next.apply(.submitEvidence, at: h.clock.now())
        next.evidence = prepared.record.id
        next.version += 1
        var c = FlowCommit(flow: next, expectedVersion: started.version)
        c.sealed = [prepared]
        #expect(try await h.store.commit(c))
        #expect(try await h.store.undecided(limit: 10).map(\.id) == [flow.id])
        // A flow changed within the last minute may still be verified by a request: left alone.
        #expect(try await s.resumeUndecided(staleAfter: 60) == 0)
        h.clock.advance(by: 61)
        #expect(try await s.resumeUndecided(staleAfter: 60) == 1)
        #expect(try await s.find(flow.id).state == .approved)
        #expect(try await h.store.undecided(limit: 10).isEmpty)
        // A stale writer (the old version) cannot overwrite the decision.
        #expect(try await h.store.commit(FlowCommit(flow: next, expectedVersion: started.version)) == false)
    }
}

@Suite("Webhooks")
struct WebhookTests {
    @Test("deliveries are signed (HMAC-SHA256 over timestamp.body), retried with backoff, then marked failed")
    func delivery() async throws {
        let h = try await SQLiteHarness(settings: VerificationSettings(webhookRetryBase: 10, webhookMaxAttempts: 3))
        defer { h.remove() }
        let s = h.verifications
        let (flow, _) = try await s.create(VerificationRequest(profile: selfDeclaredProfile, webhookURL: "https://example.jp/h"), actor: "t")
        _ = try await s.cancel(flow.id, actor: "t")  // no webhook for cancellation
        let (f2, _) = try await s.create(VerificationRequest(profile: selfDeclaredProfile, reference: "ref-9", webhookURL: "https://example.jp/h"), actor: "t")
        h.clock.advance(by: s.settings.flowLifetime)
        _ = try await s.expireDue()

        let transport = RecordingWebhookTransport(statuses: [500, 0, 503])
        let secret = try h.keys.webhookSecret()
        let d = WebhookDispatcher(repository: h.store, transport: transport, secret: secret, clock: h.clock, settings: s.settings)
        #expect(try await d.deliverDue() == 1)  // 500
        #expect(try await d.deliverDue() == 0)  // not due yet
        h.clock.advance(by: 10)
        #expect(try await d.deliverDue() == 1)  // timeout
        h.clock.advance(by: 19)
        #expect(try await d.deliverDue() == 0)
        h.clock.advance(by: 1)
        #expect(try await d.deliverDue() == 1)  // 503 → third attempt: failed
        let log = try await h.store.webhooks(for: f2.id)
        #expect(log.count == 1 && log[0].status == .failed && log[0].attempts == 3 && log[0].lastError == "http 503")
        #expect(transport.received.count == 3)

        let r = transport.received[0]
        let payload = try JSONSerialization.jsonObject(with: Data(r.body)) as! [String: Any]
        #expect(payload["type"] as? String == "verification.expired")
        #expect((payload["data"] as? [String: String])?["reference"] == "ref-9")
        #expect(r.headers[WebhookSignature.idHeader] == log[0].id.rawValue)
        let ts = try #require(r.headers[WebhookSignature.timestampHeader])
        let sig = try #require(r.headers[WebhookSignature.signatureHeader])
        try WebhookSignature.verify(secret: secret.revealed, body: r.body, timestamp: ts, signature: sig, now: Date(timeIntervalSince1970: Double(ts)!))
        #expect(throws: WebhookSignature.Failure.stale) {
            try WebhookSignature.verify(secret: secret.revealed, body: r.body, timestamp: ts, signature: sig, now: Date(timeIntervalSince1970: Double(ts)! + 301))
        }
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(secret: secret.revealed, body: r.body + [0x20], timestamp: ts, signature: sig, now: Date(timeIntervalSince1970: Double(ts)!))
        }
        #expect(throws: WebhookSignature.Failure.malformed) {
            try WebhookSignature.verify(secret: secret.revealed, body: r.body, timestamp: ts, signature: "sha256=00", now: Date(timeIntervalSince1970: Double(ts)!))
        }
        // The same delivery id on every retry, so receivers can deduplicate.
        #expect(Set(transport.received.map { $0.headers[WebhookSignature.idHeader] ?? "" }).count == 1)
    }

    @Test("a 2xx marks the delivery done and writes it to the audit log")
    func delivered() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        let (flow, _) = try await s.create(VerificationRequest(profile: selfDeclaredProfile, webhookURL: "https://example.jp/h"), actor: "t")
        h.clock.advance(by: s.settings.flowLifetime)
        _ = try await s.expireDue()
        let transport = RecordingWebhookTransport(statuses: [204])
        let d = WebhookDispatcher(repository: h.store, transport: transport, secret: try h.keys.webhookSecret(), clock: h.clock, settings: s.settings)
        #expect(try await d.deliverDue() == 1)
        #expect(try await h.store.webhooks(for: flow.id).first?.status == .delivered)
        #expect(try await h.auditText().contains("webhook.delivered"))
        #expect(d.backoff(afterAttempts: 1) == 30 && d.backoff(afterAttempts: 2) == 60 && d.backoff(afterAttempts: 20) == 6 * 3600)
    }
}
