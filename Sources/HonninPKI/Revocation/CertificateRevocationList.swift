import Foundation
import SwiftASN1
import X509

/// An X.509 certificate revocation list, RFC 5280 §5.
///
/// ```
/// CertificateList  ::=  SEQUENCE  {
///      tbsCertList          TBSCertList,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
///
/// TBSCertList  ::=  SEQUENCE  {
///      version                 Version OPTIONAL,  -- if present, MUST be v2
///      signature               AlgorithmIdentifier,
///      issuer                  Name,
///      thisUpdate              Time,
///      nextUpdate              Time OPTIONAL,
///      revokedCertificates     SEQUENCE OF SEQUENCE  {
///           userCertificate         CertificateSerialNumber,
///           revocationDate          Time,
///           crlEntryExtensions      Extensions OPTIONAL } OPTIONAL,
///      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL }
/// ```
///
/// Parsing is strict DER (swift-asn1) and fails closed: an unknown **critical** CRL or entry
/// extension (§5.2, §5.3) is `unknown_critical_extension`; delta CRLs (§5.2.4, critical) are
/// therefore refused, and so are indirect CRLs (§5.2.5 `indirectCRL`, §5.3.3 `certificateIssuer`)
/// and CRLs covering only some reasons (`onlySomeReasons`), which could never prove a certificate
/// good. Parsing does not check the signature: call ``verifySignature(issuer:)``.
public struct CertificateRevocationList: Sendable, Hashable {
    /// One `revokedCertificates` entry (RFC 5280 §5.1.2.6).
    public struct Entry: Sendable, Hashable {
        /// The serial as its DER INTEGER content octets.
        public let serialNumber: [UInt8]
        public let revocationDate: Date
        /// §5.3.1 reasonCode; nil when absent (callers report `unspecified`).
        public let reason: RevocationReason?
        /// §5.3.2 invalidityDate, when present.
        public let invalidityDate: Date?
    }

    /// 1 (v1, version absent) or 2 (v2).
    public let version: Int
    public let signatureAlgorithm: RevocationSignatureAlgorithm
    public let issuer: DistinguishedName
    public let thisUpdate: Date
    public let nextUpdate: Date?
    public let entries: [Entry]
    /// §5.2.3 cRLNumber, as INTEGER content octets.
    public let crlNumber: [UInt8]?
    /// §5.2.1 authorityKeyIdentifier `keyIdentifier`.
    public let authorityKeyIdentifier: [UInt8]?
    /// §5.2.5 issuingDistributionPoint.
    public let issuingDistributionPoint: IssuingDistributionPoint?
    /// The DER of the whole CRL.
    public let derBytes: [UInt8]

    let tbsBytes: [UInt8]
    let signatureBytes: [UInt8]
    private let index: [[UInt8]: Int]

    /// The CRL number in hex, or `"-"` when absent (for evidence and logs).
    public var crlNumberHex: String { crlNumber.map { serialHex(normalizedSerial($0)) } ?? "-" }

    /// Parses one CRL from DER, or from PEM (`-----BEGIN X509 CRL-----`) when the bytes are text.
    public init(bytes: [UInt8]) throws(RevocationError) {
        if let text = String(validating: bytes, as: UTF8.self), let blocks = try pemBlocks(text, label: "X509 CRL") {
            guard blocks.count == 1, let der = blocks.first else {
                throw RevocationError(.malformed, "expected exactly one X509 CRL PEM block, found \(blocks.count)")
            }
            try self.init(derEncoded: der)
        } else {
            try self.init(derEncoded: bytes)
        }
    }

    /// Parses one DER-encoded CRL (RFC 5280 §5.1).
    public init(derEncoded der: [UInt8]) throws(RevocationError) {
        derBytes = der
        // 1. Outer structure: tbsCertList, signatureAlgorithm, signatureValue.
        let (tbsNode, outerAlgorithm, signature) = try mappingErrors("CertificateList") {
            let root = try DER.parse(der)
            return try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next(), let algorithm = nodes.next() else {
                    throw RevocationError(.malformed, "CertificateList is incomplete")
                }
                let signature = try ASN1BitString(derEncoded: &nodes)
                guard signature.paddingBits == 0 else { throw RevocationError(.malformed, "signature has padding bits") }
                return (tbs, try RevocationSignatureAlgorithm.parse(algorithm), Array(signature.bytes))
            }
        }
        tbsBytes = Array(tbsNode.encodedBytes)
        signatureBytes = signature
        signatureAlgorithm = outerAlgorithm

        // 2. TBSCertList fields in order.
        struct TBS {
            var version = 1
            var issuer = DistinguishedName()
            var thisUpdate = Date(timeIntervalSince1970: 0)
            var nextUpdate: Date?
            var entries: [Entry] = []
            var extensions: [Certificate.Extension] = []
        }
        let tbs: TBS = try mappingErrors("TBSCertList") {
            try DER.sequence(tbsNode, identifier: .sequence) { nodes in
                var out = TBS()
                var peek = nodes
                if let first = peek.next(), first.identifier == .integer {
                    let v = try Int(derEncoded: &nodes)
                    guard v == 1 else { throw RevocationError(.unsupported, "CRL version \(v + 1)") }
                    out.version = 2
                }
                guard let algorithmNode = nodes.next() else { throw RevocationError(.malformed, "no signature field") }
                // 2a. §5.1.1.2: the inner signature field MUST equal the outer signatureAlgorithm.
                guard try RevocationSignatureAlgorithm.parse(algorithmNode) == outerAlgorithm else {
                    throw RevocationError(.malformed, "signature algorithm differs between tbsCertList and CertificateList")
                }
                guard let issuerNode = nodes.next() else { throw RevocationError(.malformed, "no issuer") }
                out.issuer = try DistinguishedName(derEncoded: issuerNode)
                guard let thisUpdate = nodes.next() else { throw RevocationError(.malformed, "no thisUpdate") }
                out.thisUpdate = try parseTime(thisUpdate)
                var node = nodes.next()
                if let n = node, n.identifier == .utcTime || n.identifier == .generalizedTime {
                    out.nextUpdate = try parseTime(n)
                    node = nodes.next()
                }
                if let n = node, n.identifier == .sequence {
                    out.entries = try DER.sequence(n, identifier: .sequence) { entryNodes in
                        var entries: [Entry] = []
                        while let entry = entryNodes.next() {
                            entries.append(try Self.parseEntry(entry, allowExtensions: out.version == 2))
                        }
                        return entries
                    }
                    node = nodes.next()
                }
                if let n = node {
                    guard n.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), out.version == 2 else {
                        throw RevocationError(.malformed, "unexpected field in TBSCertList")
                    }
                    out.extensions = try DER.explicitlyTagged(n, tagNumber: 0, tagClass: .contextSpecific) {
                        try parseExtensions($0)
                    }
                }
                return out
            }
        }
        version = tbs.version
        issuer = tbs.issuer
        thisUpdate = tbs.thisUpdate
        nextUpdate = tbs.nextUpdate
        entries = tbs.entries

        // 3. CRL extensions (§5.2): known ones parsed, unknown critical ones refused.
        var number: [UInt8]?
        var aki: [UInt8]?
        var idp: IssuingDistributionPoint?
        for e in tbs.extensions {
            switch e.oid {
            case RevocationOID.crlNumber:
                number = try mappingErrors("cRLNumber") { Array(try ArraySlice<UInt8>(derEncoded: try DER.parse(e.value))) }
            case RevocationOID.authorityKeyIdentifier:
                aki = try mappingErrors("authorityKeyIdentifier") { try AuthorityKeyIdentifier(e).keyIdentifier.map(Array.init) }
            case RevocationOID.issuingDistributionPoint:
                idp = try mappingErrors("issuingDistributionPoint") { try IssuingDistributionPoint.parse(e.value, crlIssuer: tbs.issuer) }
            default:
                if e.critical {
                    // Includes deltaCRLIndicator (§5.2.4), which is always critical: delta CRLs are not supported.
                    throw RevocationError(.unknownCriticalExtension, "critical CRL extension \(e.oid)")
                }
            }
        }
        if let idp {
            // 4. Scopes that could not prove a certificate good are refused (§5.2.5).
            if idp.indirectCRL { throw RevocationError(.unsupported, "indirect CRL") }
            if idp.hasOnlySomeReasons { throw RevocationError(.unsupported, "CRL covers only some reasons") }
        }
        crlNumber = number
        authorityKeyIdentifier = aki
        issuingDistributionPoint = idp

        var index: [[UInt8]: Int] = [:]
        for (i, entry) in entries.enumerated() { index[normalizedSerial(entry.serialNumber)] = i }
        self.index = index
    }

    private static func parseEntry(_ node: ASN1Node, allowExtensions: Bool) throws -> Entry {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            guard let dateNode = nodes.next() else { throw RevocationError(.malformed, "entry without revocationDate") }
            let date = try parseTime(dateNode)
            var reason: RevocationReason?
            var invalidity: Date?
            if let extNode = nodes.next() {
                guard allowExtensions else { throw RevocationError(.malformed, "entry extensions in a v1 CRL") }
                for e in try parseExtensions(extNode) {
                    switch e.oid {
                    case RevocationOID.reasonCode:
                        // §5.3.1 CRLReason ::= ENUMERATED
                        let raw = try Int(derEncoded: try DER.parse(e.value), withIdentifier: .enumerated)
                        guard let r = RevocationReason(rawValue: raw) else {
                            throw RevocationError(.malformed, "unknown CRLReason \(raw)")
                        }
                        reason = r
                    case RevocationOID.invalidityDate:
                        invalidity = try parseGeneralizedTime(try DER.parse(e.value))
                    case RevocationOID.certificateIssuer:
                        // §5.3.3: always critical; only meaningful in indirect CRLs.
                        throw RevocationError(.unsupported, "certificateIssuer entry extension (indirect CRL)")
                    default:
                        if e.critical {
                            throw RevocationError(.unknownCriticalExtension, "critical CRL entry extension \(e.oid)")
                        }
                    }
                }
            }
            return Entry(serialNumber: Array(serial), revocationDate: date, reason: reason, invalidityDate: invalidity)
        }
    }

    /// The entry for `serial`, if the certificate is listed.
    public func entry(for serial: Certificate.SerialNumber) -> Entry? {
        index[normalizedSerial(serial.bytes)].map { entries[$0] }
    }

    /// Checks that `issuer` issued this CRL (RFC 5280 §6.3.3 (f)–(g)):
    /// 1. the CRL issuer name equals the certificate's subject (`wrong_issuer`);
    /// 2. if both carry key identifiers, the CRL's authorityKeyIdentifier equals the certificate's
    ///    subjectKeyIdentifier (`wrong_issuer`; distinguishes rolled-over CA keys with one name);
    /// 3. the certificate may sign CRLs: keyUsage, if present, asserts cRLSign (`wrong_issuer`);
    /// 4. the signature verifies with the certificate's key (`bad_signature`).
    public func verifySignature(issuer certificate: Certificate) throws(RevocationError) {
        guard certificate.subject == issuer else {
            throw RevocationError(.wrongIssuer, "CRL issuer \(issuer) is not \(certificate.subject)")
        }
        if let aki = authorityKeyIdentifier, let ski = subjectKeyIdentifier(of: certificate), aki != ski {
            throw RevocationError(.wrongIssuer, "CRL authorityKeyIdentifier does not match the issuer's key")
        }
        guard mayIssueCRLs(certificate) else {
            throw RevocationError(.wrongIssuer, "issuer certificate's keyUsage lacks cRLSign")
        }
        guard signatureAlgorithm.isValidSignature(signatureBytes, for: tbsBytes, key: certificate.publicKey) else {
            throw RevocationError(.badSignature, "CRL \(issuer) #\(crlNumberHex) does not verify")
        }
    }
}
