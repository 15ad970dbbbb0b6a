import Crypto
import Foundation
import HonninAuthn
import HonninCore
import HonninCredentials
import HonninPolicy
import HonninStore

/// A person who reviews uploaded documents in the console. A reviewer signs in as an account
/// (HonninAuthn) with the same user name and the `reviewer` role, and the console needs the
/// session at AAL2 (docs/review.md); this record holds what reviews need: the identity decisions
/// are recorded under and whether the reviewer is disabled.
public struct Reviewer: Sendable, Equatable {
    public let id: HonninID
    public let username: String
    public let displayName: String
    public let createdAt: Date
    public var disabledAt: Date?

    public init(id: HonninID, username: String, displayName: String, createdAt: Date, disabledAt: Date? = nil) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

public protocol ReviewerRepository: Sendable {
    func insertReviewer(_ r: Reviewer, audit: AuditEvent) async throws
    func reviewer(id: HonninID) async throws -> Reviewer?
    func reviewer(username: String) async throws -> Reviewer?
    func reviewers() async throws -> [Reviewer]
    func updateReviewer(_ r: Reviewer, audit: AuditEvent?) async throws
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

    public init(sla: TimeInterval = 86_400, fourEyes: Bool = false) {
        self.sla = sla
        self.fourEyes = fourEyes
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
    /// Reviewers sign in as accounts; the console needs AAL2 and the `reviewer` role.
    public let authn: AuthnService
    let clock: any WallClock
    let random: any RandomSource

    public init(
        reviewers: any ReviewerRepository, verifications: VerificationService, settings: ReviewSettings, authn: AuthnService, clock: any WallClock,
        random: any RandomSource
    ) {
        self.reviewers = reviewers
        self.verifications = verifications
        self.settings = settings
        self.authn = authn
        self.clock = clock
        self.random = random
    }

    /// The role an account needs for the console, and the level its session needs (NIST SP
    /// 800-63B-4 AAL2: two distinct factors, one replay-resistant).
    public static let role = "reviewer"
    public static let requiredAAL = 2

    // MARK: Accounts

    /// Usernames: 3–64 of a–z, 0–9, `.`, `_`, `-`.
    public static func validUsername(_ u: String) -> Bool {
        (3...64).contains(u.utf8.count) && u.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || [0x2E, 0x5F, 0x2D].contains($0) }
    }

    /// Creates the reviewer and its account (role `reviewer`, the password as its first factor).
    /// The reviewer then adds a second factor at `/account` before the console opens.
    public func createReviewer(username: String, displayName: String, password: Redacted<String>, actor: String) async throws -> Reviewer {
        guard Self.validUsername(username) else {
            throw HonninError(.invalidInput, "a username is 3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
        }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HonninError(.invalidInput, "a display name is 1 to 100 printable characters")
        }
        do {
            try PasswordPolicy.check(password, context: [username, name, authn.settings.totpIssuer])
        } catch {
            throw HonninError(.invalidInput, "\(error.message.en) (\(error.code), NIST SP 800-63B-4 §3.1.1.2)")
        }
        let existing = try await reviewers.reviewer(username: username)
        do {
            _ = try await authn.signUp(username: username, password: password, displayName: name, client: "cli", origin: "cli", roles: [Self.role])
        } catch {
            if error.code == .usernameTaken { throw HonninError(.conflict, existing == nil ? "an account named \(username) exists" : "reviewer \(username) exists") }
            throw HonninError(.invalidInput, "\(error.message.en) (\(error.reason ?? error.code.rawValue), NIST SP 800-63B-4 §3.1.1.2)")
        }
        // A reviewer from before reviewers signed in as accounts: now linked to its new account.
        if let existing { return existing }
        let now = clock.now()
        let r = Reviewer(
            id: HonninID(kind: .reviewer, milliseconds: Timestamp.milliseconds(now), random: random), username: username, displayName: name, createdAt: now)
        try await reviewers.insertReviewer(r, audit: AuditEvent(action: "reviewer.created", actor: actor, subject: r.id.rawValue, at: now))
        return r
    }

    /// Why a session cannot open the console.
    public enum Access: Sendable {
        case allowed(Reviewer)
        /// The account has no reviewer role or reviewer record, or the reviewer is disabled.
        case notReviewer
        /// Signed in below AAL2: use (or add) a second factor at `/account`.
        case stepUp(current: Int)
    }

    /// The console's gate for an account session.
    public func access(_ context: SessionContext) async throws -> Access {
        guard context.account.roles.contains(Self.role) else { return .notReviewer }
        guard context.aal >= Self.requiredAAL else { return .stepUp(current: context.aal) }
        let (username, _) = try await authn.profile(of: context.account)
        guard let reviewer = try await reviewers.reviewer(username: username), reviewer.disabledAt == nil else { return .notReviewer }
        return .allowed(reviewer)
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
