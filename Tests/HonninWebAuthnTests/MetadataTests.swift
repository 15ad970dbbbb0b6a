import Crypto
import CryptoExtras
import Foundation
import HonninCore
import HonninTesting
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// FIDO Metadata Service BLOBs: a BLOB signed by a test PKI made here loads and answers
/// look-ups; tampering, a wrong root, an expired signer and malformed JWS or payloads are
/// refused with stable codes; malformed entries are skipped and counted. The FIDO example BLOB
/// (Tests/Vectors/fido-mds) verifies against its example root.
@Suite struct MetadataTests {
    static let now = AttestationTestTime.now  // 2026-01-01
    static let aaguid = "00112233-4455-6677-8899-aabbccddeeff"
    static let aaguidBytes: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]

    @Test func testBLOBLoadsAndAnswersLookups() async throws {
        let pki = try TestMDSPKI()
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Self.now)
        #expect(blob.legalHeader.hasPrefix("Honnin test BLOB"))
        #expect(blob.number == 42)
        #expect(blob.nextUpdate == Date(timeIntervalSince1970: 1_769_904_000))  // 2026-02-01
        #expect(!blob.isStale)
        #expect(blob.signingChain.count == 3)
        #expect(blob.entries.count == TestMDSPKI.goodEntries)
        #expect(blob.skippedEntries == TestMDSPKI.malformedEntries)

        let entry = try #require(blob.entry(aaguid: Self.aaguidBytes))
        #expect(blob.entry(aaguid: Self.aaguid.uppercased())?.aaguid == Self.aaguidBytes)
        #expect(entry.statement?.description == "Honnin test security key")
        #expect(entry.statement?.authenticatorVersion == 7)
        #expect(entry.statement?.attachmentHint == ["external", "wired"])
        #expect(entry.attestationRootCertificates == [pki.attestationRoot])
        #expect(entry.latestStatus(at: Self.now) == .fidoCertifiedL2)
        #expect(entry.latestStatus(at: Date(timeIntervalSince1970: 1_711_929_600)) == .fidoCertified)  // 2024-04-01
        #expect(entry.latestStatus(at: Date(timeIntervalSince1970: 0)) == nil)
        #expect(!entry.isRevoked(at: Self.now))
        #expect(entry.hasHardwareKeyProtection)
        #expect(entry.timeOfLastStatusChange == Date(timeIntervalSince1970: 1_735_689_600))  // 2025-01-01

        let u2f = try #require(blob.entry(attestationCertificateKeyIdentifier: "923881FE2F214EE465484371AEB72E97F5A58E0A"))
        #expect(u2f.aaguid == nil)
        #expect(u2f.statement?.protocolFamily == "u2f")
    }

    @Test("the trust source finds a U2F entry by attestation key identifier, and an unlisted one is unknown")
    func trustByKeyIdentifier() async throws {
        let pki = try TestMDSPKI()
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Self.now)
        let source = MetadataTrustSource(blob: blob, clock: FixedClock(Self.now))
        let listed = try source.trust(attestationCertificateKeyIdentifiers: [String(repeating: "f", count: 40), "923881fe2f214ee465484371aeb72e97f5a58e0a"])
        #expect(listed.roots == [pki.attestationRoot] && !listed.revoked && listed.detail == "Honnin test U2F key")
        let unlisted = try source.trust(attestationCertificateKeyIdentifiers: [String(repeating: "f", count: 40)])
        #expect(unlisted.roots.isEmpty && !unlisted.revoked)
        #expect(try source.trust(aaguid: Self.aaguidBytes).roots == [pki.attestationRoot])
    }

    @Test func unknownAAGUIDIsNil() async throws {
        let pki = try TestMDSPKI()
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Self.now)
        #expect(blob.entry(aaguid: Array(repeating: 0, count: 16)) == nil)
        #expect(blob.entry(aaguid: Array(Self.aaguidBytes.prefix(15))) == nil)
        #expect(blob.entry(aaguid: "00112233445566778899aabbccddeeff") == nil)
        #expect(blob.entry(attestationCertificateKeyIdentifier: "00") == nil)
    }

    @Test func revocationStatuses() async throws {
        let pki = try TestMDSPKI()
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Self.now)
        for (index, status) in ["REVOKED", "ATTESTATION_KEY_COMPROMISE", "USER_KEY_REMOTE_COMPROMISE", "USER_KEY_PHYSICAL_COMPROMISE"].enumerated() {
            let entry = try #require(blob.entry(aaguid: TestMDSPKI.statusAAGUID(index)))
            #expect(entry.latestStatus(at: Self.now)?.rawValue == status)
            #expect(entry.isRevoked(at: Self.now), "\(status)")
            #expect(entry.hasIncreasedRisk(at: Self.now))
        }
        // USER_VERIFICATION_BYPASS is a risk, not a revocation.
        let bypass = try #require(blob.entry(aaguid: TestMDSPKI.statusAAGUID(4)))
        #expect(!bypass.isRevoked(at: Self.now))
        #expect(bypass.hasIncreasedRisk(at: Self.now))
        // A later UPDATE_AVAILABLE does not undo a compromise.
        let updated = try #require(blob.entry(aaguid: TestMDSPKI.statusAAGUID(5)))
        #expect(updated.latestStatus(at: Self.now) == .updateAvailable)
        #expect(updated.isRevoked(at: Self.now))
        // A revocation dated in the future is not yet in effect.
        let future = try #require(blob.entry(aaguid: TestMDSPKI.statusAAGUID(6)))
        #expect(!future.isRevoked(at: Self.now))
        #expect(future.isRevoked(at: Date(timeIntervalSince1970: 1_800_000_000)))
        // Software key protection is not hardware; an unknown status is kept verbatim.
        let software = try #require(blob.entry(aaguid: TestMDSPKI.statusAAGUID(7)))
        #expect(!software.hasHardwareKeyProtection)
        #expect(software.latestStatus(at: Self.now)?.rawValue == "FIDO_CERTIFIED_L9")
        #expect(!software.isRevoked(at: Self.now))
        #expect(!software.hasIncreasedRisk(at: Self.now))
    }

    @Test func statusCategories() {
        let revocations: [MetadataBLOB.Status] = [.revoked, .attestationKeyCompromise, .userKeyRemoteCompromise, .userKeyPhysicalCompromise]
        let others: [MetadataBLOB.Status] = [
            .notFIDOCertified, .fidoCertified, .userVerificationBypass, .updateAvailable, .selfAssertionSubmitted, .fidoCertifiedL1,
            .fidoCertifiedL1Plus, .fidoCertifiedL2, .fidoCertifiedL2Plus, .fidoCertifiedL3, .fidoCertifiedL3Plus,
        ]
        #expect(revocations.allSatisfy { $0.isRevocation && $0.indicatesIncreasedRisk })
        #expect(others.allSatisfy { !$0.isRevocation })
        #expect(others.filter(\.indicatesIncreasedRisk) == [.userVerificationBypass])
        #expect(MetadataBLOB.Status.fidoCertifiedL3Plus.rawValue == "FIDO_CERTIFIED_L3plus")
    }

    @Test func staleBLOBStillLoads() async throws {
        let pki = try TestMDSPKI()
        let later = Date(timeIntervalSince1970: 1_769_904_000)  // nextUpdate itself
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: later)
        #expect(blob.isStale)
        #expect(blob.entry(aaguid: Self.aaguidBytes) != nil)
        let before = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: later.addingTimeInterval(-1))
        #expect(!before.isStale)
    }

    @Test func rs256BLOBVerifies() async throws {
        let pki = try TestMDSPKI(rsaSigner: true)
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Self.now)
        #expect(blob.entries.count == TestMDSPKI.goodEntries)
    }

    @Test func tamperedBLOBIsRefused() async throws {
        let pki = try TestMDSPKI()
        let jwt = try pki.blob()
        var parts = jwt.split(separator: ".").map(String.init)
        // Another payload under the original signature.
        var payload = try pki.payload()
        payload["no"] = 43
        parts[1] = Bytes.base64URL(try JSONSerialization.data(withJSONObject: payload))
        await expectBLOBFailure(.badSignature, "signature", parts.joined(separator: "."), roots: [pki.root])
        // A flipped signature bit.
        var signature = try #require(Bytes.fromBase64URL(jwt.split(separator: ".")[2]))
        signature[10] ^= 0x01
        parts = jwt.split(separator: ".").map(String.init)
        parts[2] = Bytes.base64URL(signature)
        await expectBLOBFailure(.badSignature, "signature", parts.joined(separator: "."), roots: [pki.root])
        // The header names RS256 for an ES256 signature.
        await expectBLOBFailure(.badSignature, "signature", try pki.blob(headerAlg: "RS256"), roots: [pki.root])
    }

    @Test func wrongRootIsRefused() async throws {
        let pki = try TestMDSPKI()
        let otherRoot = try TestMDSPKI(label: "another").root
        await expectBLOBFailure(.attestationUntrusted, "does not validate", try pki.blob(), roots: [otherRoot])
        await expectBLOBFailure(.attestationUntrusted, "does not validate", try pki.blob(), roots: [])
    }

    @Test func expiredSigningCertificateIsRefused() async throws {
        let pki = try TestMDSPKI(signerNotAfter: Date(timeIntervalSince1970: 1_759_276_800))  // 2025-10-01
        await expectBLOBFailure(.attestationUntrusted, "does not validate", try pki.blob(), roots: [pki.root])
        // The same BLOB verifies at a time the signer was valid.
        let blob = try await MetadataBLOB.verify(jwt: try pki.blob(), roots: [pki.root], now: Date(timeIntervalSince1970: 1_750_000_000))
        #expect(blob.number == 42)
    }

    @Test func signerMissingTheIntermediateIsRefused() async throws {
        let pki = try TestMDSPKI()
        await expectBLOBFailure(.attestationUntrusted, "does not validate", try pki.blob(chain: [pki.signer]), roots: [pki.root])
    }

    @Test func malformedJWSIsMalformed() async throws {
        let pki = try TestMDSPKI()
        let jwt = try pki.blob()
        let parts = jwt.split(separator: ".").map(String.init)
        for text in [
            "", "a.b", parts[0] + "." + parts[1], jwt + ".x", parts[0] + "." + parts[1] + ".", parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "+",
        ] {
            await expectBLOBFailure(.malformed, "", text, roots: [pki.root])
        }
        await expectBLOBFailure(.malformed, "neither RS256 nor ES256", try pki.blob(headerAlg: "none"), roots: [pki.root])
        await expectBLOBFailure(.malformed, "neither RS256 nor ES256", try pki.blob(headerAlg: "HS256"), roots: [pki.root])
        await expectBLOBFailure(.malformed, "no x5c", try pki.blob(header: ["alg": "ES256"]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "x5u", try pki.blob(header: ["alg": "ES256", "x5u": "https://mds.example/chain"]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "no x5c", try pki.blob(header: ["alg": "ES256", "x5c": [String]()]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "not base64", try pki.blob(header: ["alg": "ES256", "x5c": ["@@@"]]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "x5c[0]", try pki.blob(header: ["alg": "ES256", "x5c": ["AAAA"]]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "crit", try pki.blob(extraHeader: ["crit": ["b64"]]), roots: [pki.root])
        await expectBLOBFailure(.malformed, "JWS header", try pki.blob(rawHeader: Array("[1]".utf8)), roots: [pki.root])
    }

    @Test func malformedTopLevelIsFatal() async throws {
        let pki = try TestMDSPKI()
        var payload = try pki.payload()
        payload.removeValue(forKey: "legalHeader")
        await expectBLOBFailure(.malformed, "payload", try pki.blob(payload: payload), roots: [pki.root])
        payload = try pki.payload()
        payload["no"] = "42"
        await expectBLOBFailure(.malformed, "payload", try pki.blob(payload: payload), roots: [pki.root])
        payload = try pki.payload()
        payload["entries"] = ["not": "an array"]
        await expectBLOBFailure(.malformed, "payload", try pki.blob(payload: payload), roots: [pki.root])
        for date in ["2026/02/01", "2026-02-30", "2026-2-01", "26-02-01", "2026-02-01T00:00:00Z", "２０２６-02-01"] {
            payload = try pki.payload()
            payload["nextUpdate"] = date
            await expectBLOBFailure(.malformed, "nextUpdate", try pki.blob(payload: payload), roots: [pki.root])
        }
        await expectBLOBFailure(.malformed, "payload", try pki.blob(rawPayload: Array("not json".utf8)), roots: [pki.root])
    }

    // MARK: The FIDO example BLOB

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors/fido-mds").standardized

    static func exampleBLOB() throws -> (jwt: String, root: Certificate) {
        let jwt = try String(contentsOf: vectors.appendingPathComponent("mds3-example-blob.jwt"), encoding: .utf8)
        let root = try Certificate(derEncoded: Array(try Data(contentsOf: vectors.appendingPathComponent("mds3-example-root.der"))))
        return (jwt, root)
    }

    @Test func fidoExampleBLOBVerifies() async throws {
        let (jwt, root) = try Self.exampleBLOB()
        let at = Date(timeIntervalSince1970: 1_717_200_000)  // 2024-06-01
        let blob = try await MetadataBLOB.verify(jwt: jwt, roots: [root], now: at)
        #expect(blob.number == 15)
        #expect(blob.isStale)  // nextUpdate 2020-03-30
        #expect(blob.entries.count == 2)
        #expect(blob.skippedEntries == 0)
        #expect(blob.signingChain.count == 3)
        let fido2 = try #require(blob.entry(aaguid: "0132d110-bf4e-4208-a403-ab4f5f12efe5"))
        #expect(fido2.statement?.description == "FIDO Alliance Sample FIDO2 Authenticator")
        #expect(fido2.statement?.keyProtection == ["hardware", "secure_element"])
        #expect(fido2.hasHardwareKeyProtection)
        #expect(fido2.attestationRootCertificates.count == 1)
        #expect(fido2.latestStatus(at: at) == .fidoCertifiedL1)
        #expect(!fido2.isRevoked(at: at))
        let uaf = try #require(blob.entries.first { $0.aaid == "1234#5678" })
        #expect(uaf.aaguid == nil)
        #expect(uaf.statement?.keyProtection == ["hardware", "tee"])
    }

    @Test func fidoExampleBLOBNeedsItsRootAndValidity() async throws {
        let (jwt, root) = try Self.exampleBLOB()
        await expectBLOBFailure(.attestationUntrusted, "does not validate", jwt, roots: [try TestMDSPKI().root])
        // The example signing certificate expires on 2031-04-17.
        await expectBLOBFailure(.attestationUntrusted, "does not validate", jwt, roots: [root], now: Date(timeIntervalSince1970: 1_950_000_000))
    }
}

private func expectBLOBFailure(
    _ code: WebAuthnError.Code, _ fragment: String, _ jwt: String, roots: [Certificate], now: Date = MetadataTests.now,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        _ = try await MetadataBLOB.verify(jwt: jwt, roots: roots, now: now)
        Issue.record("expected \(code.rawValue) (\(fragment)), but the BLOB loaded", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(fragment.isEmpty || error.detail.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

/// A test MDS PKI (test support; nothing here is the FIDO Alliance's): a root, an
/// intermediate and a BLOB signing certificate, and a BLOB payload with good and malformed
/// entries.
struct TestMDSPKI {
    static let goodEntries = 10
    static let malformedEntries = 7

    let root: Certificate
    let intermediate: Certificate
    let signer: Certificate
    let attestationRoot: Certificate
    private let signerKey: Certificate.PrivateKey
    private let es256Key: P256.Signing.PrivateKey?
    private let rsaKey: _RSA.Signing.PrivateKey?

    init(label: String = "test", signerNotAfter: Date = AttestationTestTime.expires, rsaSigner: Bool = false) throws {
        let rootKey = attestationTestKey("\(label) MDS root")
        let intermediateKey = attestationTestKey("\(label) MDS intermediate")
        let rootName = try DistinguishedName {
            CommonName("Honnin TEST MDS root (\(label))")
            OrganizationName("Honnin test PKI")
        }
        let intermediateName = try DistinguishedName {
            CommonName("Honnin TEST MDS intermediate (\(label))")
            OrganizationName("Honnin test PKI")
        }
        let caExtensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            KeyUsage(keyCertSign: true, cRLSign: true)
        }
        root = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(1), publicKey: Certificate.PublicKey(rootKey.publicKey),
            notValidBefore: AttestationTestTime.issued, notValidAfter: AttestationTestTime.expires, issuer: rootName, subject: rootName,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: caExtensions, issuerPrivateKey: Certificate.PrivateKey(rootKey))
        intermediate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(2), publicKey: Certificate.PublicKey(intermediateKey.publicKey),
            notValidBefore: AttestationTestTime.issued, notValidAfter: AttestationTestTime.expires, issuer: rootName, subject: intermediateName,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: caExtensions, issuerPrivateKey: Certificate.PrivateKey(rootKey))
        let signerPublicKey: Certificate.PublicKey
        if rsaSigner {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            rsaKey = key
            es256Key = nil
            signerKey = Certificate.PrivateKey(key)
            signerPublicKey = Certificate.PublicKey(key.publicKey)
        } else {
            let key = attestationTestKey("\(label) MDS signer")
            es256Key = key
            rsaKey = nil
            signerKey = Certificate.PrivateKey(key)
            signerPublicKey = Certificate.PublicKey(key.publicKey)
        }
        signer = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(3), publicKey: signerPublicKey, notValidBefore: AttestationTestTime.issued,
            notValidAfter: signerNotAfter, issuer: intermediateName,
            subject: try DistinguishedName {
                CommonName("Honnin TEST MDS BLOB signer (\(label))")
                OrganizationName("Honnin test PKI")
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
            },
            issuerPrivateKey: Certificate.PrivateKey(intermediateKey))
        let attestationKey = attestationTestKey("\(label) authenticator attestation root")
        let attestationName = try DistinguishedName { CommonName("Honnin TEST authenticator attestation root") }
        attestationRoot = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(4), publicKey: Certificate.PublicKey(attestationKey.publicKey),
            notValidBefore: AttestationTestTime.issued, notValidAfter: AttestationTestTime.expires, issuer: attestationName, subject: attestationName,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: caExtensions, issuerPrivateKey: Certificate.PrivateKey(attestationKey))
    }

    static func statusAAGUID(_ index: Int) -> [UInt8] { Array(repeating: 0xa0, count: 15) + [UInt8(index)] }

    static func aaguidText(_ bytes: [UInt8]) -> String {
        let hex = Bytes.hex(bytes)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    func payload() throws -> [String: Any] {
        let rootBase64 = Data(attestationRoot.attestationTestDER).base64EncodedString()
        func statement(_ description: String, keyProtection: [String] = ["hardware", "secure_element"], family: String = "fido2") -> [String: Any] {
            [
                "description": description, "authenticatorVersion": 7, "protocolFamily": family, "schema": 3,
                "attestationTypes": ["basic_full"], "keyProtection": keyProtection, "isKeyRestricted": true,
                "attachmentHint": ["external", "wired"], "attestationRootCertificates": [rootBase64],
                "upv": [["major": 1, "minor": 0]],
            ]
        }
        func entry(_ aaguid: String?, statuses: [(String, String?)], statement: [String: Any]? = nil) -> [String: Any] {
            var value: [String: Any] = [
                "statusReports": statuses.map { status, date -> [String: Any] in
                    var report: [String: Any] = ["status": status]
                    if let date { report["effectiveDate"] = date }
                    return report
                },
                "timeOfLastStatusChange": "2025-01-01",
            ]
            if let aaguid { value["aaguid"] = aaguid }
            if let statement { value["metadataStatement"] = statement }
            return value
        }
        var entries: [[String: Any]] = [
            entry(
                MetadataTests.aaguid, statuses: [("FIDO_CERTIFIED", "2024-03-01"), ("FIDO_CERTIFIED_L2", "2025-01-01")],
                statement: statement("Honnin test security key"))
        ]
        let statusCases: [[(String, String?)]] = [
            [("FIDO_CERTIFIED", "2024-01-01"), ("REVOKED", "2025-06-01")],
            [("ATTESTATION_KEY_COMPROMISE", nil)],
            [("USER_KEY_REMOTE_COMPROMISE", "2025-02-02")],
            [("USER_KEY_PHYSICAL_COMPROMISE", "2025-02-02")],
            [("FIDO_CERTIFIED_L1", "2024-01-01"), ("USER_VERIFICATION_BYPASS", "2025-02-02")],
            [("ATTESTATION_KEY_COMPROMISE", "2025-01-01"), ("UPDATE_AVAILABLE", "2025-03-01")],
            [("FIDO_CERTIFIED", "2024-01-01"), ("REVOKED", "2027-01-01")],
            [("FIDO_CERTIFIED_L9", "2025-01-01")],
        ]
        for (index, statuses) in statusCases.enumerated() {
            let protection = index == 7 ? ["software"] : ["hardware", "tee"]
            entries.append(
                entry(Self.aaguidText(Self.statusAAGUID(index)), statuses: statuses, statement: statement("status case \(index)", keyProtection: protection)))
        }
        var u2f = entry(nil, statuses: [("FIDO_CERTIFIED", "2020-01-01")], statement: statement("Honnin test U2F key", family: "u2f"))
        u2f["attestationCertificateKeyIdentifiers"] = ["923881fe2f214ee465484371aeb72e97f5a58e0a"]
        entries.append(u2f)
        // Malformed entries: each is skipped and counted.
        var badCertificate = statement("bad root")
        badCertificate["attestationRootCertificates"] = ["!!!"]
        var wrongType = statement("version as text")
        wrongType["authenticatorVersion"] = "7"
        entries += [
            entry("not-a-uuid", statuses: [("FIDO_CERTIFIED", nil)]),
            entry(Self.aaguidText(Self.statusAAGUID(100)), statuses: [("FIDO_CERTIFIED", "2024-13-01")]),
            entry(Self.aaguidText(Self.statusAAGUID(101)), statuses: [("FIDO_CERTIFIED", nil)], statement: badCertificate),
            entry(Self.aaguidText(Self.statusAAGUID(102)), statuses: []),
            entry(nil, statuses: [("FIDO_CERTIFIED", nil)]),  // identifies no authenticator
            entry(MetadataTests.aaguid, statuses: [("REVOKED", nil)]),  // a repeated AAGUID
            entry(Self.aaguidText(Self.statusAAGUID(103)), statuses: [("FIDO_CERTIFIED", nil)], statement: wrongType),
        ]
        return [
            "legalHeader": "Honnin test BLOB: not FIDO Alliance metadata.", "no": 42, "nextUpdate": "2026-02-01", "entries": entries,
        ]
    }

    /// The signed BLOB; each argument replaces one part to build a malformed one.
    func blob(
        payload: [String: Any]? = nil, rawPayload: [UInt8]? = nil, header: [String: Any]? = nil, rawHeader: [UInt8]? = nil,
        headerAlg: String? = nil, extraHeader: [String: Any] = [:], chain: [Certificate]? = nil
    ) throws -> String {
        var headerObject: [String: Any] = header ?? [
            "alg": headerAlg ?? (rsaKey == nil ? "ES256" : "RS256"), "typ": "JWT",
            "x5c": (chain ?? [signer, intermediate]).map { Data($0.attestationTestDER).base64EncodedString() },
        ]
        for (key, value) in extraHeader { headerObject[key] = value }
        let headerBytes = try rawHeader ?? Array(JSONSerialization.data(withJSONObject: headerObject))
        let payloadBytes = try rawPayload ?? Array(JSONSerialization.data(withJSONObject: payload ?? self.payload()))
        let input = Bytes.base64URL(headerBytes) + "." + Bytes.base64URL(payloadBytes)
        let signature: [UInt8]
        if let es256Key {
            signature = Array(try es256Key.signature(for: Array(input.utf8)).rawRepresentation)
        } else if let rsaKey {
            signature = Array(try rsaKey.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation)
        } else {
            signature = []
        }
        return input + "." + Bytes.base64URL(signature)
    }
}
