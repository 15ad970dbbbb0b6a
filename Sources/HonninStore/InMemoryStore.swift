import Foundation
import HonninCore

/// All repositories in memory, behind one actor (one "transaction" per call). For tests and
/// for embedding Honnin's engines where persistence is the host's business.
public actor InMemoryStore: VaultRepository, APIKeyRepository, AuditLogRepository {
    private let appender: AuditAppender
    private var entries: [AuditEntry] = []
    private var checkpoints: [AuditCheckpoint] = []
    private var keks: [(id: HonninID, active: Bool)] = []
    private var records: [HonninID: StoredRecord] = [:]
    private var apiKeys: [HonninID: APIKey] = [:]

    public init(appender: AuditAppender) { self.appender = appender }

    // MARK: Audit

    private func appendLocked(_ event: AuditEvent) throws -> AuditEntry {
        let (entry, checkpoint) = try appender.append(event, after: currentHead())
        entries.append(entry)
        if let checkpoint { checkpoints.append(checkpoint) }
        return entry
    }

    private func currentHead() -> AuditHead? {
        guard let last = entries.last else { return nil }
        return AuditHead(seq: last.seq, hash: last.hash, lastCheckpoint: checkpoints.last.map { ($0.seq, $0.interval) })
    }

    public func append(_ event: AuditEvent) throws -> AuditEntry { try appendLocked(event) }
    public func head() -> AuditHead? { currentHead() }

    public func verify(publicKeys: [AuditPublicKey], defaultInterval: Int64) -> AuditReport {
        var verifier = AuditVerifier(publicKeys: publicKeys, checkpoints: checkpoints, defaultInterval: defaultInterval)
        for entry in entries where !verifier.check(entry) { break }
        return verifier.finish()
    }

    /// Test hook: the stored chain, to tamper with.
    public func replaceChain(entries: [AuditEntry], checkpoints: [AuditCheckpoint]) {
        self.entries = entries
        self.checkpoints = checkpoints
    }

    public func chain() -> (entries: [AuditEntry], checkpoints: [AuditCheckpoint]) { (entries, checkpoints) }

    // MARK: Vault

    public func activeKEK() -> HonninID? { keks.last(where: \.active)?.id }

    public func activateKEK(_ id: HonninID, audit: AuditEvent) throws {
        _ = try appendLocked(audit)
        keks = keks.map { ($0.id, false) } + [(id, true)]
    }

    public func insert(_ record: SealedRecord, audit: AuditEvent) throws {
        guard record.kekID == activeKEK() else { throw HonninError(.conflict, "key-encryption key \(record.kekID) is no longer active") }
        guard records[record.id] == nil else { throw HonninError(.conflict, "record \(record.id) exists") }
        _ = try appendLocked(audit)
        records[record.id] = .sealed(record)
    }

    public func fetch(_ id: HonninID) -> StoredRecord? { records[id] }

    /// Replaces a stored record as-is, bypassing every check: lets tests play an attacker with
    /// write access to the storage.
    public func overwriteForTesting(_ record: SealedRecord) { records[record.id] = .sealed(record) }

    public func erase(_ id: HonninID, audit: AuditEvent) throws -> Bool {
        guard case .sealed = records[id] else { return false }
        _ = try appendLocked(audit)
        records[id] = .erased(id: id, at: audit.at)
        return true
    }

    public func dataKeys(notWrappedBy kek: HonninID, limit: Int) -> (batch: [WrappedDataKey], remaining: Int) {
        let all = records.values.compactMap { r -> WrappedDataKey? in
            guard case .sealed(let s) = r, s.kekID != kek else { return nil }
            return WrappedDataKey(recordID: s.id, kekID: s.kekID, wrapped: s.wrappedDataKey)
        }.sorted { $0.recordID < $1.recordID }
        return (Array(all.prefix(limit)), all.count)
    }

    public func replaceDataKeys(_ updates: [(old: WrappedDataKey, new: WrappedDataKey)]) -> Int {
        var n = 0
        for (old, new) in updates {
            guard case .sealed(let s) = records[old.recordID], s.kekID == old.kekID, s.wrappedDataKey == old.wrapped else { continue }
            records[old.recordID] = .sealed(
                SealedRecord(id: s.id, createdAt: s.createdAt, kekID: new.kekID, wrappedDataKey: new.wrapped, fields: s.fields))
            n += 1
        }
        return n
    }

    // MARK: API keys

    public func insert(_ key: APIKey, audit: AuditEvent) throws {
        _ = try appendLocked(audit)
        apiKeys[key.id] = key
    }

    public func find(_ id: HonninID) -> APIKey? { apiKeys[id] }
    public func list() -> [APIKey] { apiKeys.values.sorted { $0.id < $1.id } }

    public func revoke(_ id: HonninID, at: Date, audit: AuditEvent) throws -> Bool {
        guard let k = apiKeys[id], k.revokedAt == nil else { return false }
        _ = try appendLocked(audit)
        apiKeys[id] = APIKey(id: k.id, name: k.name, secretDigest: k.secretDigest, createdAt: k.createdAt, revokedAt: at)
        return true
    }
}
