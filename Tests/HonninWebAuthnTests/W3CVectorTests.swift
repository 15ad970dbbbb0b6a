import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// WebAuthn L3 §16 test vectors (Tests/Vectors/webauthn-w3c/README.md): every registration
/// example goes through the registration ceremony with the §16 attestation root as trust anchor,
/// and its authentication example through the authentication ceremony with the record produced.
@Suite("W3C WebAuthn L3 §16 test vectors")
struct W3CVectorTests {
    struct File: Decodable {
        struct Vector: Decodable, CustomTestStringConvertible {
            let id: String
            let title: String
            let registration: [String: String]
            let authentication: [String: String]
            var testDescription: String { id }

            func bytes(_ part: [String: String], _ key: String) throws -> [UInt8] {
                try #require(part[key].flatMap { Bytes.fromHex($0) }, "\(id): \(key)")
            }
        }
        let root: [String: String]
        let vectors: [Vector]
    }

    static let file: File? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors/webauthn-w3c/vectors.json").standardized
        return (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(File.self, from: $0) }
    }()
    static var vectors: [File.Vector] { file?.vectors ?? [] }

    /// What each example must give: its format, attestation type, and whether the statement
    /// chains to the §16 root. Ed448 is refused (swift-crypto has no Ed448).
    static let expected: [String: (format: String, type: AttestationType, trusted: Bool)?] = [
        "none-es256": ("none", .none, false),
        "packed-self-es256": ("packed", .self, false),
        "none-es256-crossOrigin": ("none", .none, false),
        "none-es256-topOrigin": ("none", .none, false),
        "none-es256-long-credential-id": ("none", .none, false),
        "packed-es256": ("packed", .basic, true),
        "packed-es384": ("packed", .basic, true),
        "packed-es512": ("packed", .basic, true),
        "packed-rs256": ("packed", .basic, true),
        "packed-eddsa": ("packed", .basic, true),
        "packed-ed448": nil,
        "tpm-es256": ("tpm", .attCA, true),
        "android-key-es256": ("android-key", .basic, true),
        "apple-es256": ("apple", .anonCA, true),
        "fido-u2f-es256": ("fido-u2f", .basic, true),
    ]

    static func relyingParty(for vector: File.Vector, allowsCrossOrigin: Bool? = nil, topOrigins: Set<String>? = nil) throws -> RelyingParty {
        let root = try Certificate(derEncoded: try #require(file?.root["attestation_ca_cert"].flatMap { Bytes.fromHex($0) }))
        let framed = vector.id.hasSuffix("crossOrigin") || vector.id.hasSuffix("topOrigin")
        return RelyingParty(
            id: "example.org", name: "Example", origins: ["https://example.org"], allowsCrossOrigin: allowsCrossOrigin ?? framed,
            topOrigins: topOrigins ?? (framed ? ["https://example.com"] : []), userVerification: .preferred,
            algorithms: [.es256, .es384, .es512, .eddsa, .rs256], attestation: .permissive, trustSource: FixedAttestationRoots(roots: [root]),
            clock: CeremonyClock(instant: CeremonyFixture.now))
    }

    static func registrationResponse(_ v: File.Vector) throws -> RegistrationResponseJSON {
        let id = try v.bytes(v.registration, "credential_id")
        return RegistrationResponseJSON(
            id: Bytes.base64URL(id), rawId: Base64URLBytes(id),
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URLBytes(try v.bytes(v.registration, "clientDataJSON")),
                attestationObject: Base64URLBytes(try v.bytes(v.registration, "attestationObject")), transports: ["usb"]))
    }

    static func authenticationResponse(_ v: File.Vector) throws -> AuthenticationResponseJSON {
        let id = try v.bytes(v.registration, "credential_id")
        return AuthenticationResponseJSON(
            id: Bytes.base64URL(id), rawId: Base64URLBytes(id),
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URLBytes(try v.bytes(v.authentication, "clientDataJSON")),
                authenticatorData: Base64URLBytes(try v.bytes(v.authentication, "authenticatorData")),
                signature: Base64URLBytes(try v.bytes(v.authentication, "signature"))))
    }

    @Test func allExamplesAreLoaded() throws {
        #expect(Self.vectors.count == 15)
        #expect(Set(Self.vectors.map(\.id)) == Set(Self.expected.keys))
    }

    @Test(arguments: vectors)
    func registerThenAuthenticate(_ v: File.Vector) async throws {
        let rp = try Self.relyingParty(for: v)
        let expected = try #require(Self.expected[v.id])
        let response = try Self.registrationResponse(v)
        let challenge = try v.bytes(v.registration, "challenge")
        guard let expected else {
            let code = await webAuthnCode {
                _ = try await rp.register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            }
            #expect(code == .algorithmNotAllowed)
            return
        }
        if v.id == "android-key-es256" {
            // §8.4 requires no attestationSecurityLevel (a TEE-only policy is the RP's choice), and
            // this example's key is software-level (0); AndroidKeyAttestation refuses it. When that
            // is relaxed to the spec, this known issue stops being recorded and the test says so.
            await withKnownIssue("AndroidKeyAttestation requires TEE/StrongBox; §8.4 does not") {
                _ = try await rp.register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            }
            return
        }
        let record = try await rp.register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.id == (try v.bytes(v.registration, "credential_id")))
        #expect(record.aaguid == (try v.bytes(v.registration, "aaguid")))
        #expect(record.attestationFormat == expected.format)
        #expect(record.attestationType == expected.type)
        #expect(record.attestationTrusted == expected.trusted)
        #expect(record.signCount == 0)
        #expect(record.attestationObject == (try v.bytes(v.registration, "attestationObject")))
        #expect(record.rpID == "example.org")
        let object = try AttestationObject(bytes: record.attestationObject)
        #expect(record.backupEligible == object.authenticatorData.backupEligible)
        #expect(record.uvInitialized == object.authenticatorData.userVerified)
        #expect(record.hardwareBoundAndAttested == (expected.trusted && !record.backupEligible))

        // The same challenge bytes are refused for authentication if they are not the one issued.
        let assertion = try Self.authenticationResponse(v)
        let authChallenge = try v.bytes(v.authentication, "challenge")
        let result = try rp.authenticate(response: assertion, expectedChallenge: authChallenge, credential: record, user: .identified(userHandle: []))
        let authData = try AuthenticatorData(bytes: try v.bytes(v.authentication, "authenticatorData"))
        #expect(result.userVerified == authData.userVerified)
        #expect(result.backupState == authData.backupState)
        #expect(result.updatedRecord.signCount == authData.signCount)
        #expect(result.updatedRecord.uvInitialized == (record.uvInitialized || authData.userVerified))

        // And the stored record survives a Codable round trip and still verifies.
        let stored = try JSONDecoder().decode(CredentialRecord.self, from: try JSONEncoder().encode(record))
        #expect(stored == record)
        _ = try rp.authenticate(response: assertion, expectedChallenge: authChallenge, credential: stored, user: .identified(userHandle: []))

        // Tampering with any signed part is caught.
        var badSig = assertion
        badSig.response.signature.bytes[badSig.response.signature.bytes.count / 2] ^= 0x01
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try rp.authenticate(response: badSig, expectedChallenge: authChallenge, credential: record, user: .identified(userHandle: [])) }) == .badSignature)
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try rp.authenticate(response: assertion, expectedChallenge: challenge, credential: record, user: .identified(userHandle: [])) }) == .challengeMismatch)
    }

    @Test func framingNeedsPolicy() async throws {
        for id in ["none-es256-crossOrigin", "none-es256-topOrigin"] {
            let v = try #require(Self.vectors.first { $0.id == id })
            let refused = try Self.relyingParty(for: v, allowsCrossOrigin: false)
            let code = await webAuthnCode {
                _ = try await refused.register(
                    response: try Self.registrationResponse(v), expectedChallenge: try v.bytes(v.registration, "challenge"),
                    isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            }
            #expect(code == .crossOriginNotAllowed)
        }
        let v = try #require(Self.vectors.first { $0.id == "none-es256-topOrigin" })
        let wrongTop = try Self.relyingParty(for: v, allowsCrossOrigin: true, topOrigins: ["https://example.net"])
        let code = await webAuthnCode {
            _ = try await wrongTop.register(
                response: try Self.registrationResponse(v), expectedChallenge: try v.bytes(v.registration, "challenge"),
                isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        }
        #expect(code == .topOriginNotAllowed)
    }

    /// Without the §16 root the attested examples still register, unattested, under the
    /// permissive policy, and are refused when trusted attestation is required.
    @Test func attestationNeedsTheRoot() async throws {
        for id in ["packed-es256", "fido-u2f-es256"] {
            let v = try #require(Self.vectors.first { $0.id == id })
            var rp = try Self.relyingParty(for: v)
            rp.trustSource = NoAttestationMetadata()
            let record = try await rp.register(
                response: try Self.registrationResponse(v), expectedChallenge: try v.bytes(v.registration, "challenge"),
                isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            #expect(!record.attestationTrusted)
            rp.attestation = .requireTrusted
            let code = await webAuthnCode {
                _ = try await rp.register(
                    response: try Self.registrationResponse(v), expectedChallenge: try v.bytes(v.registration, "challenge"),
                    isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            }
            #expect(code == .attestationUntrusted)
        }
    }
}
