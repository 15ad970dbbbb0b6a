import Foundation
import GRDB
import GRDBSQLite
import HonninCore
import HonninStore

/// The embedded default store: one SQLite file in WAL mode, shared safely by the server and
/// any number of `honnin` subcommands running at the same time (each write is an IMMEDIATE
/// transaction; waiting writers retry for up to ``busyTimeout``).
public final class SQLiteStore: Sendable {
    public let pool: DatabasePool
    public let path: String
    let appender: AuditAppender

    /// How long a writer waits for another process's write transaction before failing.
    public static let busyTimeout: TimeInterval = 10

    /// Opens (creating if needed) the database. Does not migrate: call ``migrate()``.
    public init(path: String, appender: AuditAppender) throws {
        self.path = path
        self.appender = appender
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.prepareDatabase { db in
            // Durability. In WAL mode, synchronous=NORMAL fsyncs only at checkpoints: a commit
            // survives a crash of the process (SIGKILL) but the last transactions can be lost
            // on power loss or an OS crash. synchronous=FULL fsyncs the WAL at every commit, so
            // a transaction that returned is on stable storage: nothing acknowledged is lost
            // either way. The cost is one fsync per write transaction, which is why writes
            // that belong together (a change and its audit entry) share one transaction.
            // (GRDB sets NORMAL on the writer when it enables WAL, after this closure runs, so
            // FULL is set again on the writer below, once the pool is open.)
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted content (erased data keys, ciphertexts) is overwritten with zeros rather
            // than left in free pages of the file.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Bound the WAL file's size after checkpoints (64 MiB).
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // Read through memory-mapped I/O (up to 256 MiB of the file) instead of a copy per
            // page: long scans such as `audit verify` are several times faster.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw HonninError(.storage, "cannot open database at \(path): \(error)")
        }
    }

    /// Applies pending migrations. Refuses a database written by a newer Honnin.
    /// Returns the identifiers applied now.
    @discardableResult
    public func migrate() throws -> [String] {
        let migrator = SchemaMigrations.migrator()
        return try wrap {
            let before = try pool.read { db in try migrator.appliedIdentifiers(db) }
            let known = Set(SchemaMigrations.all.map(\.id))
            let unknown = before.subtracting(known)
            guard unknown.isEmpty else {
                throw HonninError(
                    .databaseTooNew,
                    "the database has migrations this binary does not know (\(unknown.sorted().joined(separator: ", "))): upgrade Honnin")
            }
            try migrator.migrate(pool)
            return SchemaMigrations.all.map(\.id).filter { !before.contains($0) }
        }
    }

    /// Migration identifiers still to apply.
    public func pendingMigrations() throws -> [String] {
        let applied = try wrap { try pool.read { db in try SchemaMigrations.migrator().appliedIdentifiers(db) } }
        return SchemaMigrations.all.map(\.id).filter { !applied.contains($0) }
    }

    /// True when the database answers a query (for `/readyz`).
    public func isReachable() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Moves every WAL frame into the database file and truncates the WAL, so superseded page
    /// images (e.g. an erased data key) do not linger in it. Best effort: readers holding old
    /// snapshots may keep some frames until they finish.
    public func checkpointWAL() async {
        _ = try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Runs `body`, turning any database error into a ``HonninError`` with code `storage_error`.
    func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as HonninError {
            throw e
        } catch {
            throw HonninError(.storage, "\(error)")
        }
    }

    func wrap<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as HonninError {
            throw e
        } catch {
            throw HonninError(.storage, "\(error)")
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await wrap { try await pool.write(body) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await wrap { try await pool.read(body) }
    }

    // MARK: Audit, inside a caller's transaction

    static func head(_ db: Database) throws -> AuditHead? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1") else {
            return nil
        }
        let cp = try Row.fetchOne(db, sql: "SELECT seq, interval FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
        return AuditHead(
            seq: row["seq"], hash: [UInt8](row["hash"] as Data),
            lastCheckpoint: cp.map { (seq: $0["seq"], interval: $0["interval"]) })
    }

    /// Appends `event` to the chain within the current transaction.
    @discardableResult
    func appendAudit(_ event: AuditEvent, _ db: Database) throws -> AuditEntry {
        let (entry, checkpoint) = try appender.append(event, after: Self.head(db))
        try db.execute(
            sql: "INSERT INTO audit_entries (seq, body, hash) VALUES (?, ?, ?)",
            arguments: [entry.seq, Data(entry.body), Data(entry.hash)])
        if let c = checkpoint {
            try db.execute(
                sql: "INSERT INTO audit_checkpoints (seq, hash, interval, key_id, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [c.seq, Data(c.hash), c.interval, c.keyID, Data(c.signature)])
        }
        return entry
    }
}

extension SQLiteStore: AuditLogRepository {
    public func append(_ event: AuditEvent) async throws -> AuditEntry {
        try await write { db in try self.appendAudit(event, db) }
    }

    public func head() async throws -> AuditHead? { try await read { db in try Self.head(db) } }

    /// Walks the chain, streaming rows without copying their bytes. Each entry is checked against
    /// its predecessor's stored hash, so the chain splits into parts verified concurrently, one
    /// per core (parts of at least `minimumPart` entries); the first failure in chain order wins.
    public func verify(publicKeys: [AuditPublicKey], defaultInterval: Int64) async throws -> AuditReport {
        try await verify(publicKeys: publicKeys, defaultInterval: defaultInterval, parts: ProcessInfo.processInfo.activeProcessorCount)
    }

    public func verify(publicKeys: [AuditPublicKey], defaultInterval: Int64, parts: Int, minimumPart: Int64 = 20_000) async throws
        -> AuditReport
    {
        let (checkpoints, minSeq, maxSeq) = try await read { db in
            let checkpoints = try Row.fetchAll(db, sql: "SELECT seq, hash, interval, key_id, signature FROM audit_checkpoints")
                .map {
                    AuditCheckpoint(
                        seq: $0["seq"], hash: [UInt8]($0["hash"] as Data), interval: $0["interval"], keyID: $0["key_id"],
                        signature: [UInt8]($0["signature"] as Data))
                }
            let row = try Row.fetchOne(db, sql: "SELECT min(seq), max(seq) FROM audit_entries")
            return (checkpoints, (row?[0] as Int64?) ?? 1, (row?[1] as Int64?) ?? 0)
        }
        guard minSeq >= 1 else {
            return AuditReport(entries: 0, checkpoints: 0, unsignedTail: 0, failure: .init(seq: 1, problem: .sequenceGap))
        }
        let count = max(1, min(Int64(max(1, parts)), maxSeq / minimumPart))
        let size = (maxSeq + count - 1) / max(count, 1)
        let ranges = (0..<count).map { i in (i * size + 1, min(maxSeq, (i + 1) * size)) }.filter { $0.0 <= $0.1 }
        if ranges.count <= 1 {
            return try await verifyPart(1, maxSeq, isLast: true, publicKeys, checkpoints, defaultInterval)
        }
        let reports = try await withThrowingTaskGroup(of: (Int, AuditReport).self) { group in
            for (i, (lo, hi)) in ranges.enumerated() {
                group.addTask {
                    (i, try await self.verifyPart(lo, hi, isLast: i == ranges.count - 1, publicKeys, checkpoints, defaultInterval))
                }
            }
            var out = [AuditReport?](repeating: nil, count: ranges.count)
            for try await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
        let last = reports[reports.count - 1]
        return AuditReport(
            entries: reports.first { !$0.ok }?.entries ?? last.entries, checkpoints: reports.reduce(0) { $0 + $1.checkpoints },
            unsignedTail: last.unsignedTail, failure: reports.first { !$0.ok }?.failure)
    }

    private func verifyPart(
        _ lo: Int64, _ hi: Int64, isLast: Bool, _ publicKeys: [AuditPublicKey], _ checkpoints: [AuditCheckpoint], _ defaultInterval: Int64
    ) async throws -> AuditReport {
        try await read { db in
            var start: (seq: Int64, hash: [UInt8])? = nil
            if lo > 1 {
                let previous = try Data.fetchOne(db, sql: "SELECT hash FROM audit_entries WHERE seq = ?", arguments: [lo - 1])
                start = (lo - 1, previous.map { [UInt8]($0) } ?? [])
            }
            var verifier = AuditVerifier(publicKeys: publicKeys, checkpoints: checkpoints, defaultInterval: defaultInterval, after: start)
            // The hot loop steps SQLite directly and hands the column bytes to the verifier in
            // place: no allocation per entry.
            let statement = try db.makeStatement(
                sql: "SELECT seq, body, hash FROM audit_entries WHERE seq BETWEEN ? AND ? ORDER BY seq")
            statement.arguments = [lo, isLast ? Int64.max : hi]
            let stmt = statement.sqliteStatement
            defer { sqlite3_reset(stmt) }
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    throw HonninError(.storage, "reading the audit log failed: \(String(cString: sqlite3_errstr(rc)))")
                }
                let seq = sqlite3_column_int64(stmt, 0)
                // sqlite3_column_blob before sqlite3_column_bytes, as the SQLite documentation requires.
                let body = UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, 1), count: Int(sqlite3_column_bytes(stmt, 1)))
                let hash = UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, 2), count: Int(sqlite3_column_bytes(stmt, 2)))
                if !verifier.check(seq: seq, body: body, hash: hash) { break }
            }
            return isLast ? verifier.finish() : verifier.finishPart(through: hi)
        }
    }
}

extension SQLiteStore: APIKeyRepository {
    public func insert(_ key: APIKey, audit: AuditEvent) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, name, secret_sha256, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL)",
                arguments: [key.id.rawValue, key.name, Data(key.secretDigest), Timestamp.milliseconds(key.createdAt)])
            try self.appendAudit(audit, db)
        }
    }

    static func apiKey(_ row: Row) -> APIKey {
        APIKey(
            id: HonninID(trusted: row["id"]), name: row["name"], secretDigest: [UInt8](row["secret_sha256"] as Data),
            createdAt: Timestamp.date(milliseconds: row["created_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    public func find(_ id: HonninID) async throws -> APIKey? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id.rawValue]).map(Self.apiKey)
        }
    }

    public func list() async throws -> [APIKey] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map(Self.apiKey) }
    }

    public func revoke(_ id: HonninID, at: Date, audit: AuditEvent) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [Timestamp.milliseconds(at), id.rawValue])
            guard db.changesCount == 1 else { return false }
            try self.appendAudit(audit, db)
            return true
        }
    }
}

extension SQLiteStore: VaultRepository {
    public func activeKEK() async throws -> HonninID? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT id FROM vault_keks WHERE active = 1").map(HonninID.init(trusted:))
        }
    }

    public func activateKEK(_ id: HonninID, audit: AuditEvent) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE vault_keks SET active = 0 WHERE active = 1")
            try db.execute(
                sql: "INSERT INTO vault_keks (id, created_at, active) VALUES (?, ?, 1)",
                arguments: [id.rawValue, Timestamp.milliseconds(audit.at)])
            try self.appendAudit(audit, db)
        }
    }

    public func insert(_ record: SealedRecord, audit: AuditEvent) async throws {
        try await write { db in
            try Self.insertSealed(record, db)
            try self.appendAudit(audit, db)
        }
    }

    /// Inserts a sealed record within the caller's transaction; `.conflict` if its KEK is no
    /// longer the active one (a rotation happened since it was wrapped).
    static func insertSealed(_ record: SealedRecord, _ db: Database) throws {
        let active = try String.fetchOne(db, sql: "SELECT id FROM vault_keks WHERE active = 1")
        guard active == record.kekID.rawValue else {
            throw HonninError(.conflict, "key-encryption key \(record.kekID) is no longer active")
        }
        try db.execute(
            sql: "INSERT INTO vault_records (id, created_at, kek_id, wrapped_data_key) VALUES (?, ?, ?, ?)",
            arguments: [
                record.id.rawValue, Timestamp.milliseconds(record.createdAt), record.kekID.rawValue, Data(record.wrappedDataKey),
            ])
        let statement = try db.makeStatement(sql: "INSERT INTO vault_fields (record_id, name, sealed) VALUES (?, ?, ?)")
        for field in record.fields {
            try statement.execute(arguments: [record.id.rawValue, field.name, Data(field.sealed)])
        }
    }

    public func fetch(_ id: HonninID) async throws -> StoredRecord? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT created_at, kek_id, wrapped_data_key, erased_at FROM vault_records WHERE id = ?",
                    arguments: [id.rawValue])
            else { return nil }
            if let erased = row["erased_at"] as Int64? {
                return .erased(id: id, at: Timestamp.date(milliseconds: erased))
            }
            let fields = try Row.fetchAll(
                db, sql: "SELECT name, sealed FROM vault_fields WHERE record_id = ? ORDER BY name", arguments: [id.rawValue]
            ).map { SealedRecord.Field(name: $0["name"], sealed: [UInt8]($0["sealed"] as Data)) }
            return .sealed(
                SealedRecord(
                    id: id, createdAt: Timestamp.date(milliseconds: row["created_at"]), kekID: HonninID(trusted: row["kek_id"]),
                    wrappedDataKey: [UInt8](row["wrapped_data_key"] as Data), fields: fields))
        }
    }

    public func erase(_ id: HonninID, audit: AuditEvent) async throws -> Bool {
        let erased = try await write { db -> Bool in
            try db.execute(
                sql: """
                    UPDATE vault_records SET wrapped_data_key = NULL, kek_id = NULL, erased_at = ?
                    WHERE id = ? AND erased_at IS NULL
                    """,
                arguments: [Timestamp.milliseconds(audit.at), id.rawValue])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM vault_fields WHERE record_id = ?", arguments: [id.rawValue])
            try self.appendAudit(audit, db)
            return true
        }
        if erased { await checkpointWAL() }
        return erased
    }

    public func dataKeys(notWrappedBy kek: HonninID, limit: Int) async throws -> (batch: [WrappedDataKey], remaining: Int) {
        try await read { db in
            let remaining = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM vault_records WHERE kek_id IS NOT NULL AND kek_id != ?", arguments: [kek.rawValue]) ?? 0
            let batch = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, kek_id, wrapped_data_key FROM vault_records
                    WHERE kek_id IS NOT NULL AND kek_id != ? ORDER BY id LIMIT ?
                    """,
                arguments: [kek.rawValue, limit]
            ).map {
                WrappedDataKey(
                    recordID: HonninID(trusted: $0["id"]), kekID: HonninID(trusted: $0["kek_id"]),
                    wrapped: [UInt8]($0["wrapped_data_key"] as Data))
            }
            return (batch, remaining)
        }
    }

    public func replaceDataKeys(_ updates: [(old: WrappedDataKey, new: WrappedDataKey)]) async throws -> Int {
        let rows = updates.map { ($0.old.recordID.rawValue, $0.old.kekID.rawValue, Data($0.old.wrapped), $0.new.kekID.rawValue, Data($0.new.wrapped)) }
        return try await write { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE vault_records SET kek_id = ?, wrapped_data_key = ?
                    WHERE id = ? AND kek_id = ? AND wrapped_data_key = ?
                    """)
            var n = 0
            for (id, oldKEK, oldWrapped, newKEK, newWrapped) in rows {
                try statement.execute(arguments: [newKEK, newWrapped, id, oldKEK, oldWrapped])
                n += db.changesCount
            }
            return n
        }
    }
}
