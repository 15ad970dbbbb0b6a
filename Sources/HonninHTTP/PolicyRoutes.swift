import Foundation
import HTTPTypes
import HonninCore
import HonninPolicy
import Hummingbird

/// `GET /v1/methods` (the method catalogue) and `POST /v1/policy/assessments` (a service profile or
/// a preset → required levels and ranked methods, with reasons in Japanese and English).
struct PolicyRoutes {
    let engine: PolicyEngine
    let maxBody: Int
    let today: @Sendable () -> String

    struct AssessmentRequest: Decodable {
        let preset: String?
        let profile: ServiceProfile?
    }

    struct Decision: Encodable {
        let ial: Int
        let aal: Int
        let ial_rule: String
        let aal_rule: String
        let ial_reason: BilingualText
        let aal_reason: BilingualText
    }

    struct AssessmentResponse: Encodable {
        let profile: String
        let date: String
        let required: Decision
        let methods: [Assessment.RankedMethod]
        let authentication_methods: [Assessment.RankedMethod]
        let excluded: [Assessment.RankedMethod]

        init(_ a: Assessment) {
            profile = a.profile
            date = a.date
            required = Decision(
                ial: a.ial.level.rawValue, aal: a.aal.level.rawValue, ial_rule: a.ial.rule, aal_rule: a.aal.rule,
                ial_reason: a.ial.reason, aal_reason: a.aal.reason)
            methods = a.proofing
            authentication_methods = a.authentication
            excluded = a.excluded
        }
    }

    func register(on v1: RouterGroup<HonninRequestContext>) {
        v1.get("methods") { _, _ in try JSONBody.response(engine.catalogue) }
        v1.post("policy/assessments") { request, _ in
            let body = try await JSONBody.decode(AssessmentRequest.self, from: request, limit: maxBody)
            let profile: ServiceProfile
            switch (body.preset, body.profile) {
            case (let id?, nil):
                guard let p = try? Presets.profile(id) else {
                    throw Problems.validationFailed(
                        LocalizedMessage(
                            id: "validation.policy.preset", ja: "プリセット「\(id)」はありません。", en: "There is no preset \"\(id)\"."))
                }
                profile = p
            case (nil, let p?):
                profile = p
            default:
                throw Problems.validationFailed(
                    LocalizedMessage(
                        id: "validation.policy.one_of", ja: "preset と profile のどちらか一方を指定してください。",
                        en: "Give exactly one of preset or profile."))
            }
            return try JSONBody.response(AssessmentResponse(engine.assess(profile, today: today())))
        }
    }
}
