import Foundation
import GRDB
import HonninAuthn
import HonninCore
import HonninStore

/// ``AccountRepository`` on the store's SQLite database (tables of migration `0006_accounts`).
///
/// A separate value rather than a conformance of ``SQLiteStore`` itself: the store already has
/// `deleteSession(_:audit:)` for console reviewer sessions (``ReviewerRepository``), with the
/// same signature as the account repository's, so one type cannot serve both tables.
///
/// As everywhere in the store, a change and its audit entry are written in one transaction:
/// either both are durable or neither is. Instants are stored as integer milliseconds since the
/// Unix epoch; the secret of an authenticator and the factors of a session are JSON (sorted
/// keys, instants as integer milliseconds) in the synthesized `Codable` form of
/// ``Authenticator/Secret`` and ``AMREntry``, so renaming one of their cases or properties
/// needs a data migration.
public struct SQLiteAccountRepository: AccountRepository {
    public let store: SQLiteStore

    public init(store: SQLiteStore) { self.store = store }

    /// Challenges left unanswered this long after they expired are deleted when a new one is
    /// stored (an expired challenge still answers ``consumeChallenge(digest:)`` until then, so
    /// the caller can tell "expired" from "unknown").
    public static let staleChallengeAge: TimeInterval = 86_400

    // MARK: Accounts

    public func insertAccount(_ account: Account, authenticators: [Authenticator], session: Session?, audit: AuditEvent) async throws {
        let accountRow = try Self.arguments(account)
        let authenticatorRows = try authenticators.map(Self.arguments)
        let sessionRow = try session.map(Self.arguments)
        try await store.write { db in
            try Self.mappingConstraints {
                try db.execute(sql: Self.insertAccountSQL, arguments: accountRow)
                for row in authenticatorRows { try db.execute(sql: Self.insertAuthenticatorSQL, arguments: row) }
                if let sessionRow { try db.execute(sql: Self.insertSessionSQL, arguments: sessionRow) }
            }
            try store.appendAudit(audit, db)
        }
    }

    public func account(id: HonninID) async throws -> Account? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id.rawValue]).map(Self.account)
        }
    }

    public func account(usernameDigest: [UInt8]) async throws -> Account? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE username_digest = ?", arguments: [Data(usernameDigest)]).map(Self.account)
        }
    }

    /// Stores the account's changeable fields (`roles`, `disabledAt`); `.notFound` when there is
    /// no such account.
    public func updateAccount(_ account: Account, audit: AuditEvent) async throws {
        let roles = try Self.json(account.roles.sorted())
        try await store.write { db in
            try db.execute(
                sql: "UPDATE accounts SET roles = ?, disabled_at = ? WHERE id = ?",
                arguments: [roles, account.disabledAt.map(Timestamp.milliseconds), account.id.rawValue])
            guard db.changesCount == 1 else { throw HonninError(.notFound, "account \(account.id) does not exist") }
            try store.appendAudit(audit, db)
        }
    }

    /// Deletes an account with its authenticators and sessions (by cascade), its pending
    /// challenges and its login throttle, and audits it; false when there was no such account.
    /// The vault records it refers to (the profile, TOTP secrets) are not touched: erase them
    /// through the ``Vault`` (crypto-shredding) as well.
    public func deleteAccount(_ id: HonninID, audit: AuditEvent) async throws -> Bool {
        try await store.write { db in
            try db.execute(
                sql: """
                    DELETE FROM auth_challenges
                    WHERE account_id = ?1 OR session_id IN (SELECT id FROM sessions WHERE account_id = ?1)
                    """,
                arguments: [id.rawValue])
            guard
                let digest = try Data.fetchOne(
                    db, sql: "DELETE FROM accounts WHERE id = ? RETURNING username_digest", arguments: [id.rawValue])
            else { return false }
            try db.execute(sql: "DELETE FROM login_throttles WHERE username_digest = ?", arguments: [digest])
            try store.appendAudit(audit, db)
            return true
        }
    }

    // MARK: Authenticators

    public func authenticators(account: HonninID) async throws -> [Authenticator] {
        try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM authenticators WHERE account_id = ? ORDER BY id", arguments: [account.rawValue])
                .map(Self.authenticator)
        }
    }

    public func authenticator(id: HonninID) async throws -> Authenticator? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM authenticators WHERE id = ?", arguments: [id.rawValue]).map(Self.authenticator)
        }
    }

    public func authenticator(credentialID: [UInt8]) async throws -> Authenticator? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM authenticators WHERE credential_id = ?", arguments: [Data(credentialID)])
                .map(Self.authenticator)
        }
    }

    public func authenticator(jpkiLinkKey: String) async throws -> Authenticator? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM authenticators WHERE jpki_link_key = ?", arguments: [jpkiLinkKey])
                .map(Self.authenticator)
        }
    }

    public func authenticators(jpkiHolder: String) async throws -> [Authenticator] {
        try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM authenticators WHERE jpki_holder = ? ORDER BY id", arguments: [jpkiHolder]).map(Self.authenticator)
        }
    }

    /// `.conflict` when the WebAuthn credential ID or the JPKI card is already registered (to
    /// any account), `.notFound` when the account does not exist.
    public func insertAuthenticator(_ a: Authenticator, audit: AuditEvent) async throws {
        let row = try Self.arguments(a)
        try await store.write { db in
            try Self.mappingConstraints { try db.execute(sql: Self.insertAuthenticatorSQL, arguments: row) }
            try store.appendAudit(audit, db)
        }
    }

    /// Compare-and-swap: `UPDATE … WHERE id = ? AND version = ?`. The audit entry is written, in
    /// the same transaction, only when the row changed.
    public func updateAuthenticator(_ a: Authenticator, expectedVersion: Int, audit: AuditEvent?) async throws -> Bool {
        let secret = try Self.json(a.secret)
        let arguments: StatementArguments = [
            a.label, secret, a.lastUsedAt.map(Timestamp.milliseconds), a.pending, a.version, a.credentialID.map { Data($0) }, a.jpkiLinkKey,
            a.jpkiHolder, a.id.rawValue, expectedVersion,
        ]
        return try await store.write { db in
            try Self.mappingConstraints {
                try db.execute(
                    sql: """
                        UPDATE authenticators SET label = ?, secret = ?, last_used_at = ?, pending = ?, version = ?, credential_id = ?,
                            jpki_link_key = ?, jpki_holder = ?
                        WHERE id = ? AND version = ?
                        """,
                    arguments: arguments)
            }
            guard db.changesCount == 1 else { return false }
            if let audit { try store.appendAudit(audit, db) }
            return true
        }
    }

    public func deleteAuthenticator(_ id: HonninID, audit: AuditEvent) async throws {
        try await store.write { db in
            try db.execute(sql: "DELETE FROM authenticators WHERE id = ?", arguments: [id.rawValue])
            try store.appendAudit(audit, db)
        }
    }

    // MARK: Sessions

    public func insertSession(_ s: Session, audit: AuditEvent) async throws {
        let row = try Self.arguments(s)
        try await store.write { db in
            try Self.mappingConstraints { try db.execute(sql: Self.insertSessionSQL, arguments: row) }
            try store.appendAudit(audit, db)
        }
    }

    public func session(id: HonninID) async throws -> Session? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [id.rawValue]).map(Self.session)
        }
    }

    /// The account's sessions, oldest first.
    public func sessions(account: HonninID) async throws -> [Session] {
        try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sessions WHERE account_id = ? ORDER BY id", arguments: [account.rawValue]).map(Self.session)
        }
    }

    /// Compare-and-swap on `version`, audited in the same transaction only when the row changed.
    public func updateSession(_ s: Session, expectedVersion: Int, audit: AuditEvent?) async throws -> Bool {
        let entries = try Self.json(s.entries)
        let arguments: StatementArguments = [
            Data(s.tokenDigest), Timestamp.milliseconds(s.lastSeenAt), Timestamp.milliseconds(s.expiresAt), entries,
            s.enrolmentUntil.map(Timestamp.milliseconds), s.version, s.id.rawValue, expectedVersion,
        ]
        return try await store.write { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET token_digest = ?, last_seen_at = ?, expires_at = ?, entries = ?, enrolment_until = ?, version = ?
                    WHERE id = ? AND version = ?
                    """,
                arguments: arguments)
            guard db.changesCount == 1 else { return false }
            if let audit { try store.appendAudit(audit, db) }
            return true
        }
    }

    public func deleteSession(_ id: HonninID, audit: AuditEvent?) async throws {
        try await store.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id.rawValue])
            if let audit { try store.appendAudit(audit, db) }
        }
    }

    /// Deletes the sessions whose absolute end is before `before` (in one statement, by the
    /// `sessions_by_expiry` index).
    public func purgeSessions(before: Date) async throws -> Int {
        try await store.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [Timestamp.milliseconds(before)])
            return db.changesCount
        }
    }

    // MARK: Challenges

    /// Stores the challenge (replacing one with the same digest) and deletes challenges that
    /// expired more than ``staleChallengeAge`` before this one expires.
    public func insertChallenge(_ c: PendingChallenge) async throws {
        let arguments: StatementArguments = [
            Data(c.digest), c.purpose.rawValue, c.session?.rawValue, c.account?.rawValue, c.userVerification, c.method?.rawValue,
            Timestamp.milliseconds(c.expiresAt),
        ]
        let stale = Timestamp.milliseconds(c.expiresAt.addingTimeInterval(-Self.staleChallengeAge))
        try await store.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO auth_challenges (digest, purpose, session_id, account_id, user_verification, method, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: arguments)
            try db.execute(sql: "DELETE FROM auth_challenges WHERE expires_at < ?", arguments: [stale])
        }
    }

    /// One `DELETE … RETURNING` statement: of any number of concurrent callers with the same
    /// digest, exactly one gets the challenge.
    public func consumeChallenge(digest: [UInt8]) async throws -> PendingChallenge? {
        try await store.write { db in
            try Row.fetchOne(db, sql: "DELETE FROM auth_challenges WHERE digest = ? RETURNING *", arguments: [Data(digest)]).map(Self.challenge)
        }
    }

    // MARK: Throttles

    public func throttle(_ usernameDigest: [UInt8]) async throws -> LoginThrottle {
        try await store.read { db in
            try Row.fetchOne(
                db, sql: "SELECT failures, last_failure_at FROM login_throttles WHERE username_digest = ?", arguments: [Data(usernameDigest)]
            ).map(Self.throttle) ?? LoginThrottle()
        }
    }

    /// One UPSERT statement: concurrent failures are each counted.
    public func recordFailure(_ usernameDigest: [UInt8], at: Date) async throws -> LoginThrottle {
        let arguments: StatementArguments = [Data(usernameDigest), Timestamp.milliseconds(at)]
        return try await store.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        INSERT INTO login_throttles (username_digest, failures, last_failure_at) VALUES (?, 1, ?)
                        ON CONFLICT (username_digest) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at
                        RETURNING failures, last_failure_at
                        """,
                    arguments: arguments)
            else { throw HonninError(.storage, "recording a login failure returned no row") }
            return Self.throttle(row)
        }
    }

    public func resetThrottle(_ usernameDigest: [UInt8]) async throws {
        try await store.write { db in
            try db.execute(sql: "DELETE FROM login_throttles WHERE username_digest = ?", arguments: [Data(usernameDigest)])
        }
    }

    public func appendAuditEvent(_ event: AuditEvent) async throws {
        _ = try await store.append(event)
    }
}

extension SQLiteStore {
    /// The accounts, authenticators, sessions, challenges and throttles in this database.
    public var accounts: SQLiteAccountRepository { SQLiteAccountRepository(store: self) }
}

// MARK: Rows

extension SQLiteAccountRepository {
    static let insertAccountSQL = """
        INSERT INTO accounts (id, username_digest, profile_id, created_at, origin, roles, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        """
    static let insertAuthenticatorSQL = """
        INSERT INTO authenticators (id, account_id, method, label, secret, created_at, last_used_at, pending, version, credential_id,
            jpki_link_key, jpki_holder)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertSessionSQL = """
        INSERT INTO sessions (id, account_id, token_digest, csrf_token, created_at, last_seen_at, expires_at, entries, client,
            enrolment_until, version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func arguments(_ a: Account) throws -> StatementArguments {
        [
            a.id.rawValue, Data(a.usernameDigest), a.profile.rawValue, Timestamp.milliseconds(a.createdAt), a.origin, try json(a.roles.sorted()),
            a.disabledAt.map(Timestamp.milliseconds),
        ]
    }

    static func arguments(_ a: Authenticator) throws -> StatementArguments {
        [
            a.id.rawValue, a.account.rawValue, a.method.rawValue, a.label, try json(a.secret), Timestamp.milliseconds(a.createdAt),
            a.lastUsedAt.map(Timestamp.milliseconds), a.pending, a.version, a.credentialID.map { Data($0) }, a.jpkiLinkKey, a.jpkiHolder,
        ]
    }

    static func arguments(_ s: Session) throws -> StatementArguments {
        [
            s.id.rawValue, s.account.rawValue, Data(s.tokenDigest), s.csrfToken, Timestamp.milliseconds(s.createdAt),
            Timestamp.milliseconds(s.lastSeenAt), Timestamp.milliseconds(s.expiresAt), try json(s.entries), s.client,
            s.enrolmentUntil.map(Timestamp.milliseconds), s.version,
        ]
    }

    static func account(_ row: Row) throws -> Account {
        let id: String = row["id"]
        return Account(
            id: HonninID(trusted: id), usernameDigest: [UInt8](row["username_digest"] as Data), profile: HonninID(trusted: row["profile_id"]),
            createdAt: Timestamp.date(milliseconds: row["created_at"]), origin: row["origin"],
            roles: Set(try decode([String].self, row["roles"], what: "roles of account \(id)")),
            disabledAt: (row["disabled_at"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    static func authenticator(_ row: Row) throws -> Authenticator {
        let id: String = row["id"]
        guard let method = AuthenticationMethod(rawValue: row["method"]) else {
            throw HonninError(.storage, "authenticator \(id) has an unknown method")
        }
        return Authenticator(
            id: HonninID(trusted: id), account: HonninID(trusted: row["account_id"]), method: method, label: row["label"],
            secret: try decode(Authenticator.Secret.self, row["secret"], what: "secret of authenticator \(id)"),
            createdAt: Timestamp.date(milliseconds: row["created_at"]),
            lastUsedAt: (row["last_used_at"] as Int64?).map(Timestamp.date(milliseconds:)), pending: row["pending"], version: row["version"])
    }

    static func session(_ row: Row) throws -> Session {
        let id: String = row["id"]
        return Session(
            id: HonninID(trusted: id), account: HonninID(trusted: row["account_id"]), tokenDigest: [UInt8](row["token_digest"] as Data),
            csrfToken: row["csrf_token"], createdAt: Timestamp.date(milliseconds: row["created_at"]),
            lastSeenAt: Timestamp.date(milliseconds: row["last_seen_at"]), expiresAt: Timestamp.date(milliseconds: row["expires_at"]),
            entries: try decode([AMREntry].self, row["entries"], what: "entries of session \(id)"), client: row["client"],
            enrolmentUntil: (row["enrolment_until"] as Int64?).map(Timestamp.date(milliseconds:)), version: row["version"])
    }

    static func challenge(_ row: Row) throws -> PendingChallenge {
        guard let purpose = PendingChallenge.Purpose(rawValue: row["purpose"]) else {
            throw HonninError(.storage, "a stored challenge has an unknown purpose")
        }
        var method: AuthenticationMethod? = nil
        if let raw = row["method"] as String? {
            guard let m = AuthenticationMethod(rawValue: raw) else { throw HonninError(.storage, "a stored challenge has an unknown method") }
            method = m
        }
        return PendingChallenge(
            digest: [UInt8](row["digest"] as Data), purpose: purpose, session: (row["session_id"] as String?).map(HonninID.init(trusted:)),
            account: (row["account_id"] as String?).map(HonninID.init(trusted:)), userVerification: row["user_verification"], method: method,
            expiresAt: Timestamp.date(milliseconds: row["expires_at"]))
    }

    static func throttle(_ row: Row) -> LoginThrottle {
        LoginThrottle(failures: row["failures"], lastFailureAt: (row["last_failure_at"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    // MARK: JSON

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamp.milliseconds(date))
        }
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            Timestamp.date(milliseconds: try decoder.singleValueContainer().decode(Int64.self))
        }
        return d
    }()

    static func json(_ value: some Encodable) throws -> String {
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw HonninError(.storage, "cannot encode \(type(of: value)): \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw HonninError(.storage, "\(what) is unreadable: \(error)")
        }
    }

    /// Runs `body`, turning unique and foreign-key violations into ``HonninError``s a caller can
    /// act on: `.conflict` (user name, credential ID, card or identifier already stored) and
    /// `.notFound` (the account referred to does not exist). SQLite's message names the table and
    /// column only, never a value.
    static func mappingConstraints<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as DatabaseError
            where e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            let message = e.message ?? ""
            let what: String
            if message.contains("accounts.username_digest") {
                what = "user name exists"
            } else if message.contains("authenticators.credential_id") {
                what = "credential registered"
            } else if message.contains("authenticators.jpki_link_key") {
                what = "card already linked"
            } else {
                what = "identifier exists"
            }
            throw HonninError(.conflict, "\(what) (\(message))")
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw HonninError(.notFound, "the account does not exist (\(e.message ?? ""))")
        }
    }
}
