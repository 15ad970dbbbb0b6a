import Foundation
import HTTPTypes
import HonninCore
import HonninPolicy
import HonninProofing
import Hummingbird

/// `/v1/records`: verification records (本人確認記録) — read and export with the signature,
/// report the end of the business relationship, erase on a data-subject request.
struct RecordRoutes {
    let service: RecordService
    let maxBody: Int

    struct Exported: Encodable {
        let id: String
        let verification_id: String
        let created_at: String
        let expires_at: String?
        let relationship_ended_on: String?
        let record: VerificationRecord
        /// Compact JWS (EdDSA, RFC 8037) over `record`; check it with `honnin records verify`.
        let jws: String
    }

    struct Status: Encodable {
        let id: String
        let verification_id: String
        let expires_at: String?
        let relationship_ended_on: String?
        let erased_at: String?
    }

    struct RelationshipEnd: Decodable {
        let ended_on: String
    }

    static func status(_ e: RecordEntry) -> Status {
        Status(
            id: e.id.rawValue, verification_id: e.verification.rawValue, expires_at: e.expiresAt.map(Timestamp.format),
            relationship_ended_on: e.relationshipEndedOn?.description, erased_at: e.erasedAt.map(Timestamp.format))
    }

    func register(on v1: RouterGroup<HonninRequestContext>) {
        v1.get("records/{id}") { _, context in
            let (entry, record, jws) = try await service.export(try recordID(context), actor: context.auditActor)
            return try JSONBody.response(
                Exported(
                    id: entry.id.rawValue, verification_id: entry.verification.rawValue, created_at: Timestamp.format(entry.createdAt),
                    expires_at: entry.expiresAt.map(Timestamp.format), relationship_ended_on: entry.relationshipEndedOn?.description, record: record, jws: jws))
        }
        v1.post("records/{id}/relationship-end") { request, context in
            let body = try await JSONBody.decode(RelationshipEnd.self, from: request, limit: maxBody)
            guard let date = CalendarDate(parsing: body.ended_on) else {
                throw Problems.validationFailed(
                    LocalizedMessage(id: "validation.ended_on", ja: "ended_on は YYYY-MM-DD の日付です。", en: "ended_on is a YYYY-MM-DD date."))
            }
            let entry = try await service.relationshipEnded(try recordID(context), on: date, actor: context.auditActor)
            return try JSONBody.response(Self.status(entry))
        }
        v1.delete("records/{id}") { request, context in
            let q = request.uri.queryParameters
            let override = q["override"].map { $0 == "true" } ?? false
            let reason = q["reason"].map(String.init) ?? "data_subject_request"
            guard (1...64).contains(reason.utf8.count), reason.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F }) else {
                throw Problems.validationFailed(
                    LocalizedMessage(id: "validation.reason", ja: "reason は英小文字と _ の64文字以内です。", en: "reason is at most 64 lower-case letters and _."))
            }
            let entry = try await service.erase(try recordID(context), actor: context.auditActor, reason: reason, override: override)
            return try JSONBody.response(Self.status(entry))
        }
    }

    func recordID(_ context: HonninRequestContext) throws -> HonninID {
        guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .record) else { throw VerificationProblems.problem(RecordService.notFoundError) }
        return id
    }

}
