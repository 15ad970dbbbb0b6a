import Benchmark
import Crypto
import Foundation
import HonninCore
import HonninCredentials
import HonninWebAuthn

// The passkey sign-in figure: full WebAuthn L3 §7.2 assertion verification with an ES256
// credential (`RelyingParty.authenticate`: client data JSON, rpIdHash, flags, backup flags, the
// stored key rebuilt from its SubjectPublicKeyInfo, the P-256 signature, the sign count) per
// CPU-second on one core, against, in the same run,
//  - OpenSSL's P-256 ECDSA verify rate (`openssl speed -mr ecdsap256`): the crypto limit, since
//    one assertion is one ECDSA verify (goal: at least 70 %), and
//  - py_webauthn's `verify_authentication_response` on the very same inputs
//    (`Benchmarks/peer/pywebauthn_rate.py`; goal: at least twice its rate).
// Also the scrypt cost a password sign-in and a recovery code pay, in milliseconds per hash.
// Both sides are timed in CPU seconds (`cpuSeconds`; `openssl speed` and the Python peer count
// CPU time too), so other work on the machine does not skew the ratios.

/// A software authenticator for this benchmark only — never an authenticator of the product:
/// one deterministic P-256 credential that registers with `none` attestation and signs
/// assertions as an authenticator does (authenticator data ‖ SHA-256(clientDataJSON), §6.3.3).
struct BenchmarkSoftAuthenticator {
    let key: P256.Signing.PrivateKey
    let credentialID: [UInt8]
    let rpID: String
    let origin: String

    init(rpID: String, origin: String) throws {
        key = try P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("honnin benchmark authenticator".utf8))))
        credentialID = Array(SHA256.hash(data: Array("honnin benchmark credential".utf8)))
        self.rpID = rpID
        self.origin = origin
    }

    /// The credential public key as a COSE_Key (RFC 9053 §7.1.1: kty EC2, alg ES256, crv P-256, x, y).
    var coseKey: [UInt8] {
        let point = Array(key.publicKey.x963Representation)  // 04 ‖ x ‖ y
        return CBOREncoder.encode(
            .map([
                CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(COSEAlgorithm.es256.rawValue)), CBORMapEntry(.int(-1), .int(1)),
                CBORMapEntry(.int(-2), .bytes(Array(point[1...32]))), CBORMapEntry(.int(-3), .bytes(Array(point[33...64]))),
            ]))
    }

    var rpIDHash: [UInt8] { Array(SHA256.hash(data: Array(rpID.utf8))) }

    /// `clientDataJSON` as a browser serialises it (§5.8.1.1).
    func clientData(_ type: String, challenge: [UInt8]) -> [UInt8] {
        Array("{\"type\":\"\(type)\",\"challenge\":\"\(Bytes.base64URL(challenge))\",\"origin\":\"\(origin)\",\"crossOrigin\":false}".utf8)
    }

    /// A registration response with `none` attestation (§8.7), UP and UV set.
    func registration(challenge: [UInt8]) -> RegistrationResponseJSON {
        let authData = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent, .userVerified], signCount: 0,
            attested: (aaguid: Array(repeating: 0, count: 16), credentialID: credentialID, credentialPublicKey: coseKey))
        let attestation = CBOREncoder.encode(
            .map([CBORMapEntry(.text("fmt"), .text("none")), CBORMapEntry(.text("attStmt"), .map([])), CBORMapEntry(.text("authData"), .bytes(authData))]))
        return RegistrationResponseJSON(
            id: Bytes.base64URL(credentialID), rawId: Base64URLBytes(credentialID),
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URLBytes(clientData("webauthn.create", challenge: challenge)), attestationObject: Base64URLBytes(attestation),
                transports: ["internal"]))
    }

    /// An assertion with UP and UV set and the given counter, signed with the credential key.
    func assertion(challenge: [UInt8], signCount: UInt32, userHandle: [UInt8]) throws -> AuthenticationResponseJSON {
        let cData = clientData("webauthn.get", challenge: challenge)
        let authData = AuthenticatorData.assemble(rpIDHash: rpIDHash, flags: [.userPresent, .userVerified], signCount: signCount)
        let signature = try key.signature(for: authData + Array(SHA256.hash(data: cData))).derRepresentation
        return AuthenticationResponseJSON(
            id: Bytes.base64URL(credentialID), rawId: Base64URLBytes(credentialID),
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URLBytes(cData), authenticatorData: Base64URLBytes(authData), signature: Base64URLBytes(Array(signature)),
                userHandle: Base64URLBytes(userHandle)))
    }
}

/// One registered ES256 credential (stored signCount 0) and one assertion of it (signCount 1),
/// so every verification succeeds and none updates anything.
struct WebAuthnFixture {
    let rp: RelyingParty
    let authenticator: BenchmarkSoftAuthenticator
    let record: CredentialRecord
    let response: AuthenticationResponseJSON
    /// The response as the browser posts it (JSON bytes).
    let responseJSON: [UInt8]
    let challenge: [UInt8]
    let userHandle: [UInt8] = Array(repeating: 0x48, count: 16)

    init() async throws {
        rp = RelyingParty(
            id: "id.honnin.example", name: "Honnin benchmark", origins: ["https://id.honnin.example"], userVerification: .required, clock: SystemClock())
        authenticator = try BenchmarkSoftAuthenticator(rpID: rp.id, origin: "https://id.honnin.example")
        let registrationChallenge = Array(SHA256.hash(data: Array("registration".utf8)))
        record = try await rp.register(
            response: authenticator.registration(challenge: registrationChallenge), expectedChallenge: registrationChallenge,
            isCredentialIDRegistered: { _ in false })
        challenge = Array(SHA256.hash(data: Array("authentication".utf8)))
        response = try authenticator.assertion(challenge: challenge, signCount: 1, userHandle: userHandle)
        responseJSON = Array(try JSONEncoder().encode(response))
        guard record.signCount == 0, try verify().signCount == 1 else { throw CocoaError(.coderInvalidValue) }
    }

    /// §7.2 on the decoded response (what the HTTP layer hands over).
    func verify() throws(WebAuthnError) -> AuthenticationResult {
        try rp.authenticate(response: response, expectedChallenge: challenge, credential: record, user: .identified(userHandle: userHandle))
    }

    /// §7.2 including the JSON decoding of the posted body.
    func verifyJSON() throws(WebAuthnError) -> AuthenticationResult {
        try rp.authenticate(
            response: try AuthenticationResponseJSON.parse(responseJSON), expectedChallenge: challenge, credential: record,
            user: .identified(userHandle: userHandle))
    }

    /// The inputs of the py_webauthn peer, as JSON.
    func peerInputs(seconds: Double) throws -> Data {
        let response = try JSONSerialization.jsonObject(with: Data(responseJSON))
        return try JSONSerialization.data(
            withJSONObject: [
                "credential_public_key": Bytes.base64URL(authenticator.coseKey), "response": response, "challenge": Bytes.base64URL(challenge),
                "origin": authenticator.origin, "rp_id": rp.id, "sign_count": 0, "require_user_verification": true, "seconds": seconds,
            ] as [String: Any])
    }
}

/// The py_webauthn peer: (verifications/s on a parsed credential, verifications/s parsing the
/// JSON each time, the package version), or the reason it cannot run.
enum PyWebAuthnPeer {
    /// `/work/main/.venv/bin/python`, found from this file's place in the repository
    /// (`$HONNIN_PYTHON` overrides).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var python: String {
        ProcessInfo.processInfo.environment["HONNIN_PYTHON"] ?? repository.appendingPathComponent(".venv/bin/python").path
    }
    static var script: String { repository.appendingPathComponent("Benchmarks/peer/pywebauthn_rate.py").path }

    static func run(_ fixture: WebAuthnFixture, seconds: Double = 3) throws -> Result<(parsed: Double, json: Double, version: String), Skipped> {
        guard FileManager.default.isExecutableFile(atPath: python) else { return .failure(Skipped(reason: "no Python at \(python) (create the venv)")) }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-pywebauthn-\(UUID().uuidString).json")
        try fixture.peerInputs(seconds: seconds).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let output = try spawnCapturing([python, script, input.path])
        guard let line = output.split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return .failure(Skipped(reason: "the peer printed nothing usable: \(output.prefix(200))")) }
        if let reason = object["skipped"] as? String { return .failure(Skipped(reason: reason)) }
        guard let parsed = object["verifications_per_s"] as? Double, let json = object["verifications_with_json_parse_per_s"] as? Double else {
            return .failure(Skipped(reason: "unexpected peer output: \(line.prefix(200))"))
        }
        return .success((parsed, json, object["webauthn_version"] as? String ?? "?"))
    }

    struct Skipped: Error, CustomStringConvertible {
        let reason: String
        var description: String { "py_webauthn comparison skipped: \(reason)" }
    }
}

let webAuthnBenchmarks: @Sendable () -> Void = {
    Benchmark(
        "WebAuthn ES256 assertion verification (§7.2) vs openssl speed ecdsap256 and py_webauthn",
        configuration: .init(
            metrics: [
                .custom("assertions_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("assertions_with_json_parse_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("openssl_p256_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("swift_crypto_p256_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("pct_of_openssl_p256_verify", polarity: .prefersLarger, useScalingFactor: false),
                .custom("pywebauthn_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("ratio_to_pywebauthn_x100", polarity: .prefersLarger, useScalingFactor: false),
                .custom("ratio_to_pywebauthn_with_json_x100", polarity: .prefersLarger, useScalingFactor: false),
                // The most any verifier in this process could reach: swift-crypto's bare P-256
                // verify rate over py_webauthn's (every assertion needs one verify).
                .custom("ceiling_ratio_to_pywebauthn_x100", polarity: .prefersLarger, useScalingFactor: false),
            ],
            maxDuration: .seconds(300), maxIterations: 3)
    ) { benchmark in
        let f = try await WebAuthnFixture()
        // The same signature checked by swift-crypto alone: the limit inside our own process.
        let key = f.authenticator.key.publicKey
        let signature = try P256.Signing.ECDSASignature(derRepresentation: f.response.response.signature.bytes)
        let signed = f.response.response.authenticatorData.bytes + Array(SHA256.hash(data: f.response.response.clientDataJSON.bytes))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // Rounds of one CPU-second per side (`openssl speed -seconds 3`), alternated and summed:
            // the machine's speed drifts over tens of seconds here (other guests), and alternating
            // puts every side in the same stretches.
            var ours = Rate(), oursJSON = Rate(), raw = Rate(), openssl = Rate(), peer = Rate(), peerJSON = Rate()
            var skipped: PyWebAuthnPeer.Skipped?
            for _ in 0..<3 {
                ours += try await Rate.measure { blackHole(try f.verify()) }
                oursJSON += try await Rate.measure { blackHole(try f.verifyJSON()) }
                raw += await Rate.measure { blackHole(key.isValidSignature(signature, for: signed)) }
                openssl += try opensslVerifyRate("ecdsap256", marker: "F4", bits: "256")
                switch try PyWebAuthnPeer.run(f, seconds: 1) {
                case .success(let rates):
                    peer += Rate(perSecond: rates.parsed, seconds: 1)
                    peerJSON += Rate(perSecond: rates.json, seconds: 1)
                case .failure(let reason):
                    skipped = reason
                }
            }
            benchmark.measurement(.custom("swift_crypto_p256_verify_per_s"), Int(raw.perSecond))
            benchmark.measurement(.custom("assertions_per_s"), Int(ours.perSecond))
            benchmark.measurement(.custom("assertions_with_json_parse_per_s"), Int(oursJSON.perSecond))
            benchmark.measurement(.custom("openssl_p256_verify_per_s"), Int(openssl.perSecond))
            benchmark.measurement(.custom("pct_of_openssl_p256_verify"), Int(100 * ours.perSecond / openssl.perSecond))
            if let skipped {
                print(skipped)
            } else {
                benchmark.measurement(.custom("pywebauthn_per_s"), Int(peer.perSecond))
                benchmark.measurement(.custom("ratio_to_pywebauthn_x100"), Int(100 * ours.perSecond / peer.perSecond))
                benchmark.measurement(.custom("ratio_to_pywebauthn_with_json_x100"), Int(100 * oursJSON.perSecond / peerJSON.perSecond))
                benchmark.measurement(.custom("ceiling_ratio_to_pywebauthn_x100"), Int(100 * raw.perSecond / peer.perSecond))
            }
        }
    }

    Benchmark(
        "WebAuthn companion: scrypt ms per hash at the server's password and recovery-code parameters",
        configuration: .init(
            metrics: [
                .custom("scrypt_ms_per_hash", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("recovery_code_scrypt_ms_per_hash", polarity: .prefersSmaller, useScalingFactor: false),
            ],
            maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let password = Redacted("maple-lantern-river-4921-kite")
        func msPerHash(_ parameters: PasswordHasher.Parameters, _ n: Int) async throws -> Int {
            let hasher = PasswordHasher(parameters: parameters)
            let seconds = try await cpuSeconds { for _ in 0..<n { blackHole(try hasher.hash(password)) } }
            return Int((1000 * seconds / Double(n)).rounded())
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            benchmark.measurement(.custom("scrypt_ms_per_hash"), try await msPerHash(.standard, 10))
            benchmark.measurement(.custom("recovery_code_scrypt_ms_per_hash"), try await msPerHash(RecoveryCodes.standardParameters, 80))
        }
    }
}
