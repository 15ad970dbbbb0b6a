import Crypto
import Foundation
import SwiftASN1
import X509

/// RFC 6960 §4.1.1 `CertID`: the certificate named by hashes of its issuer and its serial.
///
/// ```
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
///
/// SHA-1 is the default because RFC 5019 §2.1.1 and most responders expect it; here it is an
/// identifier hash over public data, not a signature, so its collision weakness does not apply.
public struct OCSPCertID: Sendable, Hashable {
    public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable {
        case sha1, sha256

        var oid: ASN1ObjectIdentifier { self == .sha1 ? RevocationOID.sha1 : RevocationOID.sha256 }

        func hash(_ bytes: some DataProtocol) -> [UInt8] {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: bytes))
            case .sha256: Array(SHA256.hash(data: bytes))
            }
        }
    }

    public let hashAlgorithm: HashAlgorithm
    public let issuerNameHash: [UInt8]
    public let issuerKeyHash: [UInt8]
    /// The serial as INTEGER content octets.
    public let serialNumber: [UInt8]

    public init(hashAlgorithm: HashAlgorithm, issuerNameHash: [UInt8], issuerKeyHash: [UInt8], serialNumber: [UInt8]) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    /// The CertID of `certificate` issued by `issuer`: the hash of the DER of the certificate's issuer
    /// name, and of the issuer key's BIT STRING value without tag, length and unused-bits octet.
    public init(certificate: Certificate, issuer: Certificate, hashAlgorithm: HashAlgorithm = .sha1) {
        self.hashAlgorithm = hashAlgorithm
        issuerNameHash = hashAlgorithm.hash(derBytes(of: certificate.issuer))
        issuerKeyHash = hashAlgorithm.hash(issuer.publicKey.subjectPublicKeyInfoBytes)
        serialNumber = Array(certificate.serialNumber.bytes)
    }

    /// Equal hashes and equal serial values (leading zero octets ignored).
    public func matches(_ other: OCSPCertID) -> Bool {
        hashAlgorithm == other.hashAlgorithm && issuerNameHash == other.issuerNameHash
            && issuerKeyHash == other.issuerKeyHash && normalizedSerial(serialNumber) == normalizedSerial(other.serialNumber)
    }

    init(derEncoded node: ASN1Node) throws {
        (hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber) = try DER.sequence(node, identifier: .sequence) { nodes in
            guard let algorithmNode = nodes.next() else { throw RevocationError(.malformed, "CertID without hashAlgorithm") }
            let (oid, parameters) = try parseAlgorithmIdentifier(algorithmNode)
            guard let algorithm = HashAlgorithm.allCases.first(where: { $0.oid == oid }) else {
                throw RevocationError(.unsupportedAlgorithm, "CertID hash algorithm \(oid)")
            }
            if let parameters, parameters.identifier != .null { throw RevocationError(.malformed, "hash parameters") }
            let name = try ASN1OctetString(derEncoded: &nodes)
            let key = try ASN1OctetString(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            return (algorithm, Array(name.bytes), Array(key.bytes), Array(serial))
        }
    }

    func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(hashAlgorithm.oid)
                try coder.serialize(ASN1Null())
            }
            try coder.serialize(ASN1OctetString(contentBytes: issuerNameHash[...]))
            try coder.serialize(ASN1OctetString(contentBytes: issuerKeyHash[...]))
            try coder.serialize(serialNumber[...])
        }
    }
}

/// RFC 6960 §4.1.1 `OCSPRequest`, unsigned, with an optional nonce (RFC 8954).
///
/// ```
/// OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
/// TBSRequest  ::= SEQUENCE {
///     version             [0] EXPLICIT Version DEFAULT v1,
///     requestorName       [1] EXPLICIT GeneralName OPTIONAL,
///     requestList             SEQUENCE OF Request,
///     requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
/// Request     ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
public struct OCSPRequest: Sendable, Hashable {
    public var certIDs: [OCSPCertID]
    /// The nonce's octets (RFC 8954 §2.1: 1–32 octets; we send 32). Nil: no nonce extension.
    public var nonce: [UInt8]?

    public init(certIDs: [OCSPCertID], nonce: [UInt8]?) {
        self.certIDs = certIDs
        self.nonce = nonce
    }

    /// Parses a request (used by test responders and by tests comparing against other encoders).
    /// Signed requests are parsed but their signature is ignored.
    public init(derEncoded der: [UInt8]) throws(RevocationError) {
        (certIDs, nonce) = try mappingErrors("OCSPRequest") {
            let root = try DER.parse(der)
            return try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next() else { throw RevocationError(.malformed, "no tbsRequest") }
                _ = nodes.next()  // optionalSignature
                return try DER.sequence(tbs, identifier: .sequence) { fields in
                    _ = try DER.optionalExplicitlyTagged(&fields, tagNumber: 0, tagClass: .contextSpecific) { try Int(derEncoded: $0) }
                    _ = try DER.optionalExplicitlyTagged(&fields, tagNumber: 1, tagClass: .contextSpecific) { $0 }
                    guard let list = fields.next() else { throw RevocationError(.malformed, "no requestList") }
                    let ids: [OCSPCertID] = try DER.sequence(list, identifier: .sequence) { requests in
                        var out: [OCSPCertID] = []
                        while let request = requests.next() {
                            out.append(
                                try DER.sequence(request, identifier: .sequence) { r in
                                    guard let id = r.next() else { throw RevocationError(.malformed, "no reqCert") }
                                    _ = r.next()
                                    return try OCSPCertID(derEncoded: id)
                                })
                        }
                        return out
                    }
                    let extensions =
                        try DER.optionalExplicitlyTagged(&fields, tagNumber: 2, tagClass: .contextSpecific) {
                            try parseExtensions($0)
                        } ?? []
                    let nonce = try extensions.first { $0.oid == RevocationOID.ocspNonce }.map { try parseNonce($0.value) }
                    return (ids, nonce)
                }
            }
        }
    }

    /// The DER of the request.
    public func derEncoded() throws(RevocationError) -> [UInt8] {
        try mappingErrors("OCSPRequest") {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        for id in certIDs {
                            try coder.appendConstructedNode(identifier: .sequence) { coder in try id.serialize(into: &coder) }
                        }
                    }
                    if let nonce {
                        try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                            try serializeExtensions([nonceExtension(nonce)], into: &coder)
                        }
                    }
                }
            }
            return coder.serializedBytes
        }
    }
}

/// RFC 8954 §2.1: the nonce extension's extnValue is the DER of `Nonce ::= OCTET STRING (SIZE(1..32))`.
func nonceExtension(_ nonce: [UInt8]) throws -> Certificate.Extension {
    var inner = DER.Serializer()
    try inner.serialize(ASN1OctetString(contentBytes: nonce[...]))
    return Certificate.Extension(oid: RevocationOID.ocspNonce, critical: false, value: inner.serializedBytes[...])
}

/// Reads the nonce octets from an extnValue. Some responders (pre-RFC 8954) put the raw octets
/// directly in extnValue; those are returned as they are, and then simply fail to compare equal
/// unless the request used the same form.
func parseNonce(_ value: ArraySlice<UInt8>) throws -> [UInt8] {
    if let node = try? DER.parse(value), node.identifier == .octetString, let octets = try? ASN1OctetString(derEncoded: node) {
        return Array(octets.bytes)
    }
    return Array(value)
}

/// RFC 6960 §4.2.1 `OCSPResponse`, with the basic response type parsed.
///
/// ```
/// OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
/// OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest (1), internalError (2),
///                                     tryLater (3), sigRequired (5), unauthorized (6) }
/// ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
/// ```
public struct OCSPResponse: Sendable {
    public enum ResponseStatus: Int, Sendable, CaseIterable {
        case successful = 0, malformedRequest = 1, internalError = 2, tryLater = 3, sigRequired = 5, unauthorized = 6

        public var name: String {
            switch self {
            case .successful: "successful"
            case .malformedRequest: "malformedRequest"
            case .internalError: "internalError"
            case .tryLater: "tryLater"
            case .sigRequired: "sigRequired"
            case .unauthorized: "unauthorized"
            }
        }
    }

    public let responseStatus: ResponseStatus
    /// Present exactly when `responseStatus` is `successful` (§4.2.1).
    public let basic: BasicOCSPResponse?

    public init(derEncoded der: [UInt8]) throws(RevocationError) {
        (responseStatus, basic) = try mappingErrors("OCSPResponse") {
            let root = try DER.parse(der)
            return try DER.sequence(root, identifier: .sequence) { nodes in
                guard let statusNode = nodes.next() else { throw RevocationError(.malformed, "no responseStatus") }
                let raw = try Int(derEncoded: statusNode, withIdentifier: .enumerated)
                guard let status = ResponseStatus(rawValue: raw) else {
                    throw RevocationError(.malformed, "unknown responseStatus \(raw)")
                }
                let basic = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { bytesNode in
                    try DER.sequence(bytesNode, identifier: .sequence) { fields in
                        let type = try ASN1ObjectIdentifier(derEncoded: &fields)
                        let body = try ASN1OctetString(derEncoded: &fields)
                        guard type == RevocationOID.ocspBasic else {
                            throw RevocationError(.unsupported, "response type \(type)")
                        }
                        return try BasicOCSPResponse(derEncoded: Array(body.bytes))
                    }
                }
                guard (status == .successful) == (basic != nil) else {
                    throw RevocationError(.malformed, "responseBytes presence does not match responseStatus")
                }
                return (status, basic)
            }
        }
    }
}

/// RFC 6960 §4.2.1 `BasicOCSPResponse`.
///
/// ```
/// BasicOCSPResponse ::= SEQUENCE {
///     tbsResponseData      ResponseData,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signature            BIT STRING,
///     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ResponseData ::= SEQUENCE {
///     version              [0] EXPLICIT Version DEFAULT v1,
///     responderID              ResponderID,
///     producedAt               GeneralizedTime,
///     responses                SEQUENCE OF SingleResponse,
///     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
/// SingleResponse ::= SEQUENCE {
///     certID                       CertID,
///     certStatus                   CertStatus,
///     thisUpdate                   GeneralizedTime,
///     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
/// RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
/// ```
///
/// Unknown critical response or single extensions are refused (§4.4).
public struct BasicOCSPResponse: Sendable {
    public enum ResponderID: Sendable, Hashable {
        case byName(DistinguishedName)
        /// SHA-1 of the responder key's BIT STRING value (§4.2.1 KeyHash).
        case byKey([UInt8])

        func identifies(_ certificate: Certificate) -> Bool {
            switch self {
            case .byName(let name): name == certificate.subject
            case .byKey(let hash): hash == OCSPCertID.HashAlgorithm.sha1.hash(certificate.publicKey.subjectPublicKeyInfoBytes)
            }
        }
    }

    public enum CertStatus: Sendable, Hashable {
        case good
        case revoked(time: Date, reason: RevocationReason?)
        case unknown
    }

    public struct SingleResponse: Sendable, Hashable {
        public let certID: OCSPCertID
        public let status: CertStatus
        public let thisUpdate: Date
        public let nextUpdate: Date?
    }

    public let responderID: ResponderID
    public let producedAt: Date
    public let responses: [SingleResponse]
    /// The nonce octets from responseExtensions, if present.
    public let nonce: [UInt8]?
    public let signatureAlgorithm: RevocationSignatureAlgorithm
    public let certificates: [Certificate]
    let tbsBytes: [UInt8]
    let signatureBytes: [UInt8]

    init(derEncoded der: [UInt8]) throws {
        let root = try DER.parse(der)
        let (tbs, algorithm, signature, certs) = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next(), let algorithmNode = nodes.next() else {
                throw RevocationError(.malformed, "BasicOCSPResponse is incomplete")
            }
            let algorithm = try RevocationSignatureAlgorithm.parse(algorithmNode)
            let signature = try ASN1BitString(derEncoded: &nodes)
            guard signature.paddingBits == 0 else { throw RevocationError(.malformed, "signature has padding bits") }
            let certs =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try DER.sequence(of: Certificate.self, identifier: .sequence, rootNode: $0)
                } ?? []
            return (tbs, algorithm, Array(signature.bytes), certs)
        }
        tbsBytes = Array(tbs.encodedBytes)
        signatureAlgorithm = algorithm
        signatureBytes = signature
        certificates = certs
        (responderID, producedAt, responses, nonce) = try DER.sequence(tbs, identifier: .sequence) { nodes in
            let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { try Int(derEncoded: $0) }
            guard version == nil || version == 0 else { throw RevocationError(.unsupported, "ResponseData version") }
            guard let idNode = nodes.next() else { throw RevocationError(.malformed, "no responderID") }
            let responder: ResponderID
            switch idNode.identifier {
            case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
                responder = .byName(
                    try DER.explicitlyTagged(idNode, tagNumber: 1, tagClass: .contextSpecific) { try DistinguishedName(derEncoded: $0) })
            case ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific):
                responder = .byKey(
                    try DER.explicitlyTagged(idNode, tagNumber: 2, tagClass: .contextSpecific) { Array(try ASN1OctetString(derEncoded: $0).bytes) })
            default:
                throw RevocationError(.malformed, "unknown ResponderID choice")
            }
            guard let producedNode = nodes.next() else { throw RevocationError(.malformed, "no producedAt") }
            let produced = try parseGeneralizedTime(producedNode)
            guard let list = nodes.next() else { throw RevocationError(.malformed, "no responses") }
            let singles = try DER.sequence(list, identifier: .sequence) { items in
                var out: [SingleResponse] = []
                while let item = items.next() { out.append(try Self.parseSingle(item)) }
                return out
            }
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { try parseExtensions($0) } ?? []
            var nonce: [UInt8]?
            for e in extensions {
                if e.oid == RevocationOID.ocspNonce {
                    nonce = try parseNonce(e.value)
                } else if e.critical {
                    throw RevocationError(.unknownCriticalExtension, "critical response extension \(e.oid)")
                }
            }
            return (responder, produced, singles, nonce)
        }
    }

    private static func parseSingle(_ node: ASN1Node) throws -> SingleResponse {
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard let idNode = nodes.next(), let statusNode = nodes.next(), let thisNode = nodes.next() else {
                throw RevocationError(.malformed, "SingleResponse is incomplete")
            }
            let certID = try OCSPCertID(derEncoded: idNode)
            let status: CertStatus
            switch statusNode.identifier {
            case ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific):
                _ = try ASN1Null(derEncoded: statusNode, withIdentifier: statusNode.identifier)
                status = .good
            case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
                status = try DER.sequence(statusNode, identifier: statusNode.identifier) { fields in
                    guard let timeNode = fields.next() else { throw RevocationError(.malformed, "RevokedInfo without time") }
                    let time = try parseGeneralizedTime(timeNode)
                    let reason = try DER.optionalExplicitlyTagged(&fields, tagNumber: 0, tagClass: .contextSpecific) { n in
                        let raw = try Int(derEncoded: n, withIdentifier: .enumerated)
                        guard let r = RevocationReason(rawValue: raw) else { throw RevocationError(.malformed, "unknown CRLReason \(raw)") }
                        return r
                    }
                    return .revoked(time: time, reason: reason)
                }
            case ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific):
                _ = try ASN1Null(derEncoded: statusNode, withIdentifier: statusNode.identifier)
                status = .unknown
            default:
                throw RevocationError(.malformed, "unknown CertStatus choice")
            }
            let thisUpdate = try parseGeneralizedTime(thisNode)
            let nextUpdate = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try parseGeneralizedTime($0)
            }
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { try parseExtensions($0) } ?? []
            for e in extensions where e.critical {
                throw RevocationError(.unknownCriticalExtension, "critical single extension \(e.oid)")
            }
            return SingleResponse(certID: certID, status: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        }
    }

    /// Whether the response signature verifies with `key`.
    func isSigned(by key: Certificate.PublicKey) -> Bool {
        signatureAlgorithm.isValidSignature(signatureBytes, for: tbsBytes, key: key)
    }
}
