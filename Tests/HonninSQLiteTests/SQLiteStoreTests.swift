import Foundation
import GRDB
import HonninCore
import HonninSQLite
import HonninStore
import HonninTesting
import Testing

/// A SQLite store in a temporary directory with file keys, as `honnin serve` opens it.
struct SQLiteHarness {
    let dir: TemporaryDirectory
    let keys: FileKeyMaterialStore
    let signing: AuditSigningKey
    let store: SQLiteStore
    let vault: Vault
    let clock = FixedClock()

    init(interval: Int64 = 4) throws {
        dir = try TemporaryDirectory()
        keys = try FileKeyMaterialStore(directory: dir.url.appendingPathComponent("keys"), clock: clock)
        signing = try keys.auditSigningKey()
        store = try SQLiteStore(path: dir.url.appendingPathComponent("honnin.sqlite").path, appender: AuditAppender(signingKey: signing, interval: interval))
        try store.migrate()
        vault = Vault(repository: store, keys: keys, clock: clock, random: SystemRandom())
    }

    var databaseFiles: [String] { ["honnin.sqlite", "honnin.sqlite-wal", "honnin.sqlite-shm"].map { dir.url.appendingPathComponent($0).path } }

    func allDatabaseBytes() -> [[UInt8]] { databaseFiles.map(fileBytes) }

    /// Runs raw SQL as an attacker with write access to the file would (triggers dropped).
    func tamper(_ sql: String, _ arguments: StatementArguments = []) async throws {
        try await store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_entries_append_only_u")
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_checkpoints_append_only_u")
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_entries_append_only_d")
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_checkpoints_append_only_d")
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    func verify() async throws -> AuditReport {
        try await store.verify(publicKeys: [signing.publicKey], defaultInterval: 4)
    }
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("WAL journal and synchronous=FULL are in force")
    func durabilitySettings() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let (mode, sync, secure) = try await h.store.pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA secure_delete")
            )
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        #expect(secure == 1)
    }

    @Test("the database file and its WAL hold no plaintext of stored personal data")
    func noPlaintextOnDisk() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        try await h.vault.bootstrap(actor: "test")
        let name = "山田 花子"
        let kana = "ヤマダ ハナコ"
        let address = "北海道札幌市中央区北1条西2丁目"
        for _ in 0..<3 {
            _ = try await h.vault.seal(
                [VaultField(name: "name", text: name), VaultField(name: "name_kana", text: kana), VaultField(name: "address", text: address)],
                actor: "test")
        }
        let files = h.allDatabaseBytes()
        #expect(files[0].count + files[1].count > 0)
        #expect(!files[1].isEmpty, "the WAL should hold the recent writes (checked before any checkpoint)")
        for needle in [name, kana, address, "山田", "札幌市"] {
            for (i, bytes) in files.enumerated() {
                #expect(!bytes.contains(subsequence: Array(needle.utf8)), "\(needle) found in \(h.databaseFiles[i])")
            }
        }
        // Sanity check of the search itself: it does find a known plaintext (the field name).
        #expect(files.contains { $0.contains(subsequence: Array("name_kana".utf8)) })
    }

    @Test("changing any single byte of a stored audit entry or checkpoint makes verify fail at that entry")
    func auditTamperEveryByte() async throws {
        let h = try SQLiteHarness(interval: 4)
        defer { h.dir.remove() }
        for i in 0..<10 {
            try await h.store.append(AuditEvent(action: "test.event", actor: "cli", subject: "vlt_\(i)", at: h.clock.now()))
        }
        #expect(try await h.verify().ok)
        let original = try await h.store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT body, hash FROM audit_entries WHERE seq = 6")!
        }
        let body = [UInt8](original["body"] as Data)
        let hash = [UInt8](original["hash"] as Data)
        for (column, bytes) in [("body", body), ("hash", hash)] {
            for i in 0..<bytes.count {
                var altered = bytes
                altered[i] ^= 0x20
                try await h.tamper("UPDATE audit_entries SET \(column) = ? WHERE seq = 6", [Data(altered)])
                let report = try await h.verify()
                #expect(report.failure?.seq == 6, "\(column) byte \(i)")
            }
            try await h.tamper("UPDATE audit_entries SET \(column) = ? WHERE seq = 6", [Data(bytes)])
        }
        #expect(try await h.verify().ok)
        // The checkpoint at entry 8: every byte of every column.
        let cp = try await h.store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT hash, interval, key_id, signature FROM audit_checkpoints WHERE seq = 8")!
        }
        for column in ["hash", "signature"] {
            let bytes = [UInt8](cp[column] as Data)
            for i in 0..<bytes.count {
                var altered = bytes
                altered[i] ^= 0x01
                try await h.tamper("UPDATE audit_checkpoints SET \(column) = ? WHERE seq = 8", [Data(altered)])
                #expect(try await h.verify().failure?.seq == 8, "checkpoint \(column) byte \(i)")
            }
            try await h.tamper("UPDATE audit_checkpoints SET \(column) = ? WHERE seq = 8", [Data(bytes)])
        }
        let keyID: String = cp["key_id"]
        var keyBytes = Array(keyID.utf8)
        for i in 0..<keyBytes.count {
            let saved = keyBytes[i]
            keyBytes[i] = saved == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            try await h.tamper("UPDATE audit_checkpoints SET key_id = ? WHERE seq = 8", [String(decoding: keyBytes, as: UTF8.self)])
            #expect(try await h.verify().failure?.seq == 8, "key id byte \(i)")
            keyBytes[i] = saved
        }
        try await h.tamper("UPDATE audit_checkpoints SET key_id = ? WHERE seq = 8", [keyID])
        try await h.tamper("UPDATE audit_checkpoints SET interval = 5 WHERE seq = 8")
        #expect(try await h.verify().failure?.seq == 8)
        try await h.tamper("UPDATE audit_checkpoints SET interval = 4 WHERE seq = 8")
        try await h.tamper("UPDATE audit_checkpoints SET seq = 9 WHERE seq = 8")
        #expect(try await h.verify().failure?.seq == 8)
        try await h.tamper("UPDATE audit_checkpoints SET seq = 8 WHERE seq = 9")
        #expect(try await h.verify().ok)
    }

    @Test("verifying in parallel parts finds exactly what a single walk finds")
    func parallelVerification() async throws {
        let h = try SQLiteHarness(interval: 7)
        defer { h.dir.remove() }
        for i in 0..<1000 {
            try await h.store.append(AuditEvent(action: "test.event", actor: "cli", subject: "vlt_\(i)", at: h.clock.now()))
        }
        func both() async throws -> (AuditReport, AuditReport) {
            let one = try await h.store.verify(publicKeys: [h.signing.publicKey], defaultInterval: 7, parts: 1)
            let four = try await h.store.verify(publicKeys: [h.signing.publicKey], defaultInterval: 7, parts: 4, minimumPart: 50)
            return (one, four)
        }
        var (one, four) = try await both()
        #expect(one.ok && four.ok)
        #expect(one == four)
        #expect(four.checkpoints == 142 && four.unsignedTail == 6)
        // Parts are 1–250, 251–500, 501–750, 751–1000: tamper on and around the boundaries.
        for seq in [1, 249, 250, 251, 252, 500, 501, 750, 999, 1000] {
            let original = try await h.store.pool.read { db in try Data.fetchOne(db, sql: "SELECT body FROM audit_entries WHERE seq = ?", arguments: [seq])! }
            var altered = [UInt8](original)
            altered[10] ^= 1
            try await h.tamper("UPDATE audit_entries SET body = ? WHERE seq = ?", [Data(altered), seq])
            (one, four) = try await both()
            #expect(one.failure?.seq == Int64(seq))
            #expect(four.failure == one.failure, "tampered entry \(seq)")
            try await h.tamper("UPDATE audit_entries SET body = ? WHERE seq = ?", [original, seq])
        }
        // A deleted entry at a part boundary, and a deleted checkpoint just before one.
        try await h.tamper("DELETE FROM audit_entries WHERE seq = 251")
        (one, four) = try await both()
        #expect(one.failure == .init(seq: 251, problem: .sequenceGap))
        #expect(four.failure == one.failure)
        try await h.tamper("DELETE FROM audit_checkpoints WHERE seq = 245")
        (one, four) = try await both()
        #expect(one.failure?.seq == 245)
        #expect(four.failure == one.failure)
    }

    @Test("the audit tables refuse updates and deletes")
    func appendOnly() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        try await h.store.append(AuditEvent(action: "a", actor: "cli", at: h.clock.now()))
        await #expect(throws: (any Error).self) {
            try await h.store.pool.write { db in try db.execute(sql: "UPDATE audit_entries SET body = x'00'") }
        }
        await #expect(throws: (any Error).self) {
            try await h.store.pool.write { db in try db.execute(sql: "DELETE FROM audit_entries") }
        }
    }

    @Test("erasure leaves neither the data key nor the ciphertexts in the database or WAL")
    func erasureIsUnrecoverable() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let (kek, _) = try await h.vault.bootstrap(actor: "test")
        let (id, _) = try await h.vault.seal([VaultField(name: "address", text: "大阪府大阪市北区梅田1-1-1")], actor: "test")
        let (other, _) = try await h.vault.seal([VaultField(name: "address", text: "福岡県福岡市")], actor: "test")
        guard case .sealed(let before) = try await h.store.fetch(id) else {
            Issue.record("record missing")
            return
        }
        #expect(try await h.vault.erase(id, actor: "test", reason: "data-subject request"))
        let files = h.allDatabaseBytes()
        for (i, bytes) in files.enumerated() {
            #expect(!bytes.contains(subsequence: before.wrappedDataKey), "wrapped data key in \(h.databaseFiles[i])")
            for f in before.fields {
                #expect(!bytes.contains(subsequence: f.sealed), "ciphertext in \(h.databaseFiles[i])")
            }
        }
        // Holding the KEK helps nothing: no wrapped key for this record exists anywhere.
        _ = try h.keys.kek(kek)
        await #expect(throws: HonninError(.erased, "")) { try await h.vault.open(id) }
        #expect(try await h.vault.open(other)["address"]?.revealed == Array("福岡県福岡市".utf8))
        #expect(try await h.verify().ok)
    }

    @Test("key rotation re-wraps 1,200 data keys in batches and keeps every record readable")
    func rotation() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let (old, _) = try await h.vault.bootstrap(actor: "test")
        var ids: [HonninID] = []
        for i in 0..<1200 { ids.append(try await h.vault.seal([VaultField(name: "n", text: "番号\(i)")], actor: "t").id) }
        let before = try await h.store.fetch(ids[0])
        var steps = 0
        let (new, total) = try await h.vault.rotate(actor: "test", batchSize: 500) { _ in steps += 1 }
        #expect(total == 1200)
        #expect(steps == 3)
        #expect(new != old)
        #expect(try await h.store.activeKEK() == new)
        #expect(try await h.store.dataKeys(notWrappedBy: new, limit: 1).remaining == 0)
        // Field ciphertexts were not touched; only the wrapped key changed.
        guard case .sealed(let b) = before, case .sealed(let a) = try await h.store.fetch(ids[0]) else { return }
        #expect(a.fields == b.fields)
        #expect(a.wrappedDataKey != b.wrappedDataKey)
        for i in stride(from: 0, to: 1200, by: 97) {
            #expect(try await h.vault.open(ids[i])["n"]?.revealed == Array("番号\(i)".utf8))
        }
        #expect(try await h.verify().ok)
    }

    @Test("a missing key file is reported clearly")
    func missingKeyFile() async throws {
        let h = try SQLiteHarness()
        defer { h.dir.remove() }
        let (kek, _) = try await h.vault.bootstrap(actor: "test")
        let (id, _) = try await h.vault.seal([VaultField(name: "n", text: "x")], actor: "t")
        try FileManager.default.removeItem(at: h.keys.directory.appendingPathComponent("\(kek.rawValue).key"))
        let fresh = try FileKeyMaterialStore(directory: h.keys.directory)
        let vault = Vault(repository: h.store, keys: fresh, clock: h.clock, random: SystemRandom())
        await #expect(throws: HonninError(.keyUnavailable, "")) { try await vault.open(id) }
        await #expect(throws: HonninError(.keyUnavailable, "")) { try await vault.bootstrap(actor: "t") }
        // Malformed key files are refused with the same typed error, never a crash.
        let path = h.keys.directory.appendingPathComponent("\(kek.rawValue).key")
        for bad in ["", "{", "[]", "{\"id\":\"\(kek.rawValue)\",\"kind\":\"kek\",\"key\":\"AAAA\"}",
                    "{\"id\":\"kek_other\",\"kind\":\"kek\",\"key\":\"\(String(repeating: "A", count: 43))\"}", "\u{0}\u{1}"] {
            try Data(bad.utf8).write(to: path)
            let store = try FileKeyMaterialStore(directory: h.keys.directory)
            #expect(throws: HonninError(.keyUnavailable, "")) { try store.kek(kek) }
        }
    }
}

@Suite("Schema migrations")
struct MigrationTests {
    static func fixture(_ id: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "MigrationFixtures/\(id)", withExtension: "sql"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Opens a fresh database migrated up to (and including) `upTo`, or nothing when nil.
    func database(upTo: String?) throws -> (TemporaryDirectory, DatabasePool) {
        let dir = try TemporaryDirectory()
        let pool = try DatabasePool(path: dir.url.appendingPathComponent("m.sqlite").path)
        if let upTo { try SchemaMigrations.migrator().migrate(pool, upTo: upTo) }
        return (dir, pool)
    }

    @Test("migrations are numbered in order and forward-only")
    func numbering() {
        let ids = SchemaMigrations.all.map(\.id)
        for (i, id) in ids.enumerated() {
            #expect(id.hasPrefix(String(format: "%04d_", i + 1)))
        }
    }

    @Test("each migration runs on a database holding the previous version's fixtures", arguments: SchemaMigrations.all.indices)
    func migrationOnFixtures(_ index: Int) throws {
        let all = SchemaMigrations.all
        let previous = index > 0 ? all[index - 1].id : nil
        let (dir, pool) = try database(upTo: previous)
        defer { dir.remove() }
        // Load every fixture up to the previous version, as a database of that version would hold.
        try pool.write { db in
            // Rows of a table a later migration dropped (reviewer_sessions, 0007) are left out.
            let dropped = try !db.tableExists("reviewer_sessions")
            for m in all.prefix(index) {
                let statements = try Self.fixture(m.id).components(separatedBy: ";\n").filter { !dropped || !$0.contains("reviewer_sessions") }
                try db.execute(sql: statements.joined(separator: ";\n"))
            }
        }
        let counts: (Int, Int, Int) = try pool.read { db in
            func count(_ table: String) throws -> Int {
                try db.tableExists(table) ? Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 : -1
            }
            return (try count("audit_entries"), try count("api_keys"), try count("vault_records"))
        }
        try SchemaMigrations.migrator().migrate(pool, upTo: all[index].id)
        try pool.write { (db: Database) throws -> Void in
            // The fixtures survive unchanged in number.
            func count(_ table: String) throws -> Int {
                try db.tableExists(table) ? Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 : -1
            }
            if counts.0 >= 0 { #expect(try count("audit_entries") == counts.0) }
            if counts.1 >= 0 { #expect(try count("api_keys") == counts.1) }
            if counts.2 >= 0 { #expect(try count("vault_records") == counts.2) }
            // And this version's own fixtures load into the new schema.
            try db.execute(sql: try Self.fixture(all[index].id))
        }
        try pool.read { (db: Database) throws -> Void in
            switch all[index].id {
            case "0001_audit_log":
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_entries") == 2)
            case "0002_api_keys":
                #expect(try String.fetchOne(db, sql: "SELECT name FROM api_keys WHERE revoked_at IS NULL") == "fixture active")
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_entries") == 2)
            case "0003_vault":
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM vault_records WHERE erased_at IS NULL") == 1)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM api_keys") == 2)
            case "0004_verifications":
                #expect(try String.fetchOne(db, sql: "SELECT state FROM verifications") == "needs_review")
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'") == 1)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM vault_records") == 2)
            case "0005_reviews_records":
                #expect(try String.fetchOne(db, sql: "SELECT username FROM reviewers") == "fixture")
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM verification_records WHERE expires_at IS NULL") == 1)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM verifications") == 1)
            case "0006_accounts":
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM authenticators WHERE account_id = 'acc_01jd0000000000000000000001'") == 2)
                #expect(try Int.fetchOne(db, sql: "SELECT failures FROM login_throttles") == 2)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM reviewers") == 1)
            case "0007_reviewers_sign_in_as_accounts":
                #expect(try db.tableExists("reviewer_sessions") == false)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM reviewers WHERE password_hash = '-'") == 2)
            case "0008_jpki_card_holder":
                #expect(try String.fetchOne(db, sql: "SELECT id FROM authenticators INDEXED BY authenticators_by_jpki_holder WHERE jpki_holder = 'aG9sZGVy'")
                    == "atr_01jd0000000000000000000004")
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM authenticators WHERE method = 'jpki_user_certificate'") == 2)
            default:
                Issue.record("migration \(all[index].id) has no fixture check: add one here")
            }
        }
    }

    @Test("the vault schema rejects a record that is both erased and keyed")
    func vaultConstraints() throws {
        let (dir, pool) = try database(upTo: "0003_vault")
        defer { dir.remove() }
        #expect(throws: (any Error).self) {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO vault_keks VALUES ('kek_a', 0, 1)")
                try db.execute(sql: "INSERT INTO vault_records VALUES ('vlt_a', 0, 'kek_a', x'00', 5)")
            }
        }
    }

    @Test("a database from a newer Honnin is refused with a clear error")
    func newerDatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.url.appendingPathComponent("n.sqlite").path
        let keys = InMemoryKeyMaterialStore()
        let store = try SQLiteStore(path: path, appender: AuditAppender(signingKey: try keys.auditSigningKey(), interval: 10))
        try store.migrate()
        try store.pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0999_future')") }
        #expect(throws: HonninError(.databaseTooNew, "")) { try store.migrate() }
        #expect(try store.pendingMigrations().isEmpty)
    }
}
