import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// WebAuthn §8.8 `apple`: the W3C §16 vector and an iOS passkey registration (py_webauthn)
/// verify; a wrong nonce, another key and malformed nonce extensions are refused.
@Suite struct AppleAttestationTests {
    static let vectors = AttestationVector.load("apple")

    @Test func vectorsArePresent() {
        #expect(Self.vectors.count == 2)
    }

    @Test(arguments: vectors)
    func publicVectorVerifies(_ vector: AttestationVector) throws {
        let result = try AppleAttestation.verify(x5c: vector.x5c, context: try vector.context())
        #expect(vector.expected == "valid")
        #expect(result.type == .anonCA)
        #expect(result.trustPath.count == vector.x5c.count)
    }

    @Test(arguments: vectors)
    func wrongNonceOrKeyIsRefused(_ vector: AttestationVector) throws {
        let context = try vector.context()
        let otherHash = AttestationContext(
            authenticatorData: context.authenticatorData, clientDataHash: Array(SHA256.hash(data: [0])),
            credentialPublicKey: context.credentialPublicKey, credentialAlgorithm: context.credentialAlgorithm, aaguid: context.aaguid)
        expectWebAuthnFailure(.attestationInvalid, "nonce in credCert") { () throws(WebAuthnError) in
            _ = try AppleAttestation.verify(x5c: vector.x5c, context: otherHash)
        }
        var flipped = context.authenticatorData
        flipped[32] ^= 0x04  // a flag bit of the authenticator data
        let otherData = AttestationContext(
            authenticatorData: flipped, clientDataHash: context.clientDataHash, credentialPublicKey: context.credentialPublicKey,
            credentialAlgorithm: context.credentialAlgorithm, aaguid: context.aaguid)
        expectWebAuthnFailure(.attestationInvalid, "nonce in credCert") { () throws(WebAuthnError) in
            _ = try AppleAttestation.verify(x5c: vector.x5c, context: otherData)
        }
        let otherKey = AttestationContext(
            authenticatorData: context.authenticatorData, clientDataHash: context.clientDataHash,
            credentialPublicKey: Certificate.PublicKey(attestationTestKey("not the Apple credential").publicKey),
            credentialAlgorithm: context.credentialAlgorithm, aaguid: context.aaguid)
        expectWebAuthnFailure(.attestationInvalid, "not the credential public key") { () throws(WebAuthnError) in
            _ = try AppleAttestation.verify(x5c: vector.x5c, context: otherKey)
        }
        expectWebAuthnFailure(.malformed, "x5c is empty") { () throws(WebAuthnError) in
            _ = try AppleAttestation.verify(x5c: [], context: context)
        }
    }

    // MARK: Certificates made by a test anonymization CA

    @Test func testCertificateVerifies() throws {
        #expect(try TestAppleCA().verify().type == .anonCA)
    }

    @Test func missingNonceExtensionIsRefused() throws {
        var ca = TestAppleCA()
        ca.extensionValue = nil
        try ca.expectFailure(.attestationInvalid, "no nonce extension")
    }

    @Test func malformedNonceExtensionsAreMalformed() throws {
        let nonce = TestAppleCA().nonce
        let cases: [[UInt8]] = [
            derTLV(0x04, nonce),  // the bare OCTET STRING
            derTLV(0x30, derTLV(0xa2, derTLV(0x04, nonce))),  // [2] instead of [1]
            derTLV(0x30, derTLV(0xa1, derTLV(0x04, Array(nonce.prefix(31))))),  // 31 bytes
            derTLV(0x30, derTLV(0xa1, derTLV(0x04, nonce)) + derTLV(0x05, [])),  // a trailing element
            [],
        ]
        for value in cases {
            var ca = TestAppleCA()
            ca.extensionValue = value
            try ca.expectFailure(.malformed, "nonce extension")
        }
        let full = TestAppleCA().extensionValue ?? []
        for length in 0..<full.count {
            var ca = TestAppleCA()
            ca.extensionValue = Array(full.prefix(length))
            try ca.expectFailure(.malformed, "nonce extension")
        }
    }
}

/// A test anonymization CA (test support): it issues a certificate for a P-256 credential key
/// with the nonce extension 1.2.840.113635.100.8.2.
struct TestAppleCA {
    let credential = attestationTestKey("test Apple credential key")
    let ca = attestationTestKey("test Apple anonymization CA")
    let authenticatorData: [UInt8] = Array(SHA256.hash(data: Array("example.org".utf8))) + [0x45, 0, 0, 0, 0] + Array(repeating: 0, count: 16)
    let clientDataHash: [UInt8] = Array(SHA256.hash(data: Array("{\"type\":\"webauthn.create\",\"apple\":1}".utf8)))
    var extensionValue: [UInt8]?

    var nonce: [UInt8] { Array(SHA256.hash(data: authenticatorData + clientDataHash)) }

    init() {
        extensionValue = derTLV(0x30, derTLV(0xa1, derTLV(0x04, Array(SHA256.hash(data: authenticatorData + clientDataHash)))))
    }

    func verify() throws -> AttestationResult {
        let subject = try DistinguishedName { CommonName("test credential certificate") }
        let extensions = extensionValue.map { [Certificate.Extension(oid: [1, 2, 840, 113_635, 100, 8, 2], critical: false, value: $0[...])] } ?? []
        let certificate = try attestationTestCertificate(
            key: Certificate.PublicKey(credential.publicKey), subject: subject, extensions: extensions, issuerKey: ca)
        let context = AttestationContext(
            authenticatorData: authenticatorData, clientDataHash: clientDataHash, credentialPublicKey: Certificate.PublicKey(credential.publicKey),
            credentialAlgorithm: .es256, aaguid: Array(repeating: 0, count: 16))
        return try AppleAttestation.verify(x5c: [certificate.attestationTestDER], context: context)
    }

    func expectFailure(_ code: WebAuthnError.Code, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        do {
            _ = try verify()
            Issue.record("expected \(code.rawValue) (\(fragment)), but it succeeded", sourceLocation: sourceLocation)
        } catch let error as WebAuthnError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.detail.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }
}
