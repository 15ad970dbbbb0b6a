import Foundation
import HonninCore
import Synchronization
import X509

/// Caches another provider's definite answers (`good`, `revoked`) per (issuer name, issuer key,
/// serial) for `ttl` seconds by the injected clock, and never past the answer's own nextUpdate.
/// `.unavailable` is **never** cached: the next query asks again.
///
/// A cached answer's evidence says so: provider `cache(<inner provider>)`, and `checkedAt` stays the
/// time of the first check.
public final class CachingRevocationProvider: RevocationProvider {
    struct Key: Hashable {
        /// The issuer `Name` as DER, the issuer's `publicKey.subjectPublicKeyInfoBytes`, the serial without leading zeros.
        let issuerName: [UInt8]
        let issuerKey: [UInt8]
        let serial: [UInt8]
    }

    struct Entry {
        /// The answer as a hit returns it (marked as cached).
        let status: RevocationStatus
        let expires: Date
        let stored: Date
    }

    private let inner: any RevocationProvider
    private let clock: any WallClock
    public let ttl: TimeInterval
    public let maximumEntries: Int
    private let entries = Mutex<[Key: Entry]>([:])

    public init(wrapping inner: any RevocationProvider, ttl: TimeInterval, clock: any WallClock, maximumEntries: Int = 10_000) {
        self.inner = inner
        self.ttl = ttl
        self.clock = clock
        self.maximumEntries = max(1, maximumEntries)
    }

    /// The number of answers held (for tests and metrics).
    public var count: Int { entries.withLock { $0.count } }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        let name = derBytes(of: certificate.issuer)
        guard !name.isEmpty else { return await inner.status(of: certificate, issuer: issuer, at: time) }
        let key = Key(
            issuerName: name, issuerKey: Array(issuer.publicKey.subjectPublicKeyInfoBytes),
            serial: normalizedSerial(certificate.serialNumber.bytes))
        // 1. A live cached answer, marked as such.
        if let hit = held(key) { return hit }
        // 2. Ask the wrapped provider; keep only definite answers.
        let answer = await inner.status(of: certificate, issuer: issuer, at: time)
        guard let evidence = answer.evidence else { return answer }
        let now = clock.now()
        var expires = now.addingTimeInterval(ttl)
        if let next = evidence.nextUpdate, next < expires { expires = next }
        if expires > now {
            entries.withLock { entries in
                if entries.count >= maximumEntries { Self.evict(&entries, now: now, keeping: maximumEntries) }
                entries[key] = Entry(status: Self.markCached(answer), expires: expires, stored: now)
            }
        }
        return answer
    }

    public func heldStatus(issuerName: ArraySlice<UInt8>, issuerKey: [UInt8], serial: ArraySlice<UInt8>) -> RevocationStatus? {
        held(Key(issuerName: Array(issuerName), issuerKey: issuerKey, serial: normalizedSerial(serial)))
    }

    /// A live answer for `key` (an expired one is dropped), marked as cached.
    private func held(_ key: Key) -> RevocationStatus? {
        let now = clock.now()
        return entries.withLock { entries in
            guard let hit = entries[key] else { return nil }
            if now < hit.expires && now >= hit.stored { return hit.status }
            entries[key] = nil
            return nil
        }
    }

    private static func evict(_ entries: inout [Key: Entry], now: Date, keeping maximum: Int) {
        entries = entries.filter { $0.value.expires > now }
        while entries.count >= maximum, let oldest = entries.min(by: { $0.value.stored < $1.value.stored }) {
            entries[oldest.key] = nil
        }
    }

    static func markCached(_ status: RevocationStatus) -> RevocationStatus {
        func mark(_ e: RevocationEvidence) -> RevocationEvidence {
            RevocationEvidence(
                provider: "cache(\(e.provider))", source: e.source, checkedAt: e.checkedAt, thisUpdate: e.thisUpdate,
                nextUpdate: e.nextUpdate)
        }
        switch status {
        case .good(let e): return .good(mark(e))
        case .revoked(let reason, let at, let e): return .revoked(reason: reason, at: at, mark(e))
        case .unavailable: return status
        }
    }
}

/// Asks providers in order (for example the CRL store, then OCSP, then a platform) and returns the
/// first definite answer (`good` or `revoked`). When all are unavailable, the answer is
/// `.unavailable` with every reason joined by `"; "`, so the record shows why each failed.
public struct FirstAnswerRevocationProvider: RevocationProvider {
    public let providers: [any RevocationProvider]

    public init(_ providers: [any RevocationProvider]) {
        self.providers = providers
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        var reasons: [String] = []
        for provider in providers {
            let answer = await provider.status(of: certificate, issuer: issuer, at: time)
            switch answer {
            case .good, .revoked: return answer
            case .unavailable(let reason): reasons.append(reason)
            }
        }
        if reasons.isEmpty { reasons.append("no provider configured") }
        return .unavailable(.allProvidersUnavailable, reasons.joined(separator: "; "))
    }
}
