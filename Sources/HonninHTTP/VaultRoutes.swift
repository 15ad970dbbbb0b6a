import Foundation
import HonninCore
import HonninStore
import Hummingbird

/// `/v1/vault/records`: the personal-data vault over HTTP. A business back-end can keep personal
/// data it holds (e.g. attributes it collected) in Honnin's envelope-encrypted store instead of
/// its own database, read it back, and erase it (crypto-shredding) on a data-subject request.
struct VaultRoutes {
    let vault: Vault
    let maxBody: Int

    static let maxFields = 64
    static let maxValueBytes = 64 * 1024

    struct CreateRequest: Decodable {
        let fields: [String: String]
    }

    struct CreatedResponse: Encodable {
        let id: String
        let created_at: String
        let fields: [String]
    }

    struct RecordResponse: Encodable {
        let id: String
        let created_at: String
        let fields: [String: String]
    }

    func register(on group: RouterGroup<HonninRequestContext>) {
        group.post { request, context in try await create(request, context) }
        group.get("{id}") { _, context in try await read(context) }
        group.delete("{id}") { _, context in try await erase(context) }
    }

    /// Field names: a lower-case letter, then up to 63 lower-case letters, digits or `_`.
    static func validName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard let first = u.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), u.count <= 64 else { return false }
        return u.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }

    func create(_ request: Request, _ context: HonninRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, limit: maxBody)
        guard !body.fields.isEmpty, body.fields.count <= Self.maxFields else {
            throw Problems.validationFailed(
                LocalizedMessage(
                    id: "validation.vault.field_count", ja: "fields は1〜\(Self.maxFields)個の項目にしてください。",
                    en: "fields must hold 1 to \(Self.maxFields) members."))
        }
        for (name, value) in body.fields {
            guard Self.validName(name) else {
                throw Problems.validationFailed(
                    LocalizedMessage(
                        id: "validation.vault.field_name", ja: "項目名は英小文字で始まる英小文字・数字・_（64文字以内）です。",
                        en: "Field names are lower-case letters, digits and _, starting with a letter, at most 64."))
            }
            guard value.utf8.count <= Self.maxValueBytes else {
                throw Problems.validationFailed(
                    LocalizedMessage(
                        id: "validation.vault.value_size", ja: "各項目の値は \(Self.maxValueBytes) バイト以内です。",
                        en: "Each value is at most \(Self.maxValueBytes) bytes."))
            }
        }
        let names = body.fields.keys.sorted()
        let fields = names.map { VaultField(name: $0, text: body.fields[$0]!) }
        let (id, createdAt) = try await vault.seal(fields, actor: context.auditActor)
        let record = CreatedResponse(id: id.rawValue, created_at: Timestamp.format(createdAt), fields: names)
        return try JSONBody.response(record, status: .created, headers: [.location: "/v1/vault/records/\(id.rawValue)"])
    }

    func recordID(_ context: HonninRequestContext) throws -> HonninID {
        guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .vaultRecord) else {
            throw Problems.recordNotFound()
        }
        return id
    }

    func read(_ context: HonninRequestContext) async throws -> Response {
        let id = try recordID(context)
        do {
            let record = try await vault.open(id)
            var fields: [String: String] = [:]
            for f in record.fields { fields[f.name] = String(decoding: f.value.revealed, as: UTF8.self) }
            return try JSONBody.response(
                RecordResponse(id: id.rawValue, created_at: Timestamp.format(record.createdAt), fields: fields))
        } catch let e as HonninError where e.code == .notFound {
            throw Problems.recordNotFound()
        } catch let e as HonninError where e.code == .erased {
            throw Problems.recordErased()
        }
    }

    func erase(_ context: HonninRequestContext) async throws -> Response {
        let id = try recordID(context)
        if try await vault.erase(id, actor: context.auditActor, reason: "api") { return Response(status: .noContent) }
        switch try await vault.repository.fetch(id) {
        case .erased: throw Problems.recordErased()
        default: throw Problems.recordNotFound()
        }
    }
}
