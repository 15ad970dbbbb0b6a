import Crypto
import Foundation
import HonninCore
import HonninPolicy
import HonninStore

/// A refusal of a request to the flow engine, before anything is stored: a stable code,
/// bilingual text and the member it concerns. The HTTP layer turns it into a 4xx problem.
public struct RequestError: Error, Sendable, Equatable {
    public enum Kind: Sendable { case invalid, notFound, conflict, gone, forbidden }
    public let kind: Kind
    public let code: String
    public let message: LocalizedMessage
    public let member: String?

    public init(_ kind: Kind, code: String, ja: String, en: String, member: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = LocalizedMessage(id: "verification.\(code)", ja: ja, en: en)
        self.member = member
    }

    init(_ e: InputError) {
        kind = .invalid
        code = e.code
        message = e.message
        member = e.member
    }

    init(_ e: FlowError) {
        switch e {
        case .notFound:
            self.init(.notFound, code: e.code, ja: "本人確認が見つかりません。", en: "No such verification.")
        case .wrongState(let s, let ev):
            self.init(
                .conflict, code: e.code, ja: "本人確認が「\(s.rawValue)」の状態なので、この操作（\(ev.rawValue)）はできません。",
                en: "The verification is \(s.rawValue); \(ev.rawValue) is not possible now.")
        case .expired:
            self.init(.gone, code: e.code, ja: "本人確認の有効期限が切れました。", en: "The verification has expired.")
        case .methodNotAllowed(let m):
            self.init(.invalid, code: e.code, ja: "手法「\(m)」はこの本人確認では使えません。", en: "Method \"\(m)\" is not allowed for this verification.")
        case .noAttempt:
            self.init(.conflict, code: e.code, ja: "先に start を呼んでください。", en: "Call start first.", member: "attempt")
        case .attemptReused:
            self.init(.conflict, code: e.code, ja: "この試行はすでに使われました。最初からやり直してください。", en: "This attempt was already used. Start again.", member: "attempt")
        case .attemptExpired:
            self.init(.conflict, code: e.code, ja: "試行の有効期限が切れました。最初からやり直してください。", en: "The attempt has expired. Start again.", member: "attempt")
        case .attemptMismatch:
            self.init(.conflict, code: e.code, ja: "試行が一致しません。最新の start の結果を使ってください。", en: "The attempt does not match; use the latest start.", member: "attempt")
        case .conflict:
            self.init(.conflict, code: e.code, ja: "同時に別の操作が行われました。やり直してください。", en: "Another change happened at the same time. Try again.")
        case .idempotencyMismatch:
            self.init(
                .invalid, code: e.code, ja: "この Idempotency-Key は別の内容の要求に使われています。",
                en: "This Idempotency-Key was used for a request with a different body.")
        case .noAvailableMethod:
            self.init(
                .invalid, code: e.code, ja: "この要件を満たす手法で、このサーバーが提供するものがありません。",
                en: "No method this server offers meets the requirement.")
        }
    }
}

/// Settings of the flow engine.
public struct VerificationSettings: Sendable {
    /// How long a flow waits for the person (default 24 h).
    public var flowLifetime: TimeInterval
    /// How long an attempt from `start` can be submitted (default 30 min).
    public var attemptLifetime: TimeInterval
    /// Base URL of the hosted pages (e.g. `https://verify.example.jp`), without a trailing slash.
    public var publicURL: String
    /// Webhook retry schedule: first retry after `retryBase`, doubling, at most `maxAttempts`.
    public var webhookRetryBase: TimeInterval
    public var webhookMaxAttempts: Int

    public init(
        flowLifetime: TimeInterval = 86_400, attemptLifetime: TimeInterval = 1_800, publicURL: String = "http://localhost:8080",
        webhookRetryBase: TimeInterval = 30, webhookMaxAttempts: Int = 12
    ) {
        self.flowLifetime = flowLifetime
        self.attemptLifetime = attemptLifetime
        self.publicURL = publicURL
        self.webhookRetryBase = webhookRetryBase
        self.webhookMaxAttempts = webhookMaxAttempts
    }
}

/// What a business asks for when it creates a verification.
public struct VerificationRequest: Sendable {
    public var preset: String?
    public var profile: ServiceProfile?
    public var requestedAttributes: [String]?
    public var reference: String?
    public var returnURL: String?
    public var webhookURL: String?
    public var locale: String?

    public init(
        preset: String? = nil, profile: ServiceProfile? = nil, requestedAttributes: [String]? = nil, reference: String? = nil,
        returnURL: String? = nil, webhookURL: String? = nil, locale: String? = nil
    ) {
        self.preset = preset
        self.profile = profile
        self.requestedAttributes = requestedAttributes
        self.reference = reference
        self.returnURL = returnURL
        self.webhookURL = webhookURL
        self.locale = locale
    }
}

/// Who is calling a method endpoint.
public enum FlowCaller: Sendable {
    /// The business back-end, with its API key.
    case business(actor: String)
    /// The person's browser or app, with the flow-scoped token of the hosted URL.
    case person(token: String)
}

/// The flow engine: creates verifications from a policy, runs methods through the transition
/// table, stores evidence in the vault and decisions in the audit log, queues webhooks.
public struct VerificationService: Sendable {
    public let repository: any VerificationRepository
    public let registry: ProofingRegistry
    public let vault: Vault
    public let policy: PolicyEngine
    public let settings: VerificationSettings
    let clock: any WallClock
    let random: any RandomSource

    public init(
        repository: any VerificationRepository, registry: ProofingRegistry, vault: Vault, policy: PolicyEngine, settings: VerificationSettings,
        clock: any WallClock, random: any RandomSource
    ) {
        self.repository = repository
        self.registry = registry
        self.vault = vault
        self.policy = policy
        self.settings = settings
        self.clock = clock
        self.random = random
    }

    public var context: ProofingContext { ProofingContext(clock: clock, random: random, catalogue: policy.catalogue) }

    public static let tokenPrefix = "hvt_"

    // MARK: Create

    /// Creates a flow; returns it and the flow-scoped token (shown once, inside ``hostedURL``).
    public func create(_ request: VerificationRequest, actor: String) async throws -> (flow: VerificationFlow, token: Redacted<String>) {
        let now = clock.now()
        // 1. The requirement: a preset or a profile, exactly one.
        let profile: ServiceProfile
        switch (request.preset, request.profile) {
        case (let id?, nil):
            guard let p = try? Presets.profile(id) else {
                throw RequestError(.invalid, code: "unknown_preset", ja: "プリセット「\(id)」はありません。", en: "There is no preset \"\(id)\".", member: "preset")
            }
            profile = p
        case (nil, let p?):
            profile = p
        default:
            throw RequestError(
                .invalid, code: "preset_or_profile", ja: "preset と profile のどちらか一方を指定してください。", en: "Give exactly one of preset or profile.")
        }
        // 2. Requested attributes: as given, else the profile's.
        let names = request.requestedAttributes ?? profile.attributes
        var attributes: [PersonAttribute] = []
        for name in names {
            guard let a = PersonAttribute(rawValue: name) else {
                throw RequestError(
                    .invalid, code: "unknown_attribute", ja: "属性「\(name)」は扱えません。", en: "Attribute \"\(name)\" is not supported.",
                    member: "requested_attributes")
            }
            if !attributes.contains(a) { attributes.append(a) }
        }
        // 3. Other members.
        let reference = try Self.checkReference(request.reference)
        let returnURL = try Self.checkURL(request.returnURL, member: "return_url")
        let webhookURL = try Self.checkURL(request.webhookURL, member: "webhook_url")
        let locale: Language
        switch request.locale {
        case nil: locale = .ja
        case let l?:
            guard let lang = Language(rawValue: l.lowercased()) else {
                throw RequestError(.invalid, code: "unknown_locale", ja: "locale は ja か en です。", en: "locale is ja or en.", member: "locale")
            }
            locale = lang
        }
        // 4. The policy decides the levels and ranks the methods; keep those implemented here.
        let assessment = policy.assess(profile, today: CalendarDate(inJapanAt: now).description)
        let allowed = assessment.proofing.map(\.id).filter { registry[$0] != nil }
        guard !allowed.isEmpty else { throw RequestError(FlowError.noAvailableMethod) }

        let secret = random.bytes(32)
        let token = Self.tokenPrefix + Bytes.base64URL(secret)
        let flow = VerificationFlow(
            id: HonninID(kind: .verification, milliseconds: Timestamp.milliseconds(now), random: random), createdAt: now,
            expiresAt: now.addingTimeInterval(settings.flowLifetime), createdBy: actor, profile: profile.id,
            requiredIAL: assessment.ial.level.rawValue, requiredAAL: assessment.aal.level.rawValue, allowedMethods: allowed,
            requestedAttributes: attributes, reference: reference, returnURL: returnURL, webhookURL: webhookURL, locale: locale,
            retention: profile.retention, tokenDigest: Array(SHA256.hash(data: Array(token.utf8))), legalBasis: Self.legalBasis(profile))
        try await repository.create(
            flow,
            audit: AuditEvent(
                action: "verification.created", actor: actor, subject: flow.id.rawValue,
                details: ["profile": profile.id, "ial": String(flow.requiredIAL), "methods": allowed.joined(separator: ",")], at: now))
        return (flow, Redacted(token))
    }

    /// The rule a profile's records follow, when a law sets one.
    static func legalBasis(_ p: ServiceProfile) -> String? {
        if p.obligations.aml { return "犯罪による収益の移転防止に関する法律施行規則 第20条 (本人確認記録)" }
        if p.obligations.mobile_act { return "携帯音声通信事業者による契約者等の本人確認等及び携帯音声通信役務の不正な利用の防止に関する法律施行規則 (本人確認記録)" }
        return nil
    }

    /// The hosted page's URL for a flow, carrying its token.
    public func hostedURL(_ flow: VerificationFlow, token: Redacted<String>) -> String {
        "\(settings.publicURL)/verify/\(flow.id.rawValue)?t=\(token.revealed)"
    }

    static func checkReference(_ r: String?) throws -> String? {
        guard let r else { return nil }
        guard !r.isEmpty, r.utf8.count <= 200, !r.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RequestError(
                .invalid, code: "invalid_reference", ja: "reference は制御文字を含まない200バイト以内の文字列です。",
                en: "reference is a string of at most 200 bytes without control characters.", member: "reference")
        }
        return r
    }

    /// Absolute `https` URLs only (plain `http` for localhost, for development).
    public static func checkURL(_ u: String?, member: String) throws -> String? {
        guard let u else { return nil }
        let ok: Bool = {
            guard u.utf8.count <= 2048, let url = URL(string: u), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
                url.user == nil, url.password == nil
            else { return false }
            return scheme == "https" || (scheme == "http" && ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()))
        }()
        guard ok else {
            throw RequestError(
                .invalid, code: "invalid_url", ja: "\(member) は https の絶対 URL にしてください（localhost のみ http 可）。",
                en: "\(member) must be an absolute https URL (http only for localhost).", member: member)
        }
        return u
    }

    // MARK: Read

    public func find(_ id: HonninID) async throws -> VerificationFlow {
        guard var flow = try await repository.find(id) else { throw RequestError(FlowError.notFound) }
        // Expire lazily too, so a reader never sees a live flow past its deadline.
        if flow.isDue(at: clock.now()) { flow = try await expire(flow) }
        return flow
    }

    /// Checks the caller may act on the flow: an API key always; a flow token only if it is
    /// this flow's (constant-time) and the flow is not finished.
    public func authorize(_ caller: FlowCaller, _ flow: VerificationFlow) throws {
        guard case .person(let token) = caller else { return }
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        guard token.hasPrefix(Self.tokenPrefix), Bytes.constantTimeEqual(digest, flow.tokenDigest) else {
            throw RequestError(.forbidden, code: "invalid_flow_token", ja: "この本人確認へのアクセス権がありません。", en: "Not authorised for this verification.")
        }
    }

    /// The attributes a finished flow established, only those the business requested.
    public func disclosedAttributes(_ flow: VerificationFlow) async throws -> [String: PersonAttributes.Value]? {
        guard flow.state == .approved, let id = flow.result?.attributesRecord else { return nil }
        // Erased (retention ended, or a data-subject request): nothing to disclose any more.
        guard case .sealed? = try await vault.repository.fetch(id) else { return nil }
        let record = try await vault.open(id)
        guard let bytes = record["attributes"] else { return nil }
        let attributes = try JSONDecoder().decode(PersonAttributes.self, from: Data(bytes.revealed))
        return attributes.disclosed(flow.requestedAttributes, today: CalendarDate(inJapanAt: clock.now()))
    }

    // MARK: Cancel and expire

    /// Cancels a waiting flow. Evidence already submitted (a case waiting for review) is
    /// crypto-shredded: no record will ever need it.
    public func cancel(_ id: HonninID, actor: String) async throws -> VerificationFlow {
        let flow = try await transition(id, .cancel, actor: actor)
        for v in [flow.evidence].compactMap({ $0 }) + flow.review.decisions.compactMap(\.documentNumber) {
            _ = try await vault.erase(v, actor: actor, reason: "verification_cancelled")
        }
        return flow
    }

    @discardableResult
    func expire(_ flow: VerificationFlow) async throws -> VerificationFlow {
        var next = flow
        let now = clock.now()
        do { try next.apply(.expire, at: now) } catch { return flow }
        next.version += 1
        var c = FlowCommit(flow: next, expectedVersion: flow.version)
        c.audit = [AuditEvent(action: "verification.expired", actor: "system", subject: flow.id.rawValue, at: now)]
        c.webhooks = webhook(for: next, event: "verification.expired", at: now)
        if try await repository.commit(c) { return next }
        return try await repository.find(flow.id) ?? flow
    }

    /// Expires every due flow; returns how many. Run periodically by the server.
    public func expireDue(limit: Int = 500) async throws -> Int {
        var count = 0
        for flow in try await repository.due(at: clock.now(), limit: limit) where try await expire(flow).state == .expired {
            count += 1
        }
        return count
    }

    func transition(_ id: HonninID, _ event: FlowEvent, actor: String) async throws -> VerificationFlow {
        for _ in 0..<3 {
            let flow = try await find(id)
            var next = flow
            let now = clock.now()
            do throws(FlowError) { try next.apply(event, at: now) } catch { throw RequestError(error) }
            next.version += 1
            var c = FlowCommit(flow: next, expectedVersion: flow.version)
            c.audit = [AuditEvent(action: "verification.\(next.state.rawValue)", actor: actor, subject: id.rawValue, at: now)]
            if try await repository.commit(c) { return next }
        }
        throw RequestError(FlowError.conflict)
    }

    // MARK: Methods

    func liveFlow(_ id: HonninID, _ caller: FlowCaller, method: String) async throws -> (VerificationFlow, any ProofingMethod) {
        let flow = try await find(id)
        try authorize(caller, flow)
        if flow.state == .expired { throw RequestError(FlowError.expired) }
        guard flow.allowedMethods.contains(method), let implementation = registry[method] else {
            throw RequestError(FlowError.methodNotAllowed(method))
        }
        return (flow, implementation)
    }

    /// `start`: chooses the method (or switches to it) and issues a fresh single-use attempt.
    public func start(_ id: HonninID, method: String, caller: FlowCaller) async throws -> (VerificationFlow, MethodPlan) {
        for _ in 0..<3 {
            let (flow, implementation) = try await liveFlow(id, caller, method: method)
            var next = flow
            let now = clock.now()
            do throws(FlowError) { try next.apply(.chooseMethod, at: now) } catch { throw RequestError(error) }
            let attempt = MethodAttempt(
                method: method, nonce: Bytes.base64URL(random.bytes(32)), expiresAt: min(flow.expiresAt, now.addingTimeInterval(settings.attemptLifetime)))
            next.method = method
            next.attempt = attempt
            next.version += 1
            var c = FlowCommit(flow: next, expectedVersion: flow.version)
            c.audit = [
                AuditEvent(action: "verification.method_chosen", actor: actorName(caller), subject: id.rawValue, details: ["method": method], at: now)
            ]
            if try await repository.commit(c) {
                return (next, MethodPlan(method: method, attempt: attempt, plan: implementation.plan(for: next, attempt: attempt, context: context)))
            }
        }
        throw RequestError(FlowError.conflict)
    }

    struct Envelope: Decodable { let attempt: String? }

    /// `submit`: checks the attempt and the evidence's form, stores the evidence encrypted and
    /// acknowledges it in one transaction, then verifies it and records the outcome.
    ///
    /// Retries with the same `idempotencyKey` and body return the flow as it now is, with no
    /// second effect; the same key with another body is refused.
    public func submit(_ id: HonninID, method: String, body: Data, caller: FlowCaller, idempotencyKey: String?) async throws -> VerificationFlow {
        let scope = "\(id.rawValue) \(method) submit"
        let digest = Array(SHA256.hash(data: body))
        if let key = idempotencyKey, let seen = try await repository.idempotencyEntry(scope: scope, key: key) {
            guard Bytes.constantTimeEqual(seen.requestDigest, digest) else { throw RequestError(FlowError.idempotencyMismatch) }
            let flow = try await find(id)
            try authorize(caller, flow)
            return flow
        }
        let (flow, implementation) = try await liveFlow(id, caller, method: method)
        let now = clock.now()
        // 1. The flow must be waiting for this method's evidence, with the attempt from start.
        guard flow.state == .methodChosen, flow.method == method else {
            if flow.attempt?.used == true, flow.method == method { throw RequestError(FlowError.attemptReused) }
            throw RequestError(FlowError.wrongState(flow.state, .submitEvidence))
        }
        let envelope = try? JSONDecoder().decode(Envelope.self, from: body)
        guard let attempt = flow.attempt, let nonce = envelope?.attempt else { throw RequestError(FlowError.noAttempt) }
        guard Bytes.constantTimeEqual(Array(nonce.utf8), Array(attempt.nonce.utf8)) else { throw RequestError(FlowError.attemptMismatch) }
        guard !attempt.used else { throw RequestError(FlowError.attemptReused) }
        guard now < attempt.expiresAt else { throw RequestError(FlowError.attemptExpired) }
        // 2. The method checks the evidence's form; a refusal stores nothing.
        let evidence: Evidence
        do {
            evidence = try implementation.accept(body, for: flow, context: context)
        } catch {
            throw RequestError(error)
        }
        // 3. Seal and acknowledge, atomically.
        let actor = actorName(caller)
        let acknowledged: VerificationFlow = try await vault.withPrepared(
            [evidence.parts.sorted { $0.key < $1.key }.map { VaultField(name: $0.key, value: $0.value) }], actor: actor
        ) { prepared in
            var next = flow
            do throws(FlowError) { try next.apply(.submitEvidence, at: now) } catch { throw RequestError(error) }
            next.attempt?.used = true
            next.attempts += 1
            next.evidence = prepared[0].record.id
            next.evidenceSummary = evidence.summary
            next.submittedAt = now
            next.version += 1
            var c = FlowCommit(flow: next, expectedVersion: flow.version)
            c.sealed = prepared
            c.audit = [
                AuditEvent(
                    action: "verification.evidence_submitted", actor: actor, subject: id.rawValue,
                    details: evidence.summary.filter { !$0.key.hasSuffix(".removed") }.merging(["evidence": prepared[0].record.id.rawValue]) { a, _ in a },
                    at: now)
            ]
            if let key = idempotencyKey { c.idempotency = IdempotencyEntry(scope: scope, key: key, requestDigest: digest, createdAt: now) }
            guard try await repository.commit(c) else { throw RequestError(FlowError.attemptReused) }
            return next
        }
        // 4. Verify and record the outcome.
        return try await process(acknowledged)
    }

    /// Verifies acknowledged evidence and moves the flow to its outcome. Safe to call again for
    /// the same flow (after a crash): a flow already past verification is returned as it is.
    public func process(_ flow: VerificationFlow) async throws -> VerificationFlow {
        var current = flow
        let now = clock.now()
        if current.state == .evidenceSubmitted {
            var claimed = current
            try claimed.apply(.beginVerification, at: now)
            claimed.version += 1
            var c = FlowCommit(flow: claimed, expectedVersion: current.version)
            c.audit = [AuditEvent(action: "verification.verifying", actor: "system", subject: flow.id.rawValue, at: now)]
            guard try await repository.commit(c) else { return try await repository.find(flow.id) ?? flow }
            current = claimed
        }
        guard current.state == .verifying, let method = current.method, let implementation = registry[method], let evidenceID = current.evidence
        else { return current }
        let record = try await vault.open(evidenceID)
        let evidence = Evidence(
            parts: Dictionary(uniqueKeysWithValues: record.fields.map { ($0.name, $0.value) }), summary: current.evidenceSummary)
        let outcome = try await implementation.verify(evidence, for: current, context: context)
        return try await decide(current, outcome: outcome, actor: "system", code: nil, reviewer: nil)
    }

    /// Moves a verifying or reviewed flow to the outcome's state in one transaction: seals the
    /// established attributes, writes the signed 本人確認記録 when the flow ends (approved or
    /// rejected), and queues the webhook.
    func decide(_ flow: VerificationFlow, outcome: ProofingOutcome, actor: String, code: String?, reviewer: HonninID?, documentNumber: String? = nil)
        async throws -> VerificationFlow
    {
        let now = clock.now()
        let (event, resultCode): (FlowEvent, String) =
            switch outcome.verdict {
            case .verified: (.approve, code ?? "verified")
            case .needsReview: (.requireReview, code ?? "needs_review")
            case .failed(let c): (.reject, c)
            case .retry(let c): (.retry, c)
            }
        var next = flow
        do throws(FlowError) { try next.apply(event, at: now) } catch { throw RequestError(error) }
        next.version += 1
        if event == .retry {
            next.attempt = nil
            next.result = FlowResult(code: resultCode)
        }
        var fields: [[VaultField]] = []
        // Attributes are sealed on their own only when approved (for disclosure); while a flow
        // waits for review they are read from the evidence.
        let keepAttributes = outcome.attributes != nil && event == .approve
        if keepAttributes, let a = outcome.attributes { fields.append([VaultField(name: "attributes", value: encodeAttributes(a.revealed))]) }
        var recordID: HonninID?
        if next.state.isFinal {
            let id = HonninID(kind: .record, milliseconds: Timestamp.milliseconds(now), random: random)
            next.result = FlowResult(
                ialReached: event == .approve ? outcome.ialReached : nil, code: resultCode, decidedAt: now, reviewer: reviewer?.rawValue)
            let record = try await buildRecord(
                next, id: id, attributes: event == .approve ? outcome.attributes?.revealed : nil, documentNumber: documentNumber,
                details: outcome.details, at: now)
            let jws = try RecordSignature.sign(record, key: try vault.keys.auditSigningKey())
            fields.append([VaultField(name: "jws", text: jws), VaultField(name: "record.json", value: Redacted(try RecordSignature.payload(record)))])
            recordID = id
        } else if event == .requireReview {
            next.result = FlowResult(code: resultCode)
        }
        return try await vault.withPrepared(fields, actor: actor) { prepared in
            var committed = next
            if keepAttributes { committed.result?.attributesRecord = prepared.first?.record.id }
            var records: [RecordEntry] = []
            if let id = recordID, let sealed = prepared.last {
                committed.result?.record = id
                records = [
                    RecordEntry(
                        id: id, verification: flow.id, vaultRecord: sealed.record.id, createdAt: now, retention: flow.retention,
                        expiresAt: flow.retention.basis == .verification ? flow.retention.end(from: now) : nil)
                ]
            }
            var c = FlowCommit(flow: committed, expectedVersion: flow.version)
            c.records = records
            c.sealed = prepared
            var details = ["code": resultCode]
            if let ial = committed.result?.ialReached { details["ial"] = String(ial) }
            if let r = committed.result?.record { details["record"] = r.rawValue }
            for d in outcome.diagnostics.prefix(8) { details["diagnostic.\(d.code)"] = "1" }
            c.audit = [AuditEvent(action: "verification.\(committed.state.rawValue)", actor: actor, subject: flow.id.rawValue, details: details, at: now)]
            let announced: [FlowState: String] = [
                .approved: "verification.approved", .rejected: "verification.rejected", .needsReview: "verification.needs_review",
            ]
            if let name = announced[committed.state] { c.webhooks = webhook(for: committed, event: name, at: now) }
            guard try await repository.commit(c) else { throw RequestError(FlowError.conflict) }
            // Evidence of an attempt sent back for a retry is never needed again: crypto-shred it.
            if event == .retry, let old = flow.evidence { _ = try await vault.erase(old, actor: actor, reason: "attempt_retried") }
            return committed
        }
    }

    /// The record's content (犯収法施行規則 第20条 where it applies): who, what, when, how.
    func buildRecord(
        _ flow: VerificationFlow, id: HonninID, attributes: PersonAttributes?, documentNumber: String?, details: [String: String], at now: Date
    ) async throws -> VerificationRecord {
        var digests: [String: String] = [:]
        if let e = flow.evidence, case .sealed? = try await vault.repository.fetch(e) {
            for field in try await vault.open(e).fields { digests[field.name] = Bytes.hex(SHA256.hash(data: field.value.revealed)) }
        }
        var attributeText: [String: String]?
        if let a = attributes {
            let data = try JSONEncoder().encode(a)
            attributeText = try JSONDecoder().decode([String: String].self, from: data)
        }
        let docType = flow.evidenceSummary["document_type"]
        return VerificationRecord(
            record_id: id.rawValue, verification_id: flow.id.rawValue, reference: flow.reference, profile: flow.profile, legal_basis: flow.legalBasis,
            outcome: flow.state.rawValue, result_code: flow.result?.code ?? flow.state.rawValue, method: flow.method, ial: flow.result?.ialReached,
            required_ial: flow.requiredIAL, document: docType.map { VerificationRecord.Document(type: $0, number: documentNumber) },
            attributes: attributeText, evidence: flow.evidence.map { VerificationRecord.Evidence(vault_record: $0.rawValue, sha256: digests) },
            method_details: details.isEmpty ? nil : details,
            reviews: flow.review.decisions.map {
                VerificationRecord.Review(
                    reviewer: $0.reviewer.rawValue, decision: $0.verdict.rawValue, reasons: $0.reasons, checklist: $0.checklist, at: Timestamp.format($0.at))
            },
            created_at: Timestamp.format(flow.createdAt), evidence_submitted_at: flow.submittedAt.map(Timestamp.format), decided_at: Timestamp.format(now),
            retention: flow.retention, issuer: settings.publicURL)
    }

    /// A reviewer's decision on a flow that needs review (see ``ReviewService/decide``): a first
    /// approval under four-eyes is recorded and waits; otherwise the flow is decided.
    func review(
        _ flow: VerificationFlow, decision: (reviewer: HonninID, verdict: ReviewDecision.Verdict, reasons: [String], checklist: [String], number: String?),
        fourEyes: Bool, actor: String, at now: Date
    ) async throws -> VerificationFlow {
        let pending = flow.review.pendingApproval
        if decision.verdict == .approve && fourEyes && pending == nil {
            let fields: [[VaultField]] = decision.number.map { [[VaultField(name: "document_number", text: $0)]] } ?? []
            return try await vault.withPrepared(fields, actor: actor) { prepared in
                var next = flow
                next.review.decisions.append(
                    ReviewDecision(
                        reviewer: decision.reviewer, verdict: .approve, reasons: [], checklist: decision.checklist, documentNumber: prepared.first?.record.id, at: now))
                next.updatedAt = now
                next.version += 1
                var c = FlowCommit(flow: next, expectedVersion: flow.version)
                c.sealed = prepared
                c.audit = [AuditEvent(action: "review.first_approval", actor: actor, subject: flow.id.rawValue, at: now)]
                guard try await repository.commit(c) else { throw RequestError(FlowError.conflict) }
                return next
            }
        }
        var number = decision.number
        if number == nil, decision.verdict == .approve, let id = pending?.documentNumber, let bytes = try await vault.open(id)["document_number"] {
            number = String(decoding: bytes.revealed, as: UTF8.self)
        }
        var decided = flow
        decided.review.decisions.append(
            ReviewDecision(
                reviewer: decision.reviewer, verdict: decision.verdict, reasons: decision.reasons, checklist: decision.checklist, documentNumber: nil, at: now))
        let outcome: ProofingOutcome
        switch decision.verdict {
        case .approve:
            guard let e = flow.evidence else { throw RequestError(FlowError.wrongState(flow.state, .approve)) }
            let attributes = try await vault.open(e)["attributes"].map { try JSONDecoder().decode(PersonAttributes.self, from: Data($0.revealed)) }
            let ial = flow.method.flatMap { m in policy.catalogue.proofing.first { $0.id == m }?.gov_ial?.rawValue }
            outcome = ProofingOutcome(verdict: .verified, attributes: attributes.map(Redacted.init), ialReached: ial)
        case .reject:
            outcome = ProofingOutcome(verdict: .failed(decision.reasons.first ?? "rejected"), attributes: nil, ialReached: nil)
        }
        return try await decide(
            decided, outcome: outcome, actor: actor, code: decision.verdict == .approve ? "approved_by_review" : nil, reviewer: decision.reviewer,
            documentNumber: number)
    }

    /// Resumes flows whose evidence was acknowledged but not decided (after a crash), leaving
    /// alone those changed within `staleAfter` seconds (a request may still be verifying them;
    /// at start-up nothing is in progress, so pass 0). Returns how many were processed.
    public func resumeUndecided(staleAfter: TimeInterval = 0, limit: Int = 100) async throws -> Int {
        var n = 0
        let cutoff = clock.now().addingTimeInterval(-staleAfter)
        for flow in try await repository.undecided(limit: limit) where flow.updatedAt <= cutoff {
            _ = try await process(flow)
            n += 1
        }
        return n
    }

    func actorName(_ caller: FlowCaller) -> String {
        switch caller {
        case .business(let actor): actor
        case .person: "person"
        }
    }

    // MARK: Webhooks

    /// The outbox entry announcing `event`, if the flow has a webhook URL. The payload carries
    /// identifiers and states only: the business fetches attributes with its API key.
    func webhook(for flow: VerificationFlow, event: String, at now: Date) -> [WebhookDelivery] {
        guard let url = flow.webhookURL else { return [] }
        let id = HonninID(kind: .webhookDelivery, milliseconds: Timestamp.milliseconds(now), random: random)
        var data: [String: String] = ["verification_id": flow.id.rawValue, "status": flow.state.rawValue]
        if let r = flow.reference { data["reference"] = r }
        if let code = flow.result?.code { data["result_code"] = code }
        let payload = WebhookPayload(id: id.rawValue, type: event, created_at: Timestamp.format(now), data: data)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let bytes = try? encoder.encode(payload) else { return [] }
        return [WebhookDelivery(id: id, verification: flow.id, event: event, url: url, payload: Array(bytes), createdAt: now, nextAttemptAt: now)]
    }

    struct WebhookPayload: Encodable {
        let id: String
        let type: String
        let created_at: String
        let data: [String: String]
    }
}

extension HonninID.Kind {
    public static let verification = HonninID.Kind("vfy")
    public static let webhookDelivery = HonninID.Kind("whd")
}
