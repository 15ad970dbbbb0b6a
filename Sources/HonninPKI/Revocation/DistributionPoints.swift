import Foundation
import SwiftASN1
import X509

/// RFC 5280 §4.2.1.13 `DistributionPointName`, reduced to what matching needs: the directory
/// names it denotes. JPKI certificates name their per-municipality CRL partition with a
/// `directoryName` (ic-chip-protocols.md §1.6); URIs are kept so a configuration can log them.
///
/// ```
/// DistributionPointName ::= CHOICE {
///     fullName                [0] GeneralNames,
///     nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
/// ```
public struct DistributionPointName: Sendable, Hashable {
    /// Every `directoryName` of `fullName`; for `nameRelativeToCRLIssuer`, the issuer's name with the
    /// relative name appended (RFC 5280 §4.2.1.13).
    public let directoryNames: [DistinguishedName]
    /// Every `uniformResourceIdentifier` of `fullName`.
    public let uris: [String]

    public init(directoryNames: [DistinguishedName], uris: [String] = []) {
        self.directoryNames = directoryNames
        self.uris = uris
    }

    /// Parses the `[0]`-tagged CHOICE node (the `distributionPoint` field of a DistributionPoint or an
    /// IssuingDistributionPoint), which wraps the choice explicitly because a CHOICE cannot be
    /// implicitly tagged (X.680 §31.2.7).
    static func parse(wrapped node: ASN1Node, crlIssuer: DistinguishedName) throws -> DistributionPointName {
        guard case .constructed(let children) = node.content else {
            throw RevocationError(.malformed, "distributionPoint is not constructed")
        }
        var iterator = children.makeIterator()
        guard let choice = iterator.next(), iterator.next() == nil else {
            throw RevocationError(.malformed, "distributionPoint must hold exactly one name")
        }
        switch choice.identifier {
        case ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific):
            let names = try DER.sequence(of: GeneralName.self, identifier: choice.identifier, rootNode: choice)
            var dirs: [DistinguishedName] = []
            var uris: [String] = []
            for name in names {
                switch name {
                case .directoryName(let dn): dirs.append(dn)
                case .uniformResourceIdentifier(let uri): uris.append(uri)
                default: break
                }
            }
            return DistributionPointName(directoryNames: dirs, uris: uris)
        case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
            let rdn = try RelativeDistinguishedName(derEncoded: choice, withIdentifier: choice.identifier)
            return DistributionPointName(directoryNames: [DistinguishedName(Array(crlIssuer) + [rdn])])
        default:
            throw RevocationError(.malformed, "unknown DistributionPointName choice")
        }
    }
}

/// The directory names of a certificate's cRLDistributionPoints extension (RFC 5280 §4.2.1.13).
///
/// ```
/// CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
/// DistributionPoint ::= SEQUENCE {
///     distributionPoint       [0]     DistributionPointName OPTIONAL,
///     reasons                 [1]     ReasonFlags OPTIONAL,
///     cRLIssuer               [2]     GeneralNames OPTIONAL }
/// ```
///
/// Distribution points with `reasons` (partial coverage) or a `cRLIssuer` (indirect CRLs) are
/// skipped: a CRL found through them could not prove a certificate good for every reason. Returns
/// an empty array when the extension is absent; throws `.malformed` when it does not parse.
public func crlDistributionPointNames(of certificate: Certificate) throws(RevocationError) -> [DistinguishedName] {
    guard let ext = certificate.extensions[oid: RevocationOID.cRLDistributionPoints] else { return [] }
    return try mappingErrors("cRLDistributionPoints") {
        let root = try DER.parse(ext.value)
        let points: [[DistinguishedName]] = try DER.sequence(root, identifier: .sequence) { nodes in
            var out: [[DistinguishedName]] = []
            while let point = nodes.next() {
                out.append(
                    try DER.sequence(point, identifier: .sequence) { fields in
                        let name = try DER.optionalImplicitlyTagged(&fields, tagNumber: 0, tagClass: .contextSpecific) {
                            try DistributionPointName.parse(wrapped: $0, crlIssuer: certificate.issuer)
                        }
                        let reasons = DER.optionalImplicitlyTagged(&fields, tagNumber: 1, tagClass: .contextSpecific) { $0 }
                        let issuer = DER.optionalImplicitlyTagged(&fields, tagNumber: 2, tagClass: .contextSpecific) { $0 }
                        guard reasons == nil, issuer == nil else { return [] }
                        return name?.directoryNames ?? []
                    })
            }
            guard !out.isEmpty else { throw RevocationError(.malformed, "empty cRLDistributionPoints") }
            return out
        }
        return points.flatMap { $0 }
    }
}

/// RFC 5280 §5.2.5 issuingDistributionPoint.
///
/// ```
/// IssuingDistributionPoint ::= SEQUENCE {
///     distributionPoint          [0] DistributionPointName OPTIONAL,
///     onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
///     onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
///     onlySomeReasons            [3] ReasonFlags OPTIONAL,
///     indirectCRL                [4] BOOLEAN DEFAULT FALSE,
///     onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
/// ```
public struct IssuingDistributionPoint: Sendable, Hashable {
    public let distributionPoint: DistributionPointName?
    public let onlyContainsUserCerts: Bool
    public let onlyContainsCACerts: Bool
    /// True when `onlySomeReasons` is present: the CRL covers only some reasons.
    public let hasOnlySomeReasons: Bool
    public let indirectCRL: Bool
    public let onlyContainsAttributeCerts: Bool

    static func parse(_ value: ArraySlice<UInt8>, crlIssuer: DistinguishedName) throws -> IssuingDistributionPoint {
        let root = try DER.parse(value)
        return try DER.sequence(root, identifier: .sequence) { nodes in
            let dp = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try DistributionPointName.parse(wrapped: $0, crlIssuer: crlIssuer)
            }
            func flag(_ tag: UInt) throws -> Bool {
                let id = ASN1Identifier(tagWithNumber: tag, tagClass: .contextSpecific)
                guard let value = try DER.optionalImplicitlyTagged(&nodes, tag: id) as Bool? else { return false }
                // DER forbids encoding a DEFAULT value (X.690 §11.5).
                guard value else { throw RevocationError(.malformed, "issuingDistributionPoint encodes a DEFAULT FALSE") }
                return true
            }
            let user = try flag(1)
            let ca = try flag(2)
            let someReasons = DER.optionalImplicitlyTagged(&nodes, tagNumber: 3, tagClass: .contextSpecific) { $0 } != nil
            let indirect = try flag(4)
            let attribute = try flag(5)
            return IssuingDistributionPoint(
                distributionPoint: dp, onlyContainsUserCerts: user, onlyContainsCACerts: ca, hasOnlySomeReasons: someReasons,
                indirectCRL: indirect, onlyContainsAttributeCerts: attribute)
        }
    }
}
