import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninCredentials
import HonninHTTP
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import HonninTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A browser's view of the console: keeps the cookie, reads the CSRF token off pages.
struct ConsoleBrowser {
    var cookie: String?

    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    var headers: HTTPFields {
        var h: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { h[.cookie] = cookie }
        return h
    }

    /// Password sign-in through the account API (what the account page does).
    mutating func signIn(_ client: some TestClientProtocol, _ username: String, _ password: String) async throws -> TestResponse {
        let r = try await client.execute(
            uri: "/auth/password/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["username": username, "password": password])))
        if let set = r.headers[.setCookie] { cookie = String(set.split(separator: ";")[0]) }
        return r
    }

    /// The authenticator-app code as the second factor, in the same session.
    mutating func secondFactor(_ client: some TestClientProtocol, code: String) async throws -> TestResponse {
        let session = try json(try await client.execute(uri: "/auth/session", method: .get, headers: [.cookie: try #require(cookie)]).body)
        let r = try await client.execute(
            uri: "/auth/totp/verify", method: .post,
            headers: [.cookie: try #require(cookie), .contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: try #require(session["csrf_token"] as? String)],
            body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["code": code])))
        if let set = r.headers[.setCookie] { cookie = String(set.split(separator: ";")[0]) }
        return r
    }

    static func csrf(_ html: String) throws -> String {
        let marker = "name=\"csrf\" value=\""
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }
}

func text(_ r: TestResponse) -> String { String(buffer: r.body) }

@Suite("Review console and records")
struct ReviewFlowTests {
    static let password = "correct horse battery staple"

    /// Gives a reviewer's account an authenticator app (as the reviewer would at /account).
    static func enrolTOTP(_ h: SQLiteHarness, _ username: String) async throws -> TOTP {
        let login = try await h.authn.passwordLogin(username: username, password: Redacted(password), context: nil, client: "test")
        let token = try #require(login.token)
        let context = try #require(try await h.authn.authenticate(token: token.revealed))
        let enrolment = try await h.authn.enrollTOTP(context: context)
        let totp = try TOTP(secret: Redacted(try Base32.decode(enrolment.secret.revealed)))
        _ = try await h.authn.verifyTOTP(code: try #require(totp.code(at: h.clock.now())), context: context)
        return totp
    }

    /// Creates an upload flow, submits a driver's licence, returns the flow id.
    static func uploadedFlow(_ h: APIHarness, _ client: some TestClientProtocol, reference: String = "order-1") async throws -> String {
        let profile: [String: Any] = [
            "id": "c2c-test", "name": ["ja": "テスト", "en": "Test"], "proofing_impact": ["financial": "low", "reputation": "low"],
            "personal_information_online": false,
        ]
        let c = try json(
            try await client.execute(
                uri: "/v1/verifications", method: .post, headers: h.jsonAuth,
                body: jsonBody([
                    "profile": profile, "requested_attributes": ["name", "age_over_20"], "reference": reference, "webhook_url": "https://example.jp/hook",
                ])
            ).body)
        let id = try #require(c["id"] as? String)
        let person: HTTPFields = [.authorization: "Bearer \(try flowToken(try #require(c["url"] as? String)))", .contentType: "application/json"]
        let started = try json(try await client.execute(uri: "/v1/verifications/\(id)/methods/document-upload/start", method: .post, headers: person).body)
        let photo = try Data(contentsOf: documentPhoto).base64EncodedString()
        let r = try await client.execute(
            uri: "/v1/verifications/\(id)/methods/document-upload/submit", method: .post, headers: person,
            body: jsonBody([
                "attempt": try #require(started["attempt"] as? String), "document_type": "drivers-license", "images": ["front": photo, "back": photo],
                "attributes": ["name": "山田 花子", "birthdate": "1990-04-01"],
            ]))
        #expect(try json(r.body)["status"] as? String == "needs_review")
        return id
    }

    @Test("the whole flow: create → upload → review approve → signed webhook → only requested attributes → record verified offline")
    func wholeFlow() async throws {
        let h = try await APIHarness()
        _ = try await h.harness.reviews.createReviewer(username: "reviewer.a", displayName: "審査 一郎", password: Redacted(Self.password), actor: "test")
        let totp = try await Self.enrolTOTP(h.harness, "reviewer.a")
        try await h.test { client in
            let id = try await Self.uploadedFlow(h, client)
            var browser = ConsoleBrowser()
            // Not signed in: redirected to the login page.
            let anonymous = try await client.execute(uri: "/console", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/console/login")
            #expect(try await client.execute(uri: "/console/cases/\(id)/images/front", method: .get).status == .seeOther)
            // The account API signs the reviewer in; a wrong password gets nothing.
            let wrong = try await browser.signIn(client, "reviewer.a", "not the password at all")
            #expect(wrong.status == .unauthorized && browser.cookie == nil)
            let ok = try await browser.signIn(client, "reviewer.a", Self.password)
            #expect(ok.status == .ok)
            let setCookie = try #require(ok.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"))
            #expect(setCookie.contains("Secure"))  // the harness's public URL is https
            // The password alone is AAL1: the console explains the step-up instead of opening.
            let aal1 = try await client.execute(uri: "/console", method: .get, headers: browser.headers)
            #expect(aal1.status == .forbidden && text(aal1).contains("AAL1") && text(aal1).contains("/account"))
            #expect(try await client.execute(uri: "/console/cases/\(id)/images/front", method: .get, headers: browser.headers).status == .forbidden)
            h.harness.clock.advance(by: 30)
            let stepped = try await browser.secondFactor(client, code: try #require(totp.code(at: h.harness.clock.now())))
            let steppedBody = try json(stepped.body)
            #expect(stepped.status == .ok && steppedBody["aal"] as? Int == 2)

            let queue = try await client.execute(uri: "/console", method: .get, headers: browser.headers)
            #expect(queue.status == .ok && text(queue).contains(id))
            #expect(queue.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            let casePage = try await client.execute(uri: "/console/cases/\(id)", method: .get, headers: browser.headers)
            let html = text(casePage)
            #expect(html.contains("山田 花子") && html.contains("1990-04-01") && html.contains("/console/cases/\(id)/images/back"))
            #expect(html.contains("運転免許証"))
            let image = try await client.execute(uri: "/console/cases/\(id)/images/front", method: .get, headers: browser.headers)
            #expect(image.status == .ok && image.headers[.contentType] == "image/jpeg" && image.headers[.cacheControl] == "no-store")
            let csrf = try ConsoleBrowser.csrf(html)
            let checklist = DocumentProfile.all["drivers-license"]!.checklist.map { ("checklist", $0.id) }

            // No CSRF token: refused. Incomplete checklist, missing number: the page says why.
            let noCSRF = try await client.execute(
                uri: "/console/cases/\(id)/decision", method: .post, headers: browser.headers, body: ConsoleBrowser.form([("verdict", "approve")] + checklist))
            try expectProblem(noCSRF, .forbidden, "csrf_failed")
            let partial = try await client.execute(
                uri: "/console/cases/\(id)/decision", method: .post, headers: browser.headers,
                body: ConsoleBrowser.form([("csrf", csrf), ("verdict", "approve"), ("document_number", "123456789012")] + checklist.dropLast()))
            #expect(partial.status == .unprocessableContent && text(partial).contains("確認項目をすべて確認してください"))
            let withPrefix = try await client.execute(
                uri: "/console/cases/\(id)/decision", method: .post, headers: browser.headers,
                body: ConsoleBrowser.form([("csrf", csrf), ("verdict", "approve"), ("document_number", "第012345678900号")] + checklist))
            #expect(withPrefix.status == .unprocessableContent && text(withPrefix).contains("「第」「号」は不要"))
            let noNumber = try await client.execute(
                uri: "/console/cases/\(id)/decision", method: .post, headers: browser.headers, body: ConsoleBrowser.form([("csrf", csrf), ("verdict", "approve")] + checklist))
            #expect(noNumber.status == .unprocessableContent && text(noNumber).contains("書類の番号を入力してください"))
            let done = try await client.execute(
                uri: "/console/cases/\(id)/decision", method: .post, headers: browser.headers,
                body: ConsoleBrowser.form([("csrf", csrf), ("verdict", "approve"), ("document_number", "０１２３４５６７８９００")] + checklist))
            #expect(done.status == .seeOther)

            // The webhook, delivered and signed.
            let transport = RecordingWebhookTransport()
            let secret = try h.harness.keys.webhookSecret()
            let dispatcher = WebhookDispatcher(
                repository: h.harness.store, transport: transport, secret: secret, clock: h.harness.clock, settings: h.harness.verifications.settings)
            try await dispatcher.deliverDue()
            #expect(transport.received.map { (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])?["type"] as? String } == [
                "verification.needs_review", "verification.approved",
            ])
            let hook = try #require(transport.received.last)
            try WebhookSignature.verify(
                secret: secret.revealed, body: hook.body, timestamp: try #require(hook.headers[WebhookSignature.timestampHeader]),
                signature: try #require(hook.headers[WebhookSignature.signatureHeader]), now: h.harness.clock.now())

            // Only the requested attributes: the name and the age flag, not the birth date.
            let got = try json(try await client.execute(uri: "/v1/verifications/\(id)", method: .get, headers: h.auth).body)
            #expect(got["status"] as? String == "approved" && got["ial_reached"] as? Int == 2)
            let attributes = try #require(got["attributes"] as? [String: Any])
            #expect(Set(attributes.keys) == ["name", "age_over_20"] && attributes["name"] as? String == "山田 花子")
            let recordID = try #require(got["record_id"] as? String)

            // The record, exported and checked offline with the server's public key only.
            let exported = try await client.execute(uri: "/v1/records/\(recordID)", method: .get, headers: h.auth)
            #expect(exported.status == .ok)
            let e = try json(exported.body)
            let jws = try #require(e["jws"] as? String)
            let (record, kid) = try RecordSignature.verify(jws, keys: [try h.harness.keys.auditSigningKey().publicKey])
            #expect(kid == (try h.harness.keys.auditSigningKey().id.rawValue))
            #expect(record.document?.type == "drivers-license" && record.document?.number == "012345678900")
            #expect(record.method == "document-upload" && record.ial == 2 && record.reference == "order-1" && record.outcome == "approved")
            #expect(record.attributes?["birthdate"] == "1990-04-01" && record.reviews.count == 1)
            #expect(record.evidence?.sha256.keys.sorted() == ["attributes", "image.back", "image.front"])
            // A tampered record fails.
            var parts = jws.split(separator: ".").map(String.init)
            let payload = String(decoding: Bytes.fromBase64URL(parts[1])!, as: UTF8.self).replacingOccurrences(of: "012345678900", with: "012345678901")
            parts[1] = Bytes.base64URL(Array(payload.utf8))
            #expect(throws: RecordSignature.Failure.badSignature) {
                try RecordSignature.verify(parts.joined(separator: "."), keys: [try h.harness.keys.auditSigningKey().publicKey])
            }
            // Written to a file, `honnin records verify` can check it (see the CLI tests); here the JSON is kept for them.
            #expect(e["record"] != nil)
        }
        let audit = try await h.harness.auditText()
        for action in ["auth.failed", "session.created", "session.factor_added", "review.case_opened", "verification.approved", "record.exported"] {
            #expect(audit.contains(action), "\(action)")
        }
        for secret in ["山田", "1990-04-01", "012345678900", Self.password] { #expect(!audit.contains(secret)) }
        for secret in ["山田", "1990-04-01", "012345678900", Self.password] { #expect(!h.logs.text.contains(secret)) }
    }

    @Test("four-eyes: a first approval waits for a different reviewer; rejection needs a reason")
    func fourEyes() async throws {
        let h = try await SQLiteHarness(review: ReviewSettings(fourEyes: true))
        defer { h.remove() }
        let a = try await h.reviews.createReviewer(username: "alice", displayName: "A", password: Redacted(Self.password), actor: "t")
        let b = try await h.reviews.createReviewer(username: "bob", displayName: "B", password: Redacted(Self.password), actor: "t")
        let s = h.verifications
        let profile = ServiceProfile(
            id: "up", name: BilingualText(ja: "u", en: "u"), proofing_impact: ImpactProfile(reputation: .low, financial: .low),
            personal_information_online: false, attributes: ["name"])
        func uploaded(document: String = "passport") async throws -> HonninID {
            let (flow, token) = try await s.create(VerificationRequest(profile: profile), actor: "t")
            let person = FlowCaller.person(token: token.revealed)
            let (_, plan) = try await s.start(flow.id, method: "document-upload", caller: person)
            let photo = try Data(contentsOf: documentPhoto).base64EncodedString()
            let body = try JSONSerialization.data(withJSONObject: [
                "attempt": plan.attempt.nonce, "document_type": document, "images": ["front": photo], "attributes": ["name": "Jane Roe"],
            ])
            #expect(try await s.submit(flow.id, method: "document-upload", body: body, caller: person, idempotencyKey: nil).state == .needsReview)
            return flow.id
        }
        let id = try await uploaded()
        let checklist = DocumentProfile.all["passport"]!.checklist.map(\.id)
        let first = try await h.reviews.decide(id, by: a, verdict: .approve, reasons: [], checklist: checklist, documentNumber: "TK1234567")
        #expect(first.state == .needsReview && first.review.pendingApproval?.reviewer == a.id)
        #expect(try await h.reviews.queue().first?.awaitingSecondReview == true)
        let same = await #expect(throws: RequestError.self) {
            try await h.reviews.decide(id, by: a, verdict: .approve, reasons: [], checklist: checklist, documentNumber: nil)
        }
        #expect(same?.code == "second_reviewer_required")
        let second = try await h.reviews.decide(id, by: b, verdict: .approve, reasons: [], checklist: checklist, documentNumber: nil)
        #expect(second.state == .approved && second.review.decisions.map(\.reviewer) == [a.id, b.id])
        let entry = try #require(try await h.store.record(forVerification: id))
        let (_, record, _) = try await h.records.export(entry.id, actor: "t")
        #expect(record.document?.number == "TK1234567")  // from the first reviewer, sealed meanwhile

        // A My Number Card's number is never recorded, whatever is typed.
        let card = try await uploaded(document: "my-number-card")
        let refused = await #expect(throws: RequestError.self) {
            try await h.reviews.decide(
                card, by: a, verdict: .approve, reasons: [], checklist: DocumentProfile.all["my-number-card"]!.checklist.map(\.id), documentNumber: "123456789012")
        }
        #expect(refused?.code == "individual_number_refused")
        // Cancelling a case crypto-shreds its evidence.
        let cancelled = try await s.cancel(card, actor: "t")
        #expect(try await h.vault.repository.fetch(try #require(cancelled.evidence)) == .erased(id: cancelled.evidence!, at: h.clock.now()))

        let other = try await uploaded()
        let noReason = await #expect(throws: RequestError.self) {
            try await h.reviews.decide(other, by: a, verdict: .reject, reasons: [], checklist: [], documentNumber: nil)
        }
        #expect(noReason?.code == "reason_required")
        let rejected = try await h.reviews.decide(other, by: a, verdict: .reject, reasons: ["not_genuine"], checklist: [], documentNumber: nil)
        #expect(rejected.state == .rejected && rejected.result?.code == "not_genuine")
        let rejectedRecord = try #require(try await h.store.record(forVerification: other))
        let (_, r2, _) = try await h.records.export(rejectedRecord.id, actor: "t")
        #expect(r2.attributes == nil && r2.outcome == "rejected")
    }

    @Test("retention: relationship end starts the clock; purge crypto-shreds record, evidence and attributes; legal holds need override")
    func retention() async throws {
        let h = try await SQLiteHarness()
        defer { h.remove() }
        let s = h.verifications
        // An AML profile whose retention counts from the end of the relationship, allowing self-declaration for the test.
        let profile = ServiceProfile(
            id: "aml-test", name: BilingualText(ja: "t", en: "t"), self_asserted_acceptable: true, personal_information_online: false,
            attributes: ["name"], retention: Retention(basis: .relationshipEnd, days: 2557))
        let (flow, token) = try await s.create(VerificationRequest(profile: profile), actor: "t")
        let person = FlowCaller.person(token: token.revealed)
        let (_, plan) = try await s.start(flow.id, method: "self-declared", caller: person)
        let done = try await s.submit(
            flow.id, method: "self-declared", body: try JSONSerialization.data(withJSONObject: ["attempt": plan.attempt.nonce, "attributes": ["name": "山田 太郎"]]),
            caller: person, idempotencyKey: nil)
        let entry = try #require(try await h.store.record(forVerification: done.id))
        #expect(entry.expiresAt == nil)
        #expect(try await h.records.purgeExpired(actor: "t") == 0)
        // Ended today (1 January 2027 in Japan): kept until 2557 days after that day began.
        let ended = try await h.records.relationshipEnded(entry.id, on: CalendarDate(year: 2027, month: 1, day: 1)!, actor: "t")
        #expect(ended.expiresAt == Date(timeIntervalSince1970: 1_798_761_600 - 9 * 3600 + 2557 * 86_400))
        let future = await #expect(throws: RequestError.self) {
            try await h.records.relationshipEnded(entry.id, on: CalendarDate(year: 2027, month: 1, day: 2)!, actor: "t")
        }
        #expect(future?.code == "future_date")
        h.clock.advance(by: 2556 * 86_400)
        #expect(try await h.records.purgeExpired(actor: "t") == 0)
        h.clock.advance(by: 86_400)
        var progress: [Int] = []
        #expect(try await h.records.purgeExpired(actor: "t") { done, _ in progress.append(done) } == 1)
        #expect(progress == [1])
        let erased = await #expect(throws: RequestError.self) { try await h.records.export(entry.id, actor: "t") }
        #expect(erased?.code == "record_erased")
        #expect(try await h.vault.repository.fetch(try #require(done.evidence)) == .erased(id: done.evidence!, at: h.clock.now()))
        #expect(try await h.vault.repository.fetch(try #require(done.result?.attributesRecord)) == .erased(id: done.result!.attributesRecord!, at: h.clock.now()))
        // The flow remains (no personal data in it), and discloses nothing any more.
        #expect(try await s.disclosedAttributes(try await s.find(done.id)) == nil)

        // A legal retention blocks erasure on request unless overridden.
        let (f2, t2) = try await s.create(VerificationRequest(profile: profile), actor: "t")
        let (_, p2) = try await s.start(f2.id, method: "self-declared", caller: .person(token: t2.revealed))
        _ = try await s.submit(
            f2.id, method: "self-declared", body: try JSONSerialization.data(withJSONObject: ["attempt": p2.attempt.nonce, "attributes": ["name": "x"]]),
            caller: .person(token: t2.revealed), idempotencyKey: nil)
        let e2 = try #require(try await h.store.record(forVerification: f2.id))
        let held = await #expect(throws: RequestError.self) { try await h.records.erase(e2.id, actor: "t", reason: "data_subject_request") }
        #expect(held?.code == "legal_retention")
        #expect(try await h.records.erase(e2.id, actor: "t", reason: "data_subject_request", override: true).erasedAt != nil)
        #expect(try await h.auditText().contains("record.erased"))
    }
}
