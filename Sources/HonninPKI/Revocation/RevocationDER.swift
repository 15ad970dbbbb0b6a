import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import X509

// DER building blocks shared by the CRL and OCSP code: times, algorithm identifiers, signature
// checking, extensions and PEM. Everything here throws `RevocationError` and never traps on input.

// MARK: - Object identifiers

enum RevocationOID {
    // RFC 5280 §5.2 CRL extensions and §5.3 CRL entry extensions.
    static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    static let subjectKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 14]
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
    static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
    static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
    static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]
    static let cRLDistributionPoints: ASN1ObjectIdentifier = [2, 5, 29, 31]
    static let basicConstraints: ASN1ObjectIdentifier = [2, 5, 29, 19]
    static let keyUsage: ASN1ObjectIdentifier = [2, 5, 29, 15]
    static let extendedKeyUsage: ASN1ObjectIdentifier = [2, 5, 29, 37]
    // RFC 6960 §4.2.1 and §4.4.
    static let ocspBasic: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
    static let ocspNonce: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    static let ocspNoCheck: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]
    static let kpOCSPSigning: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 9]
    // Hash algorithms (CertID) — RFC 3279 §2.2.1 (SHA-1), RFC 5754 §2 (SHA-2).
    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    // Signature algorithms — RFC 4055 §5 / RFC 8017 Appendix C, RFC 5758 §3.2.
    static let sha1WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 5]
    static let md5WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 4]
    static let sha256WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 11]
    static let sha384WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 12]
    static let sha512WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 13]
    static let ecdsaWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 1]
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
}

// MARK: - Signature algorithms

/// The signature algorithms accepted on CRLs and OCSP responses (RFC 5280 §4.1.1.2, RFC 4055,
/// RFC 5758). SHA-1 and MD5 signatures are refused with `weak_algorithm`.
public enum RevocationSignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption
    case ecdsaWithSHA256, ecdsaWithSHA384

    var oid: ASN1ObjectIdentifier {
        switch self {
        case .sha256WithRSAEncryption: RevocationOID.sha256WithRSA
        case .sha384WithRSAEncryption: RevocationOID.sha384WithRSA
        case .sha512WithRSAEncryption: RevocationOID.sha512WithRSA
        case .ecdsaWithSHA256: RevocationOID.ecdsaWithSHA256
        case .ecdsaWithSHA384: RevocationOID.ecdsaWithSHA384
        }
    }

    var isRSA: Bool {
        switch self {
        case .sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption: true
        case .ecdsaWithSHA256, .ecdsaWithSHA384: false
        }
    }

    /// Parses an `AlgorithmIdentifier` (RFC 5280 §4.1.1.2). RSA identifiers must carry NULL or
    /// absent parameters (RFC 4055 §5); ECDSA identifiers must carry none (RFC 5758 §3.2).
    static func parse(_ node: ASN1Node) throws -> RevocationSignatureAlgorithm {
        let (oid, parameters) = try parseAlgorithmIdentifier(node)
        switch oid {
        case RevocationOID.sha1WithRSA, RevocationOID.md5WithRSA, RevocationOID.ecdsaWithSHA1:
            throw RevocationError(.weakAlgorithm, "signature algorithm \(oid) (SHA-1/MD5) is refused")
        default: break
        }
        guard let algorithm = Self.allCases.first(where: { $0.oid == oid }) else {
            throw RevocationError(.unsupportedAlgorithm, "signature algorithm \(oid)")
        }
        if algorithm.isRSA {
            if let parameters, parameters.identifier != .null {
                throw RevocationError(.malformed, "RSA algorithm parameters must be NULL")
            }
        } else if parameters != nil {
            throw RevocationError(.malformed, "ECDSA algorithm parameters must be absent")
        }
        return algorithm
    }

    func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            if isRSA { try coder.serialize(ASN1Null()) }
        }
    }

    /// Verifies `signature` over `message` with `key`. Returns false (never throws, never traps) for a
    /// key of the wrong type or a signature that does not verify.
    func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol, key: Certificate.PublicKey) -> Bool {
        switch self {
        case .sha256WithRSAEncryption, .sha384WithRSAEncryption, .sha512WithRSAEncryption:
            guard let rsa = _RSA.Signing.PublicKey(key) else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch self {
            case .sha256WithRSAEncryption:
                return rsa.isValidSignature(sig, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha384WithRSAEncryption:
                return rsa.isValidSignature(sig, for: SHA384.hash(data: message), padding: .insecurePKCS1v1_5)
            default:
                return rsa.isValidSignature(sig, for: SHA512.hash(data: message), padding: .insecurePKCS1v1_5)
            }
        case .ecdsaWithSHA256:
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            if let p256 = P256.Signing.PublicKey(key) { return p256.isValidSignature(sig, for: SHA256.hash(data: message)) }
            return false
        case .ecdsaWithSHA384:
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            if let p384 = P384.Signing.PublicKey(key) { return p384.isValidSignature(sig, for: SHA384.hash(data: message)) }
            return false
        }
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }`.
func parseAlgorithmIdentifier(_ node: ASN1Node) throws -> (ASN1ObjectIdentifier, ASN1Node?) {
    try DER.sequence(node, identifier: .sequence) { nodes in
        let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
        let parameters = nodes.next()
        return (oid, parameters)
    }
}

// MARK: - Time

/// RFC 5280 §4.1.2.5 `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }`, as a `Date`.
/// UTCTime years 50–99 are 19xx (§4.1.2.5.1); swift-asn1 already enforces the DER `Z` forms.
func parseTime(_ node: ASN1Node) throws -> Date {
    switch node.identifier {
    case .utcTime:
        let t = try UTCTime(derEncoded: node)
        return civilDate(year: t.year, month: t.month, day: t.day, hours: t.hours, minutes: t.minutes, seconds: t.seconds)
    case .generalizedTime:
        return try parseGeneralizedTime(node)
    default:
        throw RevocationError(.malformed, "expected UTCTime or GeneralizedTime")
    }
}

func parseGeneralizedTime(_ node: ASN1Node) throws -> Date {
    let t = try GeneralizedTime(derEncoded: node)
    return civilDate(year: t.year, month: t.month, day: t.day, hours: t.hours, minutes: t.minutes, seconds: t.seconds)
        .addingTimeInterval(t.fractionalSeconds)
}

/// The UTC calendar fields of `date` (whole seconds), the inverse of ``civilDate`` (in CertificateFields.swift).
func civilFields(_ date: Date) -> (year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int) {
    let total = Int(date.timeIntervalSince1970.rounded(.down))
    var days = total / 86_400
    var rest = total % 86_400
    if rest < 0 {
        rest += 86_400
        days -= 1
    }
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    return (year, month, day, rest / 3_600, rest % 3_600 / 60, rest % 60)
}

/// A `GeneralizedTime` in whole seconds (RFC 5280 §4.1.2.5.2, RFC 6960 §4.2.2.1).
func generalizedTime(_ date: Date) throws -> GeneralizedTime {
    let f = civilFields(date)
    return try GeneralizedTime(
        year: f.year, month: f.month, day: f.day, hours: f.hours, minutes: f.minutes, seconds: f.seconds, fractionalSeconds: 0)
}

/// The RFC 5280 §4.1.2.5 encoding of a time: UTCTime through 2049, GeneralizedTime from 2050.
func serializeTime(_ date: Date, into coder: inout DER.Serializer) throws {
    let f = civilFields(date)
    if f.year >= 1950 && f.year < 2050 {
        try coder.serialize(
            try UTCTime(year: f.year, month: f.month, day: f.day, hours: f.hours, minutes: f.minutes, seconds: f.seconds))
    } else {
        try coder.serialize(try generalizedTime(date))
    }
}

// MARK: - Extensions

/// One `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`
/// (RFC 5280 §4.1), kept raw. swift-certificates' `Certificate.Extension` has the same shape.
func parseExtensions(_ node: ASN1Node) throws -> [Certificate.Extension] {
    let extensions = try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: node)
    var seen = Set<ASN1ObjectIdentifier>()
    for e in extensions where !seen.insert(e.oid).inserted {
        throw RevocationError(.malformed, "extension \(e.oid) appears twice")  // RFC 5280 §4.2
    }
    return extensions
}

func serializeExtensions(_ extensions: [Certificate.Extension], into coder: inout DER.Serializer) throws {
    try coder.appendConstructedNode(identifier: .sequence) { coder in
        for e in extensions { try coder.serialize(e) }
    }
}

// MARK: - Names and keys

/// The DER of a distinguished name, for hashing (RFC 6960 §4.1.1 issuerNameHash) and comparison.
func derBytes(of name: DistinguishedName) -> [UInt8] {
    var coder = DER.Serializer()
    guard (try? coder.serialize(name)) != nil else { return [] }
    return coder.serializedBytes
}

/// The `keyIdentifier` of the certificate's subjectKeyIdentifier extension, if any.
func subjectKeyIdentifier(of certificate: Certificate) -> [UInt8]? {
    guard let ski = try? certificate.extensions.subjectKeyIdentifier else { return nil }
    return Array(ski.keyIdentifier)
}

/// Whether the certificate may sign CRLs: if keyUsage is present it must assert cRLSign
/// (RFC 5280 §4.2.1.3, §6.3.3 (f)).
func mayIssueCRLs(_ certificate: Certificate) -> Bool {
    guard let usage = try? certificate.extensions.keyUsage else {
        return certificate.extensions[oid: RevocationOID.keyUsage] == nil
    }
    return usage.cRLSign
}

/// A serial number without leading zero octets, so that `00 8F` (DER for a positive 0x8F) and the
/// same serial stored without the sign octet compare equal.
func normalizedSerial(_ bytes: some Collection<UInt8>) -> [UInt8] {
    let trimmed = Array(bytes.drop(while: { $0 == 0 }))
    return trimmed.isEmpty ? [0] : trimmed
}

// MARK: - PEM

/// The DER bodies of every PEM block labelled `label` in `text`, or nil if the text has no PEM
/// block at all (so it may be DER).
func pemBlocks(_ text: String, label: String) throws(RevocationError) -> [[UInt8]]? {
    guard text.contains("-----BEGIN ") else { return nil }
    let documents: [PEMDocument]
    do {
        documents = try PEMDocument.parseMultiple(pemString: text)
    } catch {
        throw RevocationError(.malformed, "PEM could not be decoded")
    }
    return documents.filter { $0.discriminator == label }.map(\.derBytes)
}

// MARK: - Error mapping

/// Runs `body`, turning any error that is not already a `RevocationError` (swift-asn1's
/// `ASN1Error`, swift-certificates' errors) into `.malformed` with `context`.
func mappingErrors<T>(_ context: String, _ body: () throws -> T) throws(RevocationError) -> T {
    do {
        return try body()
    } catch let error as RevocationError {
        throw error
    } catch {
        throw RevocationError(.malformed, "\(context): DER does not parse")
    }
}
