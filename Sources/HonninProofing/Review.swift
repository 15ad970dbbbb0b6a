import Crypto
import Foundation
import HonninCore
import HonninCredentials
import HonninPolicy
import HonninStore

/// A person who reviews uploaded documents in the console. Until the authentication work lands,
/// reviewers sign in with a password alone (at least 15 characters, scrypt-hashed); a second
/// factor will then be required (docs/review.md).
public struct Reviewer: Sendable, Equatable {
    public let id: HonninID
    public let username: String
    public let displayName: String
    /// PHC string (`$scrypt$…`).
    public var passwordHash: String
    public let createdAt: Date
    public var disabledAt: Date?

    public init(id: HonninID, username: String, displayName: String, passwordHash: String, createdAt: Date, disabledAt: Date? = nil) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// A signed-in console session: the cookie carries a random token (only its SHA-256 is stored)
/// and every form carries the session's CSRF token.
public struct ReviewerSession: Sendable, Equatable {
    public let id: HonninID
    public let reviewer: HonninID
    public let tokenDigest: [UInt8]
    public let csrfToken: String
    public let createdAt: Date
    public var lastSeenAt: Date
    public let expiresAt: Date

    public init(id: HonninID, reviewer: HonninID, tokenDigest: [UInt8], csrfToken: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.id = id
        self.reviewer = reviewer
        self.tokenDigest = tokenDigest
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

public protocol ReviewerRepository: Sendable {
    func insertReviewer(_ r: Reviewer, audit: AuditEvent) async throws
    func reviewer(id: HonninID) async throws -> Reviewer?
    func reviewer(username: String) async throws -> Reviewer?
    func reviewers() async throws -> [Reviewer]
    func updateReviewer(_ r: Reviewer, audit: AuditEvent?) async throws
    func insertSession(_ s: ReviewerSession, audit: AuditEvent) async throws
    func session(_ id: HonninID) async throws -> ReviewerSession?
    func touchSession(_ id: HonninID, at: Date) async throws
    func deleteSession(_ id: HonninID, audit: AuditEvent?) async throws
    func appendAuditEvent(_ event: AuditEvent) async throws
}

/// One reviewer's decision on a case (identifiers and codes only; a document number is sealed
/// in the vault record `documentNumber`).
public struct ReviewDecision: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable { case approve, reject }
    public let reviewer: HonninID
    public let verdict: Verdict
    public let reasons: [String]
    public let checklist: [String]
    public let documentNumber: HonninID?
    public let at: Date
}

/// Why a reviewer rejects: stable codes with text.
public enum RejectionReason: String, CaseIterable, Sendable {
    case documentUnreadable = "document_unreadable"
    case documentExpired = "document_expired"
    case notGenuine = "not_genuine"
    case attributesMismatch = "attributes_mismatch"
    case tampered
    case wrongDocument = "wrong_document"
    case individualNumberVisible = "individual_number_visible"
    case other

    public var label: LocalizedMessage {
        let (ja, en): (String, String) =
            switch self {
            case .documentUnreadable: ("書類が判読できない", "The document is unreadable")
            case .documentExpired: ("有効期限切れ", "The document has expired")
            case .notGenuine: ("本物の書類の撮影ではない（画面・コピー）", "Not a photo of the real document (screen or copy)")
            case .attributesMismatch: ("入力内容が書類と一致しない", "The typed attributes do not match the document")
            case .tampered: ("改ざん・加工の疑い", "Suspected tampering")
            case .wrongDocument: ("対象外の書類", "Not an accepted document")
            case .individualNumberVisible: ("個人番号が写っている", "The Individual Number is visible")
            case .other: ("その他", "Other")
            }
        return LocalizedMessage(id: "review.reason.\(rawValue)", ja: ja, en: en)
    }
}

/// The review state a flow carries while it waits for reviewers.
public struct ReviewState: Codable, Sendable, Equatable {
    public var decisions: [ReviewDecision] = []
    /// A first approval waiting for a second reviewer (four-eyes).
    public var pendingApproval: ReviewDecision? {
        guard let last = decisions.last, last.verdict == .approve else { return nil }
        return last
    }
    public init() {}
}

/// Settings of the review queue.
public struct ReviewSettings: Sendable {
    /// How long a case may wait before it is overdue (default 24 h).
    public var sla: TimeInterval
    /// Approvals need a second, different reviewer (rejections are final at once: they are the
    /// safe side).
    public var fourEyes: Bool
    /// Console sessions end after this long (default 8 h) or this long idle (default 30 min).
    public var sessionLifetime: TimeInterval
    public var sessionIdle: TimeInterval

    public init(sla: TimeInterval = 86_400, fourEyes: Bool = false, sessionLifetime: TimeInterval = 8 * 3600, sessionIdle: TimeInterval = 1800) {
        self.sla = sla
        self.fourEyes = fourEyes
        self.sessionLifetime = sessionLifetime
        self.sessionIdle = sessionIdle
    }
}

/// A case as the console shows it: the flow, the images and the typed attributes.
public struct ReviewCase: Sendable {
    public let flow: VerificationFlow
    public let documentType: String?
    public let images: [(side: String, format: String, bytes: Redacted<[UInt8]>, orientation: Int)]
    public let attributes: Redacted<PersonAttributes>
    public let checklist: [DocumentProfile.CheckItem]
    public let recordsNumber: Bool
    public let pendingApproval: ReviewDecision?
}

/// The reviewer's work: sign-in, queue, case view, decisions — every action audited.
public struct ReviewService: Sendable {
    public let reviewers: any ReviewerRepository
    public let verifications: VerificationService
    public let settings: ReviewSettings
    let clock: any WallClock
    let random: any RandomSource
    let hasher: PasswordHasher

    public init(
        reviewers: any ReviewerRepository, verifications: VerificationService, settings: ReviewSettings, clock: any WallClock, random: any RandomSource,
        hasher: PasswordHasher = PasswordHasher()
    ) {
        self.reviewers = reviewers
        self.verifications = verifications
        self.settings = settings
        self.clock = clock
        self.random = random
        self.hasher = PasswordHasher(parameters: hasher.parameters, random: random)
    }

    // MARK: Accounts

    /// Usernames: 3–64 of a–z, 0–9, `.`, `_`, `-`.
    public static func validUsername(_ u: String) -> Bool {
        (3...64).contains(u.utf8.count) && u.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || [0x2E, 0x5F, 0x2D].contains($0) }
    }

    public func createReviewer(username: String, displayName: String, password: Redacted<String>, actor: String) async throws -> Reviewer {
        guard Self.validUsername(username) else {
            throw HonninError(.invalidInput, "a username is 3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
        }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HonninError(.invalidInput, "a display name is 1 to 100 printable characters")
        }
        do {
            try PasswordPolicy.check(password, context: [username, name, "honnin"])
        } catch {
            throw HonninError(.invalidInput, "\(error.message.en) (\(error.code), NIST SP 800-63B-4 §3.1.1.2)")
        }
        if try await reviewers.reviewer(username: username) != nil { throw HonninError(.conflict, "reviewer \(username) exists") }
        let now = clock.now()
        let r = Reviewer(
            id: HonninID(kind: .reviewer, milliseconds: Timestamp.milliseconds(now), random: random), username: username, displayName: name,
            passwordHash: try hasher.hash(password), createdAt: now)
        try await reviewers.insertReviewer(r, audit: AuditEvent(action: "reviewer.created", actor: actor, subject: r.id.rawValue, at: now))
        return r
    }

    /// Signs in; returns the session and the cookie token, or nil (the caller cannot tell an
    /// unknown username from a wrong password; both cost one scrypt).
    public func signIn(username: String, password: Redacted<String>) async throws -> (ReviewerSession, token: Redacted<String>)? {
        let now = clock.now()
        let reviewer = Self.validUsername(username) ? try await reviewers.reviewer(username: username) : nil
        // Same work whether or not the account exists (a fixed dummy hash of the same cost).
        let ok = PasswordHasher.verify(password, against: reviewer?.passwordHash ?? Self.dummyHash)
        guard let reviewer, ok, reviewer.disabledAt == nil else {
            try await reviewers.appendAuditEvent(
                AuditEvent(action: "reviewer.login_failed", actor: "anonymous", subject: reviewer?.id.rawValue, at: now))
            return nil
        }
        if hasher.needsRehash(reviewer.passwordHash) {
            var upgraded = reviewer
            upgraded.passwordHash = try hasher.hash(password)
            try await reviewers.updateReviewer(upgraded, audit: nil)
        }
        let token = "hrs_" + Bytes.base64URL(random.bytes(32))
        let session = ReviewerSession(
            id: HonninID(kind: .reviewerSession, milliseconds: Timestamp.milliseconds(now), random: random), reviewer: reviewer.id,
            tokenDigest: Array(SHA256.hash(data: Array(token.utf8))), csrfToken: Bytes.base64URL(random.bytes(32)), createdAt: now, lastSeenAt: now,
            expiresAt: now.addingTimeInterval(settings.sessionLifetime))
        try await reviewers.insertSession(
            session, audit: AuditEvent(action: "reviewer.login", actor: "reviewer:\(reviewer.id.rawValue)", subject: session.id.rawValue, at: now))
        return (session, Redacted(session.id.rawValue + "." + token))
    }

    static let dummyHash = "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    /// The session and reviewer a cookie value names, if valid now (constant-time check; idle
    /// and absolute limits; disabled reviewers are out at once).
    public func authenticate(cookie: String) async throws -> (ReviewerSession, Reviewer)? {
        let parts = cookie.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let id = HonninID(parsing: parts[0], kind: .reviewerSession),
            let session = try await reviewers.session(id)
        else { return nil }
        let now = clock.now()
        guard Bytes.constantTimeEqual(Array(SHA256.hash(data: Array(parts[1].utf8))), session.tokenDigest), now < session.expiresAt,
            now.timeIntervalSince(session.lastSeenAt) < settings.sessionIdle,
            let reviewer = try await reviewers.reviewer(id: session.reviewer), reviewer.disabledAt == nil
        else { return nil }
        if now.timeIntervalSince(session.lastSeenAt) > 60 { try await reviewers.touchSession(id, at: now) }
        return (session, reviewer)
    }

    public func signOut(_ session: ReviewerSession) async throws {
        try await reviewers.deleteSession(
            session.id, audit: AuditEvent(action: "reviewer.logout", actor: "reviewer:\(session.reviewer.rawValue)", subject: session.id.rawValue, at: clock.now()))
    }

    // MARK: Queue and cases

    public struct QueueItem: Sendable {
        public let flow: VerificationFlow
        public let waiting: TimeInterval
        public let overdue: Bool
        public let awaitingSecondReview: Bool
    }

    /// Cases waiting for a decision, oldest first.
    public func queue(limit: Int = 200) async throws -> [QueueItem] {
        let now = clock.now()
        let flows = try await verifications.repository.list(FlowQuery(state: .needsReview, limit: limit))
        return flows.map { f in
            let since = f.submittedAt ?? f.updatedAt
            return QueueItem(
                flow: f, waiting: now.timeIntervalSince(since), overdue: now.timeIntervalSince(since) > settings.sla,
                awaitingSecondReview: f.review.pendingApproval != nil)
        }.sorted { $0.waiting > $1.waiting }
    }

    /// Opens a case for a reviewer (decrypting its evidence) and audits the access.
    public func open(_ id: HonninID, by reviewer: Reviewer) async throws -> ReviewCase {
        let flow = try await verifications.find(id)
        guard flow.state == .needsReview, let evidenceID = flow.evidence else {
            throw RequestError(FlowError.wrongState(flow.state, .approve))
        }
        let record = try await verifications.vault.open(evidenceID)
        let attributes = try record["attributes"].map { try JSONDecoder().decode(PersonAttributes.self, from: Data($0.revealed)) } ?? PersonAttributes()
        let docType = flow.evidenceSummary["document_type"]
        let profile = docType.flatMap { DocumentProfile.all[$0] }
        var images: [(side: String, format: String, bytes: Redacted<[UInt8]>, orientation: Int)] = []
        for side in profile?.sides ?? [] {
            guard let bytes = record["image.\(side.id)"] else { continue }
            let summary = flow.evidenceSummary["image.\(side.id)"] ?? ""
            let orientation = summary.split(separator: " ").first { $0.hasPrefix("orientation=") }.flatMap { Int($0.dropFirst(12)) } ?? 1
            images.append((side.id, summary.hasPrefix("png") ? "png" : "jpeg", bytes, orientation))
        }
        try await reviewers.appendAuditEvent(
            AuditEvent(action: "review.case_opened", actor: "reviewer:\(reviewer.id.rawValue)", subject: id.rawValue, at: clock.now()))
        return ReviewCase(
            flow: flow, documentType: docType, images: images, attributes: Redacted(attributes), checklist: profile?.checklist ?? [],
            recordsNumber: profile?.recordsNumber ?? false, pendingApproval: flow.review.pendingApproval)
    }

    /// A reviewer's decision. Approval needs every checklist item ticked and, where the document
    /// has one to record, its number (never a 12-digit 個人番号); with four-eyes on, a first
    /// approval waits for a second, different reviewer. Rejection needs at least one reason.
    public func decide(
        _ id: HonninID, by reviewer: Reviewer, verdict: ReviewDecision.Verdict, reasons: [String], checklist: [String], documentNumber: String?
    ) async throws -> VerificationFlow {
        let now = clock.now()
        let flow = try await verifications.find(id)
        guard flow.state == .needsReview else {
            throw RequestError(FlowError.wrongState(flow.state, verdict == .approve ? .approve : .reject))
        }
        let profile = flow.evidenceSummary["document_type"].flatMap { DocumentProfile.all[$0] }
        let actor = "reviewer:\(reviewer.id.rawValue)"
        var number: String?
        switch verdict {
        case .reject:
            let known = Set(RejectionReason.allCases.map(\.rawValue))
            guard !reasons.isEmpty, reasons.allSatisfy(known.contains) else {
                throw RequestError(.invalid, code: "reason_required", ja: "却下の理由を選んでください。", en: "Choose a reason for the rejection.", member: "reasons")
            }
        case .approve:
            let required = Set((profile?.checklist ?? []).map(\.id))
            guard required.isSubset(of: Set(checklist)) else {
                throw RequestError(
                    .invalid, code: "checklist_incomplete", ja: "確認項目をすべて確認してください。", en: "Tick every checklist item.", member: "checklist")
            }
            if let pending = flow.review.pendingApproval, pending.reviewer == reviewer.id {
                throw RequestError(
                    .conflict, code: "second_reviewer_required", ja: "最初の承認者とは別の審査担当者が確認してください。",
                    en: "A different reviewer must confirm the first approval.")
            }
            let trimmed = documentNumber?.trimmingCharacters(in: .whitespaces).precomposedStringWithCompatibilityMapping
            if let t = trimmed, !t.isEmpty {
                // 番号法 第20条: a My Number Card's number is never collected, nor is a number for
                // a document whose number is not recorded (health insurance: 健康保険法 第194条の2).
                guard profile?.recordsNumber == true else {
                    throw RequestError(
                        .invalid, code: "individual_number_refused", ja: "この書類の番号は記録できません（個人番号・被保険者等記号番号）。",
                        en: "This document's number must not be recorded (Individual Number, insured person's number).", member: "document_number")
                }
                // Licence (12 digits), residence card (2 letters, 8 digits, 2 letters), passport
                // (2 letters, 7 digits): ASCII letters, digits and '-', as printed without 第/号.
                guard t.count <= 40, t.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
                else {
                    throw RequestError(
                        .invalid, code: "invalid_document_number", ja: "書類番号は英数字と - の40文字以内で入力してください（「第」「号」は不要）。",
                        en: "A document number is at most 40 letters, digits and - (without 第 or 号).", member: "document_number")
                }
                number = t.uppercased()
            } else if profile?.recordsNumber == true, flow.review.pendingApproval?.documentNumber == nil {
                throw RequestError(
                    .invalid, code: "document_number_required", ja: "書類の番号を入力してください。", en: "Enter the document's number.", member: "document_number")
            }
        }
        return try await verifications.review(
            flow, decision: (reviewer.id, verdict, reasons, checklist, number), fourEyes: settings.fourEyes, actor: actor, at: now)
    }
}

extension HonninID.Kind {
    public static let reviewer = HonninID.Kind("rvr")
    public static let reviewerSession = HonninID.Kind("rss")
    public static let record = HonninID.Kind("rec")
}
