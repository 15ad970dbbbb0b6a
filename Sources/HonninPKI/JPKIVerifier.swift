import Crypto
import Foundation
import Synchronization
import HonninCore
import SwiftASN1
import X509
import CryptoExtras

/// JPKI trust anchors: the public J-LIS roots built in, each pinned by its SHA-256 fingerprint,
/// plus roots an operator adds (`--jpki-roots DIR`; e.g. a test PKI or a root published later).
public struct JPKITrustStore: Sendable {
    public struct Root: Sendable {
        public let certificate: Certificate
        public let kind: JPKICertificateKind
        /// Lower-case hex SHA-256 of the DER.
        public let fingerprint: String
        public let builtIn: Bool

        public init(certificate: Certificate, kind: JPKICertificateKind, fingerprint: String, builtIn: Bool) {
            self.certificate = certificate
            self.kind = kind
            self.fingerprint = fingerprint
            self.builtIn = builtIn
        }
    }

    public let roots: [Root]

    /// The bundled roots and their pinned fingerprints (Resources/jpki-roots/README.md).
    public static let pinned: [(file: String, kind: JPKICertificateKind, sha256: String)] = [
        ("sign_ca_2023", .signature, "d227f6cde11d35c5252178f106f843d24651944975413b539fa2fb68dbfa365f"),
        ("sign_ca_2015", .signature, "19645405a1fe14377434bd55957628ac4038557c542403a2243f21c706fc9355"),
        ("auth_ca_2023", .userAuthentication, "64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5"),
        ("auth_ca_2015", .userAuthentication, "4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d"),
    ]

    public init(roots: [Root]) { self.roots = roots }

    /// The built-in J-LIS roots; a file whose fingerprint differs from its pin is an error.
    public static func bundled() throws -> JPKITrustStore {
        var roots: [Root] = []
        for pin in pinned {
            guard let url = Bundle.module.url(forResource: pin.file, withExtension: "pem", subdirectory: "jpki-roots"),
                let pem = try? String(contentsOf: url, encoding: .utf8)
            else { throw HonninError(.configuration, "JPKI root \(pin.file).pem missing from the HonninPKI bundle") }
            let root = try Self.root(pem: pem, builtIn: true)
            guard root.fingerprint == pin.sha256, root.kind == pin.kind else {
                throw HonninError(.configuration, "JPKI root \(pin.file).pem does not match its pinned SHA-256 fingerprint")
            }
            roots.append(root)
        }
        return JPKITrustStore(roots: roots)
    }

    /// Adds every `*.pem`/`*.cer`/`*.crt` in `directory` (PEM or DER). Each must be a self-signed
    /// CA certificate whose subject names one of the two JPKI hierarchies.
    public func adding(directory: URL) throws -> JPKITrustStore {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var added = roots
        for name in names where [".pem", ".cer", ".crt", ".der"].contains(where: name.lowercased().hasSuffix) {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let root: Root
            if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") {
                root = try Self.root(pem: text, builtIn: false)
            } else {
                root = try Self.root(der: Array(data), builtIn: false)
            }
            added.append(root)
        }
        return JPKITrustStore(roots: added)
    }

    static func root(pem: String, builtIn: Bool) throws -> Root {
        guard let doc = try? PEMDocument(pemString: pem) else { throw HonninError(.configuration, "not a PEM certificate") }
        return try root(der: doc.derBytes, builtIn: builtIn)
    }

    static func root(der: [UInt8], builtIn: Bool) throws -> Root {
        guard let cert = try? Certificate(derEncoded: der) else { throw HonninError(.configuration, "not a DER certificate") }
        guard cert.subject == cert.issuer, cert.publicKey.isValidSignature(cert.signature, for: cert) else {
            throw HonninError(.configuration, "a JPKI root must be self-signed")
        }
        let units = cert.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.organizationalUnitName }.map { "\($0.value)" }
        let kind: JPKICertificateKind
        if units.contains(where: { $0.hasPrefix(JPKICertificateKind.signature.rootUnit) }) {
            kind = .signature
        } else if units.contains(where: { $0.hasPrefix(JPKICertificateKind.userAuthentication.rootUnit) }) {
            kind = .userAuthentication
        } else {
            throw HonninError(.configuration, "a JPKI root's OU names \"JPKI for digital signature\" or \"JPKI for user authentication\"")
        }
        return Root(certificate: cert, kind: kind, fingerprint: Bytes.hex(SHA256.hash(data: der)), builtIn: builtIn)
    }
}

/// A certificate that passed every check.
public struct JPKIVerifiedCertificate: Sendable {
    public let certificate: Certificate
    public let kind: JPKICertificateKind
    /// The signature certificate's 基本4情報; nil for the user-authentication certificate.
    public let attributes: JPKIAttributes?
    /// The issuer DN as text (computed when asked: formatting a DN costs more than the rest of
    /// a cached check).
    public var issuer: String { certificate.issuer.description }
    /// Hex serial number.
    public var serial: String { Bytes.hex(certificate.serialNumber.bytes) }
    public let rootFingerprint: String
    public let revocation: RevocationEvidence

    /// What an account stores to recognise this certificate again: the issuer DN and the serial
    /// (unique per issuer, RFC 5280 §4.1.2.2). A renewed card has a new serial and is linked again.
    public var linkKey: String { "\(issuer)#\(serial)" }
}

/// The server-side checks of a JPKI certificate and of a signature made with its key.
///
/// 1. Parse the DER (malformed → `malformed`).
/// 2. Algorithm: RSA of at least 2048 bits (電子署名等に係る地方公共団体情報システム機構の認証業務に関する法律施行規則
///    第2条), signed with SHA-256/384/512 with RSA; SHA-1 and anything else → `untrusted`.
/// 3. Issuer: a root of the right hierarchy (JPKI issues end-entity certificates directly from its
///    roots), whose signature over the certificate verifies → else `untrusted`.
/// 4. Validity at the injected time (certificate and root) → `expired` / `not_yet_valid`.
/// 5. Key usage: digitalSignature (+ nonRepudiation for the signature certificate), not a CA;
///    unknown critical extensions refused → `untrusted`.
/// 6. Personal attributes (signature certificate) → `malformed` if missing or duplicated.
/// 7. Revocation through the provider: revoked → `revoked`; no answer → `status_unavailable`.
public struct JPKIVerifier: Sendable {
    public let trust: JPKITrustStore
    public let revocation: any RevocationProvider
    /// Results of the time-independent steps (1–3, 5, 6) per certificate, keyed by the SHA-256
    /// of its DER; validity (4), the signature over the challenge and revocation (7) are checked
    /// on every call. Nil checks everything every time.
    public let cache: JPKICheckCache?

    public init(trust: JPKITrustStore, revocation: any RevocationProvider, cache: JPKICheckCache? = JPKICheckCache()) {
        self.trust = trust
        self.revocation = revocation
        self.cache = cache
    }

    static let acceptedAlgorithms: Set<Certificate.SignatureAlgorithm> = [
        .sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption,
    ]

    /// Extensions this verifier understands; any other critical one fails closed.
    static let understood: Set<ASN1ObjectIdentifier> = [
        .X509ExtensionID.keyUsage, .X509ExtensionID.basicConstraints, .X509ExtensionID.subjectAlternativeName,
        [2, 5, 29, 31] /* cRLDistributionPoints */, [2, 5, 29, 32] /* certificatePolicies */, .X509ExtensionID.authorityKeyIdentifier,
        .X509ExtensionID.subjectKeyIdentifier, .X509ExtensionID.extendedKeyUsage,
    ]

    public func verifyCertificate(der: [UInt8], kind: JPKICertificateKind, at time: Date) async throws(JPKIFailure) -> JPKIVerifiedCertificate {
        let checked = try check(der: der, kind: kind, at: time)
        return try await revocationChecked(checked, at: time)
    }

    /// A challenge response, for proofing with the signature certificate and for login with the
    /// user-authentication certificate (AAL3): steps 1–6 of ``verifyCertificate(der:kind:at:)``,
    /// then the signature over exactly `challenge` (``verifySignature(_:over:by:)``), and only
    /// then revocation (step 7), so a forged response never costs a revocation query.
    ///
    /// The caller owns the challenge: it must be server-made, bound to the flow or login attempt
    /// and the audience, unexpired and used once. An account links the user-authentication
    /// certificate by ``JPKIVerifiedCertificate/linkKey`` (issuer and serial).
    public func verifyResponse(
        certificate der: [UInt8], signature: [UInt8], challenge: [UInt8], kind: JPKICertificateKind, at time: Date
    ) async throws(JPKIFailure) -> JPKIVerifiedCertificate {
        let checked = try check(der: der, kind: kind, at: time)
        try Self.verifySignature(signature, over: challenge, by: checked.certificate)
        return try await revocationChecked(checked, at: time)
    }

    struct Checked: Sendable {
        let certificate: Certificate
        let kind: JPKICertificateKind
        let root: JPKITrustStore.Root
        let attributes: JPKIAttributes?
    }

    /// Steps 1–6: everything but revocation. Steps 1–3, 5 and 6 depend only on the bytes and the
    /// trust store, so their result may come from ``cache``; step 4 (validity) always runs.
    func check(der: [UInt8], kind: JPKICertificateKind, at time: Date) throws(JPKIFailure) -> Checked {
        let key = cache.map { _ in Array(SHA256.hash(data: der)) + [kind == .signature ? 1 : 2] }
        let checked: Checked
        if let cache, let key, let hit = cache.get(key) {
            checked = hit
        } else {
            checked = try checkBytes(der: der, kind: kind)
            if let cache, let key { cache.put(key, checked) }
        }
        // 4.
        for (label, cert) in [("certificate", checked.certificate), ("root", checked.root.certificate)] {
            if time < cert.notValidBefore { throw JPKIFailure(.notYetValid, "\(label) is not valid before \(Timestamp.format(cert.notValidBefore))") }
            if time > cert.notValidAfter { throw JPKIFailure(.expired, "\(label) expired at \(Timestamp.format(cert.notValidAfter))") }
        }
        return checked
    }

    /// Steps 1–3, 5 and 6.
    func checkBytes(der: [UInt8], kind: JPKICertificateKind) throws(JPKIFailure) -> Checked {
        // 1.
        guard let certificate = try? Certificate(derEncoded: der) else { throw JPKIFailure(.malformed, "certificate DER does not parse") }
        // 2.
        guard Self.acceptedAlgorithms.contains(certificate.signatureAlgorithm) else {
            throw JPKIFailure(.untrusted, "signature algorithm \(certificate.signatureAlgorithm) is not accepted (SHA-256+ with RSA only)")
        }
        guard let rsa = _RSA.Signing.PublicKey(certificate.publicKey), rsa.keySizeInBits >= 2048 else {
            throw JPKIFailure(.untrusted, "the subject key is not RSA of at least 2048 bits")
        }
        // 3.
        let candidates = trust.roots.filter { $0.kind == kind && $0.certificate.subject == certificate.issuer }
        guard let root = candidates.first(where: { $0.certificate.publicKey.isValidSignature(certificate.signature, for: certificate) }) else {
            throw JPKIFailure(.untrusted, candidates.isEmpty ? "issuer is not a trusted JPKI \(kind.rawValue) root" : "the root's signature does not verify")
        }
        // 5.
        for ext in certificate.extensions where ext.critical && !Self.understood.contains(ext.oid) {
            throw JPKIFailure(.untrusted, "unknown critical extension \(ext.oid)")
        }
        let usage: KeyUsage?
        do {
            usage = try certificate.extensions.keyUsage
            if let bc = try certificate.extensions.basicConstraints, case .isCertificateAuthority = bc {
                throw JPKIFailure(.untrusted, "a CA certificate cannot be an end-entity certificate")
            }
        } catch let failure as JPKIFailure {
            throw failure
        } catch {
            throw JPKIFailure(.malformed, "an extension does not decode")
        }
        guard let usage, usage.digitalSignature, kind == .userAuthentication || usage.nonRepudiation, !usage.keyCertSign else {
            throw JPKIFailure(.untrusted, "key usage does not allow \(kind == .signature ? "digitalSignature+nonRepudiation" : "digitalSignature")")
        }
        // 6.
        let attributes = kind == .signature ? try JPKIProfile.attributes(of: certificate) : nil
        return Checked(certificate: certificate, kind: kind, root: root, attributes: attributes)
    }

    /// Step 7.
    func revocationChecked(_ checked: Checked, at time: Date) async throws(JPKIFailure) -> JPKIVerifiedCertificate {
        let certificate = checked.certificate
        let evidence: RevocationEvidence
        switch await revocation.status(of: certificate, issuer: checked.root.certificate, at: time) {
        case .good(let e):
            evidence = e
        case .revoked(let reason, let at, _):
            throw JPKIFailure(.revoked, "revoked at \(Timestamp.format(at)) (reason \(reason))")
        case .unavailable(let reason):
            throw JPKIFailure(.statusUnavailable, reason)
        }
        return JPKIVerifiedCertificate(
            certificate: certificate, kind: checked.kind, attributes: checked.attributes, rootFingerprint: checked.root.fingerprint, revocation: evidence)
    }

    /// Checks an RSASSA-PKCS1-v1_5 / SHA-256 signature (RFC 8017 §8.2.2) over exactly `message`
    /// with the certificate's key. The card signs a DigestInfo the client builds from SHA-256 of
    /// the message, which is the same thing.
    public static func verifySignature(_ signature: [UInt8], over message: [UInt8], by certificate: Certificate) throws(JPKIFailure) {
        guard let key = _RSA.Signing.PublicKey(certificate.publicKey) else { throw JPKIFailure(.untrusted, "the key is not RSA") }
        guard signature.count == key.keySizeInBits / 8 else { throw JPKIFailure(.badSignature, "the signature has the wrong length") }
        let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
        guard key.isValidSignature(sig, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5) else {
            throw JPKIFailure(.badSignature, "the signature does not verify over the challenge")
        }
    }
}

/// A bounded cache of certificates that passed the time-independent checks (a JPKIVerifier's
/// trust store never changes, so a hit is exactly what re-checking would give). When full, it
/// starts over: simple, and a miss only costs the full check.
public final class JPKICheckCache: Sendable {
    private let entries = Mutex<[[UInt8]: JPKIVerifier.Checked]>([:])
    public let capacity: Int

    public init(capacity: Int = 1_000) { self.capacity = max(1, capacity) }

    public var count: Int { entries.withLock { $0.count } }

    func get(_ key: [UInt8]) -> JPKIVerifier.Checked? { entries.withLock { $0[key] } }

    func put(_ key: [UInt8], _ value: JPKIVerifier.Checked) {
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }
}
