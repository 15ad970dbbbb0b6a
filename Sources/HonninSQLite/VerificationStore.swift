import Foundation
import GRDB
import HonninCore
import HonninPolicy
import HonninProofing
import HonninStore

extension SQLiteStore: VerificationRepository {
    static let flowEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .millisecondsSince1970
        return e
    }()

    static func encodeFlow(_ flow: VerificationFlow) throws -> Data {
        try flowEncoder.encode(flow)
    }

    static func decodeFlow(_ row: Row) throws -> VerificationFlow {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        do {
            return try decoder.decode(VerificationFlow.self, from: row["body"] as Data)
        } catch {
            throw HonninError(.storage, "verification \(row["id"] as String? ?? "?") is unreadable: \(error)")
        }
    }

    public func create(_ flow: VerificationFlow, audit: AuditEvent) async throws {
        let body = try Self.encodeFlow(flow)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO verifications (id, state, reference, created_at, updated_at, expires_at, version, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    flow.id.rawValue, flow.state.rawValue, flow.reference, Timestamp.milliseconds(flow.createdAt),
                    Timestamp.milliseconds(flow.updatedAt), Timestamp.milliseconds(flow.expiresAt), flow.version, body,
                ])
            try self.appendAudit(audit, db)
        }
    }

    public func find(_ id: HonninID) async throws -> VerificationFlow? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT id, body FROM verifications WHERE id = ?", arguments: [id.rawValue]).map(Self.decodeFlow)
        }
    }

    public func list(_ query: FlowQuery) async throws -> [VerificationFlow] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let s = query.state {
            conditions.append("state = ?")
            _ = arguments.append(contentsOf: [s.rawValue])
        }
        if let r = query.reference {
            conditions.append("reference = ?")
            _ = arguments.append(contentsOf: [r])
        }
        if let a = query.after {
            conditions.append("id > ?")
            _ = arguments.append(contentsOf: [a.rawValue])
        }
        _ = arguments.append(contentsOf: [max(1, min(query.limit, 200))])
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT id, body FROM verifications \(whereClause) ORDER BY id LIMIT ?"
        let args = arguments
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: args).map(Self.decodeFlow) }
    }

    public func commit(_ commit: FlowCommit) async throws -> Bool {
        let flow = commit.flow
        let body = try Self.encodeFlow(flow)
        return try await write { db in
            try db.execute(
                sql: "UPDATE verifications SET state = ?, updated_at = ?, version = ?, body = ? WHERE id = ? AND version = ?",
                arguments: [
                    flow.state.rawValue, Timestamp.milliseconds(flow.updatedAt), flow.version, body, flow.id.rawValue,
                    commit.expectedVersion,
                ])
            guard db.changesCount == 1 else { return false }
            for p in commit.sealed {
                try Self.insertSealed(p.record, db)
                try self.appendAudit(p.audit, db)
            }
            if let i = commit.idempotency {
                let exists = try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM idempotency_keys WHERE scope = ? AND key = ?", arguments: [i.scope, i.key]) ?? false
                if exists { throw HonninError(.conflict, "idempotency key already used") }
                try db.execute(
                    sql: "INSERT INTO idempotency_keys (scope, key, request_sha256, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [i.scope, i.key, Data(i.requestDigest), Timestamp.milliseconds(i.createdAt)])
            }
            for w in commit.webhooks { try Self.insertWebhook(w, db) }
            for r in commit.records { try Self.insertRecord(r, db) }
            for event in commit.audit { try self.appendAudit(event, db) }
            return true
        }
    }

    public func due(at now: Date, limit: Int) async throws -> [VerificationFlow] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, body FROM verifications
                    WHERE state IN ('created', 'method_chosen') AND expires_at <= ? ORDER BY expires_at LIMIT ?
                    """,
                arguments: [Timestamp.milliseconds(now), limit]
            ).map(Self.decodeFlow)
        }
    }

    public func undecided(limit: Int) async throws -> [VerificationFlow] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, body FROM verifications WHERE state IN ('evidence_submitted', 'verifying') ORDER BY id LIMIT ?",
                arguments: [limit]
            ).map(Self.decodeFlow)
        }
    }

    public func idempotencyEntry(scope: String, key: String) async throws -> IdempotencyEntry? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?", arguments: [scope, key]).map {
                IdempotencyEntry(
                    scope: $0["scope"], key: $0["key"], requestDigest: [UInt8]($0["request_sha256"] as Data),
                    createdAt: Timestamp.date(milliseconds: $0["created_at"]))
            }
        }
    }

    // MARK: Webhook outbox

    static func insertWebhook(_ w: WebhookDelivery, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO webhook_deliveries (id, verification_id, event, url, payload, created_at, status, attempts,
                    next_attempt_at, last_error, last_attempt_at, response_status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                w.id.rawValue, w.verification.rawValue, w.event, w.url, Data(w.payload), Timestamp.milliseconds(w.createdAt),
                w.status.rawValue, w.attempts, Timestamp.milliseconds(w.nextAttemptAt), w.lastError,
                w.lastAttemptAt.map(Timestamp.milliseconds), w.responseStatus,
            ])
    }

    static func webhook(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: HonninID(trusted: row["id"]), verification: HonninID(trusted: row["verification_id"]), event: row["event"], url: row["url"],
            payload: [UInt8](row["payload"] as Data), createdAt: Timestamp.date(milliseconds: row["created_at"]),
            status: WebhookDelivery.Status(rawValue: row["status"]) ?? .failed, attempts: row["attempts"],
            nextAttemptAt: Timestamp.date(milliseconds: row["next_attempt_at"]), lastError: row["last_error"],
            lastAttemptAt: (row["last_attempt_at"] as Int64?).map(Timestamp.date(milliseconds:)), responseStatus: row["response_status"])
    }

    public func pendingWebhooks(dueAt now: Date, limit: Int) async throws -> [WebhookDelivery] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
                arguments: [Timestamp.milliseconds(now), limit]
            ).map(Self.webhook)
        }
    }

    public func updateWebhook(_ w: WebhookDelivery, audit: AuditEvent?) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_attempt_at = ?,
                        response_status = ? WHERE id = ?
                    """,
                arguments: [
                    w.status.rawValue, w.attempts, Timestamp.milliseconds(w.nextAttemptAt), w.lastError,
                    w.lastAttemptAt.map(Timestamp.milliseconds), w.responseStatus, w.id.rawValue,
                ])
            if let audit { try self.appendAudit(audit, db) }
        }
    }

    public func webhooks(for verification: HonninID) async throws -> [WebhookDelivery] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries WHERE verification_id = ? ORDER BY id", arguments: [verification.rawValue])
                .map(Self.webhook)
        }
    }
}

// MARK: Verification records (本人確認記録)

extension SQLiteStore: RecordRepository {
    static func insertRecord(_ r: RecordEntry, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO verification_records (id, verification_id, vault_record_id, created_at, retention_basis, retention_days,
                    relationship_ended_on, expires_at, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                r.id.rawValue, r.verification.rawValue, r.vaultRecord.rawValue, Timestamp.milliseconds(r.createdAt), r.retention.basis.rawValue,
                r.retention.days, r.relationshipEndedOn?.description, r.expiresAt.map(Timestamp.milliseconds), r.erasedAt.map(Timestamp.milliseconds),
            ])
    }

    static func recordEntry(_ row: Row) -> RecordEntry {
        RecordEntry(
            id: HonninID(trusted: row["id"]), verification: HonninID(trusted: row["verification_id"]), vaultRecord: HonninID(trusted: row["vault_record_id"]),
            createdAt: Timestamp.date(milliseconds: row["created_at"]),
            retention: Retention(basis: Retention.Basis(rawValue: row["retention_basis"]) ?? .relationshipEnd, days: row["retention_days"]),
            relationshipEndedOn: (row["relationship_ended_on"] as String?).flatMap { CalendarDate(parsing: $0) },
            expiresAt: (row["expires_at"] as Int64?).map(Timestamp.date(milliseconds:)),
            erasedAt: (row["erased_at"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    public func record(_ id: HonninID) async throws -> RecordEntry? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM verification_records WHERE id = ?", arguments: [id.rawValue]).map(Self.recordEntry)
        }
    }

    public func record(forVerification id: HonninID) async throws -> RecordEntry? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM verification_records WHERE verification_id = ?", arguments: [id.rawValue]).map(Self.recordEntry)
        }
    }

    public func expiredRecords(at now: Date, limit: Int) async throws -> [RecordEntry] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM verification_records WHERE erased_at IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                arguments: [Timestamp.milliseconds(now), limit]
            ).map(Self.recordEntry)
        }
    }

    public func countExpiredRecords(at now: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM verification_records WHERE erased_at IS NULL AND expires_at <= ?", arguments: [Timestamp.milliseconds(now)])
                ?? 0
        }
    }

    public func updateRecord(_ r: RecordEntry, audit: AuditEvent) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE verification_records SET relationship_ended_on = ?, expires_at = ?, erased_at = ? WHERE id = ?",
                arguments: [r.relationshipEndedOn?.description, r.expiresAt.map(Timestamp.milliseconds), r.erasedAt.map(Timestamp.milliseconds), r.id.rawValue])
            try self.appendAudit(audit, db)
        }
    }
}

// MARK: Reviewers and console sessions

extension SQLiteStore: ReviewerRepository {
    static func reviewer(_ row: Row) -> Reviewer {
        Reviewer(
            id: HonninID(trusted: row["id"]), username: row["username"], displayName: row["display_name"], createdAt: Timestamp.date(milliseconds: row["created_at"]), disabledAt: (row["disabled_at"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    public func insertReviewer(_ r: Reviewer, audit: AuditEvent) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO reviewers (id, username, display_name, password_hash, created_at, disabled_at) VALUES (?, ?, ?, '-', ?, ?)",
                arguments: [r.id.rawValue, r.username, r.displayName, Timestamp.milliseconds(r.createdAt), r.disabledAt.map(Timestamp.milliseconds)])
            try self.appendAudit(audit, db)
        }
    }

    public func reviewer(id: HonninID) async throws -> Reviewer? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM reviewers WHERE id = ?", arguments: [id.rawValue]).map(Self.reviewer) }
    }

    public func reviewer(username: String) async throws -> Reviewer? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM reviewers WHERE username = ?", arguments: [username]).map(Self.reviewer) }
    }

    public func reviewers() async throws -> [Reviewer] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM reviewers ORDER BY username").map(Self.reviewer) }
    }

    public func updateReviewer(_ r: Reviewer, audit: AuditEvent?) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE reviewers SET disabled_at = ? WHERE id = ?",
                arguments: [r.disabledAt.map(Timestamp.milliseconds), r.id.rawValue])
            if let audit { try self.appendAudit(audit, db) }
        }
    }

    public func appendAuditEvent(_ event: AuditEvent) async throws {
        _ = try await append(event)
    }
}
