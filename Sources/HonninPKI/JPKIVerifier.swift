import Crypto
import Foundation
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
        /// The subject `Name` as DER (compared byte for byte with a certificate's issuer), the key's
        /// bytes as `Certificate.PublicKey.subjectPublicKeyInfoBytes` gives them (a revocation cache
        /// key), and the key ready to verify (nil if not RSA).
        let subjectDER: [UInt8]
        let publicKeyBytes: [UInt8]
        let rsaKey: _RSA.Signing.PublicKey?

        public init(certificate: Certificate, kind: JPKICertificateKind, fingerprint: String, builtIn: Bool) {
            self.certificate = certificate
            self.kind = kind
            self.fingerprint = fingerprint
            self.builtIn = builtIn
            // A parsed name always serializes again; an empty one matches no issuer.
            subjectDER = derBytes(of: certificate.subject)
            publicKeyBytes = Array(certificate.publicKey.subjectPublicKeyInfoBytes)
            rsaKey = _RSA.Signing.PublicKey(certificate.publicKey)
        }

        /// Whether this root's key signed `tbs` with `signature` (PKCS #1 v1.5 with the hash of `algorithm`).
        func signed(_ tbs: ArraySlice<UInt8>, _ signature: ArraySlice<UInt8>, _ algorithm: CertificateSignatureAlgorithm) -> Bool {
            guard let rsaKey, signature.count == rsaKey.keySizeInBits / 8 else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm {
            case .sha256WithRSAEncryption: return rsaKey.isValidSignature(sig, for: SHA256.hash(data: tbs), padding: .insecurePKCS1v1_5)
            case .sha384WithRSAEncryption: return rsaKey.isValidSignature(sig, for: SHA384.hash(data: tbs), padding: .insecurePKCS1v1_5)
            case .sha512WithRSAEncryption: return rsaKey.isValidSignature(sig, for: SHA512.hash(data: tbs), padding: .insecurePKCS1v1_5)
            }
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
    /// The certificate as submitted.
    public let der: [UInt8]
    public let kind: JPKICertificateKind
    /// The signature certificate's 基本4情報; nil for the user-authentication certificate.
    public let attributes: JPKIAttributes?
    public let notValidBefore: Date
    public let notValidAfter: Date
    let root: JPKITrustStore.Root
    let serialBytes: ArraySlice<UInt8>
    /// The issuer DN as text (the certificate's issuer is byte for byte its root's subject; formatted
    /// when asked, since formatting a DN costs more than the rest of a cached check).
    public var issuer: String { root.certificate.subject.description }
    /// Hex serial number, without leading zero bytes (as swift-certificates gives it: account links
    /// made before the checks read fields in place keep matching).
    public var serial: String { Bytes.hex(serialBytes.drop(while: { $0 == 0 })) }
    public var rootFingerprint: String { root.fingerprint }
    public let revocation: RevocationEvidence

    /// The certificate as swift-certificates reads it (built on demand; the checks do not need it).
    public func certificate() throws -> Certificate { try Certificate(derEncoded: der) }

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

    /// Extensions this verifier understands; any other critical one fails closed.
    static let understood: [[UInt8]] = [
        OIDBytes.keyUsage, OIDBytes.basicConstraints, OIDBytes.subjectAltName, OIDBytes.cRLDistributionPoints, OIDBytes.certificatePolicies,
        OIDBytes.authorityKeyIdentifier, OIDBytes.subjectKeyIdentifier, OIDBytes.extendedKeyUsage,
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
        try Self.verifySignature(signature, over: challenge, by: checked.key)
        return try await revocationChecked(checked, at: time)
    }

    struct Checked: Sendable {
        let fields: CertificateFields
        let key: _RSA.Signing.PublicKey
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
        let root = checked.root.certificate
        for (label, notBefore, notAfter) in [
            ("certificate", checked.fields.notValidBefore, checked.fields.notValidAfter), ("root", root.notValidBefore, root.notValidAfter),
        ] {
            if time < notBefore { throw JPKIFailure(.notYetValid, "\(label) is not valid before \(Timestamp.format(notBefore))") }
            if time > notAfter { throw JPKIFailure(.expired, "\(label) expired at \(Timestamp.format(notAfter))") }
        }
        return checked
    }

    /// Steps 1–3, 5 and 6, on the certificate's fields read in place (``CertificateFields``).
    func checkBytes(der: [UInt8], kind: JPKICertificateKind) throws(JPKIFailure) -> Checked {
        // 1.
        let fields: CertificateFields
        do throws(DERFieldError) {
            fields = try CertificateFields(der: der)
        } catch {
            throw JPKIFailure(.malformed, "certificate DER does not parse (\(error.detail))")
        }
        // 2.
        guard let algorithm = fields.signatureAlgorithm else {
            throw JPKIFailure(
                .untrusted, "signature algorithm \(OIDBytes.dotted(fields.bytes(fields.signatureAlgorithmOID))) is not accepted (SHA-256+ with RSA only)")
        }
        guard fields.keyIsRSA, let key = try? _RSA.Signing.PublicKey(derRepresentation: fields.bytes(fields.subjectPublicKeyInfo)),
            key.keySizeInBits >= 2048
        else {
            throw JPKIFailure(.untrusted, "the subject key is not RSA of at least 2048 bits")
        }
        // 3.
        let issuer = fields.bytes(fields.issuer)
        var named = false
        var signer: JPKITrustStore.Root?
        for root in trust.roots where root.kind == kind && root.subjectDER.elementsEqual(issuer) {
            named = true
            if root.signed(fields.bytes(fields.tbs), fields.bytes(fields.signature), algorithm) {
                signer = root
                break
            }
        }
        guard let root = signer else {
            throw JPKIFailure(.untrusted, named ? "the root's signature does not verify" : "issuer is not a trusted JPKI \(kind.rawValue) root")
        }
        // 5.
        for ext in fields.extensions where ext.critical && !Self.understood.contains(where: { fields.bytes(ext.oid).elementsEqual($0) }) {
            throw JPKIFailure(.untrusted, "unknown critical extension \(OIDBytes.dotted(fields.bytes(ext.oid)))")
        }
        let usage: KeyUsageBits?
        let authority: Bool
        do throws(DERFieldError) {
            usage = try fields.extension(OIDBytes.keyUsage).map { ext throws(DERFieldError) in try KeyUsageBits(der, ext.value) }
            authority = try fields.extension(OIDBytes.basicConstraints).map { ext throws(DERFieldError) in try Self.isCertificateAuthority(der, ext.value) } ?? false
        } catch {
            throw JPKIFailure(.malformed, "an extension does not decode (\(error.detail))")
        }
        guard !authority else { throw JPKIFailure(.untrusted, "a CA certificate cannot be an end-entity certificate") }
        guard let usage, usage.digitalSignature, kind == .userAuthentication || usage.nonRepudiation, !usage.keyCertSign else {
            throw JPKIFailure(.untrusted, "key usage does not allow \(kind == .signature ? "digitalSignature+nonRepudiation" : "digitalSignature")")
        }
        // 6.
        var attributes: JPKIAttributes?
        if kind == .signature {
            guard let san = fields.extension(OIDBytes.subjectAltName) else {
                throw JPKIFailure(.malformed, "no subjectAltName: not a signature certificate with personal attributes")
            }
            attributes = try JPKIProfile.attributes(subjectAltName: der, san.value)
        }
        return Checked(fields: fields, key: key, kind: kind, root: root, attributes: attributes)
    }

    /// `BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }` (RFC 5280 §4.2.1.9).
    static func isCertificateAuthority(_ der: [UInt8], _ value: Range<Int>) throws(DERFieldError) -> Bool {
        var top = DERReader(der, value)
        var constraints = top.children(try top.next(DERTag.sequence, "basicConstraints"))
        guard top.isAtEnd else { throw DERFieldError("basicConstraints has extra bytes") }
        guard constraints.nextTag == DERTag.boolean else { return false }
        // DER encodes the DEFAULT FALSE by omission.
        guard der[try constraints.next().content].elementsEqual([0xFF]) else { throw DERFieldError("cA is not DER TRUE") }
        return true
    }

    /// Step 7: a status the provider already holds (read without building the certificate), else
    /// the provider asked with the certificate built.
    func revocationChecked(_ checked: Checked, at time: Date) async throws(JPKIFailure) -> JPKIVerifiedCertificate {
        let fields = checked.fields
        let root = checked.root
        let status: RevocationStatus
        if let held = revocation.heldStatus(issuerName: fields.bytes(fields.issuer), issuerKey: root.publicKeyBytes, serial: fields.bytes(fields.serial)) {
            status = held
        } else {
            guard let certificate = try? Certificate(derEncoded: fields.der) else { throw JPKIFailure(.malformed, "certificate DER does not parse") }
            status = await revocation.status(of: certificate, issuer: root.certificate, at: time)
        }
        let evidence: RevocationEvidence
        switch status {
        case .good(let e):
            evidence = e
        case .revoked(let reason, let at, _):
            throw JPKIFailure(.revoked, "revoked at \(Timestamp.format(at)) (reason \(reason))")
        case .unavailable(let reason):
            throw JPKIFailure(.statusUnavailable, reason)
        }
        return JPKIVerifiedCertificate(
            der: fields.der, kind: checked.kind, attributes: checked.attributes, notValidBefore: fields.notValidBefore,
            notValidAfter: fields.notValidAfter, root: root, serialBytes: fields.bytes(fields.serial), revocation: evidence)
    }

    /// Checks an RSASSA-PKCS1-v1_5 / SHA-256 signature (RFC 8017 §8.2.2) over exactly `message`
    /// with the certificate's key. The card signs a DigestInfo the client builds from SHA-256 of
    /// the message, which is the same thing.
    public static func verifySignature(_ signature: [UInt8], over message: [UInt8], by certificate: Certificate) throws(JPKIFailure) {
        guard let key = _RSA.Signing.PublicKey(certificate.publicKey) else { throw JPKIFailure(.untrusted, "the key is not RSA") }
        try verifySignature(signature, over: message, by: key)
    }

    static func verifySignature(_ signature: [UInt8], over message: [UInt8], by key: _RSA.Signing.PublicKey) throws(JPKIFailure) {
        guard signature.count == key.keySizeInBits / 8 else { throw JPKIFailure(.badSignature, "the signature has the wrong length") }
        let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
        guard key.isValidSignature(sig, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5) else {
            throw JPKIFailure(.badSignature, "the signature does not verify over the challenge")
        }
    }
}

/// The bits of `KeyUsage ::= BIT STRING` (RFC 5280 §4.2.1.3) the checks read.
struct KeyUsageBits {
    let digitalSignature: Bool
    let nonRepudiation: Bool
    let keyCertSign: Bool

    init(_ der: [UInt8], _ value: Range<Int>) throws(DERFieldError) {
        var top = DERReader(der, value)
        let bits = try top.next(DERTag.bitString, "keyUsage")
        guard top.isAtEnd, let unused = bits.content.first.map({ der[$0] }), unused < 8, bits.content.count >= 2 || unused == 0 else {
            throw DERFieldError("keyUsage is not a BIT STRING")
        }
        let content = der[bits.content].dropFirst()
        func bit(_ n: Int) -> Bool {
            let index = content.startIndex + n / 8
            return index < content.endIndex && content[index] & (0x80 >> UInt8(n % 8)) != 0
        }
        digitalSignature = bit(0)
        nonRepudiation = bit(1)
        keyCertSign = bit(5)
    }
}

/// A bounded cache of certificates that passed the time-independent checks (a JPKIVerifier's
/// trust store never changes, so a hit is exactly what re-checking would give).
public final class JPKICheckCache: Sendable {
    private let entries: BoundedCache<ByteKey, JPKIVerifier.Checked>

    public init(capacity: Int = 1_000) { entries = BoundedCache(capacity: capacity) }

    public var capacity: Int { entries.capacity }
    public var count: Int { entries.count }

    func get(_ key: [UInt8]) -> JPKIVerifier.Checked? { entries[ByteKey(key)] }
    func put(_ key: [UInt8], _ value: JPKIVerifier.Checked) { entries.put(ByteKey(key), value) }
}
