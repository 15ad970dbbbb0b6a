import Crypto
import Foundation
import HonninCore
import HonninPolicy
import HonninStore

/// A 本人確認記録 (verification record) as stored: the row that says where the sealed record
/// lives and how long it is kept. The content itself is a vault record (fields `record.json`
/// and `jws`), so erasing it is crypto-shredding.
public struct RecordEntry: Sendable, Equatable {
    public let id: HonninID
    public let verification: HonninID
    /// Vault record holding `record.json` and `jws`.
    public let vaultRecord: HonninID
    public let createdAt: Date
    public let retention: Retention
    /// When the business reported the end of the relationship (basis `relationship_end`).
    public var relationshipEndedOn: CalendarDate?
    /// When the record may be purged; nil while a relationship-based retention has not started.
    public var expiresAt: Date?
    public var erasedAt: Date?

    public init(
        id: HonninID, verification: HonninID, vaultRecord: HonninID, createdAt: Date, retention: Retention, relationshipEndedOn: CalendarDate? = nil,
        expiresAt: Date?, erasedAt: Date? = nil
    ) {
        self.id = id
        self.verification = verification
        self.vaultRecord = vaultRecord
        self.createdAt = createdAt
        self.retention = retention
        self.relationshipEndedOn = relationshipEndedOn
        self.expiresAt = expiresAt
        self.erasedAt = erasedAt
    }
}

/// The content of a verification record. It holds what 犯罪収益移転防止法施行規則 第20条 asks a
/// record to show where that law applies — who verified whom, how, with which document (name and
/// number), the attributes confirmed, when, and the business's reference (取引記録との紐付け) —
/// and the same facts for every other service.
public struct VerificationRecord: Codable, Sendable, Equatable {
    public struct Document: Codable, Sendable, Equatable {
        public let type: String
        public let number: String?
    }
    public struct Review: Codable, Sendable, Equatable {
        public let reviewer: String
        public let decision: String
        public let reasons: [String]
        public let checklist: [String]
        public let at: String
    }
    public struct Evidence: Codable, Sendable, Equatable {
        public let vault_record: String
        /// SHA-256 of each evidence part as stored (the images after metadata removal).
        public let sha256: [String: String]
    }

    public var format = "honnin.verification-record.v1"
    public let record_id: String
    public let verification_id: String
    public let reference: String?
    public let profile: String
    /// The profile asked for 犯収法 compliance: the record follows 施行規則 第20条.
    public let legal_basis: String?
    public let outcome: String
    public let result_code: String
    public let method: String?
    public let ial: Int?
    public let required_ial: Int
    public let document: Document?
    public let attributes: [String: String]?
    public let evidence: Evidence?
    /// Method facts: for JPKI the certificate's issuer and serial and the revocation evidence.
    public let method_details: [String: String]?
    public let reviews: [Review]
    public let created_at: String
    public let evidence_submitted_at: String?
    public let decided_at: String
    public let retention: Retention
    public let issuer: String
}

/// Signing and checking records as JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037): the
/// protected header is `{"alg":"EdDSA","kid":"ask_…","typ":"honnin-record+json"}` and the payload
/// is the record's JSON with sorted keys. Any JOSE library can check it with the server's
/// public key (`ask_….pub`); `honnin records verify` does it offline.
public enum RecordSignature {
    public static let type = "honnin-record+json"

    public static func payload(_ record: VerificationRecord) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try e.encode(record))
    }

    public static func sign(_ record: VerificationRecord, key: AuditSigningKey) throws -> String {
        let header = "{\"alg\":\"EdDSA\",\"kid\":\"\(key.id.rawValue)\",\"typ\":\"\(type)\"}"
        let input = Bytes.base64URL(Array(header.utf8)) + "." + Bytes.base64URL(try payload(record))
        return input + "." + Bytes.base64URL(try key.sign(Array(input.utf8)))
    }

    public enum Failure: Error, Sendable, Equatable {
        case malformed(String)
        case unknownKey(String)
        case badSignature
    }

    /// Checks a compact JWS against the given public keys (chosen by `kid`) and returns the record.
    public static func verify(_ jws: String, keys: [AuditPublicKey]) throws(Failure) -> (VerificationRecord, keyID: String) {
        let parts = jws.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = Bytes.fromBase64URL(parts[0]), let p = Bytes.fromBase64URL(parts[1]),
            let sig = Bytes.fromBase64URL(parts[2])
        else { throw .malformed("not a compact JWS") }
        struct Header: Decodable {
            let alg: String
            let kid: String
            let typ: String?
            let crit: [String]?
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(h)) else { throw .malformed("header is not JSON") }
        // RFC 7515 §4.1.11: an unknown critical header must fail; we define none.
        guard header.alg == "EdDSA", header.crit == nil, header.typ == type else { throw .malformed("unexpected header") }
        guard let key = keys.first(where: { $0.id.rawValue == header.kid }) else { throw .unknownKey(header.kid) }
        let input = Array((parts[0] + "." + parts[1]).utf8)
        guard key.key.isValidSignature(sig, for: input) else { throw .badSignature }
        guard let record = try? JSONDecoder().decode(VerificationRecord.self, from: Data(p)) else { throw .malformed("payload is not a record") }
        return (record, header.kid)
    }
}

/// Storage of record entries (SQLite in HonninSQLite); inserted with the flow's final commit.
public protocol RecordRepository: Sendable {
    func record(_ id: HonninID) async throws -> RecordEntry?
    func record(forVerification id: HonninID) async throws -> RecordEntry?
    /// Records whose retention ended at or before `now`, not yet erased.
    func expiredRecords(at now: Date, limit: Int) async throws -> [RecordEntry]
    func countExpiredRecords(at now: Date) async throws -> Int
    func updateRecord(_ entry: RecordEntry, audit: AuditEvent) async throws
}

extension Retention {
    /// The instant the retention ends, counted from `start`.
    public func end(from start: Date) -> Date { start.addingTimeInterval(TimeInterval(days) * 86_400) }
}

/// Reading, retention and erasure of verification records.
public struct RecordService: Sendable {
    public let records: any RecordRepository
    public let verifications: VerificationService
    let clock: any WallClock

    public init(records: any RecordRepository, verifications: VerificationService, clock: any WallClock) {
        self.records = records
        self.verifications = verifications
        self.clock = clock
    }

    var vault: Vault { verifications.vault }

    public static let notFoundError = RequestError(.notFound, code: "record_not_found", ja: "本人確認記録が見つかりません。", en: "No such verification record.")
    static func notFound() -> RequestError { notFoundError }

    /// The record with its JWS. Throws `record_not_found`, or `record_erased` (410) after erasure.
    public func export(_ id: HonninID, actor: String) async throws -> (RecordEntry, VerificationRecord, jws: String) {
        guard let entry = try await records.record(id) else { throw Self.notFound() }
        if entry.erasedAt != nil {
            throw RequestError(.gone, code: "record_erased", ja: "この本人確認記録は消去されました。", en: "This verification record was erased.")
        }
        let sealed = try await vault.open(entry.vaultRecord)
        guard let jws = sealed["jws"].map({ String(decoding: $0.revealed, as: UTF8.self) }), let payload = sealed["record.json"],
            let record = try? JSONDecoder().decode(VerificationRecord.self, from: Data(payload.revealed))
        else { throw HonninError(.storage, "record \(id) is unreadable") }
        try await verifications.repository.appendAuditEvent(
            AuditEvent(action: "record.exported", actor: actor, subject: id.rawValue, at: clock.now()))
        return (entry, record, jws)
    }

    /// The business reports the end of the relationship: a `relationship_end` retention starts.
    public func relationshipEnded(_ id: HonninID, on date: CalendarDate, actor: String) async throws -> RecordEntry {
        guard var entry = try await records.record(id) else { throw Self.notFound() }
        guard entry.erasedAt == nil else {
            throw RequestError(.gone, code: "record_erased", ja: "この本人確認記録は消去されました。", en: "This verification record was erased.")
        }
        guard entry.retention.basis == .relationshipEnd else {
            throw RequestError(
                .conflict, code: "retention_not_relationship_based", ja: "この記録の保存期間は取引関係の終了日から数えません。",
                en: "This record's retention does not count from the end of the relationship.")
        }
        guard date <= CalendarDate(inJapanAt: clock.now()) else {
            throw RequestError(.invalid, code: "future_date", ja: "終了日が未来の日付です。", en: "The end date is in the future.", member: "ended_on")
        }
        entry.relationshipEndedOn = date
        entry.expiresAt = entry.retention.end(from: date.startInJapan)
        try await records.updateRecord(
            entry,
            audit: AuditEvent(
                action: "record.relationship_ended", actor: actor, subject: id.rawValue, details: ["expires_at": Timestamp.format(entry.expiresAt!)],
                at: clock.now()))
        return entry
    }

    /// Crypto-shreds a record and everything personal of its flow (evidence, attributes, document
    /// numbers). A record kept under a duty — a law (`legal_basis`) or a retention counted from
    /// the end of the relationship — whose retention has not ended is kept unless `override`.
    public func erase(_ id: HonninID, actor: String, reason: String, override: Bool = false) async throws -> RecordEntry {
        guard var entry = try await records.record(id) else { throw Self.notFound() }
        if entry.erasedAt != nil { return entry }
        let now = clock.now()
        let flow: VerificationFlow? = try await verifications.repository.find(entry.verification)
        let retained = entry.expiresAt.map { $0 > now } ?? true
        if flow?.legalBasis != nil || entry.retention.basis == .relationshipEnd, retained, !override {
            throw RequestError(
                .conflict, code: "legal_retention", ja: "法令の保存期間中のため消去できません（override で強制）。",
                en: "The record is within a legal retention period (use override to erase anyway).")
        }
        var ids = [entry.vaultRecord]
        if let f = flow {
            ids += [f.evidence, f.result?.attributesRecord].compactMap { $0 }
            ids += f.review.decisions.compactMap(\.documentNumber)
        }
        for v in ids { _ = try await vault.erase(v, actor: actor, reason: reason) }
        entry.erasedAt = now
        try await records.updateRecord(
            entry, audit: AuditEvent(action: "record.erased", actor: actor, subject: id.rawValue, details: ["reason": reason, "vault_records": String(ids.count)], at: now))
        return entry
    }

    /// Erases every record whose retention has ended; reports progress after each one.
    public func purgeExpired(actor: String, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) async throws -> Int {
        let total = try await records.countExpiredRecords(at: clock.now())
        var done = 0
        while true {
            let batch = try await records.expiredRecords(at: clock.now(), limit: 100)
            if batch.isEmpty { break }
            for entry in batch {
                _ = try await erase(entry.id, actor: actor, reason: "retention_expired", override: true)
                done += 1
                progress(done, max(total, done))
            }
        }
        return done
    }
}
