import Crypto
import Foundation
import HonninCore

/// One named value of a vault record. The value is personal data and stays ``Redacted``.
public struct VaultField: Sendable {
    public let name: String
    public let value: Redacted<[UInt8]>

    public init(name: String, value: Redacted<[UInt8]>) {
        self.name = name
        self.value = value
    }

    public init(name: String, text: String) {
        self.init(name: name, value: Redacted(Array(text.utf8)))
    }
}

/// A decrypted vault record.
public struct VaultRecord: Sendable {
    public let id: HonninID
    public let createdAt: Date
    public let fields: [VaultField]

    public subscript(name: String) -> Redacted<[UInt8]>? { fields.first { $0.name == name }?.value }
}

/// A vault record as stored: nothing in it is readable without the key-encryption key.
public struct SealedRecord: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public let name: String
        /// AES-256-GCM combined form: 12-byte nonce ‖ ciphertext ‖ 16-byte tag.
        public let sealed: [UInt8]
        public init(name: String, sealed: [UInt8]) {
            self.name = name
            self.sealed = sealed
        }
    }

    public let id: HonninID
    public let createdAt: Date
    /// The key-encryption key that wraps ``wrappedDataKey``.
    public let kekID: HonninID
    /// The record's data key, AES-256-GCM-sealed under the KEK (nonce ‖ ciphertext ‖ tag).
    public let wrappedDataKey: [UInt8]
    public let fields: [Field]

    public init(id: HonninID, createdAt: Date, kekID: HonninID, wrappedDataKey: [UInt8], fields: [Field]) {
        self.id = id
        self.createdAt = createdAt
        self.kekID = kekID
        self.wrappedDataKey = wrappedDataKey
        self.fields = fields
    }
}

/// What the repository returns for an identifier.
public enum StoredRecord: Sendable, Equatable {
    case sealed(SealedRecord)
    /// The data key was destroyed at this instant; the record can never be read again.
    case erased(id: HonninID, at: Date)
}

/// The wrapped data key of one record, as key rotation sees it.
public struct WrappedDataKey: Sendable, Equatable {
    public let recordID: HonninID
    public let kekID: HonninID
    public let wrapped: [UInt8]
    public init(recordID: HonninID, kekID: HonninID, wrapped: [UInt8]) {
        self.recordID = recordID
        self.kekID = kekID
        self.wrapped = wrapped
    }
}

/// Storage of sealed records. Implementations: SQLite (HonninSQLite), in memory (here).
/// Every mutation appends its audit event in the same transaction.
public protocol VaultRepository: Sendable {
    /// The key-encryption key new records must be wrapped with, if one was registered.
    func activeKEK() async throws -> HonninID?
    /// Registers a new KEK as the active one, retiring the previous one, atomically.
    func activateKEK(_ id: HonninID, audit: AuditEvent) async throws
    /// Stores a record. Throws ``HonninError/Code/conflict`` if `record.kekID` is no longer the
    /// active KEK (a rotation happened meanwhile), so no record is ever left under a retired key.
    func insert(_ record: SealedRecord, audit: AuditEvent) async throws
    func fetch(_ id: HonninID) async throws -> StoredRecord?
    /// Destroys the data key and the ciphertexts, keeping a tombstone. Returns false if absent
    /// or already erased.
    func erase(_ id: HonninID, audit: AuditEvent) async throws -> Bool
    /// Up to `limit` data keys not wrapped by `kek`, and how many such keys remain in all.
    func dataKeys(notWrappedBy kek: HonninID, limit: Int) async throws -> (batch: [WrappedDataKey], remaining: Int)
    /// Replaces wrapped keys, each only if the stored value still equals `old` (compare-and-swap).
    /// Returns how many were replaced.
    func replaceDataKeys(_ updates: [(old: WrappedDataKey, new: WrappedDataKey)]) async throws -> Int
}

/// The personal-data vault: envelope encryption over a ``VaultRepository``.
///
/// Each record gets a fresh random AES-256-GCM data key. Every field is sealed with it, with
/// associated data binding the ciphertext to the record id and field name, so a ciphertext
/// moved to another record or field fails to open. The data key is sealed under the active
/// key-encryption key with associated data binding it to the record id and the KEK id.
/// Erasing a record destroys its data key: crypto-shredding.
public struct Vault: Sendable {
    public let repository: any VaultRepository
    public let keys: any KeyMaterialStore
    let clock: any WallClock
    let random: any RandomSource

    public init(repository: any VaultRepository, keys: any KeyMaterialStore, clock: any WallClock, random: any RandomSource) {
        self.repository = repository
        self.keys = keys
        self.clock = clock
        self.random = random
    }

    /// Makes sure a key-encryption key exists; returns its id and whether it was created now.
    @discardableResult
    public func bootstrap(actor: String) async throws -> (kek: HonninID, created: Bool) {
        if let active = try await repository.activeKEK() {
            _ = try keys.kek(active)  // fail early if the key file is missing
            return (active, false)
        }
        let kek = try keys.createKEK()
        try await repository.activateKEK(
            kek.id, audit: AuditEvent(action: "vault.kek.created", actor: actor, subject: kek.id.rawValue, at: clock.now()))
        return (try await repository.activeKEK() ?? kek.id, true)
    }

    /// A record encrypted but not yet stored, with the audit event its insertion writes. Other
    /// repositories insert it inside their own transaction (evidence arrives with the flow change
    /// that references it, so nothing is stored half-way). Insertion fails with `.conflict` if
    /// the KEK was rotated meanwhile: prepare again.
    public struct Prepared: Sendable {
        public let record: SealedRecord
        public let audit: AuditEvent
    }

    /// Encrypts `fields` under a fresh data key wrapped by the active KEK.
    public func prepare(_ fields: [VaultField], actor: String) async throws -> Prepared {
        let now = clock.now()
        let id = HonninID(kind: .vaultRecord, milliseconds: Timestamp.milliseconds(now), random: random)
        guard let kekID = try await repository.activeKEK() else {
            throw HonninError(.keyUnavailable, "no key-encryption key registered; run the server once or `honnin migrate`")
        }
        let kek = try keys.kek(kekID)
        let dataKey = SymmetricKey(data: random.bytes(32))
        let sealedFields = try fields.map { field in
            SealedRecord.Field(
                name: field.name,
                sealed: try Self.seal(field.value.revealed, key: dataKey, aad: Self.fieldAAD(id, field.name)))
        }
        let wrapped = try dataKey.withUnsafeBytes { try Self.seal(Array($0), key: kek.key, aad: Self.dataKeyAAD(id, kekID)) }
        let digest = Bytes.hex(SHA256.hash(data: Array(fields.map(\.name).joined(separator: ",").utf8)).prefix(8))
        return Prepared(
            record: SealedRecord(id: id, createdAt: now, kekID: kekID, wrappedDataKey: wrapped, fields: sealedFields),
            audit: AuditEvent(
                action: "vault.record.sealed", actor: actor, subject: id.rawValue,
                details: ["fields": String(fields.count), "field_names_sha256_64": digest, "kek": kekID.rawValue], at: now))
    }

    /// Runs `body` with freshly prepared records, preparing again (up to three times) when a
    /// key rotation raced the insert.
    public func withPrepared<T>(_ fields: [[VaultField]], actor: String, _ body: ([Prepared]) async throws -> T) async throws -> T {
        for attempt in 0..<3 {
            var prepared: [Prepared] = []
            for f in fields { prepared.append(try await prepare(f, actor: actor)) }
            do {
                return try await body(prepared)
            } catch let error as HonninError where error.code == .conflict && error.reason.hasPrefix(Self.rotatedPrefix) && attempt < 2 {
                continue  // the KEK was rotated between reading it and inserting: wrap again.
            }
        }
        throw HonninError(.conflict, "key-encryption key kept changing during insert")
    }

    /// The reason prefix of the `.conflict` error repositories throw for a retired KEK.
    public static let rotatedPrefix = "key-encryption key"

    /// Encrypts and stores `fields` as a new record; returns its id and creation time.
    public func seal(_ fields: [VaultField], actor: String) async throws -> (id: HonninID, createdAt: Date) {
        try await withPrepared([fields], actor: actor) { prepared in
            try await repository.insert(prepared[0].record, audit: prepared[0].audit)
            return (prepared[0].record.id, prepared[0].record.createdAt)
        }
    }

    /// Reads and decrypts a record. Throws `.notFound` or `.erased`.
    public func open(_ id: HonninID) async throws -> VaultRecord {
        switch try await repository.fetch(id) {
        case .none:
            throw HonninError(.notFound, "no vault record \(id)")
        case .erased:
            throw HonninError(.erased, "vault record \(id) was erased")
        case .sealed(let record):
            let kek = try keys.kek(record.kekID)
            let dataKey = SymmetricKey(
                data: try Self.open(record.wrappedDataKey, key: kek.key, aad: Self.dataKeyAAD(id, record.kekID)))
            let fields = try record.fields.map {
                VaultField(name: $0.name, value: Redacted(try Self.open($0.sealed, key: dataKey, aad: Self.fieldAAD(id, $0.name))))
            }
            return VaultRecord(id: id, createdAt: record.createdAt, fields: fields)
        }
    }

    /// Crypto-shreds a record: its data key is destroyed, so no copy of its ciphertext (in a
    /// backup, a free page, a replica) can be decrypted again, even with the KEK.
    public func erase(_ id: HonninID, actor: String, reason: String) async throws -> Bool {
        try await repository.erase(
            id,
            audit: AuditEvent(
                action: "vault.record.erased", actor: actor, subject: id.rawValue,
                details: ["data_key": "destroyed", "reason": reason], at: clock.now()))
    }

    /// Progress of a key rotation.
    public struct RotationProgress: Sendable {
        public let rewrapped: Int
        public let remaining: Int
    }

    /// Creates a new key-encryption key, makes it active, and re-wraps every data key under it.
    /// Field ciphertexts are not touched. Safe to run while a server writes: records sealed
    /// concurrently use the new key (or are re-wrapped by the loop), and an interrupted
    /// rotation is completed by running it again.
    public func rotate(actor: String, batchSize: Int = 500, progress: (RotationProgress) -> Void = { _ in }) async throws
        -> (kek: HonninID, rewrapped: Int)
    {
        let kek = try keys.createKEK()
        try await repository.activateKEK(
            kek.id, audit: AuditEvent(action: "vault.kek.rotated", actor: actor, subject: kek.id.rawValue, at: clock.now()))
        let rewrapped = try await rewrapAll(to: kek, batchSize: batchSize, progress: progress)
        return (kek.id, rewrapped)
    }

    /// Re-wraps every data key not yet under the active KEK (finishes an interrupted rotation).
    public func rewrapAll(to kek: KeyEncryptionKey, batchSize: Int, progress: (RotationProgress) -> Void) async throws -> Int {
        var total = 0
        while true {
            let (batch, remaining) = try await repository.dataKeys(notWrappedBy: kek.id, limit: batchSize)
            if batch.isEmpty { break }
            var updates: [(old: WrappedDataKey, new: WrappedDataKey)] = []
            for old in batch {
                let oldKEK = try keys.kek(old.kekID)
                let raw = try Self.open(old.wrapped, key: oldKEK.key, aad: Self.dataKeyAAD(old.recordID, old.kekID))
                let wrapped = try Self.seal(raw, key: kek.key, aad: Self.dataKeyAAD(old.recordID, kek.id))
                updates.append((old, WrappedDataKey(recordID: old.recordID, kekID: kek.id, wrapped: wrapped)))
            }
            let n = try await repository.replaceDataKeys(updates)
            total += n
            progress(RotationProgress(rewrapped: total, remaining: max(0, remaining - batch.count)))
        }
        return total
    }

    // MARK: - Envelope primitives

    static func fieldAAD(_ record: HonninID, _ field: String) -> [UInt8] {
        Array("honnin.vault.field.v1\u{0}\(record.rawValue)\u{0}\(field)".utf8)
    }

    static func dataKeyAAD(_ record: HonninID, _ kek: HonninID) -> [UInt8] {
        Array("honnin.vault.datakey.v1\u{0}\(record.rawValue)\u{0}\(kek.rawValue)".utf8)
    }

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, aad: [UInt8]) throws -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: aad)
            guard let combined = box.combined else { throw HonninError(.cryptography, "AES-GCM produced no combined form") }
            return Array(combined)
        } catch let e as HonninError {
            throw e
        } catch {
            throw HonninError(.cryptography, "AES-GCM seal failed: \(error)")
        }
    }

    static func open(_ sealed: [UInt8], key: SymmetricKey, aad: [UInt8]) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: aad))
        } catch {
            throw HonninError(.cryptography, "AES-GCM authentication failed (wrong key, or data altered)")
        }
    }
}
