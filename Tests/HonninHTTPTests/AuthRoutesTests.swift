import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninCredentials
import HonninHTTP
import HonninTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `/auth/*` through the router: cookies, CSRF, step-up problems and factor use.
@Suite("Account API")
struct AuthRoutesTests {
    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static func cookie(_ response: TestResponse) -> String? {
        response.headers[.setCookie]?.split(separator: ";").first.map(String.init)
    }

    @Test("sign-up sets an HttpOnly cookie; changes need the CSRF token; a second factor raises the level and rotates the cookie; step-up problems name the missing factor")
    func cookieFlow() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let jsonType: HTTPFields = [.contentType: "application/json"]
            let signup = try await client.execute(
                uri: "/auth/signup", method: .post, headers: jsonType,
                body: try Self.body(["username": "hanako", "password": "correct horse battery staple", "display_name": "山田 花子"]))
            #expect(signup.status == .created)
            let setCookie = try #require(signup.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"))
            let first = try #require(Self.cookie(signup))
            let created = try json(signup.body)
            #expect(created["aal"] as? Int == 1 && (created["amr"] as? [String]) == ["pwd"])

            let session = try await client.execute(uri: "/auth/session", method: .get, headers: [.cookie: first])
            #expect(session.status == .ok && session.headers[.cacheControl] == "no-store")
            let info = try json(session.body)
            let csrf = try #require(info["csrf_token"] as? String)
            #expect(info["username"] as? String == "hanako" && info["display_name"] as? String == "山田 花子")

            // Without the CSRF header (or from another site) a change is refused.
            try expectProblem(try await client.execute(uri: "/auth/totp/enroll", method: .post, headers: [.cookie: first]), .forbidden, "csrf_failed")
            try expectProblem(
                try await client.execute(uri: "/auth/totp/enroll", method: .post, headers: [.cookie: first, .origin: "https://evil.example", HTTPField.Name("X-CSRF-Token")!: csrf]),
                .forbidden, "origin_not_allowed")
            var withCSRF: HTTPFields = [.cookie: first, HTTPField.Name("X-CSRF-Token")!: csrf, .contentType: "application/json"]
            let enrol = try await client.execute(uri: "/auth/totp/enroll", method: .post, headers: withCSRF)
            #expect(enrol.status == .ok)
            let secret = try #require(try json(enrol.body)["secret"] as? String)
            let totp = try TOTP(secret: Redacted(try Base32.decode(secret)))
            let code = try #require(totp.code(at: h.harness.clock.now()))
            let wrong = try await client.execute(uri: "/auth/totp/verify", method: .post, headers: withCSRF, body: try Self.body(["code": "000000" == code ? "111111" : "000000"]))
            try expectProblem(wrong, .unauthorized, "invalid_credentials")
            let verified = try await client.execute(uri: "/auth/totp/verify", method: .post, headers: withCSRF, body: try Self.body(["code": code]))
            #expect(verified.status == .ok)
            #expect(try json(verified.body)["aal"] as? Int == 2)
            let second = try #require(Self.cookie(verified))
            #expect(second != first)
            // The old cookie is no longer a session.
            try expectProblem(try await client.execute(uri: "/auth/session", method: .get, headers: [.cookie: first]), .unauthorized, "session_required")

            // A new sign-in with the password alone is AAL1 and offers TOTP; binding a passkey then needs a step-up.
            let login = try await client.execute(
                uri: "/auth/password/login", method: .post, headers: [.contentType: "application/json", HTTPField.Name("Honnin-Session-Transport")!: "bearer"],
                body: try Self.body(["username": "HANAKO", "password": "correct horse battery staple"]))
            let loggedIn = try json(login.body)
            #expect(loggedIn["aal"] as? Int == 1 && (loggedIn["next"] as? [String]) == ["totp"])
            let token = try #require(loggedIn["session_token"] as? String)
            let stepUp = try await client.execute(
                uri: "/auth/passkeys/registration/options", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: try Self.body(["kind": "passkey"]))
            try expectProblem(stepUp, .forbidden, "step_up_required")
            let problem = try json(stepUp.body)
            #expect(problem["required_aal"] as? Int == 2 && problem["current_aal"] as? Int == 1 && (problem["next"] as? [String]) == ["totp"])

            // Logout ends the cookie session.
            withCSRF[.cookie] = second
            #expect(try await client.execute(uri: "/auth/logout", method: .post, headers: withCSRF).status == .noContent)
            try expectProblem(try await client.execute(uri: "/auth/session", method: .get, headers: [.cookie: second]), .unauthorized, "session_required")
        }
    }

    @Test("refusals are problems with members and reasons; an unknown user and a wrong password answer the same")
    func refusals() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let jsonType: HTTPFields = [.contentType: "application/json"]
            let weak = try await client.execute(uri: "/auth/signup", method: .post, headers: jsonType, body: try Self.body(["username": "taro", "password": "short"]))
            try expectProblem(weak, .badRequest, "invalid_input")
            let body = try JSON.decode(weak.body)
            #expect(body["member"] as? String == "password" && body["reason"] as? String == "too_short")
            _ = try await client.execute(uri: "/auth/signup", method: .post, headers: jsonType, body: try Self.body(["username": "taro", "password": "correct horse battery staple"]))
            let taken = try await client.execute(uri: "/auth/signup", method: .post, headers: jsonType, body: try Self.body(["username": "Taro", "password": "another fine passphrase"]))
            try expectProblem(taken, .conflict, "username_taken")
            let unknown = try await client.execute(uri: "/auth/password/login", method: .post, headers: jsonType, body: try Self.body(["username": "nobody", "password": "x"]))
            let wrong = try await client.execute(uri: "/auth/password/login", method: .post, headers: jsonType, body: try Self.body(["username": "taro", "password": "x"]))
            try expectProblem(unknown, .unauthorized, "invalid_credentials")
            try expectProblem(wrong, .unauthorized, "invalid_credentials")
            var a = try JSON.decode(unknown.body)
            var b = try JSON.decode(wrong.body)
            a["request_id"] = nil
            b["request_id"] = nil
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b))
            try expectProblem(try await client.execute(uri: "/auth/jpki/challenge", method: .post), .unprocessableContent, "method_unavailable")
        }
    }

    @Test("a posted credential is read strictly: a missing nested member is named by its path, a duplicated member is not JSON we accept")
    func credentialBodies() async throws {
        let h = try await APIHarness()
        try await h.test { client in
            let jsonType: HTTPFields = [.contentType: "application/json"]
            func post(_ text: String) async throws -> TestResponse {
                try await client.execute(uri: "/auth/passkeys/authentication", method: .post, headers: jsonType, body: ByteBuffer(string: text))
            }
            let noSignature = try await post(#"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA"}}"#)
            try expectProblem(noSignature, .unprocessableContent, "validation_failed")
            #expect((try JSON.decode(noSignature.body)["detail"] as? String)?.contains("response.signature") == true)
            let wrongType = try await post(#"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":7}}"#)
            try expectProblem(wrongType, .unprocessableContent, "validation_failed")
            #expect((try JSON.decode(wrongType.body)["detail"] as? String)?.contains("response.signature") == true)
            let padded = try await post(#"{"id":"AQID","rawId":"AQI=","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}"#)
            try expectProblem(padded, .unprocessableContent, "validation_failed")
            #expect((try JSON.decode(padded.body)["detail"] as? String)?.contains("rawId") == true)
            // Two `signature` members: JSONSerialization would keep one of them; the strict reader refuses.
            let twice = try await post(
                #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","signature":"AQ"}}"#)
            try expectProblem(twice, .badRequest, "malformed_json")
        }
    }

    @Test("closed sign-up: the API refuses it, the sign-in page offers no sign-up link, and the sign-up page leads to sign-in")
    func closedSignUp() async throws {
        var settings = AuthnSettings()
        settings.openSignUp = false
        let h = try await APIHarness(authnSettings: settings)
        try await h.test { client in
            let signup = try await client.execute(
                uri: "/auth/signup", method: .post, headers: [.contentType: "application/json"],
                body: try Self.body(["username": "taro", "password": "correct horse battery staple"]))
            try expectProblem(signup, .unprocessableContent, "method_unavailable")
            let login = try await client.execute(uri: "/account/login?lang=en", method: .get)
            #expect(login.status == .ok)
            let html = String(buffer: login.body)
            #expect(html.contains("id=\"login-form\"") && !html.contains("id=\"signup-link\"") && !html.contains("href=\"/account/signup"))
            let page = try await client.execute(uri: "/account/signup?lang=en", method: .get)
            #expect(page.status == .seeOther && page.headers[.location] == "/account/login?lang=en")
        }
        // Open (the default): the link is there and the page is served.
        let open = try await APIHarness()
        try await open.test { client in
            let login = try await client.execute(uri: "/account/login", method: .get)
            #expect(String(buffer: login.body).contains("id=\"signup-link\""))
            let page = try await client.execute(uri: "/account/signup", method: .get)
            #expect(page.status == .ok)
        }
    }
}

enum JSON {
    static func decode(_ buffer: ByteBuffer) throws -> [String: Any] { try json(buffer) }
}
