import Foundation
import HonninAuthn
import HonninCore
import HonninCredentials
import HonninStore
import HonninTesting
import HonninWebAuthn
import Testing

/// The authentication service over the in-memory repository, with a fixed clock.
struct AuthnFixture {
    let harness: InMemoryHarness
    let accounts: InMemoryAccountRepository
    let service: AuthnService
    var clock: FixedClock { harness.clock }

    init(settings: AuthnSettings = AuthnSettings()) async throws {
        harness = try InMemoryHarness()
        try await harness.vault.bootstrap(actor: "test")
        let store = harness.store
        accounts = InMemoryAccountRepository(audit: { _ = try await store.append($0) })
        let rp = RelyingParty(id: "localhost", name: "Honnin", origins: ["http://localhost:8080"], clock: harness.clock)
        service = try AuthnService(
            accounts: accounts, vault: harness.vault, relyingParty: rp, lookupKey: try harness.keys.lookupKey(), settings: settings, clock: harness.clock,
            random: harness.random, passwordParameters: .init(logN: 10, r: 8, p: 1), recoveryParameters: .init(logN: 10, r: 8, p: 1))
    }

    func context(_ outcome: AuthnOutcome) async throws -> SessionContext {
        let token = try #require(outcome.token)
        return try #require(try await service.authenticate(token: token.revealed))
    }
}

func authnCode(_ body: () async throws -> Void) async -> AuthnError? {
    do {
        try await body()
        return nil
    } catch { return error as? AuthnError }
}

func isNil(_ value: SessionContext?) -> Bool { value == nil }

let goodPassword = Redacted("correct horse battery staple 本人")

@Suite("Authentication service")
struct AuthnServiceTests {
    @Test("sign-up with a password: AAL1; TOTP enrolment confirmed by a first code: AAL2; the same code again is refused")
    func passwordAndTOTP() async throws {
        let f = try await AuthnFixture()
        let signup = try await f.service.signUp(username: "Hanako.Yamada", password: goodPassword, displayName: "山田 花子", client: "test")
        #expect(signup.aal == 1 && signup.amr == ["pwd"] && signup.next.isEmpty)
        var ctx = try await f.context(signup)
        // A step-up is needed for AAL2, but nothing is enrolled to give it yet.
        let e = await authnCode { try await f.service.require(2, in: ctx) }
        #expect(e?.code == .stepUpRequired && e?.requiredAAL == 2 && e?.currentAAL == 1 && e?.next.isEmpty == true)

        let enrolment = try await f.service.enrollTOTP(context: ctx)
        #expect(enrolment.uri.revealed.hasPrefix("otpauth://totp/Honnin:hanako.yamada?"))
        #expect(enrolment.qrSVG.revealed.hasPrefix("<svg") && enrolment.qrSVG.revealed.contains("<path"))
        let totp = try TOTP(secret: Redacted(try Base32.decode(enrolment.secret.revealed)))
        let code = try #require(totp.code(at: f.clock.now()))
        let confirmed = try await f.service.verifyTOTP(code: code, context: ctx)
        #expect(confirmed.aal == 2 && confirmed.amr == ["pwd", "otp", "mfa"])
        // The level rose: the token was rotated and the old one no longer works.
        #expect(confirmed.token != nil)
        let oldToken = try #require(signup.token)
        #expect(isNil(try await f.service.authenticate(token: oldToken.revealed)))
        ctx = try await f.context(confirmed)
        try await f.service.require(2, in: ctx)
        // Replay of the same code in the same step: refused.
        #expect(await authnCode { _ = try await f.service.verifyTOTP(code: code, context: ctx) }?.code == .invalidCredentials)

        // A new sign-in: password → AAL1 with TOTP offered as the next factor; TOTP of the next step → AAL2.
        f.clock.advance(by: 30)
        let login = try await f.service.passwordLogin(username: "hanako.yamada", password: goodPassword, context: nil, client: "test")
        #expect(login.aal == 1 && login.next == [.totp])
        let ctx2 = try await f.context(login)
        let step = try await f.service.verifyTOTP(code: try #require(totp.code(at: f.clock.now())), context: ctx2)
        #expect(step.aal == 2)
        // Two sessions are listed; revoking the first ends it.
        let sessions = try await f.service.sessions(of: ctx2)
        #expect(sessions.count == 2)
        try await f.service.revoke(session: ctx.session.id, in: ctx2)
        let firstToken = try #require(confirmed.token)
        #expect(isNil(try await f.service.authenticate(token: firstToken.revealed)))
    }

    @Test("sign-up refuses weak passwords with their rule, bad user names, and a taken user name (any case)")
    func signUpRefusals() async throws {
        let f = try await AuthnFixture()
        let weak = await authnCode { _ = try await f.service.signUp(username: "taro", password: Redacted("1qaz2wsx3edc4rfv"), displayName: nil, client: "t") }
        #expect(weak?.code == .invalidInput && weak?.member == "password" && weak?.reason == "blocklisted")
        let short = await authnCode { _ = try await f.service.signUp(username: "taro", password: Redacted("short pass"), displayName: nil, client: "t") }
        #expect(short?.reason == "too_short")
        let context = await authnCode { _ = try await f.service.signUp(username: "taroyamada", password: Redacted("taroyamada123456"), displayName: nil, client: "t") }
        #expect(context?.reason == "context_word")
        #expect(await authnCode { _ = try await f.service.signUp(username: "a", password: goodPassword, displayName: nil, client: "t") }?.member == "username")
        #expect(await authnCode { _ = try await f.service.signUp(username: "a b c", password: goodPassword, displayName: nil, client: "t") }?.member == "username")
        _ = try await f.service.signUp(username: "taro", password: goodPassword, displayName: nil, client: "t")
        #expect(await authnCode { _ = try await f.service.signUp(username: "TARO", password: goodPassword, displayName: nil, client: "t") }?.code == .usernameTaken)
        // Full-width input normalises to the same name (NFKC).
        #expect(await authnCode { _ = try await f.service.signUp(username: "ｔａｒｏ", password: goodPassword, displayName: nil, client: "t") }?.code == .usernameTaken)
    }

    @Test("with sign-up closed, only the operator (or a verification flow) creates accounts")
    func closedSignUp() async throws {
        var settings = AuthnSettings()
        settings.openSignUp = false
        let f = try await AuthnFixture(settings: settings)
        #expect(await authnCode { _ = try await f.service.signUp(username: "hachi", password: goodPassword, displayName: nil, client: "t") }?.code == .methodUnavailable)
        let made = try await f.service.signUp(username: "hachi", password: goodPassword, displayName: nil, client: "cli", origin: "cli", roles: ["reviewer"])
        let ctx = try await f.context(made)
        #expect(ctx.account.roles == ["reviewer"] && ctx.account.origin == "cli")
        #expect(await authnCode { try await f.service.require(1, role: "admin", in: ctx) }?.code == .roleRequired)
    }

    @Test("throttling: delays grow after 5 failures, unknown user names behave the same, a lock at 100 answers like a wrong password")
    func throttling() async throws {
        var settings = AuthnSettings()
        settings.lockAfter = 8
        let f = try await AuthnFixture(settings: settings)
        _ = try await f.service.signUp(username: "jiro", password: goodPassword, displayName: nil, client: "t")
        for name in ["jiro", "nobody"] {
            for _ in 0..<5 {
                #expect(await authnCode { _ = try await f.service.passwordLogin(username: name, password: Redacted("wrong password!!"), context: nil, client: "t") }?.code == .invalidCredentials)
            }
            // After five failures: a 30 s delay, even for the right password, and the same for an
            // unknown user name.
            let throttled = await authnCode { _ = try await f.service.passwordLogin(username: name, password: goodPassword, context: nil, client: "t") }
            #expect(throttled?.code == .throttled && throttled?.retryAfter == 30)
            f.clock.advance(by: 31)
            #expect(await authnCode { _ = try await f.service.passwordLogin(username: name, password: Redacted("wrong password!!"), context: nil, client: "t") }?.code == .invalidCredentials)
            // The sixth failure doubles it.
            let doubled = await authnCode { _ = try await f.service.passwordLogin(username: name, password: goodPassword, context: nil, client: "t") }
            #expect(doubled?.retryAfter == 60)
            f.clock.advance(by: 61)
        }
        // After the delay the right password works and resets the count.
        let ok = try await f.service.passwordLogin(username: "jiro", password: goodPassword, context: nil, client: "t")
        #expect(ok.aal == 1)
        // Reach the lock (8 here): afterwards even the right password is "invalid credentials".
        for _ in 0..<8 {
            _ = await authnCode { _ = try await f.service.passwordLogin(username: "jiro", password: Redacted("wrong password!!"), context: nil, client: "t") }
            f.clock.advance(by: 3_601)
        }
        let locked = await authnCode { _ = try await f.service.passwordLogin(username: "jiro", password: goodPassword, context: nil, client: "t") }
        #expect(locked?.code == .invalidCredentials)
    }

    @Test("recovery codes: ten shown once, each works once as the second factor")
    func recoveryCodes() async throws {
        let f = try await AuthnFixture()
        let signup = try await f.service.signUp(username: "saburo", password: goodPassword, displayName: nil, client: "t")
        let ctx = try await f.context(signup)
        let codes = try await f.service.issueRecoveryCodes(context: ctx)
        #expect(codes.count == 10 && Set(codes.map(\.revealed)).count == 10)
        let login = try await f.service.passwordLogin(username: "saburo", password: goodPassword, context: nil, client: "t")
        #expect(login.next == [.recoveryCode])
        let ctx2 = try await f.context(login)
        let used = try await f.service.useRecoveryCode(codes[3].revealed.uppercased(), context: ctx2)
        #expect(used.aal == 2)
        let ctx3 = try await f.context(try await f.service.passwordLogin(username: "saburo", password: goodPassword, context: nil, client: "t"))
        #expect(await authnCode { _ = try await f.service.useRecoveryCode(codes[3].revealed, context: ctx3) }?.code == .invalidCredentials)
        #expect(await authnCode { _ = try await f.service.useRecoveryCode("not a code at all!", context: ctx3) }?.code == .invalidInput)
    }

    @Test("a session ends at its absolute limit, and an AAL2 session idle for over an hour drops to AAL1 and asks for a step-up")
    func sessionLimits() async throws {
        let f = try await AuthnFixture()
        let signup = try await f.service.signUp(username: "shiro", password: goodPassword, displayName: nil, client: "t")
        let ctx = try await f.context(signup)
        let enrolment = try await f.service.enrollTOTP(context: ctx)
        let totp = try TOTP(secret: Redacted(try Base32.decode(enrolment.secret.revealed)))
        let two = try await f.service.verifyTOTP(code: try #require(totp.code(at: f.clock.now())), context: ctx)
        let token = try #require(two.token).revealed
        f.clock.advance(by: 3_700)
        let idle = try #require(try await f.service.authenticate(token: token))
        #expect(idle.aal == 1)
        let e = await authnCode { try await f.service.require(2, in: idle) }
        // After inactivity one factor again suffices (800-63B-4 §2.2.3): either is offered.
        #expect(e?.code == .stepUpRequired && Set(e?.next ?? []) == [.password, .totp])
        f.clock.advance(by: 31 * 86_400)
        #expect(isNil(try await f.service.authenticate(token: token)))
        // Garbage tokens are simply not sessions.
        for bad in ["", "ses_", "ses_01.x", String(repeating: "a", count: 5000), "\(idle.session.id.rawValue).wrong"] {
            #expect(isNil(try await f.service.authenticate(token: bad)))
        }
    }

    @Test("binding a new factor needs the level the account can already reach")
    func bindingLevel() async throws {
        let f = try await AuthnFixture()
        let signup = try await f.service.signUp(username: "goro", password: goodPassword, displayName: nil, client: "t")
        let ctx = try await f.context(signup)
        let enrolment = try await f.service.enrollTOTP(context: ctx)
        let totp = try TOTP(secret: Redacted(try Base32.decode(enrolment.secret.revealed)))
        _ = try await f.service.verifyTOTP(code: try #require(totp.code(at: f.clock.now())), context: ctx)
        // Someone with the password alone cannot add their own second factor.
        let pwOnly = try await f.context(try await f.service.passwordLogin(username: "goro", password: goodPassword, context: nil, client: "t"))
        #expect(await authnCode { _ = try await f.service.enrollTOTP(context: pwOnly) }?.code == .stepUpRequired)
        #expect(await authnCode { _ = try await f.service.registrationOptions(method: .passkey, context: pwOnly) }?.code == .stepUpRequired)
        #expect(await authnCode { _ = try await f.service.issueRecoveryCodes(context: pwOnly) }?.code == .stepUpRequired)
    }
}
