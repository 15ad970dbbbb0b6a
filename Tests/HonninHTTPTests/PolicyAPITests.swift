import Foundation
import HTTPTypes
import HonninPolicy
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Policy API and designer page")
struct PolicyAPITests {
    @Test("GET /v1/methods returns the catalogue; POST /v1/policy/assessments assesses a preset or a profile")
    func api() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            try expectProblem(try await client.execute(uri: "/v1/methods", method: .get), .unauthorized, "missing_api_key")
            let methods = try await client.execute(uri: "/v1/methods", method: .get, headers: h.auth)
            #expect(methods.status == .ok)
            #expect((try json(methods.body)["proofing"] as? [[String: Any]])?.count == 7)

            let preset = try await client.execute(
                uri: "/v1/policy/assessments", method: .post, headers: h.jsonAuth, body: ByteBuffer(string: "{\"preset\":\"jfa-age\"}"))
            #expect(preset.status == .ok)
            let body = try json(preset.body)
            let required = try #require(body["required"] as? [String: Any])
            #expect(required["ial"] as? Int == 2 && required["aal"] as? Int == 1)
            #expect(required["ial_rule"] as? String == "jfa-2023")
            let first = try #require((body["methods"] as? [[String: Any]])?.first)
            #expect(first["id"] as? String == "jpki-signature")
            #expect((first["reason"] as? [String: String])?["ja"]?.contains("即時判定") == true)

            let profile = """
                {"profile": {"id": "shop", "name": {"ja": "店", "en": "Shop"}, "obligations": {"aml": true}, "date": "2027-04-01"}}
                """
            let custom = try await client.execute(
                uri: "/v1/policy/assessments", method: .post, headers: h.jsonAuth, body: ByteBuffer(string: profile))
            #expect(custom.status == .ok)
            let ids = (try json(custom.body)["methods"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["jpki-signature", "ic-chip"])

            for bad in ["{}", "{\"preset\":\"nope\"}", "{\"preset\":\"jfa-age\",\"profile\":{\"id\":\"x\",\"name\":{\"ja\":\"a\",\"en\":\"b\"}}}",
                        "{\"profile\":{\"id\":\"x\"}}", "{\"profile\":{\"id\":\"x\",\"name\":{\"ja\":\"a\",\"en\":\"b\"},\"proofing_impact\":{\"safety\":\"huge\"}}}"] {
                let r = try await client.execute(uri: "/v1/policy/assessments", method: .post, headers: h.jsonAuth, body: ByteBuffer(string: bad))
                try expectProblem(r, .unprocessableContent, "validation_failed")
            }
        }
    }

    @Test("the designer page renders questions and results in Japanese and English, and the profile downloads")
    func page() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let empty = try await client.execute(uri: "/policy", method: .get)
            #expect(empty.status == .ok)
            #expect(empty.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: empty.body)
            #expect(html.contains("本人確認ポリシー設計") && html.contains("<form") && !html.contains("判定結果"))

            let jfa = String(buffer: try await client.execute(uri: "/policy?preset=jfa-age", method: .get).body)
            #expect(jfa.contains("判定結果") && jfa.contains("<b>IAL2</b>") && jfa.contains("<b>AAL1</b>"))
            #expect(jfa.contains("公的個人認証（署名用電子証明書）"))

            let en = String(buffer: try await client.execute(
                uri: "/policy?submitted=1&lang=en&aml=on&needs_pi=on&pi_online=on&nfc=on&pin=on&review=on&date=2027-04-01&p_legal=moderate",
                method: .get).body)
            #expect(en.contains("<html lang=\"en\">") && en.contains("<b>IAL2</b>") && en.contains("<b>AAL2</b>"))
            #expect(en.contains("Not valid for AML-obliged businesses from 2027-04-01"))

            // Input is escaped, never reflected as markup.
            let hostile = String(buffer: try await client.execute(uri: "/policy?submitted=1&date=%3Cscript%3E", method: .get).body)
            #expect(!hostile.contains("<script>"))

            let download = try await client.execute(uri: "/policy/profile.json?preset=jfa-age", method: .get)
            #expect(download.headers[.contentDisposition]?.contains("attachment") == true)
            let profile = try Presets.load(Data(download.body.readableBytesView), name: "download")
            #expect(profile.id == "jfa-age" && profile.sector_rules.first?.ial == .ial2)
        }
    }
}
