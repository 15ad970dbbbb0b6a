import Crypto
import Foundation
import HonninCore
import HonninPKI
import SwiftASN1
import X509
import CryptoExtras

/// A **test** PKI shaped like JPKI (ic-chip-protocols.md §1.5–1.7, §6.2): self-signed RSA-2048
/// roots for the two hierarchies whose names carry a TEST marker, end-entity certificates issued
/// directly by them with sha256WithRSA, keyUsage as on real cards, a cRLDistributionPoints
/// directoryName, and — for signature certificates — the six subjectAltName `otherName` entries.
/// Test support only: never a trust anchor of the product.
public final class TestJPKI: Sendable {
    public struct Hierarchy: Sendable {
        public let kind: JPKICertificateKind
        public let name: DistinguishedName
        public let key: _RSA.Signing.PrivateKey
        public let root: Certificate
        public var rootDER: [UInt8] {
            var s = DER.Serializer()
            try? s.serialize(root)
            return s.serializedBytes
        }
    }

    public let signature: Hierarchy
    public let userAuthentication: Hierarchy
    /// One subscriber key reused by most certificates (RSA key generation is slow).
    public let subscriberKey: _RSA.Signing.PrivateKey
    public let validFrom: Date

    /// The shared instance: keys are generated once per test process.
    public static let shared = TestJPKI()

    /// A hierarchy with the trusted signature root's name but another key: an impostor root.
    public static let impostor = hierarchy(.signature, "JPKI for digital signature (TEST)", validFrom: Date(timeIntervalSince1970: 1_735_689_600))

    public init(validFrom: Date = Date(timeIntervalSince1970: 1_735_689_600)) {  // 2025-01-01
        self.validFrom = validFrom
        signature = Self.hierarchy(.signature, "JPKI for digital signature (TEST)", validFrom: validFrom)
        userAuthentication = Self.hierarchy(.userAuthentication, "JPKI for user authentication (TEST)", validFrom: validFrom)
        subscriberKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    }

    static func dn(_ unit: String) -> DistinguishedName {
        try! DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI TEST")
            OrganizationalUnitName(unit)
            OrganizationalUnitName("Japan Agency for Local Authority Information Systems (TEST)")
        }
    }

    static func hierarchy(_ kind: JPKICertificateKind, _ unit: String, validFrom: Date) -> Hierarchy {
        let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = dn(unit)
        let root = try! Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x06, 0x7C, 0x6A, 0x21]),
            publicKey: Certificate.PublicKey(key.publicKey), notValidBefore: validFrom, notValidAfter: validFrom.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: Certificate.PrivateKey(key))
        return Hierarchy(kind: kind, name: name, key: key, root: root)
    }

    /// The trust store of this test PKI (as an operator would add with `--jpki-roots`).
    public var trustStore: JPKITrustStore {
        JPKITrustStore(
            roots: [signature, userAuthentication].map {
                JPKITrustStore.Root(certificate: $0.root, kind: $0.kind, fingerprint: Bytes.hex(SHA256.hash(data: $0.rootDER)), builtIn: false)
            })
    }

    /// The values of the six subjectAltName entries; nil leaves an entry out.
    public struct SubjectAttributes: Sendable {
        public var name: String? = "山田 花子"
        public var nameSubstitute: String? = nil
        public var gender: String? = "2"
        public var birthDate: String? = "419900401"
        public var address: String? = "東京都千代田区千代田1番1号"
        public var addressSubstitute: String? = nil
        /// Extra raw entries (e.g. a duplicate) appended as they are: (OID, value).
        public var extra: [(ASN1ObjectIdentifier, String)] = []
        public init() {}
    }

    /// What to vary when issuing a certificate (defaults: a valid signature certificate).
    public struct Options: Sendable {
        public var kind: JPKICertificateKind = .signature
        public var serial: [UInt8] = [0x01, 0x23, 0x45]
        public var notBefore: Date? = nil
        public var notAfter: Date? = nil
        public var algorithm: Certificate.SignatureAlgorithm = .sha256WithRSAEncryption
        /// nil: the kind's usual key usage.
        public var keyUsage: KeyUsage? = nil
        public var isCA = false
        public var subject = SubjectAttributes()
        public var omitSubjectAltName = false
        /// An extension this code does not know, marked critical.
        public var unknownCriticalExtension = false
        /// Issue from another (untrusted) hierarchy of the same name.
        public var issuer: Hierarchy? = nil
        public var subscriberKey: _RSA.Signing.PrivateKey? = nil
        public init() {}
    }

    /// Issues a certificate; returns its DER.
    public func issue(_ o: Options = Options()) throws -> [UInt8] {
        let hierarchy = o.issuer ?? (o.kind == .signature ? signature : userAuthentication)
        let key = o.subscriberKey ?? subscriberKey
        let usage = o.keyUsage ?? (o.kind == .signature ? KeyUsage(digitalSignature: true, nonRepudiation: true) : KeyUsage(digitalSignature: true))
        let subject = try DistinguishedName {
            CountryName("JP")
            LocalityName("東京都")
            LocalityName("千代田区")
            CommonName("TEST\(Bytes.hex(o.serial).uppercased())")
        }
        var extensions = try Certificate.Extensions {
            Critical(usage)
            if o.isCA { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) }
        }
        try extensions.append(Self.crlDistributionPoint(hierarchy))
        if o.kind == .signature && !o.omitSubjectAltName {
            var names: [GeneralName] = []
            let s = o.subject
            for (oid, value) in [
                (JPKIOID.name, s.name), (JPKIOID.nameSubstitute, s.nameSubstitute), (JPKIOID.gender, s.gender), (JPKIOID.birthDate, s.birthDate),
                (JPKIOID.address, s.address), (JPKIOID.addressSubstitute, s.addressSubstitute),
            ] {
                if let value { names.append(.otherName(.init(typeID: oid, value: try ASN1Any(erasing: ASN1UTF8String(value))))) }
            }
            for (oid, value) in s.extra { names.append(.otherName(.init(typeID: oid, value: try ASN1Any(erasing: ASN1UTF8String(value))))) }
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: false))
        }
        if o.unknownCriticalExtension {
            try extensions.append(Certificate.Extension(oid: [1, 2, 3, 4, 5], critical: true, value: [0x05, 0x00]))
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: o.serial), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: o.notBefore ?? validFrom, notValidAfter: o.notAfter ?? validFrom.addingTimeInterval(5 * 365 * 86_400),
            issuer: hierarchy.name, subject: subject, signatureAlgorithm: o.algorithm, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(hierarchy.key))
        var serializer = DER.Serializer()
        try serializer.serialize(cert)
        return serializer.serializedBytes
    }

    /// cRLDistributionPoints (RFC 5280 §4.2.1.13) with a directoryName, as JPKI certificates carry:
    /// `OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality> CRLDP` under the root's name.
    static func crlDistributionPoint(_ h: Hierarchy) throws -> Certificate.Extension {
        let dpName = try distributionPointName(h)
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { s in  // CRLDistributionPoints
            try s.appendConstructedNode(identifier: .sequence) { s in  // DistributionPoint
                try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in  // distributionPoint
                    try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in  // fullName
                        try s.serialize(GeneralName.directoryName(dpName))
                    }
                }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 31], critical: false, value: s.serializedBytes[...])
    }

    static func distributionPointName(_ h: Hierarchy) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI TEST")
            OrganizationalUnitName(h.kind == .signature ? "JPKI for digital signature (TEST)" : "JPKI for user authentication (TEST)")
            OrganizationalUnitName("CRL Distribution Points")
            OrganizationalUnitName("Tokyo")
            CommonName("Chiyoda CRLDP")
        }
    }

    /// A CRL of a hierarchy's partition (the DirName its certificates name), signed by its root.
    public func crl(_ h: Hierarchy, revoked: [TestCRLIssuer.Revoked], thisUpdate: Date, nextUpdate: Date) throws -> [UInt8] {
        try TestCRLIssuer(issuerName: h.name, key: .rsaSHA256(h.key))
            .make(revoked: revoked, thisUpdate: thisUpdate, nextUpdate: nextUpdate, distributionPoint: try Self.distributionPointName(h))
    }

    /// PEM of a hierarchy's root, as an operator puts it in `--jpki-roots`.
    public func rootPEM(_ h: Hierarchy) -> String {
        "-----BEGIN CERTIFICATE-----\n" + Data(h.rootDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
    }

    /// Signs `message` as the card does: RSASSA-PKCS1-v1_5 over SHA-256 (the host sends the
    /// DigestInfo of SHA-256(message); the card pads and signs it).
    public func sign(_ message: [UInt8], key: _RSA.Signing.PrivateKey? = nil) throws -> [UInt8] {
        let k = key ?? subscriberKey
        return Array(try k.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
    }
}

/// A revocation provider with a fixed answer, for tests (a **test** provider, never configured
/// by the product).
public struct TestRevocationProvider: RevocationProvider {
    public let answer: @Sendable (Certificate) -> RevocationStatus
    public init(_ answer: @escaping @Sendable (Certificate) -> RevocationStatus) { self.answer = answer }

    public static func good(at date: Date = Date(timeIntervalSince1970: 1_798_761_600)) -> TestRevocationProvider {
        TestRevocationProvider { _ in
            .good(RevocationEvidence(provider: "test", source: "TestRevocationProvider", checkedAt: date, thisUpdate: date, nextUpdate: nil))
        }
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus { answer(certificate) }
}
