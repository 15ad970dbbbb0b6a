import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninPKI
import HonninWebAuthn
import Hummingbird

/// `/auth/*`: the JSON API of accounts and sessions, for the pages and for native apps.
///
/// A session travels as the cookie `honnin_session` (`HttpOnly; SameSite=Lax; Path=/`,
/// `Secure` behind https) or as `Authorization: Bearer ses_….…` (native clients; ask for the
/// token in the body with `Honnin-Session-Transport: bearer`). Cookie-authenticated requests
/// that change anything must carry `X-CSRF-Token` (from `GET /auth/session`); any request with
/// an `Origin` header must name an allowed origin. Bodies are JSON, so a cross-site form cannot
/// post them without a CORS preflight, which this server never grants.
struct AuthRoutes {
    let authn: AuthnService
    let jpki: JPKIVerifier?
    let secureCookies: Bool
    let maxBody: Int

    static let cookieName = "honnin_session"

    func register(on router: Router<HonninRequestContext>) {
        let auth = router.group("auth")
        auth.post("signup") { request, _ in
            try checkOrigin(request)
            struct Body: Decodable {
                let username: String
                let password: String?
                let display_name: String?
            }
            let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
            let outcome = try await run {
                try await authn.signUp(
                    username: body.username, password: body.password.map(Redacted.init), displayName: body.display_name, client: client(request))
            }
            return try respond(outcome, request: request, status: .created, extra: ["account_id": .string(outcome.session.account.rawValue)])
        }
        auth.post("password/login") { request, _ in
            try checkOrigin(request)
            struct Body: Decodable {
                let username: String
                let password: String
            }
            let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
            let current = try await optionalSession(request, changing: true)
            let outcome = try await run {
                try await authn.passwordLogin(username: body.username, password: Redacted(body.password), context: current, client: client(request))
            }
            return try respond(outcome, request: request)
        }
        auth.post("totp/enroll") { request, _ in
            let context = try await session(request, changing: true)
            let e = try await run { try await authn.enrollTOTP(context: context) }
            return try JSONBody.response(
                ["secret": e.secret.revealed, "otpauth_uri": e.uri.revealed, "qr_svg": e.qrSVG.revealed, "authenticator_id": e.authenticator.rawValue],
                headers: [.cacheControl: "no-store"])
        }
        auth.post("totp/verify") { request, _ in
            let context = try await session(request, changing: true)
            struct Body: Decodable { let code: String }
            let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
            return try respond(try await run { try await authn.verifyTOTP(code: body.code, context: context) }, request: request)
        }
        auth.post("recovery-codes") { request, _ in
            let context = try await session(request, changing: true)
            let codes = try await run { try await authn.issueRecoveryCodes(context: context) }
            return try JSONBody.response(["codes": codes.map(\.revealed)], headers: [.cacheControl: "no-store"])
        }
        auth.post("recovery-codes/verify") { request, _ in
            let context = try await session(request, changing: true)
            struct Body: Decodable { let code: String }
            let body = try await JSONBody.decode(Body.self, from: request, limit: maxBody)
            return try respond(try await run { try await authn.useRecoveryCode(body.code, context: context) }, request: request)
        }
        auth.post("passkeys/registration/options") { request, _ in
            let context = try await session(request, changing: true)
            struct Body: Decodable { let kind: String? }
            let kind = request.headers[.contentType] == nil ? nil : try await JSONBody.decode(Body.self, from: request, limit: maxBody).kind
            let method: AuthenticationMethod = kind == "security_key" ? .securityKey : .passkey
            guard kind == nil || kind == "passkey" || kind == "security_key" else {
                throw Problem(.badRequest, code: "invalid_input", title: AuthnError(.invalidInput, "").message, member: "kind")
            }
            let options = try await run { try await authn.registrationOptions(method: method, context: context) }
            return try JSONBody.response(options, headers: [.cacheControl: "no-store"])
        }
        auth.post("passkeys/registration") { request, _ in
            let context = try await session(request, changing: true)
            let response = try await JSONBody.decode(RegistrationResponseJSON.self, from: request, limit: maxBody)
            let label = request.uri.queryParameters.get("label")
            let (authenticator, outcome) = try await run { try await authn.register(response, label: label, context: context) }
            var extra: [String: JSONValue] = ["authenticator": summary(authenticator)]
            if let outcome { return try respond(outcome, request: request, status: .created, extra: extra) }
            extra["aal"] = .number(Double(context.aal))
            return try JSONBody.response(extra, status: .created)
        }
        auth.post("passkeys/authentication/options") { request, _ in
            let current = try await optionalSession(request, changing: true)
            return try JSONBody.response(try await run { try await authn.authenticationOptions(context: current) }, headers: [.cacheControl: "no-store"])
        }
        auth.post("passkeys/authentication") { request, _ in
            try checkOrigin(request)
            let current = try await optionalSession(request, changing: true)
            let response = try await JSONBody.decode(AuthenticationResponseJSON.self, from: request, limit: maxBody)
            return try respond(try await run { try await authn.authenticate(response, context: current, client: client(request)) }, request: request)
        }
        auth.post("jpki/challenge") { request, _ in
            guard jpki != nil else { throw problem(AuthnError(.methodUnavailable, "no JPKI revocation source configured")) }
            let current = try await optionalSession(request, changing: true)
            let challenge = try await run { try await authn.jpkiChallenge(context: current) }
            return try JSONBody.response(["challenge": Bytes.base64URL(challenge)], headers: [.cacheControl: "no-store"])
        }
        auth.post("jpki/login") { request, _ in
            try checkOrigin(request)
            let (verifier, body) = try await jpkiBody(request)
            let current = try await optionalSession(request, changing: true)
            return try respond(
                try await run {
                    try await authn.jpkiLogin(
                        certificate: body.certificate, signature: body.signature, challenge: body.challenge, verifier: verifier, context: current, client: client(request))
                }, request: request)
        }
        auth.post("jpki/enroll") { request, _ in
            let context = try await session(request, changing: true)
            let (verifier, body) = try await jpkiBody(request)
            let a = try await run {
                try await authn.enrollJPKI(
                    certificate: body.certificate, signature: body.signature, holder: body.holder, challenge: body.challenge, verifier: verifier, context: context)
            }
            return try JSONBody.response(["authenticator": summary(a)], status: .created)
        }
        auth.post("jpki/relink") { request, _ in
            try checkOrigin(request)
            let (verifier, body) = try await jpkiBody(request)
            guard let holder = body.holder else { throw problem(AuthnError(.invalidInput, "holder (the signature certificate and its signature) is required", member: "holder")) }
            let current = try await optionalSession(request, changing: true)
            return try respond(
                try await run {
                    try await authn.relinkJPKI(
                        certificate: body.certificate, signature: body.signature, holder: holder, challenge: body.challenge, verifier: verifier, context: current,
                        client: client(request))
                }, request: request)
        }
        auth.get("session") { request, _ in
            let context = try await session(request, changing: false)
            let profile = try? await authn.profile(of: context.account)
            var body: [String: JSONValue] = [
                "account_id": .string(context.account.id.rawValue), "aal": .number(Double(context.aal)), "amr": .array(context.session.amr.map(JSONValue.string)),
                "expires_at": .string(Timestamp.format(context.session.expiresAt)), "csrf_token": .string(context.session.csrfToken),
                "session_id": .string(context.session.id.rawValue),
            ]
            if let at = context.levelExpiresAt { body["aal_expires_at"] = .string(Timestamp.format(at)) }
            if let profile {
                body["username"] = .string(profile.username)
                body["display_name"] = .string(profile.displayName)
            }
            if !context.account.roles.isEmpty { body["roles"] = .array(context.account.roles.sorted().map(JSONValue.string)) }
            return try JSONBody.response(body, headers: [.cacheControl: "no-store"])
        }
        auth.get("sessions") { request, _ in
            let context = try await session(request, changing: false)
            let sessions = try await run { try await authn.sessions(of: context) }
            let list: [JSONValue] = sessions.map { s in
                .object([
                    "id": .string(s.id.rawValue), "client": .string(s.client), "created_at": .string(Timestamp.format(s.createdAt)),
                    "last_seen_at": .string(Timestamp.format(s.lastSeenAt)), "aal": .number(Double(authn.level(of: s))),
                    "current": .bool(s.id == context.session.id), "methods": .array(s.entries.map { .string($0.method.rawValue) }),
                ])
            }
            return try JSONBody.response(["sessions": JSONValue.array(list)], headers: [.cacheControl: "no-store"])
        }
        auth.delete("sessions/{id}") { request, context in
            let current = try await session(request, changing: true)
            guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .session) else { throw problem(AuthnError(.notFound, "bad id")) }
            try await run { try await authn.revoke(session: id, in: current) }
            return Response(status: .noContent)
        }
        auth.get("authenticators") { request, _ in
            let context = try await session(request, changing: false)
            let list = try await run { try await authn.authenticators(context: context) }
            return try JSONBody.response(["authenticators": JSONValue.array(list.map(summary))], headers: [.cacheControl: "no-store"])
        }
        auth.delete("authenticators/{id}") { request, context in
            let current = try await session(request, changing: true)
            guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .authenticator) else { throw problem(AuthnError(.notFound, "bad id")) }
            try await run { try await authn.removeAuthenticator(id, context: current) }
            return Response(status: .noContent)
        }
        auth.post("logout") { request, _ in
            let context = try await session(request, changing: true)
            try await run { try await authn.revoke(session: context.session.id, in: context) }
            var response = Response(status: .noContent)
            response.headers[.setCookie] = cookie("", maxAge: 0)
            return response
        }
    }

    // MARK: Sessions and CSRF

    /// The session of the request (cookie or bearer), or 401. A cookie-carried session must
    /// send `X-CSRF-Token` on requests that change something.
    func session(_ request: Request, changing: Bool) async throws -> SessionContext {
        guard let context = try await optionalSession(request, changing: changing) else {
            throw problem(AuthnError(.sessionRequired, "no session"))
        }
        return context
    }

    func optionalSession(_ request: Request, changing: Bool) async throws -> SessionContext? {
        try checkOrigin(request)
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let context = try await run({ try await authn.authenticate(token: token) }) else {
                throw problem(AuthnError(.sessionRequired, "bearer token not a session"))
            }
            return context
        }
        guard let value = Self.cookieValue(request, name: Self.cookieName),
            let context = try await run({ try await authn.authenticate(token: value) })
        else { return nil }
        if changing {
            guard let sent = request.headers[HTTPField.Name("X-CSRF-Token")!],
                Bytes.constantTimeEqual(Array(sent.utf8), Array(context.session.csrfToken.utf8))
            else {
                throw Problem(
                    .forbidden, code: "csrf_failed",
                    title: LocalizedMessage(id: "problem.csrf_failed", ja: "ページの有効期限が切れました。再読み込みしてください。", en: "The page has expired. Reload it."))
            }
        }
        return context
    }

    static func cookieValue(_ request: Request, name: String) -> String? {
        request.headers[values: .cookie].flatMap { $0.split(separator: ";") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// A browser's `Origin` must be one the relying party allows (login CSRF, cross-site calls).
    func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        guard authn.relyingParty.origins.contains(origin) else {
            throw Problem(
                .forbidden, code: "origin_not_allowed",
                title: LocalizedMessage(id: "problem.origin_not_allowed", ja: "このサイトからは利用できません。", en: "Requests from this site are not allowed."))
        }
    }

    func cookie(_ value: String, maxAge: Int) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
    }

    func client(_ request: Request) -> String {
        let ua = request.headers[.userAgent] ?? ""
        if ua.isEmpty { return "unknown" }
        for (needle, name) in [("Edg/", "Edge"), ("Chrome/", "Chrome"), ("Firefox/", "Firefox"), ("Safari/", "Safari"), ("python", "Python"), ("curl/", "curl")]
        where ua.contains(needle) { return name }
        return "other"
    }

    // MARK: Responses

    /// `{"aal", "amr", "next"}`, with the new cookie when a token was issued (and the token in
    /// the body for native clients that asked for it).
    func respond(_ outcome: AuthnOutcome, request: Request, status: HTTPResponse.Status = .ok, extra: [String: JSONValue] = [:]) throws -> Response {
        var body = extra
        body["aal"] = .number(Double(outcome.aal))
        body["amr"] = .array(outcome.amr.map(JSONValue.string))
        body["next"] = .array(outcome.next.map { .string($0.rawValue) })
        body["expires_at"] = .string(Timestamp.format(outcome.session.expiresAt))
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if let token = outcome.token {
            headers[.setCookie] = cookie(token.revealed, maxAge: Int(outcome.session.expiresAt.timeIntervalSince(outcome.session.lastSeenAt).rounded(.down)))
            if request.headers[HTTPField.Name("Honnin-Session-Transport")!]?.lowercased() == "bearer" { body["session_token"] = .string(token.revealed) }
        }
        return try JSONBody.response(body, status: status, headers: headers)
    }

    func summary(_ a: Authenticator) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(a.id.rawValue), "method": .string(a.method.rawValue), "label": .string(a.label), "created_at": .string(Timestamp.format(a.createdAt)),
        ]
        if let used = a.lastUsedAt { o["last_used_at"] = .string(Timestamp.format(used)) }
        if case .webAuthn(let c) = a.secret {
            o["backup_eligible"] = .bool(c.backupEligible)
            o["attestation"] = .string(c.attestationType.rawValue)
            o["hardware_bound"] = .bool(Authenticator.hardwareBound(c))
        }
        if case .recoveryCodes(_, let used) = a.secret { o["remaining"] = .number(Double(used.filter { !$0 }.count)) }
        return .object(o)
    }

    struct JPKIBody: Decodable {
        struct Holder: Decodable {
            let certificate: String
            let signature: String
        }
        let certificate: String
        let signature: String
        let challenge: String
        /// The same card's signature certificate and its signature over the same challenge.
        let holder: Holder?
    }

    func jpkiBody(_ request: Request) async throws -> (
        JPKIVerifier, (certificate: [UInt8], signature: [UInt8], challenge: [UInt8], holder: JPKIResponse?)
    ) {
        guard let jpki else { throw problem(AuthnError(.methodUnavailable, "no JPKI revocation source configured")) }
        let body = try await JSONBody.decode(JPKIBody.self, from: request, limit: maxBody)
        func bytes(_ s: String, _ member: String) throws -> [UInt8] {
            guard let b = Bytes.fromBase64OrBase64URL(s), !b.isEmpty else {
                throw problem(AuthnError(.invalidInput, "\(member) not base64", member: member))
            }
            return b
        }
        let holder = try body.holder.map {
            JPKIResponse(certificate: try bytes($0.certificate, "holder.certificate"), signature: try bytes($0.signature, "holder.signature"))
        }
        return (jpki, (try bytes(body.certificate, "certificate"), try bytes(body.signature, "signature"), try bytes(body.challenge, "challenge"), holder))
    }

    /// Runs a service call, turning its typed error into a problem.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as AuthnError { throw problem(e) }
    }

    func problem(_ e: AuthnError) -> Problem {
        let status: HTTPResponse.Status =
            switch e.code {
            case .invalidCredentials, .sessionRequired: .unauthorized
            case .throttled: .tooManyRequests
            case .invalidInput, .webAuthn, .jpki: .badRequest
            case .usernameTaken, .conflict, .challengeReused: .conflict
            case .stepUpRequired, .roleRequired: .forbidden
            case .challengeExpired: .gone
            case .notFound: .notFound
            case .methodUnavailable: .unprocessableContent
            case .unavailable: .serviceUnavailable
            }
        var headers: HTTPFields = [:]
        var ext: [String: JSONValue] = [:]
        if let r = e.retryAfter { headers[.retryAfter] = String(Int(r)) }
        if let r = e.reason { ext["reason"] = .string(r) }
        if let level = e.requiredAAL {
            ext["required_aal"] = .number(Double(level))
            ext["current_aal"] = .number(Double(e.currentAAL ?? 0))
            ext["next"] = .array(e.next.map { .string($0.rawValue) })
        }
        return Problem(status, code: e.code.rawValue, title: e.message, headers: headers, member: e.member, extensions: ext)
    }
}
