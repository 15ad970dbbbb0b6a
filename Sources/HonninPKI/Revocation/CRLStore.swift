import Foundation
import HonninCore
import X509

/// A `RevocationProvider` answering from CRL files in one directory (`--jpki-crl-dir`).
///
/// J-LIS partitions the JPKI CRL per municipality: each certificate's cRLDistributionPoints names
/// its partition with a `directoryName`, and the partition's CRL carries the same name in its
/// issuingDistributionPoint (ic-chip-protocols.md §1.6, §1.8). Those names cannot be fetched over
/// HTTP, so an operator with access (a registered verifier) drops the CRL files here.
///
/// - Every regular, non-hidden file is read as one DER or PEM CRL. A CRL is **used only after its
///   signature verifies** with one of the configured issuer certificates (the trusted roots; see
///   ``CertificateRevocationList/verifySignature(issuer:)``). A file that fails to parse or verify is
///   ignored, and the reason is kept in ``problems`` (file name, code, detail; never certificate
///   contents) and passed to `log`.
/// - The directory is rescanned on a query at most every `rescanInterval` seconds (by the injected
///   clock); when any file's modification time or size changed, appeared or vanished, every CRL
///   is loaded anew. ``reload()`` forces it.
/// - **Fails closed**: no matching CRL, a CRL whose `nextUpdate` has passed at the query time
///   (plus `staleGrace`, default 0), a CRL without `nextUpdate`, or one not yet valid →
///   `.unavailable`.
public actor CRLStore: RevocationProvider {
    /// Why a file is not used.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let code: RevocationError.Code
        public let detail: String
        public var description: String { "\(file): \(code.rawValue): \(detail)" }
    }

    private struct Loaded: Sendable {
        let file: String
        let crl: CertificateRevocationList
        /// The subjectPublicKeyInfo key bits of the issuer certificate whose key verified the CRL.
        let issuerKey: [UInt8]
    }

    private struct Stamp: Equatable, Sendable {
        let modified: Date?
        let size: Int
    }

    public let directory: String
    public let issuers: [Certificate]
    public let rescanInterval: TimeInterval
    public let staleGrace: TimeInterval
    /// How far a CRL's thisUpdate may lie after the query time (issuer clock skew).
    public let clockSkew: TimeInterval
    private let clock: any WallClock
    private let log: (@Sendable (String) -> Void)?

    public private(set) var problems: [Problem] = []
    private var loaded: [Loaded] = []
    private var stamps: [String: Stamp] = [:]
    private var lastScan: Date?

    /// - Parameters:
    ///   - directory: the folder holding `.crl`/`.der`/`.pem` files (any name; hidden files skipped).
    ///   - issuers: the certificates allowed to sign CRLs (JPKI roots issue their own CRLs).
    ///   - rescanInterval: minimum seconds between directory scans on query.
    ///   - staleGrace: seconds a CRL is still used after its nextUpdate (default 0).
    ///   - log: receives one operator line per problem (file name, code, detail).
    public init(
        directory: String, issuers: [Certificate], clock: any WallClock, rescanInterval: TimeInterval = 60,
        staleGrace: TimeInterval = 0, clockSkew: TimeInterval = 300, log: (@Sendable (String) -> Void)? = nil
    ) {
        self.directory = directory
        self.issuers = issuers
        self.clock = clock
        self.rescanInterval = rescanInterval
        self.staleGrace = staleGrace
        self.clockSkew = clockSkew
        self.log = log
    }

    /// The number of CRLs currently in use.
    public var loadedCount: Int { loaded.count }

    /// Rescans the directory now, loading every file anew.
    public func reload() {
        lastScan = clock.now()
        let current = scanStamps()
        load(current)
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        // 1. Rescan if the interval has passed and reload when any file changed.
        refreshIfDue()
        let serial = certificate.serialNumber.hex
        // 2. The certificate's distribution point names (RFC 5280 §4.2.1.13).
        let points: [DistinguishedName]
        do {
            points = try crlDistributionPointNames(of: certificate)
        } catch {
            return .unavailable(.unsupported, "serial \(serial): cRLDistributionPoints: \(error)")
        }
        // 3. CRLs signed by this issuer's key whose scope covers this kind of certificate (§5.2.5).
        let issuerKey = Array(issuer.publicKey.subjectPublicKeyInfoBytes)
        let isCA = (try? certificate.extensions.basicConstraints).map { if case .isCertificateAuthority = $0 { true } else { false } } ?? false
        let candidates = loaded.filter { entry in
            guard entry.crl.issuer == certificate.issuer, entry.issuerKey == issuerKey else { return false }
            guard let idp = entry.crl.issuingDistributionPoint else { return true }
            if idp.onlyContainsAttributeCerts { return false }
            if idp.onlyContainsUserCerts && isCA { return false }
            if idp.onlyContainsCACerts && !isCA { return false }
            return true
        }
        // 4. Match the distribution point: a partition CRL whose IDP names one of the certificate's
        //    DirNames; else a CRL for the whole issuer (no IDP distributionPoint).
        let wanted = Set(points)
        var matching = candidates.filter { entry in
            guard let names = entry.crl.issuingDistributionPoint?.distributionPoint?.directoryNames else { return false }
            return !wanted.isDisjoint(with: names)
        }
        if matching.isEmpty {
            matching = candidates.filter { $0.crl.issuingDistributionPoint?.distributionPoint == nil }
        }
        // 5. Of several, the newest: highest cRLNumber, then latest thisUpdate.
        guard let chosen = matching.max(by: { Self.older($0.crl, than: $1.crl) }) else {
            return .unavailable(
                .noCRL, "no CRL for issuer \(certificate.issuer) serial \(serial) (\(points.count) distribution point name(s))")
        }
        let crl = chosen.crl
        let source = "\(crl.issuer) #\(crl.crlNumberHex)"
        // 6. Freshness at the query time (RFC 5280 §5.1.2.5, §6.3.3 (a)(2)).
        guard let nextUpdate = crl.nextUpdate else {
            return .unavailable(.crlWithoutNextUpdate, "CRL \(source) has no nextUpdate")
        }
        if time > nextUpdate.addingTimeInterval(staleGrace) {
            return .unavailable(.staleCRL, "stale CRL \(source): nextUpdate \(Timestamp.format(nextUpdate))")
        }
        if crl.thisUpdate > time.addingTimeInterval(clockSkew) {
            return .unavailable(.crlNotYetValid, "CRL \(source): thisUpdate \(Timestamp.format(crl.thisUpdate)) is after the query time")
        }
        // 7. Listed or not.
        let evidence = RevocationEvidence(
            provider: "crl", source: source, checkedAt: clock.now(), thisUpdate: crl.thisUpdate, nextUpdate: nextUpdate)
        guard let entry = crl.entry(for: certificate.serialNumber) else { return .good(evidence) }
        let reason = entry.reason ?? .unspecified
        if reason == .removeFromCRL {
            // §5.3.1: removeFromCRL belongs in delta CRLs only; a full CRL saying it is inconsistent.
            return .unavailable(.removeFromCRLInFullCRL, "CRL \(source) lists serial \(serial) as removeFromCRL")
        }
        return .revoked(reason: reason, at: entry.revocationDate, evidence)
    }

    // MARK: - Loading

    private static func older(_ a: CertificateRevocationList, than b: CertificateRevocationList) -> Bool {
        let na = normalizedSerial(a.crlNumber ?? [0])
        let nb = normalizedSerial(b.crlNumber ?? [0])
        if na != nb { return na.count != nb.count ? na.count < nb.count : na.lexicographicallyPrecedes(nb) }
        return a.thisUpdate < b.thisUpdate
    }

    private func refreshIfDue() {
        let now = clock.now()
        if let lastScan, now.timeIntervalSince(lastScan) < rescanInterval, now >= lastScan { return }
        lastScan = now
        let current = scanStamps()
        if current != stamps { load(current) }
    }

    private func scanStamps() -> [String: Stamp] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [:] }
        var out: [String: Stamp] = [:]
        for name in names where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? fm.attributesOfItem(atPath: path),
                (attributes[.type] as? FileAttributeType) == .typeRegular
            else { continue }
            out[name] = Stamp(
                modified: attributes[.modificationDate] as? Date, size: (attributes[.size] as? NSNumber)?.intValue ?? -1)
        }
        return out
    }

    private func load(_ current: [String: Stamp]) {
        stamps = current
        var newLoaded: [Loaded] = []
        var newProblems: [Problem] = []
        for name in current.keys.sorted() {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                newProblems.append(Problem(file: name, code: .malformed, detail: "unreadable"))
                continue
            }
            // 1. Parse (DER or PEM).
            let crl: CertificateRevocationList
            do {
                crl = try CertificateRevocationList(bytes: [UInt8](data))
            } catch {
                newProblems.append(Problem(file: name, code: error.code, detail: error.detail))
                continue
            }
            // 2. Verify with a configured issuer of that name (several keys may share one name).
            let named = issuers.filter { $0.subject == crl.issuer }
            guard !named.isEmpty else {
                newProblems.append(Problem(file: name, code: .wrongIssuer, detail: "no configured issuer named \(crl.issuer)"))
                continue
            }
            var lastError = RevocationError(.badSignature, "no issuer key verifies")
            var verifiedBy: Certificate?
            for candidate in named {
                do {
                    try crl.verifySignature(issuer: candidate)
                    verifiedBy = candidate
                    break
                } catch {
                    // Report the key that claims the CRL (a bad signature) over a mere other key of the same name.
                    if error.code != .wrongIssuer || lastError.code == .wrongIssuer || candidate == named.first { lastError = error }
                }
            }
            guard let verifiedBy else {
                newProblems.append(Problem(file: name, code: lastError.code, detail: lastError.detail))
                continue
            }
            newLoaded.append(Loaded(file: name, crl: crl, issuerKey: Array(verifiedBy.publicKey.subjectPublicKeyInfoBytes)))
        }
        loaded = newLoaded
        problems = newProblems
        if let log {
            for problem in newProblems { log("CRL ignored: \(problem)") }
        }
    }
}
