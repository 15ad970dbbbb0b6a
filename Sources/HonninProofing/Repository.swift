import Foundation
import HonninCore
import HonninStore

/// A webhook delivery waiting in the outbox. It is written in the same transaction as the
/// state change it announces, so a crash can neither lose it nor announce a change that did not
/// happen; the delivery worker sends it with retries (also after a restart).
public struct WebhookDelivery: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case pending, delivered, failed }

    public let id: HonninID
    public let verification: HonninID
    /// `verification.approved`, `verification.rejected`, `verification.needs_review`, `verification.expired`.
    public let event: String
    public let url: String
    /// The exact JSON body that is signed and sent (identifiers and states only, no personal data).
    public let payload: [UInt8]
    public let createdAt: Date
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    /// Short, non-personal reason of the last failure (`http 500`, `timeout`, …).
    public var lastError: String?
    public var lastAttemptAt: Date?
    public var responseStatus: Int?

    public init(
        id: HonninID, verification: HonninID, event: String, url: String, payload: [UInt8], createdAt: Date,
        status: Status = .pending, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil, lastAttemptAt: Date? = nil,
        responseStatus: Int? = nil
    ) {
        self.id = id
        self.verification = verification
        self.event = event
        self.url = url
        self.payload = payload
        self.createdAt = createdAt
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.responseStatus = responseStatus
    }
}

/// An `Idempotency-Key` seen on a request: retries with the same key and the same body get the
/// same effect once; a different body with the same key is refused.
public struct IdempotencyEntry: Sendable, Equatable {
    /// What the key is scoped to: `<flow id> <method> submit`.
    public let scope: String
    public let key: String
    /// SHA-256 of the request body.
    public let requestDigest: [UInt8]
    public let createdAt: Date

    public init(scope: String, key: String, requestDigest: [UInt8], createdAt: Date) {
        self.scope = scope
        self.key = key
        self.requestDigest = requestDigest
        self.createdAt = createdAt
    }
}

/// Everything one step of a flow writes, committed atomically: the new flow value (only if the
/// stored version is still `expectedVersion`), vault records, audit events, webhook deliveries,
/// an idempotency entry, verification record entries.
public struct FlowCommit: Sendable {
    public var flow: VerificationFlow
    public var expectedVersion: Int
    public var sealed: [Vault.Prepared] = []
    public var audit: [AuditEvent] = []
    public var webhooks: [WebhookDelivery] = []
    public var idempotency: IdempotencyEntry?
    public var records: [RecordEntry] = []

    public init(flow: VerificationFlow, expectedVersion: Int) {
        self.flow = flow
        self.expectedVersion = expectedVersion
    }
}

/// A page of flows in id (creation) order.
public struct FlowQuery: Sendable {
    public var state: FlowState?
    public var reference: String?
    /// Keyset pagination: flows after this id.
    public var after: HonninID?
    public var limit: Int

    public init(state: FlowState? = nil, reference: String? = nil, after: HonninID? = nil, limit: Int = 50) {
        self.state = state
        self.reference = reference
        self.after = after
        self.limit = limit
    }
}

/// Storage of verification flows (SQLite in HonninSQLite). Every mutation appends its audit
/// events in the same transaction.
public protocol VerificationRepository: Sendable {
    func create(_ flow: VerificationFlow, audit: AuditEvent) async throws
    func find(_ id: HonninID) async throws -> VerificationFlow?
    func list(_ query: FlowQuery) async throws -> [VerificationFlow]
    /// Writes `commit` if the stored flow's version is `commit.expectedVersion`; returns false
    /// (writing nothing) otherwise. Throws `.conflict` if an idempotency key is already used.
    func commit(_ commit: FlowCommit) async throws -> Bool
    /// Flows the table lets expire whose deadline is at or before `now`.
    func due(at now: Date, limit: Int) async throws -> [VerificationFlow]
    /// Flows whose evidence was acknowledged but not yet decided (`evidence_submitted`,
    /// `verifying`), e.g. after a crash.
    func undecided(limit: Int) async throws -> [VerificationFlow]
    func idempotencyEntry(scope: String, key: String) async throws -> IdempotencyEntry?

    // Webhook outbox.
    func pendingWebhooks(dueAt now: Date, limit: Int) async throws -> [WebhookDelivery]
    func updateWebhook(_ delivery: WebhookDelivery, audit: AuditEvent?) async throws
    func webhooks(for verification: HonninID) async throws -> [WebhookDelivery]
    /// Appends an audit event on its own (reads of personal data, exports).
    func appendAuditEvent(_ event: AuditEvent) async throws
}
