import Foundation
import HonninCards
import HonninCore
import HonninHTTP
import HonninPKI
import HonninTesting
import Testing

@testable import honnin

/// Sign-in with the My Number Card's user-authentication certificate (AAL3), end to end: a real
/// `honnin serve` trusting the test JPKI roots with CRLs of both hierarchies, the card simulator
/// holding a user-authentication certificate, and the CLI's own card client
/// (`JPKIFlowClient.signForLogin` and `JPKIFlowClient.login`, what `honnin card jpki login` runs).
@Suite("My Number Card sign-in through a real server process", .serialized)
struct JPKILoginProcessTests {
    static let password = "maple-lantern-river-4921-kite"
    static let userPIN = "1234"

    /// Serials of user-authentication certificates used here (the signature certificate of the
    /// other hierarchy keeps the default serial).
    static let linkedSerial: [UInt8] = [0x0A, 0x00, 0x01]
    static let unlinkedSerial: [UInt8] = [0x0A, 0x00, 0x02]
    static let revokedSerial: [UInt8] = [0x0A, 0x00, 0x03]
    static let renewedSerial: [UInt8] = [0x0A, 0x00, 0x04]
    static let signaturePIN = "ABC123"

    /// A server trusting the test roots (`--jpki-roots`) with a current CRL of each hierarchy in
    /// `--jpki-crl-dir`; the user-authentication CRL lists `revokedSerial` (keyCompromise).
    static func server(_ dir: TemporaryDirectory) throws -> ServerProcess {
        let revoked = TestCRLIssuer.Revoked(serial: Self.serialNumber(revokedSerial), date: Date().addingTimeInterval(-86_400), reason: .keyCompromise)
        return try jpkiServer(dir, revokedUserAuthentication: [revoked]).0
    }

    /// Runs `body` against a fresh server (``server(_:)``) and a client of it; stops the server
    /// and removes its directory afterwards.
    static func withServer(_ body: (ServerProcess, HTTPTestClient) async throws -> Void) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.server(dir)
        defer {
            server.kill(SIGTERM)
            server.wait()
        }
        try await body(server, HTTPTestClient(base: server.baseURL))
    }

    static func serialNumber(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { $0 << 8 | Int($1) } }

    /// A simulated card whose user-authentication certificate (issued by the test PKI's
    /// user-authentication root) has `serial`; the user PIN is `userPIN`.
    /// `holder` names the person of its signature certificate (serial `serial` + 0x80).
    static func card(serial: [UInt8], holder: TestJPKI.SubjectAttributes = .init()) throws -> (JPKICard, JPKICardSimulator) {
        let pki = TestJPKI.shared
        var auth = TestJPKI.Options()
        auth.kind = .userAuthentication
        auth.serial = serial
        var sign = TestJPKI.Options()
        sign.serial = serial + [0x80]
        sign.subject = holder
        var configuration = JPKICardSimulator.Configuration(
            signatureCertificate: try pki.issue(sign), signatureCACertificate: pki.signature.rootDER,
            userAuthenticationCertificate: try pki.issue(auth), userAuthenticationCACertificate: pki.userAuthentication.rootDER,
            signWithSignatureKey: JPKICardSimulator.rsaSigner(pki.subscriberKey),
            signWithUserAuthenticationKey: JPKICardSimulator.rsaSigner(pki.subscriberKey))
        configuration.userAuthenticationPIN = userPIN
        let simulator = JPKICardSimulator(configuration)
        return (JPKICard(transport: simulator), simulator)
    }

    /// Signs up with a password over HTTP, asking for the bearer transport; returns the account
    /// id and the session token.
    static func signUp(_ client: HTTPTestClient, _ username: String) async throws -> (account: String, token: String) {
        let (status, body) = try await client.request(
            "POST", "auth/signup", json: ["username": username, "password": password], headers: ["Honnin-Session-Transport": "bearer"])
        let object = client.object(body)
        #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let account = try #require(object["account_id"] as? String)
        let token = try #require(object["session_token"] as? String)
        #expect(Self.level(object["aal"]) == 1)
        return (account, token)
    }

    /// `POST /auth/jpki/challenge`, with the session when one is given.
    static func challenge(_ client: HTTPTestClient, session token: String? = nil) async throws -> String {
        let (status, body) = try await client.request("POST", "auth/jpki/challenge", headers: bearer(token))
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        return try #require(client.object(body)["challenge"] as? String)
    }

    /// A JSON number as an integer (the server writes levels as JSON numbers).
    static func level(_ value: Any?) -> Int? {
        if let n = value as? Int { return n }
        if let d = value as? Double, d == d.rounded() { return Int(d) }
        return nil
    }

    /// A client with no cookies yet, for calls without a session (the signed-up client holds the
    /// session cookie, and a cookie-carried request without the CSRF header is refused).
    static func anonymous(_ server: ServerProcess) -> HTTPTestClient { HTTPTestClient(base: server.baseURL) }

    static func bearer(_ token: String?) -> [String: String] {
        var headers = ["Honnin-Session-Transport": "bearer"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }

    /// The card signs `challenge` through the CLI's code and the result is posted to `path`;
    /// with `holder`, the signature key signs it too (the signature PIN) and goes as `holder`.
    static func post(
        _ client: HTTPTestClient, _ path: String, challenge: String, card: JPKICard, session token: String? = nil, holder: Bool = false
    ) async throws -> (status: Int, object: [String: Any]) {
        let bytes = try #require(Bytes.fromBase64URL(challenge))
        let signed = try await JPKIFlowClient.signForLogin(bytes, card: card, pin: Redacted(userPIN))
        var json: [String: Any] = [
            "certificate": Data(signed.certificate).base64EncodedString(), "signature": Data(signed.signature).base64EncodedString(), "challenge": challenge,
        ]
        if holder {
            let h = try await JPKIFlowClient.sign(bytes, card: card, pin: Redacted(signaturePIN))
            json["holder"] = ["certificate": Data(h.certificate).base64EncodedString(), "signature": Data(h.signature).base64EncodedString()]
        }
        let (status, body) = try await client.request("POST", path, json: json, headers: bearer(token))
        return (status, client.object(body))
    }

    /// The methods of the account's authenticators.
    static func methods(_ client: HTTPTestClient, session token: String) async throws -> [String] {
        let (status, body) = try await client.request("GET", "auth/authenticators", headers: bearer(token))
        #expect(status == 200)
        return (client.object(body)["authenticators"] as? [[String: Any]] ?? []).compactMap { $0["method"] as? String }
    }

    @Test("sign up with a password, link the card (201), then `honnin card jpki login`'s client signs in at AAL3 with amr sc,pin,mfa; a challenge used twice is 409")
    func enrolThenLogin() async throws {
        try await Self.withServer { server, client in
            let (account, token) = try await Self.signUp(client, "card-holder")
            let (card, simulator) = try Self.card(serial: Self.linkedSerial)

            // Link the card to the password account.
            let enrolChallenge = try await Self.challenge(client, session: token)
            let (enrolled, authenticator) = try await Self.post(client, "auth/jpki/enroll", challenge: enrolChallenge, card: card, session: token)
            #expect(enrolled == 201, "\(authenticator)")
            #expect((authenticator["authenticator"] as? [String: Any])?["method"] as? String == "jpki_user_certificate")
            #expect(try await Self.methods(client, session: token).contains("jpki_user_certificate"))

            // The CLI's login: challenge, the card signs with the user PIN, login.
            let result = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: card, pin: Redacted(Self.userPIN), http: URLSessionHTTPClient())
            #expect(result.aal == 3)
            // The card alone is two factors (possession and the PIN), so "mfa" follows (RFC 8176 §2).
            #expect(result.amr == ["sc", "pin", "mfa"])
            #expect(await simulator.triesLeft(.userAuthentication) == 3)
            // The token is a session of the same account.
            let (status, body) = try await client.request("GET", "auth/session", headers: Self.bearer(result.token.revealed))
            let session = client.object(body)
            #expect(status == 200)
            #expect(session["account_id"] as? String == account)
            #expect(Self.level(session["aal"]) == 3)
            #expect(session["amr"] as? [String] == ["sc", "pin", "mfa"])
            #expect(!server.logText.contains(result.token.revealed))

            // The same challenge, signed once more and posted twice: the second is refused before
            // any certificate check.
            let once = try await Self.challenge(Self.anonymous(server))
            let (first, firstBody) = try await Self.post(Self.anonymous(server), "auth/jpki/login", challenge: once, card: card)
            #expect(first == 200 && Self.level(firstBody["aal"]) == 3, "\(firstBody)")
            #expect(firstBody["session_token"] is String)
            let (second, secondBody) = try await Self.post(Self.anonymous(server), "auth/jpki/login", challenge: once, card: card)
            #expect(second == 409)
            #expect(secondBody["code"] as? String == "challenge_reused")
            #expect(secondBody["session_token"] == nil)

            // A card whose certificate verifies but is linked to no account.
            let (stranger, _) = try Self.card(serial: Self.unlinkedSerial)
            let (unlinked, unlinkedBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/login", challenge: try await Self.challenge(Self.anonymous(server)), card: stranger)
            #expect(unlinked == 401)
            #expect(unlinkedBody["code"] as? String == "invalid_credentials")
            #expect(unlinkedBody["session_token"] == nil)
            // The CLI reports the same.
            do {
                _ = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: stranger, pin: Redacted(Self.userPIN), http: URLSessionHTTPClient())
                Issue.record("an unlinked card signed in")
            } catch {
                #expect("\(error)".contains("401 invalid_credentials"), "\(error)")
            }
        }
    }

    @Test("""
        a renewed card: linked with its holder at enrolment, the old card's successor signs in through `honnin card jpki login --relink`'s \
        client (both keys, both PINs) at AAL3 and takes over the link; another person's card, or no holder, is refused
        """)
    func renewedCardRelinks() async throws {
        try await Self.withServer { server, client in
            let (account, token) = try await Self.signUp(client, "renewing-holder")
            let (old, _) = try Self.card(serial: Self.linkedSerial)
            let (enrolled, enrolBody) = try await Self.post(
                client, "auth/jpki/enroll", challenge: try await Self.challenge(client, session: token), card: old, session: token, holder: true)
            #expect(enrolled == 201, "\(enrolBody)")

            // The renewed card (new serials, the same person) is not linked yet.
            let (renewed, renewedSimulator) = try Self.card(serial: Self.renewedSerial)
            let (plain, plainBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/login", challenge: try await Self.challenge(Self.anonymous(server)), card: renewed)
            #expect(plain == 401 && plainBody["code"] as? String == "invalid_credentials", "\(plainBody)")
            // Relink without the signature certificate: refused as input.
            let (bare, bareBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/relink", challenge: try await Self.challenge(Self.anonymous(server)), card: renewed)
            #expect(bare == 400 && bareBody["member"] as? String == "holder", "\(bareBody)")
            // Another person's renewed card (a different name): no account recorded that holder.
            var someoneElse = TestJPKI.SubjectAttributes()
            someoneElse.name = "佐藤 花子"
            let (stranger, _) = try Self.card(serial: Self.unlinkedSerial, holder: someoneElse)
            do {
                _ = try await JPKIFlowClient.login(
                    server: server.baseURL.absoluteString, card: stranger, pin: Redacted(Self.userPIN), holderPIN: Redacted(Self.signaturePIN),
                    http: URLSessionHTTPClient())
                Issue.record("another person's card was relinked")
            } catch {
                #expect("\(error)".contains("401 invalid_credentials"), "\(error)")
            }

            // The CLI's relink: both keys sign the server's challenge.
            let result = try await JPKIFlowClient.login(
                server: server.baseURL.absoluteString, card: renewed, pin: Redacted(Self.userPIN), holderPIN: Redacted(Self.signaturePIN), http: URLSessionHTTPClient())
            #expect(result.aal == 3 && result.amr == ["sc", "pin", "mfa"])
            #expect(await renewedSimulator.triesLeft(.signature) == 5)
            #expect(await renewedSimulator.triesLeft(.userAuthentication) == 3)
            let (status, body) = try await client.request("GET", "auth/session", headers: Self.bearer(result.token.revealed))
            #expect(status == 200 && client.object(body)["account_id"] as? String == account)
            // From now on the renewed card signs in alone, and the old one no longer does.
            let again = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: renewed, pin: Redacted(Self.userPIN), http: URLSessionHTTPClient())
            #expect(again.aal == 3)
            let (oldLogin, oldBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/login", challenge: try await Self.challenge(Self.anonymous(server)), card: old)
            #expect(oldLogin == 401 && oldBody["code"] as? String == "invalid_credentials", "\(oldBody)")
            // Relinking the same card twice: it is already linked.
            let (twice, twiceBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/relink", challenge: try await Self.challenge(Self.anonymous(server)), card: renewed, holder: true)
            #expect(twice == 409 && twiceBody["code"] as? String == "conflict", "\(twiceBody)")
            // Still one card on the account, and the holder's name is nowhere in the log.
            #expect(try await Self.methods(client, session: token).filter { $0 == "jpki_user_certificate" }.count == 1)
            #expect(!server.logText.contains("山田") && !server.logText.contains("佐藤"))
        }
    }

    @Test("a wrong user PIN: the card's answer says how many tries are left, and nothing is linked")
    func wrongPIN() async throws {
        try await Self.withServer { server, client in
            let (_, token) = try await Self.signUp(client, "forgetful")
            let (card, simulator) = try Self.card(serial: Self.linkedSerial)

            let challenge = try #require(Bytes.fromBase64URL(try await Self.challenge(client, session: token)))
            do {
                _ = try await JPKIFlowClient.signForLogin(challenge, card: card, pin: Redacted("9999"))
                Issue.record("a wrong PIN signed")
            } catch {
                #expect("\(error)".contains("2 tries left") && "\(error)".contains("残り2回"), "\(error)")
            }
            #expect(await simulator.triesLeft(.userAuthentication) == 2)
            // Through `honnin card jpki login`'s client: one try fewer, and no session.
            do {
                _ = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: card, pin: Redacted("0000"), http: URLSessionHTTPClient())
                Issue.record("a wrong PIN signed in")
            } catch {
                #expect("\(error)".contains("1 try left"), "\(error)")
            }
            #expect(await simulator.triesLeft(.userAuthentication) == 1)
            // Nothing was linked: the account has its password only, and the card (now with the right
            // PIN, which restores the tries) signs in to nothing.
            #expect(try await Self.methods(client, session: token) == ["password"])
            do {
                _ = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: card, pin: Redacted(Self.userPIN), http: URLSessionHTTPClient())
                Issue.record("a card that was never linked signed in")
            } catch {
                #expect("\(error)".contains("401 invalid_credentials"), "\(error)")
            }
            #expect(await simulator.triesLeft(.userAuthentication) == 3)
        }
    }

    @Test("a revoked user-authentication certificate (its serial in the CRL) is refused: 400 jpki_failed, reason revoked, at enrolment and at login")
    func revokedCertificate() async throws {
        try await Self.withServer { server, client in
            let (_, token) = try await Self.signUp(client, "revoked-holder")
            let (card, _) = try Self.card(serial: Self.revokedSerial)

            let (enrolled, enrolBody) = try await Self.post(client, "auth/jpki/enroll", challenge: try await Self.challenge(client, session: token), card: card, session: token)
            #expect(enrolled == 400, "\(enrolBody)")
            #expect(enrolBody["code"] as? String == "jpki_failed")
            #expect(enrolBody["reason"] as? String == "revoked")
            #expect(try await Self.methods(client, session: token) == ["password"])

            let (login, loginBody) = try await Self.post(
                Self.anonymous(server), "auth/jpki/login", challenge: try await Self.challenge(Self.anonymous(server)), card: card)
            #expect(login == 400)
            #expect(loginBody["code"] as? String == "jpki_failed" && loginBody["reason"] as? String == "revoked", "\(loginBody)")
            #expect(loginBody["session_token"] == nil)
            do {
                _ = try await JPKIFlowClient.login(server: server.baseURL.absoluteString, card: card, pin: Redacted(Self.userPIN), http: URLSessionHTTPClient())
                Issue.record("a revoked certificate signed in")
            } catch {
                #expect("\(error)".contains("400 jpki_failed (revoked)"), "\(error)")
            }
        }
    }
}
