import Foundation
import HTTPTypes
import HonninCore
import HonninHTTP
import HonninProofing
import HonninTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The hosted verification page (`GET /verify/{id}?t=…`), through the router as a browser sees it.
@Suite("Hosted verification page")
struct HostedPagesTests {
    struct Flow {
        let id: String
        let token: String
        let methods: [String]
        var path: String { "/verify/\(id)?t=\(token)" }
    }

    static func create(_ client: any TestClientProtocol, _ h: APIHarness, _ body: [String: Any]) async throws -> Flow {
        let r = try await client.execute(uri: "/v1/verifications", method: .post, headers: h.jsonAuth, body: jsonBody(body))
        #expect(r.status == .created)
        let c = try json(r.body)
        let methods = try #require(c["allowed_methods"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        return Flow(id: try #require(c["id"] as? String), token: try flowToken(try #require(c["url"] as? String)), methods: methods)
    }

    static func page(_ client: any TestClientProtocol, _ uri: String, language: String? = nil) async throws -> (TestResponse, String) {
        var headers: HTTPFields = [:]
        if let language { headers[.acceptLanguage] = language }
        let r = try await client.execute(uri: uri, method: .get, headers: headers)
        return (r, String(buffer: r.body))
    }

    /// The `data-method` values of the method list, in document order.
    static func listedMethods(_ html: String) -> [String] {
        html.components(separatedBy: "<li class=\"method\" data-method=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    static var upload: [String: Any] { [
        "profile": VerificationAPITests.uploadProfile(), "requested_attributes": ["name", "birthdate", "address"],
        "return_url": "https://shop.example.jp/done?order=7",
    ] }

    @Test("lists only the flow's allowed methods, in rank order, with the catalogue's documents and times")
    func methodChoice() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            for profile in [VerificationAPITests.selfProfile(), VerificationAPITests.uploadProfile()] {
                let flow = try await Self.create(client, h, ["profile": profile, "requested_attributes": ["name", "birthdate", "address"]])
                let (r, html) = try await Self.page(client, flow.path)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(Self.listedMethods(html) == flow.methods)
                let others = ["self-declared", "document-upload"].filter { !flow.methods.contains($0) }
                for other in others { #expect(!html.contains("data-method=\"\(other)\"")) }
            }
            let flow = try await Self.create(client, h, Self.upload)
            #expect(flow.methods.contains("document-upload"))
            let (_, ja) = try await Self.page(client, flow.path)
            #expect(ja.contains("<html lang=\"ja\">"))
            for text in ["本人確認書類のアップロード", "運転免許証", "在留カード", "約30秒", "数時間〜数日（目視確認）", "氏名", "生年月日", "住所"] {
                #expect(ja.contains(text), "missing \(text)")
            }
            // English by query or by Accept-Language; the query wins.
            let (en, english) = try await Self.page(client, flow.path + "&lang=en", language: "ja")
            #expect(en.headers[.contentLanguage] == "en")
            for text in ["<html lang=\"en\">", "Document upload", "Driver&#39;s licence", "about 30 seconds", "hours to days (visual check)",
                "Date of birth", "Continue with this method"]
            {
                #expect(english.contains(text), "missing \(text)")
            }
            let (_, negotiated) = try await Self.page(client, flow.path, language: "en-GB,en;q=0.9")
            #expect(negotiated.contains("<html lang=\"en\">"))
        }
    }

    @Test("a missing or wrong token is a friendly 403 page, an unknown id a 404 page, in either language")
    func errors() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let flow = try await Self.create(client, h, Self.upload)
            let other = try await Self.create(client, h, Self.upload)
            for uri in ["/verify/\(flow.id)", "/verify/\(flow.id)?t=", "/verify/\(flow.id)?t=hvt_nope", "/verify/\(flow.id)?t=\(other.token)",
                "/verify/\(flow.id)?t=\(h.token)"]
            {
                let (r, html) = try await Self.page(client, uri)
                #expect(r.status == .forbidden, "\(uri)")
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.contains("このリンクは使えません"))
                #expect(!html.contains("<script"))
            }
            let (en, english) = try await Self.page(client, "/verify/\(flow.id)?lang=en")
            #expect(en.status == .forbidden && english.contains("This link cannot be used"))
            for uri in ["/verify/vfy_00000000000000000000000000?t=\(flow.token)", "/verify/nothing?t=\(flow.token)", "/verify/%3Cb%3E"] {
                let (r, html) = try await Self.page(client, uri)
                #expect(r.status == .notFound, "\(uri)")
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.contains("ページが見つかりません"))
                #expect(!html.contains("<b>"))
            }
            let (_, english404) = try await Self.page(client, "/verify/nothing", language: "en")
            #expect(english404.contains("Page not found"))
        }
    }

    @Test("strict CSP with a fresh nonce on the one script, camera for this origin only, never cached")
    func headers() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let flow = try await Self.create(client, h, Self.upload)
            var nonces: Set<String> = []
            for _ in 0..<2 {
                let (r, html) = try await Self.page(client, flow.path)
                let csp = try #require(r.headers[.contentSecurityPolicy])
                let directives = Dictionary(
                    uniqueKeysWithValues: csp.split(separator: ";").map {
                        let parts = $0.split(separator: " ", omittingEmptySubsequences: true)
                        return (String(parts[0]), parts.dropFirst().joined(separator: " "))
                    })
                #expect(directives["default-src"] == "'none'")
                #expect(directives["frame-ancestors"] == "'none'")
                #expect(directives["connect-src"] == "'self'")
                #expect(directives["form-action"] == "'self'")
                #expect(directives["img-src"] == "'self' blob: data:")
                #expect(directives["media-src"] == "'self' blob:")
                let script = try #require(directives["script-src"])
                #expect(script.hasPrefix("'nonce-") && !script.contains("unsafe"))
                let nonce = String(script.dropFirst("'nonce-".count).dropLast())
                #expect(nonce.count >= 22)
                // Every executable script carries the nonce; the data block is JSON, not script.
                let tags = html.components(separatedBy: "<script").dropFirst().map { String($0.prefix { $0 != ">" }) }
                #expect(tags.sorted() == [" nonce=\"\(nonce)\"", " type=\"application/json\" id=\"honnin-data\""])
                #expect(html.contains("<style nonce=\"\(nonce)\">"))
                nonces.insert(nonce)
                #expect(r.headers[HTTPField.Name("Permissions-Policy")!]?.contains("camera=(self)") == true)
                #expect(r.headers[.cacheControl] == "no-store")
                #expect(r.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                // The token is never written into the page: the script reads it from the address bar.
                #expect(!html.contains(flow.token))
            }
            #expect(nonces.count == 2)
        }
    }

    @Test("an expired flow shows that it expired, not the forms")
    func expired() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let flow = try await Self.create(client, h, Self.upload)
            h.harness.clock.advance(by: h.harness.verifications.settings.flowLifetime + 1)
            let (r, html) = try await Self.page(client, flow.path)
            #expect(r.status == .ok)
            #expect(html.contains("data-state=\"expired\"") && html.contains("有効期限が切れました"))
            #expect(Self.listedMethods(html).isEmpty)
            #expect(!html.contains("<script"))
            #expect(r.headers[.contentSecurityPolicy]?.contains("script-src") == false)
            // The way back carries the id and the status only, after the business's own query.
            #expect(html.contains("href=\"https://shop.example.jp/done?order=7&amp;verification_id=\(flow.id)&amp;status=expired\""))
        }
    }

    @Test("after submission the page shows the state and the way back, never the person's data")
    func outcomes() async throws {
        let h = try await APIHarness()
        let name = "山田 花子"
        let birthdate = "1990-04-01"
        let address = "東京都千代田区千代田1-1"
        let photo = try Data(contentsOf: documentPhoto).base64EncodedString()
        try await h.test { client in
            // Self-declaration: approved at once.
            let selfFlow = try await Self.create(
                client, h,
                ["profile": VerificationAPITests.selfProfile(), "requested_attributes": ["name", "birthdate"], "return_url": "http://localhost:9/back"])
            let person: HTTPFields = [.authorization: "Bearer \(selfFlow.token)", .contentType: "application/json"]
            let started = try json(
                try await client.execute(uri: "/v1/verifications/\(selfFlow.id)/methods/self-declared/start", method: .post, headers: person).body)
            // The page while a method is chosen still offers the methods (switching is allowed).
            #expect(Self.listedMethods(try await Self.page(client, selfFlow.path).1) == selfFlow.methods)
            let submitted = try await client.execute(
                uri: "/v1/verifications/\(selfFlow.id)/methods/self-declared/submit", method: .post, headers: person,
                body: jsonBody(["attempt": try #require(started["attempt"] as? String), "attributes": ["name": name, "birthdate": birthdate]]))
            #expect(try json(submitted.body)["status"] as? String == "approved")
            let (r, approved) = try await Self.page(client, selfFlow.path)
            #expect(r.status == .ok)
            #expect(approved.contains("data-state=\"approved\"") && approved.contains("本人確認が完了しました"))
            #expect(approved.contains("href=\"http://localhost:9/back?verification_id=\(selfFlow.id)&amp;status=approved\""))
            #expect(Self.listedMethods(approved).isEmpty)

            // Document upload: waits for review, with the catalogue's usual review time.
            let upload = try await Self.create(client, h, Self.upload)
            let uploader: HTTPFields = [.authorization: "Bearer \(upload.token)", .contentType: "application/json"]
            let plan = try json(
                try await client.execute(uri: "/v1/verifications/\(upload.id)/methods/document-upload/start", method: .post, headers: uploader).body)
            let done = try await client.execute(
                uri: "/v1/verifications/\(upload.id)/methods/document-upload/submit", method: .post, headers: uploader,
                body: jsonBody([
                    "attempt": try #require(plan["attempt"] as? String), "document_type": "passport", "images": ["front": photo],
                    "attributes": ["name": name, "birthdate": birthdate, "address": address],
                ]))
            #expect(try json(done.body)["status"] as? String == "needs_review")
            let (_, review) = try await Self.page(client, upload.path)
            #expect(review.contains("data-state=\"needs_review\"") && review.contains("数時間〜数日（目視確認）"))
            let (_, reviewEN) = try await Self.page(client, upload.path + "&lang=en")
            #expect(reviewEN.contains("This usually takes hours to days (visual check)."))

            for html in [approved, review, reviewEN] {
                for secret in [name, "山田", birthdate, address, selfFlow.token, upload.token] { #expect(!html.contains(secret)) }
            }
        }
        for secret in [name, birthdate, address] { #expect(!h.logs.text.contains(secret)) }
    }

    @Test("every text has both languages")
    func texts() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let flow = try await Self.create(client, h, Self.upload)
            let (_, ja) = try await Self.page(client, flow.path)
            let data = try #require(ja.components(separatedBy: "id=\"honnin-data\">").last?.components(separatedBy: "</script>").first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
            #expect(object["id"] as? String == flow.id && object["lang"] as? String == "ja")
            let text = try #require(object["text"] as? [String: String])
            #expect(text["submit"] == "送信する" && text.values.allSatisfy { !$0.isEmpty })
            #expect((object["methods"] as? [String: String])?["document-upload"] == "本人確認書類のアップロード")
        }
    }
}
