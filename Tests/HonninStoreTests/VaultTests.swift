import Crypto
import Foundation
import HonninCore
import HonninStore
import HonninTesting
import Testing

@Suite("Vault (envelope encryption)")
struct VaultTests {
    let fields = [VaultField(name: "name", text: "山田 太郎"), VaultField(name: "address", text: "東京都千代田区千代田1-1")]

    @Test("seals and opens a record")
    func roundTrip() async throws {
        let h = try InMemoryHarness()
        try await h.vault.bootstrap(actor: "test")
        let (id, _) = try await h.vault.seal(fields, actor: "test")
        let record = try await h.vault.open(id)
        #expect(record["name"]?.revealed == Array("山田 太郎".utf8))
        #expect(record["address"]?.revealed == Array("東京都千代田区千代田1-1".utf8))
    }

    @Test("each record gets its own data key: equal plaintexts give unrelated ciphertexts")
    func distinctDataKeys() async throws {
        let h = try InMemoryHarness()
        try await h.vault.bootstrap(actor: "test")
        let a = try await h.vault.seal(fields, actor: "t").id
        let b = try await h.vault.seal(fields, actor: "t").id
        guard case .sealed(let ra) = await h.store.fetch(a), case .sealed(let rb) = await h.store.fetch(b) else {
            Issue.record("records missing")
            return
        }
        #expect(ra.wrappedDataKey != rb.wrappedDataKey)
        #expect(ra.fields[0].sealed != rb.fields[0].sealed)
    }

    @Test("a ciphertext moved to another field or record does not open (associated data binds it)")
    func associatedDataBinding() async throws {
        let h = try InMemoryHarness()
        try await h.vault.bootstrap(actor: "test")
        let a = try await h.vault.seal(fields, actor: "t").id
        let b = try await h.vault.seal(fields, actor: "t").id
        guard case .sealed(let ra) = await h.store.fetch(a), case .sealed(let rb) = await h.store.fetch(b) else { return }
        // Swap the two fields' ciphertexts inside record a.
        let swapped = SealedRecord(
            id: ra.id, createdAt: ra.createdAt, kekID: ra.kekID, wrappedDataKey: ra.wrappedDataKey,
            fields: [.init(name: "name", sealed: ra.fields[1].sealed), .init(name: "address", sealed: ra.fields[0].sealed)])
        let tampered = InMemoryHarness.Tamper(harness: h)
        await tampered.put(swapped)
        await #expect(throws: HonninError(.cryptography, "")) { try await h.vault.open(a) }
        // Give record a the wrapped data key of record b.
        let foreignKey = SealedRecord(
            id: ra.id, createdAt: ra.createdAt, kekID: ra.kekID, wrappedDataKey: rb.wrappedDataKey, fields: ra.fields)
        await tampered.put(foreignKey)
        await #expect(throws: HonninError(.cryptography, "")) { try await h.vault.open(a) }
    }

    @Test("erasing destroys the data key: the record cannot be opened, even holding the KEK")
    func erase() async throws {
        let h = try InMemoryHarness()
        let (kekID, _) = try await h.vault.bootstrap(actor: "test")
        let (id, _) = try await h.vault.seal(fields, actor: "t")
        guard case .sealed(let before) = await h.store.fetch(id) else { return }
        #expect(try await h.vault.erase(id, actor: "t", reason: "test"))
        #expect(try await !h.vault.erase(id, actor: "t", reason: "again"))
        await #expect(throws: HonninError(.erased, "")) { try await h.vault.open(id) }
        guard case .erased = await h.store.fetch(id) else {
            Issue.record("expected a tombstone")
            return
        }
        // The KEK still exists, but nothing it wraps belongs to this record any more.
        _ = try h.keys.kek(kekID)
        let remaining = await h.store.dataKeys(notWrappedBy: HonninID(trusted: "kek_none"), limit: 100).batch
        #expect(!remaining.contains { $0.recordID == id || $0.wrapped == before.wrappedDataKey })
        let chain = await h.store.chain().entries.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(chain.contains { $0.contains("vault.record.erased") && $0.contains("destroyed") })
    }

    @Test("key rotation re-wraps every data key and keeps every record readable")
    func rotation() async throws {
        let h = try InMemoryHarness()
        let (old, _) = try await h.vault.bootstrap(actor: "test")
        var ids: [HonninID] = []
        for i in 0..<25 { ids.append(try await h.vault.seal([VaultField(name: "n", text: "記録\(i)")], actor: "t").id) }
        var progress: [Int] = []
        let (new, total) = try await h.vault.rotate(actor: "t", batchSize: 10) { progress.append($0.rewrapped) }
        #expect(new != old)
        #expect(total == 25)
        #expect(progress == [10, 20, 25])
        #expect(await h.store.dataKeys(notWrappedBy: new, limit: 100).remaining == 0)
        for (i, id) in ids.enumerated() {
            #expect(try await h.vault.open(id)["n"]?.revealed == Array("記録\(i)".utf8))
        }
    }

    @Test("a record sealed under a KEK that was rotated meanwhile is rejected by the repository and re-sealed")
    func insertConflictRetries() async throws {
        let h = try InMemoryHarness()
        let (old, _) = try await h.vault.bootstrap(actor: "test")
        let newKEK = try h.keys.createKEK()
        try await h.store.activateKEK(newKEK.id, audit: AuditEvent(action: "t", actor: "t", at: h.clock.now()))
        let stale = SealedRecord(
            id: HonninID(trusted: "vlt_00000000000000000000000000"), createdAt: h.clock.now(), kekID: old, wrappedDataKey: [1],
            fields: [])
        await #expect(throws: HonninError(.conflict, "")) {
            try await h.store.insert(stale, audit: AuditEvent(action: "t", actor: "t", at: h.clock.now()))
        }
        let (id, _) = try await h.vault.seal(fields, actor: "t")
        guard case .sealed(let r) = await h.store.fetch(id) else { return }
        #expect(r.kekID == newKEK.id)
    }
}

extension InMemoryHarness {
    /// Test-only access that overwrites a stored record, as an attacker with write access to the store would.
    struct Tamper {
        let harness: InMemoryHarness
        func put(_ record: SealedRecord) async { await harness.store.overwriteForTesting(record) }
    }
}
