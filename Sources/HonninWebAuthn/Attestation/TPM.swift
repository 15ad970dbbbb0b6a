import Crypto
import CryptoExtras
import Foundation
import HonninCore
import SwiftASN1
import X509

/// The `tpm` attestation statement format (WebAuthn Level 3 §8.3), used by authenticators whose
/// keys live in a Trusted Platform Module (Windows Hello). The TPM certifies the credential key
/// with an attestation identity key (AIK) whose certificate is `x5c[0]`.
public enum TPMAttestation {
    /// Runs the §8.3 verification procedure on the already CBOR-decoded `attStmt` fields.
    ///
    /// 1. `attStmt` conforms to the syntax: `ver` is "2.0", `x5c` is present (§8.3 "Verify that
    ///    x5c is present"), `certInfo` parses as a TPMS_ATTEST and `pubArea` as a TPMT_PUBLIC
    ///    (TPM 2.0 Part 2 §10.12.8, §12.2.4); every length is checked, trailing bytes are refused.
    /// 2. The public key in `pubArea`'s `parameters` and `unique` is identical to the credential
    ///    public key in the attested credential data.
    /// 3. `attToBeSigned` = `authenticatorData` ‖ `clientDataHash`.
    /// 4. Integrity of `certInfo`:
    ///    a. `aikCert` meets §8.3.1: version 3, empty subject, a Subject Alternative Name whose
    ///       directoryName holds the TPM manufacturer, model and version (TCG EK profile §3.2.9,
    ///       OIDs 2.23.133.2.1/2/3), Extended Key Usage containing 2.23.133.8.3, Basic
    ///       Constraints with CA false;
    ///    b. if `aikCert` has `id-fido-gen-ce-aaguid` (1.3.6.1.4.1.45724.1.1.4), it equals the
    ///       AAGUID in the authenticator data;
    ///    c. `sig` is a valid signature over `certInfo` by `aikCert`'s key with `alg`.
    /// 5. `certInfo` is valid:
    ///    a. `magic` is TPM_GENERATED_VALUE (0xff544347);
    ///    b. `type` is TPM_ST_ATTEST_CERTIFY (0x8017);
    ///    c. `extraData` is the hash of `attToBeSigned` with the hash of `alg`;
    ///    d. `attested.name` is the Name of `pubArea` (TPM 2.0 Part 1 §16): `nameAlg` ‖
    ///       H_nameAlg(`pubArea`). `qualifiedSigner`, `clockInfo` and `firmwareVersion` are ignored.
    /// 6. Returns attestation type AttCA and the trust path `x5c` (leaf first). Chaining it to a
    ///    root is the registration ceremony's step (§7.1).
    ///
    /// Unparseable input throws `malformed`; a check that fails throws `attestationInvalid`.
    public static func verify(
        ver: String, alg: COSEAlgorithm, x5c: [[UInt8]], sig: [UInt8], certInfo: [UInt8], pubArea: [UInt8], context: AttestationContext
    ) throws(WebAuthnError) -> AttestationResult {
        // Step 1: syntax.
        guard ver == "2.0" else { throw WebAuthnError(.attestationInvalid, "tpm: ver is \"\(ver)\", not \"2.0\"") }
        let extraDataHash = try TPMHash(signatureAlgorithm: alg)
        let chain = try AttestationCertificates.parse(x5c, format: "tpm")
        let publicArea = try TPMPublicArea(parsing: pubArea)
        let attest = try TPMCertifyInfo(parsing: certInfo)

        // Step 2: pubArea's key is the credential public key.
        let pubAreaKey = try publicArea.certificatePublicKey()
        guard AttestationCertificates.sameKey(pubAreaKey, context.credentialPublicKey) else {
            throw WebAuthnError(.attestationInvalid, "tpm: the key in pubArea is not the credential public key")
        }

        // Step 3: attToBeSigned.
        let attToBeSigned = context.authenticatorData + context.clientDataHash

        // Step 4a–b: the AIK certificate.
        let aikCertificate = chain[0]
        try checkAIKCertificate(aikCertificate)
        try AttestationCertificates.checkAAGUIDExtension(of: aikCertificate, equals: context.aaguid, format: "tpm")

        // Step 4c: the signature over certInfo.
        guard alg.verify(sig, over: certInfo, with: aikCertificate.publicKey) else {
            throw WebAuthnError(.attestationInvalid, "tpm: sig is not a valid \(alg) signature over certInfo by the AIK certificate")
        }

        // Step 5a–b were checked while parsing (a wrong magic or type cannot be parsed further).
        // Step 5c: extraData.
        guard Bytes.constantTimeEqual(attest.extraData, extraDataHash.digest(attToBeSigned)) else {
            throw WebAuthnError(.attestationInvalid, "tpm: certInfo.extraData is not the hash of authenticatorData ‖ clientDataHash")
        }
        // Step 5d: the attested Name is pubArea's Name.
        guard Bytes.constantTimeEqual(attest.attestedName, publicArea.name) else {
            throw WebAuthnError(.attestationInvalid, "tpm: certInfo.attested.name is not the Name of pubArea")
        }

        // Step 6.
        return AttestationResult(type: .attCA, trustPath: chain)
    }

    static let manufacturerOID: ASN1ObjectIdentifier = [2, 23, 133, 2, 1]
    static let modelOID: ASN1ObjectIdentifier = [2, 23, 133, 2, 2]
    static let versionOID: ASN1ObjectIdentifier = [2, 23, 133, 2, 3]
    /// `tcg-kp-AIKCertificate`.
    static let aikCertificateUsage = ExtendedKeyUsage.Usage(oid: [2, 23, 133, 8, 3])

    /// §8.3.1 "TPM Attestation Statement Certificate Requirements".
    static func checkAIKCertificate(_ certificate: Certificate) throws(WebAuthnError) {
        // Version MUST be set to 3.
        guard certificate.version == .v3 else {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate is not version 3")
        }
        // Subject field MUST be set to empty.
        guard certificate.subject.isEmpty else {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate's subject is not empty")
        }
        // The Subject Alternative Name extension MUST be set as defined in the TCG EK profile
        // §3.2.9: a directoryName with the TPM manufacturer, model and version attributes.
        let names: SubjectAlternativeNames?
        let usages: ExtendedKeyUsage?
        let constraints: BasicConstraints?
        do {
            names = try certificate.extensions.subjectAlternativeNames
            usages = try certificate.extensions.extendedKeyUsage
            constraints = try certificate.extensions.basicConstraints
        } catch {
            throw WebAuthnError(.malformed, "tpm: an extension of the AIK certificate does not parse")
        }
        guard let names else {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate has no Subject Alternative Name")
        }
        var found: [ASN1ObjectIdentifier: String] = [:]
        for name in names {
            guard case .directoryName(let directory) = name else { continue }
            for rdn in directory {
                for attribute in rdn where [manufacturerOID, modelOID, versionOID].contains(attribute.type) {
                    if let text = String(attribute.value), !text.isEmpty { found[attribute.type] = text }
                }
            }
        }
        for (oid, label) in [(manufacturerOID, "manufacturer"), (modelOID, "model"), (versionOID, "version")] where found[oid] == nil {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate's Subject Alternative Name has no TPM \(label)")
        }
        // The Extended Key Usage extension MUST contain 2.23.133.8.3.
        guard let usages, usages.contains(aikCertificateUsage) else {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate's Extended Key Usage lacks tcg-kp-AIKCertificate")
        }
        // The Basic Constraints extension MUST have the CA component set to false.
        guard case .notCertificateAuthority = constraints else {
            throw WebAuthnError(.attestationInvalid, "tpm: the AIK certificate's Basic Constraints do not say CA false")
        }
    }
}

// MARK: - TPM 2.0 structures

/// TPM_ALG_ID values (TPM 2.0 Part 2 §6.3) that these structures use.
private enum TPMAlgorithm {
    static let rsa: UInt16 = 0x0001
    static let sha1: UInt16 = 0x0004
    static let sha256: UInt16 = 0x000B
    static let sha384: UInt16 = 0x000C
    static let sha512: UInt16 = 0x000D
    static let null: UInt16 = 0x0010
    static let ecc: UInt16 = 0x0023
    static let rsassa: UInt16 = 0x0014
    static let rsapss: UInt16 = 0x0016
    static let ecdsa: UInt16 = 0x0018
    static let ecdaa: UInt16 = 0x001A
    static let sm2: UInt16 = 0x001B
    static let ecschnorr: UInt16 = 0x001C
    static let mgf1: UInt16 = 0x0007
    static let kdf1SP800_56A: UInt16 = 0x0020
    static let kdf2: UInt16 = 0x0021
    static let kdf1SP800_108: UInt16 = 0x0022
}

/// A hash the TPM format uses: `nameAlg` of a TPMT_PUBLIC, or the hash of the `alg` that
/// produced `extraData`.
private enum TPMHash {
    case sha1, sha256, sha384, sha512

    init(tpmAlgorithm: UInt16) throws(WebAuthnError) {
        switch tpmAlgorithm {
        case TPMAlgorithm.sha1: self = .sha1
        case TPMAlgorithm.sha256: self = .sha256
        case TPMAlgorithm.sha384: self = .sha384
        case TPMAlgorithm.sha512: self = .sha512
        default: throw WebAuthnError(.attestationInvalid, "tpm: unsupported nameAlg 0x\(String(tpmAlgorithm, radix: 16))")
        }
    }

    /// "the hash algorithm employed in alg" (§8.3 signing procedure: RS256 → SHA-256).
    init(signatureAlgorithm: COSEAlgorithm) throws(WebAuthnError) {
        switch signatureAlgorithm {
        case .rs1: self = .sha1
        case .es256, .rs256: self = .sha256
        case .es384, .rs384: self = .sha384
        case .es512, .rs512: self = .sha512
        case .eddsa: throw WebAuthnError(.attestationInvalid, "tpm: alg EdDSA is not a TPM attestation algorithm")
        }
    }

    var tpmAlgorithm: UInt16 {
        switch self {
        case .sha1: TPMAlgorithm.sha1
        case .sha256: TPMAlgorithm.sha256
        case .sha384: TPMAlgorithm.sha384
        case .sha512: TPMAlgorithm.sha512
        }
    }

    func digest(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: data))
        case .sha256: Array(SHA256.hash(data: data))
        case .sha384: Array(SHA384.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }
}

/// Big-endian reads over a TPM structure; running past the end is `malformed`, never a trap.
private struct TPMReader {
    let bytes: [UInt8]
    let structure: String
    private(set) var offset = 0

    init(_ bytes: [UInt8], structure: String) {
        self.bytes = bytes
        self.structure = structure
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func take(_ count: Int, _ field: String) throws(WebAuthnError) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else {
            throw WebAuthnError(.malformed, "tpm: \(structure) ends inside \(field)")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint16(_ field: String) throws(WebAuthnError) -> UInt16 {
        let b = try take(2, field)
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func uint32(_ field: String) throws(WebAuthnError) -> UInt32 {
        let b = try take(4, field)
        return b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// A TPM2B_ structure: a UINT16 size, then that many bytes.
    mutating func sized(_ field: String) throws(WebAuthnError) -> [UInt8] {
        let size = try uint16("\(field).size")
        return try take(Int(size), field)
    }

    func requireEnd() throws(WebAuthnError) {
        guard isAtEnd else { throw WebAuthnError(.malformed, "tpm: \(bytes.count - offset) bytes follow the \(structure)") }
    }
}

/// The parts of a TPMS_ATTEST (TPM 2.0 Part 2 §10.12.8) of type TPM_ST_ATTEST_CERTIFY that §8.3
/// checks.
private struct TPMCertifyInfo {
    static let generatedValue: UInt32 = 0xff54_4347
    static let attestCertify: UInt16 = 0x8017

    let extraData: [UInt8]
    let attestedName: [UInt8]

    init(parsing certInfo: [UInt8]) throws(WebAuthnError) {
        var reader = TPMReader(certInfo, structure: "certInfo")
        // Step 5a: magic.
        let magic = try reader.uint32("magic")
        guard magic == Self.generatedValue else {
            throw WebAuthnError(.attestationInvalid, "tpm: certInfo.magic is 0x\(String(magic, radix: 16)), not TPM_GENERATED_VALUE")
        }
        // Step 5b: type.
        let type = try reader.uint16("type")
        guard type == Self.attestCertify else {
            throw WebAuthnError(.attestationInvalid, "tpm: certInfo.type is 0x\(String(type, radix: 16)), not TPM_ST_ATTEST_CERTIFY")
        }
        _ = try reader.sized("qualifiedSigner")
        extraData = try reader.sized("extraData")
        // TPMS_CLOCK_INFO: clock (8), resetCount (4), restartCount (4), safe (1).
        _ = try reader.take(17, "clockInfo")
        _ = try reader.take(8, "firmwareVersion")
        // TPMS_CERTIFY_INFO (§10.12.3): name, qualifiedName.
        attestedName = try reader.sized("attested.name")
        _ = try reader.sized("attested.qualifiedName")
        try reader.requireEnd()
    }
}

/// A TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4) describing an RSA or ECC signing key.
private struct TPMPublicArea {
    enum Key {
        case rsa(modulus: [UInt8], exponent: UInt32)
        case ecc(curve: UInt16, x: [UInt8], y: [UInt8])
    }

    let nameAlgorithm: TPMHash
    let key: Key
    /// TPM 2.0 Part 1 §16: `nameAlg` (2 bytes) ‖ H_nameAlg(TPMT_PUBLIC).
    let name: [UInt8]

    init(parsing pubArea: [UInt8]) throws(WebAuthnError) {
        var reader = TPMReader(pubArea, structure: "pubArea")
        let type = try reader.uint16("type")
        nameAlgorithm = try TPMHash(tpmAlgorithm: try reader.uint16("nameAlg"))
        _ = try reader.uint32("objectAttributes")
        _ = try reader.sized("authPolicy")
        // TPMT_SYM_DEF_OBJECT: TPM_ALG_NULL for every key that is not a restricted decryption
        // key (Part 2 §12.2.3.7), so always for a credential (signing) key.
        let symmetric = try reader.uint16("parameters.symmetric")
        guard symmetric == TPMAlgorithm.null else {
            throw WebAuthnError(.attestationInvalid, "tpm: pubArea has a symmetric algorithm: not a signing key")
        }
        switch type {
        case TPMAlgorithm.rsa:
            // TPMS_RSA_PARMS: scheme, keyBits, exponent; unique: TPM2B_PUBLIC_KEY_RSA.
            try Self.skipScheme(&reader, "parameters.scheme", allowed: [TPMAlgorithm.rsassa, TPMAlgorithm.rsapss])
            let keyBits = try reader.uint16("parameters.keyBits")
            let exponent = try reader.uint32("parameters.exponent")
            let modulus = try reader.sized("unique")
            guard keyBits % 8 == 0, modulus.count == Int(keyBits) / 8 else {
                throw WebAuthnError(.malformed, "tpm: pubArea's modulus has \(modulus.count) bytes for keyBits \(keyBits)")
            }
            // An exponent of zero means the default, 2^16 + 1.
            key = .rsa(modulus: modulus, exponent: exponent == 0 ? 65537 : exponent)
        case TPMAlgorithm.ecc:
            // TPMS_ECC_PARMS: scheme, curveID, kdf; unique: TPMS_ECC_POINT (x, y).
            try Self.skipScheme(
                &reader, "parameters.scheme",
                allowed: [TPMAlgorithm.ecdsa, TPMAlgorithm.ecdaa, TPMAlgorithm.sm2, TPMAlgorithm.ecschnorr])
            let curve = try reader.uint16("parameters.curveID")
            try Self.skipScheme(
                &reader, "parameters.kdf",
                allowed: [TPMAlgorithm.mgf1, TPMAlgorithm.kdf1SP800_56A, TPMAlgorithm.kdf2, TPMAlgorithm.kdf1SP800_108])
            let x = try reader.sized("unique.x")
            let y = try reader.sized("unique.y")
            key = .ecc(curve: curve, x: x, y: y)
        default:
            throw WebAuthnError(.attestationInvalid, "tpm: pubArea type 0x\(String(type, radix: 16)) is neither RSA nor ECC")
        }
        try reader.requireEnd()
        let algorithm = nameAlgorithm.tpmAlgorithm
        name = [UInt8(algorithm >> 8), UInt8(algorithm & 0xff)] + nameAlgorithm.digest(pubArea)
    }

    /// A TPMT_*_SCHEME or TPMT_KDF_SCHEME: TPM_ALG_NULL alone, or an algorithm followed by its
    /// TPMS_SCHEME_HASH (hashAlg), plus a UINT16 count for ECDAA.
    private static func skipScheme(_ reader: inout TPMReader, _ field: String, allowed: [UInt16]) throws(WebAuthnError) {
        let scheme = try reader.uint16(field)
        if scheme == TPMAlgorithm.null { return }
        guard allowed.contains(scheme) else {
            throw WebAuthnError(.malformed, "tpm: \(field) 0x\(String(scheme, radix: 16)) is not a scheme this key type has")
        }
        _ = try reader.uint16("\(field).hashAlg")
        if scheme == TPMAlgorithm.ecdaa { _ = try reader.uint16("\(field).count") }
    }

    /// The key as swift-certificates represents it, to compare with the credential public key.
    func certificatePublicKey() throws(WebAuthnError) -> Certificate.PublicKey {
        switch key {
        case .rsa(let modulus, let exponent):
            var e = withUnsafeBytes(of: exponent.bigEndian) { Array($0) }
            while e.count > 1, e[0] == 0 { e.removeFirst() }
            do {
                return Certificate.PublicKey(try _RSA.Signing.PublicKey(n: modulus, e: e))
            } catch {
                throw WebAuthnError(.attestationInvalid, "tpm: pubArea's RSA key is not usable (\(modulus.count * 8) bits)")
            }
        case .ecc(let curve, let x, let y):
            // TPM_ECC_CURVE (Part 2 §6.4): NIST P-256 3, P-384 4, P-521 5.
            let size: Int
            switch curve {
            case 0x0003: size = 32
            case 0x0004: size = 48
            case 0x0005: size = 66
            default: throw WebAuthnError(.attestationInvalid, "tpm: pubArea's curve 0x\(String(curve, radix: 16)) is not supported")
            }
            guard x.count == size, y.count == size else {
                throw WebAuthnError(.malformed, "tpm: pubArea's ECC point has \(x.count)/\(y.count)-byte coordinates, not \(size)")
            }
            let point = [0x04] + x + y
            do {
                switch curve {
                case 0x0003: return Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: point))
                case 0x0004: return Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: point))
                default: return Certificate.PublicKey(try P521.Signing.PublicKey(x963Representation: point))
                }
            } catch {
                throw WebAuthnError(.attestationInvalid, "tpm: pubArea's ECC point is not on its curve")
            }
        }
    }
}
