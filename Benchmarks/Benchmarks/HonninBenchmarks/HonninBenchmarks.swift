import Benchmark
import Crypto
import Foundation
import GRDB
import HonninCore
import HonninSQLite
import HonninStore

// Figures for the foundation issue: vault seal+open, audit append, and audit verify compared
// with the crypto limit (raw SHA-256 over the same bytes) measured in the same run.

let fields = [
    VaultField(name: "name", text: "山田 太郎"), VaultField(name: "name_kana", text: "ヤマダ タロウ"),
    VaultField(name: "birthdate", text: "1990-04-01"), VaultField(name: "address", text: "東京都千代田区千代田1-1"),
]

/// A vault over the in-memory store: measures envelope encryption, not I/O.
func memoryVault() async throws -> Vault {
    let keys = InMemoryKeyMaterialStore()
    let store = InMemoryStore(appender: AuditAppender(signingKey: try keys.auditSigningKey(), interval: 1000))
    let vault = Vault(repository: store, keys: keys, clock: SystemClock(), random: SystemRandom())
    try await vault.bootstrap(actor: "bench")
    return vault
}

struct SQLiteFixture {
    let dir: URL
    let store: SQLiteStore
    let signing: AuditSigningKey

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keys = try FileKeyMaterialStore(directory: dir.appendingPathComponent("keys"))
        signing = try keys.auditSigningKey()
        store = try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path, appender: AuditAppender(signingKey: signing, interval: 1000))
        try store.migrate()
    }

    /// Fills the audit log with `count` realistic entries (one transaction, for setup speed).
    func fillAudit(_ count: Int) throws {
        let appender = AuditAppender(signingKey: signing, interval: 1000)
        try store.pool.write { db in
            var head: AuditHead? = nil
            let now = Date()
            for i in 0..<count {
                let event = AuditEvent(
                    action: "vault.record.sealed", actor: "apikey:key_01m8mpwxr6xbv8sxpgm1fkvnbf", subject: "vlt_01m8mpwxxp24rzkxs3xb5qv\(i % 1000)",
                    details: ["fields": "4", "field_names_sha256_64": "3f1d2a9c0b7e6d54", "kek": "kek_01m8mpwtt6wmwnyvw80w489jat"],
                    at: now.addingTimeInterval(Double(i) / 1000))
                let (entry, checkpoint) = try appender.append(event, after: head)
                try db.execute(sql: "INSERT INTO audit_entries (seq, body, hash) VALUES (?, ?, ?)", arguments: [entry.seq, Data(entry.body), Data(entry.hash)])
                var last = head?.lastCheckpoint
                if let c = checkpoint {
                    try db.execute(
                        sql: "INSERT INTO audit_checkpoints (seq, hash, interval, key_id, signature) VALUES (?, ?, ?, ?, ?)",
                        arguments: [c.seq, Data(c.hash), c.interval, c.keyID, Data(c.signature)])
                    last = (c.seq, c.interval)
                }
                head = AuditHead(seq: entry.seq, hash: entry.hash, lastCheckpoint: last)
            }
        }
    }

    /// The stored (seq, body, hash) rows, to hash in memory as the raw baseline.
    func entries() throws -> [AuditEntry] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, body, hash FROM audit_entries ORDER BY seq").map {
                AuditEntry(seq: $0[0], body: [UInt8]($0[1] as Data), hash: [UInt8]($0[2] as Data))
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// The crypto limit of verification: SHA-256 over exactly the bytes verify hashes (domain,
/// previous hash, sequence number, body of every entry), in memory, one entry per hash as
/// verify must do. Returns the last digest so the work cannot be optimised away.
func rawChainHash(_ entries: [AuditEntry]) -> [UInt8] {
    var previous = AuditChain.genesis
    for e in entries {
        previous = Array(e.body.withUnsafeBytes { AuditChain.hash(previous: previous, seq: e.seq, body: $0) })
    }
    return previous
}

/// SHA-256 streamed over the same total bytes in one hash: the absolute ceiling.
func rawStreamHash(_ entries: [AuditEntry]) -> SHA256.Digest {
    var h = SHA256()
    for e in entries {
        h.update(data: e.body)
        h.update(data: e.hash)
    }
    return h.finalize()
}

let auditEntries = 100_000

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(5))
    jpkiBenchmarks()
    jpkiComponentBenchmarks()
    webAuthnBenchmarks()

    Benchmark("vault seal+open (4 fields, in-memory store)", configuration: .init(metrics: [.throughput, .wallClock], maxIterations: 20_000)) { benchmark in
        let vault = try await memoryVault()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let (id, _) = try await vault.seal(fields, actor: "bench")
            blackHole(try await vault.open(id))
        }
    }

    Benchmark("AES-256-GCM seal+open of the same 5 values (crypto limit)", configuration: .init(metrics: [.throughput, .wallClock], maxIterations: 20_000)) { benchmark in
        let kek = SymmetricKey(size: .bits256)
        let values = fields.map(\.value.revealed)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let dataKey = SymmetricKey(size: .bits256)
            let wrapped = try dataKey.withUnsafeBytes { try AES.GCM.seal(Array($0), using: kek).combined! }
            let boxes = try values.map { try AES.GCM.seal($0, using: dataKey).combined! }
            blackHole(try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: kek))
            for b in boxes { blackHole(try AES.GCM.open(AES.GCM.SealedBox(combined: b), using: dataKey)) }
        }
    }

    Benchmark("vault seal (SQLite, synchronous=FULL, one fsync each)", configuration: .init(metrics: [.throughput, .wallClock], maxIterations: 2_000)) { benchmark in
        let f = try SQLiteFixture()
        defer { f.remove() }
        let keys = try FileKeyMaterialStore(directory: f.dir.appendingPathComponent("keys"))
        let vault = Vault(repository: f.store, keys: keys, clock: SystemClock(), random: SystemRandom())
        try await vault.bootstrap(actor: "bench")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await vault.seal(fields, actor: "bench")) }
    }

    Benchmark("audit append (SQLite, synchronous=FULL, one fsync each)", configuration: .init(metrics: [.throughput, .wallClock], maxIterations: 2_000)) { benchmark in
        let f = try SQLiteFixture()
        defer { f.remove() }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = try await f.store.append(AuditEvent(action: "apikey.created", actor: "cli", subject: "key_\(i)", at: Date()))
        }
    }

    Benchmark("audit append (in-memory: hash, encode, sign every 1000)", configuration: .init(metrics: [.throughput, .wallClock], maxIterations: 100_000)) { benchmark in
        let keys = InMemoryKeyMaterialStore()
        let store = InMemoryStore(appender: AuditAppender(signingKey: try keys.auditSigningKey(), interval: 1000))
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = try await store.append(AuditEvent(action: "apikey.created", actor: "cli", subject: "key_\(i)", at: Date()))
        }
    }

    // Verify against the raw SHA-256 limit over the same bytes, in the same run. The custom
    // metric is verify's throughput as a percentage of raw hashing's (goal: at least 50).
    Benchmark(
        "audit verify \(auditEntries) entries vs raw SHA-256 of the same bytes",
        configuration: .init(
            metrics: [.wallClock, .custom("verify_pct_of_raw_chain_sha256", polarity: .prefersLarger, useScalingFactor: false),
                      .custom("verify_pct_of_raw_stream_sha256", polarity: .prefersLarger, useScalingFactor: false),
                      .custom("verify_MB_per_s", polarity: .prefersLarger, useScalingFactor: false),
                      .custom("one_core_verify_pct_of_raw_chain_sha256", polarity: .prefersLarger, useScalingFactor: false)],
            maxDuration: .seconds(20), maxIterations: 10)
    ) { benchmark in
        let f = try SQLiteFixture()
        defer { f.remove() }
        try f.fillAudit(auditEntries)
        let entries = try f.entries()
        let bytes = entries.reduce(0) { $0 + $1.body.count + 32 + 8 + 22 }
        let keys = [f.signing.publicKey]
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let raw = clock.measure { blackHole(rawChainHash(entries)) }
            let stream = clock.measure { blackHole(rawStreamHash(entries)) }
            var report: AuditReport?
            let verify = try await clock.measure { report = try await f.store.verify(publicKeys: keys, defaultInterval: 1000) }
            precondition(report?.ok == true && report?.entries == Int64(auditEntries))
            let single = try await clock.measure {
                report = try await f.store.verify(publicKeys: keys, defaultInterval: 1000, parts: 1)
            }
            precondition(report?.ok == true)
            func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
            benchmark.measurement(.custom("verify_pct_of_raw_chain_sha256"), Int(100 * seconds(raw) / seconds(verify)))
            benchmark.measurement(.custom("verify_pct_of_raw_stream_sha256"), Int(100 * seconds(stream) / seconds(verify)))
            benchmark.measurement(.custom("verify_MB_per_s"), Int(Double(bytes) / seconds(verify) / 1e6))
            benchmark.measurement(.custom("one_core_verify_pct_of_raw_chain_sha256"), Int(100 * seconds(raw) / seconds(single)))
        }
    }
}
