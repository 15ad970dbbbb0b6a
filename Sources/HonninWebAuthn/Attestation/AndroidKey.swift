import HonninCore
import SwiftASN1
import X509

/// The `android-key` attestation statement format (WebAuthn Level 3 §8.4): the Android
/// Keystore certifies the credential key itself, and `x5c[0]` carries the key description
/// extension (1.3.6.1.4.1.11129.2.1.17, §8.4.1) describing where the key lives.
public enum AndroidKeyAttestation {
    /// OID of the Android key attestation certificate extension data (§8.4.1).
    static let keyDescriptionOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 1, 17]

    /// Runs the §8.4 verification procedure on the already CBOR-decoded `attStmt` fields.
    ///
    /// 1. `attStmt` conforms to the syntax: `x5c` is a non-empty chain of DER certificates.
    /// 2. `sig` is a valid signature over `authenticatorData` ‖ `clientDataHash` by the key in
    ///    `x5c[0]` with `alg`.
    /// 3. The key in `x5c[0]` is the credential public key of the attested credential data.
    /// 4. `attestationChallenge` in the key description extension is `clientDataHash`.
    /// 5. In the authorization lists of the extension:
    ///    a. `allApplications` (tag 600) is in neither `softwareEnforced` nor `teeEnforced`: the
    ///       credential must be scoped to the RP ID;
    ///    b. `origin` (tag 702) is KM_ORIGIN_GENERATED (0) and `purpose` (tag 1) is exactly
    ///       {KM_PURPOSE_SIGN (2)}, read from `teeEnforced` only — unless
    ///       `acceptSoftwareEnforced` is true, when the union of both lists is read (§8.4 "use
    ///       only the teeEnforced authorization list if the RP wants to accept only keys from a
    ///       trusted execution environment").
    ///    Honnin's default (`acceptSoftwareEnforced` false) also requires the extension's
    ///    `attestationSecurityLevel` to be TrustedEnvironment (1) or StrongBox (2): a software
    ///    attestation cannot vouch for a hardware-enforced list.
    /// 6. Returns attestation type Basic and the trust path `x5c` (leaf first). Chaining it to
    ///    the Google root is the registration ceremony's step (§7.1).
    ///
    /// Unparseable input throws `malformed`; a check that fails throws `attestationInvalid`.
    public static func verify(
        alg: COSEAlgorithm, sig: [UInt8], x5c: [[UInt8]], context: AttestationContext, acceptSoftwareEnforced: Bool = false
    ) throws(WebAuthnError) -> AttestationResult {
        // Step 1: syntax.
        let chain = try AttestationCertificates.parse(x5c, format: "android-key")
        let credentialCertificate = chain[0]

        // Step 2: the signature over authenticatorData ‖ clientDataHash.
        let signed = context.authenticatorData + context.clientDataHash
        guard alg.verify(sig, over: signed, with: credentialCertificate.publicKey) else {
            throw WebAuthnError(.attestationInvalid, "android-key: sig is not a valid \(alg) signature by x5c[0]")
        }

        // Step 3: x5c[0] certifies the credential public key.
        guard AttestationCertificates.sameKey(credentialCertificate.publicKey, context.credentialPublicKey) else {
            throw WebAuthnError(.attestationInvalid, "android-key: x5c[0]'s key is not the credential public key")
        }

        // Step 4: attestationChallenge.
        guard let extensionValue = AttestationCertificates.extensionValue(keyDescriptionOID, in: credentialCertificate) else {
            throw WebAuthnError(.attestationInvalid, "android-key: x5c[0] has no key description extension")
        }
        let description = try AndroidKeyDescription(parsing: extensionValue)
        guard Bytes.constantTimeEqual(description.attestationChallenge, context.clientDataHash) else {
            throw WebAuthnError(.attestationInvalid, "android-key: attestationChallenge is not clientDataHash")
        }

        // Step 5a: allApplications on neither list.
        guard !description.softwareEnforced.allApplications, !description.teeEnforced.allApplications else {
            throw WebAuthnError(.attestationInvalid, "android-key: allApplications is present: the key is not scoped to the RP ID")
        }
        // Step 5b: origin and purpose, from the list(s) policy allows.
        let origins: [Int]
        let purposes: [Int]
        if acceptSoftwareEnforced {
            origins = [description.teeEnforced.origin, description.softwareEnforced.origin].compactMap { $0 }
            purposes = (description.teeEnforced.purposes ?? []) + (description.softwareEnforced.purposes ?? [])
        } else {
            guard description.attestationSecurityLevel == 1 || description.attestationSecurityLevel == 2 else {
                throw WebAuthnError(
                    .attestationInvalid,
                    "android-key: attestationSecurityLevel \(description.attestationSecurityLevel) is not TrustedEnvironment or StrongBox")
            }
            origins = description.teeEnforced.origin.map { [$0] } ?? []
            purposes = description.teeEnforced.purposes ?? []
        }
        let lists = acceptSoftwareEnforced ? "teeEnforced ∪ softwareEnforced" : "teeEnforced"
        guard !origins.isEmpty, origins.allSatisfy({ $0 == AndroidKeyDescription.originGenerated }) else {
            throw WebAuthnError(.attestationInvalid, "android-key: origin in \(lists) is \(origins), not KM_ORIGIN_GENERATED")
        }
        guard !purposes.isEmpty, purposes.allSatisfy({ $0 == AndroidKeyDescription.purposeSign }) else {
            throw WebAuthnError(.attestationInvalid, "android-key: purpose in \(lists) is \(purposes), not KM_PURPOSE_SIGN")
        }

        // Step 6.
        return AttestationResult(type: .basic, trustPath: chain)
    }
}

/// The parts of the Android `KeyDescription` (the attestation extension's schema, §8.4.1) that
/// §8.4 reads:
///
///     KeyDescription ::= SEQUENCE {
///         attestationVersion INTEGER, attestationSecurityLevel SecurityLevel,
///         keyMintVersion INTEGER, keyMintSecurityLevel SecurityLevel,
///         attestationChallenge OCTET STRING, uniqueId OCTET STRING,
///         softwareEnforced AuthorizationList, hardwareEnforced AuthorizationList, ... }
///     SecurityLevel ::= ENUMERATED { Software (0), TrustedEnvironment (1), StrongBox (2) }
///
/// Fields after the two lists (none today) are ignored.
private struct AndroidKeyDescription {
    static let originGenerated = 0
    static let purposeSign = 2

    let attestationSecurityLevel: Int
    let attestationChallenge: [UInt8]
    let softwareEnforced: AndroidAuthorizationList
    let teeEnforced: AndroidAuthorizationList

    init(parsing der: ArraySlice<UInt8>) throws(WebAuthnError) {
        do {
            let root = try DER.parse(der)
            (attestationSecurityLevel, attestationChallenge, softwareEnforced, teeEnforced) = try DER.sequence(
                root, identifier: .sequence
            ) { nodes in
                _ = try Int(derEncoded: &nodes)  // attestationVersion
                let securityLevel = try Int(derEncoded: &nodes, withIdentifier: .enumerated)
                _ = try Int(derEncoded: &nodes)  // keyMintVersion
                _ = try Int(derEncoded: &nodes, withIdentifier: .enumerated)  // keyMintSecurityLevel
                let challenge = try ASN1OctetString(derEncoded: &nodes)
                _ = try ASN1OctetString(derEncoded: &nodes)  // uniqueId
                guard let software = nodes.next(), let tee = nodes.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "KeyDescription lacks its authorization lists")
                }
                while nodes.next() != nil {}
                return (
                    securityLevel, Array(challenge.bytes),
                    try AndroidAuthorizationList(parsing: software), try AndroidAuthorizationList(parsing: tee)
                )
            }
        } catch let error as WebAuthnError {
            throw error
        } catch {
            throw WebAuthnError(.malformed, "android-key: the key description extension does not parse")
        }
    }
}

/// The three `AuthorizationList` entries that §8.4 reads; every other tag is skipped.
///
///     purpose          [1]   EXPLICIT SET OF INTEGER OPTIONAL
///     allApplications  [600] EXPLICIT NULL OPTIONAL
///     origin           [702] EXPLICIT INTEGER OPTIONAL
private struct AndroidAuthorizationList {
    var purposes: [Int]?
    var allApplications = false
    var origin: Int?

    init(parsing node: ASN1Node) throws {
        var seen = Set<UInt>()
        try DER.sequence(node, identifier: .sequence) { nodes in
            while let child = nodes.next() {
                guard child.identifier.tagClass == .contextSpecific else {
                    throw ASN1Error.invalidASN1Object(reason: "AuthorizationList entry is not context-specific")
                }
                let tag = child.identifier.tagNumber
                guard seen.insert(tag).inserted else {
                    throw ASN1Error.invalidASN1Object(reason: "AuthorizationList repeats tag \(tag)")
                }
                switch tag {
                case 1:
                    purposes = try DER.explicitlyTagged(child, tagNumber: 1, tagClass: .contextSpecific) {
                        try DER.set(of: Int.self, identifier: .set, rootNode: $0)
                    }
                case 600:
                    _ = try DER.explicitlyTagged(child, tagNumber: 600, tagClass: .contextSpecific) { try ASN1Null(derEncoded: $0) }
                    allApplications = true
                case 702:
                    origin = try DER.explicitlyTagged(child, tagNumber: 702, tagClass: .contextSpecific) { try Int(derEncoded: $0) }
                default:
                    continue
                }
            }
        }
    }
}
