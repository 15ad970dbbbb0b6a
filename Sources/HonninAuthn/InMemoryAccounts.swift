import Foundation
import HonninCore
import HonninStore

/// Accounts in memory, for tests and for embedding without a database. Audit events go to
/// `audit` (e.g. an ``InMemoryStore``'s append).
public actor InMemoryAccountRepository: AccountRepository {
    var accountsByID: [HonninID: Account] = [:]
    var authenticatorsByID: [HonninID: Authenticator] = [:]
    var sessionsByID: [HonninID: Session] = [:]
    var challenges: [[UInt8]: PendingChallenge] = [:]
    var throttles: [[UInt8]: LoginThrottle] = [:]
    let audit: @Sendable (AuditEvent) async throws -> Void

    /// Writes run one at a time: each checks, appends its audit event (a suspension point, where
    /// the actor would otherwise let another writer pass the same check) and applies its change.
    private var writing = false
    private var waitingWriters: [CheckedContinuation<Void, Never>] = []

    public init(audit: @escaping @Sendable (AuditEvent) async throws -> Void) { self.audit = audit }

    private func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        while writing { await withCheckedContinuation { waitingWriters.append($0) } }
        writing = true
        defer {
            writing = false
            if !waitingWriters.isEmpty { waitingWriters.removeFirst().resume() }
        }
        return try await body()
    }

    public func insertAccount(_ account: Account, authenticators: [Authenticator], session: Session?, audit event: AuditEvent) async throws {
        try await exclusive {
            guard !accountsByID.values.contains(where: { $0.usernameDigest == account.usernameDigest }) else {
                throw HonninError(.conflict, "user name exists")
            }
            for a in authenticators {
                if let id = a.credentialID, authenticator(credentialID: id) != nil { throw HonninError(.conflict, "credential registered") }
            }
            try await audit(event)
            accountsByID[account.id] = account
            for a in authenticators { authenticatorsByID[a.id] = a }
            if let session { sessionsByID[session.id] = session }
        }
    }

    public func account(id: HonninID) -> Account? { accountsByID[id] }
    public func account(usernameDigest: [UInt8]) -> Account? { accountsByID.values.first { $0.usernameDigest == usernameDigest } }
    public func updateAccount(_ account: Account, audit event: AuditEvent) async throws {
        try await exclusive {
            guard accountsByID[account.id] != nil else { throw HonninError(.notFound, "no such account") }
            try await audit(event)
            accountsByID[account.id] = account
        }
    }

    public func authenticators(account: HonninID) -> [Authenticator] {
        authenticatorsByID.values.filter { $0.account == account }.sorted { $0.id < $1.id }
    }
    public func authenticator(id: HonninID) -> Authenticator? { authenticatorsByID[id] }
    public func authenticator(credentialID: [UInt8]) -> Authenticator? { authenticatorsByID.values.first { $0.credentialID == credentialID } }
    public func authenticator(jpkiLinkKey: String) -> Authenticator? { authenticatorsByID.values.first { $0.jpkiLinkKey == jpkiLinkKey } }
    public func authenticators(jpkiHolder: String) -> [Authenticator] {
        authenticatorsByID.values.filter { $0.jpkiHolder == jpkiHolder }.sorted { $0.id < $1.id }
    }
    public func insertAuthenticator(_ a: Authenticator, audit event: AuditEvent) async throws {
        try await exclusive {
            guard accountsByID[a.account] != nil else { throw HonninError(.notFound, "no such account") }
            if let id = a.credentialID, authenticator(credentialID: id) != nil { throw HonninError(.conflict, "credential registered") }
            if let key = a.jpkiLinkKey, authenticator(jpkiLinkKey: key) != nil { throw HonninError(.conflict, "card linked") }
            try await audit(event)
            authenticatorsByID[a.id] = a
        }
    }
    public func updateAuthenticator(_ a: Authenticator, expectedVersion: Int, audit event: AuditEvent?) async throws -> Bool {
        try await exclusive {
            guard authenticatorsByID[a.id]?.version == expectedVersion else { return false }
            if let key = a.jpkiLinkKey, let other = authenticator(jpkiLinkKey: key), other.id != a.id { throw HonninError(.conflict, "card linked") }
            if let event { try await audit(event) }
            authenticatorsByID[a.id] = a
            return true
        }
    }
    public func deleteAuthenticator(_ id: HonninID, audit event: AuditEvent) async throws {
        try await exclusive {
            try await audit(event)
            authenticatorsByID[id] = nil
        }
    }

    public func insertSession(_ s: Session, audit event: AuditEvent) async throws {
        try await exclusive {
            guard accountsByID[s.account] != nil else { throw HonninError(.notFound, "no such account") }
            try await audit(event)
            sessionsByID[s.id] = s
        }
    }
    public func session(id: HonninID) -> Session? { sessionsByID[id] }
    public func sessions(account: HonninID) -> [Session] { sessionsByID.values.filter { $0.account == account }.sorted { $0.id < $1.id } }
    public func updateSession(_ s: Session, expectedVersion: Int, audit event: AuditEvent?) async throws -> Bool {
        try await exclusive {
            guard sessionsByID[s.id]?.version == expectedVersion else { return false }
            if let event { try await audit(event) }
            sessionsByID[s.id] = s
            return true
        }
    }
    public func deleteSession(_ id: HonninID, audit event: AuditEvent?) async throws {
        try await exclusive {
            if let event { try await audit(event) }
            sessionsByID[id] = nil
        }
    }
    public func purgeSessions(before: Date) -> Int {
        let old = sessionsByID.values.filter { $0.expiresAt < before }.map(\.id)
        for id in old { sessionsByID[id] = nil }
        return old.count
    }

    public func insertChallenge(_ c: PendingChallenge) { challenges[c.digest] = c }
    public func consumeChallenge(digest: [UInt8]) -> PendingChallenge? { challenges.removeValue(forKey: digest) }

    public func throttle(_ usernameDigest: [UInt8]) -> LoginThrottle { throttles[usernameDigest] ?? LoginThrottle() }
    public func recordFailure(_ usernameDigest: [UInt8], at: Date) -> LoginThrottle {
        var t = throttles[usernameDigest] ?? LoginThrottle()
        t.failures += 1
        t.lastFailureAt = at
        throttles[usernameDigest] = t
        return t
    }
    public func resetThrottle(_ usernameDigest: [UInt8]) { throttles[usernameDigest] = nil }

    public func appendAuditEvent(_ event: AuditEvent) async throws { try await exclusive { try await audit(event) } }
}
