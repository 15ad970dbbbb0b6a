import Foundation
import HTTPTypes
import HonninCore
import HonninPolicy
import HonninProofing
import HonninStore
import Hummingbird

/// `/v1/verifications`: create, read, list and cancel verifications (API key), and the method
/// endpoints the hosted page and native apps call (API key or the flow-scoped token).
struct VerificationRoutes {
    let service: VerificationService
    let apiKeys: APIKeyService
    let maxBody: Int
    /// Largest accepted method submission (base64 images make these the largest bodies).
    let maxSubmission: Int

    // MARK: Wire formats

    struct CreateRequest: Decodable {
        let preset: String?
        let profile: ServiceProfile?
        let requested_attributes: [String]?
        let reference: String?
        let return_url: String?
        let webhook_url: String?
        let locale: String?
    }

    struct Levels: Encodable {
        let ial: Int
        let aal: Int
    }

    struct AllowedMethod: Encodable {
        let id: String
        let name: BilingualText
        let user_seconds: Int?
        let review_time: BilingualText
        let instant: Bool
        let documents: [String]
    }

    struct Created: Encodable {
        let id: String
        let status: String
        let url: String
        let expires_at: String
        let required: Levels
        let allowed_methods: [AllowedMethod]
        let requested_attributes: [String]
        let reference: String?
    }

    struct View: Encodable {
        let id: String
        let status: String
        let method: String?
        let ial_reached: Int?
        let result_code: String?
        let required: Levels
        let allowed_methods: [String]
        let requested_attributes: [String]
        let attributes: [String: PersonAttributes.Value]?
        let record_id: String?
        let reference: String?
        let created_at: String
        let updated_at: String
        let expires_at: String
        let decided_at: String?
    }

    struct Page: Encodable {
        let items: [View]
        let next_after: String?
    }

    struct Started: Encodable {
        let verification_id: String
        let method: String
        let attempt: String
        let attempt_expires_at: String
        let plan: [String: JSONValue]
    }

    struct Delivery: Encodable {
        let id: String
        let event: String
        let url: String
        let status: String
        let attempts: Int
        let created_at: String
        let last_attempt_at: String?
        let next_attempt_at: String?
        let response_status: Int?
        let last_error: String?
    }

    // MARK: Routes

    /// `business`: the API-key group under `/v1`; `methods`: a group without the API-key
    /// requirement for `/v1/verifications/{id}/methods` (it authenticates either credential).
    func register(business v1: RouterGroup<HonninRequestContext>, methods: RouterGroup<HonninRequestContext>) {
        v1.post("verifications") { request, context in
            let body = try await JSONBody.decode(CreateRequest.self, from: request, limit: maxBody)
            let (flow, token) = try await service.create(
                VerificationRequest(
                    preset: body.preset, profile: body.profile, requestedAttributes: body.requested_attributes, reference: body.reference,
                    returnURL: body.return_url, webhookURL: body.webhook_url, locale: body.locale),
                actor: context.auditActor)
            let created = Created(
                id: flow.id.rawValue, status: flow.state.rawValue, url: service.hostedURL(flow, token: token),
                expires_at: Timestamp.format(flow.expiresAt), required: Levels(ial: flow.requiredIAL, aal: flow.requiredAAL),
                allowed_methods: allowedMethods(flow), requested_attributes: flow.requestedAttributes.map(\.rawValue), reference: flow.reference)
            return try JSONBody.response(created, status: .created, headers: [.location: "/v1/verifications/\(flow.id.rawValue)"])
        }
        v1.get("verifications") { request, _ in
            let q = request.uri.queryParameters
            var query = FlowQuery()
            if let s = q["status"].map(String.init) {
                guard let state = FlowState(rawValue: s) else { throw invalidQuery("status") }
                query.state = state
            }
            query.reference = q["reference"].map(String.init)
            if let a = q["after"].map(String.init) {
                guard let id = HonninID(parsing: a, kind: .verification) else { throw invalidQuery("after") }
                query.after = id
            }
            if let l = q["limit"].map(String.init) {
                guard let n = Int(l), (1...200).contains(n) else { throw invalidQuery("limit") }
                query.limit = n
            }
            let flows = try await service.repository.list(query)
            let items = flows.map { view($0, attributes: nil) }
            return try JSONBody.response(Page(items: items, next_after: flows.count == query.limit ? flows.last?.id.rawValue : nil))
        }
        v1.get("verifications/{id}") { _, context in
            let flow = try await service.find(try flowID(context))
            return try JSONBody.response(view(flow, attributes: try await service.disclosedAttributes(flow)))
        }
        v1.post("verifications/{id}/cancel") { _, context in
            let flow = try await service.cancel(try flowID(context), actor: context.auditActor)
            return try JSONBody.response(view(flow, attributes: nil))
        }
        v1.get("verifications/{id}/webhooks") { _, context in
            let flow = try await service.find(try flowID(context))
            let deliveries = try await service.repository.webhooks(for: flow.id).map {
                Delivery(
                    id: $0.id.rawValue, event: $0.event, url: $0.url, status: $0.status.rawValue, attempts: $0.attempts,
                    created_at: Timestamp.format($0.createdAt), last_attempt_at: $0.lastAttemptAt.map(Timestamp.format),
                    next_attempt_at: $0.status == .pending ? Timestamp.format($0.nextAttemptAt) : nil, response_status: $0.responseStatus,
                    last_error: $0.lastError)
            }
            return try JSONBody.response(["items": deliveries])
        }

        methods.post("{method}/start") { request, context in
            let caller = try await flowCaller(request)
            let (flow, plan) = try await service.start(try flowID(context), method: try methodID(context), caller: caller)
            return try JSONBody.response(
                Started(
                    verification_id: flow.id.rawValue, method: plan.method, attempt: plan.attempt.nonce,
                    attempt_expires_at: Timestamp.format(plan.attempt.expiresAt), plan: plan.plan))
        }
        methods.post("{method}/submit") { request, context in
            let caller = try await flowCaller(request)
            let key = try idempotencyKey(request)
            let body = try await JSONBody.collect(from: request, limit: maxSubmission)
            let flow = try await service.submit(try flowID(context), method: try methodID(context), body: body, caller: caller, idempotencyKey: key)
            return try JSONBody.response(view(flow, attributes: nil))
        }
    }

    func allowedMethods(_ flow: VerificationFlow) -> [AllowedMethod] {
        flow.allowedMethods.compactMap { id in
            service.policy.catalogue.proofing.first { $0.id == id }.map {
                AllowedMethod(
                    id: $0.id, name: BilingualText(ja: $0.ja, en: $0.en), user_seconds: $0.user_seconds, review_time: $0.review_time,
                    instant: $0.instant, documents: $0.documents)
            }
        }
    }

    func view(_ flow: VerificationFlow, attributes: [String: PersonAttributes.Value]?) -> View {
        View(
            id: flow.id.rawValue, status: flow.state.rawValue, method: flow.method, ial_reached: flow.result?.ialReached,
            result_code: flow.result?.code, required: Levels(ial: flow.requiredIAL, aal: flow.requiredAAL), allowed_methods: flow.allowedMethods,
            requested_attributes: flow.requestedAttributes.map(\.rawValue), attributes: attributes, record_id: flow.result?.record?.rawValue,
            reference: flow.reference, created_at: Timestamp.format(flow.createdAt), updated_at: Timestamp.format(flow.updatedAt),
            expires_at: Timestamp.format(flow.expiresAt), decided_at: flow.result?.decidedAt.map(Timestamp.format))
    }

    func flowID(_ context: HonninRequestContext) throws -> HonninID {
        guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .verification) else {
            throw VerificationProblems.problem(RequestError(.notFound, code: "verification_not_found", ja: "本人確認が見つかりません。", en: "No such verification."))
        }
        return id
    }

    func methodID(_ context: HonninRequestContext) throws -> String {
        context.parameters.get("method") ?? ""
    }

    /// `Authorization: Bearer` with either an API key (`hnn_…`) or the flow token (`hvt_…`).
    func flowCaller(_ request: Request) async throws -> FlowCaller {
        guard let header = request.headers[.authorization] else { throw Problems.missingAPIKey() }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw Problems.invalidAPIKey() }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if token.hasPrefix(VerificationService.tokenPrefix) { return .person(token: token) }
        guard let key = try await apiKeys.authenticate(token) else { throw Problems.invalidAPIKey() }
        return .business(actor: "apikey:\(key.id.rawValue)")
    }

    /// `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): 1–255 visible ASCII characters.
    func idempotencyKey(_ request: Request) throws -> String? {
        guard let value = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problems.validationFailed(
                LocalizedMessage(
                    id: "validation.idempotency_key", ja: "Idempotency-Key は1〜255文字の表示可能な ASCII 文字です。",
                    en: "Idempotency-Key is 1 to 255 visible ASCII characters."))
        }
        return value
    }

    func invalidQuery(_ name: String) -> Problem {
        Problems.validationFailed(
            LocalizedMessage(id: "validation.query.\(name)", ja: "クエリ「\(name)」の値が正しくありません。", en: "Query parameter \"\(name)\" is invalid."))
    }

}

enum VerificationProblems {
    static func problem(_ e: RequestError) -> Problem {
        let status: HTTPResponse.Status =
            switch e.kind {
            case .invalid: .unprocessableContent
            case .notFound: .notFound
            case .conflict: .conflict
            case .gone: .gone
            case .forbidden: .forbidden
            }
        return Problem(status, code: e.code, title: LocalizedMessage(id: "problem.\(e.code)", ja: e.message.ja, en: e.message.en), member: e.member)
    }
}
