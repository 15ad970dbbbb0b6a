import Crypto
import CryptoExtras
import Foundation
import HonninPKI
import SwiftASN1
import X509

// A small test PKI shaped like JPKI's signature hierarchy (ic-chip-protocols.md §1.5, §1.6, §6.2):
// a self-signed root with a TEST marker in its name, end-entity certificates with a
// cRLDistributionPoints directoryName per municipality, and delegated OCSP responders.
// Test support only: never linked by the executable.

/// Object identifiers the test PKI writes. Test support only.
public enum TestOID {
    public static let cRLDistributionPoints: ASN1ObjectIdentifier = [2, 5, 29, 31]
    public static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
    public static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    public static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    public static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    public static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
    public static let ocspBasic: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
    public static let ocspNonce: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    /// An extension no implementation knows, for "unknown critical extension" cases.
    public static let madeUp: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 99_999, 1]
}

/// The test PKI: a JPKI-like root, a second root with the **same name** and another key (as after a
/// CA key roll-over), and helpers to issue end-entity and OCSP responder certificates. Keys come
/// from ``TestKeys`` so nothing is generated. Test support only.
public struct TestRevocationPKI: Sendable {
    public let rootKey: _RSA.Signing.PrivateKey
    public let root: Certificate
    public let otherRootKey: _RSA.Signing.PrivateKey
    /// Same subject as ``root``, different key.
    public let otherRoot: Certificate
    public let endEntityKey: _RSA.Signing.PrivateKey
    public let responderKey: _RSA.Signing.PrivateKey
    public let notBefore: Date
    public let notAfter: Date

    /// `C=JP, O=JPKI, OU=JPKI for digital signature, OU=TEST, OU=Japan Agency for Local Authority Information Systems`.
    public static let rootName: DistinguishedName = {
        // Built from literals; cannot fail.
        (try? DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName("JPKI for digital signature")
            OrganizationalUnitName("TEST")
            OrganizationalUnitName("Japan Agency for Local Authority Information Systems")
        }) ?? DistinguishedName()
    }()

    /// A JPKI-style partition name: `C=JP, O=JPKI, OU=JPKI for digital signature, OU=TEST,
    /// OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality> CRLDP`.
    public static func distributionPointName(prefecture: String, municipality: String) -> DistinguishedName {
        (try? DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName("JPKI for digital signature")
            OrganizationalUnitName("TEST")
            OrganizationalUnitName("CRL Distribution Points")
            OrganizationalUnitName(prefecture)
            CommonName("\(municipality) CRLDP")
        }) ?? DistinguishedName()
    }

    /// Default validity: 2026-01-01 to 2031-01-01, around the suites' query time of 2027-01-02.
    public init(
        notBefore: Date = Date(timeIntervalSince1970: 1_767_225_600), notAfter: Date = Date(timeIntervalSince1970: 1_924_992_000)
    ) throws {
        rootKey = try _RSA.Signing.PrivateKey(pemRepresentation: TestKeys.rootPEM)
        otherRootKey = try _RSA.Signing.PrivateKey(pemRepresentation: TestKeys.otherRootPEM)
        endEntityKey = try _RSA.Signing.PrivateKey(pemRepresentation: TestKeys.endEntityPEM)
        responderKey = try _RSA.Signing.PrivateKey(pemRepresentation: TestKeys.responderPEM)
        self.notBefore = notBefore
        self.notAfter = notAfter
        root = try Self.makeRoot(key: rootKey, serial: 1, notBefore: notBefore, notAfter: notAfter)
        otherRoot = try Self.makeRoot(key: otherRootKey, serial: 2, notBefore: notBefore, notAfter: notAfter)
    }

    static func makeRoot(key: _RSA.Signing.PrivateKey, serial: Int, notBefore: Date, notAfter: Date) throws -> Certificate {
        let ski = Array(Insecure.SHA1.hash(data: key.publicKey.pkcs1DERRepresentation))
        return try Certificate(
            version: .v3, serialNumber: .init(serial), publicKey: .init(key.publicKey), notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: rootName, subject: rootName, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: ski[...])
            },
            issuerPrivateKey: .init(key))
    }

    /// The subjectKeyIdentifier of a root, as the CRL authorityKeyIdentifier should carry it.
    public static func keyIdentifier(of key: _RSA.Signing.PublicKey) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: key.pkcs1DERRepresentation))
    }

    /// An end-entity (signature) certificate issued by ``root`` (or `issuerKey`), with a critical
    /// keyUsage digitalSignature+nonRepudiation and, when given, cRLDistributionPoints naming
    /// `distributionPoints` as directory names. The subject has no personal data.
    public func issueEndEntity(
        serial: Int, distributionPoints: [DistinguishedName] = [], issuerKey: _RSA.Signing.PrivateKey? = nil
    ) throws -> Certificate {
        var extensions = try Certificate.Extensions {
            Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
        }
        if !distributionPoints.isEmpty { try extensions.append(try Self.crlDistributionPoints(distributionPoints)) }
        let subject = try DistinguishedName {
            CountryName("JP")
            LocalityName("テスト県")
            LocalityName("テスト市")
            CommonName("TEST\(serial)")
        }
        return try Certificate(
            version: .v3, serialNumber: .init(serial), publicKey: .init(endEntityKey.publicKey), notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: Self.rootName, subject: subject, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: extensions, issuerPrivateKey: .init(issuerKey ?? rootKey))
    }

    /// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2) issued by ``root`` (or
    /// `issuerKey`), with id-kp-OCSPSigning unless `ocspSigningEKU` is false.
    public func issueResponder(
        serial: Int, ocspSigningEKU: Bool = true, issuerKey: _RSA.Signing.PrivateKey? = nil,
        notBefore: Date? = nil, notAfter: Date? = nil
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName("TEST")
            CommonName("TEST OCSP Responder \(serial)")
        }
        let extensions = try Certificate.Extensions {
            Critical(KeyUsage(digitalSignature: true))
            if ocspSigningEKU { try ExtendedKeyUsage([.ocspSigning]) } else { try ExtendedKeyUsage([.clientAuth]) }
        }
        return try Certificate(
            version: .v3, serialNumber: .init(serial), publicKey: .init(responderKey.publicKey),
            notValidBefore: notBefore ?? self.notBefore, notValidAfter: notAfter ?? self.notAfter, issuer: Self.rootName,
            subject: subject, signatureAlgorithm: .sha256WithRSAEncryption, extensions: extensions,
            issuerPrivateKey: .init(issuerKey ?? rootKey))
    }

    /// cRLDistributionPoints (RFC 5280 §4.2.1.13) with one DistributionPoint per name, each
    /// `distributionPoint [0] { fullName [0] { directoryName [4] Name } }`.
    public static func crlDistributionPoints(_ names: [DistinguishedName], critical: Bool = false) throws -> Certificate.Extension {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            for name in names {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try serializeDistributionPointName([name], into: &coder)
                }
            }
        }
        return Certificate.Extension(oid: TestOID.cRLDistributionPoints, critical: critical, value: coder.serializedBytes[...])
    }

    static func serializeDistributionPointName(_ names: [DistinguishedName], into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                for name in names { try coder.serialize(GeneralName.directoryName(name)) }
            }
        }
    }

    /// PEM of a certificate (for openssl and fixtures).
    public static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString
    }

    /// DER of a certificate.
    public static func der(_ certificate: Certificate) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serialize(certificate)
        return coder.serializedBytes
    }
}

/// How a test CRL or OCSP response is signed. Test support only.
public enum TestSigningKey: Sendable {
    case rsaSHA256(_RSA.Signing.PrivateKey)
    case rsaSHA384(_RSA.Signing.PrivateKey)
    case rsaSHA1(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)

    var algorithmIdentifier: (ASN1ObjectIdentifier, Bool) {
        switch self {
        case .rsaSHA256: ([1, 2, 840, 113_549, 1, 1, 11], true)
        case .rsaSHA384: ([1, 2, 840, 113_549, 1, 1, 12], true)
        case .rsaSHA1: ([1, 2, 840, 113_549, 1, 1, 5], true)
        case .p256: ([1, 2, 840, 10045, 4, 3, 2], false)
        }
    }

    func serializeAlgorithm(into coder: inout DER.Serializer) throws {
        let (oid, null) = algorithmIdentifier
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            if null { try coder.serialize(ASN1Null()) }
        }
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch self {
        case .rsaSHA256(let k): Array(try k.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .rsaSHA384(let k): Array(try k.signature(for: SHA384.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .rsaSHA1(let k): Array(try k.signature(for: Insecure.SHA1.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .p256(let k): Array(try k.signature(for: SHA256.hash(data: message)).derRepresentation)
        }
    }
}

/// Builds CRLs (RFC 5280 §5.1) with every knob the negative tests need. Test support only.
public struct TestCRLIssuer: Sendable {
    public struct Revoked: Sendable {
        public var serial: Int
        public var date: Date
        public var reason: RevocationReason?
        public var extraExtensions: [Certificate.Extension]
        public init(serial: Int, date: Date, reason: RevocationReason?, extraExtensions: [Certificate.Extension] = []) {
            self.serial = serial
            self.date = date
            self.reason = reason
            self.extraExtensions = extraExtensions
        }
    }

    public var issuerName: DistinguishedName
    public var key: TestSigningKey
    public var authorityKeyIdentifier: [UInt8]?

    public init(issuerName: DistinguishedName = TestRevocationPKI.rootName, key: TestSigningKey, authorityKeyIdentifier: [UInt8]? = nil) {
        self.issuerName = issuerName
        self.key = key
        self.authorityKeyIdentifier = authorityKeyIdentifier
    }

    /// A v2 CRL. `distributionPoint` adds a critical issuingDistributionPoint naming that DirName;
    /// `tamper` flips a bit of the signature.
    public func make(
        revoked: [Revoked], thisUpdate: Date, nextUpdate: Date?, crlNumber: Int? = 1, distributionPoint: DistinguishedName? = nil,
        extraExtensions: [Certificate.Extension] = [], tamper: Bool = false
    ) throws -> [UInt8] {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try key.serializeAlgorithm(into: &coder)
            try coder.serialize(issuerName)
            try testSerializeTime(thisUpdate, into: &coder)
            if let nextUpdate { try testSerializeTime(nextUpdate, into: &coder) }
            if !revoked.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for r in revoked {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(Certificate.SerialNumber(r.serial).bytes)
                            try testSerializeTime(r.date, into: &coder)
                            var exts = r.extraExtensions
                            if let reason = r.reason {
                                var v = DER.Serializer()
                                try reason.rawValue.serialize(into: &v, withIdentifier: .enumerated)
                                exts.insert(Certificate.Extension(oid: TestOID.reasonCode, critical: false, value: v.serializedBytes[...]), at: 0)
                            }
                            if !exts.isEmpty {
                                try coder.appendConstructedNode(identifier: .sequence) { c in for e in exts { try c.serialize(e) } }
                            }
                        }
                    }
                }
            }
            var exts: [Certificate.Extension] = []
            if let aki = authorityKeyIdentifier {
                var v = DER.Serializer()
                try v.appendConstructedNode(identifier: .sequence) { c in
                    try ASN1OctetString(contentBytes: aki[...]).serialize(into: &c, withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                }
                exts.append(Certificate.Extension(oid: TestOID.authorityKeyIdentifier, critical: false, value: v.serializedBytes[...]))
            }
            if let crlNumber {
                var v = DER.Serializer()
                try v.serialize(crlNumber)
                exts.append(Certificate.Extension(oid: TestOID.crlNumber, critical: false, value: v.serializedBytes[...]))
            }
            if let distributionPoint {
                var v = DER.Serializer()
                try v.appendConstructedNode(identifier: .sequence) { c in
                    try TestRevocationPKI.serializeDistributionPointName([distributionPoint], into: &c)
                }
                exts.append(Certificate.Extension(oid: TestOID.issuingDistributionPoint, critical: true, value: v.serializedBytes[...]))
            }
            exts += extraExtensions
            if !exts.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { c in
                    try c.appendConstructedNode(identifier: .sequence) { c in for e in exts { try c.serialize(e) } }
                }
            }
        }
        return try testSignedStructure(tbs: tbs.serializedBytes, key: key, tamper: tamper)
    }
}

/// `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING signature }` — the shape of a CRL, a
/// certificate and a BasicOCSPResponse without certs.
func testSignedStructure(tbs: [UInt8], key: TestSigningKey, tamper: Bool, certs: [Certificate] = []) throws -> [UInt8] {
    var signature = try key.sign(tbs)
    if tamper, !signature.isEmpty { signature[signature.count / 2] ^= 0x01 }
    var coder = DER.Serializer()
    try coder.appendConstructedNode(identifier: .sequence) { coder in
        coder.serializeRawBytes(tbs)
        try key.serializeAlgorithm(into: &coder)
        try coder.serialize(ASN1BitString(bytes: signature[...]))
        if !certs.isEmpty {
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { c in
                try c.appendConstructedNode(identifier: .sequence) { c in for cert in certs { try c.serialize(cert) } }
            }
        }
    }
    return coder.serializedBytes
}

/// RFC 5280 §4.1.2.5 time encoding (UTCTime through 2049).
func testSerializeTime(_ date: Date, into coder: inout DER.Serializer) throws {
    let c = Calendar(identifier: .gregorian)
    let f = c.dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: date)
    let (y, mo, d, h, mi, s) = (f.year ?? 0, f.month ?? 0, f.day ?? 0, f.hour ?? 0, f.minute ?? 0, f.second ?? 0)
    if y < 2050 {
        try coder.serialize(try UTCTime(year: y, month: mo, day: d, hours: h, minutes: mi, seconds: s))
    } else {
        try coder.serialize(try GeneralizedTime(year: y, month: mo, day: d, hours: h, minutes: mi, seconds: s, fractionalSeconds: 0))
    }
}

func testGeneralizedTime(_ date: Date) throws -> GeneralizedTime {
    let c = Calendar(identifier: .gregorian)
    let f = c.dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: date)
    return try GeneralizedTime(
        year: f.year ?? 0, month: f.month ?? 0, day: f.day ?? 0, hours: f.hour ?? 0, minutes: f.minute ?? 0,
        seconds: f.second ?? 0, fractionalSeconds: 0)
}
