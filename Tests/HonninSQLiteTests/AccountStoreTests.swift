import Foundation
import GRDB
import HonninAuthn
import HonninCore
import HonninSQLite
import HonninStore
import HonninTesting
import HonninWebAuthn
import Synchronization
import Testing

/// The two ``AccountRepository`` implementations, run through the same behavioural checks so
/// they cannot drift apart.
enum AccountBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, sqlite
    var testDescription: String { rawValue }
}

/// A repository with its audit log: an ``InMemoryStore`` behind the in-memory repository, the
/// database's own chain behind the SQLite one.
struct AccountFixture {
    enum Storage {
        case memory(InMemoryStore, AuditSigningKey)
        case sqlite(SQLiteHarness)
    }
    let repository: any AccountRepository
    let storage: Storage

    init(_ backend: AccountBackend) throws {
        switch backend {
        case .memory:
            let key = try InMemoryKeyMaterialStore().auditSigningKey()
            let log = InMemoryStore(appender: AuditAppender(signingKey: key, interval: 4))
            repository = InMemoryAccountRepository(audit: { event in _ = try await log.append(event) })
            storage = .memory(log, key)
        case .sqlite:
            let h = try SQLiteHarness(interval: 4)
            repository = h.store.accounts
            storage = .sqlite(h)
        }
    }

    /// How many audit entries the chain holds.
    func auditCount() async throws -> Int64 {
        switch storage {
        case .memory(let log, _): return await log.head()?.seq ?? 0
        case .sqlite(let h): return try await h.store.head()?.seq ?? 0
        }
    }

    func verify() async throws -> AuditReport {
        switch storage {
        case .memory(let log, let key): return await log.verify(publicKeys: [key.publicKey], defaultInterval: 4)
        case .sqlite(let h): return try await h.verify()
        }
    }

    func remove() {
        if case .sqlite(let h) = storage { h.dir.remove() }
    }
}

/// Values for the tests: instants on whole milliseconds (the storage resolution).
enum AccountSamples {
    static let t0 = Timestamp.date(milliseconds: 1_798_761_600_123)

    static func at(_ seconds: Int64) -> Date { Timestamp.date(milliseconds: 1_798_761_600_123 + seconds * 1000) }

    static func id(_ kind: HonninID.Kind) -> HonninID { HonninID(kind: kind, milliseconds: 1_798_761_600_123, random: SystemRandom()) }

    static func digest() -> [UInt8] { SystemRandom().bytes(32) }

    static func event(_ action: String, _ subject: HonninID? = nil) -> AuditEvent {
        AuditEvent(action: action, actor: "test", subject: subject?.rawValue, at: t0)
    }

    static func credential(id: [UInt8] = SystemRandom().bytes(16), signCount: UInt32 = 7) -> CredentialRecord {
        CredentialRecord(
            id: id, publicKey: [0x30, 0x59] + SystemRandom().bytes(40), algorithm: .es256, signCount: signCount, transports: ["nfc", "usb"],
            uvInitialized: true, backupEligible: false, backupState: false, attestationFormat: "packed", attestationType: .basic,
            aaguid: SystemRandom().bytes(16), attestationTrusted: true, rpID: "example.jp", attestationObject: SystemRandom().bytes(300),
            attestationClientDataJSON: Array(#"{"type":"webauthn.create","challenge":"AAAA","origin":"https://example.jp"}"#.utf8))
    }

    static func account(roles: Set<String> = ["reviewer", "admin"]) -> Account {
        Account(id: id(.account), usernameDigest: digest(), profile: id(.vaultRecord), createdAt: t0, origin: "verification:vfy_x", roles: roles)
    }

    /// One authenticator of every kind of secret.
    static func authenticators(of account: HonninID) -> [Authenticator] {
        [
            Authenticator(
                id: id(.authenticator), account: account, method: .password, label: "パスワード",
                secret: .password(hash: "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"), createdAt: t0),
            Authenticator(
                id: id(.authenticator), account: account, method: .totp, label: "authenticator app",
                secret: .totp(secretRecord: id(.vaultRecord), algorithm: "SHA1", digits: 6, period: 30, lastStep: 59_958_720), createdAt: t0,
                lastUsedAt: at(60), pending: false, version: 2),
            Authenticator(
                id: id(.authenticator), account: account, method: .recoveryCode, label: "recovery codes",
                secret: .recoveryCodes(verifiers: ["$scrypt$a", "$scrypt$b", "$scrypt$c"], used: [false, true, false]), createdAt: t0),
            Authenticator(
                id: id(.authenticator), account: account, method: .securityKey, label: "仕事用の YubiKey", secret: .webAuthn(credential()), createdAt: t0,
                lastUsedAt: at(5)),
            Authenticator(
                id: id(.authenticator), account: account, method: .jpkiUserCertificate, label: "マイナンバーカード",
                secret: .jpki(linkKey: "issuer=JPKI;serial=\(UInt64.random(in: 1...UInt64.max))", notAfter: at(86_400 * 365)), createdAt: t0,
                pending: true),
        ]
    }

    static func session(of account: HonninID, expiresAt: Date = at(30 * 86_400), entries: [AMREntry]? = nil) -> Session {
        Session(
            id: id(.session), account: account, tokenDigest: digest(), csrfToken: "csrf-\(UInt32.random(in: 0...UInt32.max))", createdAt: t0,
            lastSeenAt: at(1), expiresAt: expiresAt,
            entries: entries ?? [
                AMREntry(
                    method: .password, authenticator: "atr_a", at: t0, factors: [.knowledge], replayResistant: false, phishingResistant: false,
                    hardwareBound: false),
                AMREntry(
                    method: .securityKey, authenticator: "atr_b", at: at(1), factors: [.possession, .knowledge], replayResistant: true,
                    phishingResistant: true, hardwareBound: true),
            ], client: "Firefox", enrolmentUntil: at(600))
    }

    static func challenge(purpose: PendingChallenge.Purpose = .registration, expiresAt: Date = at(300)) -> PendingChallenge {
        PendingChallenge(
            digest: digest(), purpose: purpose, session: id(.session), account: id(.account), userVerification: "required",
            method: purpose == .registration ? .passkey : nil, expiresAt: expiresAt)
    }
}

@Suite("Account repositories (in memory and SQLite)")
struct AccountRepositoryTests {
    typealias S = AccountSamples

    @Test("every type round-trips: account, each kind of authenticator secret, session, lookups", arguments: AccountBackend.allCases)
    func roundTrip(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        var account = S.account()
        let authenticators = S.authenticators(of: account.id)
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: authenticators, session: session, audit: S.event("account.created", account.id))
        #expect(try await f.auditCount() == 1)

        #expect(try await r.account(id: account.id) == account)
        #expect(try await r.account(usernameDigest: account.usernameDigest) == account)
        #expect(try await r.authenticators(account: account.id) == authenticators.sorted { $0.id < $1.id })
        for a in authenticators { #expect(try await r.authenticator(id: a.id) == a) }
        let key = try #require(authenticators.first { $0.method == .securityKey })
        let credentialID = try #require(key.credentialID)
        #expect(try await r.authenticator(credentialID: credentialID) == key)
        guard case .webAuthn(let stored) = try await r.authenticator(credentialID: credentialID)?.secret else {
            Issue.record("the WebAuthn secret did not come back as one")
            return
        }
        #expect(stored == key.credentialIDRecord)
        let card = try #require(authenticators.first { $0.method == .jpkiUserCertificate })
        #expect(try await r.authenticator(jpkiLinkKey: try #require(card.jpkiLinkKey)) == card)
        #expect(try await r.session(id: session.id) == session)
        #expect(try await r.sessions(account: account.id) == [session])
        #expect(try await r.session(id: session.id)?.amr == ["pwd", "hwk", "pin", "mfa"])

        // Unknown keys find nothing.
        #expect(try await r.account(id: S.id(.account)) == nil)
        #expect(try await r.account(usernameDigest: S.digest()) == nil)
        #expect(try await r.authenticator(id: S.id(.authenticator)) == nil)
        #expect(try await r.authenticator(credentialID: S.digest()) == nil)
        #expect(try await r.authenticator(jpkiLinkKey: "issuer=JPKI;serial=0") == nil)
        #expect(try await r.authenticators(account: S.id(.account)).isEmpty)
        #expect(try await r.session(id: S.id(.session)) == nil)

        // The changeable fields of an account.
        account.roles = ["admin"]
        account.disabledAt = S.at(99)
        try await r.updateAccount(account, audit: S.event("account.disabled", account.id))
        #expect(try await r.account(id: account.id) == account)
        account.roles = []
        account.disabledAt = nil
        try await r.updateAccount(account, audit: S.event("account.enabled", account.id))
        #expect(try await r.account(usernameDigest: account.usernameDigest) == account)

        // An account without authenticators or session, then both added separately.
        let other = S.account(roles: [])
        try await r.insertAccount(other, authenticators: [], session: nil, audit: S.event("account.created", other.id))
        #expect(try await r.authenticators(account: other.id).isEmpty)
        #expect(try await r.sessions(account: other.id).isEmpty)
        let extra = Authenticator(id: S.id(.authenticator), account: other.id, method: .passkey, label: "iPhone", secret: .webAuthn(S.credential()), createdAt: S.t0)
        try await r.insertAuthenticator(extra, audit: S.event("authenticator.enrolled", extra.id))
        let second = S.session(of: other.id, entries: [])
        try await r.insertSession(second, audit: S.event("session.created", second.id))
        #expect(try await r.authenticators(account: other.id) == [extra])
        #expect(try await r.sessions(account: other.id) == [second])
        #expect(try await r.sessions(account: account.id) == [session])
        #expect(try await f.auditCount() == 6)
        #expect(try await f.verify().ok)
    }

    @Test("a second account with the same user name is refused as a conflict, and none of it is stored", arguments: AccountBackend.allCases)
    func duplicateUsername(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let first = S.account()
        try await r.insertAccount(first, authenticators: S.authenticators(of: first.id), session: nil, audit: S.event("account.created"))
        let twin = Account(id: S.id(.account), usernameDigest: first.usernameDigest, profile: S.id(.vaultRecord), createdAt: S.t0, origin: "signup")
        let twinAuthenticators = S.authenticators(of: twin.id)
        let twinSession = S.session(of: twin.id)
        await #expect(throws: HonninError(.conflict, "")) {
            try await r.insertAccount(twin, authenticators: twinAuthenticators, session: twinSession, audit: S.event("account.created"))
        }
        #expect(try await r.account(id: twin.id) == nil)
        #expect(try await r.account(usernameDigest: first.usernameDigest) == first)
        #expect(try await r.authenticators(account: twin.id).isEmpty)
        #expect(try await r.session(id: twinSession.id) == nil)
        #expect(try await f.auditCount() == 1)
        #expect(try await f.verify().ok)
    }

    @Test("a WebAuthn credential ID registers once", arguments: AccountBackend.allCases)
    func duplicateCredential(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let a = S.account()
        let b = S.account()
        try await r.insertAccount(a, authenticators: [], session: nil, audit: S.event("account.created"))
        try await r.insertAccount(b, authenticators: [], session: nil, audit: S.event("account.created"))
        let credential = S.credential()
        let first = Authenticator(id: S.id(.authenticator), account: a.id, method: .passkey, label: "1", secret: .webAuthn(credential), createdAt: S.t0)
        try await r.insertAuthenticator(first, audit: S.event("authenticator.enrolled"))
        let again = Authenticator(id: S.id(.authenticator), account: b.id, method: .securityKey, label: "2", secret: .webAuthn(credential), createdAt: S.t0)
        await #expect(throws: HonninError(.conflict, "")) { try await r.insertAuthenticator(again, audit: S.event("authenticator.enrolled")) }
        #expect(try await r.authenticator(credentialID: credential.id) == first)
        #expect(try await r.authenticators(account: b.id).isEmpty)
        #expect(try await f.auditCount() == 3)
    }

    @Test("compare-and-swap on authenticators and sessions: the stale writer loses and nothing is audited for it", arguments: AccountBackend.allCases)
    func compareAndSwap(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let account = S.account()
        let key = Authenticator(id: S.id(.authenticator), account: account.id, method: .securityKey, label: "key", secret: .webAuthn(S.credential(signCount: 1)), createdAt: S.t0)
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: [key], session: session, audit: S.event("account.created"))

        // Authenticator: version 0 → 1 (a use: new sign count, last used).
        var used = key
        guard case .webAuthn(var record) = used.secret else {
            Issue.record("not a WebAuthn secret")
            return
        }
        record.signCount = 2
        used.secret = .webAuthn(record)
        used.lastUsedAt = S.at(10)
        used.label = "renamed"
        used.version = 1
        #expect(try await r.updateAuthenticator(used, expectedVersion: 0, audit: S.event("authenticator.used")))
        #expect(try await r.authenticator(id: key.id) == used)
        #expect(try await r.authenticator(credentialID: record.id)?.version == 1)
        #expect(try await f.auditCount() == 2)
        // A writer that read version 0 loses, with or without an audit event.
        var stale = key
        stale.label = "stale"
        stale.version = 1
        #expect(try await !r.updateAuthenticator(stale, expectedVersion: 0, audit: S.event("authenticator.renamed")))
        #expect(try await !r.updateAuthenticator(stale, expectedVersion: 0, audit: nil))
        #expect(try await r.authenticator(id: key.id) == used)
        // Unknown authenticator: nothing to swap.
        let ghost = Authenticator(id: S.id(.authenticator), account: account.id, method: .password, label: "x", secret: .password(hash: "$x"), createdAt: S.t0)
        #expect(try await !r.updateAuthenticator(ghost, expectedVersion: 0, audit: S.event("authenticator.x")))
        // No audit for a swap that did not happen; none either when the winner passes nil.
        used.version = 2
        #expect(try await r.updateAuthenticator(used, expectedVersion: 1, audit: nil))
        #expect(try await f.auditCount() == 2)

        // Session: factor added (entries, rotated token), version 0 → 1.
        var stepped = session
        stepped.entries.append(
            AMREntry(method: .totp, authenticator: "atr_c", at: S.at(20), factors: [.possession], replayResistant: true, phishingResistant: false, hardwareBound: false))
        stepped.tokenDigest = S.digest()
        stepped.lastSeenAt = S.at(20)
        stepped.expiresAt = S.at(86_400)
        stepped.enrolmentUntil = nil
        stepped.version = 1
        #expect(try await r.updateSession(stepped, expectedVersion: 0, audit: S.event("session.factor_added")))
        #expect(try await r.session(id: session.id) == stepped)
        var lagging = session
        lagging.lastSeenAt = S.at(30)
        lagging.version = 1
        #expect(try await !r.updateSession(lagging, expectedVersion: 0, audit: S.event("session.touched")))
        #expect(try await r.session(id: session.id) == stepped)
        #expect(try await !r.updateSession(S.session(of: account.id), expectedVersion: 0, audit: nil))
        #expect(try await f.auditCount() == 3)
        #expect(try await f.verify().ok)
    }

    /// 24 concurrent updates of `session`, all expecting version 0; how many won.
    static func racingSessionUpdates(_ r: any AccountRepository, _ session: Session) async throws -> Int {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<24 {
                group.addTask {
                    var s = session
                    s.lastSeenAt = S.at(Int64(100 + i))
                    s.version = 1
                    return try await r.updateSession(s, expectedVersion: 0, audit: S.event("session.touched"))
                }
            }
            var n = 0
            for try await won in group where won { n += 1 }
            return n
        }
    }

    @Test("of many concurrent writers with the same expected version exactly one wins", arguments: AccountBackend.allCases)
    func concurrentCompareAndSwap(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let account = S.account()
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: [], session: session, audit: S.event("account.created"))
        let wins = try await Self.racingSessionUpdates(r, session)
        #expect(wins == 1)
        #expect(try await r.session(id: session.id)?.version == 1)
        #expect(try await f.auditCount() == 2)
        #expect(try await f.verify().ok)
    }

    @Test("in memory, a writer suspended in its audit append does not let another pass the same check")
    func inMemoryWritersDoNotInterleave() async throws {
        let appended = Mutex(0)
        // Every audit append suspends, as an append to another actor may under load.
        let r = InMemoryAccountRepository(audit: { _ in
            await Task.yield()
            appended.withLock { $0 += 1 }
        })
        let account = S.account()
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: [], session: session, audit: S.event("account.created"))
        let wins = try await Self.racingSessionUpdates(r, session)
        #expect(wins == 1)
        #expect(appended.withLock { $0 } == 2)
        // Two sign-ups with one user name: one account, one audit event more.
        let twin = S.account()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 { group.addTask { try? await r.insertAccount(twin, authenticators: [], session: nil, audit: S.event("account.created")) } }
        }
        #expect(appended.withLock { $0 } == 3)
    }

    @Test("deleting authenticators and sessions; purging sessions past their absolute end", arguments: AccountBackend.allCases)
    func deletionAndPurge(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let account = S.account()
        let authenticators = S.authenticators(of: account.id)
        try await r.insertAccount(account, authenticators: authenticators, session: nil, audit: S.event("account.created"))
        try await r.deleteAuthenticator(authenticators[3].id, audit: S.event("authenticator.removed"))
        #expect(try await r.authenticator(id: authenticators[3].id) == nil)
        #expect(try await r.authenticator(credentialID: try #require(authenticators[3].credentialID)) == nil)
        #expect(try await r.authenticators(account: account.id).count == 4)

        let early = S.session(of: account.id, expiresAt: S.at(100))
        let boundary = S.session(of: account.id, expiresAt: S.at(200))
        let late = S.session(of: account.id, expiresAt: S.at(300))
        let gone = S.session(of: account.id, expiresAt: S.at(400))
        for s in [early, boundary, late, gone] { try await r.insertSession(s, audit: S.event("session.created")) }
        try await r.deleteSession(gone.id, audit: nil)
        #expect(try await r.session(id: gone.id) == nil)
        #expect(try await f.auditCount() == 6)
        // Strictly before: a session ending exactly at the cut-off stays.
        #expect(try await r.purgeSessions(before: S.at(200)) == 1)
        #expect(try await r.session(id: early.id) == nil)
        #expect(Set(try await r.sessions(account: account.id).map(\.id)) == [boundary.id, late.id])
        #expect(try await r.purgeSessions(before: S.at(200)) == 0)
        #expect(try await r.purgeSessions(before: S.at(10_000)) == 2)
        #expect(try await r.sessions(account: account.id).isEmpty)
        try await r.deleteSession(late.id, audit: S.event("session.ended"))
        #expect(try await f.auditCount() == 7)
        #expect(try await f.verify().ok)
    }

    @Test("a challenge is consumed once, even by concurrent callers; an expired one is still returned", arguments: AccountBackend.allCases)
    func challenges(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let registration = S.challenge()
        let jpki = PendingChallenge(digest: S.digest(), purpose: .jpki, session: nil, account: nil, userVerification: "", method: nil, expiresAt: S.at(60))
        let expired = S.challenge(purpose: .authentication, expiresAt: S.at(-30))
        for c in [registration, jpki, expired] { try await r.insertChallenge(c) }
        #expect(try await r.consumeChallenge(digest: registration.digest) == registration)
        #expect(try await r.consumeChallenge(digest: registration.digest) == nil)
        #expect(try await r.consumeChallenge(digest: jpki.digest) == jpki)
        #expect(try await r.consumeChallenge(digest: expired.digest) == expired)
        #expect(try await r.consumeChallenge(digest: S.digest()) == nil)

        let contested = S.challenge(purpose: .authentication)
        try await r.insertChallenge(contested)
        let got = try await withThrowingTaskGroup(of: PendingChallenge?.self) { group in
            for _ in 0..<32 { group.addTask { try await r.consumeChallenge(digest: contested.digest) } }
            var out: [PendingChallenge] = []
            for try await c in group { if let c { out.append(c) } }
            return out
        }
        #expect(got == [contested])
        #expect(try await f.auditCount() == 0)
    }

    @Test("login failures from 64 concurrent tasks are each counted; reset clears them", arguments: AccountBackend.allCases)
    func throttles(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        let r = f.repository
        let name = S.digest()
        let bystander = S.digest()
        #expect(try await r.throttle(name) == LoginThrottle())
        #expect(try await r.recordFailure(bystander, at: S.at(1)) == LoginThrottle(failures: 1, lastFailureAt: S.at(1)))
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<64 { group.addTask { try await r.recordFailure(name, at: S.at(Int64(10 + i))).failures } }
            var out: [Int] = []
            for try await n in group { out.append(n) }
            return out
        }
        // Every increment was seen exactly once: the returned counts are 1…64.
        #expect(counts.sorted() == Array(1...64))
        let t = try await r.throttle(name)
        #expect(t.failures == 64)
        #expect(try (10..<74).map { S.at($0) }.contains(#require(t.lastFailureAt)))
        try await r.resetThrottle(name)
        #expect(try await r.throttle(name) == LoginThrottle())
        #expect(try await r.recordFailure(name, at: S.at(500)) == LoginThrottle(failures: 1, lastFailureAt: S.at(500)))
        #expect(try await r.throttle(bystander).failures == 1)
    }

    @Test("appendAuditEvent extends the chain the repository writes to", arguments: AccountBackend.allCases)
    func auditEvents(_ backend: AccountBackend) async throws {
        let f = try AccountFixture(backend)
        defer { f.remove() }
        for i in 0..<9 { try await f.repository.appendAuditEvent(S.event("login.failed.\(i)")) }
        #expect(try await f.auditCount() == 9)
        #expect(try await f.verify().ok)
    }
}

@Suite("SQLite account store")
struct SQLiteAccountStoreTests {
    typealias S = AccountSamples

    @Test("a JPKI card links to one authenticator only")
    func duplicateCard() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let account = S.account()
        let card = Authenticator(
            id: S.id(.authenticator), account: account.id, method: .jpkiUserCertificate, label: "card", secret: .jpki(linkKey: "k1", notAfter: S.at(9)),
            createdAt: S.t0)
        try await r.insertAccount(account, authenticators: [card], session: nil, audit: S.event("account.created"))
        let again = Authenticator(id: S.id(.authenticator), account: account.id, method: .jpkiUserCertificate, label: "again", secret: card.secret, createdAt: S.t0)
        await #expect(throws: HonninError(.conflict, "")) { try await r.insertAuthenticator(again, audit: S.event("authenticator.enrolled")) }
        #expect(try await h.store.head()?.seq == 1)
    }

    @Test("a card linked before the holder digest existed still reads; cards are found by holder; a relinked key must be free")
    func cardHolder() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let account = S.account()
        let old = Authenticator(
            id: S.id(.authenticator), account: account.id, method: .jpkiUserCertificate, label: "card", secret: .jpki(linkKey: "k1", notAfter: S.at(9)),
            createdAt: S.t0)
        let renewed = Authenticator(
            id: S.id(.authenticator), account: account.id, method: .jpkiUserCertificate, label: "card",
            secret: .jpki(linkKey: "k2", notAfter: S.at(9), holder: "h1"), createdAt: S.t0)
        try await r.insertAccount(account, authenticators: [old, renewed], session: nil, audit: S.event("account.created"))
        // The form written before 0008: no holder member.
        try await h.store.pool.write { db in
            try db.execute(sql: "UPDATE authenticators SET secret = '{\"jpki\":{\"linkKey\":\"k1\",\"notAfter\":9000}}' WHERE id = ?", arguments: [old.id.rawValue])
        }
        let read = try #require(try await r.authenticator(id: old.id))
        #expect(read.jpkiLinkKey == "k1" && read.jpkiHolder == nil)
        #expect(try await r.authenticators(jpkiHolder: "h1").map(\.id) == [renewed.id])
        #expect(try await r.authenticators(jpkiHolder: "h2").isEmpty)
        // Moving the old authenticator onto the renewed card's key: the key is taken.
        var moved = read
        moved.secret = .jpki(linkKey: "k2", notAfter: S.at(10), holder: "h1")
        moved.version += 1
        await #expect(throws: HonninError(.conflict, "")) { _ = try await r.updateAuthenticator(moved, expectedVersion: read.version, audit: nil) }
        moved.secret = .jpki(linkKey: "k3", notAfter: S.at(10), holder: "h1")
        #expect(try await r.updateAuthenticator(moved, expectedVersion: read.version, audit: nil))
        #expect(Set(try await r.authenticators(jpkiHolder: "h1").map(\.id)) == [old.id, renewed.id])
    }

    @Test("references to a missing account are refused as not found")
    func missingAccount() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let nobody = S.id(.account)
        let a = Authenticator(id: S.id(.authenticator), account: nobody, method: .password, label: "p", secret: .password(hash: "$x"), createdAt: S.t0)
        await #expect(throws: HonninError(.notFound, "")) { try await r.insertAuthenticator(a, audit: S.event("authenticator.enrolled")) }
        await #expect(throws: HonninError(.notFound, "")) { try await r.insertSession(S.session(of: nobody), audit: S.event("session.created")) }
        await #expect(throws: HonninError(.notFound, "")) { try await r.updateAccount(S.account(), audit: S.event("account.updated")) }
        #expect(try await h.store.head() == nil)
    }

    @Test("deleting an account removes its authenticators, sessions, challenges and throttle")
    func accountDeletionCascades() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let account = S.account()
        let keep = S.account()
        let authenticators = S.authenticators(of: account.id)
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: authenticators, session: session, audit: S.event("account.created"))
        try await r.insertAccount(keep, authenticators: S.authenticators(of: keep.id), session: S.session(of: keep.id), audit: S.event("account.created"))
        let bySession = PendingChallenge(
            digest: S.digest(), purpose: .registration, session: session.id, account: nil, userVerification: "required", method: .passkey, expiresAt: S.at(60))
        let byAccount = PendingChallenge(
            digest: S.digest(), purpose: .jpki, session: nil, account: account.id, userVerification: "", method: nil, expiresAt: S.at(60))
        let unrelated = S.challenge()
        for c in [bySession, byAccount, unrelated] { try await r.insertChallenge(c) }
        _ = try await r.recordFailure(account.usernameDigest, at: S.at(1))
        _ = try await r.recordFailure(keep.usernameDigest, at: S.at(1))

        #expect(try await r.deleteAccount(account.id, audit: S.event("account.deleted", account.id)))
        #expect(try await !r.deleteAccount(account.id, audit: S.event("account.deleted", account.id)))
        #expect(try await r.account(id: account.id) == nil)
        #expect(try await r.authenticators(account: account.id).isEmpty)
        #expect(try await r.authenticator(credentialID: try #require(authenticators[3].credentialID)) == nil)
        #expect(try await r.sessions(account: account.id).isEmpty)
        #expect(try await r.consumeChallenge(digest: bySession.digest) == nil)
        #expect(try await r.consumeChallenge(digest: byAccount.digest) == nil)
        #expect(try await r.throttle(account.usernameDigest) == LoginThrottle())
        // The other account is untouched.
        #expect(try await r.account(id: keep.id) == keep)
        #expect(try await r.authenticators(account: keep.id).count == 5)
        #expect(try await r.sessions(account: keep.id).count == 1)
        #expect(try await r.consumeChallenge(digest: unrelated.digest) == unrelated)
        #expect(try await r.throttle(keep.usernameDigest).failures == 1)
        let rows = try await h.store.pool.read { db in
            try ["authenticators", "sessions"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0) WHERE account_id = ?", arguments: [account.id.rawValue]) }
        }
        #expect(rows == [0, 0])
        #expect(try await h.store.head()?.seq == 3)
        #expect(try await h.verify().ok)
    }

    @Test("the audit entry is in the transaction: a write whose audit append fails leaves nothing behind")
    func auditIsTransactional() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let account = S.account()
        try await r.insertAccount(account, authenticators: [], session: nil, audit: S.event("account.created"))
        // Break the audit table so that the append fails after the row was written.
        try await h.store.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER h5_refuse BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit refused'); END")
        }
        let other = S.account()
        await #expect(throws: HonninError(.storage, "")) {
            try await r.insertAccount(other, authenticators: S.authenticators(of: other.id), session: S.session(of: other.id), audit: S.event("account.created"))
        }
        let session = S.session(of: account.id)
        await #expect(throws: HonninError(.storage, "")) { try await r.insertSession(session, audit: S.event("session.created")) }
        var disabled = account
        disabled.disabledAt = S.at(1)
        await #expect(throws: HonninError(.storage, "")) { try await r.updateAccount(disabled, audit: S.event("account.disabled")) }
        #expect(try await r.account(id: other.id) == nil)
        #expect(try await r.authenticators(account: other.id).isEmpty)
        #expect(try await r.session(id: session.id) == nil)
        #expect(try await r.account(id: account.id) == account)
        #expect(try await h.store.head()?.seq == 1)
    }

    @Test("unreadable stored JSON or an unknown method is a storage error, not a crash")
    func corruptRows() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let account = S.account()
        let authenticators = S.authenticators(of: account.id)
        let session = S.session(of: account.id)
        try await r.insertAccount(account, authenticators: authenticators, session: session, audit: S.event("account.created"))
        let target = authenticators[0].id.rawValue
        for secret in [#"{"unknown":{}}"#, #"{"password":{}}"#, #"{"totp":{"secretRecord":"vlt_x","algorithm":"SHA1","digits":"6","period":30}}"#, "[]", "1"] {
            try await h.store.pool.write { db in try db.execute(sql: "UPDATE authenticators SET secret = ? WHERE id = ?", arguments: [secret, target]) }
            await #expect(throws: HonninError(.storage, ""), "\(secret)") { try await r.authenticator(id: authenticators[0].id) }
            await #expect(throws: HonninError(.storage, "")) { try await r.authenticators(account: account.id) }
        }
        try await h.store.pool.write { db in
            try db.execute(sql: "UPDATE sessions SET entries = ? WHERE id = ?", arguments: [#"[{"method":"telepathy"}]"#, session.id.rawValue])
            try db.execute(sql: "UPDATE accounts SET roles = '[1]' WHERE id = ?", arguments: [account.id.rawValue])
        }
        await #expect(throws: HonninError(.storage, "")) { try await r.session(id: session.id) }
        await #expect(throws: HonninError(.storage, "")) { try await r.account(id: account.id) }
    }

    @Test("the schema's checks refuse rows the types cannot hold")
    func schemaChecks() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let account = S.account()
        try await h.store.accounts.insertAccount(account, authenticators: [], session: nil, audit: S.event("account.created"))
        let a = account.id.rawValue
        let bad: [String] = [
            "INSERT INTO accounts VALUES ('acc_b', x'00', 'vlt_a', 0, 'signup', '[]', NULL)",  // digest not 32 bytes
            "INSERT INTO accounts VALUES ('acc_b', zeroblob(32), 'vlt_a', 0, 'signup', '{}', NULL)",  // roles not an array
            "INSERT INTO accounts VALUES ('acc_b', zeroblob(32), 'vlt_a', 'yesterday', 'signup', '[]', NULL)",  // STRICT: text in an integer column
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'sms', 'x', '{}', 0, NULL, 0, 0, NULL, NULL)",  // unknown method
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'password', 'x', '{}', 0, NULL, 0, 0, x'01', NULL)",  // credential ID on a password
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'passkey', 'x', '{}', 0, NULL, 0, 0, zeroblob(1024), NULL)",  // credential ID too long
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'totp', 'x', '{}', 0, NULL, 0, 0, NULL, 'k')",  // link key on a TOTP
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'totp', 'x', 'not json', 0, NULL, 0, 0, NULL, NULL)",
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'totp', 'x', '{}', 0, NULL, 2, 0, NULL, NULL)",  // pending not a boolean
            "INSERT INTO authenticators VALUES ('atr_b', '\(a)', 'totp', 'x', '{}', 0, NULL, 0, -1, NULL, NULL)",  // negative version
            "INSERT INTO sessions VALUES ('ses_b', '\(a)', zeroblob(31), 'c', 0, 0, 0, '[]', 'x', NULL, 0)",  // token digest not 32 bytes
            "INSERT INTO auth_challenges VALUES (zeroblob(32), 'login', NULL, NULL, 'required', NULL, 0)",  // unknown purpose
            "INSERT INTO login_throttles VALUES (zeroblob(32), -1, NULL)",
        ]
        for sql in bad {
            await #expect(throws: DatabaseError.self, "\(sql)") { try await h.store.pool.write { db in try db.execute(sql: sql) } }
        }
    }

    @Test("challenges long expired are deleted when a new one is stored")
    func staleChallenges() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let r = h.store.accounts
        let old = S.challenge(expiresAt: S.at(0))
        let recent = S.challenge(expiresAt: S.at(100))
        try await r.insertChallenge(old)
        try await r.insertChallenge(recent)
        // A day and a bit later: `old` expired over a day before the new one expires, `recent` did not.
        try await r.insertChallenge(S.challenge(expiresAt: S.at(86_400 + 50)))
        #expect(try await r.consumeChallenge(digest: old.digest) == nil)
        #expect(try await r.consumeChallenge(digest: recent.digest) == recent)
    }

    @Test("the migration fixtures read back through the repository (the stored JSON form is stable)")
    func fixtureReadsBack() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        try await h.store.pool.write { db in
            // Every fixture into today's schema, less the rows of tables later migrations dropped
            // (reviewer_sessions, 0007).
            for m in SchemaMigrations.all {
                let statements = try MigrationTests.fixture(m.id).components(separatedBy: ";\n").filter { !$0.contains("reviewer_sessions") }
                try db.execute(sql: statements.joined(separator: ";\n"))
            }
        }
        let r = h.store.accounts
        let account = try #require(try await r.account(id: HonninID(trusted: "acc_01jd0000000000000000000001")))
        #expect(account.roles == ["reviewer"])
        #expect(account.usernameDigest == [UInt8](repeating: 0, count: 32))
        let all = try await r.authenticators(account: account.id)
        #expect(all.map(\.method) == [.password, .securityKey, .jpkiUserCertificate, .jpkiUserCertificate])
        // A card linked before 0008 has no holder; one linked after has it.
        #expect(all[2].jpkiLinkKey == "CN=old#01" && all[2].jpkiHolder == nil)
        #expect(all[3].jpkiLinkKey == "CN=new#02" && all[3].jpkiHolder == "aG9sZGVy")
        let key = try #require(try await r.authenticator(credentialID: Array(1...16)))
        guard case .webAuthn(let record) = key.secret else {
            Issue.record("the fixture's security key did not decode as a WebAuthn credential")
            return
        }
        #expect(record.signCount == 41 && record.algorithm == .es256 && record.attestationType == .basic && record.transports == ["nfc", "usb"])
        #expect(key.version == 3 && key.lastUsedAt == Timestamp.date(milliseconds: 1_700_000_002_000))
        #expect(Authenticator.hardwareBound(record))
        let session = try #require(try await r.session(id: HonninID(trusted: "ses_01jd0000000000000000000001")))
        #expect(session.entries.map(\.method) == [.password] && session.amr == ["pwd"] && session.version == 1)
        #expect(try await r.throttle([UInt8](repeating: 0, count: 32)) == LoginThrottle(failures: 2, lastFailureAt: Timestamp.date(milliseconds: 1_700_000_001_500)))
        let challenge = try #require(try await r.consumeChallenge(digest: [UInt8](repeating: 0, count: 32)))
        #expect(challenge.purpose == .registration && challenge.method == .securityKey && challenge.session == session.id)
    }
}

extension Authenticator {
    /// The WebAuthn credential record this authenticator holds, if any.
    fileprivate var credentialIDRecord: CredentialRecord? {
        if case .webAuthn(let c) = secret { return c }
        return nil
    }
}
