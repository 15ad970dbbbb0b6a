import Foundation
import HonninCore
import HonninStore
import HonninWebAuthn

extension HonninID.Kind {
    public static let account = HonninID.Kind("acc")
    public static let authenticator = HonninID.Kind("atr")
    public static let session = HonninID.Kind("ses")
}

/// An account: created by sign-up or by a verification flow the business decided on. The user
/// name and display name are personal data: they live sealed in the vault (``profile``), and
/// the account is found by a keyed digest of the normalised user name.
public struct Account: Sendable, Equatable {
    public let id: HonninID
    /// HMAC-SHA-256 of the normalised user name under the server's lookup key.
    public let usernameDigest: [UInt8]
    /// The vault record holding `username` and `display_name`.
    public let profile: HonninID
    public let createdAt: Date
    /// `signup`, or `verification:<flow id>` for an account a verification flow created.
    public let origin: String
    /// `reviewer`, `admin`: the console and administrative routes need AAL2 and one of these.
    public var roles: Set<String>
    public var disabledAt: Date?

    public init(id: HonninID, usernameDigest: [UInt8], profile: HonninID, createdAt: Date, origin: String, roles: Set<String> = [], disabledAt: Date? = nil) {
        self.id = id
        self.usernameDigest = usernameDigest
        self.profile = profile
        self.createdAt = createdAt
        self.origin = origin
        self.roles = roles
        self.disabledAt = disabledAt
    }
}

/// One authenticator bound to an account.
public struct Authenticator: Sendable, Equatable {
    public enum Secret: Sendable, Equatable, Codable {
        /// A PHC string (`$scrypt$…`).
        case password(hash: String)
        /// The shared secret is sealed in the vault record `secretRecord`; `lastStep` is the last
        /// accepted time step (each code is accepted once: RFC 6238 §5.2, 800-63B-4 §3.1.4.2).
        case totp(secretRecord: HonninID, algorithm: String, digits: Int, period: Int, lastStep: Int64?)
        /// The look-up secrets' verifiers (PHC strings, ``RecoveryCodes``) and which were used.
        case recoveryCodes(verifiers: [String], used: [Bool])
        case webAuthn(CredentialRecord)
        /// The JPKI user-authentication certificate, by issuer and serial. `holder` is a keyed
        /// digest of the person named by the card's signature certificate, when it was presented
        /// at enrolment: it lets a renewed card be linked again after a new signature-certificate
        /// proofing of the same person (``AuthnService/relinkJPKI(certificate:signature:holder:challenge:verifier:context:client:)``).
        case jpki(linkKey: String, notAfter: Date, holder: String? = nil)
    }

    public let id: HonninID
    public let account: HonninID
    public let method: AuthenticationMethod
    /// A name the person gave it ("仕事用の YubiKey"), or a default.
    public var label: String
    public var secret: Secret
    public let createdAt: Date
    public var lastUsedAt: Date?
    /// Enrolment not yet confirmed (a TOTP secret until a first code is entered).
    public var pending: Bool
    /// Optimistic concurrency: every change checks and bumps it.
    public var version: Int

    public init(
        id: HonninID, account: HonninID, method: AuthenticationMethod, label: String, secret: Secret, createdAt: Date, lastUsedAt: Date? = nil,
        pending: Bool = false, version: Int = 0
    ) {
        self.id = id
        self.account = account
        self.method = method
        self.label = label
        self.secret = secret
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.pending = pending
        self.version = version
    }

    /// The WebAuthn credential ID, for lookups.
    public var credentialID: [UInt8]? {
        if case .webAuthn(let c) = secret { return c.id }
        return nil
    }

    /// The JPKI link key, for lookups.
    public var jpkiLinkKey: String? {
        if case .jpki(let key, _, _) = secret { return key }
        return nil
    }

    /// The keyed digest of the card holder, for re-linking a renewed card.
    public var jpkiHolder: String? {
        if case .jpki(_, _, let holder) = secret { return holder }
        return nil
    }

    /// What using this authenticator contributes to a session (for step-up planning).
    public var template: AMREntryTemplate {
        switch secret {
        case .password: .password(id.rawValue)
        case .totp: .totp(id.rawValue)
        case .recoveryCodes: .recoveryCode(id.rawValue)
        case .webAuthn(let c):
            .webAuthn(id.rawValue, securityKey: method == .securityKey, userVerified: c.uvInitialized, hardwareBound: Self.hardwareBound(c))
        case .jpki: .jpki(id.rawValue)
        }
    }

    /// A WebAuthn key counts as hardware-bound (AAL3) only when its attestation chained to FIDO
    /// metadata and it is neither backup-eligible nor backed up (800-63B-4 §2.3.2).
    public static func hardwareBound(_ c: CredentialRecord) -> Bool {
        c.attestationTrusted && !c.backupEligible && !c.backupState
    }
}

/// A server-side session. The client holds `ses_…​.<token>`; only the token's SHA-256 is stored.
/// The AAL is derived from ``entries`` at each request, never stored.
public struct Session: Sendable, Equatable {
    public let id: HonninID
    public let account: HonninID
    public var tokenDigest: [UInt8]
    public let csrfToken: String
    public let createdAt: Date
    public var lastSeenAt: Date
    /// The absolute end: the AAL1 overall limit from the first authentication.
    public var expiresAt: Date
    public var entries: [AMREntry]
    /// A short description of the client (browser family / "native"), for the sessions list.
    public let client: String
    /// Until then, a session without factors may enrol its first authenticator (right after sign-up).
    public var enrolmentUntil: Date?
    public var version: Int

    public init(
        id: HonninID, account: HonninID, tokenDigest: [UInt8], csrfToken: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date, entries: [AMREntry],
        client: String, enrolmentUntil: Date? = nil, version: Int = 0
    ) {
        self.id = id
        self.account = account
        self.tokenDigest = tokenDigest
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.entries = entries
        self.client = client
        self.enrolmentUntil = enrolmentUntil
        self.version = version
    }

    /// RFC 8176 `amr`, in order of use, with `mfa` when two distinct factors were used.
    public var amr: [String] {
        var out: [String] = []
        for v in entries.flatMap(\.amrValues) where !out.contains(v) { out.append(v) }
        let factors = entries.reduce(into: Set<Factor>()) { $0.formUnion($1.factors) }
        if factors.count >= 2 { out.append("mfa") }
        return out
    }
}

/// A server-made challenge waiting for its answer (WebAuthn or JPKI), found by its SHA-256 and
/// consumed once.
public struct PendingChallenge: Sendable, Equatable, Codable {
    public enum Purpose: String, Sendable, Codable {
        case registration, authentication, jpki
    }
    public let digest: [UInt8]
    public let purpose: Purpose
    /// For registration and step-up: the session that asked.
    public let session: HonninID?
    public let account: HonninID?
    public let userVerification: String
    /// For registration: passkey or security key.
    public let method: AuthenticationMethod?
    public let expiresAt: Date

    public init(
        digest: [UInt8], purpose: Purpose, session: HonninID?, account: HonninID?, userVerification: String, method: AuthenticationMethod?, expiresAt: Date
    ) {
        self.digest = digest
        self.purpose = purpose
        self.session = session
        self.account = account
        self.userVerification = userVerification
        self.method = method
        self.expiresAt = expiresAt
    }
}

/// Consecutive failures for one user name (known or not, so throttling reveals nothing).
public struct LoginThrottle: Sendable, Equatable {
    public var failures: Int
    public var lastFailureAt: Date?
    public init(failures: Int = 0, lastFailureAt: Date? = nil) {
        self.failures = failures
        self.lastFailureAt = lastFailureAt
    }
}

/// Storage for accounts, authenticators, sessions, pending challenges and throttles. Every
/// change that matters is audited in the same transaction.
public protocol AccountRepository: Sendable {
    func insertAccount(_ account: Account, authenticators: [Authenticator], session: Session?, audit: AuditEvent) async throws
    func account(id: HonninID) async throws -> Account?
    func account(usernameDigest: [UInt8]) async throws -> Account?
    func updateAccount(_ account: Account, audit: AuditEvent) async throws

    func authenticators(account: HonninID) async throws -> [Authenticator]
    func authenticator(id: HonninID) async throws -> Authenticator?
    func authenticator(credentialID: [UInt8]) async throws -> Authenticator?
    func authenticator(jpkiLinkKey: String) async throws -> Authenticator?
    /// JPKI authenticators whose card holder digest is `jpkiHolder` (any account).
    func authenticators(jpkiHolder: String) async throws -> [Authenticator]
    func insertAuthenticator(_ a: Authenticator, audit: AuditEvent) async throws
    /// Compare-and-swap on `version`: false when someone else changed it first.
    func updateAuthenticator(_ a: Authenticator, expectedVersion: Int, audit: AuditEvent?) async throws -> Bool
    func deleteAuthenticator(_ id: HonninID, audit: AuditEvent) async throws

    func insertSession(_ s: Session, audit: AuditEvent) async throws
    func session(id: HonninID) async throws -> Session?
    func sessions(account: HonninID) async throws -> [Session]
    /// Compare-and-swap on `version`.
    func updateSession(_ s: Session, expectedVersion: Int, audit: AuditEvent?) async throws -> Bool
    func deleteSession(_ id: HonninID, audit: AuditEvent?) async throws
    /// Removes sessions past their absolute end; returns how many.
    func purgeSessions(before: Date) async throws -> Int

    func insertChallenge(_ c: PendingChallenge) async throws
    /// Removes and returns the challenge with this digest if it exists (expired or not: the
    /// caller tells expired from unknown).
    func consumeChallenge(digest: [UInt8]) async throws -> PendingChallenge?

    func throttle(_ usernameDigest: [UInt8]) async throws -> LoginThrottle
    /// Adds one failure atomically and returns the new state.
    func recordFailure(_ usernameDigest: [UInt8], at: Date) async throws -> LoginThrottle
    func resetThrottle(_ usernameDigest: [UInt8]) async throws

    func appendAuditEvent(_ event: AuditEvent) async throws
}
