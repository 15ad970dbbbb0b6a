import Crypto
import Foundation
import HonninCore

/// Something that happened, to be written to the audit log. Holds identifiers, codes and
/// digests only: never personal data in clear (names, addresses, dates of birth, document
/// numbers, images). `details` values are short strings chosen by the caller under that rule.
public struct AuditEvent: Sendable, Equatable {
    /// Dotted action code, e.g. `apikey.created`, `vault.record.erased`.
    public let action: String
    /// Who did it: `cli`, `system`, `apikey:key_…`, `reviewer:…`.
    public let actor: String
    /// The object acted on (an identifier), if any.
    public let subject: String?
    public let details: [String: String]
    public let at: Date

    public init(action: String, actor: String, subject: String? = nil, details: [String: String] = [:], at: Date) {
        self.action = action
        self.actor = actor
        self.subject = subject
        self.details = details
        self.at = at
    }
}

/// One link of the chain as stored: the exact bytes that were hashed and the hash.
public struct AuditEntry: Sendable, Equatable {
    public let seq: Int64
    /// Canonical JSON of the event (sorted keys, no insignificant whitespace).
    public let body: [UInt8]
    /// `SHA-256(domain ‖ previous hash ‖ seq as 8 bytes big-endian ‖ body)`.
    public let hash: [UInt8]

    public init(seq: Int64, body: [UInt8], hash: [UInt8]) {
        self.seq = seq
        self.body = body
        self.hash = hash
    }
}

/// A signed statement "entry `seq` has hash `hash`; the next checkpoint comes within `interval`
/// entries", so a truncated or rewritten chain is caught even by someone who can recompute
/// every hash.
public struct AuditCheckpoint: Sendable, Equatable {
    public let seq: Int64
    public let hash: [UInt8]
    public let interval: Int64
    public let keyID: String
    /// Ed25519 over ``AuditChain/checkpointMessage(seq:hash:interval:)``.
    public let signature: [UInt8]

    public init(seq: Int64, hash: [UInt8], interval: Int64, keyID: String, signature: [UInt8]) {
        self.seq = seq
        self.hash = hash
        self.interval = interval
        self.keyID = keyID
        self.signature = signature
    }
}

/// The last entry of a chain, from which the next is made.
public struct AuditHead: Sendable, Equatable {
    public let seq: Int64
    public let hash: [UInt8]
    /// The newest checkpoint's position and promised interval, if any.
    public let lastCheckpoint: (seq: Int64, interval: Int64)?

    public init(seq: Int64, hash: [UInt8], lastCheckpoint: (seq: Int64, interval: Int64)?) {
        self.seq = seq
        self.hash = hash
        self.lastCheckpoint = lastCheckpoint
    }

    public static func == (a: AuditHead, b: AuditHead) -> Bool {
        a.seq == b.seq && a.hash == b.hash && a.lastCheckpoint?.seq == b.lastCheckpoint?.seq
            && a.lastCheckpoint?.interval == b.lastCheckpoint?.interval
    }
}

/// The hash chain's rules, shared by writers and the verifier.
public enum AuditChain {
    static let entryDomain = Array("honnin.audit.entry.v1\u{0}".utf8)
    static let checkpointDomain = Array("honnin.audit.checkpoint.v1\u{0}".utf8)
    /// The "previous hash" of entry 1.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func encodeBody(_ event: AuditEvent) -> [UInt8] {
        struct Body: Encodable {
            let action: String
            let actor: String
            let subject: String?
            let details: [String: String]
            let at: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings cannot fail.
        return Array(
            try! encoder.encode(
                Body(
                    action: event.action, actor: event.actor, subject: event.subject, details: event.details,
                    at: Timestamp.format(event.at))))
    }

    /// Hash of an entry given its predecessor's hash.
    public static func hash(previous: [UInt8], seq: Int64, body: UnsafeRawBufferPointer) -> SHA256.Digest {
        var hasher = SHA256()
        entryDomain.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: seq.bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: body)
        return hasher.finalize()
    }

    public static func checkpointMessage(seq: Int64, hash: some Collection<UInt8>, interval: Int64) -> [UInt8] {
        var m = checkpointDomain
        withUnsafeBytes(of: seq.bigEndian) { m.append(contentsOf: $0) }
        m.append(contentsOf: hash)
        withUnsafeBytes(of: interval.bigEndian) { m.append(contentsOf: $0) }
        return m
    }
}

/// Makes entries and checkpoints. Writers call it inside the same transaction that reads the
/// head and inserts the result, so the chain never forks.
public struct AuditAppender: Sendable {
    public let signingKey: AuditSigningKey
    /// A checkpoint is signed at least every `interval` entries.
    public let interval: Int64

    public init(signingKey: AuditSigningKey, interval: Int64) {
        precondition(interval >= 1, "checkpoint interval must be at least 1")
        self.signingKey = signingKey
        self.interval = interval
    }

    public func append(_ event: AuditEvent, after head: AuditHead?) throws -> (AuditEntry, AuditCheckpoint?) {
        let seq = (head?.seq ?? 0) + 1
        let body = AuditChain.encodeBody(event)
        let digest = body.withUnsafeBytes { AuditChain.hash(previous: head?.hash ?? AuditChain.genesis, seq: seq, body: $0) }
        let entry = AuditEntry(seq: seq, body: body, hash: Array(digest))
        // Keep the promise made by the last checkpoint even if the configured interval grew.
        let last = head?.lastCheckpoint
        let due = min(interval, last?.interval ?? interval)
        guard seq - (last?.seq ?? 0) >= due else { return (entry, nil) }
        let signature = try signingKey.sign(AuditChain.checkpointMessage(seq: seq, hash: entry.hash, interval: interval))
        return (
            entry, AuditCheckpoint(seq: seq, hash: entry.hash, interval: interval, keyID: signingKey.id.rawValue, signature: signature)
        )
    }
}

/// The outcome of walking the chain.
public struct AuditReport: Sendable, Equatable {
    public enum Problem: String, Sendable, Equatable {
        /// The entry's stored hash is not the hash of its predecessor and its bytes.
        case hashMismatch = "hash_mismatch"
        /// An entry number is missing or out of order.
        case sequenceGap = "sequence_gap"
        /// A checkpoint's signature does not verify.
        case badCheckpointSignature = "bad_checkpoint_signature"
        /// A checkpoint names a key that no trusted public key has.
        case unknownCheckpointKey = "unknown_checkpoint_key"
        /// A checkpoint's hash differs from the entry it signs.
        case checkpointMismatch = "checkpoint_mismatch"
        /// A checkpoint is missing where the previous one promised the next.
        case missingCheckpoint = "missing_checkpoint"
        /// A checkpoint refers to an entry that does not exist (entries were removed).
        case missingEntry = "missing_entry"
    }

    public struct Failure: Sendable, Equatable {
        /// The first entry number at which the chain is broken.
        public let seq: Int64
        public let problem: Problem
        public init(seq: Int64, problem: Problem) {
            self.seq = seq
            self.problem = problem
        }
    }

    /// The last entry number read (all of them when the chain is intact).
    public let entries: Int64
    public let checkpoints: Int
    /// Entries after the newest checkpoint: protected by the hash chain but not yet by a signature.
    public let unsignedTail: Int64
    public let failure: Failure?
    public var ok: Bool { failure == nil }

    public init(entries: Int64, checkpoints: Int, unsignedTail: Int64, failure: Failure?) {
        self.entries = entries
        self.checkpoints = checkpoints
        self.unsignedTail = unsignedTail
        self.failure = failure
    }
}

/// Walks a chain entry by entry (O(1) memory besides the checkpoints) and reports the first
/// entry at which it is broken.
///
/// Each entry is checked against its predecessor's *stored* hash, so a changed byte is reported
/// at the entry that holds it; a chain rewritten from some entry on (hashes recomputed) fails at
/// the first checkpoint whose signature no longer matches.
public struct AuditVerifier {
    private let publicKeys: [String: Curve25519.Signing.PublicKey]
    /// Checkpoints in entry order, and the index of the next one to meet.
    private let checkpoints: [AuditCheckpoint]
    private var nextCheckpoint = 0
    private var previousHash: [UInt8] = AuditChain.genesis
    private var previousSeq: Int64 = 0
    private var lastCheckpointSeq: Int64 = 0
    private var promisedInterval: Int64
    private var checkedCheckpoints = 0
    private(set) public var failure: AuditReport.Failure?

    /// - Parameters:
    ///   - defaultInterval: the interval to expect before the first checkpoint when none exists.
    ///   - start: to verify a later part of the chain on its own (in parallel with the part
    ///     before it), the stored seq and hash of the entry just before that part. The part
    ///     before is responsible for that entry and for every checkpoint up to it.
    public init(
        publicKeys: [AuditPublicKey], checkpoints: [AuditCheckpoint], defaultInterval: Int64,
        after start: (seq: Int64, hash: [UInt8])? = nil
    ) {
        self.publicKeys = Dictionary(publicKeys.map { ($0.id.rawValue, $0.key) }, uniquingKeysWith: { a, _ in a })
        var bySeq: [Int64: AuditCheckpoint] = [:]
        for c in checkpoints { bySeq[c.seq] = c }
        self.checkpoints = bySeq.values.sorted { $0.seq < $1.seq }
        self.promisedInterval = self.checkpoints.first?.interval ?? defaultInterval
        if let start {
            previousSeq = start.seq
            previousHash = start.hash.count == 32 ? start.hash : AuditChain.genesis
            nextCheckpoint = self.checkpoints.firstIndex { $0.seq > start.seq } ?? self.checkpoints.count
            if nextCheckpoint > 0 {
                lastCheckpointSeq = self.checkpoints[nextCheckpoint - 1].seq
                promisedInterval = max(1, self.checkpoints[nextCheckpoint - 1].interval)
            }
        }
    }


    /// Checks the next entry. Returns false once the chain is known to be broken.
    public mutating func check(seq: Int64, body: UnsafeRawBufferPointer, hash: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        guard seq == previousSeq + 1 else { return fail(previousSeq + 1, .sequenceGap) }
        if seq - lastCheckpointSeq > promisedInterval { return fail(lastCheckpointSeq + promisedInterval, .missingCheckpoint) }
        let digest = AuditChain.hash(previous: previousHash, seq: seq, body: body)
        let matches = digest.withUnsafeBytes { d in d.elementsEqual(hash) }
        guard matches else { return fail(seq, .hashMismatch) }
        previousSeq = seq
        // Same length (a digest matched it): copy in place, no allocation per entry.
        previousHash.withUnsafeMutableBytes { $0.copyMemory(from: hash) }
        while nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].seq < seq {
            // A checkpoint for an entry number that was skipped can only mean tampering; the
            // sequence check above reports it, so just move past.
            nextCheckpoint += 1
        }
        if nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].seq == seq {
            let checkpoint = checkpoints[nextCheckpoint]
            nextCheckpoint += 1
            guard checkpoint.hash == previousHash else { return fail(seq, .checkpointMismatch) }
            guard let key = publicKeys[checkpoint.keyID] else { return fail(seq, .unknownCheckpointKey) }
            let message = AuditChain.checkpointMessage(seq: seq, hash: checkpoint.hash, interval: checkpoint.interval)
            guard key.isValidSignature(checkpoint.signature, for: message) else { return fail(seq, .badCheckpointSignature) }
            lastCheckpointSeq = seq
            promisedInterval = max(1, checkpoint.interval)
            checkedCheckpoints += 1
        }
        return true
    }

    public mutating func check(_ entry: AuditEntry) -> Bool {
        entry.body.withUnsafeBytes { b in entry.hash.withUnsafeBytes { h in check(seq: entry.seq, body: b, hash: h) } }
    }

    private mutating func fail(_ seq: Int64, _ problem: AuditReport.Problem) -> Bool {
        failure = AuditReport.Failure(seq: seq, problem: problem)
        return false
    }

    /// Ends a part that should have reached entry `last`: a shorter walk means entries are missing.
    public mutating func finishPart(through last: Int64) -> AuditReport {
        if failure == nil, previousSeq < last { failure = AuditReport.Failure(seq: previousSeq + 1, problem: .sequenceGap) }
        return AuditReport(
            entries: previousSeq, checkpoints: checkedCheckpoints, unsignedTail: previousSeq - lastCheckpointSeq, failure: failure)
    }

    /// Ends the walk: checkpoints beyond the last entry mean entries were removed.
    public mutating func finish() -> AuditReport {
        if failure == nil, checkpoints.last.map({ $0.seq > previousSeq }) == true {
            failure = AuditReport.Failure(seq: previousSeq + 1, problem: .missingEntry)
        }
        if failure == nil, previousSeq - lastCheckpointSeq >= promisedInterval {
            failure = AuditReport.Failure(seq: lastCheckpointSeq + promisedInterval, problem: .missingCheckpoint)
        }
        return AuditReport(
            entries: previousSeq, checkpoints: checkedCheckpoints, unsignedTail: previousSeq - lastCheckpointSeq,
            failure: failure)
    }
}

/// Reading and writing the audit log. Implementations: SQLite (HonninSQLite), in memory (here).
public protocol AuditLogRepository: Sendable {
    /// Appends one event in its own transaction.
    @discardableResult func append(_ event: AuditEvent) async throws -> AuditEntry
    /// Walks the whole chain with `verifier`.
    func verify(publicKeys: [AuditPublicKey], defaultInterval: Int64) async throws -> AuditReport
    func head() async throws -> AuditHead?
}
