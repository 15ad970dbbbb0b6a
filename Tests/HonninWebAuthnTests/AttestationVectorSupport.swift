import Crypto
import CryptoExtras
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// One registration example of `Tests/Vectors/webauthn-attestation/<fmt>.json` (see the README
/// there): the attestation statement fields and the inputs of the format's verification
/// procedure, already pulled out of the attestation object by `extract_vectors.py`.
struct AttestationVector: Decodable, CustomTestStringConvertible {
    struct COSEKey: Decodable {
        let kty: Int
        let alg: Int
        let crv: Int?
        let x: String?
        let y: String?
        let n: String?
        let e: String?
    }

    struct Statement: Decodable {
        let ver: String?
        let alg: Int?
        let x5c: [String]?
        let sig: String?
        let certInfo: String?
        let pubArea: String?
    }

    let name: String
    let source: String
    let fmt: String
    /// "valid", or the reason every relying party must refuse it.
    let expected: String
    let clientDataHash: String
    let authenticatorData: String
    let aaguid: String
    let credentialPublicKey: COSEKey
    let attStmt: Statement

    var testDescription: String { name }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Vectors/webauthn-attestation").standardized

    static func load(_ format: String) -> [AttestationVector] {
        let url = folder.appendingPathComponent("\(format).json")
        guard let data = try? Data(contentsOf: url), let vectors = try? JSONDecoder().decode([AttestationVector].self, from: data) else {
            return []
        }
        return vectors
    }

    var x5c: [[UInt8]] { (attStmt.x5c ?? []).map { vectorHex($0) } }
    var sig: [UInt8] { vectorHex(attStmt.sig ?? "") }
    var alg: COSEAlgorithm? { attStmt.alg.flatMap(COSEAlgorithm.init(rawValue:)) }

    func context() throws -> AttestationContext {
        AttestationContext(
            authenticatorData: vectorHex(authenticatorData), clientDataHash: vectorHex(clientDataHash),
            credentialPublicKey: try credentialPublicKey.certificatePublicKey(),
            credentialAlgorithm: try vectorAlgorithm(credentialPublicKey.alg), aaguid: vectorHex(aaguid))
    }
}

struct AttestationVectorError: Error, CustomStringConvertible {
    let description: String
}

func vectorHex(_ text: String) -> [UInt8] { Bytes.fromHex(text) ?? [] }

private func vectorAlgorithm(_ value: Int) throws -> COSEAlgorithm {
    guard let algorithm = COSEAlgorithm(rawValue: value) else { throw AttestationVectorError(description: "unknown COSE alg \(value)") }
    return algorithm
}

extension AttestationVector.COSEKey {
    /// COSE_Key (RFC 9053 §7.1.1 EC2, RFC 8230 §4 RSA) → the swift-certificates key.
    func certificatePublicKey() throws -> Certificate.PublicKey {
        switch (kty, crv) {
        case (2, 1): Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: [4] + vectorHex(x ?? "") + vectorHex(y ?? "")))
        case (2, 2): Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: [4] + vectorHex(x ?? "") + vectorHex(y ?? "")))
        case (2, 3): Certificate.PublicKey(try P521.Signing.PublicKey(x963Representation: [4] + vectorHex(x ?? "") + vectorHex(y ?? "")))
        case (3, _): Certificate.PublicKey(try _RSA.Signing.PublicKey(n: vectorHex(n ?? ""), e: vectorHex(e ?? "")))
        default: throw AttestationVectorError(description: "unsupported COSE key kty \(kty) crv \(crv ?? 0)")
        }
    }
}

/// Deterministic P-256 keys for the test PKIs and test authenticators of these tests, so a
/// failure reproduces exactly.
func attestationTestKey(_ label: String) -> P256.Signing.PrivateKey {
    // SHA-256 of a label is below the P-256 order with overwhelming probability.
    (try? P256.Signing.PrivateKey(rawRepresentation: SHA256.hash(data: Array(label.utf8)))) ?? P256.Signing.PrivateKey()
}

/// Fixed instants for certificates made in tests.
enum AttestationTestTime {
    static let issued = Date(timeIntervalSince1970: 1_704_067_200)  // 2024-01-01
    static let now = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
    static let expires = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01
}

/// An end-entity certificate issued by a test CA, for the synthetic attestation statements.
func attestationTestCertificate(
    key: Certificate.PublicKey, subject: DistinguishedName, extensions: [Certificate.Extension], issuerKey: P256.Signing.PrivateKey,
    version: Certificate.Version = .v3, serial: Int = 2
) throws -> Certificate {
    let issuer = try DistinguishedName {
        CommonName("Honnin test attestation CA")
        OrganizationName("Honnin test PKI")
    }
    return try Certificate(
        version: version, serialNumber: Certificate.SerialNumber(serial), publicKey: key, notValidBefore: AttestationTestTime.issued,
        notValidAfter: AttestationTestTime.expires, issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions(extensions), issuerPrivateKey: Certificate.PrivateKey(issuerKey))
}

extension Certificate {
    var attestationTestDER: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(self)
        return serializer.serializedBytes
    }
}

/// Asserts that `body` throws a ``WebAuthnError`` with `code` whose detail contains `fragment`
/// (which names the check that fired).
func expectWebAuthnFailure(
    _ code: WebAuthnError.Code, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(WebAuthnError) -> Void
) {
    do {
        try body()
        Issue.record("expected \(code.rawValue) (\(fragment)), but it succeeded", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.detail.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

/// DER TLV with a one-byte identifier.
func derTLV(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
    let length: [UInt8]
    switch content.count {
    case ..<0x80: length = [UInt8(content.count)]
    case ..<0x100: length = [0x81, UInt8(content.count)]
    default: length = [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xff)]
    }
    return [tag] + length + content
}

/// A UINT16 in TPM (big-endian) byte order.
func bigEndian16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
