import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import Testing
import X509

/// py_webauthn's ceremony tests replayed from data (Tests/Vectors/webauthn-pywebauthn/README.md):
/// credentials captured from real authenticators and browsers, checked by an independent
/// implementation. Deliberate differences are named where they apply.
@Suite("py_webauthn ceremony vectors")
struct PyWebAuthnVectorTests {
    struct File: Decodable {
        let source: String
        let cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let call: String
        let args: [String: JSONValue]
        let outcome: String
        let exception: String?
        let message: String?
        let expect: [String: JSONValue]
        let skip: String?
        var file = ""
        var testDescription: String { name }

        enum CodingKeys: String, CodingKey { case name, call, args, outcome, exception, message, expect, skip }

        func text(_ key: String) -> String? {
            if case .string(let s) = args[key] { return s }
            return nil
        }

        func bytes(_ key: String) throws -> [UInt8] { try #require(text(key).flatMap { Bytes.fromBase64URL($0) }, "\(name): \(key)") }

        var origins: Set<String> {
            switch args["expected_origin"] {
            case .string(let s): [s]
            case .array(let items): Set(items.compactMap { if case .string(let s) = $0 { s } else { nil } })
            default: []
            }
        }

        var credentialJSON: Data? {
            guard let credential = args["credential"] else { return nil }
            return try? JSONEncoder().encode(credential)
        }

        func expected(_ key: String) -> JSONValue? { expect[key] }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors/webauthn-pywebauthn").standardized

    static func load(_ name: String) -> [Case] {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(name + ".json")),
            let file = try? JSONDecoder().decode(File.self, from: data)
        else { return [] }
        return file.cases.map {
            var c = $0
            c.file = name
            return c
        }
    }

    static let registrationFiles = [
        "verify_registration_response", "verify_registration_response_packed", "verify_registration_response_fido_u2f",
        "verify_registration_response_tpm", "verify_registration_response_android_key", "verify_registration_response_apple",
    ]
    static let registrations = registrationFiles.flatMap(load).filter { $0.skip == nil }
    static let authentications = load("verify_authentication_response").filter { $0.skip == nil }

    static let allAlgorithms: [COSEAlgorithm] = [.es256, .es384, .es512, .eddsa, .rs256, .rs384, .rs512]

    static func relyingParty(_ c: Case, attestation: AttestationPolicy = .permissive, trustSource: any AttestationTrustSource = NoAttestationMetadata())
        -> RelyingParty
    {
        let uv: UserVerificationRequirement = {
            if case .bool(true) = c.args["require_user_verification"] { return .required }
            return .preferred
        }()
        return RelyingParty(
            id: c.text("expected_rp_id") ?? "", name: "py_webauthn vectors", origins: c.origins, userVerification: uv, algorithms: allAlgorithms,
            attestation: attestation, trustSource: trustSource, clock: CeremonyClock(instant: CeremonyFixture.now))
    }

    /// What Honnin must answer for a py_webauthn case: nil for success, else the error code.
    static func honninOutcome(_ c: Case) -> WebAuthnError.Code? {
        if c.text("credential_public_key").map({ $0.hasPrefix("owEHAzg") }) == true { return .algorithmNotAllowed }  // ML-DSA (kty 7)
        if case .array(let algs) = c.args["supported_pub_key_algs"], algs.contains(where: { if case .string(let s) = $0 { s.contains("ML_DSA") } else { false } }) {
            return .algorithmNotAllowed
        }
        switch c.name {
        case "test_verify_attestation_with_unsupported_token_binding_status": return nil  // L3 has no Token Binding: ignored
        case "test_raises_useful_error_on_bad_attestation_object": return .malformed
        case "test_raises_when_root_cert_invalid_for_response": return .attestationUntrusted
        case "test_raises_exception_on_incorrect_public_key": return .badSignature
        case "test_raises_exception_on_uv_required_but_false": return .userNotVerified
        default:
            return c.outcome == "success" ? nil : .malformed
        }
    }

    @Test func casesAreLoaded() {
        #expect(Self.registrations.count == 22)
        #expect(Self.authentications.count == 11)
        // Every error case has an explicit mapping, so a new py_webauthn error case fails here
        // until it is looked at.
        let known: Set<String> = [
            "test_verify_attestation_with_unsupported_token_binding_status", "test_raises_useful_error_on_bad_attestation_object",
            "test_raises_when_root_cert_invalid_for_response", "test_raises_exception_on_incorrect_public_key",
            "test_raises_exception_on_uv_required_but_false",
        ]
        for c in Self.registrations + Self.authentications where c.outcome == "error" {
            #expect(known.contains(c.name), "\(c.name)")
        }
    }

    /// Three Windows Hello captures of 2018 (py_webauthn's TPM cases) carry standard base64 with
    /// padding; the L3 JSON forms are base64url without padding (§5.1.8), which Honnin requires.
    /// Those three are re-encoded before replay; every other case is parsed exactly as stored.
    static let standardBase64Captures: Set<String> = [
        "test_verify_attestation_surface_pro_4", "test_verify_attestation_dell_xps_13", "test_verify_attestation_lenovo_carbon_x1",
    ]

    static func registrationResponse(_ c: Case) throws -> RegistrationResponseJSON {
        let json = Array(try #require(c.credentialJSON))
        guard standardBase64Captures.contains(c.name) else { return try RegistrationResponseJSON.parse(json) }
        #expect(throws: WebAuthnError.self) { try RegistrationResponseJSON.parse(json) }
        guard case .object(var credential) = c.args["credential"], case .object(var inner) = credential["response"] else {
            throw WebAuthnError(.malformed, "no response")
        }
        for (key, value) in inner {
            if case .string(let text) = value, let data = Data(base64Encoded: text) { inner[key] = .string(Bytes.base64URL(Array(data))) }
        }
        credential["response"] = .object(inner)
        return try RegistrationResponseJSON.parse(Array(try JSONEncoder().encode(JSONValue.object(credential))))
    }

    @Test(arguments: registrations)
    func registration(_ c: Case) async throws {
        let response = try Self.registrationResponse(c)
        var rp = Self.relyingParty(c)
        if c.name == "test_raises_when_root_cert_invalid_for_response" {
            // py_webauthn offers GlobalSign R2 as the only packed root; any unrelated root does.
            let w3c = try #require(W3CVectorTests.file?.root["attestation_ca_cert"].flatMap { Bytes.fromHex($0) })
            rp.trustSource = FixedAttestationRoots(roots: [try Certificate(derEncoded: w3c)])
            rp.attestation = .requireTrusted
        }
        let challenge = try c.bytes("expected_challenge")
        let expected = Self.honninOutcome(c)
        do {
            let record = try await rp.register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
            #expect(expected == nil, "\(c.file) \(c.name) registered but should fail with \(String(describing: expected))")
            try Self.check(record, against: c)
        } catch let error as WebAuthnError {
            #expect(error.code == expected, "\(c.file) \(c.name): \(error)")
        }
    }

    static func check(_ record: CredentialRecord, against c: Case) throws {
        for (key, value) in c.expect {
            switch (key, value) {
            case ("fmt", .string(let fmt)): #expect(record.attestationFormat == fmt)
            case ("credential_id", .string(let id)): #expect(record.id == Bytes.fromBase64URL(id))
            case ("sign_count", .number(let n)): #expect(Double(record.signCount) == n)
            case ("credential_backed_up", .bool(let b)): #expect(record.backupState == b)
            case ("credential_device_type", .string(let t)): #expect(record.backupEligible == (t == "multi_device"))
            case ("credential_type", .string(let t)): #expect(record.type == t)
            case ("attestation_object", .string(let o)): #expect(record.attestationObject == Bytes.fromBase64URL(o))
            case ("aaguid", .string(let uuid)): #expect(record.aaguid == Bytes.fromHex(uuid.replacingOccurrences(of: "-", with: "")))
            case ("credential_public_key", .string(let k)):
                let key = try COSEKey(bytes: try #require(Bytes.fromBase64URL(k)))
                #expect(try COSEKey(subjectPublicKeyInfo: record.publicKey, algorithm: record.algorithm) == key)
            default: Issue.record("\(c.name): unchecked expectation \(key)")
            }
        }
    }

    @Test(arguments: authentications)
    func authentication(_ c: Case) throws {
        let response = try AuthenticationResponseJSON.parse(Array(try #require(c.credentialJSON)))
        let rp = Self.relyingParty(c)
        let expected = Self.honninOutcome(c)
        let coseBytes = try c.bytes("credential_public_key")
        let key: COSEKey
        do {
            key = try COSEKey(bytes: coseBytes)
        } catch {
            #expect(error.code == expected, "\(c.name): \(error)")
            return
        }
        // py_webauthn keeps no backup eligibility; the record has the one registration would
        // have stored, which §6.1 says never changes.
        let authData = try AuthenticatorData(bytes: response.response.authenticatorData.bytes)
        guard case .number(let count) = c.args["credential_current_sign_count"] else { Issue.record("no sign count"); return }
        let record = CredentialRecord(
            id: response.rawId.bytes, publicKey: key.subjectPublicKeyInfo, algorithm: key.algorithm, signCount: UInt32(count), transports: [],
            uvInitialized: false, backupEligible: authData.backupEligible, backupState: authData.backupState, attestationFormat: "none",
            attestationType: .none, aaguid: [UInt8](repeating: 0, count: 16), attestationTrusted: false, rpID: rp.id, attestationObject: [],
            attestationClientDataJSON: [])
        do {
            let result = try rp.authenticate(
                response: response, expectedChallenge: try c.bytes("expected_challenge"), credential: record,
                user: .identified(userHandle: response.response.userHandle?.bytes ?? []))
            #expect(expected == nil, "\(c.name) authenticated but should fail with \(String(describing: expected))")
            for (name, value) in c.expect {
                switch (name, value) {
                case ("new_sign_count", .number(let n)): #expect(Double(result.signCount) == n)
                case ("user_verified", .bool(let b)): #expect(result.userVerified == b)
                case ("credential_backed_up", .bool(let b)): #expect(result.backupState == b)
                case ("credential_device_type", .string(let t)): #expect(result.backupEligible == (t == "multi_device"))
                case ("credential_id", .string(let id)): #expect(result.updatedRecord.id == Bytes.fromBase64URL(id))
                default: Issue.record("\(c.name): unchecked expectation \(name)")
                }
            }
        } catch let error as WebAuthnError {
            #expect(error.code == expected, "\(c.name): \(error)")
        }
    }

    /// py_webauthn builds these two inputs by mutation; the same mutations are replayed here.
    @Test func mutatedRegistrations() async throws {
        let all = Self.registrationFiles.flatMap(Self.load)
        // test_raises_exception_on_unsupported_attestation_type: fmt replaced by "not_real_fmt".
        let unsupported = try #require(all.first { $0.name == "test_raises_exception_on_unsupported_attestation_type" })
        var response = try RegistrationResponseJSON.parse(Array(try #require(unsupported.credentialJSON)))
        let object = try CBORDecoder().decode(response.response.attestationObject.bytes)
        let renamed = CBORValue.map(object.mapValue!.map { $0.key == .text("fmt") ? CBORMapEntry(.text("fmt"), .text("not_real_fmt")) : $0 })
        response.response.attestationObject = Base64URLBytes(CBOREncoder.encode(renamed))
        let code = await webAuthnCode {
            _ = try await Self.relyingParty(unsupported).register(
                response: response, expectedChallenge: try unsupported.bytes("expected_challenge"), isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        }
        #expect(code == .unsupportedFormat)

        // test_verifies_response_optional_user_presence: UP and UV cleared (a conditional create);
        // a none statement signs nothing, so the edited authenticator data still verifies.
        let optional = try #require(all.first { $0.name == "test_verifies_response_optional_user_presence" })
        var conditional = try RegistrationResponseJSON.parse(Array(try #require(optional.credentialJSON)))
        let parsed = try CBORDecoder().decode(conditional.response.attestationObject.bytes)
        var authData = try #require(parsed["authData"]?.bytesValue)
        authData[32] &= ~(AuthenticatorData.Flags.userPresent.rawValue | AuthenticatorData.Flags.userVerified.rawValue)
        let edited = CBORValue.map(parsed.mapValue!.map { $0.key == .text("authData") ? CBORMapEntry(.text("authData"), .bytes(authData)) : $0 })
        conditional.response.attestationObject = Base64URLBytes(CBOREncoder.encode(edited))
        let rp = Self.relyingParty(optional)
        let challenge = try optional.bytes("expected_challenge")
        let record = try await rp.register(
            response: conditional, expectedChallenge: challenge, conditionalMediation: true, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.attestationFormat == "none")
        #expect(!record.uvInitialized)
        let refused = await webAuthnCode {
            _ = try await rp.register(response: conditional, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        }
        #expect(refused == .userNotPresent)
    }
}
