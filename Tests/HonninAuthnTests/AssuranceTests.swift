import Foundation
import HonninAuthn
import HonninCore
import Testing

/// The AAL is derived from the factors used (NIST SP 800-63B-4 §2), with each level's
/// reauthentication limits.
@Suite("AAL derivation")
struct AssuranceTests {
    let rules = AssuranceRules()
    let t0 = Date(timeIntervalSince1970: 1_798_761_600)

    func entry(_ template: AMREntryTemplate, _ offset: TimeInterval = 0) -> AMREntry { template.entry(at: t0.addingTimeInterval(offset)) }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let templates: [AMREntryTemplate]
        let aal: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing", templates: [], aal: 0),
        Case(name: "password alone", templates: [.password("p")], aal: 1),
        Case(name: "TOTP alone (one factor)", templates: [.totp("t")], aal: 1),
        Case(name: "password + TOTP", templates: [.password("p"), .totp("t")], aal: 2),
        Case(name: "password + recovery code", templates: [.password("p"), .recoveryCode("r")], aal: 2),
        Case(name: "TOTP + recovery code (both possession)", templates: [.totp("t"), .recoveryCode("r")], aal: 1),
        Case(name: "synced passkey with UV", templates: [.webAuthn("k", securityKey: false, userVerified: true, hardwareBound: false)], aal: 2),
        Case(name: "passkey without UV", templates: [.webAuthn("k", securityKey: false, userVerified: false, hardwareBound: false)], aal: 1),
        Case(name: "password + passkey without UV", templates: [.password("p"), .webAuthn("k", securityKey: false, userVerified: false, hardwareBound: false)], aal: 2),
        Case(name: "attested security key with UV", templates: [.webAuthn("k", securityKey: true, userVerified: true, hardwareBound: true)], aal: 3),
        Case(name: "attested security key, UP only", templates: [.webAuthn("k", securityKey: true, userVerified: false, hardwareBound: true)], aal: 1),
        Case(name: "password + attested security key (UP only)", templates: [.password("p"), .webAuthn("k", securityKey: true, userVerified: false, hardwareBound: true)], aal: 3),
        Case(name: "TOTP + attested security key (UP only): both possession", templates: [.totp("t"), .webAuthn("k", securityKey: true, userVerified: false, hardwareBound: true)], aal: 1),
        Case(name: "password + synced passkey never AAL3", templates: [.password("p"), .webAuthn("k", securityKey: false, userVerified: true, hardwareBound: false)], aal: 2),
        Case(name: "My Number Card user certificate", templates: [.jpki("c")], aal: 3),
        Case(name: "password used twice is still one factor", templates: [.password("p"), .password("p")], aal: 1),
    ]

    @Test("levels from factors", arguments: cases)
    func levels(_ c: Case) {
        #expect(rules.level(of: c.templates.map { entry($0) }, now: t0, lastSeen: t0) == c.aal)
    }

    @Test("reauthentication limits: AAL3 12 h / 15 min idle, AAL2 24 h / 1 h idle, AAL1 30 days")
    func limits() {
        let key = [entry(.webAuthn("k", securityKey: true, userVerified: true, hardwareBound: true))]
        #expect(rules.level(of: key, now: t0.addingTimeInterval(14 * 60), lastSeen: t0) == 3)
        // Idle 16 minutes: no longer AAL3, still AAL2 (multi-factor within 24 h, idle < 1 h).
        #expect(rules.level(of: key, now: t0.addingTimeInterval(16 * 60), lastSeen: t0) == 2)
        // Active, but 13 h after the authentication: AAL2.
        #expect(rules.level(of: key, now: t0.addingTimeInterval(13 * 3600), lastSeen: t0.addingTimeInterval(13 * 3600 - 60)) == 2)
        // Idle 2 h: AAL1 only.
        #expect(rules.level(of: key, now: t0.addingTimeInterval(2 * 3600), lastSeen: t0) == 1)
        let mfa = [entry(.password("p")), entry(.totp("t"), 10)]
        #expect(rules.level(of: mfa, now: t0.addingTimeInterval(25 * 3600), lastSeen: t0.addingTimeInterval(25 * 3600)) == 1)
        #expect(rules.level(of: mfa, now: t0.addingTimeInterval(31 * 86_400), lastSeen: t0.addingTimeInterval(31 * 86_400)) == 0)
        // The derived expiry is the first instant the level drops.
        let expiry = rules.levelExpiry(of: key, level: 3, lastSeen: t0)
        #expect(expiry == t0.addingTimeInterval(900))
        #expect(rules.levelExpiry(of: mfa, level: 2, lastSeen: t0.addingTimeInterval(10)) == t0.addingTimeInterval(3610))
        // Entries from the future never count.
        #expect(rules.level(of: [entry(.password("p"), 60)], now: t0, lastSeen: t0) == 0)
    }

    @Test("step-up planning offers the factors that would reach the level")
    func missing() {
        let enrolled: [AuthenticationMethod: AMREntryTemplate] = [
            .totp: .totp("t"), .passkey: .webAuthn("k", securityKey: false, userVerified: true, hardwareBound: false),
            .securityKey: .webAuthn("s", securityKey: true, userVerified: false, hardwareBound: true),
        ]
        let afterPassword = [entry(.password("p"))]
        #expect(Set(rules.missing(for: 2, entries: afterPassword, enrolled: enrolled, now: t0, lastSeen: t0)) == [.totp, .passkey, .securityKey])
        #expect(rules.missing(for: 3, entries: afterPassword, enrolled: enrolled, now: t0, lastSeen: t0) == [.securityKey])
    }

    @Test("amr values follow RFC 8176, with mfa for two distinct factors")
    func amr() {
        let s = Session(
            id: .init(trusted: "ses_x"), account: .init(trusted: "acc_x"), tokenDigest: [], csrfToken: "", createdAt: t0, lastSeenAt: t0, expiresAt: t0,
            entries: [entry(.password("p")), entry(.totp("t"))], client: "test")
        #expect(s.amr == ["pwd", "otp", "mfa"])
        #expect(entry(.jpki("c")).amrValues == ["sc", "pin"])
        #expect(entry(.webAuthn("k", securityKey: true, userVerified: true, hardwareBound: true)).amrValues == ["hwk", "pin"])
        #expect(entry(.webAuthn("k", securityKey: false, userVerified: false, hardwareBound: false)).amrValues == ["swk", "user"])
    }
}
