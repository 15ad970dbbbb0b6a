import Crypto
import Foundation
import HonninCore
import HonninCredentials
import HonninStore
import HonninWebAuthn

/// Settings of ``AuthnService``; the defaults follow NIST SP 800-63B-4.
public struct AuthnSettings: Sendable {
    public var rules = AssuranceRules()
    /// A new account may enrol its first authenticator within this time after sign-up.
    public var enrolmentWindow: TimeInterval = 600
    /// WebAuthn and JPKI challenges live this long.
    public var challengeLifetime: TimeInterval = 300
    /// Failures allowed without delay; then the delay doubles from ``throttleBaseDelay`` up to
    /// ``throttleMaxDelay``; at ``lockAfter`` consecutive failures the user name is locked
    /// (800-63B-4 §3.2.2: at most 100) until an operator unlocks it.
    public var freeFailures = 5
    public var throttleBaseDelay: TimeInterval = 30
    public var throttleMaxDelay: TimeInterval = 3_600
    public var lockAfter = 100
    /// The issuer shown in authenticator apps.
    public var totpIssuer = "Honnin"
    public var recoveryCodeCount = 10
    /// Whether anyone may create an account with `POST /auth/signup`. Off, accounts come only
    /// from verification flows and the operator's CLI.
    public var openSignUp = true
    public init() {}
}

/// What the API answers after a factor was used.
public struct AuthnOutcome: Sendable {
    public let session: Session
    /// Set when a new token was issued (a new session, or the old one's token rotated after a
    /// change of level — session fixation cannot survive a step-up).
    public let token: Redacted<String>?
    public let aal: Int
    public let amr: [String]
    /// Methods this account can use next to reach AAL2 (or AAL3 once at AAL2).
    public let next: [AuthenticationMethod]
}

/// A session as a request sees it.
public struct SessionContext: Sendable {
    public let session: Session
    public let account: Account
    public let aal: Int
    /// When the current level lapses without activity or reauthentication.
    public let levelExpiresAt: Date?
}

/// Accounts, factors and sessions (the guideline's 当人認証): sign-up, password, TOTP,
/// recovery codes, passkeys and security keys, the JPKI user certificate; sessions whose AAL
/// is derived from the factors used; step-up; throttling.
public struct AuthnService: Sendable {
    public let accounts: any AccountRepository
    public let vault: Vault
    public let relyingParty: RelyingParty
    public let settings: AuthnSettings
    let clock: any WallClock
    let random: any RandomSource
    let lookupKey: SymmetricKey
    let hasher: PasswordHasher
    let recovery: RecoveryCodes

    public init(
        accounts: any AccountRepository, vault: Vault, relyingParty: RelyingParty, lookupKey: Redacted<[UInt8]>, settings: AuthnSettings = AuthnSettings(),
        clock: any WallClock, random: any RandomSource, passwordParameters: PasswordHasher.Parameters = .standard,
        recoveryParameters: PasswordHasher.Parameters = RecoveryCodes.standardParameters
    ) throws {
        self.accounts = accounts
        self.vault = vault
        self.relyingParty = relyingParty
        self.settings = settings
        self.clock = clock
        self.random = random
        self.lookupKey = SymmetricKey(data: lookupKey.revealed)
        self.hasher = PasswordHasher(parameters: passwordParameters, random: random)
        self.recovery = try RecoveryCodes(pepper: lookupKey, parameters: recoveryParameters, random: random)
    }

    // MARK: User names

    /// A user name: NFKC, lower-cased, trimmed; 3–64 characters of letters, digits and
    /// `. _ - @ +` (so an e-mail address works). Returns nil when not acceptable.
    public static func normalizeUsername(_ raw: String) -> String? {
        let n = raw.precomposedStringWithCompatibilityMapping.lowercased().trimmingCharacters(in: .whitespaces)
        let scalars = n.unicodeScalars
        guard (3...64).contains(scalars.count),
            scalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType == .decimal || "._-@+".unicodeScalars.contains($0) })
        else { return nil }
        return n
    }

    func usernameDigest(_ normalized: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array("honnin.username.v1\u{0}\(normalized)".utf8), using: lookupKey))
    }

    /// The account's user name and display name (opened from the vault).
    public func profile(of account: Account) async throws -> (username: String, displayName: String) {
        let record = try await vault.open(account.profile)
        let name = record["username"].map { String(decoding: $0.revealed, as: UTF8.self) } ?? ""
        let display = record["display_name"].map { String(decoding: $0.revealed, as: UTF8.self) } ?? name
        return (name, display)
    }

    func newID(_ kind: HonninID.Kind) -> HonninID { HonninID(kind: kind, milliseconds: Timestamp.milliseconds(clock.now()), random: random) }

    // MARK: Sign-up

    /// Creates an account and a session for it. With a password, the session is at AAL1 at
    /// once; without one, the session may enrol a first authenticator (a passkey) within
    /// ``AuthnSettings/enrolmentWindow``.
    public func signUp(
        username raw: String, password: Redacted<String>?, displayName: String?, client: String, origin: String = "signup", roles: Set<String> = []
    ) async throws(AuthnError) -> AuthnOutcome {
        guard settings.openSignUp || origin != "signup" else { throw AuthnError(.methodUnavailable, "sign-up is closed on this server") }
        guard let username = Self.normalizeUsername(raw) else {
            throw AuthnError(.invalidInput, "user name not acceptable", member: "username", reason: "username_invalid")
        }
        let display = (displayName ?? username).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(display.count), !display.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) else {
            throw AuthnError(.invalidInput, "display name not acceptable", member: "display_name", reason: "display_name_invalid")
        }
        if let password {
            do {
                try PasswordPolicy.check(password, minimum: PasswordPolicy.minimumAlone, context: [username, display, settings.totpIssuer])
            } catch {
                throw AuthnError(.invalidInput, "password refused: \(error.code)", member: "password", reason: error.code)
            }
        }
        let digest = usernameDigest(username)
        return try await wrap {
            if try await accounts.account(usernameDigest: digest) != nil { throw AuthnError(.usernameTaken, "user name exists", member: "username") }
            let now = clock.now()
            let (profile, _) = try await vault.seal(
                [VaultField(name: "username", text: username), VaultField(name: "display_name", text: display)], actor: "signup")
            let account = Account(id: newID(.account), usernameDigest: digest, profile: profile, createdAt: now, origin: origin, roles: roles)
            var authenticators: [Authenticator] = []
            var entries: [AMREntry] = []
            if let password {
                let a = Authenticator(
                    id: newID(.authenticator), account: account.id, method: .password, label: "password",
                    secret: .password(hash: try hasher.hash(password)), createdAt: now, lastUsedAt: now)
                authenticators.append(a)
                entries.append(a.template.entry(at: now))
            }
            let (session, token) = makeSession(account: account.id, entries: entries, client: client, enrolment: password == nil)
            do {
                try await accounts.insertAccount(
                    account, authenticators: authenticators, session: session,
                    audit: AuditEvent(action: "account.created", actor: "account:\(account.id)", subject: account.id.rawValue, details: ["origin": origin], at: now))
            } catch {
                _ = try? await vault.erase(profile, actor: "signup", reason: "account insert failed")
                if try await accounts.account(usernameDigest: digest) != nil { throw AuthnError(.usernameTaken, "user name exists", member: "username") }
                throw error
            }
            return outcome(session, token: token, account: account, authenticators: authenticators)
        }
    }

    func makeSession(account: HonninID, entries: [AMREntry], client: String, enrolment: Bool) -> (Session, Redacted<String>) {
        let now = clock.now()
        let id = newID(.session)
        let token = "hss_" + Bytes.base64URL(random.bytes(32))
        let s = Session(
            id: id, account: account, tokenDigest: Array(SHA256.hash(data: Array(token.utf8))), csrfToken: Bytes.base64URL(random.bytes(32)),
            createdAt: now, lastSeenAt: now, expiresAt: now.addingTimeInterval(settings.rules.limits.aal1.overall), entries: entries,
            client: String(client.prefix(80)), enrolmentUntil: enrolment ? now.addingTimeInterval(settings.enrolmentWindow) : nil)
        return (s, Redacted(id.rawValue + "." + token))
    }

    func outcome(_ session: Session, token: Redacted<String>?, account: Account, authenticators: [Authenticator]) -> AuthnOutcome {
        let now = clock.now()
        let aal = settings.rules.level(of: session.entries, now: now, lastSeen: session.lastSeenAt)
        return AuthnOutcome(
            session: session, token: token, aal: aal, amr: session.amr, next: next(for: session, authenticators: authenticators, aal: aal))
    }

    /// What would raise the session: to AAL2 from below, else to AAL3.
    func next(for session: Session, authenticators: [Authenticator], aal: Int) -> [AuthenticationMethod] {
        let now = clock.now()
        var enrolled: [AuthenticationMethod: AMREntryTemplate] = [:]
        for a in authenticators where !a.pending {
            let used = session.entries.contains { $0.authenticator == a.id.rawValue }
            if !used, enrolled[a.method] == nil || a.template.hardwareBound { enrolled[a.method] = a.template }
        }
        for target in [max(2, aal + 1), 3] where target > aal && target <= 3 {
            let m = settings.rules.missing(for: target, entries: session.entries, enrolled: enrolled, now: now, lastSeen: now)
            if !m.isEmpty { return m }
        }
        return []
    }

    /// Runs `body`, turning storage and other errors into `unavailable` (logged by the caller).
    func wrap<T>(_ body: () async throws -> T) async throws(AuthnError) -> T {
        do { return try await body() } catch let e as AuthnError { throw e } catch {
            throw AuthnError(.unavailable, "storage: \(error)")
        }
    }

    // MARK: Sessions

    /// The session a `ses_….<token>` value names, if valid now. Touches `lastSeenAt` (at most
    /// once a minute, so the idle limits hold to a minute).
    public func authenticate(token raw: String) async throws(AuthnError) -> SessionContext? {
        let parts = raw.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[1].utf8.count < 200, let id = HonninID(parsing: parts[0], kind: .session) else { return nil }
        return try await wrap {
            guard var session = try await accounts.session(id: id) else { return nil }
            let now = clock.now()
            guard Bytes.constantTimeEqual(Array(SHA256.hash(data: Array(parts[1].utf8))), session.tokenDigest), now < session.expiresAt,
                let account = try await accounts.account(id: session.account), account.disabledAt == nil
            else { return nil }
            let aal = settings.rules.level(of: session.entries, now: now, lastSeen: session.lastSeenAt)
            if session.entries.isEmpty, (session.enrolmentUntil ?? .distantPast) < now { return nil }
            if aal == 0, !session.entries.isEmpty { return nil }
            if now.timeIntervalSince(session.lastSeenAt) > 60 {
                let expected = session.version
                session.lastSeenAt = now
                session.version += 1
                if try await !accounts.updateSession(session, expectedVersion: expected, audit: nil) {
                    guard let fresh = try await accounts.session(id: id) else { return nil }
                    session = fresh
                }
            }
            return SessionContext(
                session: session, account: account, aal: aal, levelExpiresAt: settings.rules.levelExpiry(of: session.entries, level: aal, lastSeen: session.lastSeenAt))
        }
    }

    /// Refuses with `step_up_required` (and what would satisfy it) unless the session is at
    /// `level`; `role`, when given, must be one of the account's roles.
    public func require(_ level: Int, role: String? = nil, in context: SessionContext) async throws(AuthnError) {
        if let role, !context.account.roles.contains(role) { throw AuthnError(.roleRequired, "role \(role) required") }
        guard context.aal >= level else {
            let authenticators = try await wrap { try await accounts.authenticators(account: context.account.id) }
            var e = AuthnError(.stepUpRequired, "AAL\(level) required, session is at AAL\(context.aal)")
            e.requiredAAL = level
            e.currentAAL = context.aal
            var enrolled: [AuthenticationMethod: AMREntryTemplate] = [:]
            for a in authenticators where !a.pending { enrolled[a.method] = enrolled[a.method] ?? a.template }
            let now = clock.now()
            // After inactivity, factors already used count again once re-entered.
            let fresh = context.session.entries.filter { now.timeIntervalSince($0.at) <= settings.rules.limits.limit(level).overall }
            e.next = settings.rules.missing(for: level, entries: fresh, enrolled: enrolled, now: now, lastSeen: now)
            throw e
        }
    }

    public func sessions(of context: SessionContext) async throws(AuthnError) -> [Session] {
        try await wrap { try await accounts.sessions(account: context.account.id).sorted { $0.lastSeenAt > $1.lastSeenAt } }
    }

    public func level(of session: Session) -> Int { settings.rules.level(of: session.entries, now: clock.now(), lastSeen: session.lastSeenAt) }

    /// Ends one of the account's sessions (the current one is a logout).
    public func revoke(session id: HonninID, in context: SessionContext) async throws(AuthnError) {
        try await wrap {
            guard let s = try await accounts.session(id: id), s.account == context.account.id else { throw AuthnError(.notFound, "no such session") }
            try await accounts.deleteSession(
                id, audit: AuditEvent(action: id == context.session.id ? "session.logout" : "session.revoked", actor: "account:\(context.account.id)", subject: id.rawValue, at: clock.now()))
        }
    }

    /// Adds a used factor to the session. The token is rotated whenever the level rises, so a
    /// token planted before a step-up (session fixation) is worthless after it.
    func add(_ entry: AMREntry, to context: SessionContext?, account: Account, client: String, authenticators: [Authenticator]) async throws -> AuthnOutcome {
        let now = clock.now()
        if let context, context.account.id == account.id {
            var s = context.session
            let before = settings.rules.level(of: s.entries, now: now, lastSeen: s.lastSeenAt)
            let expected = s.version
            s.entries = (s.entries.filter { now.timeIntervalSince($0.at) <= settings.rules.limits.aal1.overall } + [entry]).suffix(20)
            s.lastSeenAt = now
            s.enrolmentUntil = nil
            s.version += 1
            var token: Redacted<String>? = nil
            if settings.rules.level(of: s.entries, now: now, lastSeen: now) > before {
                let t = "hss_" + Bytes.base64URL(random.bytes(32))
                s.tokenDigest = Array(SHA256.hash(data: Array(t.utf8)))
                token = Redacted(s.id.rawValue + "." + t)
            }
            guard try await accounts.updateSession(
                s, expectedVersion: expected,
                audit: AuditEvent(action: "session.factor_added", actor: "account:\(account.id)", subject: s.id.rawValue, details: ["method": entry.method.rawValue], at: now))
            else { throw AuthnError(.conflict, "the session changed at the same time") }
            return outcome(s, token: token, account: account, authenticators: authenticators)
        }
        let (session, token) = makeSession(account: account.id, entries: [entry], client: client, enrolment: false)
        try await accounts.insertSession(
            session, audit: AuditEvent(action: "session.created", actor: "account:\(account.id)", subject: session.id.rawValue, details: ["method": entry.method.rawValue], at: now))
        return outcome(session, token: token, account: account, authenticators: authenticators)
    }

    // MARK: Throttling

    /// The delay before another attempt is allowed after `t` (nil: allowed now).
    func wait(_ t: LoginThrottle, now: Date) -> TimeInterval? {
        guard t.failures >= settings.freeFailures, let last = t.lastFailureAt else { return nil }
        let exponent = min(t.failures - settings.freeFailures, 20)
        let delay = min(settings.throttleBaseDelay * pow(2, Double(exponent)), settings.throttleMaxDelay)
        let left = last.addingTimeInterval(delay).timeIntervalSince(now)
        return left > 0 ? left : nil
    }

    /// Checks the throttle for a user name digest before any secret is compared.
    func checkThrottle(_ digest: [UInt8]) async throws(AuthnError) -> LoginThrottle {
        let t = try await wrap { try await accounts.throttle(digest) }
        if let left = wait(t, now: clock.now()) {
            var e = AuthnError(.throttled, "\(t.failures) consecutive failures")
            e.retryAfter = left.rounded(.up)
            throw e
        }
        return t
    }

    func fail(_ digest: [UInt8], account: Account?, method: AuthenticationMethod) async throws(AuthnError) -> AuthnError {
        let now = clock.now()
        let t = try await wrap { try await accounts.recordFailure(digest, at: now) }
        try await wrap {
            try await accounts.appendAuditEvent(
                AuditEvent(
                    action: "auth.failed", actor: "anonymous", subject: account?.id.rawValue,
                    details: ["method": method.rawValue, "consecutive": String(t.failures), "locked": String(t.failures >= settings.lockAfter)], at: now))
        }
        return AuthnError(.invalidCredentials, "\(method.rawValue) did not verify (\(t.failures) consecutive)")
    }

    // MARK: Password

    static let dummyHash = "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    /// Password sign-in (a first factor, or a step-up inside `context`). An unknown user name,
    /// a wrong password, a disabled account and a locked one all answer `invalid_credentials`
    /// after the same scrypt work.
    public func passwordLogin(username raw: String, password: Redacted<String>, context: SessionContext?, client: String) async throws(AuthnError) -> AuthnOutcome {
        let normalized = Self.normalizeUsername(raw) ?? "\u{0}invalid"
        let digest = usernameDigest(normalized)
        let throttle = try await checkThrottle(digest)
        let (account, authenticators) = try await wrap { () async throws -> (Account?, [Authenticator]) in
            guard let a = try await accounts.account(usernameDigest: digest) else { return (nil, []) }
            return (a, try await accounts.authenticators(account: a.id))
        }
        let stored = authenticators.first { $0.method == .password && !$0.pending }
        var hash = Self.dummyHash
        if case .password(let h)? = stored?.secret { hash = h }
        let ok = PasswordHasher.verify(password, against: hash)
        guard ok, let account, let stored, account.disabledAt == nil, throttle.failures < settings.lockAfter else {
            throw try await fail(digest, account: account, method: .password)
        }
        let now = clock.now()
        return try await wrap {
            try await accounts.resetThrottle(digest)
            var used = stored
            if hasher.needsRehash(hash) { used.secret = .password(hash: try hasher.hash(password)) }
            used.lastUsedAt = now
            used.version += 1
            _ = try await accounts.updateAuthenticator(used, expectedVersion: stored.version, audit: nil)
            return try await add(stored.template.entry(at: now), to: context, account: account, client: client, authenticators: authenticators)
        }
    }

    /// The minimum AAL the session needs to bind a new authenticator: what the account's
    /// authenticators can already reach, at most AAL2 (so an attacker holding one factor
    /// cannot add their own second one).
    func requireBindingLevel(_ context: SessionContext) async throws(AuthnError) -> [Authenticator] {
        let authenticators = try await wrap { try await accounts.authenticators(account: context.account.id) }
        let now = clock.now()
        if context.session.entries.isEmpty {
            guard let until = context.session.enrolmentUntil, until > now, authenticators.allSatisfy(\.pending) else {
                throw AuthnError(.sessionRequired, "sign in first")
            }
            return authenticators
        }
        let all = authenticators.filter { !$0.pending }.map { $0.template.entry(at: now) }
        let reachable = min(2, settings.rules.level(of: all, now: now, lastSeen: now))
        try await require(reachable, in: context)
        return authenticators
    }

    // MARK: TOTP

    public struct TOTPEnrolment: Sendable {
        public let authenticator: HonninID
        public let secret: Redacted<String>
        public let uri: Redacted<String>
        public let qrSVG: Redacted<String>
    }

    /// Starts a TOTP enrolment: a fresh secret (sealed in the vault) that becomes active when a
    /// first code verifies (``verifyTOTP(code:context:)``).
    public func enrollTOTP(context: SessionContext) async throws(AuthnError) -> TOTPEnrolment {
        let authenticators = try await requireBindingLevel(context)
        return try await wrap {
            let totp = try TOTP.generate(random: random)
            let secret = Base32.encode(totp.secret.revealed)
            let (name, _) = try await profile(of: context.account)
            let uri = try OTPAuthURI(totp: totp, issuer: settings.totpIssuer, accountName: name).string.revealed
            let svg = try QRCode.encode(uri, level: .medium).svg(title: "TOTP QR code / 認証アプリ用QRコード")
            let now = clock.now()
            for old in authenticators where old.method == .totp && old.pending {
                try await accounts.deleteAuthenticator(old.id, audit: AuditEvent(action: "authenticator.replaced", actor: "account:\(context.account.id)", subject: old.id.rawValue, at: now))
            }
            let (record, _) = try await vault.seal([VaultField(name: "totp_secret", text: secret)], actor: "account:\(context.account.id)")
            let a = Authenticator(
                id: newID(.authenticator), account: context.account.id, method: .totp, label: "authenticator app",
                secret: .totp(secretRecord: record, algorithm: totp.algorithm.rawValue, digits: totp.digits, period: totp.period, lastStep: nil),
                createdAt: now, pending: true)
            try await accounts.insertAuthenticator(
                a, audit: AuditEvent(action: "authenticator.enrolment_started", actor: "account:\(context.account.id)", subject: a.id.rawValue, details: ["method": "totp"], at: now))
            return TOTPEnrolment(authenticator: a.id, secret: Redacted(secret), uri: Redacted(uri), qrSVG: Redacted(svg))
        }
    }

    /// Verifies a TOTP code in the session: confirms a pending enrolment, or adds the factor.
    /// Each step is accepted once (the last used step is stored by compare-and-swap).
    public func verifyTOTP(code: String, context: SessionContext) async throws(AuthnError) -> AuthnOutcome {
        let digest = context.account.usernameDigest
        let throttle = try await checkThrottle(digest)
        let authenticators = try await wrap { try await accounts.authenticators(account: context.account.id) }
        let candidates = authenticators.filter { $0.method == .totp }.sorted { !$0.pending && $1.pending }
        guard !candidates.isEmpty else { throw AuthnError(.methodUnavailable, "no authenticator app enrolled") }
        let now = clock.now()
        for a in candidates {
            guard case .totp(let record, let algorithm, let digits, let period, let lastStep) = a.secret else { continue }
            let verdict: TOTPVerdict
            do {
                let secret = try await vault.open(record)["totp_secret"].map { String(decoding: $0.revealed, as: UTF8.self) } ?? ""
                let totp = try TOTP(secret: Redacted(try Base32.decode(secret)), algorithm: OTPAlgorithm(rawValue: algorithm) ?? .sha1, digits: digits, period: period)
                verdict = try totp.verify(code, at: now, lastUsedStep: lastStep.map { UInt64(max(0, $0)) })
            } catch let e as OTPInputError {
                throw AuthnError(.invalidInput, "code malformed: \(e)", member: "code", reason: "code_malformed")
            } catch {
                throw AuthnError(.unavailable, "TOTP secret unavailable: \(error)")
            }
            guard case .accepted(let step) = verdict, throttle.failures < settings.lockAfter else { continue }
            var used = a
            used.secret = .totp(secretRecord: record, algorithm: algorithm, digits: digits, period: period, lastStep: Int64(step))
            used.pending = false
            used.lastUsedAt = now
            used.version += 1
            let swapped = try await wrap {
                try await accounts.updateAuthenticator(
                    used, expectedVersion: a.version,
                    audit: a.pending ? AuditEvent(action: "authenticator.enrolled", actor: "account:\(context.account.id)", subject: a.id.rawValue, details: ["method": "totp"], at: now) : nil)
            }
            // Lost the race: another request used this step first (a replay).
            guard swapped else { break }
            return try await wrap {
                try await accounts.resetThrottle(digest)
                let all = try await accounts.authenticators(account: context.account.id)
                return try await add(used.template.entry(at: now), to: context, account: context.account, client: context.session.client, authenticators: all)
            }
        }
        throw try await fail(digest, account: context.account, method: .totp)
    }

    // MARK: Recovery codes

    /// Issues a new set of recovery codes (replacing any old set). Shown once.
    public func issueRecoveryCodes(context: SessionContext) async throws(AuthnError) -> [Redacted<String>] {
        let authenticators = try await requireBindingLevel(context)
        return try await wrap {
            let issued = try recovery.generate(count: settings.recoveryCodeCount)
            let now = clock.now()
            for old in authenticators where old.method == .recoveryCode {
                try await accounts.deleteAuthenticator(old.id, audit: AuditEvent(action: "authenticator.replaced", actor: "account:\(context.account.id)", subject: old.id.rawValue, at: now))
            }
            let a = Authenticator(
                id: newID(.authenticator), account: context.account.id, method: .recoveryCode, label: "recovery codes",
                secret: .recoveryCodes(verifiers: issued.verifiers, used: Array(repeating: false, count: issued.verifiers.count)), createdAt: now)
            try await accounts.insertAuthenticator(
                a, audit: AuditEvent(action: "authenticator.enrolled", actor: "account:\(context.account.id)", subject: a.id.rawValue, details: ["method": "recovery_code"], at: now))
            return issued.codes
        }
    }

    /// Uses one recovery code as a second factor in the session.
    public func useRecoveryCode(_ code: String, context: SessionContext) async throws(AuthnError) -> AuthnOutcome {
        let digest = context.account.usernameDigest
        let throttle = try await checkThrottle(digest)
        let authenticators = try await wrap { try await accounts.authenticators(account: context.account.id) }
        guard let a = authenticators.first(where: { $0.method == .recoveryCode }), case .recoveryCodes(let verifiers, var used) = a.secret else {
            throw AuthnError(.methodUnavailable, "no recovery codes issued")
        }
        let index: Int?
        do { index = try recovery.match(code, against: verifiers) } catch {
            throw AuthnError(.invalidInput, "recovery code malformed", member: "code", reason: "code_malformed")
        }
        guard let index, !used[index], throttle.failures < settings.lockAfter else {
            throw try await fail(digest, account: context.account, method: .recoveryCode)
        }
        let now = clock.now()
        used[index] = true
        var updated = a
        updated.secret = .recoveryCodes(verifiers: verifiers, used: used)
        updated.lastUsedAt = now
        updated.version += 1
        return try await wrap {
            guard try await accounts.updateAuthenticator(
                updated, expectedVersion: a.version,
                audit: AuditEvent(action: "authenticator.recovery_code_used", actor: "account:\(context.account.id)", subject: a.id.rawValue, details: ["left": String(used.filter { !$0 }.count)], at: now))
            else { throw AuthnError(.conflict, "recovery codes changed at the same time") }
            try await accounts.resetThrottle(digest)
            return try await add(a.template.entry(at: now), to: context, account: context.account, client: context.session.client, authenticators: authenticators)
        }
    }

    // MARK: Authenticators

    public func authenticators(context: SessionContext) async throws(AuthnError) -> [Authenticator] {
        try await wrap { try await accounts.authenticators(account: context.account.id).filter { !$0.pending } }
    }

    /// Removes an authenticator (needs the binding level; the last one cannot go).
    public func removeAuthenticator(_ id: HonninID, context: SessionContext) async throws(AuthnError) {
        let authenticators = try await requireBindingLevel(context)
        guard authenticators.contains(where: { $0.id == id }) else { throw AuthnError(.notFound, "no such authenticator") }
        guard authenticators.filter({ !$0.pending && $0.id != id && $0.method != .recoveryCode }).count >= 1 else {
            throw AuthnError(.conflict, "the last authenticator cannot be removed")
        }
        try await wrap {
            try await accounts.deleteAuthenticator(id, audit: AuditEvent(action: "authenticator.removed", actor: "account:\(context.account.id)", subject: id.rawValue, at: clock.now()))
        }
    }
}
