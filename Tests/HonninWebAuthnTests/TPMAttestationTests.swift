import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// WebAuthn §8.3 `tpm`: the public vectors (W3C §16 TPM ES256, py_webauthn's Windows Hello
/// registrations with RSA and ECC keys, RS1 and ES256 AIK signatures) verify; every check of
/// the procedure refuses a statement built to fail exactly that check.
@Suite struct TPMAttestationTests {
    static let vectors = AttestationVector.load("tpm")

    @Test func vectorsArePresent() {
        #expect(Self.vectors.count == 5)
        #expect(Self.vectors.contains { $0.name == "w3c-tpm-es256" })
    }

    @Test(arguments: vectors)
    func publicVectorVerifies(_ vector: AttestationVector) throws {
        let alg = try #require(vector.alg)
        let result = try TPMAttestation.verify(
            ver: try #require(vector.attStmt.ver), alg: alg, x5c: vector.x5c, sig: vector.sig,
            certInfo: vectorHex(try #require(vector.attStmt.certInfo)), pubArea: vectorHex(try #require(vector.attStmt.pubArea)),
            context: try vector.context())
        #expect(vector.expected == "valid")
        #expect(result.type == .attCA)
        #expect(result.trustPath.count == vector.x5c.count)
        #expect(result.trustPath.first?.subject.isEmpty == true)
    }

    // MARK: Negative cases on the W3C vector

    /// The W3C vector's inputs, to be changed one at a time.
    struct Inputs {
        var ver: String
        var alg: COSEAlgorithm
        var x5c: [[UInt8]]
        var sig: [UInt8]
        var certInfo: [UInt8]
        var pubArea: [UInt8]
        var context: AttestationContext

        init() throws {
            let vector = try #require(TPMAttestationTests.vectors.first { $0.name == "w3c-tpm-es256" })
            ver = try #require(vector.attStmt.ver)
            alg = try #require(vector.alg)
            x5c = vector.x5c
            sig = vector.sig
            certInfo = vectorHex(try #require(vector.attStmt.certInfo))
            pubArea = vectorHex(try #require(vector.attStmt.pubArea))
            context = try vector.context()
        }

        func verify() throws(WebAuthnError) -> AttestationResult {
            try TPMAttestation.verify(ver: ver, alg: alg, x5c: x5c, sig: sig, certInfo: certInfo, pubArea: pubArea, context: context)
        }

        func withContext(clientDataHash: [UInt8]? = nil, key: Certificate.PublicKey? = nil, aaguid: [UInt8]? = nil) -> Inputs {
            var copy = self
            copy.context = AttestationContext(
                authenticatorData: context.authenticatorData, clientDataHash: clientDataHash ?? context.clientDataHash,
                credentialPublicKey: key ?? context.credentialPublicKey, credentialAlgorithm: context.credentialAlgorithm,
                aaguid: aaguid ?? context.aaguid)
            return copy
        }
    }

    @Test func unchangedW3CInputsVerify() throws {
        #expect(try Inputs().verify().type == .attCA)
    }

    @Test func wrongVersionIsRefused() throws {
        var inputs = try Inputs()
        inputs.ver = "1.2"
        expectWebAuthnFailure(.attestationInvalid, "ver") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func wrongClientDataHashBreaksExtraData() throws {
        let inputs = try Inputs().withContext(clientDataHash: Array(repeating: 0, count: 32))
        expectWebAuthnFailure(.attestationInvalid, "extraData") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func credentialKeyMismatchIsRefused() throws {
        let other = Certificate.PublicKey(attestationTestKey("another credential").publicKey)
        let inputs = try Inputs().withContext(key: other)
        expectWebAuthnFailure(.attestationInvalid, "pubArea is not the credential public key") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func tamperedSignatureIsRefused() throws {
        var inputs = try Inputs()
        inputs.sig[inputs.sig.count - 3] ^= 0x01
        expectWebAuthnFailure(.attestationInvalid, "sig is not") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func signatureUnderAnotherAlgorithmIsRefused() throws {
        var inputs = try Inputs()
        inputs.alg = .rs256
        expectWebAuthnFailure(.attestationInvalid, "sig is not") { () throws(WebAuthnError) in _ = try inputs.verify() }
        inputs.alg = .eddsa
        expectWebAuthnFailure(.attestationInvalid, "EdDSA") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func badMagicAndTypeAreRefused() throws {
        var inputs = try Inputs()
        inputs.certInfo[0] ^= 0x01
        expectWebAuthnFailure(.attestationInvalid, "magic") { () throws(WebAuthnError) in _ = try inputs.verify() }
        inputs = try Inputs()
        inputs.certInfo[5] = 0x14  // TPM_ST_ATTEST_QUOTE
        expectWebAuthnFailure(.attestationInvalid, "type") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func everyTruncationOfCertInfoIsMalformed() throws {
        let full = try Inputs()
        for length in 0..<full.certInfo.count {
            var inputs = full
            inputs.certInfo = Array(full.certInfo.prefix(length))
            expectWebAuthnFailure(.malformed, "certInfo") { () throws(WebAuthnError) in _ = try inputs.verify() }
        }
        var longer = full
        longer.certInfo.append(0)
        expectWebAuthnFailure(.malformed, "follow the certInfo") { () throws(WebAuthnError) in _ = try longer.verify() }
    }

    @Test func everyTruncationOfPubAreaIsMalformed() throws {
        let full = try Inputs()
        for length in 0..<full.pubArea.count {
            var inputs = full
            inputs.pubArea = Array(full.pubArea.prefix(length))
            expectWebAuthnFailure(.malformed, "pubArea") { () throws(WebAuthnError) in _ = try inputs.verify() }
        }
        var longer = full
        longer.pubArea.append(0)
        expectWebAuthnFailure(.malformed, "follow the pubArea") { () throws(WebAuthnError) in _ = try longer.verify() }
    }

    @Test func oversizedLengthFieldsAreMalformed() throws {
        // extraData.size (offset 8) claims more bytes than certInfo holds.
        var inputs = try Inputs()
        inputs.certInfo[8] = 0xff
        inputs.certInfo[9] = 0xff
        expectWebAuthnFailure(.malformed, "extraData") { () throws(WebAuthnError) in _ = try inputs.verify() }
        // unique.x.size of the ECC pubArea claims 0xffff bytes.
        inputs = try Inputs()
        inputs.pubArea[18] = 0xff
        inputs.pubArea[19] = 0xff
        expectWebAuthnFailure(.malformed, "unique.x") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    @Test func emptyOrUnparseableChainIsMalformed() throws {
        var inputs = try Inputs()
        inputs.x5c = []
        expectWebAuthnFailure(.malformed, "x5c is empty") { () throws(WebAuthnError) in _ = try inputs.verify() }
        inputs.x5c = [[0x30, 0x03, 0x02, 0x01, 0x01]]
        expectWebAuthnFailure(.malformed, "x5c[0]") { () throws(WebAuthnError) in _ = try inputs.verify() }
        inputs.x5c = Array(repeating: try Inputs().x5c[0], count: 11)
        expectWebAuthnFailure(.malformed, "11 certificates") { () throws(WebAuthnError) in _ = try inputs.verify() }
    }

    // MARK: Statements made by a test TPM

    @Test func testTPMStatementVerifies() throws {
        let result = try TestTPM().verify()
        #expect(result.type == .attCA)
        #expect(result.trustPath.count == 1)
    }

    @Test func aaguidExtensionMustMatch() throws {
        var tpm = TestTPM()
        tpm.certificateAAGUIDExtension = ASN1OctetString(contentBytes: TestTPM.aaguid[...]).attestationTestDER
        #expect(try tpm.verify().type == .attCA)
        tpm.certificateAAGUIDExtension = ASN1OctetString(contentBytes: Array(repeating: 0x17, count: 16)[...]).attestationTestDER
        try tpm.expectFailure(.attestationInvalid, "AAGUID differs")
        tpm.certificateAAGUIDExtension = ASN1OctetString(contentBytes: Array(repeating: 0x17, count: 15)[...]).attestationTestDER
        try tpm.expectFailure(.malformed, "15 bytes")
        tpm.certificateAAGUIDExtension = [0x05, 0x00]
        try tpm.expectFailure(.malformed, "not an OCTET STRING")
    }

    @Test func aikCertificateMustBeVersion3() throws {
        var tpm = TestTPM()
        tpm.aikVersion = .v1
        try tpm.expectFailure(.attestationInvalid, "version 3")
    }

    @Test func aikSubjectMustBeEmpty() throws {
        var tpm = TestTPM()
        tpm.aikSubject = try DistinguishedName { CommonName("not empty") }
        try tpm.expectFailure(.attestationInvalid, "subject is not empty")
    }

    @Test func aikSubjectAlternativeNameMustNameTheTPM() throws {
        var tpm = TestTPM()
        tpm.subjectAlternativeName = nil
        try tpm.expectFailure(.attestationInvalid, "no Subject Alternative Name")
        for (index, label) in ["manufacturer", "model", "version"].enumerated() {
            tpm = TestTPM()
            tpm.subjectAlternativeName?.remove(at: index)
            try tpm.expectFailure(.attestationInvalid, "no TPM \(label)")
        }
        tpm = TestTPM()
        tpm.subjectAlternativeName = []
        try tpm.expectFailure(.attestationInvalid, "no TPM manufacturer")
    }

    @Test func aikCertificateNeedsTheAIKUsage() throws {
        var tpm = TestTPM()
        tpm.extendedKeyUsage = nil
        try tpm.expectFailure(.attestationInvalid, "Extended Key Usage")
        tpm.extendedKeyUsage = [ExtendedKeyUsage.Usage.clientAuth]
        try tpm.expectFailure(.attestationInvalid, "Extended Key Usage")
    }

    @Test func aikCertificateMustNotBeACA() throws {
        var tpm = TestTPM()
        tpm.basicConstraints = .isCertificateAuthority(maxPathLength: nil)
        try tpm.expectFailure(.attestationInvalid, "Basic Constraints")
        tpm.basicConstraints = nil
        try tpm.expectFailure(.attestationInvalid, "Basic Constraints")
    }

    @Test func extraDataMustHashAuthenticatorDataAndClientDataHash() throws {
        var tpm = TestTPM()
        tpm.extraData = Array(SHA256.hash(data: [1, 2, 3]))
        try tpm.expectFailure(.attestationInvalid, "extraData")
        tpm.extraData = Array(SHA384.hash(data: tpm.authenticatorData + tpm.clientDataHash))
        try tpm.expectFailure(.attestationInvalid, "extraData")
    }

    @Test func attestedNameMustBeThePubAreaName() throws {
        var tpm = TestTPM()
        tpm.attestedNameOverride = [0x00, 0x0b] + Array(SHA256.hash(data: [0]))
        try tpm.expectFailure(.attestationInvalid, "Name of pubArea")
        // Same digest under another nameAlg label.
        tpm.attestedNameOverride = [0x00, 0x0c] + Array(SHA256.hash(data: tpm.pubArea()))
        try tpm.expectFailure(.attestationInvalid, "Name of pubArea")
    }

    @Test func pubAreaMustDescribeASupportedSigningKey() throws {
        var tpm = TestTPM()
        tpm.pubAreaType = 0x0025  // TPM_ALG_SYMCIPHER
        try tpm.expectFailure(.attestationInvalid, "neither RSA nor ECC")
        tpm = TestTPM()
        tpm.nameAlg = 0x0012  // TPM_ALG_SM3_256
        try tpm.expectFailure(.attestationInvalid, "nameAlg")
        tpm = TestTPM()
        tpm.symmetric = [0x00, 0x06, 0x00, 0x80, 0x00, 0x43]  // AES-128-CFB: a storage key
        try tpm.expectFailure(.attestationInvalid, "symmetric")
        tpm = TestTPM()
        tpm.curve = 0x0010  // TPM_ECC_BN_P256
        try tpm.expectFailure(.attestationInvalid, "curve")
        tpm = TestTPM()
        tpm.scheme = [0x00, 0x19, 0x00, 0x0b]  // ECDH is not a signing scheme
        try tpm.expectFailure(.malformed, "parameters.scheme")
        tpm = TestTPM()
        tpm.scheme = [0x00, 0x18, 0x00, 0x0b]  // ECDSA with SHA-256: allowed
        #expect(try tpm.verify().type == .attCA)
    }

    @Test func pointNotOnCurveIsRefused() throws {
        var tpm = TestTPM()
        tpm.pointOverride = (Array(repeating: 0x01, count: 32), Array(repeating: 0x02, count: 32))
        try tpm.expectFailure(.attestationInvalid, "not on its curve")
        tpm.pointOverride = (Array(repeating: 0x01, count: 31), Array(repeating: 0x02, count: 32))
        try tpm.expectFailure(.malformed, "coordinates")
    }
}

/// A test TPM (test support, not a real device): it makes a `tpm` attestation statement for a
/// P-256 credential key with an AIK certificate from a test CA, and each field can be changed
/// before the AIK signs `certInfo`.
struct TestTPM {
    static let aaguid: [UInt8] = Array(repeating: 0x42, count: 16)
    static let manufacturer: ASN1ObjectIdentifier = [2, 23, 133, 2, 1]
    static let model: ASN1ObjectIdentifier = [2, 23, 133, 2, 2]
    static let version: ASN1ObjectIdentifier = [2, 23, 133, 2, 3]

    let credential = attestationTestKey("test TPM credential key")
    let aik = attestationTestKey("test TPM AIK")
    let ca = attestationTestKey("test TPM CA")
    var authenticatorData: [UInt8] = Array(SHA256.hash(data: Array("example.org".utf8))) + [0x45, 0, 0, 0, 0] + TestTPM.aaguid
    var clientDataHash: [UInt8] = Array(SHA256.hash(data: Array("{\"type\":\"webauthn.create\"}".utf8)))

    var aikVersion = Certificate.Version.v3
    var aikSubject = DistinguishedName()
    var subjectAlternativeName: [RelativeDistinguishedName.Attribute]? = [
        .init(type: TestTPM.manufacturer, utf8String: "id:FFFFF1D0"),
        .init(type: TestTPM.model, utf8String: "Honnin test TPM"),
        .init(type: TestTPM.version, utf8String: "id:00000001"),
    ]
    var extendedKeyUsage: [ExtendedKeyUsage.Usage]? = [ExtendedKeyUsage.Usage(oid: [2, 23, 133, 8, 3])]
    var basicConstraints: BasicConstraints? = .notCertificateAuthority
    var certificateAAGUIDExtension: [UInt8]?

    var pubAreaType: UInt16 = 0x0023
    var nameAlg: UInt16 = 0x000b
    var symmetric: [UInt8] = [0x00, 0x10]
    var scheme: [UInt8] = [0x00, 0x10]
    var curve: UInt16 = 0x0003
    var pointOverride: ([UInt8], [UInt8])?
    var extraData: [UInt8]?
    var attestedNameOverride: [UInt8]?

    func pubArea() -> [UInt8] {
        let point = Array(credential.publicKey.x963Representation.dropFirst())
        let (x, y) = pointOverride ?? (Array(point.prefix(32)), Array(point.suffix(32)))
        return bigEndian16(pubAreaType) + bigEndian16(nameAlg) + [0x00, 0x04, 0x04, 0x72] + bigEndian16(0) + symmetric + scheme + bigEndian16(curve)
            + [0x00, 0x10] + bigEndian16(UInt16(x.count)) + x + bigEndian16(UInt16(y.count)) + y
    }

    func certInfo(pubArea: [UInt8]) -> [UInt8] {
        let data = extraData ?? Array(SHA256.hash(data: authenticatorData + clientDataHash))
        let name = attestedNameOverride ?? ([0x00, 0x0b] + Array(SHA256.hash(data: pubArea)))
        return [0xff, 0x54, 0x43, 0x47, 0x80, 0x17] + bigEndian16(0) + bigEndian16(UInt16(data.count)) + data
            + Array(repeating: 0, count: 17) + Array(repeating: 0, count: 8) + bigEndian16(UInt16(name.count)) + name + bigEndian16(0)
    }

    func aikCertificate() throws -> Certificate {
        var extensions: [Certificate.Extension] = []
        if let basicConstraints { extensions.append(try Certificate.Extension(basicConstraints, critical: true)) }
        if let extendedKeyUsage { extensions.append(try Certificate.Extension(ExtendedKeyUsage(extendedKeyUsage), critical: false)) }
        if let subjectAlternativeName {
            let names = SubjectAlternativeNames([.directoryName(DistinguishedName([RelativeDistinguishedName(subjectAlternativeName)]))])
            extensions.append(try Certificate.Extension(names, critical: true))
        }
        if let certificateAAGUIDExtension {
            extensions.append(Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4], critical: false, value: certificateAAGUIDExtension[...]))
        }
        return try attestationTestCertificate(
            key: Certificate.PublicKey(aik.publicKey), subject: aikSubject, extensions: extensions, issuerKey: ca, version: aikVersion)
    }

    func verify() throws -> AttestationResult {
        let pubArea = pubArea()
        let certInfo = certInfo(pubArea: pubArea)
        let sig = Array(try aik.signature(for: certInfo).derRepresentation)
        let context = AttestationContext(
            authenticatorData: authenticatorData, clientDataHash: clientDataHash, credentialPublicKey: Certificate.PublicKey(credential.publicKey),
            credentialAlgorithm: .es256, aaguid: TestTPM.aaguid)
        return try TPMAttestation.verify(
            ver: "2.0", alg: .es256, x5c: [try aikCertificate().attestationTestDER], sig: sig, certInfo: certInfo, pubArea: pubArea, context: context)
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

extension ASN1OctetString {
    var attestationTestDER: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(self)
        return serializer.serializedBytes
    }
}
