import Foundation
import HonninCore

/// Authentication factors (NIST SP 800-63B-4 §2): something you know, have, are.
public enum Factor: String, Codable, Sendable, Hashable, CaseIterable {
    case knowledge, possession, inherence
}

/// The authentication methods an account can use (the guideline's 当人認証 table).
public enum AuthenticationMethod: String, Codable, Sendable, Hashable, CaseIterable {
    case password
    case totp
    case recoveryCode = "recovery_code"
    case passkey
    case securityKey = "security_key"
    case jpkiUserCertificate = "jpki_user_certificate"
}

/// One factor used in a session: what was used, when, and the properties the AAL rules ask
/// about. Entries are facts about one authentication; the session's AAL is derived from them
/// (``AssuranceRules/level(of:now:lastSeen:)``), never stored.
public struct AMREntry: Codable, Sendable, Equatable {
    public let method: AuthenticationMethod
    /// The authenticator used (its id in the account), for the sessions list and the audit trail.
    public let authenticator: String
    public let at: Date
    public let factors: Set<Factor>
    /// 800-63B-4 §3.2.7: the secret cannot be replayed (OTPs accepted once, look-up secrets used
    /// once, signatures over fresh challenges).
    public let replayResistant: Bool
    /// §3.2.5: verifier-name binding (WebAuthn's origin and RP ID checks) or channel binding.
    public let phishingResistant: Bool
    /// A non-exportable key in hardware: a security key whose attestation chains to FIDO
    /// metadata and which is neither backup-eligible nor backed up, or the My Number Card.
    /// Syncable passkeys never are (§2.3.2: "Syncable authenticators SHALL NOT be used at AAL3").
    public let hardwareBound: Bool

    public init(
        method: AuthenticationMethod, authenticator: String, at: Date, factors: Set<Factor>, replayResistant: Bool, phishingResistant: Bool,
        hardwareBound: Bool
    ) {
        self.method = method
        self.authenticator = authenticator
        self.at = at
        self.factors = factors
        self.replayResistant = replayResistant
        self.phishingResistant = phishingResistant
        self.hardwareBound = hardwareBound
    }

    /// RFC 8176 values for this entry. A recovery code is reported as `otp` (a password used
    /// once); user verification on a WebAuthn authenticator as `pin` (the authenticator does not
    /// say which gesture it used).
    public var amrValues: [String] {
        switch method {
        case .password: ["pwd"]
        case .totp, .recoveryCode: ["otp"]
        case .passkey, .securityKey: [hardwareBound ? "hwk" : "swk"] + (factors.count > 1 ? ["pin"] : ["user"])
        case .jpkiUserCertificate: ["sc", "pin"]
        }
    }
}

/// Reauthentication limits per level (800-63B-4 §2.1.3, §2.2.3, §2.3.3): AAL1 30 days overall
/// and no inactivity limit; AAL2 24 h overall, 1 h idle; AAL3 12 h overall, 15 min idle.
public struct ReauthenticationLimits: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var overall: TimeInterval
        public var idle: TimeInterval?
        public init(overall: TimeInterval, idle: TimeInterval?) {
            self.overall = overall
            self.idle = idle
        }
    }
    public var aal1: Limit
    public var aal2: Limit
    public var aal3: Limit

    public init(aal1: Limit, aal2: Limit, aal3: Limit) {
        self.aal1 = aal1
        self.aal2 = aal2
        self.aal3 = aal3
    }

    public static let nist = ReauthenticationLimits(
        aal1: Limit(overall: 30 * 86_400, idle: nil), aal2: Limit(overall: 86_400, idle: 3_600), aal3: Limit(overall: 12 * 3_600, idle: 900))

    public func limit(_ level: Int) -> Limit { level >= 3 ? aal3 : level == 2 ? aal2 : aal1 }
}

/// Derives an authentication assurance level from the factors used (800-63B-4 §2):
/// - **AAL3**: a phishing-resistant, hardware-bound authenticator (§2.3.1) that is multi-factor
///   itself or is combined with a second distinct factor;
/// - **AAL2**: two distinct factors (§2.2.1), at least one replay-resistant (§2.2.2); a
///   multi-factor authenticator (a passkey with user verification) counts for both;
/// - **AAL1**: any factor.
/// Only entries within the level's overall limit count, and the level holds only while the
/// session's inactivity is within the level's idle limit; otherwise the next lower level is
/// tried (an AAL3 session idle for 20 minutes is still AAL2 for the rest of the hour).
public struct AssuranceRules: Sendable, Equatable {
    public var limits: ReauthenticationLimits

    public init(limits: ReauthenticationLimits = .nist) { self.limits = limits }

    public func level(of entries: [AMREntry], now: Date, lastSeen: Date) -> Int {
        for level in [3, 2, 1] {
            let limit = limits.limit(level)
            if let idle = limit.idle, now.timeIntervalSince(lastSeen) > idle { continue }
            let current = entries.filter { now.timeIntervalSince($0.at) <= limit.overall && $0.at <= now }
            if Self.satisfies(level, current) { return level }
        }
        return 0
    }

    static func satisfies(_ level: Int, _ entries: [AMREntry]) -> Bool {
        switch level {
        case 3:
            return entries.contains { strong in
                guard strong.phishingResistant, strong.hardwareBound else { return false }
                if strong.factors.count >= 2 { return true }
                return entries.contains { $0.authenticator != strong.authenticator && !$0.factors.isSubset(of: strong.factors) }
            }
        case 2:
            let factors = entries.reduce(into: Set<Factor>()) { $0.formUnion($1.factors) }
            return factors.count >= 2 && entries.contains(where: \.replayResistant)
        default:
            return !entries.isEmpty
        }
    }

    /// When `level` lapses if nothing else happens: the first of the candidate deadlines (each
    /// entry's overall limit, the idle limit) after which the derived level drops below it.
    public func levelExpiry(of entries: [AMREntry], level: Int, lastSeen: Date) -> Date? {
        guard level > 0 else { return nil }
        var candidates = Set<Date>()
        for l in 1...level {
            let limit = limits.limit(l)
            for e in entries { candidates.insert(e.at.addingTimeInterval(limit.overall)) }
            if let idle = limit.idle { candidates.insert(lastSeen.addingTimeInterval(idle)) }
        }
        return candidates.sorted().first { self.level(of: entries, now: $0.addingTimeInterval(0.001), lastSeen: lastSeen) < level }
    }

    /// The methods that would raise the session to `target` from what it has: what a step-up
    /// prompt offers ("the missing factor, not a new login").
    public func missing(for target: Int, entries: [AMREntry], enrolled: [AuthenticationMethod: AMREntryTemplate], now: Date, lastSeen: Date) -> [AuthenticationMethod] {
        let candidates = AuthenticationMethod.allCases.filter { enrolled[$0] != nil }
        return candidates.filter { method in
            guard let template = enrolled[method] else { return false }
            let trial = entries + [template.entry(at: now)]
            return level(of: trial, now: now, lastSeen: now) >= target
        }
    }
}

/// The properties an authenticator would contribute, before it is used (for step-up planning).
public struct AMREntryTemplate: Sendable, Equatable {
    public let method: AuthenticationMethod
    public let authenticator: String
    public let factors: Set<Factor>
    public let replayResistant: Bool
    public let phishingResistant: Bool
    public let hardwareBound: Bool

    public init(method: AuthenticationMethod, authenticator: String, factors: Set<Factor>, replayResistant: Bool, phishingResistant: Bool, hardwareBound: Bool) {
        self.method = method
        self.authenticator = authenticator
        self.factors = factors
        self.replayResistant = replayResistant
        self.phishingResistant = phishingResistant
        self.hardwareBound = hardwareBound
    }

    public func entry(at date: Date) -> AMREntry {
        AMREntry(
            method: method, authenticator: authenticator, at: date, factors: factors, replayResistant: replayResistant,
            phishingResistant: phishingResistant, hardwareBound: hardwareBound)
    }

    public static func password(_ id: String) -> AMREntryTemplate {
        AMREntryTemplate(method: .password, authenticator: id, factors: [.knowledge], replayResistant: false, phishingResistant: false, hardwareBound: false)
    }
    public static func totp(_ id: String) -> AMREntryTemplate {
        AMREntryTemplate(method: .totp, authenticator: id, factors: [.possession], replayResistant: true, phishingResistant: false, hardwareBound: false)
    }
    public static func recoveryCode(_ id: String) -> AMREntryTemplate {
        AMREntryTemplate(method: .recoveryCode, authenticator: id, factors: [.possession], replayResistant: true, phishingResistant: false, hardwareBound: false)
    }
    /// A WebAuthn credential: possession, plus a second factor when the authenticator verified
    /// the user (UV). Hardware-bound only when attested to FIDO metadata and not backup-eligible.
    public static func webAuthn(_ id: String, securityKey: Bool, userVerified: Bool, hardwareBound: Bool) -> AMREntryTemplate {
        AMREntryTemplate(
            method: securityKey ? .securityKey : .passkey, authenticator: id, factors: userVerified ? [.possession, .knowledge] : [.possession],
            replayResistant: true, phishingResistant: true, hardwareBound: hardwareBound)
    }
    /// The My Number Card's user-authentication key: the card and its 4-digit PIN.
    public static func jpki(_ id: String) -> AMREntryTemplate {
        AMREntryTemplate(
            method: .jpkiUserCertificate, authenticator: id, factors: [.possession, .knowledge], replayResistant: true, phishingResistant: true,
            hardwareBound: true)
    }
}
