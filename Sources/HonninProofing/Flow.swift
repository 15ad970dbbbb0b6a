import Foundation
import HonninCore
import HonninPolicy

/// The states of a verification flow. `approved`, `rejected`, `expired` and `cancelled` are
/// final. The diagram (docs/verification.md) is generated from ``FlowTransitions/table``.
public enum FlowState: String, Codable, Sendable, CaseIterable {
    case created
    case methodChosen = "method_chosen"
    case evidenceSubmitted = "evidence_submitted"
    case verifying
    case needsReview = "needs_review"
    case approved
    case rejected
    case expired
    case cancelled

    public var isFinal: Bool { [.approved, .rejected, .expired, .cancelled].contains(self) }
}

/// What moves a flow from one state to another.
public enum FlowEvent: String, Codable, Sendable, CaseIterable {
    /// The person picks (or switches to) an allowed method and gets its plan.
    case chooseMethod = "choose_method"
    /// Evidence was checked for form and stored, encrypted, before the request is acknowledged.
    case submitEvidence = "submit_evidence"
    /// A worker claims the evidence for verification (also after a restart).
    case beginVerification = "begin_verification"
    /// The method could not decide alone: a reviewer must.
    case requireReview = "require_review"
    /// The method found a correctable problem (e.g. an expired challenge): the person may retry.
    case retry
    case approve
    case reject
    /// The flow's deadline passed before evidence arrived.
    case expire
    /// The business (or the person) gave up.
    case cancel
}

/// The transition table: the only moves a flow can make. Anything not listed is refused.
public enum FlowTransitions {
    public struct Edge: Sendable, Hashable {
        public let from: FlowState
        public let event: FlowEvent
        public let to: FlowState
    }

    public static let table: [Edge] = [
        Edge(from: .created, event: .chooseMethod, to: .methodChosen),
        Edge(from: .methodChosen, event: .chooseMethod, to: .methodChosen),
        Edge(from: .methodChosen, event: .submitEvidence, to: .evidenceSubmitted),
        Edge(from: .evidenceSubmitted, event: .beginVerification, to: .verifying),
        Edge(from: .verifying, event: .approve, to: .approved),
        Edge(from: .verifying, event: .reject, to: .rejected),
        Edge(from: .verifying, event: .requireReview, to: .needsReview),
        Edge(from: .verifying, event: .retry, to: .methodChosen),
        Edge(from: .needsReview, event: .approve, to: .approved),
        Edge(from: .needsReview, event: .reject, to: .rejected),
        // Expiry stops flows still waiting for the person. Evidence already acknowledged is
        // never dropped by the clock: it is verified (after a restart too) or reviewed.
        Edge(from: .created, event: .expire, to: .expired),
        Edge(from: .methodChosen, event: .expire, to: .expired),
        Edge(from: .created, event: .cancel, to: .cancelled),
        Edge(from: .methodChosen, event: .cancel, to: .cancelled),
        Edge(from: .needsReview, event: .cancel, to: .cancelled),
    ]

    static let index: [FlowState: [FlowEvent: FlowState]] = {
        var out: [FlowState: [FlowEvent: FlowState]] = [:]
        for e in table { out[e.from, default: [:]][e.event] = e.to }
        return out
    }()

    /// The state `event` leads to from `state`, or nil when the table has no such edge.
    public static func next(_ state: FlowState, _ event: FlowEvent) -> FlowState? { index[state]?[event] }

    /// The table as a Mermaid state diagram (for the docs; a test keeps the docs current).
    public static func mermaid() -> String {
        var lines = ["stateDiagram-v2", "    [*] --> created"]
        for e in table { lines.append("    \(e.from.rawValue) --> \(e.to.rawValue): \(e.event.rawValue)") }
        for s in FlowState.allCases where s.isFinal { lines.append("    \(s.rawValue) --> [*]") }
        return lines.joined(separator: "\n")
    }
}

/// A single-use handle for one method attempt: `start` makes it, `submit` must present it and
/// consumes it. Methods that sign a challenge (JPKI) bind their challenge to it.
public struct MethodAttempt: Codable, Sendable, Equatable {
    public let method: String
    /// Random, base64url; sent to the client in the plan.
    public let nonce: String
    public let expiresAt: Date
    public var used: Bool

    public init(method: String, nonce: String, expiresAt: Date, used: Bool = false) {
        self.method = method
        self.nonce = nonce
        self.expiresAt = expiresAt
        self.used = used
    }
}

/// What a finished (or reviewed) flow found. Attributes are not here: they live in the vault
/// record ``attributesRecord``.
public struct FlowResult: Codable, Sendable, Equatable {
    public var ialReached: Int?
    /// The method's or reviewer's stable code (`verified`, `document_mismatch`, …).
    public var code: String
    public var attributesRecord: HonninID?
    /// The 本人確認記録 written when the flow finished.
    public var record: HonninID?
    public var decidedAt: Date?
    public var reviewer: String?

    public init(ialReached: Int? = nil, code: String, attributesRecord: HonninID? = nil, record: HonninID? = nil, decidedAt: Date? = nil, reviewer: String? = nil) {
        self.ialReached = ialReached
        self.code = code
        self.attributesRecord = attributesRecord
        self.record = record
        self.decidedAt = decidedAt
        self.reviewer = reviewer
    }
}

/// A verification flow: a persisted value with id, state and expiry (ARCHITECTURE.md, "Flows
/// are data"). Holds no personal data in clear: evidence and attributes are vault records.
public struct VerificationFlow: Codable, Sendable, Equatable {
    public let id: HonninID
    public private(set) var state: FlowState
    public let createdAt: Date
    public var updatedAt: Date
    public let expiresAt: Date
    /// Who created it (`apikey:key_…`).
    public let createdBy: String
    /// The preset or profile id the requirement came from.
    public let profile: String
    public let requiredIAL: Int
    public let requiredAAL: Int
    /// Allowed methods in the policy engine's rank order (only those this server implements).
    public let allowedMethods: [String]
    public let requestedAttributes: [PersonAttribute]
    public let reference: String?
    public let returnURL: String?
    public let webhookURL: String?
    public let locale: Language
    public let retention: Retention
    /// SHA-256 of the flow-scoped token carried by the hosted page's URL.
    public let tokenDigest: [UInt8]
    public var method: String?
    public var attempt: MethodAttempt?
    public var attempts: Int
    /// Vault record holding the submitted evidence.
    public var evidence: HonninID?
    /// Non-personal facts about the evidence (document type, image sizes) for the reviewer queue.
    public var evidenceSummary: [String: String]
    public var result: FlowResult?
    /// When the evidence was acknowledged.
    public var submittedAt: Date?
    /// Reviewers' decisions while the flow needs review.
    public var review: ReviewState
    /// The rule a record follows (犯収法施行規則 第20条 for AML-obliged profiles), if any.
    public let legalBasis: String?
    /// Incremented by every stored change (optimistic concurrency: an update names the
    /// version it read).
    public var version: Int

    public init(
        id: HonninID, state: FlowState = .created, createdAt: Date, updatedAt: Date? = nil, expiresAt: Date, createdBy: String,
        profile: String, requiredIAL: Int, requiredAAL: Int, allowedMethods: [String], requestedAttributes: [PersonAttribute],
        reference: String?, returnURL: String?, webhookURL: String?, locale: Language, retention: Retention, tokenDigest: [UInt8],
        method: String? = nil, attempt: MethodAttempt? = nil, attempts: Int = 0, evidence: HonninID? = nil,
        evidenceSummary: [String: String] = [:], result: FlowResult? = nil, submittedAt: Date? = nil, review: ReviewState = ReviewState(),
        legalBasis: String? = nil, version: Int = 1
    ) {
        self.id = id
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.profile = profile
        self.requiredIAL = requiredIAL
        self.requiredAAL = requiredAAL
        self.allowedMethods = allowedMethods
        self.requestedAttributes = requestedAttributes
        self.reference = reference
        self.returnURL = returnURL
        self.webhookURL = webhookURL
        self.locale = locale
        self.retention = retention
        self.tokenDigest = tokenDigest
        self.method = method
        self.attempt = attempt
        self.attempts = attempts
        self.evidence = evidence
        self.evidenceSummary = evidenceSummary
        self.result = result
        self.submittedAt = submittedAt
        self.review = review
        self.legalBasis = legalBasis
        self.version = version
    }

    /// Applies `event` through the transition table, or throws ``FlowError/wrongState``.
    public mutating func apply(_ event: FlowEvent, at now: Date) throws(FlowError) {
        guard let next = FlowTransitions.next(state, event) else { throw .wrongState(state, event) }
        state = next
        updatedAt = now
    }

    /// True when the deadline passed and the table lets the flow expire from where it is.
    public func isDue(at now: Date) -> Bool { now >= expiresAt && FlowTransitions.next(state, .expire) != nil }
}

/// Refusals of the flow engine: stable codes the API maps to 4xx problems.
public enum FlowError: Error, Sendable, Equatable {
    case notFound
    case wrongState(FlowState, FlowEvent)
    case expired
    case methodNotAllowed(String)
    case noAttempt
    case attemptReused
    case attemptExpired
    case attemptMismatch
    case conflict
    case idempotencyMismatch
    case noAvailableMethod

    public var code: String {
        switch self {
        case .notFound: "verification_not_found"
        case .wrongState: "wrong_state"
        case .expired: "verification_expired"
        case .methodNotAllowed: "method_not_allowed"
        case .noAttempt: "attempt_required"
        case .attemptReused: "challenge_reused"
        case .attemptExpired: "challenge_expired"
        case .attemptMismatch: "attempt_mismatch"
        case .conflict: "concurrent_update"
        case .idempotencyMismatch: "idempotency_key_reused"
        case .noAvailableMethod: "no_available_method"
        }
    }
}
