import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninHTTP
import HonninPolicy
import HonninStore
import HonninTesting
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing

/// An application over a SQLite store in a temporary directory with one API key, and the
/// captured logs.
struct APIHarness {
    let harness: SQLiteHarness
    let token: String
    let keyID: HonninID
    let logs = LogCapture()
    let ready: Bool
    let maxSubmission: Int

    init(ready: Bool = true, maxSubmission: Int = 8 << 20, authnSettings: AuthnSettings = AuthnSettings()) async throws {
        harness = try await SQLiteHarness(authnSettings: authnSettings)
        let (key, token) = try await harness.apiKeys.create(name: "テスト backend", actor: "test")
        self.token = token.revealed
        self.keyID = key.id
        self.ready = ready
        self.maxSubmission = maxSubmission
    }

    var services: HonninServices {
        let ready = self.ready
        var services = HonninServices(
            apiKeys: harness.apiKeys, vault: harness.vault, readiness: { ready }, metrics: PrometheusCollectorRegistry(),
            policy: harness.policy, verifications: harness.verifications, reviews: harness.reviews, records: harness.records, today: { "2026-11-29" }, maxBodyBytes: 4096,
            maxSubmissionBytes: maxSubmission)
        services.authn = harness.authn
        return services
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(services, host: "127.0.0.1", port: 0, logger: logs.logger())
        try await app.test(.router, body)
    }

    var auth: HTTPFields { [.authorization: "Bearer \(token)"] }
    var jsonAuth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
}

func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    let data = Data(buffer.readableBytesView)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// Asserts an RFC 9457 problem response with the given status and code.
func expectProblem(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    let body = try json(response.body)
    #expect(body["code"] as? String == code, sourceLocation: sourceLocation)
    #expect(body["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
    #expect(body["type"] as? String == "urn:honnin:problem:\(code)", sourceLocation: sourceLocation)
    #expect((body["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
}

@Suite("HTTP API")
struct APITests {
    @Test("health, readiness, metrics and the OpenAPI document answer without a key")
    func operational() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(try json(health.body)["status"] as? String == "ok")
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let doc = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(try json(doc.body)["openapi"] as? String == "3.1.0")
        }
        let down = try await APIHarness(ready: false)
        try await down.test { client in
            try expectProblem(try await client.execute(uri: "/readyz", method: .get), .serviceUnavailable, "not_ready")
        }
    }

    @Test("whoami answers the calling key's id and name")
    func whoami() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let r = try await client.execute(uri: "/v1/whoami", method: .get, headers: h.auth)
            #expect(r.status == .ok)
            let body = try json(r.body)
            #expect(body["id"] as? String == h.keyID.rawValue)
            #expect(body["name"] as? String == "テスト backend")
        }
    }

    @Test("missing, malformed, unknown and revoked keys get 401 problem+json with stable codes")
    func unauthorized() async throws {
        let h = try await APIHarness()
        let (other, otherToken) = try await h.harness.apiKeys.create(name: "revoked", actor: "t")
        _ = try await h.harness.apiKeys.revoke(other.id, actor: "t")
        let forged = "hnn_" + h.keyID.rawValue.dropFirst(4) + "_" + String(repeating: "A", count: 43)
        try await h.test { client in
            let missing = try await client.execute(uri: "/v1/whoami", method: .get)
            try expectProblem(missing, .unauthorized, "missing_api_key")
            #expect(missing.headers[.xContentTypeOptions] == "nosniff")
            #expect(missing.headers[.cacheControl] == "no-store")
            #expect(missing.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            for header in ["Basic abc", "Bearer", "Bearer nope", "Bearer \(forged)", "Bearer \(otherToken.revealed)", "Token \(h.token)"] {
                let r = try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: header])
                try expectProblem(r, .unauthorized, "invalid_api_key")
            }
            for (method, uri) in [(HTTPRequest.Method.post, "/v1/vault/records"), (.get, "/v1/vault/records/vlt_00000000000000000000000000")] {
                try expectProblem(try await client.execute(uri: uri, method: method), .unauthorized, "missing_api_key")
            }
        }
    }

    @Test("client errors are problem+json 4xx, never 500")
    func clientErrors() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let post = { (body: String, headers: HTTPFields) in
                try await client.execute(uri: "/v1/vault/records", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            try expectProblem(try await post("{\"fields\": {", h.jsonAuth), .badRequest, "malformed_json")
            try expectProblem(try await post("", h.jsonAuth), .badRequest, "malformed_json")
            try expectProblem(try await post("\u{FF}\u{FE}", h.jsonAuth), .badRequest, "malformed_json")
            try expectProblem(try await post("{\"fields\":{\"a\":\"b\"}}", h.auth), .unsupportedMediaType, "unsupported_media_type")
            var textPlain = h.auth
            textPlain[.contentType] = "text/plain"
            try expectProblem(try await post("{\"fields\":{\"a\":\"b\"}}", textPlain), .unsupportedMediaType, "unsupported_media_type")
            let big = "{\"fields\":{\"a\":\"" + String(repeating: "x", count: 5000) + "\"}}"
            try expectProblem(try await post(big, h.jsonAuth), .contentTooLarge, "payload_too_large")
            for body in [
                "[]", "{}", "{\"fields\": []}", "{\"fields\": {}}", "{\"fields\": {\"a\": 1}}", "{\"fields\": {\"Name\": \"x\"}}",
                "{\"fields\": {\"1a\": \"x\"}}", "{\"fields\": {\"a-b\": \"x\"}}", "{\"fields\": null}", "\"text\"",
            ] {
                try expectProblem(try await post(body, h.jsonAuth), .unprocessableContent, "validation_failed")
            }
            try expectProblem(try await client.execute(uri: "/no/such/route", method: .get), .notFound, "not_found")
            try expectProblem(try await client.execute(uri: "/v1", method: .get), .notFound, "not_found")
            let wrongMethod = try await client.execute(uri: "/healthz", method: .post)
            try expectProblem(wrongMethod, .methodNotAllowed, "method_not_allowed")
            #expect(wrongMethod.headers[.allow] == "GET")
            let wrongMethod2 = try await client.execute(uri: "/v1/vault/records/vlt_x", method: .put, headers: h.auth)
            try expectProblem(wrongMethod2, .methodNotAllowed, "method_not_allowed")
            #expect(wrongMethod2.headers[.allow] == "DELETE, GET")
            for id in ["nope", "vlt_00000000000000000000000000", "key_00000000000000000000000000", "%00", "vlt_%E3%81%82"] {
                try expectProblem(
                    try await client.execute(uri: "/v1/vault/records/\(id)", method: .get, headers: h.auth), .notFound, "record_not_found")
                try expectProblem(
                    try await client.execute(uri: "/v1/vault/records/\(id)", method: .delete, headers: h.auth), .notFound,
                    "record_not_found")
            }
        }
    }

    @Test("problem titles follow Accept-Language, Japanese by default")
    func languages() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let ja = try await client.execute(uri: "/v1/whoami", method: .get)
            #expect(ja.headers[.contentLanguage] == "ja")
            #expect((try json(ja.body)["title"] as? String)?.contains("APIキー") == true)
            let en = try await client.execute(uri: "/v1/whoami", method: .get, headers: [.acceptLanguage: "en-US,en;q=0.9"])
            #expect(en.headers[.contentLanguage] == "en")
            #expect((try json(en.body)["title"] as? String)?.contains("API key") == true)
            #expect(try json(en.body)["message_id"] as? String == "problem.missing_api_key")
        }
    }

    @Test("vault records: create, read, erase (then 410), and no personal data in the logs")
    func vaultLifecycle() async throws {
        let h = try await APIHarness()
        let name = "佐藤 一郎"
        let address = "京都府京都市下京区烏丸通七条下る"
        try await h.test { client in
            let body = "{\"fields\": {\"name\": \"\(name)\", \"address\": \"\(address)\"}}"
            let created = try await client.execute(
                uri: "/v1/vault/records", method: .post, headers: h.jsonAuth, body: ByteBuffer(string: body))
            #expect(created.status == .created)
            let id = try #require(try json(created.body)["id"] as? String)
            #expect(created.headers[.location] == "/v1/vault/records/\(id)")
            #expect(try json(created.body)["fields"] as? [String] == ["address", "name"])

            let read = try await client.execute(uri: "/v1/vault/records/\(id)", method: .get, headers: h.auth)
            #expect(read.status == .ok)
            let fields = try #require(try json(read.body)["fields"] as? [String: String])
            #expect(fields == ["name": name, "address": address])

            let erased = try await client.execute(uri: "/v1/vault/records/\(id)", method: .delete, headers: h.auth)
            #expect(erased.status == .noContent)
            try expectProblem(try await client.execute(uri: "/v1/vault/records/\(id)", method: .get, headers: h.auth), .gone, "record_erased")
            try expectProblem(
                try await client.execute(uri: "/v1/vault/records/\(id)", method: .delete, headers: h.auth), .gone, "record_erased")
        }
        let logs = h.logs.text
        #expect(logs.contains("/v1/vault/records"))
        for secret in [name, address, "佐藤", h.token] { #expect(!logs.contains(secret)) }
        let audit = try await h.harness.auditText()
        #expect(audit.contains("vault.record.sealed") && audit.contains("vault.record.erased"))
        #expect(audit.contains("apikey:\(h.keyID.rawValue)"))
        for secret in [name, address, "佐藤"] { #expect(!audit.contains(secret)) }
    }

    @Test("the OpenAPI document lists exactly the routes the router serves")
    func openAPIMatchesRoutes() async throws {
        let h = try await APIHarness()
        let router = buildRouter(h.services)
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let doc = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        let documented = Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        #expect(served.subtracting(documented).isEmpty, "routes missing from openapi.json: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented routes not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 8)
    }
}
