import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// WebAuthn §8.4 `android-key`: a Pixel 8a registration (py_webauthn) verifies under the
/// default TEE/StrongBox policy; the W3C §16 vector, whose authorization lists are empty, is
/// refused for the reason the procedure gives; each check refuses a statement made to fail it.
@Suite struct AndroidKeyAttestationTests {
    static let vectors = AttestationVector.load("android-key")

    @Test func vectorsArePresent() {
        #expect(Self.vectors.count == 2)
    }

    @Test func pixelRegistrationVerifies() throws {
        let vector = try #require(Self.vectors.first { $0.name.hasPrefix("py_webauthn") })
        let result = try AndroidKeyAttestation.verify(alg: try #require(vector.alg), sig: vector.sig, x5c: vector.x5c, context: try vector.context())
        #expect(vector.expected == "valid")
        #expect(result.type == .basic)
        #expect(result.trustPath.count == 5)
    }

    /// The W3C generator writes attestationSecurityLevel Software and empty authorization
    /// lists: the signature, key and challenge checks pass, then the lists have no origin.
    @Test func w3cVectorHasNoOriginToAccept() throws {
        let vector = try #require(Self.vectors.first { $0.name == "w3c-android-key-es256" })
        #expect(vector.expected == "authorization_list_without_origin")
        let alg = try #require(vector.alg)
        let context = try vector.context()
        expectWebAuthnFailure(.attestationInvalid, "attestationSecurityLevel 0") { () throws(WebAuthnError) in
            _ = try AndroidKeyAttestation.verify(alg: alg, sig: vector.sig, x5c: vector.x5c, context: context)
        }
        expectWebAuthnFailure(.attestationInvalid, "origin in teeEnforced ∪ softwareEnforced is []") { () throws(WebAuthnError) in
            _ = try AndroidKeyAttestation.verify(alg: alg, sig: vector.sig, x5c: vector.x5c, context: context, acceptSoftwareEnforced: true)
        }
    }

    @Test func pixelVectorNegatives() throws {
        let vector = try #require(Self.vectors.first { $0.name.hasPrefix("py_webauthn") })
        let alg = try #require(vector.alg)
        let context = try vector.context()
        var sig = vector.sig
        sig[sig.count - 2] ^= 0x01
        expectWebAuthnFailure(.attestationInvalid, "sig is not") { () throws(WebAuthnError) in
            _ = try AndroidKeyAttestation.verify(alg: alg, sig: sig, x5c: vector.x5c, context: context)
        }
        let wrongHash = AttestationContext(
            authenticatorData: context.authenticatorData, clientDataHash: Array(repeating: 1, count: 32),
            credentialPublicKey: context.credentialPublicKey, credentialAlgorithm: .es256, aaguid: context.aaguid)
        expectWebAuthnFailure(.attestationInvalid, "sig is not") { () throws(WebAuthnError) in
            _ = try AndroidKeyAttestation.verify(alg: alg, sig: vector.sig, x5c: vector.x5c, context: wrongHash)
        }
        expectWebAuthnFailure(.malformed, "x5c is empty") { () throws(WebAuthnError) in
            _ = try AndroidKeyAttestation.verify(alg: alg, sig: vector.sig, x5c: [], context: context)
        }
    }

    // MARK: Statements made by a test keystore

    @Test func teeKeyVerifies() throws {
        #expect(try TestAndroidKeystore().verify().type == .basic)
        var strongBox = TestAndroidKeystore()
        strongBox.securityLevel = 2
        #expect(try strongBox.verify().type == .basic)
    }

    @Test func softwareEnforcedOnlyNeedsThePolicyFlag() throws {
        var keystore = TestAndroidKeystore()
        keystore.securityLevel = 0
        keystore.softwareEnforced = TestAndroidKeystore.signingKeyList
        keystore.teeEnforced = []
        try keystore.expectFailure(.attestationInvalid, "attestationSecurityLevel 0")
        #expect(try keystore.verify(acceptSoftwareEnforced: true).type == .basic)

        // A TEE attestation whose origin and purpose sit only in the software list.
        keystore.securityLevel = 1
        try keystore.expectFailure(.attestationInvalid, "origin in teeEnforced is []")
        #expect(try keystore.verify(acceptSoftwareEnforced: true).type == .basic)
    }

    @Test func allApplicationsIsRefusedInEitherList() throws {
        var keystore = TestAndroidKeystore()
        keystore.teeEnforced += [TestAndroidKeystore.field(600, [0x05, 0x00])]
        try keystore.expectFailure(.attestationInvalid, "allApplications")
        keystore = TestAndroidKeystore()
        keystore.softwareEnforced = [TestAndroidKeystore.field(600, [0x05, 0x00])]
        try keystore.expectFailure(.attestationInvalid, "allApplications")
        #expect(throws: WebAuthnError.self) { try keystore.verify(acceptSoftwareEnforced: true) }
    }

    @Test func challengeMustBeClientDataHash() throws {
        var keystore = TestAndroidKeystore()
        keystore.challenge = Array(repeating: 0x33, count: 32)
        try keystore.expectFailure(.attestationInvalid, "attestationChallenge")
    }

    @Test func originMustBeGenerated() throws {
        var keystore = TestAndroidKeystore()
        keystore.teeEnforced = [TestAndroidKeystore.purposes([2]), TestAndroidKeystore.field(702, derTLV(0x02, [2]))]  // KM_ORIGIN_IMPORTED
        try keystore.expectFailure(.attestationInvalid, "origin in teeEnforced is [2]")
        keystore.teeEnforced = [TestAndroidKeystore.purposes([2])]
        try keystore.expectFailure(.attestationInvalid, "origin in teeEnforced is []")
    }

    @Test func purposeMustBeSignOnly() throws {
        var keystore = TestAndroidKeystore()
        keystore.teeEnforced = [TestAndroidKeystore.purposes([3]), TestAndroidKeystore.generated]  // KM_PURPOSE_VERIFY
        try keystore.expectFailure(.attestationInvalid, "purpose")
        keystore.teeEnforced = [TestAndroidKeystore.purposes([0, 2]), TestAndroidKeystore.generated]  // ENCRYPT and SIGN
        try keystore.expectFailure(.attestationInvalid, "purpose")
        keystore.teeEnforced = [TestAndroidKeystore.generated]
        try keystore.expectFailure(.attestationInvalid, "purpose in teeEnforced is []")
    }

    @Test func missingExtensionIsRefused() throws {
        var keystore = TestAndroidKeystore()
        keystore.omitExtension = true
        try keystore.expectFailure(.attestationInvalid, "no key description extension")
    }

    @Test func credentialKeyMustBeTheCertificateKey() throws {
        var keystore = TestAndroidKeystore()
        keystore.contextKey = Certificate.PublicKey(attestationTestKey("someone else").publicKey)
        try keystore.expectFailure(.attestationInvalid, "not the credential public key")
    }

    @Test func malformedKeyDescriptionsAreMalformed() throws {
        let full = TestAndroidKeystore().keyDescription()
        // Every truncation, byte by byte.
        for length in 0..<full.count {
            var keystore = TestAndroidKeystore()
            keystore.extensionOverride = Array(full.prefix(length))
            try keystore.expectFailure(.malformed, "key description")
        }
        var keystore = TestAndroidKeystore()
        keystore.teeEnforced = [TestAndroidKeystore.purposes([2]), TestAndroidKeystore.generated, TestAndroidKeystore.generated]
        try keystore.expectFailure(.malformed, "key description")  // a repeated tag
        keystore = TestAndroidKeystore()
        keystore.teeEnforced = [derTLV(0x02, [1])]  // a universal INTEGER inside an AuthorizationList
        try keystore.expectFailure(.malformed, "key description")
        keystore = TestAndroidKeystore()
        keystore.teeEnforced = [TestAndroidKeystore.field(702, derTLV(0x04, [0]))]  // origin as OCTET STRING
        try keystore.expectFailure(.malformed, "key description")
    }
}

/// A test Android keystore (test support, not a real device): it certifies a P-256 credential
/// key with a key description extension made from the fields below and signs
/// authenticatorData ‖ clientDataHash with that key.
struct TestAndroidKeystore {
    let credential = attestationTestKey("test Android credential key")
    let ca = attestationTestKey("test Android attestation CA")
    var authenticatorData: [UInt8] = Array(SHA256.hash(data: Array("example.org".utf8))) + [0x45, 0, 0, 0, 0] + Array(repeating: 7, count: 16)
    var clientDataHash: [UInt8] = Array(SHA256.hash(data: Array("{\"type\":\"webauthn.create\",\"android\":1}".utf8)))
    var challenge: [UInt8]?
    var securityLevel: UInt8 = 1
    var softwareEnforced: [[UInt8]] = []
    var teeEnforced: [[UInt8]] = TestAndroidKeystore.signingKeyList
    var omitExtension = false
    var extensionOverride: [UInt8]?
    var contextKey: Certificate.PublicKey?

    /// An explicitly tagged context-specific AuthorizationList entry, tag numbers ≥ 31 in the
    /// high-tag-number form.
    static func field(_ tag: UInt, _ content: [UInt8]) -> [UInt8] {
        var identifier: [UInt8]
        if tag < 31 {
            identifier = [0xa0 | UInt8(tag)]
        } else {
            var digits: [UInt8] = [UInt8(tag & 0x7f)]
            var rest = tag >> 7
            while rest > 0 {
                digits.insert(UInt8(rest & 0x7f) | 0x80, at: 0)
                rest >>= 7
            }
            identifier = [0xbf] + digits
        }
        let encoded = derTLV(0x00, content)
        return identifier + encoded.dropFirst()
    }

    static func purposes(_ values: [UInt8]) -> [UInt8] {
        field(1, derTLV(0x31, values.flatMap { derTLV(0x02, [$0]) }))
    }

    static let generated = field(702, derTLV(0x02, [0]))
    static let signingKeyList = [purposes([2]), generated]

    func keyDescription() -> [UInt8] {
        derTLV(
            0x30,
            derTLV(0x02, [0x01, 0x2c]) + derTLV(0x0a, [securityLevel]) + derTLV(0x02, [0x01, 0x2c]) + derTLV(0x0a, [securityLevel])
                + derTLV(0x04, challenge ?? clientDataHash) + derTLV(0x04, []) + derTLV(0x30, softwareEnforced.flatMap { $0 })
                + derTLV(0x30, teeEnforced.flatMap { $0 }))
    }

    func certificate() throws -> Certificate {
        let subject = try DistinguishedName { CommonName("Android Keystore Key") }
        let extensions = omitExtension
            ? [] : [Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 11129, 2, 1, 17], critical: false, value: (extensionOverride ?? keyDescription())[...])]
        return try attestationTestCertificate(key: Certificate.PublicKey(credential.publicKey), subject: subject, extensions: extensions, issuerKey: ca)
    }

    func verify(acceptSoftwareEnforced: Bool = false) throws -> AttestationResult {
        let sig = Array(try credential.signature(for: authenticatorData + clientDataHash).derRepresentation)
        let context = AttestationContext(
            authenticatorData: authenticatorData, clientDataHash: clientDataHash,
            credentialPublicKey: contextKey ?? Certificate.PublicKey(credential.publicKey), credentialAlgorithm: .es256,
            aaguid: Array(authenticatorData[37..<53]))
        return try AndroidKeyAttestation.verify(
            alg: .es256, sig: sig, x5c: [try certificate().attestationTestDER], context: context, acceptSoftwareEnforced: acceptSoftwareEnforced)
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
