import Crypto
import Foundation
import HonninCore
import HonninStore
import HonninTesting
import Testing

@Suite("Audit chain")
struct AuditTests {
    /// A chain of `count` entries with a checkpoint every `interval`.
    func makeChain(_ count: Int, interval: Int64 = 4) async throws -> InMemoryHarness {
        let h = try InMemoryHarness(checkpointInterval: interval)
        for i in 0..<count {
            try await h.store.append(
                AuditEvent(
                    action: "test.event", actor: "test", subject: "vlt_\(i)", details: ["n": "\(i)"],
                    at: h.clock.now().addingTimeInterval(Double(i))))
        }
        return h
    }

    func verify(_ h: InMemoryHarness, interval: Int64 = 4) async throws -> AuditReport {
        await h.store.verify(publicKeys: [h.signingKey.publicKey], defaultInterval: interval)
    }

    @Test("an untouched chain verifies, with checkpoints every N entries")
    func intact() async throws {
        let h = try await makeChain(10)
        let report = try await verify(h)
        #expect(report.ok)
        #expect(report.entries == 10)
        #expect(report.checkpoints == 2)  // at 4 and 8
        #expect(report.unsignedTail == 2)
        let (entries, checkpoints) = await h.store.chain()
        #expect(checkpoints.map(\.seq) == [4, 8])
        // Entries hold ids and codes, not personal data, and are canonical JSON.
        #expect(String(decoding: entries[0].body, as: UTF8.self).hasPrefix("{\"action\":\"test.event\""))
    }

    @Test("changing any single byte of an entry fails verification at that entry")
    func everyByteOfAnEntry() async throws {
        let h = try await makeChain(10)
        let (entries, checkpoints) = await h.store.chain()
        let target = 6  // seq 7
        for field in 0..<2 {
            let length = field == 0 ? entries[target].body.count : entries[target].hash.count
            for i in 0..<length {
                var tampered = entries
                var body = entries[target].body
                var hash = entries[target].hash
                if field == 0 { body[i] ^= 0x01 } else { hash[i] ^= 0x80 }
                tampered[target] = AuditEntry(seq: entries[target].seq, body: body, hash: hash)
                await h.store.replaceChain(entries: tampered, checkpoints: checkpoints)
                let report = try await verify(h)
                #expect(report.failure?.seq == 7, "byte \(i) of field \(field)")
            }
        }
    }

    @Test("renumbering, removing or reordering entries is detected")
    func structure() async throws {
        let h = try await makeChain(10)
        let (entries, checkpoints) = await h.store.chain()
        var removed = entries
        removed.remove(at: 2)
        await h.store.replaceChain(entries: removed, checkpoints: checkpoints)
        #expect(try await verify(h).failure == .init(seq: 3, problem: .sequenceGap))

        var renumbered = entries
        renumbered[2] = AuditEntry(seq: 99, body: entries[2].body, hash: entries[2].hash)
        await h.store.replaceChain(entries: renumbered, checkpoints: checkpoints)
        #expect(try await verify(h).failure?.seq == 3)

        // Truncating the tail beyond the last checkpoint's entry leaves a dangling checkpoint.
        await h.store.replaceChain(entries: Array(entries.prefix(6)), checkpoints: checkpoints)
        #expect(try await verify(h).failure == .init(seq: 7, problem: .missingEntry))
    }

    @Test("a chain rewritten from some entry on, hashes recomputed, fails at the next checkpoint")
    func rewrite() async throws {
        let h = try await makeChain(10)
        let (entries, checkpoints) = await h.store.chain()
        var rewritten = Array(entries.prefix(4))
        var previous = entries[3].hash
        for e in entries.dropFirst(4) {
            var body = e.body
            if e.seq == 5 { body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "vlt_4", with: "vlt_X").utf8) }
            let hash = Array(body.withUnsafeBytes { AuditChain.hash(previous: previous, seq: e.seq, body: $0) })
            rewritten.append(AuditEntry(seq: e.seq, body: body, hash: hash))
            previous = hash
        }
        await h.store.replaceChain(entries: rewritten, checkpoints: checkpoints)
        #expect(try await verify(h).failure == .init(seq: 8, problem: .checkpointMismatch))
    }

    @Test("changing any single byte of a checkpoint fails verification at its entry")
    func everyByteOfACheckpoint() async throws {
        let h = try await makeChain(10)
        let (entries, checkpoints) = await h.store.chain()
        let c = checkpoints[1]  // seq 8
        func check(_ altered: AuditCheckpoint, _ label: String) async throws {
            await h.store.replaceChain(entries: entries, checkpoints: [checkpoints[0], altered])
            let report = try await verify(h)
            #expect(report.failure?.seq == 8, "\(label)")
        }
        for i in 0..<c.hash.count {
            var b = c.hash
            b[i] ^= 1
            try await check(AuditCheckpoint(seq: c.seq, hash: b, interval: c.interval, keyID: c.keyID, signature: c.signature), "hash \(i)")
        }
        for i in 0..<c.signature.count {
            var b = c.signature
            b[i] ^= 1
            try await check(AuditCheckpoint(seq: c.seq, hash: c.hash, interval: c.interval, keyID: c.keyID, signature: b), "sig \(i)")
        }
        for bit in 0..<8 {
            try await check(
                AuditCheckpoint(seq: c.seq, hash: c.hash, interval: c.interval ^ (1 << bit), keyID: c.keyID, signature: c.signature),
                "interval bit \(bit)")
        }
        var id = Array(c.keyID.utf8)
        id[id.count - 1] ^= 1
        try await check(
            AuditCheckpoint(seq: c.seq, hash: c.hash, interval: c.interval, keyID: String(decoding: id, as: UTF8.self), signature: c.signature),
            "key id")
        // Moving the checkpoint to another entry: the entry it should sit on lacks one.
        try await check(AuditCheckpoint(seq: 9, hash: c.hash, interval: c.interval, keyID: c.keyID, signature: c.signature), "seq")
    }

    @Test("removing a checkpoint is detected where it was due")
    func missingCheckpoint() async throws {
        let h = try await makeChain(10)
        let (entries, checkpoints) = await h.store.chain()
        await h.store.replaceChain(entries: entries, checkpoints: [checkpoints[1]])
        #expect(try await verify(h).failure?.seq == 4)
        await h.store.replaceChain(entries: entries, checkpoints: [checkpoints[0]])
        #expect(try await verify(h).failure == .init(seq: 8, problem: .missingCheckpoint))
    }

    @Test("a checkpoint signed by another key is rejected")
    func foreignKey() async throws {
        let h = try await makeChain(5)
        let stranger = AuditPublicKey(id: h.signingKey.id, key: Curve25519.Signing.PrivateKey().publicKey)
        let report = await h.store.verify(publicKeys: [stranger], defaultInterval: 4)
        #expect(report.failure == .init(seq: 4, problem: .badCheckpointSignature))
        let none = await h.store.verify(publicKeys: [], defaultInterval: 4)
        #expect(none.failure == .init(seq: 4, problem: .unknownCheckpointKey))
    }

    @Test("public key files round-trip and malformed ones are rejected")
    func publicKeyFiles() throws {
        let h = try InMemoryHarness()
        let exported = h.signingKey.publicKey.exported()
        #expect(try AuditPublicKey.parse(exported).key.rawRepresentation == h.signingKey.publicKey.key.rawRepresentation)
        for bad in ["", "{}", "[1]", "{\"id\":\"ask_x\",\"alg\":\"Ed25519\",\"public_key\":\"AA\"}", "\u{0}"] {
            #expect(throws: HonninError.self) { try AuditPublicKey.parse(Array(bad.utf8)) }
        }
    }
}

@Suite("API keys")
struct APIKeyTests {
    @Test("a created key authenticates with its token and no other; revocation takes effect")
    func lifecycle() async throws {
        let h = try InMemoryHarness()
        let (key, token) = try await h.apiKeys.create(name: "shop backend", actor: "test")
        #expect(token.revealed.hasPrefix("hnn_"))
        #expect(token.revealed.count == 74)
        #expect(try await h.apiKeys.authenticate(token.revealed)?.id == key.id)
        // The store holds a digest, never the secret.
        let stored = try #require(await h.store.find(key.id))
        #expect(!Array(token.revealed.utf8).contains(subsequence: stored.secretDigest))
        var wrong = Array(token.revealed.utf8)
        wrong[wrong.count - 2] = wrong[wrong.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(try await h.apiKeys.authenticate(String(decoding: wrong, as: UTF8.self)) == nil)
        #expect(try await h.apiKeys.revoke(key.id, actor: "test"))
        #expect(try await h.apiKeys.authenticate(token.revealed) == nil)
        #expect(try await !h.apiKeys.revoke(key.id, actor: "test"))
    }

    @Test("malformed tokens are refused without error", arguments: [
        "", "hnn_", "Bearer x", "hnn_\(String(repeating: "0", count: 26))_\(String(repeating: "A", count: 43))",
        "hnn_\(String(repeating: "0", count: 26))-\(String(repeating: "A", count: 43))",
        "xyz_\(String(repeating: "0", count: 26))_\(String(repeating: "A", count: 43))",
        "hnn_\(String(repeating: "0", count: 26))_\(String(repeating: "*", count: 43))", String(repeating: "あ", count: 74),
    ])
    func malformed(_ token: String) async throws {
        let h = try InMemoryHarness()
        #expect(try await h.apiKeys.authenticate(token) == nil)
    }

    @Test("names are validated", arguments: ["", "   ", String(repeating: "x", count: 101), "a\u{7}b"])
    func names(_ name: String) async throws {
        let h = try InMemoryHarness()
        await #expect(throws: HonninError(.invalidInput, "")) { try await h.apiKeys.create(name: name, actor: "t") }
    }
}
