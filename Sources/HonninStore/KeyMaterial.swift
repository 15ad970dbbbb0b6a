import Crypto
import Foundation
import HonninCore
import Synchronization

/// A key-encryption key (KEK): wraps the per-record data keys of the vault.
public struct KeyEncryptionKey: Sendable {
    public let id: HonninID
    let key: SymmetricKey

    public init(id: HonninID, key: SymmetricKey) {
        self.id = id
        self.key = key
    }
}

/// The Ed25519 key that signs audit checkpoints.
public struct AuditSigningKey: Sendable {
    public let id: HonninID
    let privateKey: Curve25519.Signing.PrivateKey

    public init(id: HonninID, privateKey: Curve25519.Signing.PrivateKey) {
        self.id = id
        self.privateKey = privateKey
    }

    public var publicKey: AuditPublicKey { AuditPublicKey(id: id, key: privateKey.publicKey) }

    /// Ed25519 signature (RFC 8032) of `message`. The same server key signs audit checkpoints and
    /// verification records (本人確認記録), under different message formats.
    public func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try privateKey.signature(for: message)) }
}

/// A public key that verifies audit checkpoints, as pinned by an auditor.
public struct AuditPublicKey: Sendable {
    public let id: HonninID
    public let key: Curve25519.Signing.PublicKey

    public init(id: HonninID, key: Curve25519.Signing.PublicKey) {
        self.id = id
        self.key = key
    }

    /// The JSON form written to `ask_….pub` files: `{"id": …, "alg": "Ed25519", "public_key": base64url}`.
    public func exported() -> [UInt8] {
        let json = "{\"alg\":\"Ed25519\",\"id\":\"\(id.rawValue)\",\"public_key\":\"\(Bytes.base64URL(key.rawRepresentation))\"}\n"
        return Array(json.utf8)
    }

    /// Parses the form written by ``exported()``.
    public static func parse(_ bytes: [UInt8]) throws -> AuditPublicKey {
        struct File: Decodable {
            let id: String
            let alg: String
            let public_key: String
        }
        guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)), file.alg == "Ed25519",
            let id = HonninID(parsing: file.id, kind: .auditSigningKey),
            let raw = Bytes.fromBase64URL(file.public_key),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { throw HonninError(.invalidInput, "not an Honnin audit public key file") }
        return AuditPublicKey(id: id, key: key)
    }
}

/// Where key material lives. Keys are addressed by identifier; the database stores only
/// identifiers, never key bytes.
public protocol KeyMaterialStore: Sendable {
    /// Creates, persists durably, and returns a new key-encryption key.
    func createKEK() throws -> KeyEncryptionKey
    func kek(_ id: HonninID) throws -> KeyEncryptionKey
    /// The signing key for new checkpoints, created on first use.
    func auditSigningKey() throws -> AuditSigningKey
    /// Every audit public key known to this store (for `audit verify`).
    func auditPublicKeys() throws -> [AuditPublicKey]
    /// The HMAC-SHA256 secret that signs webhooks (32 random bytes), created on first use.
    func webhookSecret() throws -> Redacted<[UInt8]>
    /// The HMAC key for lookup digests (user names, recovery codes), created on first use.
    func lookupKey() throws -> Redacted<[UInt8]>
}

/// Keys as files in a directory (default `<data-dir>/keys`, mode 0700; files 0600):
/// `kek_<id>.key`, `ask_<id>.key` and `ask_<id>.pub`. Each file is written to a temporary
/// name, flushed with `fsync`, renamed, and the directory flushed, so a key the database
/// refers to is never lost to a crash.
///
/// Keeping the key directory on another volume than the database (`--key-dir`) means a copy
/// of the database or of its backups alone reveals no personal data.
public final class FileKeyMaterialStore: KeyMaterialStore {
    public let directory: URL
    private let random: any RandomSource
    private let clock: any WallClock
    private let cache = Mutex<[HonninID: KeyEncryptionKey]>([:])

    public init(directory: URL, random: any RandomSource = SystemRandom(), clock: any WallClock = SystemClock()) throws {
        self.directory = directory
        self.random = random
        self.clock = clock
        try DurableFile.makeDirectory(directory, mode: 0o700)
    }

    public func createKEK() throws -> KeyEncryptionKey {
        let id = HonninID(kind: .keyEncryptionKey, milliseconds: Timestamp.milliseconds(clock.now()), random: random)
        let bytes = random.bytes(32)
        let json = "{\"id\":\"\(id.rawValue)\",\"kind\":\"kek\",\"alg\":\"A256GCM\",\"key\":\"\(Bytes.base64URL(bytes))\"}\n"
        try DurableFile.write(Array(json.utf8), to: directory.appendingPathComponent("\(id.rawValue).key"), mode: 0o600)
        let kek = KeyEncryptionKey(id: id, key: SymmetricKey(data: bytes))
        cache.withLock { $0[id] = kek }
        return kek
    }

    public func kek(_ id: HonninID) throws -> KeyEncryptionKey {
        if let hit = cache.withLock({ $0[id] }) { return hit }
        struct File: Decodable {
            let id: String
            let kind: String
            let key: String
        }
        let url = directory.appendingPathComponent("\(id.rawValue).key")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw HonninError(.keyUnavailable, "key-encryption key \(id) not found in \(directory.path)")
        }
        guard let file = try? JSONDecoder().decode(File.self, from: data), file.kind == "kek", file.id == id.rawValue,
            let raw = Bytes.fromBase64URL(file.key), raw.count == 32
        else { throw HonninError(.keyUnavailable, "key file \(url.lastPathComponent) is malformed") }
        let kek = KeyEncryptionKey(id: id, key: SymmetricKey(data: raw))
        cache.withLock { $0[id] = kek }
        return kek
    }

    public func auditSigningKey() throws -> AuditSigningKey {
        let existing = try signingKeyFiles()
        if let newest = existing.max(by: { $0 < $1 }) { return try loadSigningKey(newest) }
        let id = HonninID(kind: .auditSigningKey, milliseconds: Timestamp.milliseconds(clock.now()), random: random)
        let seed = random.bytes(32)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let json = "{\"id\":\"\(id.rawValue)\",\"kind\":\"audit-signing\",\"alg\":\"Ed25519\",\"private_key\":\"\(Bytes.base64URL(seed))\"}\n"
        let signing = AuditSigningKey(id: id, privateKey: key)
        try DurableFile.write(signing.publicKey.exported(), to: directory.appendingPathComponent("\(id.rawValue).pub"), mode: 0o644)
        try DurableFile.write(Array(json.utf8), to: directory.appendingPathComponent("\(id.rawValue).key"), mode: 0o600)
        return signing
    }

    public func auditPublicKeys() throws -> [AuditPublicKey] {
        try signingKeyFiles().map { try loadSigningKey($0).publicKey }
    }

    public func webhookSecret() throws -> Redacted<[UInt8]> { try secret(file: Self.webhookSecretFile, kind: "webhook-hmac") }

    public func lookupKey() throws -> Redacted<[UInt8]> { try secret(file: Self.lookupKeyFile, kind: "lookup-hmac") }

    /// A 32-byte HMAC key kept in its own file, created on first use.
    private func secret(file name: String, kind: String) throws -> Redacted<[UInt8]> {
        struct File: Decodable {
            let kind: String
            let key: String
        }
        let url = directory.appendingPathComponent(name)
        if let data = FileManager.default.contents(atPath: url.path) {
            guard let file = try? JSONDecoder().decode(File.self, from: data), file.kind == kind,
                let raw = Bytes.fromBase64URL(file.key), raw.count == 32
            else { throw HonninError(.keyUnavailable, "secret file \(url.lastPathComponent) is malformed") }
            return Redacted(raw)
        }
        let bytes = random.bytes(32)
        let json = "{\"kind\":\"\(kind)\",\"alg\":\"HS256\",\"key\":\"\(Bytes.base64URL(bytes))\"}\n"
        try DurableFile.write(Array(json.utf8), to: url, mode: 0o600)
        return Redacted(bytes)
    }

    /// The lookup key's file name: it keys the digests accounts are found by (user names) and
    /// the recovery-code digests. Losing it makes every user name unfindable; back it up with
    /// the key-encryption keys.
    public static let lookupKeyFile = "lookup.key"

    /// The webhook secret's file name in the key directory.
    public static let webhookSecretFile = "webhook-secret.key"

    private func signingKeyFiles() throws -> [HonninID] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> HonninID? in
            guard name.hasSuffix(".key") else { return nil }
            return HonninID(parsing: name.dropLast(4), kind: .auditSigningKey)
        }
    }

    private func loadSigningKey(_ id: HonninID) throws -> AuditSigningKey {
        struct File: Decodable {
            let id: String
            let kind: String
            let private_key: String
        }
        let url = directory.appendingPathComponent("\(id.rawValue).key")
        guard let data = FileManager.default.contents(atPath: url.path),
            let file = try? JSONDecoder().decode(File.self, from: data), file.kind == "audit-signing",
            file.id == id.rawValue, let raw = Bytes.fromBase64URL(file.private_key),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw HonninError(.keyUnavailable, "audit signing key file \(url.lastPathComponent) is missing or malformed") }
        return AuditSigningKey(id: id, privateKey: key)
    }
}

/// Keys held in memory only: for tests and for embedding where the host manages keys.
public final class InMemoryKeyMaterialStore: KeyMaterialStore {
    private let random: any RandomSource
    private let state = Mutex<(keks: [HonninID: KeyEncryptionKey], signing: AuditSigningKey?, counter: Int64)>(([:], nil, 0))
    private let webhook: [UInt8]
    private let lookup: [UInt8]

    public init(random: any RandomSource = SystemRandom()) {
        self.random = random
        self.webhook = random.bytes(32)
        self.lookup = random.bytes(32)
    }

    public func webhookSecret() throws -> Redacted<[UInt8]> { Redacted(webhook) }
    public func lookupKey() throws -> Redacted<[UInt8]> { Redacted(lookup) }

    private func nextID(_ kind: HonninID.Kind) -> HonninID {
        let n = state.withLock { s -> Int64 in
            s.counter += 1
            return s.counter
        }
        return HonninID(kind: kind, milliseconds: n, random: random)
    }

    public func createKEK() throws -> KeyEncryptionKey {
        let kek = KeyEncryptionKey(id: nextID(.keyEncryptionKey), key: SymmetricKey(data: random.bytes(32)))
        state.withLock { $0.keks[kek.id] = kek }
        return kek
    }

    public func kek(_ id: HonninID) throws -> KeyEncryptionKey {
        guard let k = state.withLock({ $0.keks[id] }) else { throw HonninError(.keyUnavailable, "no key \(id)") }
        return k
    }

    public func auditSigningKey() throws -> AuditSigningKey {
        if let k = state.withLock({ $0.signing }) { return k }
        let key = AuditSigningKey(
            id: nextID(.auditSigningKey), privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: random.bytes(32)))
        return state.withLock { s in
            if let existing = s.signing { return existing }
            s.signing = key
            return key
        }
    }

    public func auditPublicKeys() throws -> [AuditPublicKey] { [try auditSigningKey().publicKey] }
}
