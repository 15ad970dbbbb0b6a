import Foundation
import HTTPTypes
import HonninCore
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

/// A JSON body with sorted keys, so the same object gives the same bytes (as a client's retry does).
func jsonBody(_ object: Any) -> ByteBuffer { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) }

/// The flow token from a hosted URL.
func flowToken(_ url: String) throws -> String {
    try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "t" }?.value)
}

let facePhoto = sharedData("faces/obama.jpg")

@Suite("Verification API")
struct VerificationAPITests {
    static func selfProfile() -> [String: Any] { [
        "id": "test-self", "name": ["ja": "テスト", "en": "Test"], "self_asserted_acceptable": true, "personal_information_online": false,
    ] }
    static func uploadProfile() -> [String: Any] { [
        "id": "test-upload", "name": ["ja": "アップロード", "en": "Upload"], "proofing_impact": ["financial": "low", "reputation": "low"],
        "personal_information_online": false,
    ] }

    @Test("self-declaration through the API: create → start (flow token) → submit → GET shows only what was asked")
    func selfDeclared() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let created = try await client.execute(
                uri: "/v1/verifications", method: .post, headers: h.jsonAuth,
                body: jsonBody(["profile": Self.selfProfile(), "requested_attributes": ["name", "age_over_18"], "reference": "user-7", "locale": "en"]))
            #expect(created.status == .created)
            let c = try json(created.body)
            let id = try #require(c["id"] as? String)
            #expect(created.headers[.location] == "/v1/verifications/\(id)")
            let url = try #require(c["url"] as? String)
            #expect(url.hasPrefix("https://verify.example.jp/verify/\(id)?t=hvt_"))
            let methods = try #require(c["allowed_methods"] as? [[String: Any]])
            #expect(methods.first?["id"] as? String == "self-declared")
            #expect((c["required"] as? [String: Int])?["ial"] == 1)

            let token = try flowToken(url)
            let person: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let started = try await client.execute(uri: "/v1/verifications/\(id)/methods/self-declared/start", method: .post, headers: person)
            #expect(started.status == .ok)
            let attempt = try #require(try json(started.body)["attempt"] as? String)
            let submitted = try await client.execute(
                uri: "/v1/verifications/\(id)/methods/self-declared/submit", method: .post, headers: person,
                body: jsonBody(["attempt": attempt, "attributes": ["name": "Jane Roe", "birthdate": "2001-05-06"]]))
            #expect(submitted.status == .ok)
            let s = try json(submitted.body)
            #expect(s["status"] as? String == "approved")
            #expect(s["attributes"] == nil || s["attributes"] is NSNull)

            // The person's token cannot read the result; the business's key can.
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(id)", method: .get, headers: person), .unauthorized, "invalid_api_key")
            let got = try json(try await client.execute(uri: "/v1/verifications/\(id)", method: .get, headers: h.auth).body)
            let attributes = try #require(got["attributes"] as? [String: Any])
            #expect(attributes.count == 2 && attributes["name"] as? String == "Jane Roe")
            #expect(String(decoding: try JSONSerialization.data(withJSONObject: attributes, options: .sortedKeys), as: UTF8.self).contains("\"age_over_18\":true"))
            #expect(got["ial_reached"] as? Int == 1 && got["method"] as? String == "self-declared")

            let listed = try json(try await client.execute(uri: "/v1/verifications?status=approved&reference=user-7", method: .get, headers: h.auth).body)
            #expect((listed["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            try expectProblem(try await client.execute(uri: "/v1/verifications?status=done", method: .get, headers: h.auth), .unprocessableContent, "validation_failed")
        }
        let logs = h.logs.text
        for secret in ["Jane Roe", "2001-05-06"] { #expect(!logs.contains(secret)) }
    }

    @Test("document upload: images decoded and stripped, the flow waits for review, a webhook is queued")
    func upload() async throws {
        let h = try await APIHarness()
        let photo = try Data(contentsOf: facePhoto).base64EncodedString()
        try await h.test { client in
            let c = try json(
                try await client.execute(
                    uri: "/v1/verifications", method: .post, headers: h.jsonAuth,
                    body: jsonBody(["profile": Self.uploadProfile(), "requested_attributes": ["name", "address"], "webhook_url": "https://example.jp/hook"])
                ).body)
            let id = try #require(c["id"] as? String)
            let methods = try #require(c["allowed_methods"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(methods.contains("document-upload"))
            #expect(!methods.contains("self-declared"))
            let person: HTTPFields = [.authorization: "Bearer \(try flowToken(try #require(c["url"] as? String)))", .contentType: "application/json"]
            let started = try json(
                try await client.execute(uri: "/v1/verifications/\(id)/methods/document-upload/start", method: .post, headers: person).body)
            let plan = try #require(started["plan"] as? [String: Any])
            #expect(plan["kind"] as? String == "capture")
            let attempt = try #require(started["attempt"] as? String)
            let attributes = ["name": "山田 花子", "address": "東京都千代田区千代田1-1"]
            func submit(_ body: [String: Any], key: String? = nil) async throws -> TestResponse {
                var headers = person
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                return try await client.execute(
                    uri: "/v1/verifications/\(id)/methods/document-upload/submit", method: .post, headers: headers, body: jsonBody(body))
            }
            // Refusals, each naming the member, none storing anything.
            let refusals: [([String: Any], String, String)] = [
                (["attempt": attempt, "document_type": "library-card", "images": [:], "attributes": attributes], "unsupported_document", "document_type"),
                (["attempt": attempt, "document_type": "my-number-card", "images": ["front": photo, "back": photo], "attributes": attributes], "my_number_back_refused", "images.back"),
                (["attempt": attempt, "document_type": "drivers-license", "images": ["front": photo], "attributes": attributes], "image_missing", "images.back"),
                (["attempt": attempt, "document_type": "drivers-license", "images": ["front": Data("GIF89a....".utf8).base64EncodedString(), "back": photo], "attributes": attributes], "image_unsupported_format", "images.front"),
                (["attempt": attempt, "document_type": "passport", "images": ["front": String(photo.prefix(photo.count / 2))], "attributes": attributes], "image_truncated", "images.front"),
                (["attempt": attempt, "document_type": "passport", "images": ["front": "***"], "attributes": attributes], "malformed_evidence", "images.front"),
                (["attempt": attempt, "document_type": "passport", "images": ["front": photo], "attributes": ["name": "山田 花子"]], "attribute_missing", "attributes.address"),
            ]
            for (body, code, member) in refusals {
                let r = try await submit(body)
                try expectProblem(r, .unprocessableContent, code)
                #expect(try json(r.body)["member"] as? String == member, "\(code)")
            }
            let before: VerificationFlow? = try await h.harness.store.find(HonninID(trusted: id))
            #expect(before?.state == .methodChosen && before?.evidence == nil)

            let good: [String: Any] = ["attempt": attempt, "document_type": "drivers-license", "images": ["front": photo, "back": photo], "attributes": attributes]
            let done = try await submit(good, key: "retry-1")
            #expect(done.status == .ok)
            #expect(try json(done.body)["status"] as? String == "needs_review")
            // A network retry with the same key is harmless; without it the attempt is spent.
            let again = try await submit(good, key: "retry-1")
            #expect(again.status == .ok)
            #expect(try json(again.body)["status"] as? String == "needs_review")
            try expectProblem(try await submit(good), .conflict, "challenge_reused")

            let hooks = try json(try await client.execute(uri: "/v1/verifications/\(id)/webhooks", method: .get, headers: h.auth).body)
            #expect((hooks["items"] as? [[String: Any]])?.map { $0["event"] as? String } == ["verification.needs_review"])
        }
        // The stored images are the stripped ones, sealed; the summary says what was removed.
        let flows = try await h.harness.store.list(FlowQuery())
        let flow = try #require(flows.first)
        #expect(flow.evidenceSummary["document_type"] == "drivers-license")
        let evidence = try await h.harness.vault.open(try #require(flow.evidence))
        let front = try #require(evidence["image.front"]).revealed
        #expect(Array(front.prefix(2)) == [0xFF, 0xD8])
        #expect(!front.contains(subsequence: Array("Exif\0\0".utf8)))
        let db = fileBytes(h.harness.directory.url.appendingPathComponent("honnin.sqlite").path)
        #expect(!db.contains(subsequence: Array(front.prefix(64).suffix(32))))
    }

    @Test("wrong credentials, wrong states, expiry, oversize and truncated bodies are clear 4xx problems")
    func negatives() async throws {
        let h = try await APIHarness(maxSubmission: 64 * 1024)
        try await h.test { client in
            func create() async throws -> (String, HTTPFields) {
                let c = try json(
                    try await client.execute(uri: "/v1/verifications", method: .post, headers: h.jsonAuth, body: jsonBody(["profile": Self.selfProfile(), "requested_attributes": ["name"]])).body)
                let token = try flowToken(try #require(c["url"] as? String))
                return (try #require(c["id"] as? String), [.authorization: "Bearer \(token)", .contentType: "application/json"])
            }
            let (a, personA) = try await create()
            let (b, _) = try await create()
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(b)/methods/self-declared/start", method: .post, headers: personA), .forbidden, "invalid_flow_token")
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/start", method: .post), .unauthorized, "missing_api_key")
            try expectProblem(
                try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/start", method: .post, headers: [.authorization: "Bearer hvt_nope"]), .forbidden, "invalid_flow_token")
            try expectProblem(try await client.execute(uri: "/v1/verifications/vfy_nope/methods/self-declared/start", method: .post, headers: personA), .notFound, "verification_not_found")
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(a)/methods/photo-selfie/start", method: .post, headers: personA), .unprocessableContent, "method_not_allowed")
            // Submit before start.
            try expectProblem(
                try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: personA, body: jsonBody(["attempt": "x"])),
                .conflict, "wrong_state")
            let attempt = try #require(
                try json(try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/start", method: .post, headers: personA).body)["attempt"] as? String)
            // Truncated JSON, wrong media type, oversize.
            try expectProblem(
                try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: personA, body: ByteBuffer(string: "{\"attempt\": \"\(attempt)\", \"attri")),
                .badRequest, "malformed_json")
            try expectProblem(
                try await client.execute(uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: [.authorization: personA[.authorization]!, .contentType: "text/plain"], body: ByteBuffer(string: "{}")),
                .unsupportedMediaType, "unsupported_media_type")
            try expectProblem(
                try await client.execute(
                    uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: personA,
                    body: jsonBody(["attempt": attempt, "attributes": ["name": String(repeating: "x", count: 70_000)]])),
                .contentTooLarge, "payload_too_large")
            let ok = try await client.execute(
                uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: personA,
                body: jsonBody(["attempt": attempt, "attributes": ["name": "A"]]))
            #expect(ok.status == .ok)
            // Double submit, and cancelling a finished flow.
            try expectProblem(
                try await client.execute(
                    uri: "/v1/verifications/\(a)/methods/self-declared/submit", method: .post, headers: personA,
                    body: jsonBody(["attempt": attempt, "attributes": ["name": "A"]])), .conflict, "challenge_reused")
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(a)/cancel", method: .post, headers: h.auth), .conflict, "wrong_state")
            // Expiry.
            let (c, personC) = try await create()
            h.harness.clock.advance(by: h.harness.verifications.settings.flowLifetime + 1)
            try expectProblem(try await client.execute(uri: "/v1/verifications/\(c)/methods/self-declared/start", method: .post, headers: personC), .gone, "verification_expired")
            #expect(try json(try await client.execute(uri: "/v1/verifications/\(c)", method: .get, headers: h.auth).body)["status"] as? String == "expired")
        }
    }
}
